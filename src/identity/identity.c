/*
 * identity.c - identify-and-upsert, patch and merge (see identity.h for the rules).
 *
 * A request is worked out in memory first - who it is, which values survive, which identifiers
 * are new - and only then written: the customer row, then identifiers, history and merge
 * candidates. History entries are collected while deciding and written once the customer key is
 * known, so a new customer's first values are in its history too.
 */
#include "identity/identity.h"

#include <string.h>

#include "base/id.h"
#include "clean/clean.h"
#include "identity/identity_int.h"

static const char *const channels[] = {"pos",    "web",    "app",         "qr_form",
                                       "tablet", "import", "call_center", "paper"};

enum kt_rc ident_live(const struct customer *cu, const char *field, const char *hint,
                      struct kt_err *err)
{
    if (cu->erased_at == 0) {
        return KT_OK;
    }
    return kt_err_set(err, KT_EGONE, "customer_erased", field, "the customer was erased%s%s",
                      hint ? "; " : "", hint ? hint : "");
}

/* A depersonalised customer takes no data: the person comes back only as a new customer. */
#define NEW_DATA_NEW_CUSTOMER "new data makes a new customer"

bool ident_channel_valid(const char *channel)
{
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
        if (strcmp(channel, channels[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void warn(struct ctx *x, const char *code, const char *field, const char *detail)
{
    struct ident_warning *w =
        arena_push(x->a, &x->res->warnings, &x->res->n_warnings, &x->cap_warn, sizeof(*w));
    w->code = code;
    w->field = field;
    w->detail = detail;
}

/* "profile.<field>", in the order of pf_names (checked by identity_test.c). */
const char *const ident_profile_paths[PF_COUNT] = {
    "profile.last_name", "profile.first_name", "profile.middle_name",
    "profile.gender",    "profile.birth_date", "profile.email",
    "profile.phone",     "profile.city",       "profile.address"};

/* ---- survivorship ------------------------------------------------------------------------ */

/* Re-observing the same value refreshes its observation time at most once a day, so a till
 * that sends the same customer all day long does not rewrite the row each time. */
#define REOBSERVE_MS (24LL * 3600 * 1000)

static void apply_field(struct ctx *x, int f, const char *v, bool verify, enum quality q,
                        bool inferred)
{
    struct customer *c = x->c;
    const char *cur = c->val[f];
    bool cur_verified = (c->verified & bit(f)) != 0;
    if (f == PF_GENDER && cur != NULL && inferred && !c->gender_inferred) {
        return; /* what the customer said beats what the name suggests */
    }
    bool stated_over_inferred = f == PF_GENDER && cur != NULL && !inferred && c->gender_inferred;
    if (cur != NULL && strcmp(cur, v) == 0) {
        if (verify && !cur_verified) {
            c->verified |= bit(f);
            ident_record(x, profile_path(x, f), "verify", NULL, cur);
            x->dirty = true;
        }
        if (stated_over_inferred) {
            c->gender_inferred = false;
            x->dirty = true;
        }
        if (x->t > c->at[f] + REOBSERVE_MS) {
            c->at[f] = x->t;
            x->dirty = true;
        }
        return;
    }
    if (!stated_over_inferred) {
        if (cur != NULL && cur_verified && !verify) {
            warn(x, "kept_verified", profile_path(x, f), NULL);
            return;
        }
        if (cur != NULL && x->t < c->at[f]) {
            warn(x, "kept_newer", profile_path(x, f), NULL);
            return;
        }
    }
    ident_record(x, profile_path(x, f), "set", cur, v);
    c->val[f] = v;
    c->at[f] = x->t;
    c->verified = verify ? c->verified | bit(f) : c->verified & ~bit(f);
    c->quality = quality_set(c->quality, f, q);
    if (f == PF_GENDER) {
        c->gender_inferred = inferred;
    }
    x->dirty = true;
}

static void clear_field(struct ctx *x, int f, bool verify)
{
    struct customer *c = x->c;
    if (c->val[f] == NULL) {
        return;
    }
    if ((c->verified & bit(f)) && !verify) {
        warn(x, "kept_verified", profile_path(x, f), NULL);
        return;
    }
    if (x->t < c->at[f]) {
        warn(x, "kept_newer", profile_path(x, f), NULL);
        return;
    }
    ident_record(x, profile_path(x, f), "clear", c->val[f], NULL);
    c->val[f] = NULL;
    c->at[f] = 0;
    c->verified &= ~bit(f);
    c->quality = quality_set(c->quality, f, QUALITY_OK);
    if (f == PF_GENDER) {
        c->gender_inferred = false;
    }
    x->dirty = true;
}

static json_t *load_object(const char *text)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    return o;
}

static const char *dump(struct arena *a, const json_t *v)
{
    if (v == NULL) {
        return NULL;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    const char *r = arena_strdup(a, s ? s : "null");
    free(s);
    return r;
}

/* Applies attribute values by the same newest-wins rule (attributes carry no verification). */
static void apply_attrs(struct ctx *x, json_t *attrs)
{
    if (attrs == NULL || json_object_size(attrs) == 0) {
        return;
    }
    json_t *cur = load_object(x->c->attrs);
    json_t *cur_at = load_object(x->c->attrs_at);
    const char *key;
    json_t *v;
    bool changed = false;
    json_object_foreach(attrs, key, v)
    {
        json_t *old = json_object_get(cur, key);
        int64_t at = json_integer_value(json_object_get(cur_at, key));
        const char *path = arena_printf(x->a, "attributes.%s", key);
        if (old != NULL && json_equal(old, v)) {
            if (x->t > at + REOBSERVE_MS) {
                json_object_set_new(cur_at, key, json_integer(x->t));
                changed = true;
            }
            continue;
        }
        if (old == NULL && json_is_null(v)) {
            continue;
        }
        if (old != NULL && x->t < at) {
            warn(x, "kept_newer", path, NULL);
            continue;
        }
        if (json_is_null(v)) {
            ident_record(x, path, "clear", dump(x->a, old), NULL);
            json_object_del(cur, key);
            json_object_del(cur_at, key);
        } else {
            ident_record(x, path, "set", dump(x->a, old), dump(x->a, v));
            json_object_set(cur, key, v);
            json_object_set_new(cur_at, key, json_integer(x->t));
        }
        changed = true;
    }
    if (changed) {
        x->c->attrs = dump(x->a, cur);
        x->c->attrs_at = dump(x->a, cur_at);
        x->dirty = true;
    }
    json_decref(cur);
    json_decref(cur_at);
}

/* ---- resolution -------------------------------------------------------------------------- */

/* The request's identifiers plus those its profile implies (phone, e-mail), without repeats. */
static struct cand *gather(const struct upsert_req *req, struct arena *a, size_t *n,
                           int prof_idx[PF_COUNT])
{
    size_t cap = 0;
    struct cand *cs = NULL;
    *n = 0;
    for (int f = 0; f < PF_COUNT; f++) {
        prof_idx[f] = -1;
    }
    for (size_t i = 0; i < req->n_idents + 2; i++) {
        struct ident id;
        int f = -1;
        if (i < req->n_idents) {
            id = req->idents[i];
        } else {
            f = i == req->n_idents ? PF_PHONE : PF_EMAIL;
            if (req->val[f] == NULL) {
                continue;
            }
            memset(&id, 0, sizeof(id));
            id.kind = pf_names[f];
            id.value = req->val[f];
            if (f == PF_EMAIL && req->email_key != NULL) {
                id.value = req->email_key; /* the profile holds the display form */
            } else if (f == PF_EMAIL) {
                struct clean_email e;
                clean_email(req->val[f], strlen(req->val[f]), a, &e);
                id.value = e.out.value ? e.out.value : req->val[f];
            }
            id.verified = (req->verify & bit(f)) != 0;
        }
        size_t k = 0;
        while (k < *n &&
               !(strcmp(cs[k].id.kind, id.kind) == 0 && strcmp(cs[k].id.value, id.value) == 0)) {
            k++;
        }
        if (k == *n) {
            struct cand *c = arena_push(a, &cs, n, &cap, sizeof(*c));
            c->id = id;
        } else {
            cs[k].id.verified = cs[k].id.verified || id.verified;
        }
        if (f >= 0) {
            prof_idx[f] = (int)k;
        }
    }
    return cs;
}

static enum kt_rc find_owners(struct store_conn *w, struct cand *cs, size_t n, struct arena *a,
                              struct kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct ident owner;
        bool held;
        enum kt_rc rc = store_ident_find(w, cs[i].id.kind, cs[i].id.value, a, &owner, &held, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (held) {
            cs[i].owner = owner.ck;
            cs[i].owner_verified = owner.verified;
        }
    }
    return KT_OK;
}

/* The customer found by the strongest identifier; then by the most identifiers; then the oldest. */
static int64_t best_match(const struct cand *cs, size_t n)
{
    int64_t best = 0;
    int best_strength = -1, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].owner == 0) {
            continue;
        }
        int strength = 0, count = 0;
        for (size_t j = 0; j < n; j++) {
            if (cs[j].owner == cs[i].owner) {
                int s = ident_strength(cs[j].id.kind);
                strength = s > strength ? s : strength;
                count++;
            }
        }
        if (strength > best_strength || (strength == best_strength && count > best_count) ||
            (strength == best_strength && count == best_count && cs[i].owner < best)) {
            best = cs[i].owner;
            best_strength = strength;
            best_count = count;
        }
    }
    return best;
}

static enum kt_rc new_customer(struct ctx *x)
{
    struct customer *c = x->c;
    memset(c, 0, sizeof(*c));
    id_new(c->id, sizeof(c->id), "c_");
    c->created_at = x->now;
    c->updated_at = x->now;
    c->attrs = "{}";
    c->attrs_at = "{}";
    x->dirty = true;
    return KT_OK;
}

/* Writes the changed customer row (an existing one) and the history gathered so far. */
static enum kt_rc save(struct ctx *x, struct kt_err *err)
{
    enum kt_rc rc = KT_OK;
    if (x->dirty && !x->created) {
        x->c->updated_at = x->now;
        rc = store_customer_update(x->w, x->c, err);
    }
    if (x->dirty || x->n_hist > 0) {
        x->res->changed = true;
    }
    return rc == KT_OK ? ident_flush_history(x, err) : rc;
}

/* Attaches the identifiers nobody has, marks newly verified ones, reports the others' ones. */
static enum kt_rc attach(struct ctx *x, struct cand *cs, size_t n, struct kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct cand *cd = &cs[i];
        /* a new customer's identifiers are in its "create" entry: no path needed */
        const char *path = x->created ? "" : arena_printf(x->a, "identifiers.%s", cd->id.kind);
        enum kt_rc rc = KT_OK;
        if (cd->owner == 0) {
            cd->id.ck = x->c->ck;
            cd->id.created_at = x->now;
            cd->id.channel = x->src->channel;
            rc = store_ident_insert(x->w, &cd->id, err);
            if (rc == KT_OK &&
                (strcmp(cd->id.kind, "cookie") == 0 || strcmp(cd->id.kind, "device") == 0)) {
                int64_t adopted; /* what this browser or app did before it was known */
                rc = store_events_adopt(x->w, cd->id.kind, cd->id.value, x->c->ck, &adopted, err);
            }
            ident_record(x, path, "attach", NULL, cd->id.value);
            x->res->changed = true;
        } else if (cd->owner == x->c->ck && cd->id.verified && !cd->owner_verified) {
            rc = store_ident_set_verified(x->w, cd->id.kind, cd->id.value, err);
            ident_record(x, path, "verify", NULL, cd->id.value);
            x->res->changed = true;
        }
        if (rc != KT_OK) {
            return rc;
        }
    }
    return ident_flush_history(x, err);
}

static enum kt_rc report_conflicts(struct ctx *x, struct cand *cs, size_t n, struct kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (cs[i].owner == 0 || cs[i].owner == x->c->ck) {
            continue;
        }
        struct customer other;
        enum kt_rc rc = store_customer_get(x->w, cs[i].owner, x->a, &other, NULL, err);
        if (rc == KT_OK) {
            rc = store_merge_candidate_add(x->w, x->c->ck, cs[i].owner, "shared_identifier", x->now,
                                           err);
        }
        if (rc != KT_OK) {
            return rc;
        }
        struct ident_conflict *cf =
            arena_push(x->a, &x->res->conflicts, &x->res->n_conflicts, &x->cap_conf, sizeof(*cf));
        cf->customer_id = arena_strdup(x->a, other.id);
        cf->identifier = cs[i].id.kind;
        warn(x, "identifier_conflict", arena_printf(x->a, "identifiers.%s", cs[i].id.kind), NULL);
    }
    return KT_OK;
}

/* True when the latest refusal of this field kept the same raw text. */
static bool refused_before(struct ctx *x, const struct ident_refusal *r)
{
    const char *last = NULL;
    return store_history_last_refused(x->w, x->c->ck, r->field, x->a, &last, NULL) == KT_OK &&
           strcmp(last, r->raw) == 0;
}

/* Applies profile fields and attributes; phone and e-mail that belong to another customer are
 * not copied into this profile. */
static void apply_profile(struct ctx *x, const struct upsert_req *req, const struct cand *cs,
                          const int prof_idx[PF_COUNT])
{
    const char *names[3] = {x->c->val[PF_LAST_NAME], x->c->val[PF_FIRST_NAME],
                            x->c->val[PF_MIDDLE_NAME]};
    for (int f = 0; f < PF_COUNT; f++) {
        bool verify = (req->verify & bit(f)) != 0;
        if (req->clear[f]) {
            clear_field(x, f, verify);
            continue;
        }
        if (req->val[f] == NULL) {
            continue;
        }
        int k = prof_idx[f];
        if (k >= 0 && cs[k].owner != 0 && cs[k].owner != x->c->ck) {
            continue; /* reported by report_conflicts() */
        }
        apply_field(x, f, req->val[f], verify, quality_get(req->quality, f),
                    f == PF_GENDER && req->gender_inferred);
    }
    apply_attrs(x, req->attrs);
    const char *const *now_names = &x->c->val[PF_LAST_NAME];
    if (x->created || memcmp(names, now_names, sizeof(names)) != 0) {
        /* the stored key matches the stored names; work it out again only when they changed,
         * and take the request's when the names are all the request's */
        bool theirs = req->name_key != NULL && now_names[0] == req->val[PF_LAST_NAME] &&
                      now_names[1] == req->val[PF_FIRST_NAME] &&
                      now_names[2] == req->val[PF_MIDDLE_NAME];
        const char *key =
            theirs ? req->name_key : clean_name_key(now_names[0], now_names[1], now_names[2], x->a);
        if ((key == NULL) != (x->c->name_key == NULL) ||
            (key != NULL && strcmp(key, x->c->name_key) != 0)) {
            x->c->name_key = key;
            x->dirty = true;
        }
    }
    for (size_t i = 0; i < req->n_refused; i++) {
        if (!x->created && refused_before(x, &req->refused[i])) {
            continue; /* the same file imported again tells nothing new */
        }
        ident_record(x, req->refused[i].field, "refused", NULL, req->refused[i].raw);
        x->hist[x->n_hist - 1].reason = req->refused[i].reason;
    }
}

static void ctx_init(struct ctx *x, struct store_conn *w, const struct ident_source *src,
                     int64_t now, struct arena *a, struct upsert_result *res)
{
    memset(x, 0, sizeof(*x));
    x->w = w;
    x->src = src;
    x->now = now;
    x->t = src->observed_at ? src->observed_at : now;
    x->a = a;
    x->res = res;
    x->c = &res->cust;
}

/* Cleaning notes come first in the result's warnings. */
static void pass_notes(struct ctx *x, const struct upsert_req *req)
{
    for (size_t i = 0; i < req->n_notes; i++) {
        warn(x, req->notes[i].code, req->notes[i].field, req->notes[i].detail);
    }
}

enum kt_rc ident_upsert(struct store_conn *w, const struct upsert_req *req, int64_t now,
                        struct arena *a, struct upsert_result *res, struct kt_err *err)
{
    memset(res, 0, sizeof(*res));
    struct ctx x;
    ctx_init(&x, w, &req->src, now, a, res);
    pass_notes(&x, req);
    int prof_idx[PF_COUNT];
    size_t n = 0;
    struct cand *cs = gather(req, a, &n, prof_idx);
    if (n == 0) {
        return kt_err_set(err, KT_EINVAL, "no_identifier", "identifiers",
                          "the request carries no identifier: give a phone, an e-mail, a card or "
                          "another identifier");
    }
    enum kt_rc rc = find_owners(w, cs, n, a, err);
    if (rc != KT_OK) {
        return rc;
    }
    int64_t target = best_match(cs, n);
    if (target != 0) {
        rc = store_customer_get(w, target, a, x.c, NULL, err);
    } else {
        rc = new_customer(&x);
        res->created = true;
    }
    if (rc != KT_OK) {
        return rc;
    }
    x.created = res->created;
    res->changed = res->created;
    apply_profile(&x, req, cs, prof_idx);
    rc = res->created ? store_customer_insert(w, x.c, err) : KT_OK;
    if (rc == KT_OK && res->created) {
        rc = ident_create_entry(&x, cs, n, err); /* before the refusals, which follow it */
    }
    if (rc == KT_OK) {
        rc = save(&x, err);
    }
    if (rc == KT_OK) {
        rc = attach(&x, cs, n, err);
    }
    if (rc == KT_OK) {
        rc = report_conflicts(&x, cs, n, err);
    }
    return rc;
}

enum kt_rc ident_patch(struct store_conn *w, const char *id, const struct upsert_req *req,
                       int64_t now, struct arena *a, struct upsert_result *res, struct kt_err *err)
{
    memset(res, 0, sizeof(*res));
    struct ctx x;
    ctx_init(&x, w, &req->src, now, a, res);
    pass_notes(&x, req);
    enum kt_rc rc = store_customer_get_by_id(w, id, a, x.c, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = ident_live(x.c, "id", NEW_DATA_NEW_CUSTOMER, err);
    if (rc != KT_OK) {
        return rc;
    }
    int prof_idx[PF_COUNT];
    size_t n = 0;
    struct cand *cs = gather(req, a, &n, prof_idx);
    rc = find_owners(w, cs, n, a, err);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if (cs[i].owner != 0 && cs[i].owner != x.c->ck) {
            const char *field = arena_printf(a, "identifiers.%s", cs[i].id.kind);
            for (int f = 0; f < PF_COUNT; f++) {
                if (prof_idx[f] == (int)i) {
                    field = arena_printf(a, "profile.%s", pf_names[f]);
                }
            }
            rc = kt_err_set(err, KT_ECONFLICT, "identifier_conflict", field,
                            "the identifier belongs to another customer; merge the two customers "
                            "first");
        }
    }
    if (rc != KT_OK) {
        return rc;
    }
    apply_profile(&x, req, cs, prof_idx);
    rc = save(&x, err);
    return rc == KT_OK ? attach(&x, cs, n, err) : rc;
}

/* ---- merge ------------------------------------------------------------------------------- */

/* Combines `from` into `x->c` field by field: verified beats unverified, else the newer wins. */
static void merge_profile(struct ctx *x, const struct customer *from)
{
    struct customer *c = x->c;
    for (int f = 0; f < PF_COUNT; f++) {
        if (from->val[f] == NULL) {
            continue;
        }
        bool fv = (from->verified & bit(f)) != 0, iv = (c->verified & bit(f)) != 0;
        if (c->val[f] != NULL && strcmp(c->val[f], from->val[f]) == 0) {
            c->verified |= from->verified & bit(f);
            c->at[f] = from->at[f] > c->at[f] ? from->at[f] : c->at[f];
            continue;
        }
        bool take = c->val[f] == NULL || (fv && !iv) || (fv == iv && from->at[f] > c->at[f]);
        if (take) {
            ident_record(x, profile_path(x, f), "set", c->val[f], from->val[f]);
            c->val[f] = from->val[f];
            c->at[f] = from->at[f];
            c->verified = fv ? c->verified | bit(f) : c->verified & ~bit(f);
            c->quality = quality_set(c->quality, f, quality_get(from->quality, f));
            if (f == PF_GENDER) {
                c->gender_inferred = from->gender_inferred;
            }
        }
    }
    json_t *attrs = load_object(c->attrs), *attrs_at = load_object(c->attrs_at);
    json_t *fattrs = load_object(from->attrs), *fattrs_at = load_object(from->attrs_at);
    const char *key;
    json_t *v;
    json_object_foreach(fattrs, key, v)
    {
        json_t *old = json_object_get(attrs, key);
        int64_t at = json_integer_value(json_object_get(attrs_at, key));
        int64_t fat = json_integer_value(json_object_get(fattrs_at, key));
        if (old == NULL || (!json_equal(old, v) && fat > at)) {
            ident_record(x, arena_printf(x->a, "attributes.%s", key), "set", dump(x->a, old),
                         dump(x->a, v));
            json_object_set(attrs, key, v);
            json_object_set_new(attrs_at, key, json_integer(fat));
        }
    }
    c->attrs = dump(x->a, attrs);
    c->attrs_at = dump(x->a, attrs_at);
    json_decref(attrs);
    json_decref(attrs_at);
    json_decref(fattrs);
    json_decref(fattrs_at);
    if (from->created_at < c->created_at) {
        c->created_at = from->created_at;
    }
    c->name_key =
        clean_name_key(c->val[PF_LAST_NAME], c->val[PF_FIRST_NAME], c->val[PF_MIDDLE_NAME], x->a);
    x->dirty = true;
}

enum kt_rc ident_merge(struct store_conn *w, const char *into_id, const char *from_id,
                       const struct ident_source *src, int64_t now, struct arena *a,
                       struct customer *out, struct kt_err *err)
{
    struct upsert_result res;
    memset(&res, 0, sizeof(res));
    struct ctx x;
    ctx_init(&x, w, src, now, a, &res);
    struct customer from;
    enum kt_rc rc = store_customer_get_by_id(w, into_id, a, x.c, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    bool found;
    rc = store_customer_get_by_id(w, from_id, a, &from, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!found) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "from",
                          "the customer to merge from was not found");
    }
    if (from.ck == x.c->ck) {
        return kt_err_set(err, KT_EINVAL, "merge_self", "from",
                          "a customer cannot be merged into itself");
    }
    rc = ident_live(x.c, "id", NEW_DATA_NEW_CUSTOMER, err);
    if (rc == KT_OK) {
        rc = ident_live(&from, "from", NEW_DATA_NEW_CUSTOMER, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    merge_profile(&x, &from);
    ident_record(&x, "customer", "merge", from.id, x.c->id);
    rc = store_history_move(w, from.ck, x.c->ck, err);
    if (rc == KT_OK) {
        rc = store_ident_move(w, from.ck, x.c->ck, err);
    }
    if (rc == KT_OK) {
        rc = store_customer_set_merged(w, from.ck, x.c->ck, now, err);
    }
    if (rc == KT_OK) {
        rc = store_merge_candidate_resolve(w, from.ck, x.c->ck, now, err);
    }
    if (rc == KT_OK) {
        rc = save(&x, err);
    }
    if (rc == KT_OK) {
        *out = *x.c;
    }
    return rc;
}
