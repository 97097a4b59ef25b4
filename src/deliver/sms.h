/*
 * sms.h - the SMS sender: a background thread that posts the outbox (sms_outbox) to the SMS
 * gateway's webhook with libcurl, outside any transaction, and records each outcome. A gateway
 * that is down or slow never blocks a request: requests only queue (docs/loyalty.md).
 *
 * The request body is a template where {{phone}}, {{text}} and {{id}} are replaced by the values
 * escaped for a JSON string. A 2xx reply is sent; anything else (an error status, a timeout, a
 * refused connection) is tried again after a backoff doubling from `backoff_ms` (at most ten
 * minutes), and the message is dead after `max_attempts`. Delivery is at least once: a crash
 * between the gateway's answer and the record sends the message again on restart.
 *
 * The development sink (`sink`, serve --sms-sink) takes the gateway's place on a developer's
 * machine: each message is appended as one JSON line to a file (or standard output) and marked
 * sent, so the operator of a local server can read a one-time code without a gateway. It is
 * never on by default and cannot be combined with a gateway; the log never carries a code
 * either way. With the sink, sms_sender_wake() waits (at most SMS_SINK_WAIT_MS) until the
 * message is written, so a script can read the code as soon as the request has answered.
 */
#ifndef KT_DELIVER_SMS_H
#define KT_DELIVER_SMS_H

#include <stdbool.h>

#include "store/store.h"

struct sms_opts {
    const char *url;  /* the gateway's webhook; NULL: messages wait in the outbox */
    const char *sink; /* development only: a file ("-": stdout) receiving every message
                         instead of a gateway; NULL (the default) in production */
    const char *body; /* template of the JSON body */
    const char *auth; /* "Authorization" header value, or NULL */
    int64_t timeout_ms, backoff_ms, max_attempts;
};

#define SMS_SINK_WAIT_MS 2000

#define SMS_BODY_DEFAULT "{\"to\": \"{{phone}}\", \"text\": \"{{text}}\", \"id\": \"{{id}}\"}"

struct sms_sender;

enum kt_rc sms_sender_start(struct store *s, const struct sms_opts *o, struct sms_sender **out,
                            struct kt_err *err);
/* A message was queued: look at the outbox now instead of at the next tick. With the sink,
 * returns once the pass that writes it is done (or after SMS_SINK_WAIT_MS). */
void sms_sender_wake(struct sms_sender *x);
/* Stops after the message being sent; what is left stays queued for the next start. */
void sms_sender_stop(struct sms_sender *x);

/* One pass over the due messages: counts sent, retried and dead. `sink_fd` is where the sink
 * writes (-1 without a sink). */
enum kt_rc sms_send_due(struct store *s, const struct sms_opts *o, int sink_fd, int64_t now,
                        int *sent, int *retried, int *dead, struct kt_err *err);

/* The sink's line for one message: {"id", "at", "to", "text"} and a newline (malloc'd). */
char *sms_sink_line(const struct sms_msg *m, int64_t now);

#define SMS_MESSAGES_DAYS 90 /* the default term of sent and dead messages (--messages-days) */

/* Due work: the outbox's sent and dead messages finished more than `days` days before `now` are
 * deleted, phone and all, in short transactions, the run audited (audit_expiry_run, outbox.c).
 * Queued messages stay whatever their age. `removed` counts them. */
enum kt_rc sms_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                      struct kt_err *err);

/* ---- length and parts (sms_parts.c) --------------------------------------------------------- */

enum sms_encoding { SMS_GSM7, SMS_UCS2 };

#define SMS_GSM7_SINGLE 160 /* septets in a message that is not split */
#define SMS_GSM7_PART   153 /* septets per part of a split message */
#define SMS_UCS2_SINGLE 70  /* UTF-16 units in a message that is not split */
#define SMS_UCS2_PART   67  /* UTF-16 units per part */

/* The length of `text` (UTF-8) as an SMS: `chars` in the encoding's units (septets, an extension
 * character counting two; or UTF-16 units), the `parts` it is sent in (0 for an empty text) and
 * the `encoding`: GSM-7 when every character is in its alphabet, else UCS-2. Pure. */
void sms_parts(const char *text, int *chars, int *parts, enum sms_encoding *encoding);
/* "gsm7" or "ucs2". */
const char *sms_encoding_name(enum sms_encoding e);

/* The body of one message: `tmpl` with the values escaped for JSON strings (malloc'd). */
char *sms_body(const char *tmpl, const char *phone, const char *text, int64_t id);

#endif
