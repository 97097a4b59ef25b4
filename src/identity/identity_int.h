/*
 * identity_int.h - what the parts of identity-and-upsert share (identity.h is its interface): an
 * identifier being resolved and the state of one request while it is worked out. identity.c
 * resolves and writes, survive.c decides which values survive, history.c keeps the history.
 */
#ifndef KT_IDENTITY_IDENTITY_INT_H
#define KT_IDENTITY_IDENTITY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"

/* One identifier of the request while it is being resolved. */
struct cand {
    struct ident id; /* kind, value, verified (asserted by the request) */
    int64_t owner;   /* ck of the customer that has it, 0 when nobody */
    bool owner_verified;
};

/* One request (or merge) while it is worked out: the customer as it will be written, the history
 * gathered for it, the result. */
struct ctx {
    struct store_conn *w;
    const struct ident_source *src;
    int64_t now; /* ms */
    int64_t t;   /* observation time of the request's values, ms */
    struct arena *a;
    struct customer *c; /* the customer being changed */
    bool dirty;         /* c must be written */
    struct history_entry *hist;
    size_t n_hist, cap_hist;
    struct upsert_result *res;
    size_t cap_warn, cap_conf;
    bool created; /* a new customer: one "create" entry holds its first values */
};

static inline uint32_t bit(int f)
{
    return 1u << f;
}

static inline const char *profile_path(struct ctx *x, int f)
{
    (void)x;
    return ident_profile_paths[f];
}

/* identity.c: adds a warning to the request's result. */
void ident_warn(struct ctx *x, const char *code, const char *field, const char *detail);

/* survive.c: applies the request's profile fields, attributes and refusals to x->c by
 * survivorship; `cs` and `prof_idx` (gather()) say which phone and e-mail belong to another
 * customer and are not copied. */
void ident_apply_profile(struct ctx *x, const struct upsert_req *req, const struct cand *cs,
                         const int prof_idx[PF_COUNT]);
/* survive.c: combines `from` into x->c for a merge. */
void ident_merge_profile(struct ctx *x, const struct customer *from);

/* history.c: notes a change for the customer's history (nothing but refusals once the customer
 * is new: its "create" entry holds the first values). */
void ident_record(struct ctx *x, const char *field, const char *action, const char *old_value,
                  const char *new_value);
/* history.c: writes the entries noted so far under the customer's key. */
enum kt_rc ident_flush_history(struct ctx *x, struct kt_err *err);
/* history.c: the "create" entry of a new customer: its first values and the identifiers in `cs`
 * nobody had. */
enum kt_rc ident_create_entry(struct ctx *x, const struct cand *cs, size_t n, struct kt_err *err);

#endif
