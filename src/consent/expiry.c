/*
 * expiry.c - raw data removed after its term, each run in the audit log (docs/privacy.md,
 * "Retention of raw data"). The modules that keep raw data (events/, deliver/, import/) give
 * their batch operation of the store; this loop is written once for them.
 *
 * Why the entry is written with the last batch, not one per batch nor one after the run: a run
 * in its steady state removes a few batches an hour, and one entry each would fill the log with
 * entries that say nothing more; an entry in a transaction of its own after the run could be
 * lost by a crash between the two. Committed with the last batch, the entry exists only when
 * every row older than its cutoff is gone. A run cut short by a crash leaves no entry; the next
 * run's entry then states the cutoff for its own rows and the earlier ones alike, though its
 * count is only its own.
 */
#include "base/clock.h"
#include "base/log.h"
#include "consent/consent.h"

enum kt_rc audit_expiry_run(struct store *s, const char *what, int64_t before, int batch,
                            audit_expire_fn fn, int64_t *removed, struct kt_err *err)
{
    *removed = 0;
    for (int64_t n = batch; n == batch;) {
        struct store_conn *w;
        enum kt_rc rc = store_write_begin(s, &w, err);
        if (rc != KT_OK) {
            return rc;
        }
        n = 0;
        rc = fn(w, before, batch, &n, err);
        if (rc == KT_OK && n<batch && * removed + n> 0) {
            char cutoff[40], detail[128];
            time_format_rfc3339(before, cutoff, sizeof(cutoff));
            kt_snprintf(detail, sizeof(detail), "%s before %s rows=%lld", what, cutoff,
                        (long long)(*removed + n));
            rc = audit_write(w, NULL, "expire", NULL, NULL, detail, NULL, clock_now_ms(), err);
        }
        rc = store_write_end(w, rc, err);
        if (rc != KT_OK) {
            return rc;
        }
        *removed += n;
    }
    if (*removed == 0) {
        return KT_OK;
    }
    /* The WAL may still hold page images of the rows from the day they were written: cut it, as
     * after an erasure. Said, not failed: the rows are gone from the database. */
    log_info("expired", "what=%s rows=%lld", what, (long long)*removed);
    struct kt_err e2;
    kt_err_reset(&e2);
    if (store_wipe_wal(s, &e2) != KT_OK) {
        log_warn("wal_not_wiped", "code=%s detail=\"%s\"", e2.code, e2.detail);
    }
    return KT_OK;
}
