/*
 * seal.h - sealed tokens: a short text the server hands out and must get back unchanged and
 * unread, such as the position of a list page (the API's cursors, docs/api.md "Lists").
 *
 * The text is encrypted and authenticated (XChaCha20-Poly1305) with a key derived from the
 * installation secret, and bound to a context - what the token is for and whose it is - so a
 * token made for one list, or for one customer's list, is refused by another. The client sees an
 * opaque URL-safe string: nothing inside (a sequence number, an internal key) can be read,
 * guessed or changed. Sealing needs sodium_init() to have run (main does it first).
 */
#ifndef KT_AUTH_SEAL_H
#define KT_AUTH_SEAL_H

#include <stdbool.h>

#include "auth/keys.h"
#include "base/arena.h"

#define SEAL_TEXT_MAX 128 /* bytes of text a token can carry */

/*
 * The token for `text` (at most SEAL_TEXT_MAX bytes, no NUL) under `context` (any text, "" for
 * none), in `a`: base64url without padding, about 54 characters and 4 more for every 3 bytes of
 * text.
 * A new random nonce each time, so the same text seals to a different token each call.
 */
const char *seal_make(const struct key_secret *k, const char *context, const char *text,
                      struct arena *a);

/*
 * The text sealed in `token` under the same `context`, in `a`; false for anything else: not
 * base64url, too short or too long, altered, sealed under another context or another secret.
 */
bool seal_open(const struct key_secret *k, const char *context, const char *token, struct arena *a,
               const char **text);

#endif
