/*
 * stores.c - /v1/stores: the retailer's stores by the code the tills send, each with its city and
 * IANA time zone, the zone their customers' local time is taken from (docs/messages.md, "Local
 * time"). A zone is checked against the tz database when put (422 invalid_time_zone); left out,
 * it is the city's, when the city is on the shipped list.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/tz.h"
#include "clean/clean.h"

#define CODE_MAX     64 /* as a receipt's store (loyalty/purchase.c) */
#define NAME_MAX_LEN 200

static json_t *store_json(struct arena *a, const struct shop *s)
{
    return json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}", "code", s->code, "title", s->title, "city",
                     s->city, "time_zone", s->time_zone, "created_at", api_time(a, s->created_at),
                     "updated_at", api_time(a, s->updated_at));
}

static bool code_ok(const char *code)
{
    size_t n = strlen(code);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)code[i] <= ' ' || code[i] == 0x7f) {
            return false;
        }
    }
    return n > 0 && n <= CODE_MAX;
}

/* The body of a PUT into s: title, city (cleaned), time_zone (checked; else the city's). */
static enum kt_rc store_decode(struct http_req *r, struct shop *s, struct kt_err *err)
{
    static const char *const known[] = {"title", "city", "time_zone", NULL};
    json_t *body = api_own(r->arena, http_req_json(r, err));
    const char *city = NULL;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_str(body, "", "title", NAME_MAX_LEN, 0, r->arena, &s->title, err) != KT_OK ||
        jsonx_str(body, "", "city", NAME_MAX_LEN, 0, r->arena, &city, err) != KT_OK ||
        jsonx_str(body, "", "time_zone", TZ_NAME_MAX - 1, 0, r->arena, &s->time_zone, err) !=
            KT_OK) {
        return err->rc;
    }
    if (city != NULL) {
        struct clean_out c;
        clean_city(city, strlen(city), r->arena, &c);
        if (c.verdict == CLEAN_INVALID) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", "city", "'city' is not a city");
        }
        s->city = c.value;
    }
    if (s->time_zone == NULL) {
        s->time_zone = s->city ? clean_city_zone(s->city, r->arena) : NULL;
        if (s->time_zone == NULL) {
            return kt_err_set(err, KT_EINVAL, "missing_field", "time_zone",
                              "'time_zone' is required when the city gives none");
        }
    }
    const struct tz *z;
    return tz_find(s->time_zone, "time_zone", &z, err);
}

/* PUT /v1/stores/{code}: 201 when the code is new, 200 when replaced. */
enum kt_rc api_stores_put(struct http_req *r, struct kt_err *err)
{
    struct shop s;
    memset(&s, 0, sizeof(s));
    s.code = r->params[0];
    if (!code_ok(s.code)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "code",
                          "a store's code is 1-64 bytes without spaces or control characters");
    }
    if (store_decode(r, &s, err) != KT_OK) {
        return err->rc;
    }
    s.created_at = s.updated_at = clock_now_ms();
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    struct shop now_s;
    bool existed = false, found = false;
    enum kt_rc rc = store_shop_get(w, s.code, r->arena, &now_s, &existed, err);
    if (rc == KT_OK) {
        rc = store_shop_put(w, &s, err);
    }
    if (rc == KT_OK) {
        rc = store_shop_get(w, s.code, r->arena, &now_s, &found, err);
    }
    json_t *o = rc == KT_OK && found ? store_json(r->arena, &now_s) : NULL;
    if (store_write_end(w, rc, err) != KT_OK) {
        json_decref(o);
        return err->rc;
    }
    http_reply_json(r, existed ? 200 : 201, o);
    return KT_OK;
}

enum kt_rc api_stores_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct shop s;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_shop_get(rd, r->params[0], r->arena, &s, NULL, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, store_json(r->arena, &s));
    return KT_OK;
}

enum kt_rc api_stores_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct store_conn *rd;
    struct shop *s;
    size_t n;
    int limit;
    const char *cursor;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK ||
        api_cursor(r, "stores", "", &cursor, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK ||
        store_shop_list(rd, cursor, (size_t)limit, r->arena, &s, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, store_json(r->arena, &s[i]));
    }
    http_reply_json(
        r, 200,
        json_pack("{s:o, s:o}", "items", items, "next_cursor",
                  api_next_cursor(r, "stores", "", n == (size_t)limit ? s[n - 1].code : NULL)));
    return KT_OK;
}
