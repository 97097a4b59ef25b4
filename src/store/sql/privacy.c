/*
 * privacy.c - the SQL side of consent/: documents, consent and subscription events, the
 * suppression list, privacy requests, acts of destruction, scheduled work and the erasure of a
 * customer. Tables in 0003_privacy.sql. The audit log is in audit.c, the log of reads, a file of
 * its own, in reads.c; the acts of destruction
 * are in acts.c.
 *
 * Statements are cached per connection in their slots of enum sql_slot (sql_int.h). Every value
 * is bound; no SQL text is ever built from input.
 *
 * Sealed (seal.c): consent evidence (IP, user agent) under the customer's key, resealed when a
 * merge moves it; a privacy request's note and the reasoned notice of its extension under the
 * installation's key (ck 0: the register outlives the person, and the note may name them). The
 * erasure queues the customer's data key, and the keys of those merged into it, for destruction
 * once it commits (key_shreds).
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define DOC_COLS "key, version, purpose, title, body, sha256, term_days, reconsent, published_at"
#define CONSENT_COLS                                                                               \
    "seq, ck, purpose, channel, action, at, recorded_at, expires_at, doc_key, doc_version, "       \
    "doc_sha256, source, store_id, operator_id, form_id, otp_id, paper_form, legal_basis, ip, "    \
    "user_agent, key_id, request_id, message_id"
#define PREQ_COLS                                                                                  \
    "id, kind, customer_id, received_on, deadline, provisional, extended, channel, note, state, "  \
    "outcome, created_at, closed_at, key_id, destroy_deadline, extension_reason, extended_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_DOC_PUT] = "INSERT INTO consent_documents (" DOC_COLS ") "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQL_DOC_GET] = "SELECT " DOC_COLS " FROM consent_documents WHERE key = ?1 AND version = ?2",
    [SQL_DOC_LATEST] = "SELECT " DOC_COLS " FROM consent_documents WHERE key = ?1 "
                       "ORDER BY version DESC LIMIT 1",
    [SQL_DOC_LIST] = "SELECT " DOC_COLS " FROM consent_documents ORDER BY key, version",
    [SQL_CONSENT_ADD] =
        "INSERT INTO consent_events (ck, purpose, channel, action, at, recorded_at, expires_at, "
        "doc_key, doc_version, doc_sha256, source, store_id, operator_id, form_id, otp_id, "
        "paper_form, legal_basis, ip, user_agent, key_id, request_id, message_id) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
        "?22)",
    [SQL_CONSENT_LIST] = "SELECT " CONSENT_COLS " FROM consent_events WHERE ck = ?1 ORDER BY seq",
    [SQL_CONSENT_MOVE] = "UPDATE consent_events SET ck = ?2 WHERE ck = ?1",
    [SQL_CONSENT_EVIDENCE] = "SELECT seq, ip, user_agent FROM consent_events WHERE ck = ?1 "
                             "AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
    [SQL_CONSENT_EVIDENCE_MERGE] =
        "SELECT seq, ip, user_agent FROM consent_events WHERE ck = ?1 AND (ip IS NOT NULL OR "
        "user_agent IS NOT NULL) AND seq IN (SELECT n FROM merge_rows WHERE merge_id = ?2 AND "
        "tbl = 'consent_events')",
    [SQL_CONSENT_RESEAL] = "UPDATE consent_events SET ip = ?2, user_agent = ?3 WHERE seq = ?1",
    [SQL_TOPIC_PUT] = "INSERT INTO topics (key, title, description, channels, created_at, "
                      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (key) DO UPDATE SET "
                      "title = excluded.title, description = excluded.description, "
                      "channels = excluded.channels, updated_at = excluded.updated_at",
    [SQL_TOPIC_LIST] = "SELECT key, title, description, channels, created_at, updated_at "
                       "FROM topics ORDER BY key",
    [SQL_SUB_ADD] = "INSERT INTO subscription_events (ck, topic, channel, subscribed, at, via, "
                    "source, key_id, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQL_SUB_LIST] = "SELECT seq, ck, topic, channel, subscribed, at, via, source, key_id, "
                     "request_id FROM subscription_events WHERE ck = ?1 ORDER BY seq",
    [SQL_SUB_MOVE] = "UPDATE subscription_events SET ck = ?2 WHERE ck = ?1",
    [SQL_SUPP_ADD] = "INSERT INTO suppression (hash, kind, act_id, created_at) "
                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash) DO NOTHING",
    [SQL_SUPP_HIT] = "UPDATE suppression SET hits = hits + 1, last_hit = ?2 WHERE hash = ?1",
    [SQL_SUPP_REMOVE] = "DELETE FROM suppression WHERE hash = ?1",
    [SQL_PREQ_INSERT] = "INSERT INTO privacy_requests (" PREQ_COLS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                        "?15, ?16, ?17)",
    [SQL_PREQ_GET] = "SELECT " PREQ_COLS " FROM privacy_requests WHERE id = ?1",
    [SQL_PREQ_CLOSE] = "UPDATE privacy_requests SET state = ?2, outcome = ?3, closed_at = ?4 "
                       "WHERE id = ?1 AND state = 'open'",
    [SQL_PREQ_EXTEND] =
        "UPDATE privacy_requests SET deadline = ?2, provisional = ?3, extended = 1, "
        "extension_reason = ?4, extended_at = ?5 WHERE id = ?1 AND state = 'open'",
    [SQL_PREQ_LIST] = "SELECT " PREQ_COLS " FROM privacy_requests WHERE id > ?1 "
                      "ORDER BY id LIMIT ?2",
    [SQL_PREQ_OVERDUE] = "SELECT " PREQ_COLS " FROM privacy_requests WHERE state = 'open' "
                         "AND deadline < ?3 AND id > ?1 ORDER BY id LIMIT ?2",
    [SQL_PREQ_OPEN_OF] = "SELECT " PREQ_COLS " FROM privacy_requests WHERE state = 'open' "
                         "AND customer_id = ?1 AND kind = ?2 ORDER BY created_at DESC, id DESC "
                         "LIMIT 1",
    [SQL_DUE_ADD] = "INSERT INTO due_work (kind, ck, due_at, reason, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQL_DUE_NEXT] = "SELECT seq, kind, ck, due_at, reason, created_at FROM due_work "
                     "WHERE done_at IS NULL AND cancelled = 0 AND due_at <= ?1 "
                     "ORDER BY due_at, seq LIMIT 1",
    [SQL_DUE_FINISH] = "UPDATE due_work SET done_at = ?2 WHERE seq = ?1",
    [SQL_DUE_CANCEL] = "UPDATE due_work SET cancelled = 1, done_at = ?3 "
                       "WHERE ck = ?1 AND kind = ?2 AND done_at IS NULL AND cancelled = 0",
    [SQL_DUE_PENDING] = "SELECT min(due_at) FROM due_work WHERE ck = ?1 AND kind = ?2 "
                        "AND done_at IS NULL AND cancelled = 0",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

static enum kt_rc run(struct store_conn *base, struct sql_stmt *st, int *changes,
                      struct kt_err *err)
{
    return sql_run((struct sql_conn *)base, st, changes, err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

/* ---- documents --------------------------------------------------------------------------- */

static void read_doc(struct sql_stmt *st, struct arena *a, void *out)
{
    struct consent_doc *d = out;
    *d = (struct consent_doc){TEXT(0), I64(1), TEXT(2),     TEXT(3), TEXT(4),
                              TEXT(5), I64(6), I64(7) != 0, I64(8)};
}

enum kt_rc sql_doc_put(struct store_conn *base, const struct consent_doc *d, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DOC_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, d->key);
    sql_bind_i64(st, 2, d->version);
    sql_bind_text(st, 3, d->purpose);
    sql_bind_text(st, 4, d->title);
    sql_bind_text(st, 5, d->body);
    sql_bind_text(st, 6, d->sha256);
    sql_bind_i64_or_null(st, 7, d->term_days);
    sql_bind_i64(st, 8, d->reconsent);
    sql_bind_i64(st, 9, d->published_at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_doc_get(struct store_conn *base, const char *key, int64_t version, struct arena *a,
                       struct consent_doc *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, version > 0 ? SQL_DOC_GET : SQL_DOC_LATEST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, key);
    if (version > 0) {
        sql_bind_i64(st, 2, version);
    }
    return sql_one((struct sql_conn *)base, st, read_doc, a, out, found, "document_not_found",
                   "document not found", err);
}

enum kt_rc sql_doc_list(struct store_conn *base, struct arena *a, struct consent_doc **out,
                        size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DOC_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sql_rows((struct sql_conn *)base, st, read_doc, sizeof(**out), a, out, n,
                                 "documents", err);
}

/* ---- consent events ---------------------------------------------------------------------- */

static void read_consent(struct sql_stmt *st, struct arena *a, void *out)
{
    struct consent_event *e = out;
    *e = (struct consent_event){
        .seq = I64(0),
        .ck = I64(1),
        .purpose = TEXT(2),
        .channel = TEXT(3),
        .action = TEXT(4),
        .at = I64(5),
        .recorded_at = I64(6),
        .expires_at = I64(7),
        .doc_key = TEXT(8),
        .doc_version = I64(9),
        .doc_sha256 = TEXT(10),
        .source = TEXT(11),
        .store_id = TEXT(12),
        .operator_id = TEXT(13),
        .form_id = TEXT(14),
        .otp_id = TEXT(15),
        .paper_form = TEXT(16),
        .legal_basis = TEXT(17),
        .ip = TEXT(18),
        .user_agent = TEXT(19),
        .key_id = TEXT(20),
        .request_id = TEXT(21),
        .message_id = TEXT(22),
    };
}

enum kt_rc sql_consent_add(struct store_conn *base, const struct consent_event *e,
                           struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CONSENT_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, e->ck);
    sql_bind_text(st, 2, e->purpose);
    sql_bind_text(st, 3, e->channel ? e->channel : "");
    sql_bind_text(st, 4, e->action);
    sql_bind_i64(st, 5, e->at);
    sql_bind_i64(st, 6, e->recorded_at);
    sql_bind_i64_or_null(st, 7, e->expires_at);
    sql_bind_text(st, 8, e->doc_key);
    sql_bind_i64_or_null(st, 9, e->doc_version);
    sql_bind_text(st, 10, e->doc_sha256);
    sql_bind_text(st, 11, e->source);
    const char *texts[] = {e->store_id,   e->operator_id, e->form_id,   e->otp_id,
                           e->paper_form, e->legal_basis, e->ip,        e->user_agent,
                           e->key_id,     e->request_id,  e->message_id};
    for (int i = 0; i < 11; i++) {
        sql_bind_text(st, 12 + i, texts[i]);
    }
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, e->ck, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, 18, "consent_events.ip", e->ip, err);
    rc = rc == KT_OK ? sql_bind_sealed(&k, st, 19, "consent_events.user_agent", e->user_agent, err)
                     : rc;
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    return run(base, st, NULL, err);
}

enum kt_rc sql_consent_list(struct store_conn *base, int64_t ck, struct arena *a,
                            struct consent_event **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_CONSENT_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    enum kt_rc rc = sql_rows((struct sql_conn *)base, st, read_consent, sizeof(**out), a, out, n,
                             "consent events", err);
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, ck, false);
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        rc = sql_unseal(&k, "consent_events.ip", &(*out)[i].ip, a, err);
        rc = rc == KT_OK
                 ? sql_unseal(&k, "consent_events.user_agent", &(*out)[i].user_agent, a, err)
                 : rc;
    }
    sql_key_release(&k);
    return rc;
}

/* One consent event's evidence, kept sealed (seq, ip, user agent). */
struct evidence {
    int64_t seq;
    const char *ip, *ua;
};

static void read_evidence(struct sql_stmt *st, struct arena *a, void *out)
{
    *(struct evidence *)out = (struct evidence){I64(0), TEXT(1), TEXT(2)};
}

/* A merge: the evidence of `from`'s consent events, sealed under its key, sealed again under the
 * key of `into` (the trigger lets evidence be destroyed or sealed, never written in clear). With
 * `merge` (a journal's id) only the events that merge moved. */
static enum kt_rc reseal_evidence(struct store_conn *base, int64_t from, int64_t into,
                                  int64_t merge, struct kt_err *err)
{
    struct sql_conn *c = (struct sql_conn *)base;
    struct sql_stmt *of = get(base, merge ? SQL_CONSENT_EVIDENCE_MERGE : SQL_CONSENT_EVIDENCE, err);
    struct sql_stmt *up = of ? get(base, SQL_CONSENT_RESEAL, err) : NULL;
    if (up == NULL) {
        return KT_ESTORE;
    }
    struct arena a;
    arena_init(&a, 0);
    struct evidence *ev = NULL;
    size_t n = 0;
    sql_bind_i64(of, 1, from);
    if (merge != 0) {
        sql_bind_i64(of, 2, merge);
    }
    enum kt_rc rc = sql_rows(c, of, read_evidence, sizeof(*ev), &a, &ev, &n, "evidence", err);
    struct sql_key kf, ki;
    sql_key_init(&kf, c, from, false);
    sql_key_init(&ki, c, into, true);
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = sql_unseal(&kf, "consent_events.ip", &ev[i].ip, &a, err);
        rc = rc == KT_OK ? sql_unseal(&kf, "consent_events.user_agent", &ev[i].ua, &a, err) : rc;
        sql_bind_i64(up, 1, ev[i].seq);
        rc = rc == KT_OK ? sql_bind_sealed(&ki, up, 2, "consent_events.ip", ev[i].ip, err) : rc;
        rc = rc == KT_OK ? sql_bind_sealed(&ki, up, 3, "consent_events.user_agent", ev[i].ua, err)
                         : rc;
        rc = rc == KT_OK ? run(base, up, NULL, err) : (sql_done(up), rc);
    }
    sql_key_release(&kf);
    sql_key_release(&ki);
    arena_release(&a);
    return rc;
}

enum kt_rc sql_evidence_reseal_back(struct sql_conn *c, int64_t merge, int64_t into, int64_t from,
                                    struct kt_err *err)
{
    return reseal_evidence(&c->base, into, from, merge, err);
}

static enum kt_rc move(struct store_conn *base, enum sql_slot slot, int64_t from, int64_t into,
                       struct kt_err *err)
{
    struct sql_stmt *st = get(base, slot, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, from);
    sql_bind_i64(st, 2, into);
    return run(base, st, NULL, err);
}

enum kt_rc sql_privacy_move(struct store_conn *base, int64_t from, int64_t into, struct kt_err *err)
{
    enum kt_rc rc = reseal_evidence(base, from, into, 0, err);
    if (rc == KT_OK) {
        rc = move(base, SQL_CONSENT_MOVE, from, into, err);
    }
    if (rc == KT_OK) {
        rc = move(base, SQL_SUB_MOVE, from, into, err);
    }
    return rc == KT_OK ? sql_loyalty_move(base, from, into, err) : rc;
}

/* ---- topics and subscriptions ------------------------------------------------------------ */

static void read_topic(struct sql_stmt *st, struct arena *a, void *out)
{
    struct topic *t = out;
    *t = (struct topic){TEXT(0), TEXT(1), TEXT(2), TEXT(3), I64(4), I64(5)};
}

enum kt_rc sql_topic_put(struct store_conn *base, const struct topic *t, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_TOPIC_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, t->key);
    sql_bind_text(st, 2, t->title);
    sql_bind_text(st, 3, t->description);
    sql_bind_text(st, 4, t->channels);
    sql_bind_i64(st, 5, t->updated_at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_topic_list(struct store_conn *base, struct arena *a, struct topic **out, size_t *n,
                          struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_TOPIC_LIST, err);
    return st == NULL ? KT_ESTORE
                      : sql_rows((struct sql_conn *)base, st, read_topic, sizeof(**out), a, out, n,
                                 "topics", err);
}

static void read_sub(struct sql_stmt *st, struct arena *a, void *out)
{
    struct sub_event *e = out;
    *e = (struct sub_event){I64(0), I64(1),  TEXT(2), TEXT(3), I64(4) != 0,
                            I64(5), TEXT(6), TEXT(7), TEXT(8), TEXT(9)};
}

enum kt_rc sql_sub_add(struct store_conn *base, const struct sub_event *e, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SUB_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, e->ck);
    sql_bind_text(st, 2, e->topic);
    sql_bind_text(st, 3, e->channel);
    sql_bind_i64(st, 4, e->subscribed);
    sql_bind_i64(st, 5, e->at);
    sql_bind_text(st, 6, e->via);
    sql_bind_text(st, 7, e->source);
    sql_bind_text(st, 8, e->key_id);
    sql_bind_text(st, 9, e->request_id);
    return run(base, st, NULL, err);
}

enum kt_rc sql_sub_list(struct store_conn *base, int64_t ck, struct arena *a,
                        struct sub_event **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SUB_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_rows((struct sql_conn *)base, st, read_sub, sizeof(**out), a, out, n,
                    "subscriptions", err);
}

/* ---- suppression ------------------------------------------------------------------------- */

enum kt_rc sql_suppress_add(struct store_conn *base, const unsigned char hash[32], const char *kind,
                            const char *act_id, int64_t at, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SUPP_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, hash, 32, SQL_STATIC);
    sql_bind_text(st, 2, kind);
    sql_bind_text(st, 3, act_id);
    sql_bind_i64(st, 4, at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_suppress_hit(struct store_conn *base, const unsigned char (*hashes)[32], size_t n,
                            int64_t at, size_t *first, struct kt_err *err)
{
    /* One primary-key probe per hash: cheaper than one statement with an IN list, for which
     * SQLite builds a temporary index on every run. */
    *first = n;
    struct sql_stmt *st = get(base, SQL_SUPP_HIT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    for (size_t i = 0; i < n; i++) {
        sql_bind_blob(st, 1, hashes[i], 32, SQL_STATIC);
        sql_bind_i64(st, 2, at);
        int changes = 0;
        enum kt_rc rc = run(base, st, &changes, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (changes > 0 && *first == n) {
            *first = i;
        }
    }
    return KT_OK;
}

enum kt_rc sql_suppress_remove(struct store_conn *base, const unsigned char hash[32],
                               struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SUPP_REMOVE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_blob(st, 1, hash, 32, SQL_STATIC);
    return run(base, st, NULL, err);
}

/* ---- privacy requests -------------------------------------------------------------------- */

static void read_preq(struct sql_stmt *st, struct arena *a, void *out)
{
    struct privacy_request *p = out;
    memset(p, 0, sizeof(*p));
    const char *id = sql_col_str(st, 0);
    kt_strlcpy(p->id, id ? (const char *)id : "", sizeof(p->id));
    p->kind = TEXT(1);
    p->customer_id = TEXT(2);
    p->received_on = TEXT(3);
    p->deadline = TEXT(4);
    p->provisional = I64(5) != 0;
    p->extended = I64(6) != 0;
    p->channel = TEXT(7);
    p->note = TEXT(8);
    p->state = TEXT(9);
    p->outcome = TEXT(10);
    p->created_at = I64(11);
    p->closed_at = I64(12);
    p->key_id = TEXT(13);
    p->destroy_deadline = TEXT(14);
    p->extension_reason = TEXT(15);
    p->extended_at = I64(16);
}

/* The notes of requests, sealed under the installation's key. */
static enum kt_rc open_notes(struct sql_conn *c, struct privacy_request *p, size_t n,
                             struct arena *a, struct kt_err *err)
{
    struct sql_key k;
    sql_key_init(&k, c, 0, false);
    enum kt_rc rc = KT_OK;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        rc = sql_unseal(&k, "privacy_requests.note", &p[i].note, a, err);
        if (rc == KT_OK) {
            rc =
                sql_unseal(&k, "privacy_requests.extension_reason", &p[i].extension_reason, a, err);
        }
    }
    sql_key_release(&k);
    return rc;
}

enum kt_rc sql_preq_insert(struct store_conn *base, const struct privacy_request *p,
                           struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PREQ_INSERT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, p->id);
    sql_bind_text(st, 2, p->kind);
    sql_bind_text(st, 3, p->customer_id);
    sql_bind_text(st, 4, p->received_on);
    sql_bind_text(st, 5, p->deadline);
    sql_bind_i64(st, 6, p->provisional);
    sql_bind_i64(st, 7, p->extended);
    sql_bind_text(st, 8, p->channel);
    struct sql_key k;
    sql_key_init(&k, (struct sql_conn *)base, 0, true);
    enum kt_rc rc = sql_bind_sealed(&k, st, 9, "privacy_requests.note", p->note, err);
    if (rc == KT_OK) {
        rc = sql_bind_sealed(&k, st, 16, "privacy_requests.extension_reason", p->extension_reason,
                             err);
    }
    sql_key_release(&k);
    if (rc != KT_OK) {
        sql_done(st);
        return rc;
    }
    sql_bind_text(st, 10, p->state);
    sql_bind_text(st, 11, p->outcome);
    sql_bind_i64(st, 12, p->created_at);
    sql_bind_i64_or_null(st, 13, p->closed_at);
    sql_bind_text(st, 14, p->key_id);
    sql_bind_text(st, 15, p->destroy_deadline);
    sql_bind_i64_or_null(st, 17, p->extended_at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_preq_get(struct store_conn *base, const char *id, struct arena *a,
                        struct privacy_request *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PREQ_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, read_preq, a, out, found,
                            "request_not_found", "request not found", err);
    return rc == KT_OK && (found == NULL || *found)
               ? open_notes((struct sql_conn *)base, out, 1, a, err)
               : rc;
}

enum kt_rc sql_preq_close(struct store_conn *base, const char *id, const char *state,
                          const char *outcome, int64_t at, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PREQ_CLOSE, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_text(st, 2, state);
    sql_bind_text(st, 3, outcome);
    sql_bind_i64(st, 4, at);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    if (rc == KT_OK && found != NULL) {
        *found = changes > 0;
    }
    return rc == KT_OK && changes == 0
               ? sql_not_found(found, err, "request_not_found", "open request")
               : rc;
}

enum kt_rc sql_preq_extend(struct store_conn *base, const char *id, const char *deadline,
                           bool provisional, const char *reason, int64_t at, bool *found,
                           struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PREQ_EXTEND, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, id);
    sql_bind_text(st, 2, deadline);
    sql_bind_i64(st, 3, provisional);
    struct sql_key k; /* the reasoned notice may name the person, as a note may */
    sql_key_init(&k, (struct sql_conn *)base, 0, true);
    enum kt_rc sealed =
        sql_bind_sealed(&k, st, 4, "privacy_requests.extension_reason", reason, err);
    sql_key_release(&k);
    if (sealed != KT_OK) {
        sql_done(st);
        return sealed;
    }
    sql_bind_i64(st, 5, at);
    int changes = 0;
    enum kt_rc rc = run(base, st, &changes, err);
    if (rc == KT_OK && found != NULL) {
        *found = changes > 0;
    }
    return rc == KT_OK && changes == 0
               ? sql_not_found(found, err, "request_not_found", "open request")
               : rc;
}

enum kt_rc sql_preq_list(struct store_conn *base, bool overdue, const char *today,
                         const char *after_id, int limit, struct arena *a,
                         struct privacy_request **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, overdue ? SQL_PREQ_OVERDUE : SQL_PREQ_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, after_id ? after_id : "");
    sql_bind_i64(st, 2, limit);
    if (overdue) {
        sql_bind_text(st, 3, today);
    }
    enum kt_rc rc =
        sql_rows((struct sql_conn *)base, st, read_preq, sizeof(**out), a, out, n, "requests", err);
    return rc == KT_OK ? open_notes((struct sql_conn *)base, *out, *n, a, err) : rc;
}

enum kt_rc sql_preq_open_of(struct store_conn *base, const char *customer_id, const char *kind,
                            struct arena *a, struct privacy_request *out, bool *found,
                            struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_PREQ_OPEN_OF, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, customer_id);
    sql_bind_text(st, 2, kind);
    enum kt_rc rc = sql_one((struct sql_conn *)base, st, read_preq, a, out, found,
                            "request_not_found", "open request not found", err);
    return rc == KT_OK && (found == NULL || *found)
               ? open_notes((struct sql_conn *)base, out, 1, a, err)
               : rc;
}

/* ---- scheduled work ---------------------------------------------------------------------- */

static void read_due(struct sql_stmt *st, struct arena *a, void *out)
{
    struct due_item *d = out;
    *d = (struct due_item){I64(0), TEXT(1), I64(2), I64(3), TEXT(4), I64(5)};
}

enum kt_rc sql_due_add(struct store_conn *base, const struct due_item *d, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DUE_ADD, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, d->kind);
    sql_bind_i64(st, 2, d->ck);
    sql_bind_i64(st, 3, d->due_at);
    sql_bind_text(st, 4, d->reason);
    sql_bind_i64(st, 5, d->created_at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_due_next(struct store_conn *base, int64_t now, struct arena *a, struct due_item *out,
                        bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DUE_NEXT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, now);
    return sql_one((struct sql_conn *)base, st, read_due, a, out, found, "nothing_due",
                   "due work not found", err);
}

enum kt_rc sql_due_finish(struct store_conn *base, int64_t seq, int64_t at, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DUE_FINISH, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, seq);
    sql_bind_i64(st, 2, at);
    return run(base, st, NULL, err);
}

enum kt_rc sql_due_cancel(struct store_conn *base, int64_t ck, const char *kind, int64_t at,
                          struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DUE_CANCEL, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, kind);
    sql_bind_i64(st, 3, at);
    return run(base, st, NULL, err);
}

/* min(due_at): one row, NULL when nothing is pending. */
struct earliest {
    bool found;
    int64_t at;
};

static void read_earliest(struct sql_stmt *st, void *ctx)
{
    struct earliest *e = ctx;
    e->found = sql_col_type(st, 0) != SQL_NULL;
    e->at = sql_col_i64(st, 0);
}

enum kt_rc sql_due_pending(struct store_conn *base, int64_t ck, const char *kind, int64_t *due_at,
                           bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_DUE_PENDING, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    sql_bind_text(st, 2, kind);
    struct earliest e = {false, 0};
    enum kt_rc rc = sql_each((struct sql_conn *)base, st, read_earliest, &e, "due pending", err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!e.found) {
        return sql_not_found(found, err, "nothing_due", "due work");
    }
    if (found != NULL) {
        *found = true;
    }
    *due_at = e.at;
    return KT_OK;
}
