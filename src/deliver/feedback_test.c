/*
 * feedback_test.c - a message's feedback: the pixel's and the links' tokens (made and checked
 * with the key, refused altered, cut, of the other kind or another key; only http(s) URLs, never
 * a control character), the HTML rewritten at send time, and feedback_record against a real
 * store (once per message, the row moved, the event on the customer, a hard bounce's address
 * refused by the policy, a complaint's withdrawal with the message as evidence, unknown and
 * unsent messages). End to end through the server: tests/e2e/test_feedback.py.
 */
#include "helpers.h"

#include "consent/consent.h"
#include "deliver/feedback.h"
#include "deliver/policy.h"
#include "deliver/track.h"

#define ID  "m_0123456789abcdef0123456789abcdef"
#define ID2 "m_ffffffffffffffffffffffffffffffff"

static const struct key_secret K1 = {{1}}, K2 = {{2}};

static void tokens_round_trip_and_refuse_anything_else(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct track_token t;
    const char *o = track_token(&K1, TRACK_OPEN, ID, NULL, &a);
    assert_non_null(o);
    assert_int_equal(strlen(o), 44); /* 33 bytes */
    assert_true(track_token_check(&K1, o, TRACK_OPEN, &a, &t));
    assert_string_equal(t.message_id, ID);
    assert_null(t.url);
    assert_false(track_token_check(&K2, o, TRACK_OPEN, &a, &t));  /* another installation */
    assert_false(track_token_check(&K1, o, TRACK_CLICK, &a, &t)); /* the other route */

    const char *url = "https://shop.example/sale?utm=mail&a=1";
    const char *c = track_token(&K1, TRACK_CLICK, ID, url, &a);
    assert_true(track_token_check(&K1, c, TRACK_CLICK, &a, &t));
    assert_string_equal(t.url, url);
    assert_string_equal(t.message_id, ID);
    assert_false(track_token_check(&K1, c, TRACK_OPEN, &a, &t));
    /* every character altered, and every cut, fails */
    size_t n = strlen(c);
    for (size_t i = 0; i < n; i++) {
        char *x = arena_strdup(&a, c);
        x[i] = x[i] == 'A' ? 'B' : 'A';
        assert_false(track_token_check(&K1, x, TRACK_CLICK, &a, &t));
        assert_false(track_token_check(&K1, arena_strndup(&a, c, i), TRACK_CLICK, &a, &t));
    }
    assert_false(track_token_check(&K1, "", TRACK_OPEN, &a, &t));
    assert_false(track_token_check(&K1, "!!!!", TRACK_OPEN, &a, &t));

    /* only an outbox id, only an http(s) URL of printable ASCII, not too long */
    assert_null(track_token(&K1, TRACK_OPEN, "m_0123", NULL, &a));
    assert_null(track_token(&K1, TRACK_OPEN, "m_0123456789ABCDEF0123456789ABCDEF", NULL, &a));
    const char *bad[] = {"javascript:alert(1)",
                         "//evil.example/",
                         "ftp://x.example/",
                         "https://a.example/b c",
                         "https://a.example/\r\nSet-Cookie: x=1",
                         "http://"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(track_token(&K1, TRACK_CLICK, ID, bad[i], &a));
    }
    char *big = arena_alloc(&a, TRACK_URL_MAX + 10);
    memset(big, 'a', TRACK_URL_MAX + 9);
    memcpy(big, "https://", 8);
    big[TRACK_URL_MAX + 9] = '\0';
    assert_null(track_token(&K1, TRACK_CLICK, ID, big, &a));
    big[TRACK_URL_MAX] = '\0';
    assert_non_null(track_token(&K1, TRACK_CLICK, ID, big, &a));
    /* non-ASCII is percent-encoded before signing; outer white space cut */
    c = track_token(&K1, TRACK_CLICK, ID, " https://магазин.example/скидки\n", &a);
    assert_true(track_token_check(&K1, c, TRACK_CLICK, &a, &t));
    assert_string_equal(t.url, "https://%D0%BC%D0%B0%D0%B3%D0%B0%D0%B7%D0%B8%D0%BD.example/"
                               "%D1%81%D0%BA%D0%B8%D0%B4%D0%BA%D0%B8");
    arena_release(&a);
}

/* The token of the n-th "/c/" link of `html`. */
static const char *nth_click(const char *html, int n, struct arena *a)
{
    const char *p = html;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "/c/");
        assert_non_null(p);
        p += 3;
    }
    return arena_strndup(a, p, strcspn(p, "\""));
}

static void html_gets_the_pixel_and_its_links_tracked(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct track_token t;
    const char *html = "<html><body><p>Скидки</p>"
                       "<a href=\"https://shop.example/a?x=1&amp;y=2\">one</a> "
                       "<A class=b HREF='http://shop.example/b'>two</A> "
                       "<a href=\"mailto:help@shop.example\">mail</a> "
                       "<a href=\"https://kt.example/u/TOKEN\">unsubscribe</a> "
                       "<!-- <a href=\"https://shop.example/c\"> --> "
                       "<a href=\"https://shop.example/&nbsp;\">odd</a>"
                       "</BODY></html>";
    const char *out = track_html(&K1, "https://kt.example", "https://kt.example/u/", ID, html, &a);
    assert_true(track_token_check(&K1, nth_click(out, 0, &a), TRACK_CLICK, &a, &t));
    assert_string_equal(t.url, "https://shop.example/a?x=1&y=2"); /* the escape decoded */
    assert_true(track_token_check(&K1, nth_click(out, 1, &a), TRACK_CLICK, &a, &t));
    assert_string_equal(t.url, "http://shop.example/b");
    assert_non_null(strstr(out, "<A class=b href=\"https://kt.example/c/"));
    assert_non_null(strstr(out, "href=\"mailto:help@shop.example\""));
    assert_non_null(strstr(out, "href=\"https://kt.example/u/TOKEN\"")); /* not tracked */
    assert_non_null(strstr(out, "<!-- <a href=\"https://shop.example/c\"> -->"));
    assert_non_null(strstr(out, "href=\"https://shop.example/&nbsp;\"")); /* left as written */
    const char *img = strstr(out, "<img src=\"https://kt.example/o/");
    assert_non_null(img);
    assert_true(img < strstr(out, "</BODY>"));
    char *tok = arena_strndup(&a, img + strlen("<img src=\"https://kt.example/o/"), 44);
    assert_true(track_token_check(&K1, tok, TRACK_OPEN, &a, &t));
    assert_string_equal(t.message_id, ID);

    /* no body: the pixel at the end; an unclosed quote: copied as it is, no overrun */
    out = track_html(&K1, "https://kt.example", NULL, ID, "<p>hi</p>", &a);
    assert_non_null(strstr(out, "<p>hi</p><img src=\"https://kt.example/o/"));
    out = track_html(&K1, "https://kt.example", NULL, ID, "<a href=\"https://x.example/", &a);
    assert_true(strncmp(out, "<a href=\"https://x.example/", 27) == 0);
    /* nothing to do without an outbox id, or with a base that would break the attribute */
    assert_string_equal(track_html(&K1, "https://kt.example", NULL, "x", html, &a), html);
    assert_string_equal(track_html(&K1, "https://kt.example\"x", NULL, ID, html, &a), html);
    arena_release(&a);
}

/* A sent e-mail (or a queued one when `state` says so) to `to` of a new customer. */
static int64_t sent_message(struct store_conn *w, const char *id, const char *to, const char *state)
{
    int64_t ck = test_customer(w);
    bool created;
    struct outbox_msg m = {.id = id,
                           .ck = ck,
                           .channel = "email",
                           .kind = "marketing",
                           .topic = "news",
                           .recipient = to,
                           .content = "{}",
                           .state = "queued",
                           .next_at = 100,
                           .created_at = 100,
                           .updated_at = 100};
    assert_int_equal(store_outbox_add(w, &m, &created, NULL), KT_OK);
    if (strcmp(state, "queued") != 0) {
        m.state = state;
        m.sent_at = 200;
        assert_int_equal(store_outbox_update(w, &m, NULL), KT_OK);
    }
    return ck;
}

static enum feedback_outcome record(struct store_conn *w, enum feedback_what what, const char *id,
                                    bool hard)
{
    struct feedback_in in = {.what = what,
                             .message_id = id,
                             .hard = hard,
                             .at = 5000,
                             .url = what == FEEDBACK_CLICK ? "https://shop.example/a" : NULL,
                             .reason = "550 5.1.1 <nobody@example.org>: user unknown"};
    struct feedback_by by = {"k_test", "rid-1"};
    enum feedback_outcome out;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = feedback_record(w, &K1, &in, &by, 6000, &A, &out, &err);
    if (rc != KT_OK) {
        fprintf(stderr, "feedback_record(%d): %s %s %s\n", (int)what, err.code, err.msg,
                err.detail);
    }
    assert_int_equal(rc, KT_OK);
    return out;
}

static size_t events_of(struct store_conn *c, int64_t ck, const char *type, const char **props)
{
    struct event *e;
    size_t n = 0, k = 0;
    assert_int_equal(store_events_list(c, ck, 0, 100, &A, &e, &n, NULL), KT_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].type, type) == 0) {
            assert_string_equal(e[i].channel, "message");
            *props = e[i].props;
            k++;
        }
    }
    return k;
}

static void record_once_with_its_consequences(void **state)
{
    (void)state;
    arena_init(&A, 0);
    audit_key_init(&K1); /* the complaint's withdrawal is audited */
    struct store_conn *w = wbegin();
    int64_t ck = sent_message(w, ID, "anna@example.org", "sent");
    const char *props = NULL;

    assert_int_equal(record(w, FEEDBACK_DELIVERED, ID, false), FEEDBACK_RECORDED);
    assert_int_equal(record(w, FEEDBACK_DELIVERED, ID, false), FEEDBACK_DUPLICATE);
    struct outbox_msg m;
    bool found, seen = false;
    assert_int_equal(store_outbox_get(w, ID, &A, &m, &found, NULL), KT_OK);
    assert_string_equal(m.state, "delivered");
    assert_int_equal(events_of(w, ck, "email_delivered", &props), 1);
    assert_string_equal(props, "{\"message_id\":\"" ID "\"}");

    assert_int_equal(record(w, FEEDBACK_OPEN, ID, false), FEEDBACK_RECORDED);
    assert_int_equal(record(w, FEEDBACK_OPEN, ID, false), FEEDBACK_DUPLICATE);
    assert_int_equal(record(w, FEEDBACK_CLICK, ID, false), FEEDBACK_RECORDED);
    assert_int_equal(record(w, FEEDBACK_CLICK, ID, false), FEEDBACK_DUPLICATE);
    struct feedback_in other = {
        .what = FEEDBACK_CLICK, .message_id = ID, .url = "https://shop.example/b", .at = 1};
    assert_int_equal(feedback_seen(w, &K1, &other, &A, &seen, NULL), KT_OK);
    assert_false(seen); /* another link of the message is another click */
    assert_int_equal(events_of(w, ck, "email_open", &props), 1);
    assert_int_equal(events_of(w, ck, "email_click", &props), 1);
    assert_string_equal(props, "{\"message_id\":\"" ID "\",\"url\":\"https://shop.example/a\"}");

    /* a hard bounce: the row bounced with the reason scrubbed, the address refused from now on,
     * transactional messages too */
    assert_int_equal(record(w, FEEDBACK_BOUNCED, ID, true), FEEDBACK_RECORDED);
    assert_int_equal(record(w, FEEDBACK_BOUNCED, ID, true), FEEDBACK_DUPLICATE);
    assert_int_equal(store_outbox_get(w, ID, &A, &m, &found, NULL), KT_OK);
    assert_string_equal(m.state, "bounced");
    assert_string_equal(m.reason, "hard_bounce");
    assert_null(strstr(m.reply_text, "@"));
    assert_int_equal(events_of(w, ck, "message_bounced", &props), 1);
    assert_string_equal(props, "{\"message_id\":\"" ID "\",\"bounce\":\"hard\"}");
    bool gone = false;
    assert_int_equal(store_undeliverable_has(w, "email", "anna@example.org", &gone, NULL), KT_OK);
    assert_true(gone);
    assert_int_equal(store_undeliverable_has(w, "email", "boris@example.org", &gone, NULL), KT_OK);
    assert_false(gone);
    struct outbox_msg next = m;
    next.kind = "transactional";
    struct policy_conf pc = {0};
    struct policy_decision d;
    assert_int_equal(policy_decide(w, &pc, &next, 7000, &A, &d, NULL), KT_OK);
    assert_int_equal(d.verdict, POLICY_REFUSE);
    assert_string_equal(d.reason, "undeliverable");

    /* a complaint: the ads consent of e-mail withdrawn, the message its evidence */
    assert_int_equal(record(w, FEEDBACK_COMPLAINED, ID, false), FEEDBACK_RECORDED);
    assert_int_equal(record(w, FEEDBACK_COMPLAINED, ID, false), FEEDBACK_DUPLICATE);
    assert_int_equal(events_of(w, ck, "spam_complaint", &props), 1);
    struct consent_state *cs;
    size_t n;
    assert_int_equal(consent_states(w, ck, 7000, &A, &cs, &n, NULL), KT_OK);
    const struct consent_state *ads = consent_find(cs, n, "ads", "email");
    assert_string_equal(ads->state, "withdrawn");
    assert_string_equal(ads->last->message_id, ID);
    assert_string_equal(ads->last->source, "complaint");
    assert_string_equal(ads->last->key_id, "k_test");
    assert_int_equal(ads->last->at, 5000);
    assert_string_equal(consent_find(cs, n, "ads", "sms")->state, "not_given");

    /* unknown and never sent */
    assert_int_equal(record(w, FEEDBACK_DELIVERED, ID2, false), FEEDBACK_UNKNOWN);
    sent_message(w, ID2, "vera@example.org", "queued");
    assert_int_equal(record(w, FEEDBACK_OPEN, ID2, false), FEEDBACK_NOT_SENT);
    wcommit(w);
    arena_release(&A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_round_trip_and_refuse_anything_else),
        cmocka_unit_test(html_gets_the_pixel_and_its_links_tracked),
        cmocka_unit_test_setup_teardown(record_once_with_its_consequences, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
