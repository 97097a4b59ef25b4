/*
 * smtp.h - the e-mail channel: SMTP through libcurl, N connections kept open and reused between
 * messages (docs/messages.md, "Channels").
 *
 * A message is built with curl_mime: multipart/alternative of the text and the HTML (UTF-8,
 * base64), or the text alone; Subject and display names RFC 2047 encoded-words (base64 of
 * UTF-8, each word under 76 characters, folded); Date; From; To; Message-ID <id@from's domain>
 * carrying the message's id; and on every message that is not transactional List-Unsubscribe
 * <url> and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058).
 *
 * TLS: smtps:// is TLS from the first byte. smtp:// upgrades by STARTTLS as `starttls` says:
 * `try` (when the server offers it), `require` (refuse to send otherwise) or `never`; the
 * default is `require` when a user is set - a password never crosses the network in the clear -
 * and `try` without one. Credentials come from the environment only (KARTOTEKA_SMTP_USER,
 * KARTOTEKA_SMTP_PASSWORD).
 *
 * A result is classified (deliver.h) from the last reply: 2xx sent; 4xx temporary; 5xx
 * permanent, except the server asking for other credentials or TLS (530, 534, 535, 538: ours
 * to fix, not the message's), which is temporary; no reply (refused, reset, timed out, TLS failed)
 * temporary.
 */
#ifndef KT_DELIVER_SMTP_H
#define KT_DELIVER_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "deliver/deliver.h"

enum smtp_starttls {
    SMTP_STARTTLS_DEFAULT,
    SMTP_STARTTLS_TRY,
    SMTP_STARTTLS_REQUIRE,
    SMTP_STARTTLS_NEVER
};

#define SMTP_CONNECTIONS 8     /* --smtp-connections by default */
#define SMTP_TIMEOUT_MS  30000 /* one message, connection included, by default */

struct smtp_opts {
    const char *url;       /* smtp://host:port or smtps://host:port (--smtp-url) */
    const char *from;      /* the envelope sender and From address (--smtp-from) */
    const char *from_name; /* From's display name, UTF-8 (--smtp-from-name), or NULL */
    const char *user;      /* KARTOTEKA_SMTP_USER, or NULL: no AUTH */
    const char *password;  /* KARTOTEKA_SMTP_PASSWORD */
    enum smtp_starttls starttls;
    int connections;    /* at most this many open at once; 0 = SMTP_CONNECTIONS */
    int64_t timeout_ms; /* 0 = SMTP_TIMEOUT_MS */
};

struct email {
    const char *id;              /* the message's id: letters, digits and . _ - + = only */
    const char *to;              /* the recipient's address */
    const char *to_name;         /* display name, UTF-8, or NULL */
    const char *subject;         /* UTF-8 */
    const char *text;            /* the text part, UTF-8 */
    const char *html;            /* the HTML part, or NULL for text alone */
    const char *unsubscribe_url; /* NULL only for a transactional message */
};

/* Connections to one server; one thread at a time. NULL and an error when the options are
 * wrong (`smtp_url`, `smtp_from`). */
struct smtp_pool;
struct smtp_pool *smtp_pool_new(const struct smtp_opts *o, struct kt_err *err);
void smtp_pool_free(struct smtp_pool *p);

/* Sends `n` messages over the pool's connections at once, each with its result in `res[i]`;
 * returns when every one has one. `now_ms` is their Date. */
void smtp_send(struct smtp_pool *p, const struct email *m, size_t n, int64_t now_ms,
               struct deliver_result *res);

/* "starttls" word -> value; false for an unknown word. */
bool smtp_starttls_parse(const char *s, enum smtp_starttls *out);

/* The one-click unsubscribe link of a message of `topic` (or NULL: every topic) by e-mail:
 * "<public_url>/u/<token>" with the token of the /u/{token} page (consent.h, subs_token). */
struct key_secret;
const char *smtp_unsubscribe_url(const struct key_secret *k, const char *public_url,
                                 const char *customer_id, const char *topic, struct arena *a);
/* The same link for another `channel` ("sms": a marketing SMS's opt-out). */
const char *deliver_unsubscribe_url(const struct key_secret *k, const char *public_url,
                                    const char *customer_id, const char *topic, const char *channel,
                                    struct arena *a);

/* ---- the message's text, for tests ------------------------------------------------------- */

/* `s` as a header value: as it is when printable ASCII, else RFC 2047 B encoded-words of at
 * most SMTP_WORD_BYTES bytes of UTF-8 each (never a character split), folded by CRLF SP. */
#define SMTP_WORD_BYTES 36 /* 48 base64 characters: a word of 60, a line under 78 */
void smtp_header_text(struct buf *b, const char *s);
/* `name <addr>` with the name quoted or encoded, or `addr` alone. */
void smtp_mailbox(struct buf *b, const char *name, const char *addr);
/* RFC 5322 date of `ms` in UTC: "Tue, 05 Mar 2024 09:07:00 +0000" (out takes 40). */
void smtp_date(int64_t ms, char *out, size_t size);
/* Is `addr` fit for the envelope: one '@', no space, control, angle bracket or quote? */
bool smtp_address_ok(const char *addr);

#endif
