/*
 * fuzz_track.c - arbitrary bytes where the outside world reaches deliver/track.c: as the token of
 * the public routes /o/{token} and /c/{token}, and as the HTML of an e-mail rewritten at send
 * time. No crash, no leak; a token never checks out unless it was made with the key (it is then
 * made again the same), a click leads only to an http(s) URL of printable ASCII, and every link
 * and pixel the rewriting writes checks out for its message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/track.h"

#define ID "m_00112233445566778899aabbccddeeff"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every "<base>/o/" or "<base>/c/" token of `out` checks out for ID. */
static void check_tokens(const struct key_secret *k, const char *out, const char *mark,
                         enum track_kind kind, struct arena *a)
{
    for (const char *p = strstr(out, mark); p != NULL; p = strstr(p + 1, mark)) {
        p += strlen(mark);
        struct track_token t;
        const char *tok = arena_strndup(a, p, strcspn(p, "\""));
        if (!track_token_check(k, tok, kind, a, &t) || strcmp(t.message_id, ID) != 0) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 0);
    struct key_secret k = {{7}};
    const char *text = arena_strndup(&a, (const char *)data, size);
    struct track_token t;
    for (int i = 0; i < 2; i++) {
        enum track_kind kind = i ? TRACK_CLICK : TRACK_OPEN;
        if (track_token_check(&k, text, kind, &a, &t)) {
            /* Only a token this key made can pass; the fuzzer cannot forge the tag. */
            const char *again = track_token(&k, kind, t.message_id, t.url, &a);
            if (again == NULL || strcmp(again, text) != 0) {
                abort();
            }
        }
    }
    const char *out = track_html(&k, "https://kt.example", "https://kt.example/u/", ID, text, &a);
    if (out == NULL) {
        abort();
    }
    check_tokens(&k, out, "\"https://kt.example/c/", TRACK_CLICK, &a);
    check_tokens(&k, out, "\"https://kt.example/o/", TRACK_OPEN, &a);
    /* A URL given to be signed is signed as something a click may follow, or not at all. */
    const char *tok = track_token(&k, TRACK_CLICK, ID, text, &a);
    if (tok != NULL) {
        if (!track_token_check(&k, tok, TRACK_CLICK, &a, &t) ||
            (strncasecmp(t.url, "http://", 7) != 0 && strncasecmp(t.url, "https://", 8) != 0)) {
            abort();
        }
        for (const char *p = t.url; *p; p++) {
            if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
                abort();
            }
        }
    }
    arena_release(&a);
    return 0;
}
