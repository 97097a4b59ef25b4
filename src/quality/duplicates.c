/*
 * duplicates.c - the base's fuzzy duplicates (docs/dedup.md): the matcher (dedup/) run over the
 * live customers, its pairs written to the review queue, and a new customer checked at upsert
 * against those who share a blocking key with her.
 *
 * The comparisons are dedup_default_conf's on the profile's standard forms (the card column has
 * no profile field: cards are identifiers, and an identifier already finds its customer). A run
 * keeps what it learnt (m, u, lambda: meta "dedup_model") and rebuilds the blocking keys
 * (dedup_keys, as blind indexes); the check at upsert scores with that model, so before the
 * first run there is nothing to check against.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "base/mem.h"
#include "dedup/dedup.h"
#include "consent/consent.h"
#include "quality/duplicates.h"

#define PAGE        2000 /* customers read at a time */
#define WRITE_BATCH 2000 /* pairs or customers' keys written per transaction */
#define CHECK_MAX   8    /* candidates a check takes from each blocking key at most */
#define MODEL_META  "dedup_model"

/* The comparisons and which profile field each compares (-1: none). */
struct conf {
    struct dedup_conf c;
    int pf[DEDUP_FIELDS_MAX];
    struct arena a;
};

static bool conf_load(struct conf *k)
{
    char msg[160];
    const char *id_column;
    arena_init(&k->a, 0);
    if (!dedup_conf_parse(dedup_default_conf, &k->c, &id_column, &k->a, msg, sizeof(msg))) {
        return false;
    }
    for (size_t f = 0; f < k->c.n_fields; f++) {
        k->pf[f] = -1;
        for (int p = 0; p < PF_COUNT; p++) {
            if (strcmp(pf_names[p], k->c.field[f].column) == 0) {
                k->pf[f] = p;
            }
        }
    }
    return true;
}

static void values_of(const struct conf *k, const struct customer *cu, struct arena *a,
                      struct dedup_value *v)
{
    for (size_t f = 0; f < k->c.n_fields; f++) {
        v[f] = dedup_value(k->c.field[f].kind, k->pf[f] >= 0 ? cu->val[k->pf[f]] : NULL, a);
    }
}

/* A rule no score overrides, on what the customers proved: two different verified phones,
 * e-mails or birth dates. The field's name, or NULL. */
static const char *verified_conflict(const struct customer *x, const struct customer *y)
{
    static const int fields[] = {PF_PHONE, PF_EMAIL, PF_BIRTH_DATE};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        int f = fields[i];
        uint32_t bit = 1u << f;
        if ((x->verified & bit) && (y->verified & bit) && x->val[f] && y->val[f] &&
            strcmp(x->val[f], y->val[f]) != 0) {
            return pf_names[f];
        }
    }
    return NULL;
}

const char *dup_explain(const struct dedup_conf *c, const struct dedup_model *m,
                        const int8_t *level, struct arena *a)
{
    json_t *items = json_array();
    for (size_t f = 0; f < c->n_fields; f++) {
        if (level[f] < 0) {
            continue;
        }
        double w = round(dedup_level_weight(m, f, level[f]) * 100) / 100;
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:f}", "field", c->field[f].column, "level",
                                        dedup_level_name(c->field[f].kind, level[f]), "weight", w));
    }
    char *s = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    const char *out = arena_strdup(a, s ? s : "[]");
    free(s);
    return out;
}

/* ---- the model a run keeps ------------------------------------------------------------------ */

static char *model_dump(const struct dedup_conf *c, const struct dedup_model *m)
{
    json_t *fields = json_object();
    for (size_t f = 0; f < c->n_fields; f++) {
        json_t *mm = json_array(), *uu = json_array();
        for (int l = 0; l < dedup_levels(c->field[f].kind); l++) {
            json_array_append_new(mm, json_real(m->m[f][l]));
            json_array_append_new(uu, json_real(m->u[f][l]));
        }
        json_object_set_new(fields, c->field[f].column, json_pack("{s:o, s:o}", "m", mm, "u", uu));
    }
    json_t *doc = json_pack("{s:f, s:o}", "lambda", m->lambda, "fields", fields);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

/* The model the last run kept: false when there is none (or it no longer fits the fields). */
static bool model_load(const struct dedup_conf *c, const char *text, struct dedup_model *m)
{
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    json_t *fields = json_object_get(doc, "fields");
    bool ok = json_is_object(fields);
    memset(m, 0, sizeof(*m));
    m->lambda = json_number_value(json_object_get(doc, "lambda"));
    for (size_t f = 0; ok && f < c->n_fields; f++) {
        json_t *o = json_object_get(fields, c->field[f].column);
        json_t *mm = json_object_get(o, "m"), *uu = json_object_get(o, "u");
        int nl = dedup_levels(c->field[f].kind);
        ok = (int)json_array_size(mm) == nl && (int)json_array_size(uu) == nl;
        for (int l = 0; ok && l < nl; l++) {
            m->m[f][l] = json_number_value(json_array_get(mm, (size_t)l));
            m->u[f][l] = json_number_value(json_array_get(uu, (size_t)l));
        }
    }
    json_decref(doc);
    return ok && m->lambda > 0;
}

/* ---- the run -------------------------------------------------------------------------------- */

struct run {
    struct conf k;
    struct dedup_set *set;
    int64_t *ck;        /* by record */
    uint32_t *verified; /* by record: the profile fields the customer proved */
    const char **vals;  /* by record, PF_COUNT each: phone, e-mail, birth date (verified checks) */
    size_t n, cap;
    void (*progress)(double, void *);
    void *arg;
};

static void run_add(struct run *r, const struct customer *cu)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4096;
        r->ck = kt_realloc(r->ck, r->cap * sizeof(*r->ck));
        r->verified = kt_realloc(r->verified, r->cap * sizeof(*r->verified));
        r->vals = kt_realloc(r->vals, r->cap * PF_COUNT * sizeof(*r->vals));
    }
    const char *raw[DEDUP_FIELDS_MAX];
    for (size_t f = 0; f < r->k.c.n_fields; f++) {
        raw[f] = r->k.pf[f] >= 0 ? cu->val[r->k.pf[f]] : NULL;
    }
    dedup_set_add(r->set, cu->id, raw);
    r->ck[r->n] = cu->ck;
    r->verified[r->n] = cu->verified;
    for (int p = 0; p < PF_COUNT; p++) {
        bool kept = p == PF_PHONE || p == PF_EMAIL || p == PF_BIRTH_DATE;
        r->vals[r->n * PF_COUNT + p] =
            kept && cu->val[p] && (cu->verified & (1u << p)) ? kt_strdup(cu->val[p]) : NULL;
    }
    r->n++;
}

static void run_free(struct run *r)
{
    for (size_t i = 0; i < r->n * PF_COUNT; i++) {
        free((void *)r->vals[i]);
    }
    free(r->vals);
    free(r->verified);
    free(r->ck);
    dedup_set_free(r->set);
    arena_release(&r->k.a);
}

static enum kt_rc read_all(struct store *s, struct run *r, struct kt_err *err)
{
    struct store_conn *rd;
    if (store_read_begin_analytics(s, &rd, err) != KT_OK) {
        return err->rc;
    }
    char after[ID_MAX] = "";
    enum kt_rc rc = KT_OK;
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct customer *cs = NULL;
        size_t n = 0;
        rc = store_customer_list(rd, after[0] ? after : NULL, PAGE, &a, &cs, &n, err);
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            if (cs[i].erased_at == 0) {
                run_add(r, &cs[i]);
            }
        }
        if (rc == KT_OK && n > 0) {
            snprintf(after, sizeof(after), "%s", cs[n - 1].id);
        }
        arena_release(&a);
        if (rc != KT_OK || n < PAGE) {
            break;
        }
        if (r->progress) {
            r->progress(0.05, r->arg); /* the total is not known while reading */
        }
    }
    store_read_end(rd);
    return rc;
}

/* A record as a customer, enough for verified_conflict(). */
static void as_customer(const struct run *r, size_t i, struct customer *cu)
{
    memset(cu, 0, sizeof(*cu));
    cu->verified = r->verified[i];
    for (int p = 0; p < PF_COUNT; p++) {
        cu->val[p] = r->vals[i * PF_COUNT + p];
    }
}

static enum kt_rc write_pairs(struct store *s, const struct run *r, const struct dedup_pair *ps,
                              size_t n, const struct dedup_model *m, int64_t now,
                              struct dup_run_stats *out, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i += WRITE_BATCH) {
        struct store_conn *w;
        if (store_write_begin(s, &w, err) != KT_OK) {
            return err->rc;
        }
        struct arena a;
        arena_init(&a, 0);
        for (size_t j = i; rc == KT_OK && j < n && j < i + WRITE_BATCH; j++) {
            struct customer x, y;
            as_customer(r, ps[j].a, &x);
            as_customer(r, ps[j].b, &y);
            const char *conflict = verified_conflict(&x, &y);
            struct dup_pair p = {.ck_a = r->ck[ps[j].a],
                                 .ck_b = r->ck[ps[j].b],
                                 .weight = ps[j].weight,
                                 .prob = ps[j].prob,
                                 .explanation = dup_explain(&r->k.c, m, ps[j].level, &a),
                                 .source = "run",
                                 .state = conflict ? "vetoed" : "open",
                                 .reason =
                                     conflict ? arena_printf(&a, "verified_%s", conflict) : NULL,
                                 .found_at = now};
            id_new(p.id, sizeof(p.id), "dp_");
            bool added = false;
            rc = store_dup_pair_add(w, &p, &added, err);
            out->added += added;
            out->vetoed += added && conflict;
        }
        arena_release(&a);
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

static enum kt_rc write_keys(struct store *s, const struct run *r, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    bool cleared = false;
    for (size_t i = 0; rc == KT_OK && (i < r->n || !cleared); i += WRITE_BATCH) {
        struct store_conn *w;
        if (store_write_begin(s, &w, err) != KT_OK) {
            return err->rc;
        }
        if (!cleared) {
            rc = store_dedup_keys_clear(w, err);
            cleared = true;
        }
        struct arena a;
        arena_init(&a, 0);
        for (size_t j = i; rc == KT_OK && j < r->n && j < i + WRITE_BATCH; j++) {
            const char *keys[DEDUP_RULES_MAX];
            size_t nk = dedup_record_keys(&r->k.c, dedup_set_values(r->set, j), &a, keys);
            rc = store_dedup_keys_put(w, r->ck[j], keys, nk, err);
        }
        arena_release(&a);
        rc = store_write_end(w, rc, err);
    }
    return rc;
}

enum kt_rc dup_run(struct store *s, int64_t now, void (*progress)(double done, void *arg),
                   void *arg, struct dup_run_stats *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct run r;
    memset(&r, 0, sizeof(r));
    r.progress = progress;
    r.arg = arg;
    if (!conf_load(&r.k)) {
        arena_release(&r.k.a);
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the default comparisons");
    }
    r.set = dedup_set_new(&r.k.c);
    enum kt_rc rc = read_all(s, &r, err);
    struct dedup_pair *ps = NULL;
    size_t n = 0;
    struct dedup_stats st;
    struct dedup_model m;
    if (rc == KT_OK) {
        dedup_run(r.set, &ps, &n, &st, progress, arg);
        dedup_model_of(&st, &m);
        out->customers = r.n;
        out->candidates = st.candidates;
        out->pairs = n;
        rc = write_pairs(s, &r, ps, n, &m, now, out, err);
    }
    if (rc == KT_OK) {
        rc = write_keys(s, &r, err);
    }
    if (rc == KT_OK && r.n > 1) {
        char *doc = model_dump(&r.k.c, &m);
        struct store_conn *w;
        if (store_write_begin(s, &w, err) == KT_OK) {
            rc = store_write_end(w, store_meta_put(w, MODEL_META, doc, err), err);
        } else {
            rc = err->rc;
        }
        free(doc);
    }
    free(ps);
    run_free(&r);
    return rc;
}

/* ---- the check at upsert -------------------------------------------------------------------- */

enum kt_rc dup_check(struct store_conn *w, const struct customer *cu, int64_t now, struct arena *a,
                     struct dup_pair *found, bool *hit, struct kt_err *err)
{
    *hit = false;
    /* the model first: before the first run there is none, and an upsert pays one read */
    const char *text = NULL;
    bool have = false;
    enum kt_rc rc = store_meta_get(w, MODEL_META, a, &text, &have, err);
    if (rc != KT_OK || !have) {
        return rc;
    }
    struct conf k;
    struct dedup_model m;
    if (!conf_load(&k) || !model_load(&k.c, text, &m)) {
        arena_release(&k.a);
        return KT_OK;
    }
    struct dedup_value v[DEDUP_FIELDS_MAX], o[DEDUP_FIELDS_MAX];
    const char *keys[DEDUP_RULES_MAX];
    values_of(&k, cu, a, v);
    size_t nk = dedup_record_keys(&k.c, v, a, keys);
    int64_t *cks = NULL;
    size_t n = 0;
    rc = store_dedup_keys_find(w, cu->ck, keys, nk, CHECK_MAX, a, &cks, &n, err);
    double best = -INFINITY;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        struct customer other;
        rc = store_customer_get(w, cks[i], a, &other, NULL, err);
        if (rc != KT_OK) {
            break;
        }
        values_of(&k, &other, a, o);
        int8_t level[DEDUP_FIELDS_MAX];
        double prob, wgt = dedup_score(&k.c, &m, v, o, level, &prob);
        if (prob < k.c.threshold || dedup_vetoed(&k.c, level) ||
            verified_conflict(cu, &other) != NULL || wgt <= best) {
            continue;
        }
        best = wgt;
        *hit = true;
        *found = (struct dup_pair){.ck_a = cu->ck,
                                   .ck_b = other.ck,
                                   .id_a = cu->id,
                                   .id_b = arena_strdup(a, other.id),
                                   .weight = wgt,
                                   .prob = prob,
                                   .explanation = dup_explain(&k.c, &m, level, a),
                                   .source = "upsert",
                                   .state = "open",
                                   .found_at = now};
        id_new(found->id, sizeof(found->id), "dp_");
    }
    if (rc == KT_OK) {
        rc = store_dedup_keys_put(w, cu->ck, keys, nk, err);
    }
    if (rc == KT_OK && *hit) {
        bool added = false;
        rc = store_dup_pair_add(w, found, &added, err);
        *hit = added; /* a pair decided before is not proposed again */
    }
    arena_release(&k.a);
    return rc;
}

/* ---- decisions ------------------------------------------------------------------------------ */

/* The open pair `id` (else not found, or decided already). */
static enum kt_rc open_pair(struct store_conn *w, const char *id, struct arena *a,
                            struct dup_pair *p, struct kt_err *err)
{
    bool found = false;
    if (!id_valid(id, "dp_") || store_dup_pair_get(w, id, a, p, &found, err) != KT_OK || !found) {
        return err->rc != KT_OK ? err->rc
                                : kt_err_set(err, KT_ENOTFOUND, "duplicate_not_found", "id",
                                             "no such pair of duplicates");
    }
    if (strcmp(p->state, "open") != 0) {
        return kt_err_set(err, KT_ECONFLICT, "duplicate_decided", "id",
                          "the pair was decided already (%s)", p->state);
    }
    return KT_OK;
}

enum kt_rc dup_merge(struct store_conn *w, const char *id, const char *into,
                     const struct dup_actor *by, int64_t now, struct arena *a, struct customer *out,
                     struct kt_err *err)
{
    struct dup_pair p;
    enum kt_rc rc = open_pair(w, id, a, &p, err);
    if (rc != KT_OK) {
        return rc;
    }
    /* the older customer survives unless the caller says which */
    into = into ? into : p.id_a;
    const char *from = strcmp(into, p.id_a) == 0   ? p.id_b
                       : strcmp(into, p.id_b) == 0 ? p.id_a
                                                   : NULL;
    if (from == NULL) {
        return kt_err_set(err, KT_EINVAL, "not_in_pair", "into",
                          "into must be one of the pair's two customers");
    }
    struct ident_source src = {"admin", NULL, NULL, now, by->request_id};
    rc = ident_merge(w, into, from, &src, now, a, out, err);
    if (rc == KT_OK) {
        rc = store_dup_pair_decide(w, p.ck_a, p.ck_b, "merged", by->key_id, now, false, NULL, err);
    }
    return rc == KT_OK ? audit_write(w, by->key_id, "merge", out->id, NULL,
                                     arena_printf(a, "merged %s (duplicate %s)", from, p.id),
                                     by->request_id, now, err)
                       : rc;
}

enum kt_rc dup_reject(struct store_conn *w, const char *id, const char *note,
                      const struct dup_actor *by, int64_t now, struct arena *a,
                      struct dup_pair *out, struct kt_err *err)
{
    enum kt_rc rc = open_pair(w, id, a, out, err);
    const char *reason = note ? note : by->key_id;
    if (rc == KT_OK) {
        rc = store_dup_pair_decide(w, out->ck_a, out->ck_b, "rejected", reason, now, false, NULL,
                                   err);
    }
    if (rc == KT_OK) {
        rc = audit_write(
            w, by->key_id, "reject_duplicate", out->id_a, NULL,
            arena_printf(a, "not the same person as %s (duplicate %s)", out->id_b, out->id),
            by->request_id, now, err);
    }
    out->state = "rejected";
    out->reason = reason;
    out->decided_at = now;
    return rc;
}

/* ---- the automatic merge -------------------------------------------------------------------- */

enum kt_rc dup_auto_merge(struct store *s, double min_prob, int64_t now, size_t *merged,
                          size_t *skipped, struct kt_err *err)
{
    *merged = *skipped = 0;
    double after_w = 0;
    char after_id[ID_MAX] = "";
    for (;;) {
        struct arena a;
        arena_init(&a, 0);
        struct store_conn *rd;
        struct dup_pair *ps = NULL;
        size_t n = 0;
        enum kt_rc rc = store_read_begin(s, &rd, err);
        if (rc == KT_OK) {
            rc = store_dup_pair_list(rd, "open", after_w, after_id[0] ? after_id : NULL, 500, &a,
                                     &ps, &n, err);
            store_read_end(rd);
        }
        bool more = rc == KT_OK && n == 500;
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            if (ps[i].prob < min_prob) {
                more = false; /* strongest first: the rest are weaker */
                break;
            }
            struct store_conn *w;
            struct customer cu;
            struct kt_err e;
            kt_err_reset(&e);
            struct dup_actor by = {NULL, NULL};
            if ((rc = store_write_begin(s, &w, err)) != KT_OK) {
                break;
            }
            enum kt_rc one = dup_merge(w, ps[i].id, NULL, &by, now, &a, &cu, &e);
            if (one == KT_OK) {
                one = audit_write(
                    w, NULL, "auto_merge", cu.id, NULL,
                    arena_printf(&a, "duplicate %s, probability %.6f", ps[i].id, ps[i].prob), NULL,
                    now, &e);
            }
            if (store_write_end(w, one, &e) == KT_OK) {
                (*merged)++;
            } else if (e.rc == KT_ESTORE || e.rc == KT_EBUSY || e.rc == KT_ESPACE) {
                rc = kt_err_set(err, e.rc, e.code, e.field, "%s", e.msg);
            } else {
                (*skipped)++; /* merged with another already, blocked, erased: left for a person */
            }
        }
        if (n > 0) {
            after_w = ps[n - 1].weight;
            snprintf(after_id, sizeof(after_id), "%s", ps[n - 1].id);
        }
        arena_release(&a);
        if (rc != KT_OK) {
            return rc;
        }
        if (!more) {
            return KT_OK;
        }
    }
}
