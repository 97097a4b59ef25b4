/*
 * sms_fold.c - the C half of migration 0025 (0025_sms_outbox.sql): the SMS outbox of the one-time
 * codes (sms_outbox, 0006) folds into the outbox of issue 12. Its queued messages become outbox
 * rows (channel sms, transactional, topic "otp", the codes' priority, expiring five minutes
 * after they were queued as their code does), and the table is dropped.
 *
 * Why in C: a sealed value is bound to its column (crypt.h: the column's name is in the
 * associated data), so sms_outbox.phone cannot become outbox.recipient by SQL; each is opened
 * under the customer's key and sealed again under the same key for its new column. That needs
 * the key store, attached after the SQL migrations ran (sqlite.c, ready()), so the fold runs
 * there, after the sealing pass of 0013 (which may still have to name an older message's
 * customer). One transaction: the queue holds minutes of codes, not a campaign.
 *
 * What does not move: sent and dead messages (their text was blanked; the phone would be kept
 * for nothing), and a queued one whose customer is unknown (a database older than 0013 whose
 * phone matched nobody) or erased (its key is gone): they go with the table, counted in the log.
 * A moved message gets a random id: no origin will be queued again for it.
 */
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

#define CODE_TTL_MS (5 * 60 * 1000) /* a code's life (OTP_TTL_MS, loyalty/cards.h) */

bool sq_table_exists(struct sq_conn *c, const char *name)
{
    struct sql_stmt *st = NULL;
    bool yes = false;
    if (sql_prepare(&c->base,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                    &st) == SQL_OK) {
        sql_bind_textn(st, 1, name, -1, SQL_STATIC);
        yes = sql_step(st) == SQL_ROW && sql_col_i64(st, 0) > 0;
    }
    sql_finalize(st);
    return yes;
}

/* One queued message of the old table into the outbox; *moved false when its key is gone. */
static enum kt_rc move_one(struct sq_conn *w, struct sql_stmt *st, int64_t now, bool *moved,
                           struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 512);
    int64_t at = sql_col_i64(st, 3);
    struct outbox_msg m = outbox_code_msg(NULL, sql_col_i64(st, 0), sql_col_text(st, 1, &a),
                                          sql_col_text(st, 2, &a), at, at + CODE_TTL_MS);
    m.next_at = sql_col_i64(st, 4); /* a retry's time, kept */
    m.updated_at = now;
    struct sql_key k;
    sql_key_init(&k, &w->base, m.ck, false);
    enum kt_rc rc = sql_unseal(&k, "sms_outbox.phone", &m.recipient, &a, err);
    rc = rc == KT_OK ? sql_unseal(&k, "sms_outbox.text", &m.content, &a, err) : rc;
    sql_key_release(&k);
    *moved = false;
    if (rc == KT_EGONE || (rc == KT_OK && (m.recipient == NULL || m.content == NULL))) {
        arena_release(&a);
        return KT_OK; /* erased: nothing left to send */
    }
    unsigned char raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    m.id = arena_printf(&a, "m_%s", hex);
    json_t *doc = json_pack("{s:s}", "text", m.content);
    char *text = json_dumps(doc, JSON_COMPACT);
    m.content = text;
    bool created = false;
    rc = rc == KT_OK ? sql_outbox_add(&w->base.base, &m, &created, err) : rc;
    *moved = rc == KT_OK && created;
    free(text);
    json_decref(doc);
    arena_release(&a);
    return rc;
}

enum kt_rc sq_sms_fold(struct sq_store *s, bool run, struct kt_err *err)
{
    struct sq_conn *w = s->writer;
    if (!sq_table_exists(w, "sms_outbox")) {
        return KT_OK;
    }
    if (!run) {
        return kt_err_set(err, KT_ESTORE, "schema_behind", NULL,
                          "the SMS outbox is still to be folded into the outbox (migration "
                          "0025); run 'kartoteka migrate'");
    }
    int64_t now = clock_now_ms(), moved = 0, left = 0;
    struct sql_stmt *st = NULL;
    pthread_mutex_lock(&s->write_mu);
    enum kt_rc rc = sq_exec(w, "BEGIN IMMEDIATE", err);
    if (rc == KT_OK &&
        sql_prepare(&w->base,
                    "SELECT ck, phone, text, created_at, next_at FROM sms_outbox WHERE "
                    "state = 'queued' AND ck IN (SELECT ck FROM customers) ORDER BY id",
                    &st) != SQL_OK) {
        rc = sq_fail_raw(w, SQLITE_ERROR, "sms fold", err);
    }
    while (rc == KT_OK && sql_step(st) == SQL_ROW) {
        bool one = false;
        rc = move_one(w, st, now, &one, err);
        moved += one;
        left += !one;
    }
    sql_finalize(st);
    if (rc == KT_OK) {
        st = NULL;
        if (sql_prepare(&w->base, "SELECT count(*) FROM sms_outbox WHERE state = 'queued'", &st) ==
                SQL_OK &&
            sql_step(st) == SQL_ROW) {
            left = sql_col_i64(st, 0) - moved;
        }
        sql_finalize(st);
        rc = sq_exec(w, "DROP TABLE sms_outbox", err);
    }
    rc = rc == KT_OK ? sq_exec(w, "COMMIT", err) : rc;
    if (rc != KT_OK) {
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->write_mu);
    if (rc == KT_OK) {
        log_info("sms_outbox_folded", "moved=%lld not_moved=%lld", (long long)moved,
                 (long long)left);
    }
    return rc;
}
