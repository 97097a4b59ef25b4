/*
 * webhook.h - the push, messenger and plain `webhook` channel: a JSON POST to the retailer's
 * service, signed the way Stripe and Svix sign theirs, so the receiver can tell it came from
 * this installation and was not replayed (docs/messages.md, "Channels").
 *
 *   Kartoteka-Message-Id: <the message's id>
 *   Kartoteka-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The secret comes from the environment only (KARTOTEKA_WEBHOOK_SECRET), never a flag or the
 * database. A reply is classified (deliver.h): 2xx sent; 408, 429 and 5xx temporary, with
 * Retry-After (seconds or an HTTP date) honoured; any other status permanent (a redirect is not
 * followed: the signature names no host, and a moved endpoint is the operator's to fix);
 * no reply (refused, reset, timed out) temporary.
 */
#ifndef KT_DELIVER_WEBHOOK_H
#define KT_DELIVER_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "deliver/deliver.h"

#define WEBHOOK_SECRET_MIN 16 /* bytes of KARTOTEKA_WEBHOOK_SECRET at least */
#define WEBHOOK_TIMEOUT_MS 10000

struct webhook_opts {
    const char *secret; /* KARTOTEKA_WEBHOOK_SECRET; at least WEBHOOK_SECRET_MIN bytes */
    int64_t timeout_ms; /* of one POST, connection included; 0 = WEBHOOK_TIMEOUT_MS */
    bool plain;         /* no secret: only webhook_post_plain() (the SMS gateway, sms.c) */
};

/* A poster: one libcurl handle, its connection kept between posts. One thread at a time. */
struct webhook;

/* NULL and an error (`webhook_secret`) when the secret is missing or short. */
struct webhook *webhook_new(const struct webhook_opts *o, struct kt_err *err);
void webhook_free(struct webhook *w);

/* Posts `body` (JSON, `len` bytes) to `url` as message `msg_id`, signed at `now_ms`. */
void webhook_post(struct webhook *w, const char *url, const char *msg_id, const char *body,
                  size_t len, int64_t now_ms, struct deliver_result *res);

/* Posts `body` as it is, unsigned, with the header lines `headers` (NULL-terminated, or NULL)
 * beside Content-Type: the SMS gateway's webhook (sms.c). The reply classified as above. */
void webhook_post_plain(struct webhook *w, const char *url, const char *const *headers,
                        const char *body, size_t len, int64_t now_ms, struct deliver_result *res);

/* The signature header's value for `body` at unix second `t` (NUL-terminated into out, which
 * takes at least WEBHOOK_SIG_MAX bytes). */
#define WEBHOOK_SIG_MAX 96
void webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out);

/* A Retry-After value (delay-seconds or an HTTP-date) as milliseconds from `now_ms`, at least
 * 0; -1 when it is neither. */
int64_t webhook_retry_after_ms(const char *value, int64_t now_ms);

#endif
