/*
 * apart.c - the operations on what a backend keeps apart from its database: the key store and
 * the log of reads (sql_hooks). Each passes to the backend's own.
 */
#include "store/sql/sql_int.h"

static const struct sql_hooks *hooks(struct store *s)
{
    return ((struct sql_store *)s)->hooks;
}

enum kt_rc sql_keys_shred(struct store *s, int64_t *shredded, struct kt_err *err)
{
    return hooks(s)->keys_shred(s, shredded, err);
}

enum kt_rc sql_keys_rotate(struct store *s, int limit, int64_t *rewrapped, int64_t *left,
                           struct kt_err *err)
{
    return hooks(s)->keys_rotate(s, limit, rewrapped, left, err);
}

enum kt_rc sql_reads_add(struct store *s, struct audit_entry *e, size_t n, store_audit_seal_fn seal,
                         void *ctx, struct kt_err *err)
{
    return hooks(s)->reads_add(s, e, n, seal, ctx, err);
}

enum kt_rc sql_reads_chain(struct store *s, struct audit_chain *out, struct kt_err *err)
{
    return hooks(s)->reads_chain(s, out, err);
}

enum kt_rc sql_reads_list(struct store *s, const struct audit_filter *f, struct arena *a,
                          struct audit_entry **out, size_t *n, struct kt_err *err)
{
    return hooks(s)->reads_list(s, f, a, out, n, err);
}

enum kt_rc sql_reads_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                              int64_t *bulk, struct kt_err *err)
{
    return hooks(s)->reads_subjects(s, f, subjects, bulk, err);
}
