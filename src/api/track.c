/*
 * track.c - the public routes of a marketing e-mail's feedback (docs/messages.md, "Feedback"):
 *
 *   GET /o/{token}   the open pixel: a 1x1 transparent GIF; the first fetch is an email_open
 *   GET /c/{token}   a tracked link: 302 to the URL the token signed; the first click of each
 *                    link of a message is an email_click
 *
 * The signed token is the only credential (deliver/track.h). One that does not check out is 404
 * `not_found`, as a route that does not exist, and records nothing. A good one is answered
 * whatever the store says - a link in an e-mail must lead where it said even when its message
 * has expired from the outbox or the database is busy - and reads nothing but the outbox row;
 * the reply holds nothing of the customer. A fetch seen before is a read, not a write.
 */
#include "api/api.h"
#include "base/clock.h"
#include "base/log.h"
#include "deliver/feedback.h"
#include "deliver/track.h"

/* The smallest transparent GIF: 1x1, one colour, 43 bytes. */
static const unsigned char pixel[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

/* Records `in` unless it was before; a failure is logged, never the reader's problem. */
static void note(struct http_req *r, const struct feedback_in *in, struct kt_err *err)
{
    struct store_conn *c;
    bool seen = false;
    enum feedback_outcome out;
    if (http_req_reader(r, &c, err) == KT_OK &&
        feedback_seen(c, &r->app->secret, in, r->arena, &seen, err) == KT_OK && seen) {
        return;
    }
    http_req_reader_end(r);
    if (err->rc == KT_OK && store_write_begin(r->app->store, &c, err) == KT_OK) {
        enum kt_rc rc = feedback_record(c, &r->app->secret, in, NULL, in->at, r->arena, &out, err);
        store_write_end(c, rc, err);
    }
    if (err->rc != KT_OK) {
        log_warn("feedback_not_recorded", "rid=%s what=%s code=%s", r->rid,
                 feedback_what_name(in->what), err->code);
    }
}

/* The route of `kind`: its token checked, the feedback noted, the GIF or the redirect. */
static enum kt_rc answer(struct http_req *r, enum track_kind kind, struct kt_err *err)
{
    struct track_token t;
    struct kt_err own;
    kt_err_reset(&own);
    if (!track_token_check(&r->app->secret, r->params[0], kind, r->arena, &t)) {
        return kt_err_set(err, KT_ENOTFOUND, "not_found", NULL, "no such link");
    }
    struct feedback_in in = {.what = kind == TRACK_OPEN ? FEEDBACK_OPEN : FEEDBACK_CLICK,
                             .message_id = t.message_id,
                             .url = t.url,
                             .at = clock_now_ms()};
    note(r, &in, &own);
    if (kind == TRACK_OPEN) {
        http_reply_text(r, 200, "image/gif", (const char *)pixel, sizeof(pixel));
    } else {
        http_reply_redirect(r, t.url);
    }
    return KT_OK;
}

enum kt_rc api_track_open(struct http_req *r, struct kt_err *err)
{
    return answer(r, TRACK_OPEN, err);
}

enum kt_rc api_track_click(struct http_req *r, struct kt_err *err)
{
    return answer(r, TRACK_CLICK, err);
}
