/*
 * view.c - consent, subscriptions and the purposes of processing as documents show them: the
 * API's replies, the evidence file and the export of everything held (152-FZ art. 14). The
 * derived states come from consent.c and subs.c; this file only lays them out.
 */
#include <string.h>

#include "base/clock.h"
#include "consent/consent.h"

json_t *consent_event_json(struct arena *a, const struct consent_event *e)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "purpose", e->purpose, "action", e->action,
                          "at", time_rfc3339(a, e->at), "recorded_at",
                          time_rfc3339(a, e->recorded_at), "source", e->source);
    if (e->channel[0]) {
        json_object_set_new(o, "channel", json_string(e->channel));
    }
    if (e->doc_key) {
        json_object_set_new(o, "document",
                            json_pack("{s:s, s:I, s:s}", "name", e->doc_key, "version",
                                      (json_int_t)e->doc_version, "sha256", e->doc_sha256));
    }
    if (e->expires_at) {
        json_object_set_new(o, "expires_at", json_string(time_rfc3339(a, e->expires_at)));
    }
    json_t *ev = json_object();
    const char *names[] = {"store",      "operator",    "form_id",   "otp_id",
                           "paper_form", "legal_basis", "ip",        "user_agent",
                           "key_id",     "request_id",  "message_id"};
    const char *vals[] = {e->store_id,   e->operator_id, e->form_id,   e->otp_id,
                          e->paper_form, e->legal_basis, e->ip,        e->user_agent,
                          e->key_id,     e->request_id,  e->message_id};
    for (size_t i = 0; i < 11; i++) {
        if (vals[i] != NULL) {
            json_object_set_new(ev, names[i], json_string(vals[i]));
        }
    }
    json_object_set_new(o, "evidence", ev);
    return o;
}

json_t *consent_states_json(struct store_conn *c, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err)
{
    struct consent_state *s;
    size_t n;
    if (consent_states(c, cu->ck, now, a, &s, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s}", "purpose", s[i].purpose, "state", s[i].state);
        if (s[i].channel[0]) {
            json_object_set_new(o, "channel", json_string(s[i].channel));
        }
        if (s[i].last) {
            json_object_set_new(o, "since", json_string(time_rfc3339(a, s[i].last->at)));
            if (s[i].last->doc_key) {
                json_object_set_new(o, "document",
                                    json_string(arena_printf(a, "%s@%lld", s[i].last->doc_key,
                                                             (long long)s[i].last->doc_version)));
            }
        }
        if (s[i].expires_at) {
            json_object_set_new(o, "expires_at", json_string(time_rfc3339(a, s[i].expires_at)));
        }
        json_array_append_new(items, o);
    }
    const struct consent_state *pd = consent_find(s, n, "pd_processing", "");
    return json_pack("{s:s, s:b, s:o}", "customer_id", cu->id, "consent_pending",
                     strcmp(pd->state, "pending") == 0, "items", items);
}

json_t *subs_states_json(struct store_conn *c, const struct customer *cu, int64_t now,
                         struct arena *a, struct kt_err *err)
{
    struct sub_state *s;
    size_t n;
    if (subs_states(c, cu->ck, now, a, &s, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "topic", s[i].topic, "channel", s[i].channel,
                              "subscribed", s[i].subscribed, "active", s[i].active);
        if (s[i].inactive) {
            json_object_set_new(o, "inactive_because", json_string(s[i].inactive));
        }
        if (s[i].at) {
            json_object_set_new(o, "since", json_string(time_rfc3339(a, s[i].at)));
        }
        json_array_append_new(items, o);
    }
    return json_pack("{s:s, s:o}", "customer_id", cu->id, "items", items);
}

json_t *consent_purposes_json(void)
{
    return json_pack(
        "[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "purpose",
        "pd_processing", "what",
        "the loyalty programme: identifying the customer, points, "
        "purchase history",
        "retention",
        "until consent is withdrawn (erased within the "
        "retailer's delay, at most 30 days) or the retention period without activity ends",
        "purpose", "ads", "what",
        "advertising messages by the channels consented to (38-FZ "
        "art. 18)",
        "retention", "until withdrawn; withdrawal stops messages at once", "purpose",
        "third_party_transfer", "what",
        "transfer to the third parties named in the "
        "document",
        "retention", "until withdrawn", "purpose", "distribution", "what",
        "making data public (152-FZ art. 10.1)", "retention", "until withdrawn");
}
