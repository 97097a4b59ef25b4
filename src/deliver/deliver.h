/*
 * deliver.h - what every channel of deliver/ answers: the outcome of one send, classified so the
 * outbox knows whether to retry (docs/messages.md, "Channels").
 *
 * A channel never decides about retries itself: it says sent, temporary (try again later: a 4xx
 * from an SMTP server, an HTTP 429 or 5xx, a refused connection, a timeout, our own credentials
 * refused) or permanent (the receiver refused this message for good: an SMTP 5xx, an HTTP 4xx
 * other than 429). The reply's code and text travel with it; the text is scrubbed of anything
 * shaped like an e-mail address, so it may be logged and stored beside the message's id.
 */
#ifndef KT_DELIVER_DELIVER_H
#define KT_DELIVER_DELIVER_H

#include <stddef.h>
#include <stdint.h>

enum deliver_class {
    DELIVER_SENT,      /* the receiver took the message */
    DELIVER_TEMPORARY, /* try again later (after retry_after_ms when it is >= 0) */
    DELIVER_PERMANENT, /* never try this message again */
};

struct deliver_result {
    enum deliver_class cls;
    int code;               /* the SMTP reply code or HTTP status; 0 when none came (no connection,
                               a timeout, a message refused before sending) */
    char text[200];         /* the reply's text or why it failed; no e-mail address in it */
    int64_t retry_after_ms; /* HTTP Retry-After, ms from the reply; -1 when none was given */
};

/* "sent", "temporary", "permanent". */
const char *deliver_class_name(enum deliver_class c);

/* Sets a result; `text` is copied (truncated to fit), scrubbed of e-mail addresses. */
void deliver_result_set(struct deliver_result *r, enum deliver_class cls, int code,
                        const char *text);

/* Replaces every word holding an '@' in `s` (in place) by "<address>", turns CR and LF into
 * spaces and cuts the trailing ones. */
void deliver_scrub(char *s, size_t size);

/* The identifier kind of a channel's addresses ("email", "phone" for sms), or NULL (push and
 * webhook have none): the kind an undeliverable address is marked under (feedback.h). */
const char *deliver_address_kind(const char *channel);

#endif
