/*
 * outbox.h - the one outbox of issue 12 (docs/messages.md, "The outbox"): a message is a row,
 * enqueued once per origin, claimed by the sender in a write transaction that asks the sending
 * policy (policy.h), sent outside it through its channel, and recorded.
 *
 *   queued -> sending -> sent                 (the receiver took it)
 *          |          -> queued               (temporary: backoff with jitter, Retry-After)
 *          |          -> failed               (permanent, or too many tries)
 *          -> suppressed                      (the policy refused it, with the reason)
 *
 * delivered, bounced and capped are the next parts' (feedback, caps). Delivery is at least once:
 * a crash between a receiver's acceptance and the record leaves the row in `sending`, put back
 * in the queue at the next start (outbox_recover); the id travels with the message
 * (Message-ID, Kartoteka-Message-Id) so a receiver can drop the second copy.
 */
#ifndef KT_DELIVER_OUTBOX_H
#define KT_DELIVER_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "deliver/policy.h"
#include "deliver/smtp.h"
#include "store/store.h"

#define OUTBOX_BATCH        32              /* messages claimed per transaction and channel */
#define OUTBOX_RETRY_MS     30000           /* the first retry's delay by default */
#define OUTBOX_RETRY_MAX_MS (6 * 3600000LL) /* no retry waits longer */
#define OUTBOX_MAX_ATTEMPTS 12              /* then failed, "attempts_exhausted" */
#define OUTBOX_ID_HEX       32              /* hex digits of the keyed hash */

/* The id of a message from its origin ("api:<key id>:<Idempotency-Key>", later
 * "campaign:<id>:<customer>", "journey:<run>:<step>"): "m_" + the hex of a keyed BLAKE2b of
 * it under the installation secret, so an id names no customer and cannot be guessed. */
const char *outbox_id(const struct key_secret *k, const char *origin, struct arena *a);

/* What the sender needs: the channels' settings (serve's flags, docs/operations.md). */
struct outbox_conf {
    struct smtp_opts smtp;      /* smtp.url NULL: e-mails wait queued */
    const char *push_url;       /* NULL: push messages wait queued */
    const char *webhook_secret; /* KARTOTEKA_WEBHOOK_SECRET */
    int64_t email_rate;         /* e-mails per second, 0 = unlimited */
    int64_t retry_ms;           /* the first retry's delay (--outbox-retry) */
    struct policy_conf policy;  /* the quiet hours (--quiet-hours-*) */
};

struct outbox_sender;

/* The content a row seals, as the sender reads it (in `a`): for e-mail the rendered `subject`,
 * `text`, `html` and the marketing e-mail's `unsubscribe_url` (or NULL); for push the `title`
 * and `body` with `customer_id`. Absent parts are left out. */
const char *outbox_content(const char *channel, const char *customer_id, const char *subject,
                           const char *text, const char *html, const char *title, const char *body,
                           const char *unsub, struct arena *a);

/* The channels' connections; an error when a setting is wrong. NULL conf: nothing configured. */
enum kt_rc outbox_sender_new(const struct outbox_conf *c, struct outbox_sender **out,
                             struct kt_err *err);
void outbox_sender_free(struct outbox_sender *x);

/* Puts the rows a crash left in `sending` back in the queue (the server is the single writer:
 * at its start no send is in flight). `n` counts them. */
enum kt_rc outbox_recover(struct store *s, int64_t now, int64_t *n, struct kt_err *err);

/* One pass: for each configured channel, claims the due messages in batches, asks the policy,
 * sends, records. n[0] counts the sent, n[1] those not sent (retried, failed, suppressed).
 * One thread at a time (the scheduler's). */
enum kt_rc outbox_send_due(struct store *s, struct outbox_sender *x, int64_t now, int64_t n[2],
                           struct kt_err *err);

/* The retry delay after `attempts` tries: retry_ms * 2^(attempts-1), at most
 * OUTBOX_RETRY_MAX_MS, then a random jitter of up to a quarter more; never under `retry_after`
 * (the receiver's Retry-After, -1 when none). */
int64_t outbox_backoff(int64_t retry_ms, int64_t attempts, int64_t retry_after);

#endif
