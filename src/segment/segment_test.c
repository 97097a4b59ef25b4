/*
 * segment_test.c - the segment language's parser: the queries of docs/segments.md parse into the
 * tree they mean; wrong ones say where and what was expected, with a caret under the spot. RFM
 * scores, k-means, and the behaviour features clusters are computed from. The compiler: queries
 * become the store's conditions they mean, and run.
 */
#include "helpers.h"

#include <math.h>

#include "segment/cluster.h"
#include "segment/clusters.h"
#include "segment/rfm.h"
#include "segment/segment.h"

static struct seg_node *parse(const char *q)
{
    struct seg_node *n = NULL;
    struct seg_error e;
    if (!segment_parse(q, &A, &n, &e)) {
        fail_msg("'%s' did not parse: %d:%d %s", q, e.line, e.column, e.message);
    }
    return n;
}

static void the_documented_queries_parse(void **state)
{
    (void)state;
    arena_init(&A, 0);
    static const char *const ok[] = {
        "gender = \"f\" and age between 25 and 40",
        "city in (\"Москва\", \"Казань\")",
        "has email",
        "events(page_view, last 30 days) >= 2",
        "events(email_open) > 1 and events(social_share) >= 1",
        "events(product_view where sku = \"A-1\", last 7 days) >= 3 and not events(cart_add, "
        "last 7 days)",
        "purchases(last 90 days).count >= 3",
        "purchases(last 365 days).sum > 50000",
        "days since last purchase > 90",
        "purchases().average >= 1500",
        "points.balance > 500",
        "(has email or has phone) and not (gender = \"m\")",
        "birth_date between \"1980-01-01\" and \"1989-12-31\"",
        "bought(category \"Подгузники\", last 60 days)",
        "bought(sku \"A-1\")",
        "birthday within 7 days",
        "pets contains \"cat\" and loyalty_level >= 2",
        "consent(ads, sms) and subscribed(promo, email) and profile complete",
        "consent(pd_processing) and not consent(third_party_transfer)",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_non_null(parse(ok[i]));
    }
    struct seg_node *n = parse("events(page_view, last 30 days) >= 2 and has email or age < 18");
    assert_int_equal(n->kind, SEG_OR); /* and binds tighter than or */
    assert_int_equal(n->a->kind, SEG_AND);
    assert_int_equal(n->a->a->kind, SEG_EVENTS);
    assert_string_equal(n->a->a->type, "page_view");
    assert_int_equal(n->a->a->days, 30);
    assert_int_equal(n->a->a->op, OP_GE);
    assert_int_equal(n->a->a->value.number, 2);
    assert_int_equal(n->b->kind, SEG_AGE);
    n = parse("not events(cart_add)");
    assert_int_equal(n->kind, SEG_NOT);
    assert_int_equal(n->a->op, OP_GE); /* events(...) alone means at least one */
    assert_int_equal(n->a->value.number, 1);
    n = parse("age between 25 and 40");
    assert_int_equal(n->kind, SEG_AND);
    assert_int_equal(n->a->op, OP_GE);
    assert_int_equal(n->b->value.number, 40);
    arena_release(&A);
}

static void errors_say_where_and_what(void **state)
{
    (void)state;
    arena_init(&A, 0);
    static const struct {
        const char *q;
        int line, column;
        const char *message;
    } bad[] = {
        {"", 1, 1, "the query is empty"},
        {"gender = ", 1, 10, "expected a \"string\" or a number"},
        {"Shoe_size > 40", 1, 1, "expected a condition"},
        {"shoe_size 40", 1, 11, "expected a comparison or 'contains'"},
        {"bought(colour \"red\")", 1, 8, "expected category or sku"},
        {"birthday within 400 days", 1, 10, "a birthday is within 0-366 days"},
        {"consent(ads)", 1, 12, "expected ',' and a channel"},
        {"consent(marketing, sms)", 1, 9, "expected a purpose"},
        {"subscribed(promo, fax)", 1, 19, "expected a channel"},
        {"has email and\n  events(page_view, last 30 dayz) > 1", 2, 29, "expected 'days'"},
        {"events(page_view", 1, 17, "expected ')'"},
        {"city = \"Москва\" or", 1, 19, "expected a condition"},
        {"city = \"Москва", 1, 8, "a string is not closed with \""},
        {"has email has phone", 1, 11, "expected 'and', 'or' or the end"},
        {"purchases(last 0 days).count > 1", 1, 11, "a window is 1-36600 days"},
        {"points.total > 1", 1, 8, "expected 'balance'"},
        {"age between \"a\" and 3", 1, 1, "an age is a whole number"},
        {"gender ~ \"f\"", 1, 8, "unexpected character"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct seg_node *n;
        struct seg_error e;
        assert_false(segment_parse(bad[i].q, &A, &n, &e));
        if (e.line != bad[i].line || e.column != bad[i].column ||
            strncmp(e.message, bad[i].message, strlen(bad[i].message)) != 0) {
            fail_msg("'%s': got %d:%d '%s'", bad[i].q, e.line, e.column, e.message);
        }
    }
    struct seg_node *n;
    struct seg_error e;
    assert_false(segment_parse("has email and\n  events(page_view, last 30 dayz) > 1", &A, &n, &e));
    assert_string_equal(e.caret, "  events(page_view, last 30 dayz) > 1\n"
                                 "                            ^");
    char deep[200];
    memset(deep, '(', 100);
    memcpy(deep + 100, "has email", sizeof("has email"));
    assert_false(segment_parse(deep, &A, &n, &e));
    assert_non_null(strstr(e.message, "nested"));
    arena_release(&A);
}

/* The explanation says what each condition means, with the parentheses the tree has. */
static void queries_are_explained_in_words(void **state)
{
    (void)state;
    arena_init(&A, 0);
    static const char *const cases[][2] = {
        {"city = \"Москва\" and (has email or age >= 30)",
         "Покупатели, у которых город = «Москва» и (e-mail указан или возраст ≥ 30 лет)"},
        {"events(page_view, last 30 days) >= 2 and not consent(ads, sms)",
         "Покупатели, у которых событий «page_view» за последние 30 дн. ≥ 2 и не согласие ads по "
         "каналу sms дано сейчас"},
        {"purchases(last 90 days).sum > 5000 or bought(sku \"A-1\")",
         "Покупатели, у которых сумма чеков "
         "за последние 90 дн. > 5000 ₽ или "
         "покупал товар «A-1» за всё время"},
        {"in segment \"vip\" and trait rfm_group = \"champions\"",
         "Покупатели, у которых в сегменте «vip» (на его последнее обновление) и признак "
         "rfm_group = «champions»"},
        {"not (gender = \"m\" and points.balance < 10)",
         "Покупатели, у которых не (пол = «m» и баланс баллов < 10)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_string_equal(segment_explain(parse(cases[i][0]), &A), cases[i][1]);
    }
    arena_release(&A);
}

/* Quintiles keep ties together; every pair of scores has its group. */
static void rfm_scores_and_groups(void **state)
{
    (void)state;
    enum { N = 10 };
    struct rfm_row rows[N];
    int64_t day = 86400000LL, now = 100 * day;
    for (int i = 0; i < N; i++) {
        rows[i] = (struct rfm_row){i + 1, "c", now - (i / 2) * day, 1 + i, 100 * (i < 5 ? 1 : i)};
    }
    struct rfm_score sc[N];
    rfm_score(rows, N, now, sc);
    /* recency: pairs of equal days; the two most recent have none more recent -> 5 */
    assert_int_equal(sc[0].r, 5);
    assert_int_equal(sc[1].r, 5);
    assert_int_equal(sc[9].r, 1);
    assert_int_equal(sc[0].f, 1); /* frequency 1..10: 0 worse */
    assert_int_equal(sc[9].f, 5); /* 9 worse: 1 + 45/10 */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sc[i].m, 1); /* five equal amounts, none worse */
    }
    assert_int_equal(sc[5].m, 3); /* five below: 1 + 25/10 */
    const char *seen[RFM_GROUPS] = {0};
    for (int r = 1; r <= 5; r++) {
        for (int f = 1; f <= 5; f++) {
            const char *g = rfm_group(r, f);
            assert_non_null(g);
            for (int k = 0; k < RFM_GROUPS; k++) {
                if (strcmp(rfm_groups[k], g) == 0) {
                    seen[k] = g;
                }
            }
        }
    }
    for (int k = 0; k < RFM_GROUPS; k++) {
        assert_non_null(seen[k]); /* every named group is reachable */
    }
    assert_string_equal(rfm_group(5, 5), "champions");
    assert_string_equal(rfm_group(1, 1), "lost");
    assert_string_equal(rfm_group(2, 5), "can't lose them");
}

/* The README tour's walk: the only customer, who bought today, was "lost" (recency scored by
 * the customers worse than her: none). The most recent day scores 5 however many share it. */
static void rfm_recent_buyers_are_not_lost(void **state)
{
    (void)state;
    int64_t day = 86400000LL, now = 100 * day;
    struct rfm_row one = {1, "c", now - 3600 * 1000, 1, 17980};
    struct rfm_score sc[10];
    rfm_score(&one, 1, now, sc);
    assert_int_equal(sc[0].r, 5);
    assert_int_equal(sc[0].f, 1);
    assert_string_equal(sc[0].group, "new"); /* bought today, once */
    /* Ten customers, four of them today (a tie over 40%), the others 1..6 days ago. */
    struct rfm_row rows[10];
    for (int i = 0; i < 10; i++) {
        rows[i] = (struct rfm_row){i + 1, "c", now - (i < 4 ? 0 : i - 3) * day, 1, 100};
    }
    rfm_score(rows, 10, now, sc);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sc[i].r, 5); /* nobody more recent */
        assert_int_equal(sc[i].f, 1); /* everyone bought once: one-time buyers score 1 */
    }
    assert_int_equal(sc[4].r, 3); /* 4 more recent of 10: 5 - floor(20 / 10) */
    assert_int_equal(sc[9].r, 1); /* 9 more recent: 5 - floor(45 / 10) */
    /* Two customers, distinct: the more recent scores 5, the other 3. */
    rfm_score(rows + 3, 2, now, sc);
    assert_int_equal(sc[0].r, 5);
    assert_int_equal(sc[1].r, 3);
}

/* Three well-separated blobs are found whatever the seed; the silhouette says they are apart. */
static void kmeans_finds_separate_groups(void **state)
{
    (void)state;
    enum { N = 300, D = 2 };
    double x[N * D];
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        int g = i % 3;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double jitter = (double)(s >> 40) / (double)(1ULL << 24) - 0.5;
        x[i * D] = g * 10.0 + jitter;
        x[i * D + 1] = (g == 1 ? 5.0 : 0.0) - jitter;
    }
    cluster_standardise(x, N, D);
    struct kmeans_result km;
    kmeans(x, N, D, 3, 5, 7, &km);
    for (int i = 3; i < N; i++) {
        assert_int_equal(km.labels[i], km.labels[i % 3]); /* same blob, same cluster */
    }
    assert_int_not_equal(km.labels[0], km.labels[1]);
    assert_int_not_equal(km.labels[1], km.labels[2]);
    assert_int_equal(km.sizes[0] + km.sizes[1] + km.sizes[2], N);
    double sil = cluster_silhouette(x, N, D, km.labels, 3, 1000, 1);
    assert_true(sil > 0.9);
    struct kmeans_result one;
    kmeans(x, N, D, 1, 1, 7, &one);
    assert_true(one.inertia > 10 * km.inertia); /* one centre explains much less */
    kmeans_free(&km);
    kmeans_free(&one);
    double flat[4] = {3, 1, 3, 2};
    cluster_standardise(flat, 2, 2); /* a constant column becomes 0, not NaN */
    assert_true(flat[0] == 0 && flat[2] == 0);
    assert_true(flat[1] < 0 && flat[3] > 0);
}

static const struct store_cond *compile(const char *q, int64_t now)
{
    const struct store_cond *c = segment_compile(parse(q), now, &A);
    assert_non_null(c);
    return c;
}

#define MAR_15_2024 1710504000000LL /* 2024-03-15T12:00:00Z */
#define FEB_27_2023 1677499200000LL /* 2023-02-27T12:00:00Z, not a leap year */
#define DAY         (86400LL * 1000)

/* What the words mean is decided in compile.c, once for every backend: ages become birth dates
 * on the day, windows times, roubles kopecks, numbers compared with profile values text, and
 * "profile complete" the conditions it is made of. */
static void queries_compile_to_what_they_mean(void **state)
{
    arena_init(&A, 0);
    const struct store_cond *c = compile("age >= 30", MAR_15_2024);
    assert_int_equal(c->kind, COND_FIELD_CMP);
    assert_int_equal(c->field, PF_BIRTH_DATE);
    assert_int_equal(c->cmp, COND_LE);
    assert_string_equal(c->value.text, "1994-03-15");
    c = compile("age < 18", MAR_15_2024); /* born after the day 18 years ago */
    assert_int_equal(c->cmp, COND_GT);
    assert_string_equal(c->value.text, "2006-03-15");
    c = compile("age = 30", MAR_15_2024);
    assert_int_equal(c->kind, COND_AND);
    assert_string_equal(c->a->value.text, "1994-03-15");
    assert_string_equal(c->b->value.text, "1993-03-15");
    c = compile("birthday within 1 days", FEB_27_2023);
    assert_int_equal(c->kind, COND_BIRTHDAY_IN);
    assert_int_equal(c->n_texts, 3); /* Feb 29 birthdays count on Feb 28 in a common year */
    assert_string_equal(c->texts[0], "02-27");
    assert_string_equal(c->texts[1], "02-28");
    assert_string_equal(c->texts[2], "02-29");
    c = compile("purchases(last 30 days).sum > 500", MAR_15_2024);
    assert_int_equal(c->kind, COND_PURCHASES);
    assert_int_equal(c->agg, COND_SUM);
    assert_int_equal(c->value.number, 50000); /* kopecks */
    assert_int_equal(c->since, MAR_15_2024 - 30 * DAY);
    c = compile("purchases().count >= 3", MAR_15_2024);
    assert_int_equal(c->value.number, 3);
    assert_int_equal(c->since, 0); /* all time */
    c = compile("city = 5 or trait level = 3", MAR_15_2024);
    assert_false(c->a->value.is_number); /* profile values and traits are text */
    assert_string_equal(c->a->value.text, "5");
    assert_string_equal(c->b->value.text, "3");
    c = compile("events(view where n = 5) > 1 and loyalty_level >= 2", MAR_15_2024);
    assert_true(c->a->prop_value.is_number); /* JSON numbers stay numbers */
    assert_true(c->b->value.is_number);
    c = compile("profile complete", MAR_15_2024);
    assert_int_equal(c->kind, COND_AND);
    assert_int_equal(c->b->kind, COND_CONSENT);
    assert_string_equal(c->b->name, "pd_processing");
    assert_int_equal(c->b->now, MAR_15_2024);
    assert_int_equal(c->a->b->kind, COND_FIELD_VERIFIED);
    assert_int_equal(c->a->b->field, PF_PHONE);
    c = compile("subscribed(promo, sms)", MAR_15_2024);
    assert_int_equal(c->b->kind, COND_CONSENT);
    assert_string_equal(c->b->name, "ads");
    assert_string_equal(c->b->channel, "sms");
    arena_release(&A);
}

/* Queries of every kind, their strings made of quotes, comments and statements, compile and run
 * on a real store (store_test.c checks the SQL of conditions, fuzz_segment.c of any query). */
static void hostile_queries_compile_and_run(void **state)
{
    static const char *const hostile[] = {
        "city = \"x'); DROP TABLE customers; --\"",
        "city in (\"a' OR '1'='1\", \"\\\" OR 1=1 --\")",
        "events(page_view where url = \"'; DELETE FROM events; --\", last 3 days) >= 1",
        "events(zz_customers_x where x1 = 5) >= 0 and not has email",
        "gender != \"f\" or age between 25 and 40 or age = 30 or age != 31 or age < 18",
        "purchases(last 90 days).count >= 3 or purchases().sum > 50000 or "
        "purchases(last 1 day).average <= 10",
        "days since last purchase > 90 or points.balance >= 500",
        "birth_date between \"1980-01-01\" and \"1989-12-31\"",
        "bought(category \"'); DROP TABLE purchases; --\", last 60 days) or bought(sku \"x\")",
        "birthday within 366 days and pets contains \"' OR 1=1\" and zz_customers_x != 1",
        "consent(ads, sms) and subscribed(\"x'; DROP TABLE topics; --\", email) or "
        "not profile complete or consent(pd_processing)",
        "in segment \"'; DROP TABLE segments; --\" or trait x = \"' OR 1=1\"",
        "has email", /* the tables are still there */
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct store_conn *rd;
        int64_t count = -1;
        const char **ids;
        size_t n_ids;
        assert_int_equal(store_read_begin(T.s, &rd, NULL), KT_OK);
        assert_int_equal(store_segment_preview(rd, compile(hostile[i], 1800000000000LL), 5, &A,
                                               &count, &ids, &n_ids, NULL),
                         KT_OK);
        store_read_end(rd);
        assert_int_equal(count, 0);
    }
}

/* The features of three customers, worked out by hand: recency, receipts, money, the events of
 * 90 days and their shares by channel, the money's shares by the biggest categories. */
static void cluster_features_by_hand(void **state)
{
    (void)state;
    arena_init(&A, 0);
    const int64_t day = 86400LL * 1000, now = 1000 * day;
    struct rfm_row rows[] = {{1, "c_1", now - 9 * day, 3, 30000},
                             {2, "c_2", now - 2 * day - 1, 1, -500}, /* refunded beyond */
                             {5, "c_5", now, 10, 100000}};
    struct feature_row ch[] = {{1, "web", 3},
                               {1, "app", 1},
                               {4, "web", 7} /* not a row */,
                               {5, "social", 2},
                               {5, "pos", 2} /* no column of its own */};
    struct feature_row cat[] = {{1, "milk", 10000},  {1, "bread", 20000}, {5, "milk", 50000},
                                {5, "cheese", 1000}, {5, "tea", 500},     {5, "fish", 400},
                                {5, "salt", 300},    {5, "eggs", 200}};
    struct cluster_features f;
    cluster_features(rows, 3, ch, 5, cat, 8, now, &A, &f);
    assert_int_equal(f.n, 3);
    assert_int_equal(f.n_categories, 5); /* the five biggest of seven */
    assert_int_equal(f.d, 13);
    assert_string_equal(f.categories[0], "milk");
    assert_string_equal(f.categories[1], "bread");
    assert_string_equal(f.categories[4], "fish");
    assert_string_equal(f.names[0], "recency");
    assert_string_equal(f.names[7], "social");
    assert_string_equal(f.names[8], "category milk");
    const double *x = f.x;
    assert_true(fabs(x[0] - log1p(9)) < 1e-12);      /* whole days */
    assert_true(fabs(x[13 + 0] - log1p(2)) < 1e-12); /* 2 days less a millisecond */
    assert_true(fabs(x[1] - log1p(3)) < 1e-12);      /* receipts */
    assert_true(fabs(x[2] - log1p(300.0)) < 1e-12);  /* roubles */
    assert_true(x[13 + 2] == 0);                     /* nothing left after refunds */
    assert_true(fabs(x[3] - log1p(4)) < 1e-12);      /* events of 90 days */
    assert_true(x[4] == 0.75 && x[5] == 0.25 && x[6] == 0 && x[7] == 0); /* web, app */
    assert_true(x[13 + 3] == 0 && x[13 + 4] == 0);                       /* no events, no shares */
    assert_true(fabs(x[26 + 3] - log1p(4)) < 1e-12 && x[26 + 7] == 0.5); /* pos: no column */
    assert_true(fabs(x[8] - 1.0 / 3) < 1e-12 && fabs(x[9] - 2.0 / 3) < 1e-12); /* milk, bread */
    assert_true(x[26 + 8] == 0.5 && x[26 + 9] == 0 && fabs(x[26 + 12] - 0.004) < 1e-12);
    assert_true(x[13 + 8] == 0); /* no money, no shares */
    /* A centre in words: the three strongest of at least half a deviation, strongest first; a
     * category below the mean takes a place but says nothing. */
    double centre[13] = {-0.6, 2.0, 1.0, 0, 0, 0, 0, 0, 0.9, -3.0, 0, 0, 0};
    assert_string_equal(cluster_describe(&f, centre, &A), "buy often, spend much");
    double milk[13] = {0, 0, 0, 0, 0.7, 0, 0, 0, 0.9};
    assert_string_equal(cluster_describe(&f, milk, &A), "buy milk, mostly on the web");
    double quiet[13] = {0.4, -0.49};
    assert_string_equal(cluster_describe(&f, quiet, &A), "close to the average");
    double low[13] = {-0.6, -0.7};
    assert_string_equal(cluster_describe(&f, low, &A), "buy rarely, bought recently");
    cluster_features_release(&f);
    arena_release(&A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_documented_queries_parse),
        cmocka_unit_test(errors_say_where_and_what),
        cmocka_unit_test(queries_are_explained_in_words),
        cmocka_unit_test(rfm_scores_and_groups),
        cmocka_unit_test(rfm_recent_buyers_are_not_lost),
        cmocka_unit_test(kmeans_finds_separate_groups),
        cmocka_unit_test(queries_compile_to_what_they_mean),
        cmocka_unit_test_setup_teardown(hostile_queries_compile_and_run, store_setup,
                                        store_teardown),
        cmocka_unit_test(cluster_features_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
