/*
 * sms.h - the SMS channel of the outbox (docs/messages.md, "SMS"): the gateway's webhook, or the
 * development sink. The outbox's sender (outbox_send.c) claims the messages and records what the
 * gateway answered; this file only sends one.
 *
 * The request body is a template where {{phone}}, {{text}} and {{id}} are replaced by the values
 * escaped for a JSON string ({{id}} is the outbox's id, "m_" and hex). The reply is classified as
 * a webhook's (webhook.h): 2xx sent; 408, 429, 5xx and no answer (refused, reset, timed out)
 * temporary, tried again after --sms-backoff doubling (at most SMS_MAX_BACKOFF_MS) up to
 * --sms-attempts tries; any other status permanent (failed, "refused"). Delivery is at least
 * once: a crash between the gateway's answer and the record sends the message again on restart.
 *
 * The development sink (`sink`, serve --sms-sink) takes the gateway's place on a developer's
 * machine: each message is appended as one JSON line to a file (or standard output), so the
 * operator of a local server can read a one-time code without a gateway. It is never on by
 * default and cannot be combined with a gateway; the log never carries a code either way. With
 * the sink, the request that queued a code waits (at most SMS_SINK_WAIT_MS) until it is written,
 * so a script can read the code as soon as the request has answered.
 */
#ifndef KT_DELIVER_SMS_H
#define KT_DELIVER_SMS_H

#include <stdbool.h>

#include "auth/keys.h"
#include "deliver/deliver.h"
#include "store/store.h"

struct sms_opts {
    const char *url;  /* the gateway's webhook; NULL: messages wait in the outbox */
    const char *sink; /* development only: a file ("-": stdout) receiving every message
                         instead of a gateway; NULL (the default) in production */
    const char *body; /* template of the JSON body */
    const char *auth; /* "Authorization" header value, or NULL */
    int64_t timeout_ms, backoff_ms, max_attempts;
};

#define SMS_SINK_WAIT_MS   2000
#define SMS_MAX_BACKOFF_MS (10 * 60 * 1000) /* no retry of an SMS waits longer */

#define SMS_BODY_DEFAULT "{\"to\": \"{{phone}}\", \"text\": \"{{text}}\", \"id\": \"{{id}}\"}"

/* A sender of SMS: the gateway's connection or the sink's file. One thread at a time. */
struct sms_gw;

/* NULL in *out and no error when neither a gateway nor a sink is named (SMS wait queued); an
 * error when both are, or the sink's file cannot be opened (created 0600: it holds codes). */
enum kt_rc sms_gw_new(const struct sms_opts *o, struct sms_gw **out, struct kt_err *err);
void sms_gw_free(struct sms_gw *g);
/* Whether messages go to the development sink (the waker waits for them). */
bool sms_gw_sink(const struct sms_gw *g);

/* Sends message `id` to `phone`. */
void sms_gw_send(struct sms_gw *g, const char *id, const char *phone, const char *text, int64_t now,
                 struct deliver_result *res);

/* The sink's line for one message: {"id", "at", "to", "text"} and a newline (malloc'd). */
char *sms_sink_line(const char *id, const char *phone, const char *text, int64_t now);

/* A marketing SMS as it goes (docs/messages.md, "SMS"): `text`, then on a line of its own the
 * sender's name and the opt-out link, "<text>\n<sender>. Отказ: <unsubscribe_url>" (in `a`). */
#define SMS_OPT_OUT "Отказ: "
const char *sms_marketing_text(const char *text, const char *sender, const char *unsubscribe_url,
                               struct arena *a);

/* The opt-out link of a marketing message by `channel` ("email", "sms") of `topic` to customer
 * `customer_id`: the unsubscribe page under the privacy settings' public_url
 * (deliver_unsubscribe_url). KT_EINVAL public_url_required without public_url, and for SMS
 * sms_sender_required without a `sender` (serve's --sms-sender): a marketing message is never sent
 * bare. */
enum kt_rc deliver_optout_url(struct store_conn *c, const struct key_secret *k, const char *channel,
                              const char *sender, const char *customer_id, const char *topic,
                              struct arena *a, const char **url, struct kt_err *err);

/* The body of one message: `tmpl` with the values escaped for JSON strings (malloc'd). */
char *sms_body(const char *tmpl, const char *phone, const char *text, const char *id);

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

#endif
