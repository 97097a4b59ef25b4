/*
 * topics.c - /v1/topics: what the retailer sends about ("promotions", "new arrivals"), each by
 * the advertising channels it uses; customers subscribe per topic and channel (docs/privacy.md).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "consent/consent.h"

#define TEXT_MAX 200
#define NOTE_MAX 2000

static json_t *topic_json(struct arena *a, const struct topic *t)
{
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s}", "name", t->key, "title", t->title,
                          "channels", json_loads(t->channels, 0, NULL), "created_at",
                          api_time(a, t->created_at), "updated_at", api_time(a, t->updated_at));
    json_object_set_new(o, "description",
                        t->description ? json_string(t->description) : json_null());
    return o;
}

static const struct topic *topic_find(const struct topic *all, size_t n, const char *key)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(all[k].key, key) == 0) {
            return &all[k];
        }
    }
    return NULL;
}

enum kt_rc api_topics_put(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"title", "description", "channels", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct topic t;
    memset(&t, 0, sizeof(t));
    struct store_conn *w;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    t.key = r->params[0];
    if (!consent_key_valid(t.key)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a topic's name is 1-40 of a-z, 0-9, '_' and '-'");
    }
    const json_t *ch = NULL;
    if (jsonx_str(body, "", "title", TEXT_MAX, JSONX_REQUIRED, r->arena, &t.title, err) != KT_OK ||
        jsonx_str(body, "", "description", NOTE_MAX, 0, r->arena, &t.description, err) != KT_OK ||
        jsonx_array(body, "", "channels", 1, ADS_CHANNELS, JSONX_REQUIRED, &ch, err) != KT_OK) {
        return err->rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ch, i, v)
    {
        const char *word;
        if (jsonx_enum_at(v, arena_printf(r->arena, "channels[%zu]", i), ads_channels,
                          JSONX_REQUIRED, &word, err) != KT_OK) {
            return err->rc;
        }
    }
    char *chs = json_dumps(ch, JSON_COMPACT);
    t.channels = arena_strdup(r->arena, chs);
    free(chs);
    t.created_at = t.updated_at = clock_now_ms();
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct topic *all;
    size_t n = 0;
    /* 201 when the topic is new, 200 when it is replaced, as attributes answer. */
    enum kt_rc rc = store_topic_list(w, r->arena, &all, &n, err);
    bool existed = rc == KT_OK && topic_find(all, n, t.key) != NULL;
    if (rc == KT_OK) {
        rc = store_topic_put(w, &t, err);
    }
    if (rc == KT_OK) {
        rc = store_topic_list(w, r->arena, &all, &n, err);
    }
    const struct topic *now_t = rc == KT_OK ? topic_find(all, n, t.key) : NULL;
    json_t *o = now_t ? topic_json(r->arena, now_t) : NULL;
    if (store_write_end(w, rc, err) != KT_OK) {
        json_decref(o);
        return err->rc;
    }
    http_reply_json(r, existed ? 200 : 201, o);
    return KT_OK;
}

enum kt_rc api_topics_list(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct topic *t;
    size_t n;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_topic_list(rd, r->arena, &t, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, topic_json(r->arena, &t[i]));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
    return KT_OK;
}
