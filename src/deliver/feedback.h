/*
 * feedback.h - what became of a message after it was sent, as data (docs/messages.md,
 * "Feedback"): an open (the pixel), a click (a tracked link), and what a provider's callback says
 * (delivered, bounced hard or soft, complained of).
 *
 * Each is recorded once per message (a click once per message and link, a bounce once per kind):
 * the outbox row moves (sent -> delivered, sent or delivered -> bounced), a behaviour event is
 * stored on the customer with channel "message" (email_delivered, sms_delivered, email_open,
 * email_click, message_bounced, spam_complaint; properties.message_id, url, bounce), a hard
 * bounce marks the address undeliverable (the policy then refuses it, "undeliverable"), and a
 * complaint withdraws the ads consent of the message's channel with the message as evidence.
 * A customer since erased gets no event and nothing marked; a blocked one's event is not stored.
 */
#ifndef KT_DELIVER_FEEDBACK_H
#define KT_DELIVER_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "store/store.h"

enum feedback_what {
    FEEDBACK_DELIVERED,  /* the provider handed it to the mailbox or phone */
    FEEDBACK_OPEN,       /* the pixel was fetched */
    FEEDBACK_CLICK,      /* a tracked link was followed */
    FEEDBACK_BOUNCED,    /* the provider could not deliver it: hard or soft */
    FEEDBACK_COMPLAINED, /* the recipient marked it as spam */
};

struct feedback_in {
    enum feedback_what what;
    const char *message_id; /* the outbox id */
    const char *url;        /* FEEDBACK_CLICK: the link's URL */
    bool hard;              /* FEEDBACK_BOUNCED: the address does not exist (else soft) */
    int64_t at;             /* ms, when it happened */
    const char *reason;     /* FEEDBACK_BOUNCED: the provider's words, or NULL */
};

/* Who reported it: a complaint's withdrawal names them (NULL on the public routes). */
struct feedback_by {
    const char *key_id;
    const char *request_id;
};

enum feedback_outcome {
    FEEDBACK_RECORDED,  /* new: recorded as above */
    FEEDBACK_DUPLICATE, /* recorded before: nothing done */
    FEEDBACK_UNKNOWN,   /* no message has that id (or it expired) */
    FEEDBACK_NOT_SENT,  /* the message never went out (queued, suppressed, failed) */
};

/* "delivered", "open", "click", "bounced", "complained". */
const char *feedback_what_name(enum feedback_what w);

/* Records `in` in the caller's write transaction (see above). An error only when the store
 * fails; `out` says what became of it. */
enum kt_rc feedback_record(struct store_conn *w, const struct key_secret *k,
                           const struct feedback_in *in, const struct feedback_by *by, int64_t now,
                           struct arena *a, enum feedback_outcome *out, struct kt_err *err);

/* Whether `in` was recorded before: a read, so the public routes write nothing for a pixel
 * fetched again. */
enum kt_rc feedback_seen(struct store_conn *c, const struct key_secret *k,
                         const struct feedback_in *in, struct arena *a, bool *seen,
                         struct kt_err *err);

#endif
