/*
 * subscriptions.c - a customer's subscriptions (GET and POST /v1/customers/{id}/subscriptions)
 * and whether a message may go to them now (GET .../may-send). Subscribing needs the advertising
 * consent of the channel; the rules live in consent/subs.c (docs/privacy.md).
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"

enum kt_rc api_subs_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct customer cu;
    json_t *o = NULL;
    if (http_req_reader(r, &rd, err) == KT_OK && api_path_customer(r, rd, &cu, err) == KT_OK) {
        o = subs_states_json(rd, &cu, clock_now_ms(), r->arena, err);
    }
    if (o == NULL) {
        return err->rc;
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_SUBSCRIPTIONS);
    http_reply_json(r, 200, o);
    return KT_OK;
}

enum kt_rc api_subs_post(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"source", "topic", "channel", "subscribed", NULL};
    int64_t now = clock_now_ms();
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct consent_actor who;
    const char *topic = NULL, *channel;
    struct store_conn *w;
    struct customer cu;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        !api_consent_actor(r, body, &who, err) ||
        jsonx_str(body, "", "topic", 40, 0, r->arena, &topic, err) != KT_OK) {
        return err->rc;
    }
    bool subscribed = false;
    channel = NULL;
    if (jsonx_enum(body, "", "channel", ads_channels, 0, &channel, err) != KT_OK ||
        jsonx_bool(body, "", "subscribed", JSONX_REQUIRED, &subscribed, err) != KT_OK) {
        return err->rc;
    }
    if (subscribed && (topic == NULL || channel == NULL)) {
        return kt_err_set(err, KT_EINVAL, "missing_field", topic ? "channel" : "topic",
                          "a subscription names one topic and one channel; unsubscribing may name "
                          "neither (everything)");
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    int changed = 0;
    json_t *o = NULL;
    enum kt_rc rc = api_path_customer(r, w, &cu, err);
    who.subject = cu.id;
    if (rc == KT_OK) {
        rc = subs_set(w, cu.ck, topic, channel, subscribed, "api", &who, now, &changed, err);
    }
    if (rc == KT_OK) {
        o = subs_states_json(w, &cu, now, r->arena, err);
        rc = o ? KT_OK : err->rc;
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        json_decref(o);
        return err->rc;
    }
    json_object_set_new(o, "changed", json_integer(changed));
    api_audit_note(r, "read", cu.id, AUDIT_F_SUBSCRIPTIONS); /* the reply shows them all */
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* ?channel=&topic= of may-send and unsubscribe-link; both required when `required`. */
enum kt_rc api_channel_topic(struct http_req *r, bool required, const char **channel,
                             const char **topic, struct kt_err *err)
{
    static const char *const allowed[] = {"channel", "topic", NULL};
    *channel = http_req_query(r, "channel");
    *topic = http_req_query(r, "topic");
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    bool ch_ok = *channel ? ads_channel_valid(*channel) : !required;
    bool t_ok = *topic ? consent_key_valid(*topic) : !required;
    if (!ch_ok || !t_ok) {
        kt_err_set(err, KT_EBADREQ, "bad_parameter", ch_ok ? "topic" : "channel",
                   required ? "name the channel (sms, email, push, messenger, phone_call) and the "
                              "topic"
                            : "channel is sms, email, push, messenger or phone_call; topic a "
                              "topic's name");
        return KT_EBADREQ;
    }
    return KT_OK;
}

enum kt_rc api_may_send(struct http_req *r, struct kt_err *err)
{
    const char *channel, *topic;
    struct store_conn *rd;
    struct customer cu;
    const char *reason = NULL;
    if (api_channel_topic(r, true, &channel, &topic, err) != KT_OK) {
        return err->rc;
    }
    if (http_req_reader(r, &rd, err) != KT_OK || api_path_customer(r, rd, &cu, err) != KT_OK ||
        consent_may_send(rd, &cu, channel, topic, clock_now_ms(), r->arena, &reason, err) !=
            KT_OK) {
        return err->rc;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "customer_id", cu.id, "channel", channel, "topic",
                          topic, "allowed", reason == NULL);
    if (reason) {
        json_object_set_new(o, "reason", json_string(reason));
    }
    api_audit_note(r, "read", cu.id, AUDIT_F_CONSENTS | AUDIT_F_SUBSCRIPTIONS);
    http_reply_json(r, 200, o);
    return KT_OK;
}
