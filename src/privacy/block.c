/*
 * block.c - blocking a customer's data and lifting the block (152-FZ art. 21; docs/privacy.md,
 * "Blocking"): the DPO's two actions, each in a write transaction of its own, each answering a
 * request of the register and written to the audit log.
 *
 * A block keeps the data exactly as they are and lets nothing use them but storage. What that
 * stops is not here but at each use, through one check (ident_unblocked, store_block_in_force):
 * identity's upsert, patch and merge, the till's receipts and quotes, every SMS (otp_send),
 * may-send, the API's reads of the customer by a pos key, and - in the store's SQL - segments,
 * their members, RFM, traits and cluster features. Only the end of memberships is written here,
 * so a blocked customer leaves every segment at once rather than at the next refresh.
 *
 * Not here: the rectification itself (a PATCH naming the rectification request, api/), the
 * destruction (privacy_erase, which ends a block with the outcome `erased`).
 */
#include <string.h>

#include "base/id.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

static bool one_of(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++) {
        if (strcmp(s, *set) == 0) {
            return true;
        }
    }
    return false;
}

const char *const privacy_block_reasons[] = {"accuracy_disputed", "unlawful_processing",
                                             "subject_request", NULL};
const char *const privacy_unblock_outcomes[] = {"rectified", "accurate", "lawful", "made_lawful",
                                                NULL};

/* The request a block answers: in the register, open, about this customer, and of a kind that
 * justifies a block (an access request does not: it asks to see, not to stop); or, for a
 * rectification, `kind` itself. */
static enum kt_rc block_request(struct store_conn *w, const struct customer *cu, const char *id,
                                const char *kind, struct arena *a, struct kt_err *err)
{
    struct privacy_request p;
    bool found = false;
    struct customer of;
    bool known = false; /* its absence is this body's field, not the path's */
    enum kt_rc rc = id_valid(id, "r_") ? store_preq_get(w, id, a, &p, &known, err) : KT_OK;
    if (rc != KT_OK) {
        return rc;
    }
    if (!known) {
        return kt_err_set(err, KT_EINVAL, "request_not_found", "privacy_request_id",
                          "no privacy request has that id; register the request first");
    }
    if (p.customer_id != NULL) {
        rc = store_customer_get_by_id(w, p.customer_id, a, &of, &found, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (!found || of.ck != cu->ck) {
        return kt_err_set(err, KT_EINVAL, "request_mismatch", "privacy_request_id",
                          "the privacy request names another customer, or none");
    }
    if (kind == NULL && strcmp(p.kind, "access") == 0) {
        return kt_err_set(err, KT_EINVAL, "request_mismatch", "privacy_request_id",
                          "an access request does not justify a block");
    }
    if (kind != NULL && strcmp(p.kind, kind) != 0) {
        return kt_err_set(err, KT_EINVAL, "request_mismatch", "privacy_request_id",
                          "the privacy request is not a %s request", kind);
    }
    if (strcmp(p.state, "open") != 0) {
        return kt_err_set(err, KT_ECONFLICT, "request_closed", "privacy_request_id",
                          "the privacy request is closed; a block answers an open one");
    }
    return KT_OK;
}

/* The customer of `customer_id` (following merges), live, in the write transaction. */
static enum kt_rc block_customer_of(struct store_conn *w, const char *customer_id, const char *hint,
                                    struct arena *a, struct customer *cu, struct kt_err *err)
{
    if (!id_valid(customer_id, "c_")) {
        return kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id", "customer not found");
    }
    enum kt_rc rc = store_customer_get_by_id(w, customer_id, a, cu, NULL, err);
    return rc == KT_OK ? ident_live(cu, "id", hint, err) : rc;
}

static enum kt_rc block_write(struct store_conn *w, const char *customer_id,
                              const struct block_opts *o, int64_t now, struct arena *a,
                              struct customer_block *out, struct kt_err *err)
{
    struct customer cu;
    enum kt_rc rc = block_customer_of(w, customer_id, "nothing is left to block", a, &cu, err);
    if (rc == KT_OK) {
        rc = block_request(w, &cu, o->privacy_request_id, NULL, a, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    id_new(out->id, sizeof(out->id), "b_");
    out->ck = cu.ck;
    out->customer_id = arena_strdup(a, cu.id);
    out->reason = o->reason;
    out->privacy_request_id = o->privacy_request_id;
    out->note = o->note;
    out->blocked_at = now;
    out->key_id = o->key_id;
    rc = store_block_insert(w, out, err);
    if (rc == KT_OK) {
        rc = audit_write(
            w, o->key_id, "block", out->customer_id, NULL,
            arena_printf(a, "%s %s, request %s", out->id, o->reason, o->privacy_request_id),
            o->request_id, now, err);
    }
    return rc;
}

enum kt_rc privacy_block_customer(struct store *s, const char *customer_id,
                                  const struct block_opts *o, int64_t now, struct arena *a,
                                  struct customer_block *out, struct kt_err *err)
{
    if (!one_of(o->reason, privacy_block_reasons)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "reason",
                          "reason is accuracy_disputed, unlawful_processing or subject_request");
    }
    if (o->privacy_request_id == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "privacy_request_id",
                          "a block answers a privacy request of the register: name it");
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = block_write(w, customer_id, o, now, a, out, err);
    return store_write_end(w, rc, err);
}

enum kt_rc privacy_rectification(struct store_conn *w, const char *customer_id,
                                 const char *privacy_request_id, const char *key_id,
                                 const char *rid, int64_t now, struct arena *a, struct kt_err *err)
{
    struct customer cu;
    enum kt_rc rc = block_customer_of(w, customer_id, "new data make a new customer", a, &cu, err);
    if (rc == KT_OK) {
        rc = block_request(w, &cu, privacy_request_id, "rectification", a, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, key_id, "rectify", cu.id, NULL,
                         arena_printf(a, "request %s", privacy_request_id), rid, now, err);
    }
    return rc;
}

static enum kt_rc unblock_write(struct store_conn *w, const char *customer_id, const char *outcome,
                                const struct block_opts *o, int64_t now, struct arena *a,
                                struct customer_block *out, struct kt_err *err)
{
    struct customer cu;
    bool found = false;
    enum kt_rc rc =
        block_customer_of(w, customer_id, "it is unblocked by the erasure", a, &cu, err);
    if (rc == KT_OK) {
        rc = store_block_get(w, cu.ck, a, out, &found, err);
    }
    if (rc == KT_OK && !found) {
        return kt_err_set(err, KT_ECONFLICT, "not_blocked", "id", "the customer is not blocked");
    }
    if (rc == KT_OK) {
        rc = store_block_end(w, cu.ck, now, outcome, o->note, o->key_id, NULL, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(
            w, o->key_id, "unblock", cu.id, NULL,
            arena_printf(a, "%s %s, request %s", out->id, outcome, out->privacy_request_id),
            o->request_id, now, err);
    }
    if (rc == KT_OK) {
        out->unblocked_at = now;
        out->outcome = outcome;
        out->outcome_note = o->note;
        out->unblock_key_id = o->key_id;
    }
    return rc;
}

enum kt_rc privacy_unblock_customer(struct store *s, const char *customer_id, const char *outcome,
                                    const struct block_opts *o, int64_t now, struct arena *a,
                                    struct customer_block *out, struct kt_err *err)
{
    if (!one_of(outcome, privacy_unblock_outcomes)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "outcome",
                          "outcome is rectified, accurate, lawful or made_lawful");
    }
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = unblock_write(w, customer_id, outcome, o, now, a, out, err);
    return store_write_end(w, rc, err);
}
