/*
 * messaging.c - GET and PUT /v1/messaging/caps: the frequency caps of the sending policy
 * (docs/messages.md, "The sending policy"). A PUT replaces the whole list in one transaction;
 * the sender sees the new version at its next claim. The rules are decoded by deliver/caps.c;
 * here a topic is checked against the declared ones. No personal data.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "deliver/caps.h"

enum kt_rc api_messaging_caps_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct cap_rule *rules = NULL;
    size_t n = 0;
    int64_t version = 0;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_caps_get(rd, r->arena, &rules, &n, &version, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, policy_caps_json(rules, n, version, r->arena));
    return KT_OK;
}

/* Every rule's topic, when it names one, is a declared topic. */
static enum kt_rc topics_known(struct store_conn *w, const struct cap_rule *rules, size_t n,
                               struct arena *a, struct kt_err *err)
{
    struct topic *all;
    size_t nt = 0;
    if (store_topic_list(w, a, &all, &nt, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (rules[i].topic != NULL && k < nt && strcmp(all[k].key, rules[i].topic) != 0) {
            k++;
        }
        if (rules[i].topic != NULL && k == nt) {
            return kt_err_set(err, KT_EINVAL, "unknown_topic",
                              arena_printf(a, "rules[%zu].topic", i),
                              "the topic is not declared (PUT /v1/topics/{name})");
        }
    }
    return KT_OK;
}

enum kt_rc api_messaging_caps_put(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct cap_rule *rules = NULL;
    size_t n = 0;
    int64_t version = 0;
    struct store_conn *w;
    if (body == NULL || policy_caps_decode(body, r->arena, &rules, &n, err) != KT_OK ||
        store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = topics_known(w, rules, n, r->arena, err);
    if (rc == KT_OK) {
        rc = store_caps_put(w, rules, n, clock_now_ms(), err);
    }
    if (rc == KT_OK) { /* the version this PUT made */
        rc = store_caps_get(w, r->arena, &rules, &n, &version, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, policy_caps_json(rules, n, version, r->arena));
    return KT_OK;
}
