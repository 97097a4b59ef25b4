/*
 * program.c - the programme in force and the publishing of a new version.
 */
#include <stdlib.h>

#include "consent/consent.h"
#include "loyalty/loyalty.h"
#include "loyalty/program.h"

enum kt_rc loyalty_program_get(struct store_conn *c, struct arena *a, struct loyalty_rules *r,
                               int64_t *at, struct kt_err *err)
{
    const char *text;
    int64_t version = 0, first_at = 0;
    bool published;
    *at = 0;
    enum kt_rc rc = store_program_get(c, a, &text, &version, at, &first_at, &published, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!published) {
        loyalty_defaults(r);
        return KT_OK;
    }
    json_t *doc = json_loads(text, 0, NULL);
    rc = doc ? loyalty_rules_decode(doc, a, r, err)
             : kt_err_set(err, KT_EINTERNAL, "internal", NULL, "a stored programme is not JSON");
    json_decref(doc);
    r->version = version;
    r->started_at = first_at;
    return rc;
}

enum kt_rc loyalty_program_publish(struct store_conn *w, const json_t *doc, const char *key_id,
                                   int64_t now, struct arena *a, struct loyalty_rules *out,
                                   struct kt_err *err)
{
    enum kt_rc rc = loyalty_rules_decode(doc, a, out, err);
    if (rc != KT_OK) {
        return rc;
    }
    /* What is stored is the whole checked programme, defaults filled in: a later change of a
     * default never changes a published version. */
    json_t *full = loyalty_rules_json(out);
    char *text = json_dumps(full, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(full);
    rc = store_program_put(w, text, now, key_id, &out->version, err);
    free(text);
    const char *stored;
    int64_t version, at;
    if (rc == KT_OK) { /* the start is the first version's, this one's when it is the first */
        rc = store_program_get(w, a, &stored, &version, &at, &out->started_at, NULL, err);
    }
    return rc;
}

enum kt_rc loyalty_program_set(struct store *s, const json_t *doc, const char *key_id,
                               const char *request_id, const char *via, int64_t now,
                               struct arena *a, struct loyalty_rules *out, struct kt_err *err)
{
    struct store_conn *w;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = loyalty_program_publish(w, doc, key_id, now, a, out, err);
    if (rc == KT_OK) {
        rc = audit_write(w, key_id, "program", NULL, NULL,
                         arena_printf(a, "publish version %lld%s%s%s", (long long)out->version,
                                      via ? " (" : "", via ? via : "", via ? ")" : ""),
                         request_id, now, err);
    }
    return store_write_end(w, rc, err);
}
