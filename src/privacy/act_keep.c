/*
 * act_keep.c - what happens to an act of destruction after it is written: kept 3 years from the
 * destruction (Order 179, p. 5), then purged with its extract by the job acts_expiry
 * (sched/jobs.c); and a signature attached once, checked to sign the act's document (GnuTLS reads
 * the CMS).
 *
 * The acts table is append-only (0016_acts.sql). The purge is its one way out, and a narrow one:
 * each act deleted is first recorded in destruction_act_purges (ids and times only), which the
 * schema requires for the delete and refuses before the act's term; and each gets an
 * "act_purge" entry in the audit log, in the same transaction. Nothing else deletes an act.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

#define PURGE_BATCH 100

/* One transaction: up to PURGE_BATCH acts past their term, each recorded, deleted and audited. */
static enum kt_rc purge_batch(struct store *s, int64_t now, size_t *n, int64_t *purged,
                              struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *w;
    struct destruction_act *x = NULL;
    *n = 0;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        arena_release(&a);
        return rc;
    }
    rc = store_act_expired(w, now, PURGE_BATCH, &a, &x, n, err);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        rc = store_act_purge(w, x[i].id, now, err);
        if (rc == KT_OK) {
            rc = audit_write(w, NULL, "act_purge", x[i].customer_id, NULL,
                             arena_printf(&a, "act %s of %s purged, kept until %s", x[i].id,
                                          time_rfc3339(&a, x[i].at),
                                          time_rfc3339(&a, x[i].expires_at)),
                             NULL, now, err);
        }
    }
    rc = store_write_end(w, rc, err);
    if (rc == KT_OK) {
        *purged += (int64_t)*n;
        for (size_t i = 0; i < *n; i++) {
            log_info("act_purged", "act=%s customer=%s", x[i].id, x[i].customer_id);
        }
    }
    arena_release(&a);
    return rc;
}

enum kt_rc privacy_acts_purge(struct store *s, int64_t now, int64_t *purged, struct kt_err *err)
{
    *purged = 0;
    enum kt_rc rc = KT_OK;
    for (size_t n = PURGE_BATCH; rc == KT_OK && n == PURGE_BATCH;) {
        rc = purge_batch(s, now, &n, purged, err);
    }
    return rc;
}

/* ---- the signature ---------------------------------------------------------------------------
 *
 * What is checked is that the CMS signs this act's document: its signed attributes hold a
 * message digest equal to the document's hash, in one of the digests a qualified signature may
 * use (GOST R 34.11-2012 "Streebog", as CryptoPro and the Gosuslugi signer make them, or SHA-2),
 * and content embedded in it, if any, is the document itself. Whose signature it is and whether
 * it is valid - the qualified certificate, its chain to an accredited centre, revocation - is
 * checked by the signature software of the DPO and the inspector, not here. */

#define MESSAGE_DIGEST_OID "1.2.840.113549.1.9.4"

/* Whether `md` is the digest of `doc` in any algorithm of its length. */
static bool digest_matches(const gnutls_datum_t *md, const char *doc)
{
    static const gnutls_digest_algorithm_t algos[] = {GNUTLS_DIG_SHA256, GNUTLS_DIG_SHA384,
                                                      GNUTLS_DIG_SHA512, GNUTLS_DIG_STREEBOG_256,
                                                      GNUTLS_DIG_STREEBOG_512};
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
        unsigned char h[64];
        if ((unsigned)gnutls_hash_get_len(algos[i]) != md->size ||
            gnutls_hash_fast(algos[i], doc, strlen(doc), h) < 0) {
            continue;
        }
        if (memcmp(h, md->data, md->size) == 0) {
            return true;
        }
    }
    return false;
}

/* KT_OK when signer `idx` of `p` has a message digest among its signed attributes; *match says
 * whether it is the document's. */
static enum kt_rc signer_digest(gnutls_pkcs7_t p, unsigned idx, const char *doc, bool *match,
                                struct kt_err *err)
{
    gnutls_pkcs7_signature_info_st info;
    *match = false;
    if (gnutls_pkcs7_get_signature_info(p, idx, &info) < 0) {
        return kt_err_set(err, KT_EINVAL, "invalid_signature", NULL,
                          "the signature's signer %u cannot be read", idx);
    }
    bool found = false;
    for (unsigned i = 0; !found; i++) {
        char *oid = NULL; /* read-only, owned by the list */
        gnutls_datum_t v = {NULL, 0};
        if (gnutls_pkcs7_get_attr(info.signed_attrs, i, &oid, &v, 0) < 0) {
            break;
        }
        /* The value as DER: an OCTET STRING (04, a one-byte length) of the digest. */
        found = strcmp(oid, MESSAGE_DIGEST_OID) == 0;
        gnutls_datum_t md = {v.data + 2, v.size - 2};
        *match = found && v.size > 2 && v.data[0] == 0x04 && v.data[1] == v.size - 2 &&
                 digest_matches(&md, doc);
        gnutls_free(v.data); /* the oid is the list's */
    }
    gnutls_pkcs7_signature_info_deinit(&info);
    return found ? KT_OK
                 : kt_err_set(err, KT_EINVAL, "invalid_signature", NULL,
                              "the signature has no message digest among its signed attributes "
                              "(a CAdES signature has one)");
}

/* The CMS in `sig` (DER, or PEM) signs `doc`: every signer's digest is the document's. */
static enum kt_rc signature_check(const void *sig, size_t len, const char *doc, struct kt_err *err)
{
    gnutls_pkcs7_t p;
    gnutls_datum_t in = {(unsigned char *)sig, (unsigned)len}, embedded = {NULL, 0};
    bool pem = len > 10 && memcmp(sig, "-----BEGIN", 10) == 0;
    enum kt_rc rc = KT_OK;
    gnutls_pkcs7_init(&p);
    if (gnutls_pkcs7_import(p, &in, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) < 0 ||
        gnutls_pkcs7_get_signature_count(p) <= 0) {
        rc = kt_err_set(err, KT_EINVAL, "invalid_signature", NULL,
                        "the body is not a signature in CMS (PKCS #7, CAdES) form, DER or PEM");
    }
    if (rc == KT_OK && gnutls_pkcs7_get_embedded_data(p, 0, &embedded) >= 0 &&
        (embedded.size != strlen(doc) || memcmp(embedded.data, doc, embedded.size) != 0)) {
        rc = kt_err_set(err, KT_EINVAL, "signature_mismatch", NULL,
                        "the signature holds another document than this act's");
    }
    gnutls_free(embedded.data);
    for (int i = 0; rc == KT_OK && i < gnutls_pkcs7_get_signature_count(p); i++) {
        bool match;
        rc = signer_digest(p, (unsigned)i, doc, &match, err);
        if (rc == KT_OK && !match) {
            rc = kt_err_set(err, KT_EINVAL, "signature_mismatch", NULL,
                            "the signature does not sign this act's document (its message "
                            "digest is of other bytes)");
        }
    }
    gnutls_pkcs7_deinit(p);
    return rc;
}

enum kt_rc privacy_act_sign(struct store *s, const char *id, const void *sig, size_t len,
                            const char *key_id, int64_t now, struct arena *a,
                            struct destruction_act *out, struct kt_err *err)
{
    struct store_conn *w;
    struct privacy_settings ps;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = store_act_get(w, id, a, out, err);
    if (rc == KT_OK) {
        rc = privacy_settings_get(w, a, &ps, err);
    }
    if (rc == KT_OK) {
        rc = privacy_act_ready(out, &ps, err); /* a draft has nothing to sign yet */
    }
    if (rc == KT_OK && out->signed_at != 0) {
        rc = kt_err_set(err, KT_ECONFLICT, "act_signed", "id",
                        "act '%s' is signed already; a signature is attached once", id);
    }
    if (rc == KT_OK) {
        rc = signature_check(sig, len, out->document, err);
    }
    if (rc == KT_OK) {
        rc = store_act_sign(w, id, sig, len, now, NULL, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(
            w, key_id, "act", out->customer_id, NULL,
            arena_printf(a, "act %s signed, document sha256 %s", id, out->document_sha256), NULL,
            now, err);
    }
    rc = store_write_end(w, rc, err);
    out->signed_at = rc == KT_OK ? now : out->signed_at;
    return rc;
}
