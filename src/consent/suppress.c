/*
 * suppress.c - the suppression list that keeps an erased person from coming back through old
 * data: the keyed hashes of the phones, e-mails and cards an erasure destroyed (privacy/erase.c
 * adds them), checked on every write path that brings a person in.
 *
 * Only hashes are kept, keyed with the installation secret: the list cannot be read back into
 * numbers. A form that brings new pd_processing consent lifts the entries it matches.
 */
#include <sodium.h>
#include <string.h>

#include "consent/consent.h"

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

/* ---- what an erasure adds to the list ---------------------------------------------------------
 */

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

enum kt_rc suppress_customer(struct store_conn *w, const struct key_secret *k,
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
