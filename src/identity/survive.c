/*
 * survive.c - which values survive (identity.h states the rules): per profile field a verified
 * value is kept from an unverified one and otherwise the newest observation wins, attributes by
 * the newest alone; a merge combines two customers by the same rules. Nothing is written here:
 * the customer in the request's state changes, and each change is noted for the history.
 */
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "identity/identity_int.h"

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
            ident_warn(x, "kept_verified", profile_path(x, f), NULL);
            return;
        }
        if (cur != NULL && x->t < c->at[f]) {
            ident_warn(x, "kept_newer", profile_path(x, f), NULL);
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
        ident_warn(x, "kept_verified", profile_path(x, f), NULL);
        return;
    }
    if (x->t < c->at[f]) {
        ident_warn(x, "kept_newer", profile_path(x, f), NULL);
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
            ident_warn(x, "kept_newer", path, NULL);
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

/* True when the latest refusal of this field kept the same raw text. */
static bool refused_before(struct ctx *x, const struct ident_refusal *r)
{
    const char *last = NULL;
    return store_history_last_refused(x->w, x->c->ck, r->field, x->a, &last, NULL) == KT_OK &&
           strcmp(last, r->raw) == 0;
}

/* Applies profile fields and attributes; phone and e-mail that belong to another customer are
 * not copied into this profile. */
void ident_apply_profile(struct ctx *x, const struct upsert_req *req, const struct cand *cs,
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

/* Combines `from` into `x->c` field by field: verified beats unverified, else the newer wins. */
void ident_merge_profile(struct ctx *x, const struct customer *from)
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
