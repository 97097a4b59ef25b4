/*
 * store_records_test.c - the store contract, part two: the records the domain modules keep -
 * purchases and their lines, refunds, the points ledger and the programme's report, consent
 * documents and events, topics and subscriptions, the suppression list, behaviour events, the
 * purchase days of the learned intervals. Part
 * one (customers, identifiers, keys, transactions, conditions) is store_test.c; part three (acts
 * of destruction, blocks) is store_privacy_test.c. Every backend must pass all three; the cases
 * speak only store.h, and a conflict is tried in a transaction of its own
 * and rolled back (PostgreSQL aborts a transaction at its first error).
 */
#include "helpers.h"

#include "base/id.h"

/* ---- purchases and refunds ------------------------------------------------------------------ */

static struct purchase receipt(const char *store_id, const char *number, int64_t ck, int64_t at)
{
    struct purchase p;
    memset(&p, 0, sizeof(p));
    id_new(p.id, sizeof(p.id), "p_");
    p.store_id = store_id;
    p.receipt = number;
    p.ck = ck;
    p.at = at;
    p.total = 15000;
    p.points_earned = ck ? 150 : 0;
    p.program_version = 1;
    memset(p.body_hash, (int)(at & 0x7f), sizeof(p.body_hash));
    p.reply = "{\"points\":150}";
    p.created_at = at + 1;
    p.key_id = "k1";
    p.identified_by = ck ? "card" : NULL;
    return p;
}

static const struct purchase_line two_lines[] = {
    {"A-1", "Молоко", "dairy", 2000, 5000, 0, 10000, 0, 0},
    {"B-2", NULL, NULL, 1000, 5500, 500, 5000, 0, 0},
};

/* A purchase is found by its store's receipt number (what a retry asks), read back whole with
 * its lines, and listed among its customer's, newest first, paged by time; a receipt number is
 * one store's, so another store may use it, but the same store not twice. */
static void purchases_round_trip_and_are_found_by_receipt(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w), other = test_customer(w);
    struct purchase p1 = receipt("s1", "R-1", ck, 1000), p2 = receipt("s2", "R-1", ck, 2000);
    struct purchase anon = receipt("s1", "R-2", 0, 3000),
                    theirs = receipt("s1", "R-3", other, 4000);
    assert_int_equal(store_purchase_insert(w, &p1, two_lines, 2, NULL), KT_OK);
    assert_int_equal(store_purchase_insert(w, &p2, two_lines, 1, NULL), KT_OK);
    assert_int_equal(store_purchase_insert(w, &anon, NULL, 0, NULL), KT_OK);
    assert_int_equal(store_purchase_insert(w, &theirs, two_lines, 1, NULL), KT_OK);
    wcommit(w);

    w = wbegin();
    struct purchase again = receipt("s1", "R-1", ck, 5000);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_purchase_insert(w, &again, two_lines, 2, &err), KT_ECONFLICT);
    store_write_rollback(w);

    struct store_conn *r = rbegin();
    struct purchase got;
    assert_int_equal(store_purchase_find(r, "s1", "R-1", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.id, p1.id);
    assert_memory_equal(got.body_hash, p1.body_hash, 32);
    assert_string_equal(got.reply, p1.reply);
    assert_int_equal(store_purchase_find(r, "s2", "R-1", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.id, p2.id);
    kt_err_reset(&err);
    assert_int_equal(store_purchase_find(r, "s2", "R-2", &A, &got, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "purchase_not_found");

    struct purchase_line *lines;
    size_t n;
    assert_int_equal(store_purchase_get(r, p1.id, &A, &got, &lines, &n, NULL), KT_OK);
    assert_string_equal(got.store_id, "s1");
    assert_string_equal(got.receipt, "R-1");
    assert_int_equal(got.ck, ck);
    assert_int_equal(got.at, 1000);
    assert_int_equal(got.total, 15000);
    assert_int_equal(got.points_earned, 150);
    assert_int_equal(got.program_version, 1);
    assert_int_equal(got.created_at, 1001);
    assert_string_equal(got.key_id, "k1");
    assert_string_equal(got.identified_by, "card");
    assert_int_equal(got.refunded + got.points_reversed + got.points_returned, 0);
    assert_int_equal(n, 2);
    assert_string_equal(lines[0].sku, "A-1");
    assert_string_equal(lines[0].name, "Молоко");
    assert_string_equal(lines[0].category, "dairy");
    assert_int_equal(lines[0].quantity, 2000);
    assert_int_equal(lines[0].amount, 10000);
    assert_null(lines[1].name); /* an unnamed line stays unnamed */
    assert_null(lines[1].category);
    assert_int_equal(lines[1].discount, 500);
    assert_int_equal(store_purchase_get(r, anon.id, &A, &got, &lines, &n, NULL), KT_OK);
    assert_int_equal(got.ck, 0);
    assert_null(got.identified_by);
    assert_int_equal(n, 0);
    kt_err_reset(&err);
    assert_int_equal(store_purchase_get(r, "p_none", &A, &got, &lines, &n, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "purchase_not_found");

    struct purchase *list;
    assert_int_equal(store_purchase_list(r, ck, 0, NULL, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 2); /* neither the anonymous receipt nor another customer's */
    assert_string_equal(list[0].id, p2.id);
    assert_string_equal(list[1].id, p1.id);
    assert_int_equal(store_purchase_list(r, ck, 0, NULL, 1, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, p2.id);
    assert_int_equal(store_purchase_list(r, ck, 2000, p2.id, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1); /* before the second: the first */
    assert_string_equal(list[0].id, p1.id);
    assert_int_equal(store_purchase_list(r, ck, 1000, p1.id, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    store_read_end(r);
}

static struct refund refund_of(const struct purchase *p, const char *number, int64_t amount)
{
    struct refund rf;
    memset(&rf, 0, sizeof(rf));
    id_new(rf.id, sizeof(rf.id), "r_");
    rf.purchase_id = p->id;
    rf.number = number;
    rf.at = p->at + 100;
    rf.amount = amount;
    rf.points_reversed = amount / 100;
    memset(rf.body_hash, 3, sizeof(rf.body_hash));
    rf.reply = "{\"refunded\":true}";
    rf.created_at = rf.at;
    rf.key_id = "k1";
    return rf;
}

/* Receipts of one time (a till's clock in whole seconds) are ordered by id within it, and a page
 * that ends inside them goes on from the last one shown, so none is skipped or shown twice. */
static void purchases_of_one_time_page_without_loss(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    const char *numbers[] = {"T-1", "T-2", "T-3", "T-4", "T-5"};
    for (size_t i = 0; i < 5; i++) {
        struct purchase p = receipt("s1", numbers[i], ck, i < 4 ? 7000 : 6000);
        assert_int_equal(store_purchase_insert(w, &p, two_lines, 1, NULL), KT_OK);
    }
    wcommit(w);
    struct store_conn *r = rbegin();
    int64_t at = 0;
    const char *id = NULL, *seen[5];
    size_t total = 0;
    for (;;) {
        struct purchase *list;
        size_t n;
        assert_int_equal(store_purchase_list(r, ck, at, id, 2, &A, &list, &n, NULL), KT_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(total < 5);
            seen[total++] = list[i].id;
            assert_int_equal(list[i].at, total < 5 ? 7000 : 6000);
        }
        if (n < 2) {
            break;
        }
        at = list[n - 1].at;
        id = list[n - 1].id;
    }
    assert_int_equal(total, 5);
    for (size_t i = 1; i < 4; i++) {
        assert_true(strcmp(seen[i - 1], seen[i]) > 0); /* newest first, then by id */
    }
    store_read_end(r);
}

/* A refund is found by its purchase and return number; what refunds gave back is summed on the
 * purchase and on each line it names; a return number is used once per purchase. */
static void refunds_add_up_on_the_purchase_and_its_lines(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    struct purchase p = receipt("s1", "R-1", ck, 1000), q = receipt("s1", "R-2", ck, 2000);
    assert_int_equal(store_purchase_insert(w, &p, two_lines, 2, NULL), KT_OK);
    assert_int_equal(store_purchase_insert(w, &q, two_lines, 2, NULL), KT_OK);
    struct refund r1 = refund_of(&p, "RET-1", 5000), r2 = refund_of(&p, "RET-2", 2500);
    struct refund_line l1[] = {{1, 1000, 5000}}, l2[] = {{1, 500, 2500}};
    assert_int_equal(store_refund_insert(w, &r1, l1, 1, NULL), KT_OK);
    assert_int_equal(store_refund_insert(w, &r2, l2, 1, NULL), KT_OK);
    struct refund of_q = refund_of(&q, "RET-1", 5000); /* the same number, another purchase */
    struct refund_line lq[] = {{2, 1000, 5000}};
    assert_int_equal(store_refund_insert(w, &of_q, lq, 1, NULL), KT_OK);
    wcommit(w);

    w = wbegin();
    struct refund dup = refund_of(&p, "RET-1", 100);
    assert_int_equal(store_refund_insert(w, &dup, l1, 1, NULL), KT_ECONFLICT);
    store_write_rollback(w);

    struct store_conn *r = rbegin();
    struct refund got;
    assert_int_equal(store_refund_find(r, p.id, "RET-2", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.id, r2.id);
    assert_memory_equal(got.body_hash, r2.body_hash, 32);
    assert_string_equal(got.reply, r2.reply);
    assert_int_equal(store_refund_find(r, q.id, "RET-1", &A, &got, NULL, NULL), KT_OK);
    assert_string_equal(got.id, of_q.id);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_refund_find(r, q.id, "RET-2", &A, &got, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "refund_not_found");

    struct purchase pg;
    struct purchase_line *lines;
    size_t n;
    assert_int_equal(store_purchase_get(r, p.id, &A, &pg, &lines, &n, NULL), KT_OK);
    assert_int_equal(pg.refunded, 7500);
    assert_int_equal(pg.points_reversed, 75);
    assert_int_equal(n, 2);
    assert_int_equal(lines[0].refunded_qty, 1500);
    assert_int_equal(lines[0].refunded_amount, 7500);
    assert_int_equal(lines[1].refunded_qty, 0);
    assert_int_equal(store_purchase_get(r, q.id, &A, &pg, &lines, &n, NULL), KT_OK);
    assert_int_equal(pg.refunded, 5000);
    assert_int_equal(lines[0].refunded_qty, 0);
    assert_int_equal(lines[1].refunded_amount, 5000);
    struct loyalty_report rep;
    assert_int_equal(store_loyalty_report(r, 0, 10000, &rep, NULL), KT_OK);
    assert_int_equal(rep.receipts, 2);
    assert_int_equal(rep.receipts_identified, 2);
    assert_int_equal(rep.receipts_by_card, 2);
    assert_int_equal(rep.total, 30000);
    assert_int_equal(rep.refunds, 3);
    assert_int_equal(rep.refunded, 12500);
    assert_int_equal(store_loyalty_report(r, 0, 1100, &rep, NULL), KT_OK);
    assert_int_equal(rep.receipts, 1); /* [since, until): the second receipt is later */
    assert_int_equal(rep.refunds, 0);  /* and the refunds of the first at 1100, not before */
    store_read_end(r);
}

/* ---- purchase days (the learned intervals) -------------------------------------------------- */

struct days_seen {
    int64_t ck[16], day[16];
    char key[16][8];
    size_t n;
};

static enum kt_rc day_seen(void *ctx, int64_t ck, const char *id, const char *key, int64_t day,
                           struct kt_err *err)
{
    (void)err;
    struct days_seen *d = ctx;
    assert_true(d->n < 16 && strncmp(id, "c_", 2) == 0);
    d->ck[d->n] = ck;
    d->day[d->n] = day;
    kt_strlcpy(d->key[d->n++], key, sizeof(d->key[0]));
    return KT_OK;
}

/* The purchase days per SKU, category and receipt: a local date (the store's zone, else the
 * installation's), one per day however many receipts, a line refunded in full left out (in
 * part, kept), anonymous receipts nobody's; only on an analytic read. */
static void purchase_days_are_local_distinct_and_kept(void **state)
{
    (void)state;
    const int64_t D = 20000, H = 3600000, DAY = 24 * H; /* day D's midnight UTC is D * DAY */
    struct store_conn *w = wbegin();
    int64_t a = test_customer(w), b = test_customer(w);
    struct shop vl = {"VL", NULL, NULL, "Asia/Vladivostok", 1, 1};
    assert_int_equal(store_shop_put(w, &vl, NULL), KT_OK);
    struct purchase p[] = {
        receipt("s1", "R-1", a, D * DAY + 8 * H),        receipt("s1", "R-2", a, D * DAY + 18 * H),
        receipt("VL", "R-3", a, (D + 1) * DAY + 20 * H), /* 06:00 on D + 2 in Vladivostok */
        receipt("s1", "R-4", a, (D + 5) * DAY + 8 * H),  receipt("s1", "R-5", b, (D + 3) * DAY),
        receipt("s1", "R-6", 0, (D + 4) * DAY)};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(store_purchase_insert(w, &p[i], two_lines, 2, NULL), KT_OK);
    }
    struct refund rf = refund_of(&p[3], "RET-1", 10500);
    struct refund_line all_and_half[] = {{1, 2000, 10000}, {2, 500, 500}};
    assert_int_equal(store_refund_insert(w, &rf, all_and_half, 2, NULL), KT_OK);
    wcommit(w);

    struct kt_err err;
    kt_err_reset(&err);
    struct days_seen d = {0};
    struct store_conn *r = rbegin();
    assert_int_equal(store_purchase_days(r, STORE_DAY_SKU, D * DAY * 2, day_seen, &d, &err),
                     KT_EINTERNAL);
    store_read_end(r);
    assert_int_equal(store_read_begin_analytics(T.s, &r, NULL), KT_OK);
    static const struct {
        enum store_day_key by;
        size_t n;
        int64_t ck_b_from; /* the first row of b */
        const char *keys;  /* the rows' keys, one letter each: A-1, B-2, dairy, "" */
        int64_t days[8];   /* after D */
    } want[] = {
        {STORE_DAY_SKU, 7, 5, "AABBBAB", {0, 2, 0, 2, 5, 3, 3}},
        {STORE_DAY_CATEGORY, 3, 2, "ddd", {0, 2, 3}},
        {STORE_DAY_RECEIPT, 4, 3, "    ", {0, 2, 5, 3}},
    };
    for (size_t k = 0; k < 3; k++) {
        memset(&d, 0, sizeof(d));
        assert_int_equal(store_purchase_days(r, want[k].by, (D + 9) * DAY, day_seen, &d, NULL),
                         KT_OK);
        assert_int_equal(d.n, want[k].n);
        for (size_t i = 0; i < d.n; i++) {
            assert_int_equal(d.ck[i], (int64_t)i < want[k].ck_b_from ? a : b);
            assert_int_equal(d.day[i], D + want[k].days[i]);
            char c = want[k].keys[i];
            assert_string_equal(d.key[i], c == 'A'   ? "A-1"
                                          : c == 'B' ? "B-2"
                                          : c == 'd' ? "dairy"
                                                     : "");
        }
    }
    /* Up to `now`: the receipts and refunds after it are not yet. */
    memset(&d, 0, sizeof(d));
    assert_int_equal(
        store_purchase_days(r, STORE_DAY_RECEIPT, D * DAY + 12 * H, day_seen, &d, NULL), KT_OK);
    assert_true(d.n == 1 && d.ck[0] == a && d.day[0] == D);
    store_read_end(r);
}

/* ---- the points ledger ---------------------------------------------------------------------- */

static struct ledger_entry entry(int64_t ck, const char *kind, int64_t points, int64_t at,
                                 int64_t expires_at)
{
    return (struct ledger_entry){0,          ck,   kind, points, at,   at,
                                 expires_at, NULL, 1,    NULL,   "k1", NULL};
}

/* The ledger keeps every entry as written, a customer's oldest first, so its sum is the
 * balance; the report sums by kind over [since, until) and the liability up to `until`; the
 * customers with credit expiring in (since, until] come in ck order, after a cursor. */
static void the_ledger_keeps_entries_in_order_and_the_report_sums_them(void **state)
{
    struct store_conn *w = wbegin();
    int64_t a = test_customer(w), b = test_customer(w), c = test_customer(w);
    const struct ledger_entry es[] = {
        entry(a, "earn", 150, 1000, 50000),  entry(a, "spend", -50, 2000, 0),
        entry(b, "bonus", 100, 2500, 60000), entry(a, "adjust", 7, 3000, 0),
        entry(c, "earn", 10, 4000, 90000),   entry(a, "expire", -20, 9000, 0),
    };
    for (size_t i = 0; i < sizeof(es) / sizeof(es[0]); i++) {
        assert_int_equal(store_ledger_add(w, &es[i], NULL), KT_OK);
    }
    struct ledger_entry full = entry(b, "earn", 30, 5000, 70000);
    full.purchase_id = "p_x";
    full.program_version = 2;
    full.reason = "a receipt";
    full.request_id = "req-1";
    full.available_at = 5500;
    assert_int_equal(store_ledger_add(w, &full, NULL), KT_OK);
    wcommit(w);

    struct store_conn *r = rbegin();
    struct ledger_entry *l;
    size_t n;
    assert_int_equal(store_ledger_list(r, a, &A, &l, &n, NULL), KT_OK);
    assert_int_equal(n, 4);
    int64_t balance = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l[i].ck, a);
        assert_true(i == 0 || l[i].seq > l[i - 1].seq);
        balance += l[i].points;
    }
    assert_int_equal(balance, 87);
    assert_string_equal(l[0].kind, "earn");
    assert_int_equal(l[0].expires_at, 50000);
    assert_string_equal(l[1].kind, "spend");
    assert_int_equal(l[1].expires_at, 0); /* never */
    assert_string_equal(l[3].kind, "expire");
    assert_int_equal(store_ledger_list(r, b, &A, &l, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(l[1].purchase_id, "p_x");
    assert_int_equal(l[1].program_version, 2);
    assert_string_equal(l[1].reason, "a receipt");
    assert_string_equal(l[1].key_id, "k1");
    assert_string_equal(l[1].request_id, "req-1");
    assert_int_equal(l[1].available_at, 5500);
    assert_int_equal(store_ledger_list(r, 999999, &A, &l, &n, NULL), KT_OK);
    assert_int_equal(n, 0);

    struct loyalty_report rep;
    assert_int_equal(store_loyalty_report(r, 1000, 9000, &rep, NULL), KT_OK);
    assert_int_equal(rep.earned, 190);
    assert_int_equal(rep.spent, -50);
    assert_int_equal(rep.bonus, 100);
    assert_int_equal(rep.adjusted, 7);
    assert_int_equal(rep.expired, 0);       /* at 9000: outside [1000, 9000) */
    assert_int_equal(rep.outstanding, 247); /* every entry before 9000 */
    assert_int_equal(store_loyalty_report(r, 0, 10000, &rep, NULL), KT_OK);
    assert_int_equal(rep.expired, -20);
    assert_int_equal(rep.outstanding, 227);

    int64_t *cks;
    assert_int_equal(store_ledger_expiring(r, 40000, 70000, 0, 10, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 2); /* a's at 50000, b's at 60000 and 70000 (once), not c's */
    assert_true(cks[0] == a && cks[1] == b);
    assert_int_equal(store_ledger_expiring(r, 40000, 70000, a, 10, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cks[0], b);
    assert_int_equal(store_ledger_expiring(r, 40000, 70000, 0, 1, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_ledger_expiring(r, 50000, 59999, 0, 10, &A, &cks, &n, NULL), KT_OK);
    assert_int_equal(n, 0); /* (since, until]: 50000 is not after 50000 */
    const struct store_cond rich = {.kind = COND_POINTS, .cmp = COND_GE, .value = {true, 87}};
    int64_t count;
    const char **ids;
    assert_int_equal(store_segment_preview(r, &rich, 0, &A, &count, &ids, &n, NULL), KT_OK);
    assert_int_equal(count, 2); /* a's 87 and b's 130 */
    store_read_end(r);
}

/* ---- consent -------------------------------------------------------------------------------- */

static struct consent_doc doc(const char *key, int64_t version, int64_t term_days)
{
    return (struct consent_doc){key,      version,   "pd_processing", "Согласие",    "Текст",
                                "ab12cd", term_days, version > 1,     1000 * version};
}

/* A document's versions are kept, each published once; the latest is the one asked for by 0. */
static void consent_documents_keep_every_version(void **state)
{
    struct store_conn *w = wbegin();
    const struct consent_doc docs[] = {doc("loyalty-pd", 1, 365), doc("loyalty-pd", 2, 0),
                                       doc("ads", 1, 0)};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(store_doc_put(w, &docs[i], NULL), KT_OK);
    }
    wcommit(w);
    w = wbegin();
    assert_int_equal(store_doc_put(w, &docs[0], NULL), KT_ECONFLICT);
    store_write_rollback(w);

    struct store_conn *r = rbegin();
    struct consent_doc d;
    assert_int_equal(store_doc_get(r, "loyalty-pd", 0, &A, &d, NULL, NULL), KT_OK);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.term_days, 0);
    assert_true(d.reconsent);
    assert_int_equal(store_doc_get(r, "loyalty-pd", 1, &A, &d, NULL, NULL), KT_OK);
    assert_string_equal(d.key, "loyalty-pd");
    assert_string_equal(d.purpose, "pd_processing");
    assert_string_equal(d.title, "Согласие");
    assert_string_equal(d.body, "Текст");
    assert_string_equal(d.sha256, "ab12cd");
    assert_int_equal(d.term_days, 365);
    assert_false(d.reconsent);
    assert_int_equal(d.published_at, 1000);
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_doc_get(r, "loyalty-pd", 3, &A, &d, NULL, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "document_not_found");
    assert_int_equal(store_doc_get(r, "none", 0, &A, &d, NULL, NULL), KT_ENOTFOUND);
    struct consent_doc *all;
    size_t n;
    assert_int_equal(store_doc_list(r, &A, &all, &n, NULL), KT_OK);
    assert_int_equal(n, 3); /* by key, then version */
    assert_string_equal(all[0].key, "ads");
    assert_int_equal(all[1].version, 1);
    assert_int_equal(all[2].version, 2);
    store_read_end(r);
}

/* Consent and subscription events are kept as written, a customer's oldest first; topics are
 * replaced by key and keep when they were made. */
static void consent_and_subscription_events_round_trip(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w), other = test_customer(w);
    struct consent_event grant = {.ck = ck,
                                  .purpose = "pd_processing",
                                  .action = "grant",
                                  .at = 1000,
                                  .recorded_at = 1001,
                                  .expires_at = 99000,
                                  .doc_key = "pd",
                                  .doc_version = 1,
                                  .doc_sha256 = "ab12",
                                  .source = "web",
                                  .form_id = "f1",
                                  .ip = "192.0.2.1",
                                  .user_agent = "UA",
                                  .key_id = "k1",
                                  .request_id = "q1"};
    struct consent_event ads = {.ck = ck,
                                .purpose = "ads",
                                .channel = "sms",
                                .action = "grant",
                                .at = 2000,
                                .recorded_at = 2000,
                                .source = "pos",
                                .store_id = "s1",
                                .operator_id = "o1"};
    struct consent_event gone = {.ck = ck,
                                 .purpose = "pd_processing",
                                 .action = "withdraw",
                                 .at = 3000,
                                 .recorded_at = 3000,
                                 .source = "paper",
                                 .paper_form = "PF-1",
                                 .legal_basis = "art. 9"};
    struct consent_event theirs = grant;
    theirs.ck = other;
    const struct consent_event *es[] = {&grant, &ads, &theirs, &gone};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(store_consent_add(w, es[i], NULL), KT_OK);
    }
    struct topic promo = {"promo", "Акции", NULL, "[\"sms\",\"email\"]", 1000, 1000};
    assert_int_equal(store_topic_put(w, &promo, NULL), KT_OK);
    promo.title = "Скидки";
    promo.description = "раз в неделю";
    promo.created_at = promo.updated_at = 5000;
    assert_int_equal(store_topic_put(w, &promo, NULL), KT_OK);
    struct topic news = {"news", "Новости", NULL, "[\"email\"]", 2000, 2000};
    assert_int_equal(store_topic_put(w, &news, NULL), KT_OK);
    struct sub_event on = {0, ck, "promo", "sms", true, 4000, "api", "web", "k1", "q2"};
    struct sub_event off = {0,     ck,   "promo", "sms", false, 4500, "unsubscribe_page",
                            "web", NULL, NULL};
    assert_int_equal(store_sub_add(w, &on, NULL), KT_OK);
    assert_int_equal(store_sub_add(w, &off, NULL), KT_OK);
    wcommit(w);

    struct store_conn *r = rbegin();
    struct consent_event *ev;
    size_t n;
    assert_int_equal(store_consent_list(r, ck, &A, &ev, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    assert_true(ev[0].seq < ev[1].seq && ev[1].seq < ev[2].seq);
    assert_int_equal(ev[0].ck, ck);
    assert_string_equal(ev[0].purpose, "pd_processing");
    assert_string_equal(ev[0].channel, ""); /* a purpose not by channel */
    assert_int_equal(ev[0].at, 1000);
    assert_int_equal(ev[0].recorded_at, 1001);
    assert_int_equal(ev[0].expires_at, 99000);
    assert_string_equal(ev[0].doc_key, "pd");
    assert_int_equal(ev[0].doc_version, 1);
    assert_string_equal(ev[0].doc_sha256, "ab12");
    assert_string_equal(ev[0].form_id, "f1");
    assert_string_equal(ev[0].ip, "192.0.2.1");
    assert_string_equal(ev[0].user_agent, "UA");
    assert_string_equal(ev[0].request_id, "q1");
    assert_string_equal(ev[1].channel, "sms");
    assert_string_equal(ev[1].store_id, "s1");
    assert_string_equal(ev[1].operator_id, "o1");
    assert_null(ev[1].doc_key);
    assert_int_equal(ev[1].expires_at, 0); /* no term */
    assert_string_equal(ev[2].action, "withdraw");
    assert_string_equal(ev[2].paper_form, "PF-1");
    assert_string_equal(ev[2].legal_basis, "art. 9");
    assert_null(ev[2].ip);
    assert_int_equal(store_consent_list(r, 999999, &A, &ev, &n, NULL), KT_OK);
    assert_int_equal(n, 0);

    struct topic *ts;
    assert_int_equal(store_topic_list(r, &A, &ts, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ts[0].key, "news");
    assert_string_equal(ts[1].title, "Скидки");
    assert_string_equal(ts[1].description, "раз в неделю");
    assert_int_equal(ts[1].created_at, 1000); /* kept */
    assert_int_equal(ts[1].updated_at, 5000);
    struct sub_event *subs;
    assert_int_equal(store_sub_list(r, ck, &A, &subs, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_true(subs[0].subscribed);
    assert_false(subs[1].subscribed);
    assert_string_equal(subs[1].via, "unsubscribe_page");
    assert_string_equal(subs[0].key_id, "k1");
    assert_null(subs[1].key_id);
    assert_int_equal(store_sub_list(r, other, &A, &subs, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    store_read_end(r);
}

/* The suppression list answers which of several hashes is listed first; a hash listed twice
 * stays listed once; a lifted one is not listed any more. */
static void the_suppression_list_answers_the_first_listed(void **state)
{
    static const unsigned char h[4][32] = {{1}, {2}, {3}, {4}};
    struct store_conn *w = wbegin();
    assert_int_equal(store_suppress_add(w, h[1], "phone", "a_1", 1000, NULL), KT_OK);
    assert_int_equal(store_suppress_add(w, h[2], "email", "a_1", 1000, NULL), KT_OK);
    assert_int_equal(store_suppress_add(w, h[1], "phone", "a_2", 2000, NULL), KT_OK);
    size_t first = 99;
    assert_int_equal(store_suppress_hit(w, h, 4, 3000, &first, NULL), KT_OK);
    assert_int_equal(first, 1);
    assert_int_equal(store_suppress_hit(w, &h[2], 2, 3000, &first, NULL), KT_OK);
    assert_int_equal(first, 0);
    assert_int_equal(store_suppress_hit(w, &h[3], 1, 3000, &first, NULL), KT_OK);
    assert_int_equal(first, 1); /* n: none listed */
    assert_int_equal(store_suppress_remove(w, h[1], NULL), KT_OK);
    assert_int_equal(store_suppress_hit(w, h, 2, 3000, &first, NULL), KT_OK);
    assert_int_equal(first, 2);
    assert_int_equal(store_suppress_remove(w, h[3], NULL), KT_OK); /* not listed: no error */
    bool held = false;
    assert_int_equal(store_card_number_held(w, "2000000000008", h[2], &held, NULL), KT_OK);
    assert_true(held); /* what a card number's hash on the list means */
    wcommit(w);
}

/* ---- behaviour events ----------------------------------------------------------------------- */

static struct event ev(int64_t ck, const char *anon, const char *type, int64_t at, int64_t msg)
{
    return (struct event){
        0, ck, ck ? NULL : "cookie", ck ? NULL : anon, type, at, at, "web", "{\"x\":1}", msg};
}

/* An event is stored once per message id while the id is remembered, and again once the id was
 * forgotten; an event without one is always stored. */
static void events_are_stored_once_per_message_id(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    bool dup = true;
    struct event e = ev(ck, NULL, "page_view", 1000, 77);
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    assert_false(dup);
    e.at = e.received_at = 1500;
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    assert_true(dup);
    struct event plain = ev(ck, NULL, "page_view", 2000, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_event_add(w, &plain, &dup, NULL), KT_OK);
        assert_false(dup);
    }
    int64_t purged = -1;
    assert_int_equal(store_event_ids_purge(w, 1000, 0, 1, &purged, NULL), KT_OK);
    assert_int_equal(purged, 0); /* received at 1000: not before 1000 */
    assert_int_equal(store_event_ids_purge(w, 1001, 0, 1, &purged, NULL), KT_OK);
    assert_int_equal(purged, 1);
    e.at = e.received_at = 3000;
    assert_int_equal(store_event_add(w, &e, &dup, NULL), KT_OK);
    assert_false(dup); /* the id was forgotten */
    wcommit(w);
    struct store_conn *r = rbegin();
    struct event *list;
    size_t n;
    assert_int_equal(store_events_list(r, ck, 0, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 4);
    assert_int_equal(list[0].at, 3000);
    store_read_end(r);
}

/* Anonymous events of a cookie become the customer's when it is adopted (another kind of id with
 * the same value does not); a customer's events come newest first, paged by seq; the counts by
 * type are of what was received in [since, until). */
static void events_are_adopted_listed_and_counted(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    bool dup;
    const struct event es[] = {
        ev(0, "c-1", "page_view", 1000, 0), ev(0, "c-1", "cart_add", 2000, 0),
        ev(0, "c-2", "page_view", 2500, 0), ev(ck, NULL, "purchase", 3000, 0)};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(store_event_add(w, &es[i], &dup, NULL), KT_OK);
    }
    struct event device = ev(0, "c-1", "app_open", 3500, 0);
    device.anon_kind = "device";
    assert_int_equal(store_event_add(w, &device, &dup, NULL), KT_OK);
    int64_t adopted = -1;
    assert_int_equal(store_events_adopt(w, "cookie", "c-1", ck, &adopted, NULL), KT_OK);
    assert_int_equal(adopted, 2);
    assert_int_equal(store_events_adopt(w, "cookie", "c-1", ck, &adopted, NULL), KT_OK);
    assert_int_equal(adopted, 0); /* once */
    assert_int_equal(store_events_adopt(w, "cookie", "c-9", ck, &adopted, NULL), KT_OK);
    assert_int_equal(adopted, 0);
    wcommit(w);

    struct store_conn *r = rbegin();
    struct event *list;
    size_t n;
    assert_int_equal(store_events_list(r, ck, 0, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].type, "purchase");
    assert_string_equal(list[1].type, "cart_add");
    assert_string_equal(list[2].type, "page_view");
    assert_int_equal(list[2].ck, ck);
    assert_string_equal(list[2].channel, "web");
    assert_string_equal(list[2].props, "{\"x\":1}");
    assert_int_equal(list[2].received_at, 1000);
    assert_true(list[0].seq > list[1].seq && list[1].seq > list[2].seq);
    int64_t before = list[0].seq;
    assert_int_equal(store_events_list(r, ck, before, 1, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].type, "cart_add");
    const char **types;
    int64_t *counts;
    assert_int_equal(store_event_counts(r, 1000, 3000, &A, &types, &counts, &n, NULL), KT_OK);
    assert_int_equal(n, 2); /* by type, in order; the purchase at 3000 is not in [1000, 3000) */
    assert_string_equal(types[0], "cart_add");
    assert_int_equal(counts[0], 1);
    assert_string_equal(types[1], "page_view");
    assert_int_equal(counts[1], 2);
    assert_int_equal(store_event_counts(r, 5000, 6000, &A, &types, &counts, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    store_read_end(r);
}

/* A custom event type is declared once and redeclared by name. */
static void event_types_are_redeclared_by_name(void **state)
{
    struct store_conn *w = wbegin();
    struct event_type t = {"quiz", "{\"score\":\"integer\"}", "[]", 1000, 1000};
    assert_int_equal(store_event_type_put(w, &t, NULL), KT_OK);
    struct event_type early = {"alpha", "{}", "[]", 1500, 1500};
    assert_int_equal(store_event_type_put(w, &early, NULL), KT_OK);
    t.properties = "{\"score\":\"integer\",\"level\":\"string\"}";
    t.required = "[\"score\"]";
    t.updated_at = 2000;
    assert_int_equal(store_event_type_put(w, &t, NULL), KT_OK);
    wcommit(w);
    struct store_conn *r = rbegin();
    struct event_type *ts;
    size_t n;
    assert_int_equal(store_event_type_list(r, &A, &ts, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ts[0].name, "alpha");
    assert_string_equal(ts[1].properties, t.properties);
    assert_string_equal(ts[1].required, "[\"score\"]");
    assert_int_equal(ts[1].created_at, 1000);
    assert_int_equal(ts[1].updated_at, 2000);
    store_read_end(r);
}

/* The names of the traits customers hold: each once, by name, none when nobody holds one. */
static void trait_names_are_each_held_name_once(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    const char **names;
    size_t n;
    assert_int_equal(store_trait_names(w, &A, &names, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    int64_t a = test_customer(w), b = test_customer(w);
    struct trait t1 = {"vip_level", "gold", 1000}, t2 = {"life_event", "new_baby", 1000},
                 t3 = {"vip_level", "silver", 1000};
    assert_int_equal(store_trait_put(w, a, &t1, NULL), KT_OK);
    assert_int_equal(store_trait_put(w, a, &t2, NULL), KT_OK);
    assert_int_equal(store_trait_put(w, b, &t3, NULL), KT_OK);
    assert_int_equal(store_trait_names(w, &A, &names, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "life_event");
    assert_string_equal(names[1], "vip_level");
    wcommit(w);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(purchases_round_trip_and_are_found_by_receipt),
        CASE(purchases_of_one_time_page_without_loss),
        CASE(refunds_add_up_on_the_purchase_and_its_lines),
        CASE(purchase_days_are_local_distinct_and_kept),
        CASE(the_ledger_keeps_entries_in_order_and_the_report_sums_them),
        CASE(consent_documents_keep_every_version),
        CASE(consent_and_subscription_events_round_trip),
        CASE(the_suppression_list_answers_the_first_listed),
        CASE(events_are_stored_once_per_message_id),
        CASE(events_are_adopted_listed_and_counted),
        CASE(event_types_are_redeclared_by_name),
        CASE(trait_names_are_each_held_name_once),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
