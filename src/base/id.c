/*
 * id.c - random public ids (see id.h). sodium_init() must have run (main does it first).
 */
#include "base/id.h"

#include <sodium.h>
#include <string.h>

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void id_random_text(char *out, size_t n)
{
    unsigned char raw[64];
    while (n > 0) {
        size_t chunk = n < sizeof(raw) ? n : sizeof(raw);
        randombytes_buf(raw, chunk);
        for (size_t i = 0; i < chunk; i++) {
            *out++ = alphabet[raw[i] & 31];
        }
        n -= chunk;
    }
    *out = '\0';
}

void id_new(char *out, size_t size, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (size < plen + ID_RANDOM_CHARS + 1) {
        out[0] = '\0';
        return;
    }
    memcpy(out, prefix, plen);
    id_random_text(out + plen, ID_RANDOM_CHARS);
}

bool id_valid(const char *s, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (strncmp(s, prefix, plen) != 0 || strlen(s) != plen + ID_RANDOM_CHARS) {
        return false;
    }
    for (const char *p = s + plen; *p != '\0'; p++) {
        if (strchr(alphabet, *p) == NULL) {
            return false;
        }
    }
    return true;
}
