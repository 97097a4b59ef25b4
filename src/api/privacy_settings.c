/*
 * privacy_settings.c - GET and PUT /v1/privacy/settings: the retailer's consent policy, the delay
 * before an erasure after a withdrawal, the retention period, the address of the public pages,
 * and what the acts of destruction name - the operator, the processor, the information system,
 * the person responsible (docs/privacy.md). The rules and their defaults live in consent/; the
 * act members are decoded by privacy/, and a PUT that completes the settings completes the draft
 * acts in its transaction.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

static json_t *settings_json(const struct privacy_settings *s)
{
    json_t *o =
        json_pack("{s:s, s:i, s:i}", "consent_policy", s->strict ? "strict" : "pending",
                  "erase_delay_days", s->erase_delay_days, "retention_years", s->retention_years);
    json_object_set_new(o, "public_url",
                        s->public_url && s->public_url[0] ? json_string(s->public_url)
                                                          : json_null());
    privacy_settings_acts_json(s, o);
    return o;
}

enum kt_rc api_privacy_settings_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct privacy_settings s;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        privacy_settings_get(rd, r->arena, &s, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, settings_json(&s));
    return KT_OK;
}

enum kt_rc api_privacy_settings_put(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {
        "consent_policy", "erase_delay_days",   "retention_years",    "public_url", "data_operator",
        "data_processor", "information_system", "responsible_person", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct store_conn *w;
    struct privacy_settings s;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = privacy_settings_get(w, r->arena, &s, err);
    static const char *const policies[] = {"strict", "pending", NULL};
    const char *policy = NULL;
    int64_t delay = s.erase_delay_days, years = s.retention_years;
    if (rc == KT_OK &&
        (jsonx_enum(body, "", "consent_policy", policies, 0, &policy, err) != KT_OK ||
         jsonx_int(body, "", "erase_delay_days", 0, 30, 0, &delay, err) != KT_OK ||
         jsonx_int(body, "", "retention_years", 0, 50, 0, &years, err) != KT_OK ||
         jsonx_str(body, "", "public_url", 200, 0, r->arena, &s.public_url, err) != KT_OK ||
         privacy_settings_decode_acts(body, &s, r->arena, err) != KT_OK)) {
        rc = err->rc;
    }
    if (rc == KT_OK && s.public_url != NULL && strncmp(s.public_url, "https://", 8) != 0 &&
        strncmp(s.public_url, "http://", 7) != 0) {
        rc = kt_err_set(err, KT_EINVAL, "invalid_value", "public_url",
                        "public_url is the http(s) address the public pages are served at");
    }
    s.strict = policy ? strcmp(policy, "strict") == 0 : s.strict;
    s.erase_delay_days = (int)delay;
    s.retention_years = (int)years;
    int64_t now = clock_now_ms(), completed = 0;
    if (rc == KT_OK) {
        rc = privacy_settings_put(w, &s, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, r->key->id, "settings", NULL, NULL, "privacy settings", r->rid, now,
                         err);
    }
    if (rc == KT_OK) { /* drafts written while the settings lacked the operator or a person */
        rc = privacy_acts_complete(w, &s, r->key->id, now, r->arena, &completed, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    json_t *reply = settings_json(&s);
    json_object_set_new(reply, "acts_completed", json_integer(completed));
    http_reply_json(r, 200, reply);
    return KT_OK;
}
