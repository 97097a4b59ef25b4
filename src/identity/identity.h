/*
 * identity.h - one customer across every channel.
 *
 * identify-and-upsert: a request carries identifiers (phone, e-mail, card, external ids, cookies,
 * devices, social ids) and profile data. Kartoteka finds the customer those identifiers point at,
 * applies the profile by the survivorship rule, attaches the identifiers it did not know, or
 * creates the customer. When the identifiers point at two customers, nothing is merged silently:
 * the request goes to the best match and a merge candidate is recorded and reported.
 *
 * Survivorship (per profile field and per attribute):
 *   - a verified value is never replaced by an unverified one (warning "kept_verified");
 *   - otherwise the newest observation wins: a value observed before the stored one is kept out
 *     (warning "kept_newer"); a paper form typed in a week late cannot undo today's change;
 *   - every change is recorded in the history with channel, store, operator and request id.
 *
 * All functions here run inside a write transaction the caller opened (store_write_begin) and
 * leave committing to the caller: on error the caller rolls back, so nothing is half-written.
 * This module knows neither HTTP nor SQL.
 */
#ifndef KT_IDENTITY_IDENTITY_H
#define KT_IDENTITY_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/tz.h"
#include "store/model.h"
#include "store/store.h"

/* Where data came from. Channels: pos, web, app, qr_form, tablet, import, call_center, paper. */
struct ident_source {
    const char *channel;     /* required */
    const char *store_id;    /* or NULL */
    const char *operator_id; /* or NULL */
    int64_t observed_at;     /* ms; when the data was collected (defaults to now) */
    const char *request_id;  /* for the history; or NULL */
};

bool ident_channel_valid(const char *channel);

struct ident_warning {
    const char *code;   /* "kept_verified", "kept_newer", "identifier_conflict", "corrected",
                           "suspicious", "inferred", "refused" */
    const char *field;  /* "profile.phone", "attributes.pets", "identifiers.card" */
    const char *detail; /* what changed, or why: "trunk_prefix_8", "role_address"; or NULL */
};

/* A value refused in a lenient request (an import row): not stored, but its raw text goes into
 * the customer's history with the reason, so nothing is lost. */
struct ident_refusal {
    const char *field;  /* "profile.birth_date" */
    const char *raw;    /* the text as received */
    const char *reason; /* "no_such_date" */
};

struct upsert_req {
    struct ident_source src;
    const char *val[PF_COUNT]; /* standard values; NULL = not given */
    bool clear[PF_COUNT];      /* PATCH only: remove the value */
    uint32_t verify;           /* bit per field the channel asserts it verified */
    json_t *attrs;             /* borrowed; object of checked attribute values (JSON null =
                                  remove, PATCH only), or NULL */
    struct ident *idents;      /* identifiers to resolve and attach; kind, value, verified set */
    size_t n_idents;
    const char **ident_fields;   /* the JSON path each identifier came from ("identifiers.card"),
                                    for errors; NULL when the request was not decoded from JSON */
    uint32_t quality;            /* cleaning verdict per given field (enum quality, 2 bits) */
    bool gender_inferred;        /* val[PF_GENDER] was inferred from the name */
    struct ident_warning *notes; /* what cleaning said; passed on to the result */
    size_t n_notes;
    struct ident_refusal *refused; /* lenient requests only */
    size_t n_refused;
    /* Worked out by ident_decode() so the writer need not (NULL: the writer does it): */
    const char *email_key; /* the matching form of val[PF_EMAIL] (ASCII, IDNA) */
    const char *name_key;  /* clean_name_key() of the three name values */
    /* PATCH only: the DPO's rectification of a blocked customer's data (152-FZ art. 21 part 2),
     * the one change a block lets through; the caller checked the request it answers. */
    bool rectification;
};

struct ident_conflict {
    const char *customer_id; /* the other customer the identifier belongs to */
    const char *identifier;  /* its kind: "email", "card", "ext:eshop" */
};

struct upsert_result {
    bool created;
    bool changed;         /* anything was written: a value, an identifier, a history entry */
    struct customer cust; /* as stored after the request */
    struct ident_warning *warnings;
    size_t n_warnings;
    struct ident_conflict *conflicts;
    size_t n_conflicts;
};

/* "profile.last_name", ... by enum profile_field: the field names of warnings and history. */
extern const char *const ident_profile_paths[PF_COUNT];

/* identify-and-upsert (POST /v1/customers). The request must carry at least one identifier. */
enum kt_rc ident_upsert(struct store_conn *w, const struct upsert_req *req, int64_t now,
                        struct arena *a, struct upsert_result *res, struct kt_err *err);

/* Applies a request to the customer `id` (PATCH /v1/customers/{id}). An identifier that belongs
 * to another customer refuses the whole request with KT_ECONFLICT. */
enum kt_rc ident_patch(struct store_conn *w, const char *id, const struct upsert_req *req,
                       int64_t now, struct arena *a, struct upsert_result *res, struct kt_err *err);

/* Merges customer `from_id` into `into_id`: identifiers and history move, the profile combines by
 * survivorship, and `from_id` answers with the survivor from then on. */
enum kt_rc ident_merge(struct store_conn *w, const char *into_id, const char *from_id,
                       const struct ident_source *src, int64_t now, struct arena *a,
                       struct customer *out, struct kt_err *err);

/* Takes back the newest merge of customer `id` (the id it had before it was merged away): the
 * rows it moved return to it, what the merge dropped is put back and the survivor's profile is
 * as it was before (store_merge_undo). `out` is the customer again, `survivor` the other one.
 * KT_ECONFLICT not_merged when `id` is not merged away, unmerge_blocked when the survivor was
 * merged away or erased since. */
enum kt_rc ident_unmerge(struct store_conn *w, const char *id, int64_t now, struct arena *a,
                         struct customer *out, struct customer *survivor, struct kt_err *err);

/* The one check that a customer still takes data: KT_OK when `cu` is not erased, else KT_ECONFLICT
 * "customer_erased" on `field` (HTTP 410), "the customer was erased", then "; " and `hint` (what
 * the caller may do instead) when it is not NULL. Depersonalisation is for good: the person comes
 * back only as a new customer. */
enum kt_rc ident_live(const struct customer *cu, const char *field, const char *hint,
                      struct kt_err *err);

/* The one check that a customer's data may be used: KT_OK when `cu` is not blocked, else
 * KT_ELOCKED "customer_blocked" on `field` (may be NULL; HTTP 423), then "; " and `hint` when it
 * is not NULL. A block (152-FZ art. 21) keeps the data as it is and lets nothing use it - no
 * lookup, write, send, receipt or segment - until the DPO lifts it (docs/privacy.md). */
enum kt_rc ident_unblocked(struct store_conn *c, const struct customer *cu, const char *field,
                           const char *hint, struct kt_err *err);

/* A value of a history entry as the API shows it. The writer of the history is this module, so
 * it knows each entry's form: the first values of a created customer and attribute values are
 * stored as JSON and come back as JSON; e-mail identifiers are stored as match keys and come
 * back in the profile's display form (Unicode domain); anything else (refused raw input too) is
 * text. `value` is the entry's old_value or new_value; NULL gives JSON null. New reference. */
json_t *ident_history_value(const struct history_entry *h, const char *value, struct arena *a);

/* ---- views (view.c) ---------------------------------------------------------------------- */

/* The customer as documents show it: profile, quality, verification, attributes, identifiers and
 * the ids merged into it (new reference; NULL with err set when the identifiers cannot be read). */
json_t *ident_customer_json(struct store_conn *c, const struct customer *cu, struct arena *a,
                            struct kt_err *err);
/* One history entry: when, which field, what happened, the source, the old and new values. */
json_t *ident_history_json(struct arena *a, const struct history_entry *h);

/* ---- decoding (decode.c) ------------------------------------------------------------------ */

struct ident_decode_opts {
    bool patch;                        /* PATCH: null clears a value */
    bool lenient;                      /* an import row: invalid values become refusals */
    enum key_scope scope;              /* of the caller's key */
    const struct ident_source *source; /* used when the document has no "source" (imports) */
};

/*
 * Decodes a customer document - the body of POST /v1/customers or PATCH /v1/customers/{id}, or
 * an import row - into a request: every value cleaned to its standard form, every attribute
 * checked against its declaration, what cleaning changed or suspects noted. The scope limits what
 * the caller may assert (a collect key may not claim verification or a cash-desk channel).
 * Everything allocated lives in the arena.
 */
enum kt_rc ident_decode(const json_t *body, const struct ident_decode_opts *o,
                        const struct attr_def *defs, size_t n_defs, int64_t now, struct arena *a,
                        struct upsert_req *out, struct kt_err *err);

/* ---- identifier kinds (idents.c) --------------------------------------------------------- */

/* How much an identifier says about who someone is; the best match is the customer found by the
 * strongest one. Cards and external ids are issued by systems, cookies only guess. */
int ident_strength(const char *kind);

/* True for the social and messenger networks we accept as identifier kinds. */
bool ident_social_valid(const char *network);

/* External system names: [a-z0-9_-]{1,32}. */
bool ident_system_valid(const char *system);

/* Cleans the raw value of identifier `kind` into its standard form. On a refusal, raises a
 * KT_EINVAL error naming `field`. */
enum kt_rc ident_value_clean(const char *kind, const char *raw, size_t len, struct arena *a,
                             const char *field, const char **value, struct kt_err *err);

/* Where a customer's local time comes from (zone.c). */
enum ident_zone_source {
    IDENT_ZONE_STORE,   /* their home store's zone */
    IDENT_ZONE_CITY,    /* their city's, from the shipped list of cities */
    IDENT_ZONE_DEFAULT, /* the installation's (--time-zone) */
};
struct ident_zone {
    const struct tz *zone; /* lives for the process */
    enum ident_zone_source source;
    const char *store; /* the home store's code (in the arena), when source is store */
};
/* "store", "city", "default". */
const char *ident_zone_source_name(enum ident_zone_source s);
/*
 * The time zone customer `ck` lives by: their home store's (the first listed store their history
 * names, else their first receipt's), else their city's, else the installation's. Always gives a
 * zone; an error only when the store fails.
 */
enum kt_rc ident_time_zone(struct store_conn *c, int64_t ck, struct arena *a,
                           struct ident_zone *out, struct kt_err *err);

#endif
