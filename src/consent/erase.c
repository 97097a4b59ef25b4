/*
 * erase.c - depersonalisation with an act of destruction, the suppression list that keeps an
 * erased person from coming back through old data, and the scheduled work (erasure after a
 * withdrawal, retention) run by the worker and `kartoteka run-due`.
 *
 * What an erasure destroys and what it keeps is in docs/privacy.md. The customer's row stays,
 * empty and marked erased, so purchases and events keep a depersonalised owner for statistics.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "consent/consent.h"
#include "loyalty/ledger.h"

#define YEAR_MS         (36525LL * 864 * 1000) /* 365.25 days */
#define ACT_KEEP_MS     (3 * YEAR_MS)
#define EXTRACT_MAX     10000
#define RETENTION_BATCH 100

/* ---- suppression ---------------------------------------------------------------------------- */

void suppress_hash(const struct key_secret *k, const char *kind, const char *value,
                   unsigned char out[32])
{
    static const char ctx[] = "kartoteka/suppression/v1";
    unsigned char key[32];
    crypto_generichash(key, sizeof(key), (const unsigned char *)ctx, sizeof(ctx) - 1, k->k,
                       sizeof(k->k));
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof(key), 32);
    crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(key, sizeof(key));
}

static bool suppressible(const char *kind)
{
    return strcmp(kind, "phone") == 0 || strcmp(kind, "email") == 0 || strcmp(kind, "card") == 0;
}

static enum kt_rc hit(struct store_conn *w, const unsigned char (*hashes)[32],
                      const char *const *kinds, const char *const *fields, size_t n, int64_t now,
                      const char **which, const char **field, struct kt_err *err)
{
    size_t first;
    enum kt_rc rc = store_suppress_hit(w, hashes, n, now, &first, err);
    *which = rc == KT_OK && first < n ? kinds[first] : NULL;
    *field = rc == KT_OK && first < n ? fields[first] : NULL;
    return rc;
}

/* The i-th phone, e-mail or card of a request and the field it came from: the profile's phone
 * and e-mail first, then the identifiers. */
static void request_value(const struct upsert_req *req, size_t i, const char **kind,
                          const char **value, const char **field)
{
    if (i == 0) {
        *kind = "phone";
        *value = req->val[PF_PHONE];
        *field = "profile.phone";
    } else if (i == 1) {
        *kind = "email";
        *value = req->email_key ? req->email_key : req->val[PF_EMAIL];
        *field = "profile.email";
    } else {
        *kind = req->idents[i - 2].kind;
        *value = req->idents[i - 2].value;
        *field = req->ident_fields != NULL ? req->ident_fields[i - 2] : NULL;
    }
}

enum kt_rc suppress_check_at(struct store_conn *w, const struct key_secret *k,
                             const struct upsert_req *req, bool lift, int64_t now,
                             const char **which, const char **field, struct kt_err *err)
{
    const char *ignored;
    field = field != NULL ? field : &ignored;
    *which = *field = NULL;
    /* The distinct phones, e-mails and cards of the request (the profile's phone and e-mail are
     * usually among its identifiers too), hashed. */
    const char *kinds[SUPPRESS_CHECK_MAX], *values[SUPPRESS_CHECK_MAX], *fields[SUPPRESS_CHECK_MAX];
    unsigned char hashes[SUPPRESS_CHECK_MAX][32];
    size_t n = 0;
    for (size_t i = 0; i < req->n_idents + 2; i++) {
        const char *kind, *value, *from;
        request_value(req, i, &kind, &value, &from);
        if (value == NULL || !suppressible(kind)) {
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++) {
            seen = strcmp(kinds[j], kind) == 0 && strcmp(values[j], value) == 0;
        }
        if (seen) {
            continue;
        }
        if (n == SUPPRESS_CHECK_MAX) { /* a request with many identifiers: check what we have */
            enum kt_rc rc = lift ? KT_OK : hit(w, hashes, kinds, fields, n, now, which, field, err);
            if (rc != KT_OK || *which != NULL) {
                return rc;
            }
            n = 0;
        }
        kinds[n] = kind;
        values[n] = value;
        fields[n] = from != NULL ? from : "identifiers";
        suppress_hash(k, kind, value, hashes[n]);
        if (lift) {
            enum kt_rc rc = store_suppress_remove(w, hashes[n], err);
            if (rc != KT_OK) {
                return rc;
            }
        }
        n++;
    }
    return lift || n == 0 ? KT_OK : hit(w, hashes, kinds, fields, n, now, which, field, err);
}

enum kt_rc suppress_check(struct store_conn *w, const struct key_secret *k,
                          const struct upsert_req *req, bool lift, int64_t now, const char **which,
                          struct kt_err *err)
{
    return suppress_check_at(w, k, req, lift, now, which, NULL, err);
}

/* ---- erasure ------------------------------------------------------------------------------ */

/* The hashes an erasure suppresses, kept to find the person's lines in import reject files. */
struct hashes {
    unsigned char (*h)[32];
    size_t n, cap;
};

static enum kt_rc suppress_one(struct store_conn *w, const struct key_secret *k, const char *kind,
                               const char *value, const char *act_id, int64_t now, struct arena *a,
                               struct hashes *hs, struct kt_err *err)
{
    if (value == NULL || !suppressible(kind)) {
        return KT_OK;
    }
    unsigned char(*h)[32] = arena_push(a, &hs->h, &hs->n, &hs->cap, sizeof(*hs->h));
    suppress_hash(k, kind, value, *h);
    return store_suppress_add(w, *h, kind, act_id, now, err);
}

/* The suppressed identifiers as they hide in the identifiers and the profile; then the reject
 * lines of server imports that carry any of them go (docs/import.md). */
static enum kt_rc suppress_all(struct store_conn *w, const struct key_secret *k,
                               const struct customer *cu, const struct ident *ids, size_t n_ids,
                               const char *act_id, int64_t now, struct arena *a, json_t *cats,
                               struct kt_err *err)
{
    struct hashes hs = {NULL, 0, 0};
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n_ids; i++) {
        rc = suppress_one(w, k, ids[i].kind, ids[i].value, act_id, now, a, &hs, err);
    }
    if (rc == KT_OK) {
        rc = suppress_one(w, k, "phone", cu->val[PF_PHONE], act_id, now, a, &hs, err);
    }
    if (rc == KT_OK) {
        rc = suppress_one(w, k, "email", cu->val[PF_EMAIL], act_id, now, a, &hs, err);
    }
    int64_t removed = 0;
    if (rc == KT_OK && hs.n > 0) {
        rc = store_reject_forget(w, (const unsigned char(*)[32])hs.h, hs.n, &removed, err);
    }
    if (rc == KT_OK && removed > 0) {
        json_array_append_new(cats, json_string("import_rejects"));
    }
    return rc;
}

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
            json_object_set_new(o, "key", json_string(e[i].key_id));
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
        const char *opt[][2] = {{"key", e->key_id},
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

enum kt_rc privacy_erase(struct store *s, struct store_conn *w, const struct key_secret *k,
                         int64_t ck, const struct erase_opts *o, int64_t now, struct arena *a,
                         struct destruction_act *act, struct kt_err *err)
{
    struct customer cu;
    enum kt_rc rc = store_customer_get(w, ck, a, &cu, err);
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
    /* What is destroyed, by category (never the values). */
    json_t *cats = json_array();
    for (int f = 0; f < PF_COUNT; f++) {
        if (cu.val[f] != NULL) {
            json_array_append_new(cats, json_string(arena_printf(a, "profile.%s", pf_names[f])));
        }
    }
    if (cu.attrs != NULL && strcmp(cu.attrs, "{}") != 0) {
        json_array_append_new(cats, json_string("attributes"));
    }
    for (size_t i = 0; i < n_ids; i++) {
        const char *c = arena_printf(
            a, "identifiers.%s", strncmp(ids[i].kind, "ext:", 4) == 0 ? "external" : ids[i].kind);
        bool seen = false;
        size_t j;
        json_t *v;
        json_array_foreach(cats, j, v)
        {
            seen = seen || strcmp(json_string_value(v), c) == 0;
        }
        if (!seen) {
            json_array_append_new(cats, json_string(c));
        }
    }
    json_array_append_new(cats, json_string("history.values"));
    json_array_append_new(cats, json_string("consents.ip_user_agent"));

    rc = suppress_all(w, k, &cu, ids, n_ids, act->id, now, a, cats, err);
    struct consent_actor who = {"erasure", NULL, o->operator_id, o->key_id, NULL, cu.id, false};
    int changed = 0;
    if (rc == KT_OK) {
        rc = subs_set(w, ck, NULL, NULL, false, "erasure", &who, now, &changed, err);
    }
    if (rc == KT_OK) {
        rc = close_consents(w, ck, o, now, a, err);
    }
    if (rc == KT_OK) {
        rc = store_due_cancel(w, ck, "erase", now, err);
    }
    if (rc == KT_OK) {
        rc = close_points(w, ck, o, now, a, err);
    }
    if (rc == KT_OK) {
        rc = store_customer_erase(w, ck, now, err);
    }
    if (rc == KT_OK) {
        struct history_entry h = {0,    ck,        now,  "customer",     "erase", NULL,
                                  NULL, "erasure", NULL, o->operator_id, NULL,    o->reason};
        rc = store_history_add(w, &h, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, o->key_id, "erase", cu.id, NULL,
                         arena_printf(a, "act %s, reason %s", act->id, o->reason), o->request_id,
                         now, err);
    }
    json_t *log = json_array();
    if (rc == KT_OK) {
        rc = extract(s, w, cu.id, a, log, err);
    }
    if (rc == KT_OK) {
        rc = extract_consents(w, ck, a, log, err);
    }
    if (rc == KT_OK) {
        char *c = json_dumps(cats, JSON_COMPACT), *l = json_dumps(log, JSON_COMPACT);
        act->customer_id = arena_strdup(a, cu.id);
        act->at = now;
        act->reason = o->reason;
        act->categories = arena_strdup(a, c);
        act->system = o->system;
        act->key_id = o->key_id;
        act->operator_id = o->operator_id;
        act->request_id = o->request_id;
        act->log_extract = arena_strdup(a, l);
        act->keep_until = now + ACT_KEEP_MS;
        free(c);
        free(l);
        rc = store_act_insert(w, act, err);
    }
    json_decref(cats);
    json_decref(log);
    return rc;
}

/* ---- scheduled work ------------------------------------------------------------------------- */

/* One due erasure in its own transaction; KT_ENOTFOUND when nothing is due. */
static enum kt_rc one_due(struct store *s, const struct key_secret *k, int64_t now,
                          const char *system, int *erased, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        arena_release(&a);
        return rc;
    }
    struct due_item d;
    struct kt_err e2;
    kt_err_reset(&e2);
    rc = store_due_next(w, now, &a, &d, &e2);
    if (rc != KT_OK) {
        store_write_rollback(w);
        arena_release(&a);
        return rc == KT_ENOTFOUND ? KT_ENOTFOUND : kt_err_copy(err, &e2);
    }
    struct erase_opts o = {d.reason, NULL, NULL, NULL, system};
    struct destruction_act act;
    rc = privacy_erase(s, w, k, d.ck, &o, now, &a, &act, &e2);
    if (rc == KT_ECONFLICT) { /* erased meanwhile by a request */
        rc = KT_OK;
    } else if (rc == KT_OK) {
        (*erased)++;
        log_info("erased", "act=%s customer=%s reason=%s", act.id, act.customer_id, d.reason);
    } else {
        kt_err_copy(err, &e2);
    }
    if (rc == KT_OK) {
        rc = store_due_finish(w, d.seq, now, err);
    }
    rc = store_write_end(w, rc, err);
    arena_release(&a);
    return rc;
}

static enum kt_rc retention(struct store *s, const struct key_secret *k, int64_t now,
                            const char *system, int *erased, struct kt_err *err)
{
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_conn *w;
        enum kt_rc rc = store_write_begin(s, &w, err);
        if (rc != KT_OK) {
            arena_release(&a);
            return rc;
        }
        struct privacy_settings ps;
        int64_t *cks = NULL;
        size_t n = 0;
        rc = privacy_settings_get(w, &a, &ps, err);
        if (rc == KT_OK && ps.retention_years > 0) {
            rc = store_customer_inactive(w, now - ps.retention_years * YEAR_MS, RETENTION_BATCH, &a,
                                         &cks, &n, err);
        }
        struct erase_opts o = {"retention", NULL, NULL, NULL, system};
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            struct destruction_act act;
            rc = privacy_erase(s, w, k, cks[i], &o, now, &a, &act, err);
            *erased += rc == KT_OK;
        }
        rc = store_write_end(w, rc, err);
        arena_release(&a);
        if (rc != KT_OK || n < RETENTION_BATCH) {
            return rc;
        }
    }
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
    rc = store_customer_get_by_id(w, customer_id, a, &cu, err);
    if (rc == KT_OK) {
        rc = privacy_erase(s, w, k, cu.ck, o, now, a, act, err);
    }
    if (rc == KT_OK && o->request_id != NULL) { /* the request it answers is done */
        struct kt_err e2;
        kt_err_reset(&e2);
        enum kt_rc prc = store_preq_close(w, o->request_id, "done",
                                          arena_printf(a, "erased, act %s", act->id), now, &e2);
        rc = prc == KT_ENOTFOUND ? KT_OK : prc == KT_OK ? KT_OK : kt_err_copy(err, &e2);
    }
    rc = store_write_end(w, rc, err);
    if (rc == KT_OK) { /* the WAL holds page images from before the erasure: copy and truncate */
        struct kt_err e3;
        kt_err_reset(&e3);
        *wal_wiped = store_wipe_wal(s, &e3) == KT_OK;
    }
    return rc;
}

enum kt_rc privacy_run_due(struct store *s, const struct key_secret *k, int64_t now,
                           const char *system, int *erased, struct kt_err *err)
{
    *erased = 0;
    enum kt_rc rc;
    while ((rc = one_due(s, k, now, system, erased, err)) == KT_OK) {
    }
    if (rc == KT_ENOTFOUND) {
        rc = retention(s, k, now, system, erased, err);
    }
    if (rc == KT_OK && *erased > 0) {
        /* The erasures are committed either way; a WAL that could not be cut now is restarted
         * by the next checkpoints. Said, not failed. */
        struct kt_err e2;
        kt_err_reset(&e2);
        if (store_wipe_wal(s, &e2) != KT_OK) {
            log_warn("wal_not_wiped", "code=%s detail=\"%s\"", e2.code, e2.detail);
        }
    }
    return rc;
}

void privacy_act_text(struct buf *out, const struct destruction_act *x, struct arena *a)
{
    struct buf b = *out;
    buf_printf(&b, "АКТ ОБ УНИЧТОЖЕНИИ ПЕРСОНАЛЬНЫХ ДАННЫХ № %s\n\n", x->id);
    buf_printf(&b, "Дата и время уничтожения (UTC): %s\n", time_rfc3339(a, x->at));
    buf_printf(&b, "Информационная система: %s\n", x->system);
    buf_printf(&b, "Субъект персональных данных: клиент %s\n", x->customer_id);
    buf_printf(&b, "Основание: %s\n", x->reason);
    if (x->request_id) {
        buf_printf(&b, "Обращение субъекта: %s\n", x->request_id);
    }
    buf_printf(&b, "Уничтожил: ключ API %s%s%s\n", x->key_id ? x->key_id : "— (фоновая задача)",
               x->operator_id ? ", оператор " : "", x->operator_id ? x->operator_id : "");
    buf_puts(&b, "Категории уничтоженных данных:\n");
    json_t *c = json_loads(x->categories, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(c, i, v)
    {
        buf_printf(&b, "  - %s\n", json_string_value(v));
    }
    json_decref(c);
    buf_puts(&b, "Способ: обезличивание записи и удаление значений в базе данных с "
                 "затиранием освобождённого места (SQLite secure_delete) и очисткой журнала "
                 "WAL.\n\nВыгрузка из журнала событий (audit), без персональных данных:\n");
    json_t *l = json_loads(x->log_extract, 0, NULL);
    json_array_foreach(l, i, v)
    {
        const char *k = json_string_value(json_object_get(v, "key"));
        const char *d = json_string_value(json_object_get(v, "detail"));
        buf_printf(&b, "  %s  %-9s  %s  %s\n", json_string_value(json_object_get(v, "at")),
                   json_string_value(json_object_get(v, "action")), k ? k : "-", d ? d : "");
    }
    json_decref(l);
    buf_printf(&b, "\nХранить до: %s\n", time_rfc3339(a, x->keep_until));
    *out = b;
}
