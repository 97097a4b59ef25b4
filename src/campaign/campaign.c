/*
 * campaign.c - a campaign's definition checked and stored, its moves (start, pause, resume,
 * cancel), its draw of groups and its JSON (campaign.h; docs/messages.md, "Campaigns"). The
 * enqueue is enqueue.c.
 */
#include <sodium.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/jsonx.h"
#include "campaign/campaign.h"
#include "consent/consent.h"
#include "deliver/template_store.h"
#include "segment/saved.h"

#define SCHEDULE_PAST_MS  (5 * 60 * 1000LL)
#define SCHEDULE_AHEAD_MS (366 * 86400 * 1000LL)

/* The channels a campaign sends on: those the outbox's sender has today. */
static const char *const channels[] = {"email", "push", NULL};

static bool variant_name_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return n > 0 && n <= 32 && strcmp(s, "control") != 0;
}

/* A template's version for the campaign's channel: `version` 0 is the latest, pinned now. */
static enum kt_rc pin_template(struct store_conn *c, const char *channel, const char *field,
                               struct campaign_variant *v, struct arena *a, struct kt_err *err)
{
    struct msg_template row;
    bool found = false;
    if (store_template_get(c, v->template, v->version, a, &row, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return kt_err_set(err, KT_EINVAL, "template_not_found", field,
                          v->version ? "the template has no such version"
                                     : "no template has that name");
    }
    if (strcmp(row.channel, channel) != 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                          "the template is for another channel");
    }
    v->version = row.version;
    return KT_OK;
}

/* `template` (and `version`) for one variant "a", or `variants` [{name, template, version?,
 * percent}] whose percents sum to 100; each pinned to its version. */
static enum kt_rc decode_variants(struct store_conn *c, const json_t *body, struct arena *a,
                                  struct campaign *cp, struct kt_err *err)
{
    static const char *const known[] = {"name", "template", "version", "percent", NULL};
    const json_t *list = NULL;
    const char *tpl = NULL;
    int64_t version = 0;
    if (jsonx_str(body, "", "template", MSG_TPL_NAME_MAX, 0, a, &tpl, err) != KT_OK ||
        jsonx_int(body, "", "version", 1, INT32_MAX, 0, &version, err) != KT_OK ||
        jsonx_array(body, "", "variants", 1, CAMPAIGN_VARIANTS_MAX, 0, &list, err) != KT_OK) {
        return err->rc;
    }
    if ((tpl != NULL) == (list != NULL) || (version != 0 && tpl == NULL)) {
        return kt_err_set(err, KT_EINVAL, tpl || list ? "invalid_value" : "missing_field",
                          list ? "variants" : "template",
                          "name one template (and its version), or the variants");
    }
    if (tpl != NULL) {
        cp->n_variants = 1;
        cp->variants = arena_alloc(a, sizeof(*cp->variants));
        cp->variants[0] = (struct campaign_variant){"a", tpl, version, 100};
        return pin_template(c, cp->channel, "template", &cp->variants[0], a, err);
    }
    cp->n_variants = json_array_size(list);
    cp->variants = arena_alloc(a, cp->n_variants * sizeof(*cp->variants));
    int64_t total = 0;
    for (size_t i = 0; i < cp->n_variants; i++) {
        struct campaign_variant *v = &cp->variants[i];
        const json_t *o = json_array_get(list, i);
        const char *path = arena_printf(a, "variants[%zu]", i);
        *v = (struct campaign_variant){0};
        if (json_only_members(o, known, path, a, err) != KT_OK ||
            jsonx_str(o, path, "name", 32, JSONX_REQUIRED, a, &v->name, err) != KT_OK ||
            jsonx_str(o, path, "template", MSG_TPL_NAME_MAX, JSONX_REQUIRED, a, &v->template,
                      err) != KT_OK ||
            jsonx_int(o, path, "version", 1, INT32_MAX, 0, &v->version, err) != KT_OK ||
            jsonx_int(o, path, "percent", 1, 100, JSONX_REQUIRED, &v->share, err) != KT_OK) {
            return err->rc;
        }
        if (!variant_name_ok(v->name)) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", arena_printf(a, "%s.name", path),
                              "a variant's name is 1-32 of a-z, 0-9, _ and -, not \"control\"");
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cp->variants[j].name, v->name) == 0) {
                return kt_err_set(err, KT_EINVAL, "duplicate_value",
                                  arena_printf(a, "%s.name", path), "two variants of one name");
            }
        }
        if (pin_template(c, cp->channel, arena_printf(a, "%s.template", path), v, a, err) !=
            KT_OK) {
            return err->rc;
        }
        total += v->share;
    }
    if (total != 100) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "variants",
                          "the variants' percents sum to 100");
    }
    return KT_OK;
}

/* The audience: `segment` (a saved segment's id or name) or `query`, one of the two. */
static enum kt_rc decode_audience(struct store_conn *c, const json_t *body, int64_t now,
                                  struct arena *a, struct campaign *cp, struct seg_error *se,
                                  struct kt_err *err)
{
    const char *seg = NULL;
    if (jsonx_str(body, "", "segment", SEGMENT_NAME_MAX, 0, a, &seg, err) != KT_OK ||
        jsonx_str(body, "", "query", SEGMENT_TEXT_MAX, 0, a, &cp->query, err) != KT_OK) {
        return err->rc;
    }
    if ((seg != NULL) == (cp->query != NULL)) {
        return kt_err_set(err, KT_EINVAL, seg ? "invalid_value" : "missing_field",
                          seg ? "query" : "segment",
                          "name the audience by a saved segment or by a query, one of the two");
    }
    if (cp->query != NULL) {
        struct seg_node *tree;
        if (!segment_parse(cp->query, a, &tree, se)) {
            return kt_err_set(err, KT_EINVAL, "syntax_error", "query", "line %d, column %d: %s",
                              se->line, se->column, se->message);
        }
        /* refused now, not at each try of the enqueue (a sealed field's value cannot be asked) */
        return store_segment_check(c, segment_compile(tree, now, a), err);
    }
    struct segment sg;
    if (store_segment_get(c, seg, a, &sg, err) != KT_OK) {
        if (err->rc == KT_ENOTFOUND) {
            kt_strlcpy(err->field, "segment", sizeof(err->field));
        }
        return err->rc;
    }
    cp->segment_id = arena_strdup(a, sg.id);
    return KT_OK;
}

/* `scheduled_at`: a time ahead (up to a year), or at most a few minutes past (a clock's skew). */
static enum kt_rc decode_schedule(const json_t *body, int64_t now, struct arena *a, int64_t *out,
                                  struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    const char *text = NULL;
    int64_t at = 0;
    if (jsonx_str(body, "", "scheduled_at", 64, 0, a, &text, err) != KT_OK || text == NULL) {
        return err->rc;
    }
    if (!time_parse_rfc3339(text, strlen(text), &at) || at < now - SCHEDULE_PAST_MS ||
        at > now + SCHEDULE_AHEAD_MS) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", "scheduled_at",
                          "an RFC 3339 time from now to a year ahead");
    }
    *out = at;
    return KT_OK;
}

/* The audit log's entry of a create or a move ("start cmp_..."), in its transaction. */
static enum kt_rc audit(struct store_conn *w, const struct campaign_actor *who, const char *what,
                        const char *id, int64_t now, struct arena *a, struct kt_err *err)
{
    return audit_write(w, who ? who->key_id : NULL, "campaign", NULL, NULL,
                       arena_printf(a, "%s %s", what, id), who ? who->request_id : NULL, now, err);
}

enum kt_rc campaign_create(struct store *s, const json_t *body, const struct campaign_actor *who,
                           int64_t now, struct arena *a, struct campaign *out, struct seg_error *se,
                           struct kt_err *err)
{
    static const char *const known[] = {"name",
                                        "channel",
                                        "topic",
                                        "segment",
                                        "query",
                                        "template",
                                        "version",
                                        "variants",
                                        "control_percent",
                                        "scheduled_at",
                                        "conversion_window_days",
                                        NULL};
    struct campaign cp = {
        .state = "draft", .kind = "marketing", .window_days = CAMPAIGN_WINDOW_DAYS};
    char id[ID_MAX];
    memset(se, 0, sizeof(*se));
    if (json_only_members(body, known, "", a, err) != KT_OK ||
        jsonx_str(body, "", "name", CAMPAIGN_NAME_MAX, JSONX_REQUIRED, a, &cp.name, err) != KT_OK ||
        jsonx_enum(body, "", "channel", channels, JSONX_REQUIRED, &cp.channel, err) != KT_OK ||
        jsonx_str(body, "", "topic", 64, JSONX_REQUIRED, a, &cp.topic, err) != KT_OK ||
        jsonx_int(body, "", "control_percent", 0, CAMPAIGN_CONTROL_MAX, 0, &cp.control_pct, err) !=
            KT_OK ||
        jsonx_int(body, "", "conversion_window_days", 1, 30, 0, &cp.window_days, err) != KT_OK ||
        decode_schedule(body, now, a, &cp.scheduled_at, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = decode_audience(w, body, now, a, &cp, se, err);
    rc = rc == KT_OK ? decode_variants(w, body, a, &cp, err) : rc;
    if (rc == KT_OK) {
        id_new(id, sizeof(id), "cmp_");
        cp.id = arena_strdup(a, id);
        cp.created_at = cp.updated_at = now;
        cp.key_id = who ? who->key_id : NULL;
        cp.audience = -1;
        rc = store_campaign_add(w, &cp, err);
        rc = rc == KT_OK ? audit(w, who, "create", cp.id, now, a, err) : rc;
    }
    if ((rc = store_write_end(w, rc, err)) == KT_OK) {
        *out = cp;
    }
    return rc;
}

/* ---- the moves ------------------------------------------------------------------------------ */

static bool is(const struct campaign *cp, const char *state)
{
    return strcmp(cp->state, state) == 0;
}

/* Where a start or a resume goes: scheduled until its time (and only before its audience is
 * frozen), else running. */
static const char *go_state(const struct campaign *cp, int64_t now)
{
    return cp->audience < 0 && cp->scheduled_at > now ? "scheduled" : "running";
}

static enum kt_rc refuse(const struct campaign *cp, const char *action, struct kt_err *err)
{
    return kt_err_set(err, KT_ECONFLICT, "campaign_state", "state", "a campaign %s cannot %s",
                      cp->state, action);
}

/* An e-mail campaign's messages carry an unsubscribe link: public_url must be set. */
static enum kt_rc check_public_url(struct store_conn *w, const struct campaign *cp, struct arena *a,
                                   struct kt_err *err)
{
    struct privacy_settings ps;
    if (strcmp(cp->channel, "email") != 0) {
        return KT_OK;
    }
    if (privacy_settings_get(w, a, &ps, err) != KT_OK) {
        return err->rc;
    }
    if (ps.public_url == NULL || ps.public_url[0] == '\0') {
        return kt_err_set(err, KT_EINVAL, "public_url_required", "channel",
                          "a marketing e-mail carries an unsubscribe link: set public_url in "
                          "PUT /v1/privacy/settings first");
    }
    return KT_OK;
}

static enum kt_rc move(struct store_conn *w, struct campaign *cp, const char *action, int64_t now,
                       struct arena *a, struct kt_err *err)
{
    int64_t n = 0;
    if (strcmp(action, "start") == 0) {
        if (!is(cp, "draft")) {
            return refuse(cp, action, err);
        }
        if (check_public_url(w, cp, a, err) != KT_OK) {
            return err->rc;
        }
        cp->state = go_state(cp, now);
    } else if (strcmp(action, "pause") == 0) {
        if (!is(cp, "scheduled") && !is(cp, "running")) {
            return refuse(cp, action, err);
        }
        cp->state = "paused";
        if (store_campaign_outbox_hold(w, cp->id, CAMPAIGN_HELD_AT, &n, err) != KT_OK) {
            return err->rc;
        }
    } else if (strcmp(action, "resume") == 0) {
        if (!is(cp, "paused")) {
            return refuse(cp, action, err);
        }
        cp->state = go_state(cp, now);
        if (store_campaign_outbox_hold(w, cp->id, now, &n, err) != KT_OK) {
            return err->rc;
        }
    } else if (strcmp(action, "cancel") == 0) {
        if (is(cp, "done") || is(cp, "cancelled")) {
            return refuse(cp, action, err);
        }
        cp->state = "cancelled";
        cp->finished_at = now;
        if (store_campaign_outbox_cancel(w, cp->id, now, &n, err) != KT_OK ||
            store_campaign_audience_clear(w, cp->id, err) != KT_OK) {
            return err->rc;
        }
    } else {
        return kt_err_set(err, KT_EINTERNAL, "internal", "", "unknown action");
    }
    cp->updated_at = now;
    return store_campaign_update(w, cp, err);
}

enum kt_rc campaign_act(struct store *s, const char *id, const char *action,
                        const struct campaign_actor *who, int64_t now, struct arena *a,
                        struct campaign *out, struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_campaign_get(w, id, a, out, NULL, err);
    rc = rc == KT_OK ? move(w, out, action, now, a, err) : rc;
    rc = rc == KT_OK ? audit(w, who, action, id, now, a, err) : rc;
    return store_write_end(w, rc, err);
}

/* ---- the draw -------------------------------------------------------------------------------- */

const char *campaign_group(const struct campaign *cp, int64_t ck)
{
    static const char ctx[] = "kartoteka/campaign/v1:";
    char text[96];
    unsigned char h[8];
    int len = kt_snprintf(text, sizeof(text), "%s%s:%lld", ctx, cp->id, (long long)ck);
    crypto_generichash(h, sizeof(h), (const unsigned char *)text, (size_t)len, NULL, 0);
    uint32_t lo =
        (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    uint32_t hi =
        (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
    if (lo % 10000 < (uint32_t)cp->control_pct * 100) {
        return "control";
    }
    int64_t draw = hi % 100, sum = 0;
    for (size_t i = 0; i < cp->n_variants; i++) {
        sum += cp->variants[i].share;
        if (draw < sum) {
            return cp->variants[i].name;
        }
    }
    return cp->variants[cp->n_variants - 1].name;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms ? json_string(time_rfc3339(a, ms)) : json_null();
}

json_t *campaign_json(struct arena *a, const struct campaign *cp)
{
    json_t *vs = json_array();
    for (size_t i = 0; i < cp->n_variants; i++) {
        const struct campaign_variant *v = &cp->variants[i];
        json_array_append_new(vs, json_pack("{s:s, s:s, s:I, s:I}", "name", v->name, "template",
                                            v->template, "version", (json_int_t)v->version,
                                            "percent", (json_int_t)v->share));
    }
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:o, s:I, s:I, s:s, s:s}",
                  "id", cp->id, "name", cp->name, "state", cp->state, "channel", cp->channel,
                  "kind", cp->kind, "topic", cp->topic, "segment_id", cp->segment_id, "query",
                  cp->query, "control_percent", (json_int_t)cp->control_pct,
                  "conversion_window_days", (json_int_t)cp->window_days, "variants", vs, "enqueued",
                  (json_int_t)cp->enqueued, "control", (json_int_t)cp->control, "created_at",
                  time_rfc3339(a, cp->created_at), "updated_at", time_rfc3339(a, cp->updated_at));
    if (cp->segment_id == NULL) {
        json_object_set_new(o, "segment_id", json_null());
    }
    if (cp->query == NULL) {
        json_object_set_new(o, "query", json_null());
    }
    json_object_set_new(o, "audience",
                        cp->audience >= 0 ? json_integer(cp->audience) : json_null());
    json_object_set_new(o, "scheduled_at", time_or_null(a, cp->scheduled_at));
    json_object_set_new(o, "started_at", time_or_null(a, cp->started_at));
    json_object_set_new(o, "finished_at", time_or_null(a, cp->finished_at));
    return o;
}
