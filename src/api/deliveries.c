/*
 * deliveries.c - the e-mail and SMS providers' callbacks (docs/messages.md, "Feedback"):
 *
 *   POST /v1/deliveries/status   {"deliveries": [{"message_id": "m_...", "status": "delivered"
 *                                 | "bounced" | "complained", "bounce": "hard" | "soft",
 *                                 "at": "...", "reason": "..."}]}
 *
 * A key of scope `deliveries` (or admin). Each item is answered on its own, as a batch of events
 * is: `recorded`, `duplicate` (the same callback again: nothing done), or `refused` with the
 * reason (an item the decoder refuses, `message_not_found`, `message_not_sent`) - a refused item
 * never stops the others. The batch is one write transaction: a store failure records none.
 */
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "deliver/feedback.h"

#define DELIVERIES_MAX 1000 /* items of one callback */
#define REASON_MAX     1000 /* bytes of a provider's reason (stored cut to 200, scrubbed) */

static const char *const statuses[] = {"delivered", "bounced", "complained", NULL};
static const char *const bounces[] = {"hard", "soft", NULL};

/* One item into `in`; `path` is "deliveries[i]". */
static enum kt_rc decode(const json_t *o, const char *path, int64_t now, struct arena *a,
                         struct feedback_in *in, struct kt_err *err)
{
    static const char *const known[] = {"message_id", "status", "bounce", "at", "reason", NULL};
    const char *status = NULL, *bounce = NULL;
    memset(in, 0, sizeof(*in));
    if (!json_is_object(o)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", path, "an item is an object");
    }
    if (json_only_members(o, known, path, a, err) != KT_OK ||
        jsonx_str(o, path, "message_id", 64, JSONX_REQUIRED, a, &in->message_id, err) != KT_OK ||
        jsonx_enum(o, path, "status", statuses, JSONX_REQUIRED, &status, err) != KT_OK ||
        jsonx_enum(o, path, "bounce", bounces, 0, &bounce, err) != KT_OK ||
        jsonx_time(o, path, "at", now, 0, &in->at, err) != KT_OK ||
        jsonx_str(o, path, "reason", REASON_MAX, 0, a, &in->reason, err) != KT_OK) {
        return err->rc;
    }
    bool bounced = strcmp(status, "bounced") == 0;
    if (bounced != (bounce != NULL)) {
        return kt_err_set(err, KT_EINVAL, bounced ? "missing_field" : "unexpected_field",
                          arena_printf(a, "%s.bounce", path),
                          "a bounce says hard or soft, and only a bounce does");
    }
    in->what = bounced                            ? FEEDBACK_BOUNCED
               : strcmp(status, "delivered") == 0 ? FEEDBACK_DELIVERED
                                                  : FEEDBACK_COMPLAINED;
    in->hard = bounce != NULL && strcmp(bounce, "hard") == 0;
    in->at = in->at ? in->at : now;
    return KT_OK;
}

enum kt_rc api_deliveries_status(struct http_req *r, struct kt_err *err)
{
    static const char *const known[] = {"deliveries", NULL};
    static const char *const names[] = {"recorded", "duplicate", "refused"};
    int64_t now = clock_now_ms();
    const json_t *items = NULL;
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK ||
        jsonx_array(body, "", "deliveries", 1, DELIVERIES_MAX, JSONX_REQUIRED, &items, err) !=
            KT_OK) {
        return err->rc;
    }
    size_t n = json_array_size(items);
    struct kt_err *item_err = arena_zalloc(r->arena, n * sizeof(*item_err));
    enum feedback_outcome *out = arena_zalloc(r->arena, n * sizeof(*out));
    struct feedback_in *in = arena_zalloc(r->arena, n * sizeof(*in));
    struct feedback_by by = {r->key ? r->key->id : NULL, r->rid};
    struct store_conn *w;
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        const char *path = arena_printf(r->arena, "deliveries[%zu]", i);
        out[i] = FEEDBACK_UNKNOWN;
        if (decode(json_array_get(items, i), path, now, r->arena, &in[i], &item_err[i]) != KT_OK) {
            continue;
        }
        rc = feedback_record(w, &r->app->secret, &in[i], &by, now, r->arena, &out[i], err);
        if (rc == KT_OK && out[i] == FEEDBACK_UNKNOWN) {
            kt_err_set(&item_err[i], KT_ENOTFOUND, "message_not_found",
                       arena_printf(r->arena, "%s.message_id", path), "no message has that id");
        } else if (rc == KT_OK && out[i] == FEEDBACK_NOT_SENT) {
            kt_err_set(&item_err[i], KT_EINVAL, "message_not_sent",
                       arena_printf(r->arena, "%s.message_id", path),
                       "the message was never sent (queued, suppressed or failed)");
        }
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    json_int_t counts[3] = {0, 0, 0};
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t k = item_err[i].rc != KT_OK ? 2 : out[i] == FEEDBACK_DUPLICATE ? 1 : 0;
        counts[k]++;
        json_t *o = json_pack("{s:s}", "status", names[k]);
        if (k == 2) {
            json_t *e = http_error_json(&item_err[i], NULL);
            json_object_update(o, e);
            json_decref(e);
        }
        json_array_append_new(results, o);
    }
    http_reply_json(r, 200,
                    json_pack("{s:I, s:I, s:I, s:o}", "recorded", counts[0], "duplicates",
                              counts[1], "refused", counts[2], "results", results));
    return KT_OK;
}
