/*
 * feedback.c - a message's feedback recorded once, as an event on its customer, with its
 * consequences (see feedback.h).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "consent/consent.h"
#include "deliver/deliver.h"
#include "deliver/feedback.h"
#include "events/events.h"

const char *feedback_what_name(enum feedback_what w)
{
    static const char *const names[] = {"delivered", "open", "click", "bounced", "complained"};
    return names[w];
}

/* What tells two pieces of one kind apart: a click's link (a keyed hash of its URL, so the table
 * holds no link that could name someone), a bounce's kind; else "". */
static const char *detail_of(const struct key_secret *k, const struct feedback_in *in,
                             struct arena *a)
{
    if (in->what == FEEDBACK_BOUNCED) {
        return in->hard ? "hard" : "soft";
    }
    if (in->what != FEEDBACK_CLICK || in->url == NULL) {
        return "";
    }
    static const char ctx[] = "kartoteka/feedback/link/v1";
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->k, sizeof(k->k), sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof(ctx) - 1);
    crypto_generichash_update(&st, (const unsigned char *)in->url, strlen(in->url));
    crypto_generichash_final(&st, h, sizeof(h));
    char *hex = arena_alloc(a, 2 * sizeof(h) + 1);
    sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
    return hex;
}

enum kt_rc feedback_seen(struct store_conn *c, const struct key_secret *k,
                         const struct feedback_in *in, struct arena *a, bool *seen,
                         struct kt_err *err)
{
    return store_feedback_seen(c, in->message_id, feedback_what_name(in->what), detail_of(k, in, a),
                               seen, err);
}

/* The event's type for a message of `channel`, or NULL (push and webhook deliveries have none). */
static const char *event_type(const struct feedback_in *in, const char *channel)
{
    switch (in->what) {
    case FEEDBACK_DELIVERED:
        return strcmp(channel, "email") == 0 ? "email_delivered"
               : strcmp(channel, "sms") == 0 ? "sms_delivered"
                                             : NULL;
    case FEEDBACK_OPEN:
        return "email_open";
    case FEEDBACK_CLICK:
        return "email_click";
    case FEEDBACK_BOUNCED:
        return "message_bounced";
    case FEEDBACK_COMPLAINED:
        return "spam_complaint";
    }
    return NULL;
}

static enum kt_rc add_event(struct store_conn *w, const struct feedback_in *in,
                            const struct outbox_msg *m, int64_t now, struct arena *a,
                            struct kt_err *err)
{
    const char *type = event_type(in, m->channel);
    if (type == NULL) {
        return KT_OK;
    }
    json_t *p = json_pack("{s:s}", "message_id", m->id);
    if (in->what == FEEDBACK_CLICK) {
        json_object_set_new(p, "url", json_string(in->url));
    } else if (in->what == FEEDBACK_BOUNCED) {
        json_object_set_new(p, "bounce", json_string(in->hard ? "hard" : "soft"));
    }
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    const char *props = arena_strdup(a, text);
    free(text);
    bool stored;
    return events_add_own(w, m->ck, type, "message", props, in->at, now, &stored, err);
}

/* The row's new state, when the feedback moves it. */
static enum kt_rc move(struct store_conn *w, const struct feedback_in *in, struct outbox_msg *m,
                       int64_t now, struct kt_err *err)
{
    bool sent = strcmp(m->state, "sent") == 0;
    struct deliver_result r; /* the reason as stored: cut and scrubbed of addresses */
    if (in->what == FEEDBACK_DELIVERED && sent) {
        m->state = "delivered";
    } else if (in->what == FEEDBACK_BOUNCED && (sent || strcmp(m->state, "delivered") == 0)) {
        m->state = "bounced";
        m->reason = in->hard ? "hard_bounce" : "soft_bounce";
        if (in->reason != NULL) {
            deliver_result_set(&r, DELIVER_PERMANENT, 0, in->reason);
            m->reply_text = r.text;
            m->reply_code = 0;
        }
    } else {
        return KT_OK;
    }
    m->updated_at = now;
    return store_outbox_update(w, m, err);
}

/* A complaint: the ads consent of the message's channel withdrawn, the message its evidence. */
static enum kt_rc withdraw(struct store_conn *w, const struct feedback_in *in,
                           const struct outbox_msg *m, const struct feedback_by *by, int64_t now,
                           struct arena *a, struct kt_err *err)
{
    struct customer cu;
    bool found = false;
    if (!ads_channel_valid(m->channel)) {
        return KT_OK;
    }
    enum kt_rc rc = store_customer_get(w, m->ck, a, &cu, &found, err);
    if (rc != KT_OK || !found || cu.erased_at != 0) {
        return rc;
    }
    struct consent_input c = {.purpose = "ads",
                              .channel = m->channel,
                              .granted = false,
                              .at = in->at,
                              .message_id = m->id};
    struct consent_actor who = {.source = "complaint",
                                .key_id = by ? by->key_id : NULL,
                                .request_id = by ? by->request_id : NULL,
                                .subject = cu.id};
    return consent_record(w, m->ck, &c, 1, &who, now, NULL, err);
}

static bool was_sent(const struct outbox_msg *m)
{
    return m->sent_at != 0 || strcmp(m->state, "sent") == 0 || strcmp(m->state, "delivered") == 0 ||
           strcmp(m->state, "bounced") == 0;
}

enum kt_rc feedback_record(struct store_conn *w, const struct key_secret *k,
                           const struct feedback_in *in, const struct feedback_by *by, int64_t now,
                           struct arena *a, enum feedback_outcome *out, struct kt_err *err)
{
    struct outbox_msg m;
    bool found = false, created = false;
    *out = FEEDBACK_UNKNOWN;
    enum kt_rc rc = store_outbox_get(w, in->message_id, a, &m, &found, err);
    if (rc != KT_OK || !found) {
        return rc;
    }
    if (!was_sent(&m)) {
        *out = FEEDBACK_NOT_SENT;
        return KT_OK;
    }
    rc = store_feedback_add(w, m.id, feedback_what_name(in->what), detail_of(k, in, a), in->at,
                            &created, err);
    if (rc != KT_OK || !created) {
        *out = FEEDBACK_DUPLICATE;
        return rc;
    }
    *out = FEEDBACK_RECORDED;
    if ((rc = move(w, in, &m, now, err)) != KT_OK) {
        return rc;
    }
    if (m.recipient == NULL && strcmp(m.channel, "push") != 0) {
        return KT_OK; /* erased since: her key is shredded, nothing is hers to record */
    }
    if ((rc = add_event(w, in, &m, now, a, err)) != KT_OK) {
        return rc;
    }
    const char *kind = deliver_address_kind(m.channel);
    if (in->what == FEEDBACK_BOUNCED && in->hard && kind != NULL && m.recipient != NULL) {
        return store_undeliverable_add(w, kind, m.recipient, m.ck, m.id, "hard_bounce", in->at,
                                       err);
    }
    if (in->what == FEEDBACK_COMPLAINED) {
        return withdraw(w, in, &m, by, now, a, err);
    }
    return KT_OK;
}
