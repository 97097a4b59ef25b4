/*
 * campaigns.c - the campaigns' routes (docs/messages.md, "Campaigns"), admin only:
 *
 *   POST /v1/campaigns                          a draft: audience, template(s), control group
 *   GET  /v1/campaigns                          newest first, paged
 *   GET  /v1/campaigns/{id}                     one, with its progress
 *   POST /v1/campaigns/{id}/start|pause|resume|cancel
 *
 * The rules are campaign/'s; the enqueue is the scheduler's job campaign_enqueue. No route
 * reads a customer's data: a campaign holds counts, not people.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/num.h"
#include "campaign/campaign.h"

enum kt_rc api_campaigns_create(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    struct campaign cp;
    struct seg_error se;
    if (body == NULL) {
        return err->rc;
    }
    if (campaign_create(r->app->store, body, r->key->id, clock_now_ms(), r->arena, &cp, &se, err) !=
        KT_OK) {
        if (strcmp(err->code, "syntax_error") == 0) {
            http_error_more(r, json_pack("{s:{s:i, s:i, s:s, s:s}}", "error", "line", se.line,
                                         "column", se.column, "expected", se.message, "caret",
                                         se.caret));
        }
        return err->rc;
    }
    http_reply_json(r, 201, campaign_json(r->arena, &cp));
    return KT_OK;
}

enum kt_rc api_campaigns_get(struct http_req *r, struct kt_err *err)
{
    struct store_conn *rd;
    struct campaign cp;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_campaign_get(rd, r->params[0], r->arena, &cp, NULL, err) != KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, campaign_json(r->arena, &cp));
    return KT_OK;
}

/* The cursor's position: "<created_at ms> <id>" of the last campaign of the page. */
static enum kt_rc list_position(struct http_req *r, int64_t *at, const char **id,
                                struct kt_err *err)
{
    const char *pos;
    *at = 0;
    *id = NULL;
    if (api_cursor(r, "campaigns", "", &pos, err) != KT_OK || pos == NULL) {
        return err->rc;
    }
    const char *sp = strchr(pos, ' ');
    if (sp == NULL || !num_parse_i64(pos, (size_t)(sp - pos), 1, INT64_MAX, at)) {
        return api_bad_cursor(err); /* never sealed so */
    }
    *id = sp + 1;
    return KT_OK;
}

enum kt_rc api_campaigns_list(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t at;
    const char *id;
    struct store_conn *rd;
    struct campaign *cs;
    size_t n;
    if (http_req_query_only(r, allowed, err) != KT_OK ||
        api_limit(r, 100, 1000, &limit, err) != KT_OK || list_position(r, &at, &id, err) != KT_OK ||
        http_req_reader(r, &rd, err) != KT_OK ||
        store_campaign_list(rd, at, id, limit, r->arena, &cs, &n, err) != KT_OK) {
        return err->rc;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, campaign_json(r->arena, &cs[i]));
    }
    const char *next =
        n == (size_t)limit
            ? arena_printf(r->arena, "%lld %s", (long long)cs[n - 1].created_at, cs[n - 1].id)
            : NULL;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o}", "items", items, "next_cursor",
                              api_next_cursor(r, "campaigns", "", next)));
    return KT_OK;
}

/* POST /v1/campaigns/{id}/<action>: the action is the path's last segment. */
static enum kt_rc act(struct http_req *r, const char *action, struct kt_err *err)
{
    struct campaign cp;
    if (campaign_act(r->app->store, r->params[0], action, clock_now_ms(), r->arena, &cp, err) !=
        KT_OK) {
        return err->rc;
    }
    http_reply_json(r, 200, campaign_json(r->arena, &cp));
    return KT_OK;
}

enum kt_rc api_campaigns_start(struct http_req *r, struct kt_err *err)
{
    return act(r, "start", err);
}

enum kt_rc api_campaigns_pause(struct http_req *r, struct kt_err *err)
{
    return act(r, "pause", err);
}

enum kt_rc api_campaigns_resume(struct http_req *r, struct kt_err *err)
{
    return act(r, "resume", err);
}

enum kt_rc api_campaigns_cancel(struct http_req *r, struct kt_err *err)
{
    return act(r, "cancel", err);
}
