/*
 * fuzz_forwarded.c - arbitrary bytes as the X-Forwarded-For header a trusted proxy passes on, and
 * as a --trusted-proxy list (base/cidr.c). No crash, no read past the text; the client found is
 * always an address (the peer's or one of the header's, canonical) that parses back; a list that
 * parses holds at most its maximum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct cidr_list trusted, l;
    if (!cidr_list_parse("10.0.0.0/8,::1,192.0.2.0/24", &trusted)) {
        abort();
    }
    char out[CIDR_IP_MAX];
    cidr_client(&trusted, "10.0.0.1", text, out);
    struct cidr c;
    if (!cidr_parse(out, strlen(out), &c)) {
        abort(); /* always an address */
    }
    if (cidr_list_parse(text, &l) && l.n > CIDR_LIST_MAX) {
        abort();
    }
    free(text);
    return 0;
}
