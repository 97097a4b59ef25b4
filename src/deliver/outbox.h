/*
 * outbox.h - the one outbox of issue 12 (docs/messages.md, "The outbox"): a message is a row,
 * enqueued once per origin, claimed by the sender in a write transaction that asks the sending
 * policy (policy.h), sent outside it through its channel, and recorded.
 *
 *   queued -> sending -> sent                 (the receiver took it)
 *          |          -> queued               (temporary: backoff with jitter, Retry-After)
 *          |          -> failed               (permanent, or too many tries)
 *          -> suppressed                      (the policy refused it, with the reason)
 *          -> capped                          (a frequency cap was full, with the rule)
 *          -> failed, "expired"               (a one-time code not sent within its life)
 *
 * Channels: email (smtp.h), sms (sms.h: the gateway's webhook, one-time codes and marketing
 * alike), push and webhook (webhook.h, signed). Each has its pace (messages per second).
 *
 * sent -> delivered | bounced come from the providers' callbacks (feedback.h). A marketing
 * e-mail's HTML gets its pixel and links at send time (track.h). Delivery is at least once:
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
#include "deliver/sms.h"
#include "deliver/smtp.h"
#include "store/store.h"

#define OUTBOX_BATCH        32                 /* messages claimed per transaction */
#define OUTBOX_RETRY_MS     30000              /* the first retry's delay by default */
#define OUTBOX_RETRY_MAX_MS (6 * 3600000LL)    /* no retry waits longer */
#define OUTBOX_MAX_ATTEMPTS 12                 /* then failed, "attempts_exhausted" */
#define OUTBOX_ID_HEX       KEYS_OUTBOX_ID_HEX /* hex digits of the keyed hash */

/* The id of a message from its origin ("api:<key id>:<Idempotency-Key>", later
 * "campaign:<id>:<customer>", "journey:<run>:<step>"): "m_" + the hex of a keyed BLAKE2b of
 * it under the installation secret, so an id names no customer and cannot be guessed. */
const char *outbox_id(const struct key_secret *k, const char *origin, struct arena *a);

/* What the sender needs: the channels' settings (serve's flags, docs/operations.md). */
struct outbox_conf {
    struct smtp_opts smtp;      /* smtp.url NULL: e-mails wait queued */
    struct sms_opts sms;        /* sms.url and sms.sink NULL: SMS wait queued */
    const char *push_url;       /* NULL: push messages wait queued */
    const char *webhook_url;    /* NULL: webhook messages wait queued */
    const char *webhook_secret; /* KARTOTEKA_WEBHOOK_SECRET */
    const char *sms_sender;     /* --sms-sender: the name a marketing SMS is signed with */
    int64_t email_rate;         /* e-mails per second, 0 = unlimited */
    int64_t sms_rate, push_rate, webhook_rate; /* the same for the other channels */
    int64_t retry_ms;                          /* the first retry's delay (--outbox-retry) */
    int64_t lease_ms; /* 0: this process is the database's only one; else several share it, and a
                         pass requeues what stayed `sending` past the lease (OUTBOX_LEASE_MS) */
    struct policy_conf policy; /* the quiet hours (--quiet-hours-*) */

    /* Signs a marketing e-mail's pixel and links (track.h); NULL: sent untracked. */
    const struct key_secret *secret;
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

/* How long a message may stay `sending` before it counts as abandoned by a server that died,
 * where several servers share the database (PostgreSQL): longer than any send's timeouts. */
#define OUTBOX_LEASE_MS (10 * 60 * 1000)

/* Puts the rows a crash left in `sending` back in the queue: with `lease_ms` 0 every one (the
 * server is the database's one process: at its start no send is in flight), else those moved
 * there more than lease_ms ago (another server may be sending the others right now). `n` counts
 * them. */
enum kt_rc outbox_recover(struct store *s, int64_t now, int64_t lease_ms, int64_t *n,
                          struct kt_err *err);

/* One pass: claims the due messages of the configured channels in batches, highest priority
 * first across channels (a one-time code, priority 1000, goes before any campaign), asks the
 * policy, sends (the batch's SMS first, then push and webhook, then its e-mails over the pool),
 * records; until a batch is not full. n[0] counts the sent, n[1] those not sent (retried,
 * failed, suppressed, capped). One thread at a time (the outbox's, sched/). */
enum kt_rc outbox_send_due(struct store *s, struct outbox_sender *x, int64_t now, int64_t n[2],
                           struct kt_err *err);

/* Whether SMS go to the development sink: a request that queued a code waits for its pass. */
bool outbox_sender_sink(const struct outbox_sender *x);

/* Due work: the finished messages (neither queued nor sending) last changed more than `days`
 * days before `now` are deleted, in short transactions, the run audited (outbox.c). `removed`
 * counts them. */
#define OUTBOX_MESSAGES_DAYS 90 /* --messages-days by default */
enum kt_rc outbox_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                         struct kt_err *err);

/* The retry delay after `attempts` tries: retry_ms * 2^(attempts-1), at most
 * OUTBOX_RETRY_MAX_MS, then a random jitter of up to a quarter more; never under `retry_after`
 * (the receiver's Retry-After, -1 when none). */
int64_t outbox_backoff(int64_t retry_ms, int64_t attempts, int64_t retry_after);

#endif
