/*
 * erase.c - depersonalisation with an act of destruction, the erasure of one customer by id (the
 * API and `kartoteka privacy erase`), and the erasures that fall due (after a withdrawal,
 * retention), run by the scheduler (sched/jobs.c). What the act says is in act.c.
 *
 * What an erasure destroys and what it keeps is in docs/privacy.md. The customer's row stays,
 * empty and marked erased, so purchases and events keep a depersonalised owner for statistics.
 * An erasure reaches into every module that keeps something of the person (consent, the
 * suppression list, the points), so it sits above them all (docs/house.md).
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "consent/consent.h"
#include "loyalty/ledger.h"
#include "privacy/privacy.h"

#define YEAR_MS         (36525LL * 864 * 1000) /* 365.25 days */
#define EXTRACT_MAX     10000
#define RETENTION_BATCH 100

/* ---- erasure ------------------------------------------------------------------------------ */

/* The consent events of the customer (without IP and user agent), for the act's extract. */
static enum kt_rc extract_consents(struct store_conn *w, int64_t ck, struct arena *a, json_t *out,
                                   struct kt_err *err)
{
    struct consent_event *e;
    size_t n;
    enum kt_rc rc = store_consent_list(w, ck, a, &e, &n, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        char t[32];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "at",
                              time_format_rfc3339(e[i].recorded_at, t, sizeof(t)), "action",
                              arena_printf(a, "consent_%s", e[i].action), "fields", e[i].purpose,
                              "source", e[i].source);
        if (e[i].channel[0]) {
            json_object_set_new(o, "channel", json_string(e[i].channel));
        }
        if (e[i].key_id) {
            json_object_set_new(o, "key_id", json_string(e[i].key_id));
        }
        if (e[i].request_id) {
            json_object_set_new(o, "request_id", json_string(e[i].request_id));
        }
        json_array_append_new(out, o);
    }
    return rc;
}

/* The audit entries of the customer, changes and reads (IDs only), as the act's extract of the
 * event log. */
static enum kt_rc extract(struct store *s, struct store_conn *w, const char *customer_id,
                          struct arena *a, json_t *out, struct kt_err *err)
{
    struct audit_filter f = {customer_id, NULL, NULL, 0, 0, 0, EXTRACT_MAX};
    struct audit_page p;
    enum kt_rc rc = audit_list(s, w, &f, 0, 0, a, &p, err);
    for (size_t i = 0; rc == KT_OK && i < p.n; i++) {
        const struct audit_entry *e = &p.items[i];
        char t[32];
        json_t *o = json_pack("{s:s, s:s}", "at", time_format_rfc3339(e->at, t, sizeof(t)),
                              "action", e->action);
        const char *opt[][2] = {{"key_id", e->key_id},
                                {"fields", e->fields},
                                {"detail", e->detail},
                                {"request_id", e->request_id}};
        for (size_t j = 0; j < 4; j++) {
            if (opt[j][1] != NULL) {
                json_object_set_new(o, opt[j][0], json_string(opt[j][1]));
            }
        }
        json_array_append_new(out, o);
    }
    return rc;
}

/* Closes the customer's points (spendable and still in the hold) with one adjustment: the
 * purchases stay as depersonalised records, the points cannot outlive the person. */
static enum kt_rc close_points(struct store_conn *w, int64_t ck, const struct erase_opts *o,
                               int64_t now, struct arena *a, struct kt_err *err)
{
    struct ledger_entry *e;
    size_t n;
    enum kt_rc rc = store_ledger_list(w, ck, a, &e, &n, err);
    if (rc != KT_OK || n == 0) {
        return rc;
    }
    struct points_balance b;
    loyalty_balance(e, n, now, &b);
    int64_t left = b.available + b.pending;
    if (left <= 0) {
        return KT_OK;
    }
    struct ledger_entry close = {0, ck,   "adjust", -left,    now,       now,
                                 0, NULL, 0,        "erased", o->key_id, o->request_id};
    return store_ledger_add(w, &close, err);
}

/* Withdraws what is still given or pending, with the erasure as the source. */
static enum kt_rc close_consents(struct store_conn *w, int64_t ck, const struct erase_opts *o,
                                 int64_t now, struct arena *a, struct kt_err *err)
{
    struct consent_state *cs;
    size_t n;
    enum kt_rc rc = consent_states(w, ck, now, a, &cs, &n, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if (cs[i].last == NULL || strcmp(cs[i].state, "withdrawn") == 0) {
            continue;
        }
        struct consent_event e;
        memset(&e, 0, sizeof(e));
        e.ck = ck;
        e.purpose = cs[i].purpose;
        e.channel = cs[i].channel;
        e.action = "withdraw";
        e.at = now;
        e.recorded_at = now;
        e.source = "erasure";
        e.operator_id = o->operator_id;
        e.key_id = o->key_id;
        e.legal_basis = o->reason;
        rc = store_consent_add(w, &e, err);
    }
    return rc;
}

static void cat_add(json_t *cats, const char *c)
{
    size_t j;
    json_t *v;
    json_array_foreach(cats, j, v)
    {
        if (strcmp(json_string_value(v), c) == 0) {
            return;
        }
    }
    json_array_append_new(cats, json_string(c));
}

/* What the customer had, by category (never the values): the profile, attributes and
 * identifiers as read before the erasure. */
static void cats_held(json_t *cats, const struct customer *cu, const struct ident *ids, size_t n,
                      struct arena *a)
{
    for (int f = 0; f < PF_COUNT; f++) {
        if (cu->val[f] != NULL) {
            cat_add(cats, arena_printf(a, "profile.%s", pf_names[f]));
        }
    }
    if (cu->attrs != NULL && strcmp(cu->attrs, "{}") != 0) {
        cat_add(cats, "attributes");
    }
    for (size_t i = 0; i < n; i++) {
        cat_add(cats,
                arena_printf(a, "identifiers.%s",
                             strncmp(ids[i].kind, "ext:", 4) == 0 ? "external" : ids[i].kind));
    }
}

/* And what the erasure destroyed elsewhere, as its counts say. */
static void cats_destroyed(json_t *cats, const struct erase_counts *c)
{
    const struct {
        int64_t n;
        const char *code;
    } more[] = {{c->customers - 1, "merged_profiles"},
                {c->history, "history.values"},
                {c->consent_evidence, "consents.ip_user_agent"},
                {c->events, "events.properties"},
                {c->traits, "traits"},
                {c->members, "segment_members"},
                {c->messages, "messages"},
                {c->replies, "stored_replies"},
                {c->data_keys, "data_key"},
                {c->wallet, "wallet_pass"}};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        if (more[i].n > 0) {
            cat_add(cats, more[i].code);
        }
    }
}

static bool has_category(const json_t *cats, const char *code)
{
    size_t i;
    json_t *v;
    json_array_foreach(cats, i, v)
    {
        if (strcmp(json_string_value(v), code) == 0) {
            return true;
        }
    }
    return false;
}

/* Everything but the act: the suppression list, subscriptions and consents closed, the scheduled
 * erasure cancelled, the points closed, the rows destroyed, the history and the audit entry. */
static enum kt_rc destroy(struct store_conn *w, const struct key_secret *k,
                          const struct customer *cu, const struct ident *ids, size_t n_ids,
                          const struct erase_opts *o, const char *act_id, int64_t now,
                          struct arena *a, json_t *cats, struct kt_err *err)
{
    struct erase_counts counts;
    enum kt_rc rc = suppress_customer(w, k, cu, ids, n_ids, act_id, now, a, cats, err);
    struct consent_actor who = {"erasure", NULL, o->operator_id, o->key_id, NULL, cu->id, false};
    int changed = 0;
    if (rc == KT_OK) {
        rc = subs_set(w, cu->ck, NULL, NULL, false, "erasure", &who, now, &changed, err);
    }
    if (rc == KT_OK) {
        rc = close_consents(w, cu->ck, o, now, a, err);
    }
    if (rc == KT_OK) {
        rc = store_due_cancel(w, cu->ck, "erase", now, err);
    }
    if (rc == KT_OK) {
        rc = close_points(w, cu->ck, o, now, a, err);
    }
    if (rc == KT_OK) {
        rc = store_customer_erase(w, cu->ck, now, &counts, err);
    }
    if (rc == KT_OK) { /* destroyed, nothing is left to block (art. 21 part 3): the block ends */
        bool was_blocked;
        rc = store_block_end(w, cu->ck, now, "erased", arena_printf(a, "act %s", act_id), o->key_id,
                             &was_blocked, err);
    }
    if (rc == KT_OK) {
        cats_destroyed(cats, &counts);
        struct history_entry h = {0,    cu->ck,    now,  "customer",     "erase", NULL,
                                  NULL, "erasure", NULL, o->operator_id, NULL,    o->reason};
        rc = store_history_add(w, &h, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, o->key_id, "erase", cu->id, NULL,
                         arena_printf(a, "act %s, reason %s", act_id, o->reason), o->request_id,
                         now, err);
    }
    return rc;
}

/* Writes the act: the categories, the extract of the event log, and what the settings and the
 * request say of the operator, the persons and the subject (privacy_act_settle). */
static enum kt_rc write_act(struct store *s, struct store_conn *w, const struct customer *cu,
                            const struct erase_opts *o, json_t *cats, int64_t now, struct arena *a,
                            struct destruction_act *act, struct kt_err *err)
{
    json_t *log = json_array();
    struct privacy_settings ps;
    struct privacy_request req;
    bool found = false;
    enum kt_rc rc = extract(s, w, cu->id, a, log, err);
    if (rc == KT_OK) {
        rc = extract_consents(w, cu->ck, a, log, err);
    }
    if (rc == KT_OK) {
        rc = privacy_settings_get(w, a, &ps, err);
    }
    if (rc == KT_OK && o->request_id != NULL) {
        rc = store_preq_get(w, o->request_id, a, &req, &found, err);
    }
    if (rc == KT_OK) {
        char *c = json_dumps(cats, JSON_COMPACT), *l = json_dumps(log, JSON_COMPACT);
        act->customer_id = arena_strdup(a, cu->id);
        act->at = now;
        act->reason = o->reason;
        act->categories = arena_strdup(a, c);
        act->system = o->system;
        act->key_id = o->key_id;
        act->operator_id = o->operator_id;
        act->request_id = o->request_id;
        act->log_extract = arena_strdup(a, l);
        act->expires_at = privacy_act_expiry(now);
        act->method =
            has_category(cats, "data_key") ? "secure_delete_wal_key_shred" : "secure_delete_wal";
        free(c);
        free(l);
        privacy_act_settle(act, &ps, o->persons, o->n_persons, found ? &req : NULL, a);
        rc = store_act_insert(w, act, err);
    }
    if (rc == KT_OK && act->document == NULL) {
        log_warn("act_draft", "act=%s customer=%s operator=%d persons=%d", act->id,
                 act->customer_id, act->data_operator != NULL, act->destroyed_by != NULL);
    }
    json_decref(log);
    return rc;
}

enum kt_rc privacy_erase(struct store *s, struct store_conn *w, const struct key_secret *k,
                         int64_t ck, const struct erase_opts *o, int64_t now, struct arena *a,
                         struct destruction_act *act, struct kt_err *err)
{
    struct customer cu;
    enum kt_rc rc = store_customer_get(w, ck, a, &cu, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (cu.erased_at != 0) {
        kt_err_set(err, KT_ECONFLICT, "already_erased", "id", "the customer was erased already");
        return KT_ECONFLICT;
    }
    memset(act, 0, sizeof(*act));
    id_new(act->id, sizeof(act->id), "a_");
    struct ident *ids;
    size_t n_ids;
    rc = store_ident_list(w, ck, a, &ids, &n_ids, err);
    if (rc != KT_OK) {
        return rc;
    }
    json_t *cats = json_array();
    cats_held(cats, &cu, ids, n_ids, a);
    rc = destroy(w, k, &cu, ids, n_ids, o, act->id, now, a, cats, err);
    if (rc == KT_OK) {
        rc = write_act(s, w, &cu, o, cats, now, a, act, err);
    }
    json_decref(cats);
    return rc;
}

/* ---- scheduled work ------------------------------------------------------------------------- */

enum kt_rc privacy_erase_due(struct store *s, struct store_conn *w, const struct key_secret *k,
                             const struct due_item *d, const char *system, int64_t now,
                             struct arena *a, bool *erased, struct kt_err *err)
{
    *erased = false;
    struct erase_opts o = {d->reason, NULL, NULL, NULL, system, NULL, 0};
    struct destruction_act act;
    struct kt_err e2;
    kt_err_reset(&e2);
    enum kt_rc rc = privacy_erase(s, w, k, d->ck, &o, now, a, &act, &e2);
    if (rc == KT_ECONFLICT) { /* erased meanwhile by a request */
        return KT_OK;
    }
    if (rc != KT_OK) {
        return kt_err_copy(err, &e2);
    }
    *erased = true;
    log_info("erased", "act=%s customer=%s reason=%s", act.id, act.customer_id, d->reason);
    return KT_OK;
}

void privacy_wipe_wal(struct store *s)
{
    /* The erasures are committed either way: their data keys are destroyed now (or, after a
     * failure, at the next erasure or start), and a WAL that could not be cut now is restarted by
     * the next checkpoints. Said, not failed. */
    struct kt_err e2;
    kt_err_reset(&e2);
    int64_t shredded = 0;
    if (store_keys_shred(s, &shredded, &e2) != KT_OK) {
        log_warn("keys_not_destroyed", "code=%s detail=\"%s\"", e2.code, e2.detail);
    }
    kt_err_reset(&e2);
    if (store_wipe_wal(s, &e2) != KT_OK) {
        log_warn("wal_not_wiped", "code=%s detail=\"%s\"", e2.code, e2.detail);
    }
}

enum kt_rc privacy_retention_due(struct store *s, const struct key_secret *k, int64_t now,
                                 const char *system, int64_t *erased, struct kt_err *err)
{
    *erased = 0;
    enum kt_rc rc = KT_OK;
    for (size_t n = RETENTION_BATCH; rc == KT_OK && n == RETENTION_BATCH;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_conn *w;
        rc = store_write_begin(s, &w, err);
        if (rc != KT_OK) {
            arena_release(&a);
            break;
        }
        struct privacy_settings ps;
        int64_t *cks = NULL;
        n = 0;
        rc = privacy_settings_get(w, &a, &ps, err);
        if (rc == KT_OK && ps.retention_years > 0) {
            rc = store_customer_inactive(w, now - ps.retention_years * YEAR_MS, RETENTION_BATCH, &a,
                                         &cks, &n, err);
        }
        struct erase_opts o = {"retention", NULL, NULL, NULL, system, NULL, 0};
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            struct destruction_act act;
            rc = privacy_erase(s, w, k, cks[i], &o, now, &a, &act, err);
            *erased += rc == KT_OK;
        }
        rc = store_write_end(w, rc, err);
        arena_release(&a);
    }
    if (rc == KT_OK && *erased > 0) {
        privacy_wipe_wal(s);
    }
    return rc;
}

enum kt_rc privacy_erase_customer(struct store *s, const struct key_secret *k,
                                  const char *customer_id, const struct erase_opts *o, int64_t now,
                                  struct arena *a, struct destruction_act *act, bool *wal_wiped,
                                  struct kt_err *err)
{
    *wal_wiped = false;
    if (!id_valid(customer_id, "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    struct store_conn *w;
    struct customer cu;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = store_customer_get_by_id(w, customer_id, a, &cu, NULL, err);
    if (rc == KT_OK && o->request_id != NULL) { /* an act must name a request that exists */
        struct privacy_request req;
        bool found;
        rc = store_preq_get(w, o->request_id, a, &req, &found, err);
        if (rc == KT_OK && !found) {
            rc = kt_err_set(err, KT_ENOTFOUND, "request_not_found", "privacy_request_id",
                            "privacy request '%s' not found", o->request_id);
        }
    }
    if (rc == KT_OK) {
        rc = privacy_erase(s, w, k, cu.ck, o, now, a, act, err);
    }
    if (rc == KT_OK && o->request_id != NULL) { /* the request it answers, if open, is done */
        bool open;
        rc = store_preq_close(w, o->request_id, "done", arena_printf(a, "erased, act %s", act->id),
                              now, &open, err);
    }
    rc = store_write_end(w, rc, err);
    if (rc == KT_OK) { /* the data key goes now that the erasure is committed; the WAL holds
                        * page images from before it: copy and truncate */
        int64_t shredded = 0;
        struct kt_err e2;
        kt_err_reset(&e2);
        if (store_keys_shred(s, &shredded, &e2) != KT_OK) { /* queued: the next start does it */
            log_warn("keys_not_destroyed", "code=%s detail=\"%s\"", e2.code, e2.detail);
        }
        *wal_wiped = store_wipe_wal(s, NULL) == KT_OK; /* the reply says whether it was */
    }
    return rc;
}
