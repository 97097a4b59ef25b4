/*
 * track.h - the open pixel and the click redirect of a marketing e-mail (docs/messages.md,
 * "Feedback"): signed tokens for the public routes /o/{token} and /c/{token}, and the HTML
 * rewritten at send time to carry them.
 *
 * A token is base64url (no padding) of
 *
 *   kind (1 byte: 'o' open, 'c' click) | the message id (16 bytes: the 32 hex of "m_<hex>")
 *   | the link's URL (click only) | tag (16 bytes: keyed BLAKE2b of all before it)
 *
 * under a key derived from the installation secret ("kartoteka/track/v1"). The URL travels in
 * the token, so a redirect needs no stored content (the outbox blanks it once a message is
 * finished) and no table of links: a click token is 44 characters plus 4/3 of its URL. A token
 * is signed, not encrypted: it holds what the e-mail held. Anything altered, cut, made up or of
 * the other kind does not check out; a URL is only ever one that was signed, http or https,
 * with no byte under 0x21 nor above 0x7e (non-ASCII is percent-encoded before signing), so the
 * redirect is never an open one.
 */
#ifndef KT_DELIVER_TRACK_H
#define KT_DELIVER_TRACK_H

#include <stdbool.h>

#include "auth/keys.h"
#include "base/arena.h"

#define TRACK_URL_MAX                                                                              \
    2048 /* bytes of a link's URL (after encoding); longer ones stay as they are */
#define TRACK_TOKEN_MAX 2800 /* characters of a token; longer is not one */

enum track_kind {
    TRACK_OPEN = 'o',  /* the pixel: /o/{token} */
    TRACK_CLICK = 'c', /* a link: /c/{token} */
};

/* What a token that checked out says. */
struct track_token {
    enum track_kind kind;
    const char *message_id; /* "m_" + 32 hex */
    const char *url;        /* TRACK_CLICK: the link's URL; else NULL */
};

/* The token of message `id`'s pixel, or of its link `url` (TRACK_CLICK), in `a`; NULL when the
 * id is not an outbox id ("m_" + 32 hex) or the URL is not one a click may lead to (not http or
 * https, too long, a space or control character in it). */
const char *track_token(const struct key_secret *k, enum track_kind kind, const char *id,
                        const char *url, struct arena *a);

/* Checks `token` for a route of `kind`; false for anything that was not made by track_token
 * with this key for that kind. */
bool track_token_check(const struct key_secret *k, const char *token, enum track_kind kind,
                       struct arena *a, struct track_token *out);

/*
 * The HTML of message `id` as it is sent: every <a href> to an http(s) URL rewritten to
 * `<base>/c/<token>` (not those starting with `keep`, the unsubscribe page's prefix, nor URLs
 * that cannot be signed, which stay as written), and the 1x1 pixel `<base>/o/<token>` before
 * </body> (at the end when there is none). `base` is the public URL without a trailing slash.
 * The HTML as it was when the id is not an outbox id or `base` could break an attribute.
 */
const char *track_html(const struct key_secret *k, const char *base, const char *keep,
                       const char *id, const char *html, struct arena *a);

#endif
