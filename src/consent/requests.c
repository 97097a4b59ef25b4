/*
 * requests.c - the requests register's rules beyond recording a request: the extension of a
 * deadline, which the law allows only for access (art. 14 part 3, art. 20) and stop requests
 * (art. 21 part 5.1), by 5 working days, and only with a reasoned notice sent to the subject
 * (docs/privacy.md, "Requests register"). The deadlines of unlawful processing (3 and 10 working
 * days) and of rectification (7) cannot be extended. The register's HTTP side is
 * api/privacy_requests.c; the calendar calendar.c.
 */
#include <string.h>

#include "consent/consent.h"

/* A reasoned notice says something: not empty, not only blanks. */
static bool says_something(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return true;
        }
    }
    return false;
}

enum kt_rc privacy_request_extend(struct store_conn *w, const char *id, const char *reason,
                                  const char *key_id, const char *rid, int64_t now, struct arena *a,
                                  struct privacy_request *out, struct kt_err *err)
{
    if (!says_something(reason)) {
        return kt_err_set(err, KT_EINVAL, "extension_reason_required", "reason",
                          "a deadline is extended only with a reasoned notice to the subject: "
                          "give its reasons in reason");
    }
    enum kt_rc rc = store_preq_get(w, id, a, out, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (strcmp(out->state, "open") != 0) {
        return kt_err_set(err, KT_ECONFLICT, "request_closed", "id",
                          "the request is closed; only an open request can be extended");
    }
    if (!privacy_extendable(out->kind)) {
        return kt_err_set(err, KT_ECONFLICT, "request_not_extendable", "id",
                          "only access and stop requests may be extended; the deadlines of "
                          "rectification, erasure and unlawful processing are fixed by law");
    }
    if (out->extended) {
        return kt_err_set(err, KT_ECONFLICT, "already_extended", "id",
                          "the request was extended already; the law allows 5 working days once");
    }
    int64_t received, deadline;
    bool provisional = false;
    if (!cal_parse(out->received_on, &received) ||
        !privacy_deadline(out->kind, received, true, &deadline, &provisional)) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "stored request is malformed");
    }
    const char *day = cal_format(deadline, a);
    rc = store_preq_extend(w, id, day, provisional, reason, now, NULL, err);
    if (rc == KT_OK) {
        rc = audit_write(w, key_id, "request", out->customer_id, NULL,
                         arena_printf(a, "extend %s %s", out->id, day), rid, now, err);
    }
    if (rc == KT_OK) {
        rc = store_preq_get(w, id, a, out, NULL, err);
    }
    return rc;
}
