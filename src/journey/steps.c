/*
 * steps.c - what the steps of a journey do (docs/journeys.md, "Steps"): when a wait ends, on the
 * customer's own clock, and the steps that act - a message through the outbox, points to the
 * ledger, a personal coupon, a trait, a signed webhook - each inside the advance's write
 * transaction, so the effect and the run's move commit together.
 *
 * A message's id is the keyed hash of "journey:<run>:<visit>": the step taken again after a
 * crash (the transaction rolled back, then replayed) finds no row, and a step taken twice in
 * some other way finds the row it made. The outbox's policy decides the rest when it claims the
 * message: consent, the topic, caps, quiet hours, the suppression list.
 */
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "deliver/outbox.h"
#include "deliver/sms.h"
#include "identity/identity.h"
#include "journey/engine.h"
#include "loyalty/bonus.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"

#define COUPON_CODE_LEN 10

/* ---- waits ----------------------------------------------------------------------------------- */

/* The next moment at or after `from` when the local clock reads the step's time of day on one of
 * its weekdays. */
static int64_t next_time_of_day(const struct tz *z, int64_t from, int64_t at_minute,
                                unsigned weekdays)
{
    unsigned h = (unsigned)(at_minute / 60), m = (unsigned)(at_minute % 60);
    int64_t t = tz_next_at(z, from, h, m);
    for (int i = 0; i < 8; i++) {
        struct tz_local l;
        tz_local(z, t, &l);
        if (weekdays == 0 || (weekdays & (1u << (l.weekday - 1))) != 0) {
            return t;
        }
        t = tz_next_at(z, t + MINUTE_MS, h, m);
    }
    return t;
}

/* The customer's next date `field` at or after local day `today` (days since 1970-01-01), or
 * -1 when the profile has none. */
static enum kt_rc next_date(struct store_conn *c, int64_t ck, enum journey_date_field field,
                            int64_t today, struct arena *a, int64_t *day, struct kt_err *err)
{
    struct customer cu;
    bool found = false;
    *day = -1;
    if (field != JD_BIRTHDAY) { /* an anniversary of enrolment is an entry's, not a wait's */
        return KT_OK;
    }
    if (store_customer_get(c, ck, a, &cu, &found, err) != KT_OK) {
        return err->rc;
    }
    int64_t year, bday;
    for (int64_t d = today; found && d < today + 367; d += 180) {
        if (loyalty_birthday_window(cu.val[PF_BIRTH_DATE], d, 180, &year, &bday) && bday >= today) {
            *day = bday;
            break;
        }
    }
    return KT_OK;
}

enum kt_rc jr_wait_until(struct jctx *x, struct store_conn *c, const struct journey_step *s,
                         int64_t ck, int64_t since, int64_t *until, struct kt_err *err)
{
    struct ident_zone z;
    *until = 0;
    if (s->wait == JW_DURATION) {
        *until = since + s->duration_ms;
        return KT_OK;
    }
    if (ident_time_zone(c, ck, &x->keep, &z, err) != KT_OK) {
        return err->rc;
    }
    if (s->wait == JW_TIME_OF_DAY) {
        *until = next_time_of_day(z.zone, since, s->at_minute, s->weekdays);
        return KT_OK;
    }
    struct tz_local l;
    tz_local(z.zone, since, &l);
    int64_t day = -1;
    if (next_date(c, ck, s->date, l.days, &x->keep, &day, err) != KT_OK) {
        return err->rc;
    }
    if (day >= 0) {
        int64_t t = tz_day_start(z.zone, day) + s->at_minute * MINUTE_MS;
        if (t < since) { /* today's moment has passed: the next year's */
            next_date(c, ck, s->date, day + 1, &x->keep, &day, err);
            t = day >= 0 ? tz_day_start(z.zone, day) + s->at_minute * MINUTE_MS : 0;
        }
        *until = t;
    }
    return KT_OK;
}

/* ---- acts ------------------------------------------------------------------------------------ */

static const char *part(const json_t *parts, const char *name)
{
    return json_string_value(json_object_get(parts, name));
}

/* The run's context as a template sees it under `context`: the journey, the entry's key and
 * event, a coupon a step made. */
static json_t *run_context(const struct journey_run *r)
{
    json_t *ctx = r->ctx != NULL ? json_loads(r->ctx, 0, NULL) : NULL;
    ctx = ctx != NULL ? ctx : json_object();
    json_object_set_new(ctx, "journey", json_string(r->journey));
    return ctx;
}

/* The message of a send step, rendered for the customer now. */
static enum kt_rc compose(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                          const struct journey_step *s, const struct journey_run *r,
                          const struct customer *cu, struct outbox_msg *m, struct kt_err *err)
{
    const struct msg_tpl *t = &d->tpl[r->step];
    struct arena *a = &x->keep;
    json_t *ctx = NULL, *out = NULL, *own = run_context(r);
    const char *unsub = NULL;
    bool email = strcmp(m->channel, "email") == 0, sms = strcmp(m->channel, "sms") == 0;
    struct msg_links links = {x->c->secret, x->public_url};
    enum kt_rc rc = msg_context_json(w, cu, own, &links, x->now, a, &ctx, err);
    rc = rc == KT_OK ? msg_tpl_render_json(t, ctx, a, &out, err) : rc;
    if (rc == KT_OK && !s->transactional && (email || sms)) {
        rc = deliver_optout_url(w, x->c->secret, m->channel, x->c->sms_sender, cu->id, s->topic, a,
                                &unsub, err);
    }
    if (rc == KT_OK) {
        const json_t *p = json_object_get(out, "parts");
        if (sms) {
            const char *text = part(p, "text");
            json_t *o = json_pack(
                "{s:s}", "text",
                unsub != NULL ? sms_marketing_text(text, x->c->sms_sender, unsub, a) : text);
            char *str = json_dumps(o, JSON_COMPACT);
            m->content = arena_strdup(a, str);
            free(str);
            json_decref(o);
        } else {
            m->content =
                outbox_content(m->channel, cu->id, part(p, "subject"), part(p, "text"),
                               part(p, "html"), part(p, "title"), part(p, "body"), unsub, a);
        }
        m->recipient = email ? cu->val[PF_EMAIL] : sms ? cu->val[PF_PHONE] : NULL;
    }
    json_decref(out);
    json_decref(ctx);
    json_decref(own);
    return rc;
}

/* A message of run `r` by `channel` with `content` (or rendered from the step's template). */
static enum kt_rc enqueue(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                          const struct journey_step *s, const struct journey_run *r,
                          const char *channel, const char *content, const char **outcome,
                          const char **message_id, struct kt_err *err)
{
    struct customer cu;
    bool found = false, created = false;
    if (store_customer_get(w, r->ck, &x->keep, &cu, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found || cu.merged_into != 0 || cu.erased_at != 0) {
        *outcome = "no_customer";
        return KT_OK;
    }
    const char *origin =
        arena_printf(&x->keep, "journey:%lld:%lld", (long long)r->id, (long long)r->visit);
    struct outbox_msg m = {.id = outbox_id(x->c->secret, origin, &x->keep),
                           .ck = r->ck,
                           .channel = channel,
                           .kind =
                               s->transactional || content != NULL ? "transactional" : "marketing",
                           .topic = s->topic,
                           .state = "queued",
                           .next_at = x->now,
                           .created_at = x->now,
                           .updated_at = x->now,
                           .journey_run = r->id,
                           .content = content};
    if (content == NULL && compose(x, w, d, s, r, &cu, &m, err) != KT_OK) {
        if (err->rc != KT_EINVAL) {
            return err->rc;
        }
        *outcome = err->code[0] != '\0' ? arena_strdup(&x->keep, err->code) : "not_sent";
        kt_err_reset(err); /* public_url or the SMS sender unset: logged, not sent */
        return KT_OK;
    }
    bool bare = m.recipient == NULL && (strcmp(channel, "email") == 0 || !strcmp(channel, "sms"));
    if (store_outbox_add(w, &m, &created, err) != KT_OK) {
        return err->rc;
    }
    if (created && bare) {
        m.state = "suppressed";
        m.reason = "no_address";
        if (store_outbox_update(w, &m, err) != KT_OK) {
            return err->rc;
        }
    }
    *outcome = bare ? "no_address" : "sent";
    *message_id = m.id;
    return KT_OK;
}

static enum kt_rc points(struct jctx *x, struct store_conn *w, const struct journey_step *s,
                         const struct journey_run *r, struct kt_err *err)
{
    struct loyalty_rules rules;
    int64_t at = 0;
    if (loyalty_program_get(w, &x->keep, &rules, &at, err) != KT_OK) {
        return err->rc;
    }
    int64_t expires = s->days > 0               ? x->now + s->days * DAY_MS
                      : rules.expiry_months > 0 ? loyalty_add_months(x->now, rules.expiry_months)
                                                : 0;
    const char *reason =
        arena_printf(&x->keep, "journey %s%s%s", r->journey, s->reason != NULL ? ": " : "",
                     s->reason != NULL ? s->reason : "");
    struct ledger_entry e = {0,       r->ck, "bonus",       s->points, x->now, x->now,
                             expires, NULL,  rules.version, reason,    NULL,   NULL};
    return store_ledger_add(w, &e, err);
}

static enum kt_rc coupon(struct jctx *x, struct store_conn *w, const struct journey_step *s,
                         struct journey_run *r, struct kt_err *err)
{
    char code[COUPON_CODE_LEN + 1];
    id_random_text(code, COUPON_CODE_LEN); /* writes the NUL after the text */
    struct coupon cp = {
        arena_strdup(&x->keep, code), r->ck, r->journey, r->id, s->percent, s->kopecks, x->now,
        x->now + s->days * DAY_MS};
    if (store_coupon_add(w, &cp, err) != KT_OK) {
        return err->rc;
    }
    json_t *ctx = r->ctx != NULL ? json_loads(r->ctx, 0, NULL) : NULL;
    ctx = ctx != NULL ? ctx : json_object();
    json_object_set_new(ctx, "coupon",
                        json_pack("{s:s, s:I, s:I, s:s}", "code", cp.code, "percent",
                                  (json_int_t)cp.percent, "kopecks", (json_int_t)cp.kopecks,
                                  "expires", time_rfc3339(&x->keep, cp.expires_at)));
    char *str = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    r->ctx = arena_strdup(&x->keep, str);
    free(str);
    json_decref(ctx);
    return KT_OK;
}

/* A webhook's content: {"customer_id", "data": {event, journey, run, key}} as a webhook message
 * of the API carries it. */
static const char *hook_content(struct jctx *x, struct store_conn *w, const struct journey_step *s,
                                const struct journey_run *r, struct kt_err *err)
{
    struct customer cu;
    bool found = false;
    if (store_customer_get(w, r->ck, &x->keep, &cu, &found, err) != KT_OK || !found) {
        return NULL;
    }
    json_t *o =
        json_pack("{s:s, s:{s:s, s:s, s:I, s:s}}", "customer_id", cu.id, "data", "event", s->name,
                  "journey", r->journey, "run", (json_int_t)r->id, "key", r->entry_key);
    char *str = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = arena_strdup(&x->keep, str);
    free(str);
    json_decref(o);
    return out;
}

enum kt_rc jr_act(struct jctx *x, struct store_conn *w, const struct jdoc *d,
                  const struct journey_step *s, struct journey_run *r, const char **outcome,
                  const char **message_id, struct kt_err *err)
{
    *message_id = NULL;
    switch (s->kind) {
    case JS_SEND:
        return enqueue(x, w, d, s, r, d->tpl[r->step].row.channel, NULL, outcome, message_id, err);
    case JS_WEBHOOK: {
        const char *content = hook_content(x, w, s, r, err);
        if (content == NULL) {
            *outcome = "no_customer";
            return err->rc;
        }
        return enqueue(x, w, d, s, r, "webhook", content, outcome, message_id, err);
    }
    case JS_POINTS:
        *outcome = "granted";
        return points(x, w, s, r, err);
    case JS_COUPON:
        *outcome = "coupon";
        return coupon(x, w, s, r, err);
    case JS_TRAIT: {
        struct trait t = {s->name, s->value, x->now};
        *outcome = "trait";
        return store_trait_put(w, r->ck, &t, err);
    }
    default:
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "not a step that acts");
    }
}
