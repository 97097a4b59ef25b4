/*
 * doc_test.c - a journey's document (docs/journeys.md): every kind of entry and step decoded
 * into what the engine reads, the defaults, every refusal with its code and the JSON path of
 * the bad node, the graph's checks (a reference to no step, an unreachable step, a cycle with
 * and without a wait, a journey that sends and enters on its own feedback), and the checks
 * against a real store: templates and versions, topics and their channels, saved segments,
 * event types and their properties, computed traits.
 */
#include <dirent.h>

#include "helpers.h"

#include "journey/journey.h"

/* Test documents are written with ' for " (C strings of JSON read badly otherwise). */
static json_t *doc(const char *text)
{
    char *s = arena_strdup(&A, text);
    for (char *p = s; *p; p++) {
        *p = *p == '\'' ? '"' : *p;
    }
    json_error_t je;
    json_t *body = json_loads(s, JSON_DECODE_ANY, &je);
    if (body == NULL) {
        fail_msg("bad test JSON at %d: %s", je.position, je.text);
    }
    return body;
}

static struct journey_doc decode(const char *text)
{
    json_t *body = doc(text);
    struct journey_doc d;
    struct kt_err err;
    kt_err_reset(&err);
    if (journey_doc_decode(body, &A, &d, &err) != KT_OK) {
        fail_msg("refused: %s at %s: %s", err.code, err.field, err.msg);
    }
    json_decref(body);
    return d;
}

static void refused(const char *text, const char *code, const char *field)
{
    json_t *body = doc(text);
    struct journey_doc d;
    struct kt_err err;
    kt_err_reset(&err);
    assert_int_equal(journey_doc_decode(body, &A, &d, &err), KT_EINVAL);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0) {
        fail_msg("%s: want %s at '%s', got %s at '%s' (%s)", text, code, field, err.code, err.field,
                 err.msg);
    }
    json_decref(body);
}

/* The members given, joined by commas, between `open` and `close` (in A). */
static const char *join(const char *open, const char *const *parts, const char *close)
{
    const char *s = open;
    for (size_t i = 0; parts[i] != NULL; i++) {
        s = arena_printf(&A, "%s%s%s", s, i ? "," : "", parts[i]);
    }
    return arena_printf(&A, "%s%s", s, close);
}

#define CART       "'entry':{'event':{'type':'cart_add'},'key':'cart'}"
#define SEND       "{'send':{'template':'t','topic':'promo'}}"
#define ONE_STEP   "'steps':[" SEND "]"
#define J(...)     join("{'name':'j',", (const char *const[]){__VA_ARGS__, NULL}, "}")
#define STEPS(...) J(CART, join("'steps':[", (const char *const[]){__VA_ARGS__, NULL}, "]"))

static void every_entry_kind_decodes(void **state)
{
    (void)state;
    struct journey_doc d =
        decode(J("'entry':{'event':{'type':'cart_add','where':{'category':'books','quantity':2,"
                 "'gift':true}},'key':'cart'}",
                 ONE_STEP));
    assert_int_equal(d.entry.kind, JE_EVENT);
    assert_string_equal(d.entry.event.type, "cart_add");
    assert_string_equal(d.entry.key, "cart");
    assert_int_equal(d.entry.event.n_where, 3);
    assert_string_equal(d.entry.event.where[0].name, "category");
    assert_string_equal(d.entry.event.where[0].v.text, "books");
    assert_true(d.entry.event.where[1].v.is_number);
    assert_int_equal(d.entry.event.where[1].v.number, 2);
    assert_false(d.entry.event.where[1].is_bool);
    assert_true(d.entry.event.where[2].is_bool);
    assert_int_equal(d.entry.event.where[2].v.number, 1);
    assert_int_equal(d.reentry, JR_NEVER);
    assert_int_equal(d.control_pct, 0);

    d = decode(J("'entry':{'segment':{'segment':'vip','on':'leave'}}", ONE_STEP));
    assert_int_equal(d.entry.kind, JE_SEGMENT);
    assert_string_equal(d.entry.segment, "vip");
    assert_true(d.entry.on_leave);
    d = decode(J("'entry':{'segment':{'segment':'vip'}}", ONE_STEP));
    assert_false(d.entry.on_leave);

    d = decode(J("'entry':{'date':{'field':'birthday','days_before':7,'at':'10:00'}}", ONE_STEP));
    assert_int_equal(d.entry.kind, JE_DATE);
    assert_int_equal(d.entry.date, JD_BIRTHDAY);
    assert_int_equal(d.entry.days_before, 7);
    assert_int_equal(d.entry.at_minute, 600);
    d = decode(
        J("'entry':{'date':{'field':'points_expiry','days_before':14,'at':'23:59'}}", ONE_STEP));
    assert_int_equal(d.entry.date, JD_POINTS_EXPIRY);
    assert_int_equal(d.entry.at_minute, 23 * 60 + 59);
    d = decode(J("'entry':{'date':{'field':'enrolled','at':'00:00'}}", ONE_STEP));
    assert_int_equal(d.entry.date, JD_ENROLLED);
    assert_int_equal(d.entry.days_before, 0);

    d = decode(
        J("'entry':{'daily':{'query':'days since last purchase > 90','at':'09:30'}}", ONE_STEP));
    assert_int_equal(d.entry.kind, JE_DAILY);
    assert_string_equal(d.entry.query, "days since last purchase > 90");
    assert_int_equal(d.entry.at_minute, 570);

    d = decode(J("'entry':{'replenish':{'by':'category','days_before':3}}", ONE_STEP));
    assert_int_equal(d.entry.kind, JE_REPLENISH);
    assert_string_equal(d.entry.key, "category");
    assert_int_equal(d.entry.days_before, 3);

    d = decode(
        J("'entry':{'lapse':{'factor':1.5,'query':'trait rfm_group = \\'at_risk\\''}}", ONE_STEP));
    assert_int_equal(d.entry.kind, JE_LAPSE);
    assert_int_equal(d.entry.factor_pct, 150);
    assert_non_null(d.entry.query);
    d = decode(J("'entry':{'lapse':{'factor':2}}", ONE_STEP));
    assert_int_equal(d.entry.factor_pct, 200);
    assert_null(d.entry.query);
}

static void reentry_control_and_exits(void **state)
{
    (void)state;
    struct journey_doc d = decode(J(CART, "'reentry':{'after_days':7}", "'control_percent':10",
                                    "'exits':[{'name':'bought','purchase':true},"
                                    "{'name':'paid','event':{'type':'checkout_start'},"
                                    "'same_key':true}]",
                                    ONE_STEP));
    assert_int_equal(d.reentry, JR_AFTER);
    assert_int_equal(d.reentry_after_ms, 7 * 86400000LL);
    assert_int_equal(d.control_pct, 10);
    assert_int_equal(d.n_exits, 2);
    assert_true(d.exits[0].purchase);
    assert_string_equal(d.exits[0].name, "bought");
    assert_false(d.exits[1].purchase);
    assert_string_equal(d.exits[1].event.type, "checkout_start");
    assert_true(d.exits[1].same_key);
    d = decode(J(CART, "'reentry':'always'", ONE_STEP));
    assert_int_equal(d.reentry, JR_ALWAYS);
    d = decode(J(CART, "'reentry':'never'", ONE_STEP));
    assert_int_equal(d.reentry, JR_NEVER);
}

static void every_step_kind_decodes(void **state)
{
    (void)state;
    struct journey_doc d = decode(STEPS(
        "{'id':'w','wait':{'hours':1}}",                             /* 0 */
        "{'wait':{'until':'10:00','weekdays':['mon','fri','sun']}}", /* 1 */
        "{'wait':{'until_date':'birthday','at':'10:00'}}",           /* 2 */
        "{'id':'wf','wait_for':{'event':{'type':'email_open'},'timeout':{'days':2},"
        "'then':'b','otherwise':'s'}}",                                                  /* 3 */
        "{'id':'b','branch':{'if':'points.balance > 100','then':'sp','otherwise':'s'}}", /* 4 */
        "{'id':'sp','split':[{'percent':30,'next':'s'},{'percent':70,'next':'p'}]}",     /* 5 */
        "{'id':'s','send':{'template':'t','version':2,'topic':'promo'}}",                /* 6 */
        "{'id':'p','points':{'points':500,'days':14,'reason':'birthday'}}",              /* 7 */
        "{'coupon':{'percent':10,'days':2}}",                                            /* 8 */
        "{'coupon':{'kopecks':30000,'days':5}}",                                         /* 9 */
        "{'trait':{'name':'life_event','value':'baby'},'next':'r'}",                     /* 10 */
        "{'id':'r','send':{'template':'receipt','transactional':true}}",                 /* 11 */
        "{'id':'x','webhook':{'event':'crm_task'}}",                                     /* 12 */
        "{'wait_for':{'query':'purchases(last 7 days).count > 0','timeout':{'minutes':90}}}",
        "{'exit':{'name':'done_here'}}"));
    assert_int_equal(d.n_steps, 15);
    const struct journey_step *s = d.steps;
    assert_string_equal(s[0].id, "w");
    assert_string_equal(s[0].path, "steps[0]");
    assert_int_equal(s[0].kind, JS_WAIT);
    assert_int_equal(s[0].wait, JW_DURATION);
    assert_int_equal(s[0].duration_ms, 3600000);
    assert_int_equal(s[0].next, 1);
    assert_string_equal(s[1].id, "step-2"); /* 1-based */
    assert_int_equal(s[1].wait, JW_TIME_OF_DAY);
    assert_int_equal(s[1].at_minute, 600);
    assert_int_equal(s[1].weekdays, 1u | 1u << 4 | 1u << 6);
    assert_int_equal(s[2].wait, JW_DATE);
    assert_int_equal(s[2].date, JD_BIRTHDAY);
    assert_int_equal(s[3].kind, JS_WAIT_FOR);
    assert_string_equal(s[3].event.type, "email_open");
    assert_int_equal(s[3].duration_ms, 2 * 86400000LL);
    assert_int_equal(s[3].then, 4);
    assert_int_equal(s[3].next, 6);
    assert_int_equal(s[4].kind, JS_BRANCH);
    assert_string_equal(s[4].query, "points.balance > 100");
    assert_int_equal(s[4].then, 5);
    assert_int_equal(s[4].next, 6);
    assert_int_equal(s[5].kind, JS_SPLIT);
    assert_int_equal(s[5].n_ways, 2);
    assert_int_equal(s[5].ways[0], 6);
    assert_int_equal(s[5].share[0], 30);
    assert_int_equal(s[5].ways[1], 7);
    assert_int_equal(s[5].share[1], 70);
    assert_int_equal(s[6].kind, JS_SEND);
    assert_string_equal(s[6].template, "t");
    assert_int_equal(s[6].version, 2);
    assert_string_equal(s[6].topic, "promo");
    assert_false(s[6].transactional);
    assert_int_equal(s[7].kind, JS_POINTS);
    assert_int_equal(s[7].points, 500);
    assert_int_equal(s[7].days, 14);
    assert_string_equal(s[7].reason, "birthday");
    assert_int_equal(s[8].kind, JS_COUPON);
    assert_int_equal(s[8].percent, 10);
    assert_int_equal(s[8].days, 2);
    assert_int_equal(s[9].kopecks, 30000);
    assert_int_equal(s[10].kind, JS_TRAIT);
    assert_string_equal(s[10].name, "life_event");
    assert_string_equal(s[10].value, "baby");
    assert_int_equal(s[10].next, 11);
    assert_true(s[11].transactional);
    assert_null(s[11].topic);
    assert_int_equal(s[12].kind, JS_WEBHOOK);
    assert_string_equal(s[12].name, "crm_task");
    assert_int_equal(s[13].kind, JS_WAIT_FOR);
    assert_string_equal(s[13].query, "purchases(last 7 days).count > 0");
    assert_int_equal(s[13].duration_ms, 90 * 60000LL);
    assert_int_equal(s[13].then, 14); /* both ways default to the following step */
    assert_int_equal(s[13].next, 14);
    assert_int_equal(s[14].kind, JS_EXIT);
    assert_string_equal(s[14].name, "done_here");
    assert_int_equal(s[14].next, -1);
    /* the last step's next is the end of the run */
    d = decode(J(CART, ONE_STEP));
    assert_int_equal(d.steps[0].next, -1);
}

static void members_are_refused_with_their_path(void **state)
{
    (void)state;
    refused("[]", "wrong_type", "");
    refused(J(CART, ONE_STEP, "'colour':1"), "unknown_field", "colour");
    refused("{" CART "," ONE_STEP "}", "missing_field", "name");
    refused(J(CART), "missing_field", "steps");
    refused(J(CART, "'steps':[]"), "invalid_value", "steps");
    refused(J(ONE_STEP), "missing_field", "entry");
    refused(J("'entry':{}", ONE_STEP), "journey_invalid", "entry");
    refused(J("'entry':{'event':{'type':'cart_add'},'daily':{'query':'has phone','at':'10:00'}}",
              ONE_STEP),
            "journey_invalid", "entry");
    refused(J("'entry':{'date':{'field':'birthday','at':'10:00'},'key':'cart'}", ONE_STEP),
            "journey_invalid", "entry.key");
    refused(J("'entry':{'event':{'type':'Cart'}}", ONE_STEP), "invalid_value", "entry.event.type");
    refused(J("'entry':{'event':{'type':'cart_add','where':{'sku':1.5}}}", ONE_STEP), "wrong_type",
            "entry.event.where.sku");
    refused(J("'entry':{'event':{'type':'cart_add','where':{'sku':['a']}}}", ONE_STEP),
            "wrong_type", "entry.event.where.sku");
    refused(J("'entry':{'event':{'type':'cart_add','where':{'a':1,'b':1,'c':1,'d':1,'e':1,'f':1,"
              "'g':1,'h':1,'i':1}}}",
              ONE_STEP),
            "too_many", "entry.event.where");
    refused(J("'entry':{'event':{'type':'cart_add','colour':1}}", ONE_STEP), "unknown_field",
            "entry.event.colour");
    refused(J("'entry':{'date':{'field':'birthday','at':'24:00'}}", ONE_STEP), "invalid_value",
            "entry.date.at");
    refused(J("'entry':{'date':{'field':'birthday','at':'9:00'}}", ONE_STEP), "invalid_value",
            "entry.date.at");
    refused(J("'entry':{'date':{'field':'name_day','at':'09:00'}}", ONE_STEP), "invalid_value",
            "entry.date.field");
    refused(J("'entry':{'date':{'field':'birthday'}}", ONE_STEP), "missing_field", "entry.date.at");
    refused(J("'entry':{'daily':{'query':'age >','at':'09:00'}}", ONE_STEP), "syntax_error",
            "entry.daily.query");
    refused(J("'entry':{'lapse':{'factor':0.5}}", ONE_STEP), "invalid_value", "entry.lapse.factor");
    refused(J("'entry':{'lapse':{'factor':'2'}}", ONE_STEP), "wrong_type", "entry.lapse.factor");
    refused(J("'entry':{'replenish':{'by':'brand'}}", ONE_STEP), "invalid_value",
            "entry.replenish.by");
    refused(J("'entry':{'segment':{'segment':'vip','on':'stay'}}", ONE_STEP), "invalid_value",
            "entry.segment.on");
    refused(J(CART, "'reentry':'sometimes'", ONE_STEP), "invalid_value", "reentry");
    refused(J(CART, "'reentry':{'after_days':0}", ONE_STEP), "invalid_value", "reentry.after_days");
    refused(J(CART, "'reentry':5", ONE_STEP), "wrong_type", "reentry");
    refused(J(CART, "'control_percent':95", ONE_STEP), "invalid_value", "control_percent");
    refused(
        J(CART, "'exits':[{'name':'a','purchase':true},{'name':'a','purchase':true}]", ONE_STEP),
        "duplicate_value", "exits[1].name");
    refused(J(CART, "'exits':[{'name':'a','purchase':true,'event':{'type':'search'}}]", ONE_STEP),
            "journey_invalid", "exits[0]");
    refused(J(CART, "'exits':[{'name':'a','purchase':false}]", ONE_STEP), "invalid_value",
            "exits[0].purchase");
    refused(J(CART, "'exits':[{'name':'A b','purchase':true}]", ONE_STEP), "invalid_value",
            "exits[0].name");
    refused(J("'entry':{'event':{'type':'cart_add'}}",
              "'exits':[{'name':'a','event':{'type':'search'},'same_key':true}]", ONE_STEP),
            "journey_invalid", "exits[0].same_key");
}

static void steps_are_refused_with_their_path(void **state)
{
    (void)state;
    refused(STEPS("{'wait':{'hours':1},'send':{'template':'t','topic':'p'}}"), "journey_invalid",
            "steps[0]");
    refused(STEPS("{'id':'a'}"), "journey_invalid", "steps[0]");
    refused(STEPS(SEND, "{'wait':{}}"), "journey_invalid", "steps[1].wait");
    refused(STEPS("{'wait':{'hours':1,'days':1}}"), "journey_invalid", "steps[0].wait");
    refused(STEPS("{'wait':{'days':401}}"), "invalid_value", "steps[0].wait.days");
    refused(STEPS("{'wait':{'minutes':0}}"), "invalid_value", "steps[0].wait.minutes");
    refused(STEPS("{'wait':{'hours':1,'weekdays':['mon']}}"), "journey_invalid", "steps[0].wait");
    refused(STEPS("{'wait':{'until':'10:00','weekdays':['mon','xyz']}}"), "invalid_value",
            "steps[0].wait.weekdays[1]");
    refused(STEPS("{'wait':{'until':'10:00','weekdays':['mon','mon']}}"), "duplicate_value",
            "steps[0].wait.weekdays[1]");
    refused(STEPS("{'wait':{'until_date':'birthday'}}"), "missing_field", "steps[0].wait.at");
    refused(STEPS("{'wait_for':{'event':{'type':'search'}}}"), "missing_field",
            "steps[0].wait_for.timeout");
    refused(STEPS("{'wait_for':{'event':{'type':'search'},'timeout':{'weeks':1}}}"),
            "unknown_field", "steps[0].wait_for.timeout.weeks");
    refused(STEPS("{'wait_for':{'timeout':{'hours':1}}}"), "journey_invalid", "steps[0].wait_for");
    refused(STEPS("{'branch':{'if':'age > 18 and'}}"), "syntax_error", "steps[0].branch.if");
    refused(STEPS("{'send':{'template':'t'}}"), "missing_field", "steps[0].send.topic");
    refused(STEPS("{'send':{'template':'t','topic':'promo','channel':'sms'}}"), "unknown_field",
            "steps[0].send.channel");
    refused(STEPS("{'coupon':{'percent':10,'kopecks':100,'days':2}}"), "journey_invalid",
            "steps[0].coupon");
    refused(STEPS("{'coupon':{'percent':100,'days':2}}"), "invalid_value",
            "steps[0].coupon.percent");
    refused(STEPS("{'coupon':{'percent':10}}"), "missing_field", "steps[0].coupon.days");
    refused(STEPS("{'points':{'points':0}}"), "invalid_value", "steps[0].points.points");
    refused(STEPS("{'trait':{'name':'Life','value':'x'}}"), "invalid_value", "steps[0].trait.name");
    refused(STEPS("{'split':[{'percent':50,'next':'a'},{'percent':40,'next':'a'}]},"
                  "{'id':'a','exit':{'name':'x'}}"),
            "journey_invalid", "steps[0].split");
    refused(STEPS("{'split':[{'percent':50,'next':'a'},{'percent':50}]},"
                  "{'id':'a','exit':{'name':'x'}}"),
            "missing_field", "steps[0].split[1].next");
    refused(STEPS("{'split':[{'percent':100,'next':'a'}]},{'id':'a','exit':{'name':'x'}}"),
            "invalid_value", "steps[0].split");
    refused(STEPS("{'branch':{'if':'has phone'},'next':'a'},{'id':'a','exit':{'name':'x'}}"),
            "journey_invalid", "steps[0].next");
    refused(STEPS("{'exit':{'name':'x'},'next':'a'},{'id':'a','exit':{'name':'x'}}"),
            "journey_invalid", "steps[0].next");
    refused(STEPS("{'id':'Bad id','wait':{'hours':1}}"), "invalid_value", "steps[0].id");
}

static void the_graph_is_checked(void **state)
{
    (void)state;
    /* a reference to no step, with the path of the reference */
    refused(STEPS(SEND, SEND, SEND, "{'branch':{'if':'has phone','then':'nowhere'}}"),
            "step_not_found", "steps[3].branch.then");
    refused(STEPS("{'wait':{'hours':1},'next':'gone'}"), "step_not_found", "steps[0].next");
    refused(STEPS("{'split':[{'percent':50,'next':'step-1'},{'percent':50,'next':'zz'}]}"),
            "step_not_found", "steps[0].split[1].next");
    /* two steps of one id; an id given that is another's default */
    refused(STEPS("{'id':'a','wait':{'hours':1}}", "{'id':'a','exit':{'name':'x'}}"),
            "duplicate_step", "steps[1].id");
    refused(STEPS(SEND, "{'id':'step-1','exit':{'name':'x'}}"), "duplicate_step", "steps[1].id");
    /* after an exit, nothing is reached; a branch whose both ways skip a step */
    refused(STEPS(SEND, "{'exit':{'name':'x'}}", SEND), "journey_unreachable", "steps[2]");
    refused(STEPS("{'branch':{'if':'has phone','then':'c','otherwise':'c'}}", SEND,
                  "{'id':'c','exit':{'name':'x'}}"),
            "journey_unreachable", "steps[1]");
    /* a cycle without a wait: named at the reference that closes it */
    refused(STEPS("{'id':'a','send':{'template':'t','topic':'p'}}",
                  "{'branch':{'if':'has phone','then':'a','otherwise':'e'}}",
                  "{'id':'e','exit':{'name':'x'}}"),
            "journey_cycle", "steps[1].branch.then");
    refused(STEPS("{'id':'a','points':{'points':1},'next':'a'}"), "journey_cycle", "steps[0].next");
    /* the same cycle with a wait on it is a loop in time, allowed */
    struct journey_doc d =
        decode(STEPS("{'id':'a','send':{'template':'t','topic':'p'}}", "{'wait':{'days':30}}",
                     "{'branch':{'if':'has phone','then':'a','otherwise':'e'}}",
                     "{'id':'e','exit':{'name':'x'}}"));
    assert_int_equal(d.steps[2].then, 0);
    d = decode(STEPS("{'id':'a','wait_for':{'event':{'type':'search'},'timeout':{'days':1},"
                     "'then':'s','otherwise':'a'}}",
                     "{'id':'s','send':{'template':'t','topic':'p'},'next':'a'}"));
    assert_int_equal(d.steps[0].next, 0);
    assert_int_equal(d.steps[1].next, 0);
}

static void a_journey_must_not_feed_itself(void **state)
{
    (void)state;
    static const char *const feedback[] = {"email_open",       "email_click",     "email_delivered",
                                           "sms_delivered",    "message_bounced", "spam_complaint",
                                           "message_delivered"};
    for (size_t i = 0; i < sizeof(feedback) / sizeof(feedback[0]); i++) {
        const char *entry = arena_printf(&A, "'entry':{'event':{'type':'%s'}}", feedback[i]);
        refused(J(entry, ONE_STEP), "journey_loop", "entry.event.type");
        /* without a send step it feeds nothing */
        decode(J(entry, "'steps':[{'trait':{'name':'opens','value':'yes'}}]"));
    }
    /* waiting for an open after a send is not a loop: the wait is once per visit */
    decode(STEPS(SEND, "{'wait_for':{'event':{'type':'email_open'},'timeout':{'days':1}}}", SEND));
}

/* ---- against the store --------------------------------------------------------------------- */

static void fixtures(void)
{
    struct store_conn *w = wbegin();
    test_template(w, "cart-reminder", "Корзина", "Вы кое-что забыли.");
    struct topic promo = {"promo", "Акции", NULL, "[\"email\"]", 1000, 1000};
    struct topic sms = {"sms-news", "Новости", NULL, "[\"sms\"]", 1000, 1000};
    assert_int_equal(store_topic_put(w, &promo, NULL), KT_OK);
    assert_int_equal(store_topic_put(w, &sms, NULL), KT_OK);
    struct segment sg = {.name = "vip", .query = "has phone", .created_at = 1000};
    id_new(sg.id, sizeof(sg.id), "s_");
    assert_int_equal(store_segment_put(w, &sg, NULL), KT_OK);
    assert_int_equal(store_trait_def_put(w, "book_lover", "bought(category \"books\")", 1000, NULL),
                     KT_OK);
    wcommit(w);
}

static void checked(const char *text, const char *code, const char *field)
{
    struct journey_doc d = decode(text);
    struct store_conn *r = rbegin();
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = journey_doc_check(r, &d, &A, &err);
    store_read_end(r);
    if (code == NULL) {
        if (rc != KT_OK) {
            fail_msg("%s: refused %s at '%s' (%s)", text, err.code, err.field, err.msg);
        }
        return;
    }
    assert_int_equal(rc, KT_EINVAL);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0) {
        fail_msg("%s: want %s at '%s', got %s at '%s' (%s)", text, code, field, err.code, err.field,
                 err.msg);
    }
}

#define OK_SEND "{'send':{'template':'cart-reminder','topic':'promo'}}"

static void the_store_checks(void **state)
{
    (void)state;
    fixtures();
    checked(J(CART,
              "'exits':[{'name':'bought','purchase':true},{'name':'paid','event':{'type':"
              "'checkout_start'},'same_key':true}]",
              "'steps':[{'wait':{'hours':1}}," OK_SEND "]"),
            NULL, NULL);
    checked(STEPS("{'send':{'template':'cart-gone','topic':'promo'}}"), "template_not_found",
            "steps[0].send.template");
    checked(STEPS("{'send':{'template':'cart-reminder','version':2,'topic':'promo'}}"),
            "template_not_found", "steps[0].send.version");
    checked(STEPS("{'send':{'template':'cart-reminder','version':1,'topic':'promo'}}"), NULL, NULL);
    checked(STEPS("{'send':{'template':'cart-reminder','topic':'news'}}"), "topic_not_found",
            "steps[0].send.topic");
    checked(STEPS("{'send':{'template':'cart-reminder','topic':'sms-news'}}"),
            "channel_not_in_topic", "steps[0].send.topic");
    checked(STEPS("{'send':{'template':'cart-reminder','transactional':true}}"), NULL, NULL);
    checked(J("'entry':{'segment':{'segment':'vip'}}", "'steps':[" OK_SEND "]"), NULL, NULL);
    checked(J("'entry':{'segment':{'segment':'nobody'}}", "'steps':[" OK_SEND "]"),
            "segment_not_found", "entry.segment.segment");
    checked(J("'entry':{'event':{'type':'cart_abandon'}}", "'steps':[" OK_SEND "]"), "unknown_type",
            "entry.event.type");
    checked(J("'entry':{'event':{'type':'cart_add','where':{'colour':'red'}}}",
              "'steps':[" OK_SEND "]"),
            "unknown_property", "entry.event.where.colour");
    checked(J("'entry':{'event':{'type':'cart_add','where':{'sku':5}}}", "'steps':[" OK_SEND "]"),
            "wrong_type", "entry.event.where.sku");
    checked(J("'entry':{'event':{'type':'search'},'key':'cart'}", "'steps':[" OK_SEND "]"),
            "unknown_property", "entry.key");
    checked(J(CART, "'exits':[{'name':'x','event':{'type':'search'},'same_key':true}]",
              "'steps':[" OK_SEND "]"),
            "unknown_property", "exits[0].same_key");
    checked(J(CART, "'exits':[{'name':'x','event':{'type':'serach'}}]", "'steps':[" OK_SEND "]"),
            "unknown_type", "exits[0].event.type");
    checked(STEPS("{'wait_for':{'event':{'type':'nope'},'timeout':{'days':1}}}", OK_SEND),
            "unknown_type", "steps[0].wait_for.event.type");
    checked(STEPS("{'trait':{'name':'rfm_group','value':'x'}}"), "trait_reserved",
            "steps[0].trait.name");
    checked(STEPS("{'trait':{'name':'lifetime_value','value':'x'}}"), "trait_reserved",
            "steps[0].trait.name");
    checked(STEPS("{'trait':{'name':'book_lover','value':'x'}}"), "trait_reserved",
            "steps[0].trait.name");
    checked(STEPS("{'trait':{'name':'life_event','value':'baby'}}"), NULL, NULL);
    checked(STEPS("{'branch':{'if':'in segment \\'vip\\' and trait book_lover = \\'true\\''}}",
                  OK_SEND),
            NULL, NULL);
    /* a trait a condition names: computed, defined, held by a customer, set by a step of this
       journey or of another one; else trait_not_found */
    checked(STEPS("{'branch':{'if':'trait vip_level = \\'gold\\''}}", OK_SEND), "trait_not_found",
            "steps[0].branch.if");
    checked(J("'entry':{'daily':{'query':'has phone and trait vip_level = \\'gold\\'',"
              "'at':'10:00'}}",
              "'steps':[" OK_SEND "]"),
            "trait_not_found", "entry.daily.query");
    checked(STEPS("{'branch':{'if':'trait rfm_group = \\'at risk\\''}}", OK_SEND), NULL, NULL);
    checked(STEPS("{'trait':{'name':'vip_level','value':'gold'}}",
                  "{'branch':{'if':'trait vip_level = \\'gold\\''}}", OK_SEND),
            NULL, NULL);
    checked(STEPS("{'branch':{'if':'trait loyal_tier = \\'2\\''}}", OK_SEND), "trait_not_found",
            "steps[0].branch.if");
    struct store_conn *w = wbegin();
    int64_t ck = test_customer(w);
    struct trait held = {.name = "loyal_tier", .value = "2", .computed_at = 1000};
    assert_int_equal(store_trait_put(w, ck, &held, NULL), KT_OK);
    struct journey_row other = {"other", "Другое", "draft", 1, 0, 1000, 1000, 0};
    struct journey_version v = {
        "other", 1,
        "{\"name\":\"x\",\"entry\":{\"event\":{\"type\":\"search\"}},"
        "\"steps\":[{\"trait\":{\"name\":\"seen_search\",\"value\":\"yes\"}}]}",
        1000, NULL};
    assert_int_equal(store_journey_put(w, &other, NULL), KT_OK);
    assert_int_equal(store_journey_version_add(w, &v, NULL), KT_OK);
    wcommit(w);
    checked(STEPS("{'branch':{'if':'trait loyal_tier = \\'2\\''}}", OK_SEND), NULL, NULL);
    checked(STEPS("{'wait_for':{'query':'trait seen_search = \\'yes\\'','timeout':{'days':1}}}",
                  OK_SEND),
            NULL, NULL);
    checked(J("'entry':{'daily':{'query':'phone = \\'+79990000000\\'','at':'10:00'}}",
              "'steps':[" OK_SEND "]"),
            "field_sealed", "entry.daily.query");
}

/* The recipes of docs/samples/journeys decode (the store's checks are test_journey_docs.py's). */
static void the_recipes_decode(void **state)
{
    (void)state;
    const char *root = getenv("KT_SOURCE_DIR");
    const char *dir = arena_printf(&A, "%s/docs/samples/journeys", root ? root : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        json_error_t je;
        json_t *body = json_load_file(arena_printf(&A, "%s/%s", dir, e->d_name), 0, &je);
        assert_non_null(body);
        struct journey_doc doc;
        struct kt_err err;
        kt_err_reset(&err);
        if (journey_doc_decode(body, &A, &doc, &err) != KT_OK) {
            fail_msg("%s: %s at %s: %s", e->d_name, err.code, err.field, err.msg);
        }
        json_decref(body);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 8);
}

int main(void)
{
#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)
    const struct CMUnitTest tests[] = {
        CASE(every_entry_kind_decodes),
        CASE(reentry_control_and_exits),
        CASE(every_step_kind_decodes),
        CASE(members_are_refused_with_their_path),
        CASE(steps_are_refused_with_their_path),
        CASE(the_graph_is_checked),
        CASE(a_journey_must_not_feed_itself),
        CASE(the_store_checks),
        CASE(the_recipes_decode),
    };
#undef CASE
    return cmocka_run_group_tests(tests, NULL, NULL);
}
