/*
 * id.c - random public ids (see id.h). sodium_init() must have run (main does it first).
 */
#include "base/id.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "base/clock.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* Random bytes drawn from the system in blocks of 256 per thread: a bulk load makes a million
 * ids, and one getrandom() call each was a visible share of the writer's time. The pool is as
 * random as what it holds; each byte is used once. */
static _Thread_local unsigned char pool[256];
static _Thread_local size_t pool_left;

void id_random_text(char *out, size_t n)
{
    while (n > 0) {
        if (pool_left == 0) {
            randombytes_buf(pool, sizeof(pool));
            pool_left = sizeof(pool);
        }
        size_t chunk = n < pool_left ? n : pool_left;
        const unsigned char *raw = pool + sizeof(pool) - pool_left;
        for (size_t i = 0; i < chunk; i++) {
            *out++ = alphabet[raw[i] & 31];
        }
        sodium_memzero((void *)raw, chunk);
        pool_left -= chunk;
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
    const int64_t epoch_2020 = 1577836800; /* s */
    int64_t t = clock_now_ms() / 1000 - epoch_2020;
    uint64_t secs = t > 0 ? (uint64_t)t : 0;
    for (int i = ID_TIME_CHARS - 1; i >= 0; i--) {
        out[plen + (size_t)i] = alphabet[secs & 31];
        secs >>= 5;
    }
    id_random_text(out + plen + ID_TIME_CHARS, ID_RANDOM_CHARS - ID_TIME_CHARS);
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
