/*
 * store_impl.h - what a backend provides. Only store.c and the backends include this.
 *
 * A backend's store and connection structs begin with `struct store` / `struct store_conn` so
 * store.c can reach the table of operations from either handle.
 */
#ifndef KT_STORE_IMPL_H
#define KT_STORE_IMPL_H

#include "store/store.h"

struct store_ops;

struct store {
    const struct store_ops *ops; /* the backend; immutable after open */
};

struct store_conn {
    const struct store_ops *ops; /* same as the store's */
    struct store *store;         /* owner */
};

struct store_ops {
    const char *name;
    enum kt_rc (*open)(const struct store_opts *o, struct store **out, struct kt_err *err);
    void (*close)(struct store *s);
    enum kt_rc (*schema_version)(struct store *s, int *have, int *want, struct kt_err *err);
    enum kt_rc (*migrate)(struct store *s, int *applied, struct kt_err *err);
    enum kt_rc (*read_begin)(struct store *s, bool analytics, struct store_conn **out,
                             struct kt_err *err);
    void (*read_end)(struct store_conn *c);
    enum kt_rc (*write_begin)(struct store *s, struct store_conn **out, struct kt_err *err);
    enum kt_rc (*write_end)(struct store_conn *c, bool commit, struct kt_err *err);
    enum kt_rc (*ping)(struct store_conn *c, struct kt_err *err);
    enum kt_rc (*health)(struct store *s, struct kt_err *err);

    enum kt_rc (*meta_get)(struct store_conn *c, const char *key, struct arena *a, const char **val,
                           struct kt_err *err);
    enum kt_rc (*meta_put)(struct store_conn *c, const char *key, const char *val,
                           struct kt_err *err);

    enum kt_rc (*customer_get)(struct store_conn *c, int64_t ck, struct arena *a,
                               struct customer *out, struct kt_err *err);
    enum kt_rc (*customer_get_by_id)(struct store_conn *c, const char *id, struct arena *a,
                                     struct customer *out, struct kt_err *err);
    enum kt_rc (*customer_insert)(struct store_conn *c, struct customer *cust, struct kt_err *err);
    enum kt_rc (*customer_update)(struct store_conn *c, const struct customer *cust,
                                  struct kt_err *err);
    enum kt_rc (*customer_list)(struct store_conn *c, const char *after_id, int limit,
                                struct arena *a, struct customer **out, size_t *n,
                                struct kt_err *err);
    enum kt_rc (*customer_set_merged)(struct store_conn *c, int64_t from, int64_t into, int64_t at,
                                      struct kt_err *err);
    enum kt_rc (*customer_merged_from)(struct store_conn *c, int64_t ck, struct arena *a,
                                       const char ***ids, size_t *n, struct kt_err *err);

    enum kt_rc (*ident_find)(struct store_conn *c, const char *kind, const char *value,
                             struct arena *a, struct ident *out, struct kt_err *err);
    enum kt_rc (*ident_insert)(struct store_conn *c, const struct ident *id, struct kt_err *err);
    enum kt_rc (*ident_set_verified)(struct store_conn *c, const char *kind, const char *value,
                                     struct kt_err *err);
    enum kt_rc (*ident_list)(struct store_conn *c, int64_t ck, struct arena *a, struct ident **out,
                             size_t *n, struct kt_err *err);
    enum kt_rc (*ident_move)(struct store_conn *c, int64_t from, int64_t into, struct kt_err *err);

    enum kt_rc (*history_add)(struct store_conn *c, const struct history_entry *h,
                              struct kt_err *err);
    enum kt_rc (*history_list)(struct store_conn *c, int64_t ck, int64_t after_seq, int limit,
                               struct arena *a, struct history_entry **out, size_t *n,
                               struct kt_err *err);
    enum kt_rc (*history_last_refused)(struct store_conn *c, int64_t ck, const char *field,
                                       struct arena *a, const char **raw, struct kt_err *err);
    enum kt_rc (*history_move)(struct store_conn *c, int64_t from, int64_t into,
                               struct kt_err *err);

    enum kt_rc (*merge_candidate_add)(struct store_conn *c, int64_t a, int64_t b,
                                      const char *reason, int64_t at, struct kt_err *err);
    enum kt_rc (*merge_candidate_resolve)(struct store_conn *c, int64_t a, int64_t b, int64_t at,
                                          struct kt_err *err);
    enum kt_rc (*merge_candidate_count)(struct store_conn *c, int64_t ck, int64_t *n,
                                        struct kt_err *err);

    enum kt_rc (*attr_put)(struct store_conn *c, const struct attr_def *d, struct kt_err *err);
    enum kt_rc (*attr_get)(struct store_conn *c, const char *name, struct arena *a,
                           struct attr_def *out, struct kt_err *err);
    enum kt_rc (*attr_list)(struct store_conn *c, struct arena *a, struct attr_def **out, size_t *n,
                            struct kt_err *err);
    enum kt_rc (*attr_in_use)(struct store_conn *c, const char *name, bool *used,
                              struct kt_err *err);

    enum kt_rc (*key_insert)(struct store_conn *c, const struct api_key *k, struct kt_err *err);
    enum kt_rc (*key_get)(struct store_conn *c, const char *id, struct arena *a,
                          struct api_key *out, struct kt_err *err);
    enum kt_rc (*key_list)(struct store_conn *c, struct arena *a, struct api_key **out, size_t *n,
                           struct kt_err *err);
    enum kt_rc (*key_revoke)(struct store_conn *c, const char *id, int64_t at, struct kt_err *err);
    enum kt_rc (*key_count_active)(struct store_conn *c, int64_t *n, struct kt_err *err);

    enum kt_rc (*idem_get)(struct store_conn *c, const char *key_id, const char *idem_key,
                           struct arena *a, struct idem_record *out, struct kt_err *err);
    enum kt_rc (*idem_put)(struct store_conn *c, const struct idem_record *r, struct kt_err *err);
    enum kt_rc (*idem_expire)(struct store_conn *c, int64_t before, struct kt_err *err);

    enum kt_rc (*quality)(struct store_conn *c, int64_t now, int64_t since_day, struct arena *a,
                          struct quality_data *out, struct kt_err *err);
    enum kt_rc (*intake_add)(struct store_conn *c, const struct intake_row *r, struct kt_err *err);
    enum kt_rc (*import_insert)(struct store_conn *c, const struct import_job *j,
                                struct kt_err *err);
    enum kt_rc (*import_update)(struct store_conn *c, const struct import_job *j,
                                struct kt_err *err);
    enum kt_rc (*import_get)(struct store_conn *c, const char *id, struct arena *a,
                             struct import_job *out, struct kt_err *err);
    enum kt_rc (*import_next)(struct store_conn *c, struct arena *a, struct import_job *out,
                              struct kt_err *err);
    enum kt_rc (*import_list)(struct store_conn *c, int limit, struct arena *a,
                              struct import_job **out, size_t *n, struct kt_err *err);
    enum kt_rc (*doc_put)(struct store_conn *c, const struct consent_doc *d, struct kt_err *err);
    enum kt_rc (*doc_get)(struct store_conn *c, const char *key, int64_t version, struct arena *a,
                          struct consent_doc *out, struct kt_err *err);
    enum kt_rc (*doc_list)(struct store_conn *c, struct arena *a, struct consent_doc **out,
                           size_t *n, struct kt_err *err);
    enum kt_rc (*consent_add)(struct store_conn *c, const struct consent_event *e,
                              struct kt_err *err);
    enum kt_rc (*consent_list)(struct store_conn *c, int64_t ck, struct arena *a,
                               struct consent_event **out, size_t *n, struct kt_err *err);
    enum kt_rc (*topic_put)(struct store_conn *c, const struct topic *t, struct kt_err *err);
    enum kt_rc (*topic_list)(struct store_conn *c, struct arena *a, struct topic **out, size_t *n,
                             struct kt_err *err);
    enum kt_rc (*sub_add)(struct store_conn *c, const struct sub_event *e, struct kt_err *err);
    enum kt_rc (*sub_list)(struct store_conn *c, int64_t ck, struct arena *a,
                           struct sub_event **out, size_t *n, struct kt_err *err);
    enum kt_rc (*suppress_add)(struct store_conn *c, const unsigned char hash[32], const char *kind,
                               const char *act_id, int64_t at, struct kt_err *err);
    enum kt_rc (*suppress_hit)(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                               int64_t at, size_t *first, struct kt_err *err);
    enum kt_rc (*suppress_remove)(struct store_conn *c, const unsigned char hash[32],
                                  struct kt_err *err);
    enum kt_rc (*preq_insert)(struct store_conn *c, const struct privacy_request *p,
                              struct kt_err *err);
    enum kt_rc (*preq_get)(struct store_conn *c, const char *id, struct arena *a,
                           struct privacy_request *out, struct kt_err *err);
    enum kt_rc (*preq_close)(struct store_conn *c, const char *id, const char *state,
                             const char *outcome, int64_t at, struct kt_err *err);
    enum kt_rc (*preq_list)(struct store_conn *c, bool overdue, const char *today,
                            const char *after_id, int limit, struct arena *a,
                            struct privacy_request **out, size_t *n, struct kt_err *err);
    enum kt_rc (*act_insert)(struct store_conn *c, const struct destruction_act *x,
                             struct kt_err *err);
    enum kt_rc (*act_get)(struct store_conn *c, const char *id, struct arena *a,
                          struct destruction_act *out, struct kt_err *err);
    enum kt_rc (*act_list)(struct store_conn *c, const char *after_id, int limit, struct arena *a,
                           struct destruction_act **out, size_t *n, struct kt_err *err);
    enum kt_rc (*due_add)(struct store_conn *c, const struct due_item *d, struct kt_err *err);
    enum kt_rc (*due_next)(struct store_conn *c, int64_t now, struct arena *a, struct due_item *out,
                           struct kt_err *err);
    enum kt_rc (*due_finish)(struct store_conn *c, int64_t seq, int64_t at, struct kt_err *err);
    enum kt_rc (*due_cancel)(struct store_conn *c, int64_t ck, const char *kind, int64_t at,
                             struct kt_err *err);
    enum kt_rc (*due_pending)(struct store_conn *c, int64_t ck, const char *kind, int64_t *due_at,
                              struct kt_err *err);
    enum kt_rc (*audit_add)(struct store_conn *c, const struct audit_entry *e, size_t n,
                            struct kt_err *err);
    enum kt_rc (*audit_list)(struct store_conn *c, const struct audit_filter *f, struct arena *a,
                             struct audit_entry **out, size_t *n, struct kt_err *err);
    enum kt_rc (*customer_erase)(struct store_conn *c, int64_t ck, int64_t at, struct kt_err *err);
    enum kt_rc (*customer_inactive)(struct store_conn *c, int64_t before, int limit,
                                    struct arena *a, int64_t **cks, size_t *n, struct kt_err *err);
    enum kt_rc (*wipe_wal)(struct store *s, struct kt_err *err);
    enum kt_rc (*program_put)(struct store_conn *c, const char *rules, int64_t at,
                              const char *key_id, int64_t *version, struct kt_err *err);
    enum kt_rc (*ledger_add)(struct store_conn *c, const struct ledger_entry *e,
                             struct kt_err *err);
    enum kt_rc (*ledger_list)(struct store_conn *c, int64_t ck, struct arena *a,
                              struct ledger_entry **out, size_t *n, struct kt_err *err);
    enum kt_rc (*purchase_find)(struct store_conn *c, const char *store_id, const char *receipt,
                                struct arena *a, struct purchase *out, struct kt_err *err);
    enum kt_rc (*purchase_insert)(struct store_conn *c, const struct purchase *p,
                                  const struct purchase_line *lines, size_t n, struct kt_err *err);
    enum kt_rc (*purchase_get)(struct store_conn *c, const char *id, struct arena *a,
                               struct purchase *out, struct purchase_line **lines, size_t *n,
                               struct kt_err *err);
    enum kt_rc (*purchase_list)(struct store_conn *c, int64_t ck, int64_t before, int limit,
                                struct arena *a, struct purchase **out, size_t *n,
                                struct kt_err *err);
    enum kt_rc (*refund_find)(struct store_conn *c, const char *purchase_id, const char *number,
                              struct arena *a, struct refund *out, struct kt_err *err);
    enum kt_rc (*refund_insert)(struct store_conn *c, const struct refund *rf,
                                const struct refund_line *lines, size_t n, struct kt_err *err);
    enum kt_rc (*ledger_expiring)(struct store_conn *c, int64_t since, int64_t until,
                                  int64_t after_ck, int limit, struct arena *a, int64_t **cks,
                                  size_t *n, struct kt_err *err);
    enum kt_rc (*referral_add)(struct store_conn *c, int64_t friend_ck, int64_t referrer_ck,
                               int64_t at, struct kt_err *err);
    enum kt_rc (*referral_get)(struct store_conn *c, int64_t friend_ck, int64_t *referrer_ck,
                               int64_t *rewarded_at, struct kt_err *err);
    enum kt_rc (*referral_rewarded)(struct store_conn *c, int64_t friend_ck, int64_t at,
                                    const char *purchase_id, struct kt_err *err);
    enum kt_rc (*member_birthdays)(struct store_conn *c, int64_t after_ck, int limit,
                                   struct arena *a, int64_t **cks, const char ***dates, size_t *n,
                                   struct kt_err *err);
    enum kt_rc (*event_add)(struct store_conn *c, const struct event *e, bool *duplicate,
                            struct kt_err *err);
    enum kt_rc (*events_adopt)(struct store_conn *c, const char *kind, const char *value,
                               int64_t ck, int64_t *n, struct kt_err *err);
    enum kt_rc (*events_list)(struct store_conn *c, int64_t ck, int64_t before_seq, int limit,
                              struct arena *a, struct event **out, size_t *n, struct kt_err *err);
    enum kt_rc (*event_counts)(struct store_conn *c, int64_t since, int64_t until, struct arena *a,
                               const char ***types, int64_t **counts, size_t *n,
                               struct kt_err *err);
    enum kt_rc (*event_ids_purge)(struct store_conn *c, int64_t before, int64_t *n,
                                  struct kt_err *err);
    enum kt_rc (*event_type_put)(struct store_conn *c, const struct event_type *t,
                                 struct kt_err *err);
    enum kt_rc (*event_type_list)(struct store_conn *c, struct arena *a, struct event_type **out,
                                  size_t *n, struct kt_err *err);
    enum kt_rc (*segment_preview)(struct store_conn *c, const struct seg_node *q, int64_t now,
                                  int sample, struct arena *a, int64_t *count, const char ***ids,
                                  size_t *n_ids, struct kt_err *err);
    enum kt_rc (*rfm_rows)(struct store_conn *c, int64_t now, struct arena *a, struct rfm_row **out,
                           size_t *n, struct kt_err *err);
    enum kt_rc (*trait_put)(struct store_conn *c, int64_t ck, const struct trait *t,
                            struct kt_err *err);
    enum kt_rc (*traits_list)(struct store_conn *c, int64_t ck, struct arena *a, struct trait **out,
                              size_t *n, struct kt_err *err);
    enum kt_rc (*segment_put)(struct store_conn *c, const struct segment *sg, struct kt_err *err);
    enum kt_rc (*segment_get)(struct store_conn *c, const char *id_or_name, struct arena *a,
                              struct segment *out, struct kt_err *err);
    enum kt_rc (*segment_list)(struct store_conn *c, struct arena *a, struct segment **out,
                               size_t *n, struct kt_err *err);
    enum kt_rc (*segment_delete)(struct store_conn *c, const char *id, struct kt_err *err);
    enum kt_rc (*segment_eval)(struct store_conn *c, const struct seg_node *q, int64_t now,
                               struct arena *a, int64_t **cks, size_t *n, struct kt_err *err);
    enum kt_rc (*segment_member_cks)(struct store_conn *c, const char *id, struct arena *a,
                                     int64_t **cks, size_t *n, struct kt_err *err);
    enum kt_rc (*segment_enter)(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                                int64_t at, int64_t *changed, struct kt_err *err);
    enum kt_rc (*segment_leave)(struct store_conn *c, const char *id, const int64_t *cks, size_t n,
                                int64_t at, int64_t *changed, struct kt_err *err);
    enum kt_rc (*segment_refreshed)(struct store_conn *c, const char *id, int64_t at, int64_t *size,
                                    struct kt_err *err);
    enum kt_rc (*segment_members)(struct store_conn *c, const char *id, int64_t after_ck, int limit,
                                  struct arena *a, struct segment_member **out, size_t *n,
                                  struct kt_err *err);
    enum kt_rc (*cluster_channels)(struct store_conn *c, int64_t since, struct arena *a,
                                   struct feature_row **out, size_t *n, struct kt_err *err);
    enum kt_rc (*cluster_categories)(struct store_conn *c, struct arena *a,
                                     struct feature_row **out, size_t *n, struct kt_err *err);
    enum kt_rc (*trait_def_put)(struct store_conn *c, const char *name, const char *expression,
                                int64_t now, struct kt_err *err);
    enum kt_rc (*trait_def_list)(struct store_conn *c, struct arena *a, const char ***names,
                                 const char ***expressions, size_t *n, struct kt_err *err);
    enum kt_rc (*trait_rows)(struct store_conn *c, const char *name, struct arena *a,
                             struct trait_row **out, size_t *n, struct kt_err *err);
    enum kt_rc (*trait_builtin_eval)(struct store_conn *c, const char *name, struct arena *a,
                                     struct trait_row **out, size_t *n, struct kt_err *err);
    enum kt_rc (*trait_delete)(struct store_conn *c, int64_t ck, const char *name,
                               struct kt_err *err);
    enum kt_rc (*otp_get)(struct store_conn *c, const char *id, struct arena *a,
                          struct otp_code *out, struct kt_err *err);
    enum kt_rc (*loyalty_report)(struct store_conn *c, int64_t since, int64_t until,
                                 struct loyalty_report *out, struct kt_err *err);
    enum kt_rc (*card_insert)(struct store_conn *c, const struct card *cd, struct kt_err *err);
    enum kt_rc (*card_get)(struct store_conn *c, const char *number, struct arena *a,
                           struct card *out, struct kt_err *err);
    enum kt_rc (*card_list)(struct store_conn *c, int64_t ck, struct arena *a, struct card **out,
                            size_t *n, struct kt_err *err);
    enum kt_rc (*card_update)(struct store_conn *c, const struct card *cd, struct kt_err *err);
    enum kt_rc (*card_number_held)(struct store_conn *c, const char *number,
                                   const unsigned char suppress_hash[32], bool *held,
                                   struct kt_err *err);
    enum kt_rc (*enrol_count)(struct store_conn *c, const char *key_id, const char *store,
                              int64_t since, int64_t *n, int64_t *oldest, struct kt_err *err);
    enum kt_rc (*enrol_add)(struct store_conn *c, const char *key_id, const char *store, int64_t at,
                            int64_t purge_before, struct kt_err *err);
    enum kt_rc (*otp_insert)(struct store_conn *c, const struct otp_code *o, struct kt_err *err);
    enum kt_rc (*otp_latest)(struct store_conn *c, const unsigned char tag[32], struct arena *a,
                             struct otp_code *out, struct kt_err *err);
    enum kt_rc (*otp_update)(struct store_conn *c, const struct otp_code *o, struct kt_err *err);
    enum kt_rc (*otp_count)(struct store_conn *c, const unsigned char *tag, const char *key_id,
                            int64_t since, int64_t *n, struct kt_err *err);
    enum kt_rc (*sms_enqueue)(struct store_conn *c, const struct sms_msg *m, struct kt_err *err);
    enum kt_rc (*sms_due)(struct store_conn *c, int64_t now, int limit, struct arena *a,
                          struct sms_msg **out, size_t *n, struct kt_err *err);
    enum kt_rc (*sms_done)(struct store_conn *c, int64_t id, const char *state, int64_t attempts,
                           int64_t next_at, const char *error, int64_t at, struct kt_err *err);
    enum kt_rc (*program_get)(struct store_conn *c, struct arena *a, const char **rules,
                              int64_t *version, int64_t *at, int64_t *first_at, struct kt_err *err);
    enum kt_rc (*reads_add)(struct store *s, const struct audit_entry *e, size_t n,
                            struct kt_err *err);
    enum kt_rc (*reads_list)(struct store *s, const struct audit_filter *f, struct arena *a,
                             struct audit_entry **out, size_t *n, struct kt_err *err);
    enum kt_rc (*reject_add)(struct store_conn *c, const struct import_reject *r,
                             struct kt_err *err);
    enum kt_rc (*reject_clear)(struct store_conn *c, const char *import_id, struct kt_err *err);
    enum kt_rc (*reject_file)(struct store_conn *c, const char *import_id, struct buf *out,
                              int64_t *rows, struct kt_err *err);
    enum kt_rc (*reject_forget)(struct store_conn *c, const unsigned char (*hashes)[32], size_t n,
                                int64_t *removed, struct kt_err *err);
    enum kt_rc (*reject_expire)(struct store_conn *c, int64_t before, int limit, int64_t *removed,
                                struct kt_err *err);
};

extern const struct store_ops store_sqlite_ops;

#endif
