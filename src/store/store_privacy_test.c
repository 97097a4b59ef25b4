/*
 * store_privacy_test.c - the store contract, part three: the records of issue 19's privacy work -
 * acts of destruction (append-only, completed and signed once, purged after their term) and
 * blocks of a customer's data (one in force, memberships ended, the history kept). Parts one and
 * two are store_test.c and store_records_test.c; the cases speak only store.h, and every backend
 * must pass them.
 */
#include "helpers.h"

#include "base/id.h"

/* ---- acts of destruction --------------------------------------------------------------------- */

static struct destruction_act act_draft(int64_t at)
{
    struct destruction_act x;
    memset(&x, 0, sizeof(x));
    id_new(x.id, sizeof(x.id), "a_");
    x.customer_id = "c_00000000000000000001";
    x.at = at;
    x.reason = "request";
    x.categories = "[\"profile.phone\"]";
    x.system = "Kartoteka test";
    x.log_extract = "[]";
    x.expires_at = at + 1000;
    x.method = "secure_delete_wal";
    x.information_system = "ИСПДн";
    return x;
}

/* A draft is completed once, a complete act signed once, and an act deleted only by the purge
 * after its term. */
static void acts_are_completed_signed_and_purged_once(void **state)
{
    struct destruction_act d = act_draft(1000), got, *list;
    size_t n;
    struct kt_err err;
    kt_err_reset(&err);
    bool found = true;
    struct store_conn *w = wbegin();
    assert_int_equal(store_act_insert(w, &d, NULL), KT_OK);
    assert_int_equal(store_act_drafts(w, NULL, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_act_sign(w, d.id, "sig", 3, 1500, &found, &err), KT_OK);
    assert_false(found); /* a draft has nothing to sign */
    d.data_operator = "{\"address\":\"a\",\"name\":\"n\"}";
    d.destroyed_by = "[{\"name\":\"p\",\"position\":\"q\"}]";
    d.completed_at = 1200;
    d.document = "{}";
    d.document_sha256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    assert_int_equal(store_act_complete(w, &d, NULL), KT_OK);
    assert_int_equal(store_act_complete(w, &d, &err), KT_ENOTFOUND); /* once */
    assert_string_equal(err.code, "act_not_found");
    assert_int_equal(store_act_drafts(w, NULL, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_act_sign(w, d.id, "s\0g", 3, 1500, &found, NULL), KT_OK);
    assert_true(found);
    assert_int_equal(store_act_sign(w, d.id, "again", 5, 1600, &found, NULL), KT_OK);
    assert_false(found); /* once */
    wcommit(w);
    struct store_conn *r = rbegin();
    assert_int_equal(store_act_get(r, d.id, &A, &got, NULL), KT_OK);
    assert_string_equal(got.document, "{}");
    assert_string_equal(got.destroyed_by, d.destroyed_by);
    assert_int_equal(got.completed_at, 1200);
    assert_int_equal(got.signed_at, 1500);
    assert_int_equal(got.expires_at, 2000);
    const void *sig;
    size_t len;
    assert_int_equal(store_act_signature(r, d.id, &A, &sig, &len, NULL, NULL), KT_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(sig, "s\0g", 3);
    assert_int_equal(store_act_expired(r, 1999, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_act_expired(r, 2000, 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    store_read_end(r);
    w = wbegin(); /* before its term the schema refuses; at it the act goes */
    assert_int_not_equal(store_act_purge(w, d.id, 1999, NULL), KT_OK);
    store_write_rollback(w);
    w = wbegin();
    assert_int_equal(store_act_purge(w, d.id, 2000, NULL), KT_OK);
    assert_int_equal(store_act_purge(w, d.id, 2000, &err), KT_ENOTFOUND);
    wcommit(w);
    r = rbegin();
    assert_int_equal(store_act_get(r, d.id, &A, &got, &err), KT_ENOTFOUND);
    assert_int_equal(store_act_signature(r, d.id, &A, &sig, &len, &found, NULL), KT_OK);
    assert_false(found);
    store_read_end(r);
}

/* ---- blocks (152-FZ art. 21) ---------------------------------------------------------------- */

static struct customer_block block_of(int64_t ck, int64_t at)
{
    struct customer_block b;
    memset(&b, 0, sizeof(b));
    id_new(b.id, sizeof(b.id), "b_");
    b.ck = ck;
    b.customer_id = "c_x";
    b.reason = "accuracy_disputed";
    b.privacy_request_id = "r_x";
    b.note = "disputed";
    b.blocked_at = at;
    b.key_id = "k1";
    return b;
}

static int64_t members_now(const char *segment_id)
{
    struct store_conn *r = rbegin();
    struct segment_member *m;
    size_t n;
    assert_int_equal(store_segment_members(r, segment_id, 0, 100, &A, &m, &n, NULL), KT_OK);
    store_read_end(r);
    return (int64_t)n;
}

/* One block in force per customer, found by the check every use makes; a block ends the
 * customer's memberships at once and keeps them out of new ones; ended, it stays in the
 * history with its outcome, and the customer may enter again. */
static void a_block_is_one_in_force_ends_memberships_and_is_kept(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w), other = test_customer(w), changed = 0;
    struct segment sg = {.name = "all", .query = "has phone", .created_at = 1000};
    id_new(sg.id, sizeof(sg.id), "s_");
    assert_int_equal(store_segment_put(w, &sg, NULL), KT_OK);
    int64_t cks[2] = {ck, other};
    assert_int_equal(store_segment_enter(w, sg.id, cks, 2, 1000, &changed, NULL), KT_OK);
    assert_int_equal(changed, 2);
    struct customer_block b = block_of(ck, 2000), again = block_of(ck, 2001), got;
    assert_int_equal(store_block_insert(w, &b, NULL), KT_OK);
    wcommit(w);
    assert_int_equal(members_now(sg.id), 1); /* left at the block */
    w = wbegin();
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(store_block_insert(w, &again, &err), KT_ECONFLICT);
    assert_string_equal(err.code, "already_blocked");
    store_write_rollback(w);
    w = wbegin();
    bool blocked = false, found = false;
    assert_int_equal(store_block_in_force(w, ck, &blocked, NULL), KT_OK);
    assert_true(blocked);
    assert_int_equal(store_block_in_force(w, other, &blocked, NULL), KT_OK);
    assert_false(blocked);
    assert_int_equal(store_block_get(w, ck, &A, &got, &found, NULL), KT_OK);
    assert_true(found && strcmp(got.id, b.id) == 0 && got.unblocked_at == 0);
    assert_string_equal(got.privacy_request_id, "r_x");
    assert_int_equal(store_block_get(w, other, &A, &got, &found, NULL), KT_OK);
    assert_false(found);
    /* A refresh racing the block cannot put the customer back. */
    assert_int_equal(store_segment_enter(w, sg.id, cks, 1, 2500, &changed, NULL), KT_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(store_block_end(w, ck, 3000, "rectified", "fixed", "k2", NULL, NULL), KT_OK);
    kt_err_reset(&err);
    assert_int_equal(store_block_end(w, ck, 3001, "accurate", NULL, NULL, NULL, &err),
                     KT_ENOTFOUND);
    assert_string_equal(err.code, "not_blocked");
    found = true;
    assert_int_equal(store_block_end(w, ck, 3001, "accurate", NULL, NULL, &found, NULL), KT_OK);
    assert_false(found);
    assert_int_equal(store_block_in_force(w, ck, &blocked, NULL), KT_OK);
    assert_false(blocked);
    assert_int_equal(store_block_insert(w, &again, NULL), KT_OK); /* a new dispute, a new block */
    assert_int_equal(store_block_end(w, ck, 4000, "lawful", NULL, NULL, NULL, NULL), KT_OK);
    assert_int_equal(store_segment_enter(w, sg.id, cks, 1, 4500, &changed, NULL), KT_OK);
    assert_int_equal(changed, 1); /* unblocked, it takes part again */
    wcommit(w);
    struct store_conn *r = rbegin();
    struct customer_block *bs;
    size_t n;
    assert_int_equal(store_block_list(r, ck, &A, &bs, &n, NULL), KT_OK);
    store_read_end(r);
    assert_int_equal(n, 2);
    assert_string_equal(bs[0].id, b.id);
    assert_int_equal(bs[0].unblocked_at, 3000);
    assert_string_equal(bs[0].outcome, "rectified");
    assert_string_equal(bs[0].outcome_note, "fixed");
    assert_string_equal(bs[0].unblock_key_id, "k2");
    assert_string_equal(bs[1].outcome, "lawful");
    assert_int_equal(members_now(sg.id), 2);
}

/* The segments a customer is in now (the console's customer page): by name, with when they
 * entered; one left is not among them, nor is another customer's. */
static void a_customers_segments_are_those_it_is_in_now(void **state)
{
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w), other = test_customer(w), changed = 0;
    struct segment sg[3] = {{.name = "zeta", .query = "has phone", .created_at = 1000},
                            {.name = "alpha", .query = "has phone", .created_at = 1000},
                            {.name = "left", .query = "has phone", .created_at = 1000}};
    for (int i = 0; i < 3; i++) {
        id_new(sg[i].id, sizeof(sg[i].id), "s_");
        assert_int_equal(store_segment_put(w, &sg[i], NULL), KT_OK);
        assert_int_equal(store_segment_enter(w, sg[i].id, &ck, 1, 1000 + i, &changed, NULL), KT_OK);
    }
    assert_int_equal(store_segment_enter(w, sg[0].id, &other, 1, 1500, &changed, NULL), KT_OK);
    assert_int_equal(store_segment_leave(w, sg[2].id, &ck, 1, 2000, &changed, NULL), KT_OK);
    wcommit(w);
    struct store_conn *r = rbegin();
    struct customer_segment *in;
    size_t n;
    assert_int_equal(store_customer_segments(r, ck, &A, &in, &n, NULL), KT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(in[0].name, "alpha");
    assert_string_equal(in[0].id, sg[1].id);
    assert_int_equal(in[0].entered_at, 1001);
    assert_string_equal(in[1].name, "zeta");
    assert_int_equal(in[1].entered_at, 1000);
    assert_int_equal(store_customer_segments(r, other + 1000, &A, &in, &n, NULL), KT_OK);
    assert_int_equal(n, 0);
    store_read_end(r);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(acts_are_completed_signed_and_purged_once),
        CASE(a_block_is_one_in_force_ends_memberships_and_is_kept),
        CASE(a_customers_segments_are_those_it_is_in_now),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
