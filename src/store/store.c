/*
 * store.c - dispatch to the backend, and the per-thread database-time counter for /metrics.
 *
 * Each wrapper times the backend call with the monotonic clock; the HTTP layer takes the sum per
 * request. The wrappers hold no logic: a rule about customers belongs in identity/, a query in
 * the backend.
 */
#include "store/store_impl.h"

#include <string.h>

#include "base/clock.h"

static _Thread_local int64_t db_ns;  /* this thread's database time since the last take */
static _Thread_local int reads_open; /* read snapshots this thread holds */

int64_t store_db_time_take(void)
{
    int64_t v = db_ns;
    db_ns = 0;
    return v;
}

#define TIMED(expr)                                                                                \
    do {                                                                                           \
        int64_t t0_ = clock_mono_ns();                                                             \
        enum kt_rc rc_ = (expr);                                                                   \
        db_ns += clock_mono_ns() - t0_;                                                            \
        return rc_;                                                                                \
    } while (0)

enum kt_rc store_open(const struct store_opts *opts, struct store **out, struct kt_err *err)
{
    *out = NULL;
    return store_sqlite_ops.open(opts, out, err);
}

void store_close(struct store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

enum kt_rc store_schema_version(struct store *s, int *have, int *want, struct kt_err *err)
{
    return s->ops->schema_version(s, have, want, err);
}

enum kt_rc store_migrate(struct store *s, int *applied, struct kt_err *err)
{
    return s->ops->migrate(s, applied, err);
}

static enum kt_rc read_begin(struct store *s, bool analytics, struct store_conn **out,
                             struct kt_err *err)
{
    int64_t t0 = clock_mono_ns();
    enum kt_rc rc = s->ops->read_begin(s, analytics, out, err);
    db_ns += clock_mono_ns() - t0;
    reads_open += rc == KT_OK;
    return rc;
}

enum kt_rc store_read_begin(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return read_begin(s, false, out, err);
}

enum kt_rc store_read_begin_analytics(struct store *s, struct store_conn **out, struct kt_err *err)
{
    return read_begin(s, true, out, err);
}

void store_read_end(struct store_conn *c)
{
    if (c != NULL) {
        int64_t t0 = clock_mono_ns();
        c->ops->read_end(c);
        db_ns += clock_mono_ns() - t0;
        reads_open--;
    }
}

enum kt_rc store_write_begin(struct store *s, struct store_conn **out, struct kt_err *err)
{
    if (reads_open > 0) {
        /* A thread that waits for the writer while it holds a snapshot can stall the checkpoint
         * that waits for that snapshot: a bug, refused loudly. */
        *out = NULL;
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "a write was begun while this thread holds a read snapshot");
    }
    TIMED(s->ops->write_begin(s, out, err));
}

enum kt_rc store_write_end(struct store_conn *c, enum kt_rc rc, struct kt_err *err)
{
    int64_t t0 = clock_mono_ns();
    enum kt_rc end = c->ops->write_end(c, rc == KT_OK, err);
    db_ns += clock_mono_ns() - t0;
    return rc != KT_OK ? rc : end;
}

void store_write_rollback(struct store_conn *c)
{
    int64_t t0 = clock_mono_ns();
    c->ops->write_end(c, false, NULL);
    db_ns += clock_mono_ns() - t0;
}

enum kt_rc store_ping(struct store_conn *c, struct kt_err *err)
{
    TIMED(c->ops->ping(c, err));
}

enum kt_rc store_meta_get(struct store_conn *c, const char *key, struct arena *a, const char **val,
                          struct kt_err *err)
{
    TIMED(c->ops->meta_get(c, key, a, val, err));
}

enum kt_rc store_meta_put(struct store_conn *c, const char *key, const char *val,
                          struct kt_err *err)
{
    TIMED(c->ops->meta_put(c, key, val, err));
}

enum kt_rc store_customer_get(struct store_conn *c, int64_t ck, struct arena *a,
                              struct customer *out, struct kt_err *err)
{
    TIMED(c->ops->customer_get(c, ck, a, out, err));
}

enum kt_rc store_customer_get_by_id(struct store_conn *c, const char *id, struct arena *a,
                                    struct customer *out, struct kt_err *err)
{
    TIMED(c->ops->customer_get_by_id(c, id, a, out, err));
}

enum kt_rc store_customer_insert(struct store_conn *c, struct customer *cust, struct kt_err *err)
{
    TIMED(c->ops->customer_insert(c, cust, err));
}

enum kt_rc store_customer_update(struct store_conn *c, const struct customer *cust,
                                 struct kt_err *err)
{
    TIMED(c->ops->customer_update(c, cust, err));
}

enum kt_rc store_customer_list(struct store_conn *c, const char *after_id, int limit,
                               struct arena *a, struct customer **out, size_t *n,
                               struct kt_err *err)
{
    TIMED(c->ops->customer_list(c, after_id, limit, a, out, n, err));
}

enum kt_rc store_customer_set_merged(struct store_conn *c, int64_t from, int64_t into, int64_t at,
                                     struct kt_err *err)
{
    TIMED(c->ops->customer_set_merged(c, from, into, at, err));
}

enum kt_rc store_customer_merged_from(struct store_conn *c, int64_t ck, struct arena *a,
                                      const char ***ids, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->customer_merged_from(c, ck, a, ids, n, err));
}

enum kt_rc store_ident_find(struct store_conn *c, const char *kind, const char *value,
                            struct arena *a, struct ident *out, struct kt_err *err)
{
    TIMED(c->ops->ident_find(c, kind, value, a, out, err));
}

enum kt_rc store_ident_insert(struct store_conn *c, const struct ident *id, struct kt_err *err)
{
    TIMED(c->ops->ident_insert(c, id, err));
}

enum kt_rc store_ident_set_verified(struct store_conn *c, const char *kind, const char *value,
                                    struct kt_err *err)
{
    TIMED(c->ops->ident_set_verified(c, kind, value, err));
}

enum kt_rc store_ident_list(struct store_conn *c, int64_t ck, struct arena *a, struct ident **out,
                            size_t *n, struct kt_err *err)
{
    TIMED(c->ops->ident_list(c, ck, a, out, n, err));
}

enum kt_rc store_ident_move(struct store_conn *c, int64_t from, int64_t into, struct kt_err *err)
{
    TIMED(c->ops->ident_move(c, from, into, err));
}

enum kt_rc store_history_add(struct store_conn *c, const struct history_entry *h,
                             struct kt_err *err)
{
    TIMED(c->ops->history_add(c, h, err));
}

enum kt_rc store_history_list(struct store_conn *c, int64_t ck, int64_t after_seq, int limit,
                              struct arena *a, struct history_entry **out, size_t *n,
                              struct kt_err *err)
{
    TIMED(c->ops->history_list(c, ck, after_seq, limit, a, out, n, err));
}

enum kt_rc store_history_move(struct store_conn *c, int64_t from, int64_t into, struct kt_err *err)
{
    TIMED(c->ops->history_move(c, from, into, err));
}

enum kt_rc store_merge_candidate_add(struct store_conn *c, int64_t ck_a, int64_t ck_b,
                                     const char *reason, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->merge_candidate_add(c, ck_a, ck_b, reason, at, err));
}

enum kt_rc store_merge_candidate_resolve(struct store_conn *c, int64_t ck_a, int64_t ck_b,
                                         int64_t at, struct kt_err *err)
{
    TIMED(c->ops->merge_candidate_resolve(c, ck_a, ck_b, at, err));
}

enum kt_rc store_merge_candidate_count(struct store_conn *c, int64_t ck, int64_t *n,
                                       struct kt_err *err)
{
    TIMED(c->ops->merge_candidate_count(c, ck, n, err));
}

enum kt_rc store_attr_put(struct store_conn *c, const struct attr_def *d, struct kt_err *err)
{
    TIMED(c->ops->attr_put(c, d, err));
}

enum kt_rc store_attr_get(struct store_conn *c, const char *name, struct arena *a,
                          struct attr_def *out, struct kt_err *err)
{
    TIMED(c->ops->attr_get(c, name, a, out, err));
}

enum kt_rc store_attr_list(struct store_conn *c, struct arena *a, struct attr_def **out, size_t *n,
                           struct kt_err *err)
{
    TIMED(c->ops->attr_list(c, a, out, n, err));
}

enum kt_rc store_attr_in_use(struct store_conn *c, const char *name, bool *used, struct kt_err *err)
{
    TIMED(c->ops->attr_in_use(c, name, used, err));
}

enum kt_rc store_key_insert(struct store_conn *c, const struct api_key *k, struct kt_err *err)
{
    TIMED(c->ops->key_insert(c, k, err));
}

enum kt_rc store_key_get(struct store_conn *c, const char *id, struct arena *a, struct api_key *out,
                         struct kt_err *err)
{
    TIMED(c->ops->key_get(c, id, a, out, err));
}

enum kt_rc store_key_list(struct store_conn *c, struct arena *a, struct api_key **out, size_t *n,
                          struct kt_err *err)
{
    TIMED(c->ops->key_list(c, a, out, n, err));
}

enum kt_rc store_key_revoke(struct store_conn *c, const char *id, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->key_revoke(c, id, at, err));
}

enum kt_rc store_key_count_active(struct store_conn *c, int64_t *n, struct kt_err *err)
{
    TIMED(c->ops->key_count_active(c, n, err));
}

enum kt_rc store_idem_get(struct store_conn *c, const char *key_id, const char *idem_key,
                          struct arena *a, struct idem_record *out, struct kt_err *err)
{
    TIMED(c->ops->idem_get(c, key_id, idem_key, a, out, err));
}

enum kt_rc store_idem_put(struct store_conn *c, const struct idem_record *r, struct kt_err *err)
{
    TIMED(c->ops->idem_put(c, r, err));
}

enum kt_rc store_idem_expire(struct store_conn *c, int64_t before, struct kt_err *err)
{
    TIMED(c->ops->idem_expire(c, before, err));
}

enum kt_rc store_intake_add(struct store_conn *c, const struct intake_row *r, struct kt_err *err)
{
    TIMED(c->ops->intake_add(c, r, err));
}

enum kt_rc store_import_insert(struct store_conn *c, const struct import_job *j, struct kt_err *err)
{
    TIMED(c->ops->import_insert(c, j, err));
}

enum kt_rc store_import_update(struct store_conn *c, const struct import_job *j, struct kt_err *err)
{
    TIMED(c->ops->import_update(c, j, err));
}

enum kt_rc store_import_get(struct store_conn *c, const char *id, struct arena *a,
                            struct import_job *out, struct kt_err *err)
{
    TIMED(c->ops->import_get(c, id, a, out, err));
}

enum kt_rc store_import_next(struct store_conn *c, struct arena *a, struct import_job *out,
                             struct kt_err *err)
{
    TIMED(c->ops->import_next(c, a, out, err));
}

enum kt_rc store_import_list(struct store_conn *c, int limit, struct arena *a,
                             struct import_job **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->import_list(c, limit, a, out, n, err));
}

enum kt_rc store_reject_add(struct store_conn *c, const struct import_reject *r, struct kt_err *err)
{
    TIMED(c->ops->reject_add(c, r, err));
}

enum kt_rc store_reject_clear(struct store_conn *c, const char *import_id, struct kt_err *err)
{
    TIMED(c->ops->reject_clear(c, import_id, err));
}

enum kt_rc store_reject_file(struct store_conn *c, const char *import_id, struct buf *out,
                             int64_t *rows, struct kt_err *err)
{
    TIMED(c->ops->reject_file(c, import_id, out, rows, err));
}

enum kt_rc store_reject_forget(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                               int64_t *removed, struct kt_err *err)
{
    TIMED(c->ops->reject_forget(c, hashes, n, removed, err));
}

enum kt_rc store_reject_expire(struct store_conn *c, int64_t before, int limit, int64_t *removed,
                               struct kt_err *err)
{
    TIMED(c->ops->reject_expire(c, before, limit, removed, err));
}

enum kt_rc store_history_last_refused(struct store_conn *c, int64_t ck, const char *field,
                                      struct arena *a, const char **raw, struct kt_err *err)
{
    TIMED(c->ops->history_last_refused(c, ck, field, a, raw, err));
}

enum kt_rc store_quality(struct store_conn *c, int64_t now, int64_t since_day, struct arena *a,
                         struct quality_data *out, struct kt_err *err)
{
    TIMED(c->ops->quality(c, now, since_day, a, out, err));
}

/* ---- privacy ---- */

enum kt_rc store_doc_put(struct store_conn *c, const struct consent_doc *d, struct kt_err *err)
{
    TIMED(c->ops->doc_put(c, d, err));
}

enum kt_rc store_doc_get(struct store_conn *c, const char *key, int64_t version, struct arena *a,
                         struct consent_doc *out, struct kt_err *err)
{
    TIMED(c->ops->doc_get(c, key, version, a, out, err));
}

enum kt_rc store_doc_list(struct store_conn *c, struct arena *a, struct consent_doc **out,
                          size_t *n, struct kt_err *err)
{
    TIMED(c->ops->doc_list(c, a, out, n, err));
}

enum kt_rc store_consent_add(struct store_conn *c, const struct consent_event *e,
                             struct kt_err *err)
{
    TIMED(c->ops->consent_add(c, e, err));
}

enum kt_rc store_consent_list(struct store_conn *c, int64_t ck, struct arena *a,
                              struct consent_event **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->consent_list(c, ck, a, out, n, err));
}

enum kt_rc store_topic_put(struct store_conn *c, const struct topic *t, struct kt_err *err)
{
    TIMED(c->ops->topic_put(c, t, err));
}

enum kt_rc store_topic_list(struct store_conn *c, struct arena *a, struct topic **out, size_t *n,
                            struct kt_err *err)
{
    TIMED(c->ops->topic_list(c, a, out, n, err));
}

enum kt_rc store_sub_add(struct store_conn *c, const struct sub_event *e, struct kt_err *err)
{
    TIMED(c->ops->sub_add(c, e, err));
}

enum kt_rc store_sub_list(struct store_conn *c, int64_t ck, struct arena *a, struct sub_event **out,
                          size_t *n, struct kt_err *err)
{
    TIMED(c->ops->sub_list(c, ck, a, out, n, err));
}

enum kt_rc store_suppress_add(struct store_conn *c, const unsigned char hash[32], const char *kind,
                              const char *act_id, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->suppress_add(c, hash, kind, act_id, at, err));
}

enum kt_rc store_suppress_hit(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                              int64_t at, size_t *first, struct kt_err *err)
{
    TIMED(c->ops->suppress_hit(c, hashes, n, at, first, err));
}

enum kt_rc store_suppress_remove(struct store_conn *c, const unsigned char hash[32],
                                 struct kt_err *err)
{
    TIMED(c->ops->suppress_remove(c, hash, err));
}

enum kt_rc store_preq_insert(struct store_conn *c, const struct privacy_request *p,
                             struct kt_err *err)
{
    TIMED(c->ops->preq_insert(c, p, err));
}

enum kt_rc store_preq_get(struct store_conn *c, const char *id, struct arena *a,
                          struct privacy_request *out, struct kt_err *err)
{
    TIMED(c->ops->preq_get(c, id, a, out, err));
}

enum kt_rc store_preq_close(struct store_conn *c, const char *id, const char *state,
                            const char *outcome, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->preq_close(c, id, state, outcome, at, err));
}

enum kt_rc store_preq_list(struct store_conn *c, bool overdue, const char *today,
                           const char *after_id, int limit, struct arena *a,
                           struct privacy_request **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->preq_list(c, overdue, today, after_id, limit, a, out, n, err));
}

enum kt_rc store_act_insert(struct store_conn *c, const struct destruction_act *x,
                            struct kt_err *err)
{
    TIMED(c->ops->act_insert(c, x, err));
}

enum kt_rc store_act_get(struct store_conn *c, const char *id, struct arena *a,
                         struct destruction_act *out, struct kt_err *err)
{
    TIMED(c->ops->act_get(c, id, a, out, err));
}

enum kt_rc store_act_list(struct store_conn *c, const char *after_id, int limit, struct arena *a,
                          struct destruction_act **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->act_list(c, after_id, limit, a, out, n, err));
}

enum kt_rc store_due_add(struct store_conn *c, const struct due_item *d, struct kt_err *err)
{
    TIMED(c->ops->due_add(c, d, err));
}

enum kt_rc store_due_next(struct store_conn *c, int64_t now, struct arena *a, struct due_item *out,
                          struct kt_err *err)
{
    TIMED(c->ops->due_next(c, now, a, out, err));
}

enum kt_rc store_due_finish(struct store_conn *c, int64_t seq, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->due_finish(c, seq, at, err));
}

enum kt_rc store_due_cancel(struct store_conn *c, int64_t ck, const char *kind, int64_t at,
                            struct kt_err *err)
{
    TIMED(c->ops->due_cancel(c, ck, kind, at, err));
}

enum kt_rc store_due_pending(struct store_conn *c, int64_t ck, const char *kind, int64_t *due_at,
                             struct kt_err *err)
{
    TIMED(c->ops->due_pending(c, ck, kind, due_at, err));
}

enum kt_rc store_audit_add(struct store_conn *c, const struct audit_entry *e, size_t n,
                           struct kt_err *err)
{
    TIMED(c->ops->audit_add(c, e, n, err));
}

enum kt_rc store_audit_list(struct store_conn *c, const struct audit_filter *f, struct arena *a,
                            struct audit_entry **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->audit_list(c, f, a, out, n, err));
}

enum kt_rc store_customer_erase(struct store_conn *c, int64_t ck, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->customer_erase(c, ck, at, err));
}

enum kt_rc store_customer_inactive(struct store_conn *c, int64_t before, int limit, struct arena *a,
                                   int64_t **cks, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->customer_inactive(c, before, limit, a, cks, n, err));
}

enum kt_rc store_health(struct store *s, struct kt_err *err)
{
    return s->ops->health(s, err);
}

enum kt_rc store_wipe_wal(struct store *s, struct kt_err *err)
{
    return s->ops->wipe_wal(s, err);
}

enum kt_rc store_reads_add(struct store *s, const struct audit_entry *e, size_t n,
                           struct kt_err *err)
{
    TIMED(s->ops->reads_add(s, e, n, err));
}

enum kt_rc store_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                            struct audit_entry **out, size_t *n, struct kt_err *err)
{
    TIMED(s->ops->reads_list(s, f, a, out, n, err));
}

enum kt_rc store_program_put(struct store_conn *c, const char *rules, int64_t at,
                             const char *key_id, int64_t *version, struct kt_err *err)
{
    TIMED(c->ops->program_put(c, rules, at, key_id, version, err));
}

enum kt_rc store_program_get(struct store_conn *c, struct arena *a, const char **rules,
                             int64_t *version, int64_t *at, int64_t *first_at, struct kt_err *err)
{
    TIMED(c->ops->program_get(c, a, rules, version, at, first_at, err));
}

enum kt_rc store_ledger_add(struct store_conn *c, const struct ledger_entry *e, struct kt_err *err)
{
    TIMED(c->ops->ledger_add(c, e, err));
}

enum kt_rc store_ledger_list(struct store_conn *c, int64_t ck, struct arena *a,
                             struct ledger_entry **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->ledger_list(c, ck, a, out, n, err));
}

enum kt_rc store_purchase_find(struct store_conn *c, const char *store_id, const char *receipt,
                               struct arena *a, struct purchase *out, struct kt_err *err)
{
    TIMED(c->ops->purchase_find(c, store_id, receipt, a, out, err));
}

enum kt_rc store_purchase_insert(struct store_conn *c, const struct purchase *p,
                                 const struct purchase_line *lines, size_t n, struct kt_err *err)
{
    TIMED(c->ops->purchase_insert(c, p, lines, n, err));
}

enum kt_rc store_purchase_get(struct store_conn *c, const char *id, struct arena *a,
                              struct purchase *out, struct purchase_line **lines, size_t *n,
                              struct kt_err *err)
{
    TIMED(c->ops->purchase_get(c, id, a, out, lines, n, err));
}

enum kt_rc store_purchase_list(struct store_conn *c, int64_t ck, int64_t before, int limit,
                               struct arena *a, struct purchase **out, size_t *n,
                               struct kt_err *err)
{
    TIMED(c->ops->purchase_list(c, ck, before, limit, a, out, n, err));
}

enum kt_rc store_refund_find(struct store_conn *c, const char *purchase_id, const char *number,
                             struct arena *a, struct refund *out, struct kt_err *err)
{
    TIMED(c->ops->refund_find(c, purchase_id, number, a, out, err));
}

enum kt_rc store_refund_insert(struct store_conn *c, const struct refund *rf,
                               const struct refund_line *lines, size_t n, struct kt_err *err)
{
    TIMED(c->ops->refund_insert(c, rf, lines, n, err));
}

enum kt_rc store_loyalty_report(struct store_conn *c, int64_t since, int64_t until,
                                struct loyalty_report *out, struct kt_err *err)
{
    TIMED(c->ops->loyalty_report(c, since, until, out, err));
}

enum kt_rc store_card_insert(struct store_conn *c, const struct card *cd, struct kt_err *err)
{
    TIMED(c->ops->card_insert(c, cd, err));
}

enum kt_rc store_card_get(struct store_conn *c, const char *number, struct arena *a,
                          struct card *out, struct kt_err *err)
{
    TIMED(c->ops->card_get(c, number, a, out, err));
}

enum kt_rc store_card_list(struct store_conn *c, int64_t ck, struct arena *a, struct card **out,
                           size_t *n, struct kt_err *err)
{
    TIMED(c->ops->card_list(c, ck, a, out, n, err));
}

enum kt_rc store_card_update(struct store_conn *c, const struct card *cd, struct kt_err *err)
{
    TIMED(c->ops->card_update(c, cd, err));
}

enum kt_rc store_card_number_held(struct store_conn *c, const char *number,
                                  const unsigned char suppress_hash[32], bool *held,
                                  struct kt_err *err)
{
    TIMED(c->ops->card_number_held(c, number, suppress_hash, held, err));
}

enum kt_rc store_enrol_count(struct store_conn *c, const char *key_id, const char *store,
                             int64_t since, int64_t *n, int64_t *oldest, struct kt_err *err)
{
    TIMED(c->ops->enrol_count(c, key_id, store, since, n, oldest, err));
}

enum kt_rc store_enrol_add(struct store_conn *c, const char *key_id, const char *store, int64_t at,
                           int64_t purge_before, struct kt_err *err)
{
    TIMED(c->ops->enrol_add(c, key_id, store, at, purge_before, err));
}

enum kt_rc store_otp_insert(struct store_conn *c, const struct otp_code *o, struct kt_err *err)
{
    TIMED(c->ops->otp_insert(c, o, err));
}

enum kt_rc store_otp_latest(struct store_conn *c, const unsigned char tag[32], struct arena *a,
                            struct otp_code *out, struct kt_err *err)
{
    TIMED(c->ops->otp_latest(c, tag, a, out, err));
}

enum kt_rc store_otp_update(struct store_conn *c, const struct otp_code *o, struct kt_err *err)
{
    TIMED(c->ops->otp_update(c, o, err));
}

enum kt_rc store_otp_count(struct store_conn *c, const unsigned char *tag, const char *key_id,
                           int64_t since, int64_t *n, struct kt_err *err)
{
    TIMED(c->ops->otp_count(c, tag, key_id, since, n, err));
}

enum kt_rc store_sms_enqueue(struct store_conn *c, const struct sms_msg *m, struct kt_err *err)
{
    TIMED(c->ops->sms_enqueue(c, m, err));
}

enum kt_rc store_sms_due(struct store_conn *c, int64_t now, int limit, struct arena *a,
                         struct sms_msg **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->sms_due(c, now, limit, a, out, n, err));
}

enum kt_rc store_sms_done(struct store_conn *c, int64_t id, const char *state, int64_t attempts,
                          int64_t next_at, const char *error, int64_t at, struct kt_err *err)
{
    TIMED(c->ops->sms_done(c, id, state, attempts, next_at, error, at, err));
}

enum kt_rc store_ledger_expiring(struct store_conn *c, int64_t since, int64_t until,
                                 int64_t after_ck, int limit, struct arena *a, int64_t **cks,
                                 size_t *n, struct kt_err *err)
{
    TIMED(c->ops->ledger_expiring(c, since, until, after_ck, limit, a, cks, n, err));
}

enum kt_rc store_referral_add(struct store_conn *c, int64_t friend_ck, int64_t referrer_ck,
                              int64_t at, struct kt_err *err)
{
    TIMED(c->ops->referral_add(c, friend_ck, referrer_ck, at, err));
}

enum kt_rc store_referral_get(struct store_conn *c, int64_t friend_ck, int64_t *referrer_ck,
                              int64_t *rewarded_at, struct kt_err *err)
{
    TIMED(c->ops->referral_get(c, friend_ck, referrer_ck, rewarded_at, err));
}

enum kt_rc store_referral_rewarded(struct store_conn *c, int64_t friend_ck, int64_t at,
                                   const char *purchase_id, struct kt_err *err)
{
    TIMED(c->ops->referral_rewarded(c, friend_ck, at, purchase_id, err));
}

enum kt_rc store_member_birthdays(struct store_conn *c, int64_t after_ck, int limit,
                                  struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                                  struct kt_err *err)
{
    TIMED(c->ops->member_birthdays(c, after_ck, limit, a, cks, dates, n, err));
}

enum kt_rc store_event_add(struct store_conn *c, const struct event *e, bool *duplicate,
                           struct kt_err *err)
{
    TIMED(c->ops->event_add(c, e, duplicate, err));
}

enum kt_rc store_events_adopt(struct store_conn *c, const char *kind, const char *value, int64_t ck,
                              int64_t *n, struct kt_err *err)
{
    TIMED(c->ops->events_adopt(c, kind, value, ck, n, err));
}

enum kt_rc store_events_list(struct store_conn *c, int64_t ck, int64_t before_seq, int limit,
                             struct arena *a, struct event **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->events_list(c, ck, before_seq, limit, a, out, n, err));
}

enum kt_rc store_event_counts(struct store_conn *c, int64_t since, int64_t until, struct arena *a,
                              const char ***types, int64_t **counts, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->event_counts(c, since, until, a, types, counts, n, err));
}

enum kt_rc store_event_ids_purge(struct store_conn *c, int64_t before, int64_t *n,
                                 struct kt_err *err)
{
    TIMED(c->ops->event_ids_purge(c, before, n, err));
}

enum kt_rc store_event_type_put(struct store_conn *c, const struct event_type *t,
                                struct kt_err *err)
{
    TIMED(c->ops->event_type_put(c, t, err));
}

enum kt_rc store_event_type_list(struct store_conn *c, struct arena *a, struct event_type **out,
                                 size_t *n, struct kt_err *err)
{
    TIMED(c->ops->event_type_list(c, a, out, n, err));
}

enum kt_rc store_segment_preview(struct store_conn *c, const struct seg_node *q, int64_t now,
                                 int sample, struct arena *a, int64_t *count, const char ***ids,
                                 size_t *n_ids, struct kt_err *err)
{
    TIMED(c->ops->segment_preview(c, q, now, sample, a, count, ids, n_ids, err));
}

enum kt_rc store_rfm_rows(struct store_conn *c, int64_t now, struct arena *a, struct rfm_row **out,
                          size_t *n, struct kt_err *err)
{
    TIMED(c->ops->rfm_rows(c, now, a, out, n, err));
}

enum kt_rc store_trait_put(struct store_conn *c, int64_t ck, const struct trait *t,
                           struct kt_err *err)
{
    TIMED(c->ops->trait_put(c, ck, t, err));
}

enum kt_rc store_traits_list(struct store_conn *c, int64_t ck, struct arena *a, struct trait **out,
                             size_t *n, struct kt_err *err)
{
    TIMED(c->ops->traits_list(c, ck, a, out, n, err));
}

enum kt_rc store_segment_put(struct store_conn *c, const struct segment *sg, struct kt_err *err)
{
    TIMED(c->ops->segment_put(c, sg, err));
}

enum kt_rc store_segment_get(struct store_conn *c, const char *id_or_name, struct arena *a,
                             struct segment *out, struct kt_err *err)
{
    TIMED(c->ops->segment_get(c, id_or_name, a, out, err));
}

enum kt_rc store_segment_list(struct store_conn *c, struct arena *a, struct segment **out,
                              size_t *n, struct kt_err *err)
{
    TIMED(c->ops->segment_list(c, a, out, n, err));
}

enum kt_rc store_segment_delete(struct store_conn *c, const char *id, struct kt_err *err)
{
    TIMED(c->ops->segment_delete(c, id, err));
}

enum kt_rc store_segment_eval(struct store_conn *c, const struct seg_node *q, int64_t now,
                              struct arena *a, int64_t **cks, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->segment_eval(c, q, now, a, cks, n, err));
}

enum kt_rc store_segment_member_cks(struct store_conn *c, const char *id, struct arena *a,
                                    int64_t **cks, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->segment_member_cks(c, id, a, cks, n, err));
}

enum kt_rc store_segment_enter(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                               int64_t at, int64_t *changed, struct kt_err *err)
{
    TIMED(c->ops->segment_enter(c, id, cks, n, at, changed, err));
}

enum kt_rc store_segment_leave(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                               int64_t at, int64_t *changed, struct kt_err *err)
{
    TIMED(c->ops->segment_leave(c, id, cks, n, at, changed, err));
}

enum kt_rc store_segment_refreshed(struct store_conn *c, const char *id, int64_t at, int64_t *size,
                                   struct kt_err *err)
{
    TIMED(c->ops->segment_refreshed(c, id, at, size, err));
}

enum kt_rc store_segment_members(struct store_conn *c, const char *id, int64_t after_ck, int limit,
                                 struct arena *a, struct segment_member **out, size_t *n,
                                 struct kt_err *err)
{
    TIMED(c->ops->segment_members(c, id, after_ck, limit, a, out, n, err));
}

enum kt_rc store_cluster_channels(struct store_conn *c, int64_t since, struct arena *a,
                                  struct feature_row **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->cluster_channels(c, since, a, out, n, err));
}

enum kt_rc store_cluster_categories(struct store_conn *c, struct arena *a, struct feature_row **out,
                                    size_t *n, struct kt_err *err)
{
    TIMED(c->ops->cluster_categories(c, a, out, n, err));
}

enum kt_rc store_trait_def_put(struct store_conn *c, const char *name, const char *expression,
                               int64_t now, struct kt_err *err)
{
    TIMED(c->ops->trait_def_put(c, name, expression, now, err));
}

enum kt_rc store_trait_def_list(struct store_conn *c, struct arena *a, const char ***names,
                                const char ***expressions, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->trait_def_list(c, a, names, expressions, n, err));
}

enum kt_rc store_trait_rows(struct store_conn *c, const char *name, struct arena *a,
                            struct trait_row **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->trait_rows(c, name, a, out, n, err));
}

enum kt_rc store_trait_builtin_eval(struct store_conn *c, const char *name, struct arena *a,
                                    struct trait_row **out, size_t *n, struct kt_err *err)
{
    TIMED(c->ops->trait_builtin_eval(c, name, a, out, n, err));
}

enum kt_rc store_trait_delete(struct store_conn *c, int64_t ck, const char *name,
                              struct kt_err *err)
{
    TIMED(c->ops->trait_delete(c, ck, name, err));
}

enum kt_rc store_otp_get(struct store_conn *c, const char *id, struct arena *a,
                         struct otp_code *out, struct kt_err *err)
{
    TIMED(c->ops->otp_get(c, id, a, out, err));
}
