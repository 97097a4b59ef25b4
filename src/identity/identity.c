/*
 * identity.c - identify-and-upsert, patch and merge (see identity.h for the rules): who a request
 * is, and the writes. Which values survive is survive.c's; the history is history.c's; what they
 * share is identity_int.h.
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

enum kt_rc ident_unblocked(struct store_conn *c, const struct customer *cu, const char *field,
                           const char *hint, struct kt_err *err)
{
    bool blocked = false;
    enum kt_rc rc = store_block_in_force(c, cu->ck, &blocked, err);
    if (rc != KT_OK || !blocked) {
        return rc;
    }
    return kt_err_set(err, KT_ELOCKED, "customer_blocked", field,
                      "the customer's data is blocked while a dispute is checked (152-FZ art. 21) "
                      "and may not be used%s%s",
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

void ident_warn(struct ctx *x, const char *code, const char *field, const char *detail)
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
        ident_warn(x, "identifier_conflict", arena_printf(x->a, "identifiers.%s", cs[i].id.kind),
                   NULL);
    }
    return KT_OK;
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
        ident_warn(x, req->notes[i].code, req->notes[i].field, req->notes[i].detail);
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
        if (rc == KT_OK) { /* before anything is written: an import rejects the row alone */
            rc = ident_unblocked(w, x.c, NULL, NULL, err);
        }
    } else {
        rc = new_customer(&x);
        res->created = true;
    }
    if (rc != KT_OK) {
        return rc;
    }
    x.created = res->created;
    res->changed = res->created;
    ident_apply_profile(&x, req, cs, prof_idx);
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
    if (rc == KT_OK && !req->rectification) {
        rc = ident_unblocked(w, x.c, "id", "the DPO rectifies it naming the rectification request",
                             err);
    }
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
    ident_apply_profile(&x, req, cs, prof_idx);
    rc = save(&x, err);
    return rc == KT_OK ? attach(&x, cs, n, err) : rc;
}

/* ---- merge ------------------------------------------------------------------------------- */

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
    if (rc == KT_OK) {
        rc = ident_unblocked(w, x.c, "id", NULL, err);
    }
    if (rc == KT_OK) {
        rc = ident_unblocked(w, &from, "from", NULL, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    int64_t journal = 0;
    rc = store_merge_journal_open(w, from.ck, x.c->ck, now, x.c, &journal, err);
    if (rc != KT_OK) {
        return rc;
    }
    ident_merge_profile(&x, &from);
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
        rc = store_merge_journal_close(w, journal, err);
    }
    if (rc == KT_OK) {
        *out = *x.c;
    }
    return rc;
}

/* ---- unmerge ----------------------------------------------------------------------------- */

enum kt_rc ident_unmerge(struct store_conn *w, const char *id, int64_t now, struct arena *a,
                         struct customer *out, struct customer *survivor, struct kt_err *err)
{
    /* `id` is the merged customer's own: its row, not the survivor it answers with */
    bool found = false;
    int64_t ck = 0;
    enum kt_rc rc = store_customer_own_ck(w, id, &ck, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!found) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    struct merge_entry m;
    rc = store_merge_last(w, ck, &m, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct customer from;
    rc = store_customer_get(w, ck, a, &from, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!found || from.merged_into == 0) {
        return kt_err_set(err, KT_ECONFLICT, "not_merged", "id",
                          "this customer is not merged into another");
    }
    if (from.merged_into != m.into) {
        return kt_err_set(err, KT_ECONFLICT, "unmerge_blocked", "id",
                          "the customer it was merged into was merged since: take that back first");
    }
    rc = store_customer_get(w, m.into, a, survivor, NULL, err);
    if (rc == KT_OK && (survivor->merged_into != 0 || survivor->erased_at != 0)) {
        rc = kt_err_set(err, KT_ECONFLICT, "unmerge_blocked", "id",
                        "the customer it was merged into is merged away or erased");
    }
    if (rc == KT_OK && from.erased_at != 0) {
        rc = kt_err_set(err, KT_EGONE, "customer_erased", "id", "the customer was erased");
    }
    rc = rc == KT_OK ? store_merge_undo(w, m.id, now, err) : rc;
    /* taken back: two people, a pair the review queue never proposes again */
    bool decided = false;
    if (rc == KT_OK) {
        rc = store_dup_pair_decide(w, ck, m.into, "rejected", "unmerged", now, true, &decided, err);
    }
    if (rc == KT_OK && !decided) {
        struct dup_pair p = {.ck_a = ck,
                             .ck_b = m.into,
                             .explanation = "[]",
                             .source = "unmerge",
                             .state = "rejected",
                             .reason = "unmerged",
                             .found_at = now};
        id_new(p.id, sizeof(p.id), "dp_");
        rc = store_dup_pair_add(w, &p, &decided, err);
    }
    rc = rc == KT_OK ? store_customer_get(w, ck, a, out, NULL, err) : rc;
    return rc == KT_OK ? store_customer_get(w, m.into, a, survivor, NULL, err) : rc;
}
