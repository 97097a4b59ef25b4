/*
 * requests.c - the requests register's rules beyond recording a request: the extension of a
 * deadline, which the law allows only for access (art. 14 part 3, art. 20) and stop requests
 * (art. 21 part 5.1), by 5 working days, and only with a reasoned notice sent to the subject
 * (docs/privacy.md, "Requests register"). The deadlines of unlawful processing (3 and 10 working
 * days) and of rectification (7) cannot be extended. The register's HTTP side is
 * api/privacy_requests.c; the calendar calendar.c. A request is registered here too, so the API
 * and the customer's own page (pages/prefs.c) compute the same deadline.
 */
#include <string.h>

#include "base/id.h"
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

/* The checks of a request's own words, before the store is asked. */
static enum kt_rc request_valid(struct privacy_request *p, int64_t day, int64_t *deadline,
                                struct arena *a, struct kt_err *err)
{
    if (!privacy_deadline(p->kind, day, p->extended, deadline, &p->provisional)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "kind",
                          "kind is access, rectification, stop, erasure or unlawful_processing");
    }
    if (p->extended && !privacy_extendable(p->kind)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "extended",
                          "only access and stop requests may be extended by 5 working days");
    }
    if (p->extended != (p->extension_reason != NULL)) { /* art. 20 part 2: a reasoned notice */
        return kt_err_set(err, KT_EINVAL, "extension_reason_required",
                          p->extended ? "extension_reason" : "extended",
                          p->extended ? "a deadline is extended only with a reasoned notice to the "
                                        "subject: give its reasons in extension_reason"
                                      : "extension_reason goes with extended: true");
    }
    if (strcmp(p->kind, "unlawful_processing") == 0) { /* art. 21 part 3: stop, then destroy */
        bool prov = false;
        p->destroy_deadline = cal_format(privacy_destroy_deadline(day, &prov), a);
        p->provisional = p->provisional || prov;
    }
    if (p->customer_id != NULL && !id_valid(p->customer_id, "c_")) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "customer_id",
                          "customer_id is a customer's id (c_...)");
    }
    return KT_OK;
}

enum kt_rc privacy_request_open(struct store_conn *w, struct privacy_request *p, int64_t day,
                                const char *rid, int64_t now, struct arena *a, struct kt_err *err)
{
    int64_t deadline = 0;
    if (request_valid(p, day, &deadline, a, err) != KT_OK) {
        return err->rc;
    }
    id_new(p->id, sizeof(p->id), "r_");
    p->received_on = cal_format(day, a);
    p->deadline = cal_format(deadline, a);
    p->channel = p->channel ? p->channel : "letter";
    p->state = "open";
    p->created_at = now;
    p->extended_at = p->extended ? now : 0;
    enum kt_rc rc = KT_OK;
    if (p->customer_id != NULL) {
        struct customer cu;
        bool found = false;
        rc = store_customer_get_by_id(w, p->customer_id, a, &cu, &found, err);
        if (rc == KT_OK && !found) {
            rc = kt_err_set(err, KT_EINVAL, "customer_not_found", "customer_id",
                            "no customer has that id");
        } else if (rc == KT_OK) {
            p->customer_id = arena_strdup(a, cu.id);
        }
    }
    rc = rc == KT_OK ? store_preq_insert(w, p, err) : rc;
    if (rc == KT_OK) {
        rc = audit_write(w, p->key_id, "request", p->customer_id, NULL,
                         arena_printf(a, "%s %s", p->kind, p->id), rid, now, err);
    }
    return rc;
}
