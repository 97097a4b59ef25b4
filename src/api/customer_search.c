/*
 * customer_search.c - the search by name (issue 15: the console's customer search, "as the till
 * writes them"):
 *
 *   GET /v1/customers?full_name=Иванова Анна Петровна[&birth_date=1990-05-17][&limit=20][&cursor=]
 *
 * The name is cleaned as a profile's name is (clean_full_name: any order of the parts, any case,
 * "ё" as "е", Latin transliterated) into its name key, and the customers holding that key are
 * found through its blind index (names are sealed at rest, so nothing else can be compared): the
 * whole key, patronymic included - no prefix, no typo, no name without its first name. Namesakes
 * are a list, in the order they came into the base; a birth date narrows it. docs/api.md,
 * "Search by name".
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "clean/clean.h"

#define PAGE_MAX 200

/* The name key of `raw`, or a 400 naming the parameter. */
static enum kt_rc name_key(struct http_req *r, const char *raw, const char **key,
                           struct kt_err *err)
{
    struct clean_name nm;
    clean_full_name(raw, strlen(raw), r->arena, &nm);
    *key = nm.out.verdict == CLEAN_INVALID ? NULL
                                           : clean_name_key(nm.last, nm.first, nm.middle, r->arena);
    if (*key == NULL) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "full_name",
                          "a search by name needs a surname and a first name (and the "
                          "patronymic when the customer has one), in letters");
    }
    return KT_OK;
}

static enum kt_rc birth_date(struct http_req *r, const char **out, struct kt_err *err)
{
    const char *raw = http_req_query(r, "birth_date");
    *out = NULL;
    if (raw == NULL) {
        return KT_OK;
    }
    struct clean_out t;
    clean_birth_date(raw, strlen(raw), clock_now_ms() / 86400000, r->arena, &t);
    if (t.verdict == CLEAN_INVALID) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "birth_date",
                          "birth_date is a date of birth (YYYY-MM-DD)");
    }
    *out = t.value;
    return KT_OK;
}

/* Appends to `items` the customers of `cks` the caller may see, up to `limit` items; `last` is
 * the key of the last one looked at, `*seen` how many were. */
static enum kt_rc show(struct http_req *r, struct store_conn *rd, const int64_t *cks, size_t n,
                       int limit, json_t *items, int64_t *last, size_t *seen, struct kt_err *err)
{
    for (*seen = 0; *seen < n && json_array_size(items) < (size_t)limit; (*seen)++) {
        size_t i = *seen;
        struct customer cu;
        *last = cks[i];
        if (store_customer_get(rd, cks[i], r->arena, &cu, NULL, err) != KT_OK) {
            return err->rc;
        }
        json_t *view = api_customer_found(r, rd, &cu, "full_name", err);
        if (view == NULL && err->rc == KT_ELOCKED) {
            kt_err_reset(err); /* a namesake whose processing is blocked: left out, noted */
        } else if (view == NULL && err->rc != KT_OK) {
            return err->rc;
        }
        if (view != NULL) {
            json_array_append_new(items, view);
        }
    }
    return KT_OK;
}

enum kt_rc api_customers_by_name(struct http_req *r, const char *name, struct kt_err *err)
{
    int limit;
    int64_t after = 0;
    const char *key, *birth;
    struct store_conn *rd;
    if (api_limit(r, 20, PAGE_MAX, &limit, err) != KT_OK ||
        api_cursor_num(r, "customers_by_name", "", &after, err) != KT_OK ||
        name_key(r, name, &key, err) != KT_OK || birth_date(r, &birth, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    bool more = true;
    /* a key limited to stores sees only its stores' namesakes: pages are read until the reply
     * is full or the namesakes run out */
    while (more && json_array_size(items) < (size_t)limit) {
        int64_t *cks;
        size_t n, seen;
        if (store_customer_by_name(rd, key, birth, after, limit, r->arena, &cks, &n, err) !=
                KT_OK ||
            show(r, rd, cks, n, limit, items, &after, &seen, err) != KT_OK) {
            json_decref(items);
            return err->rc;
        }
        more = seen < n || n == (size_t)limit;
    }
    const char *pos = more ? arena_printf(r->arena, "%lld", (long long)after) : NULL;
    json_t *next = api_next_cursor(r, "customers_by_name", "", pos);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
    return KT_OK;
}
