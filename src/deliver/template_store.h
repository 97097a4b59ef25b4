/*
 * template_store.h - stored message templates (docs/messages.md, "Templates"): a PUT body
 * decoded and every part compiled at save time, the versions, the variables a template names
 * that no customer's context holds, and the one context document a template renders against
 * (msg_context_json), which the outbox renders with too.
 */
#ifndef KT_DELIVER_TEMPLATE_STORE_H
#define KT_DELIVER_TEMPLATE_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/err.h"
#include "deliver/deliver.h"
#include "deliver/smtp.h"
#include "auth/keys.h"
#include "store/store.h"
#include "template/template.h"

#define MSG_TPL_PARTS_MAX 3  /* email: subject, html, text */
#define MSG_TPL_NAME_MAX  64 /* bytes of a template's name: [a-z0-9_-] */

/* A stored version, compiled: each part given, in the channel's order. */
struct msg_tpl {
    struct msg_template row;
    size_t n;
    const char *part[MSG_TPL_PARTS_MAX]; /* "subject", "html"... (static) */
    struct template *t[MSG_TPL_PARTS_MAX];
};

/* "email", "sms", "push", NULL. */
extern const char *const msg_channels[];

bool msg_tpl_name_valid(const char *name);

/*
 * Decodes the body of PUT /v1/templates/{name} into `row` (its parts a compact JSON object with
 * sorted keys, in `a`) and compiles every part into `out` (for msg_tpl_release). A part that does
 * not compile is a 422 with the template_* code, `field` the part's name and *pos its line and
 * column; any other error leaves pos at 0.
 */
enum kt_rc msg_tpl_decode(const char *name, const json_t *body, struct arena *a,
                          struct msg_tpl *out, struct template_pos *pos, struct kt_err *err);
/* Compiles a stored row (`row` borrowed: it must outlive `out`). */
enum kt_rc msg_tpl_compile(const struct msg_template *row, struct msg_tpl *out, struct kt_err *err);
void msg_tpl_release(struct msg_tpl *t);

/*
 * Saves `row` in write transaction `w` as the next version of its name, unless the latest
 * version has the same channel and parts: then `row` becomes that version and *added is false.
 * row->created_at and key_id are the caller's.
 */
enum kt_rc msg_tpl_save(struct store_conn *w, struct msg_template *row, struct arena *a,
                        bool *added, struct kt_err *err);

/* The variables of `t` that no context holds: [{"field", "name", "line", "column"}] (a new
 * reference). Known are the profile's fields, `customer_id`, declared attributes
 * (`attributes.<name>`), `traits.*`, `points.balance`, `points.pending`, `points.next_expiry`
 * (`.date`, `.points`), `store.*` (`code`, `title`, `city`, `time_zone`) and all of `context.*`;
 * inside a section a name may also be the section's own member. */
enum kt_rc msg_tpl_unknown_vars(struct store_conn *c, const struct msg_tpl *t, struct arena *a,
                                json_t **out, struct kt_err *err);

/* What a message's links are made with: the installation secret and the privacy settings'
 * public_url, read once by the caller (NULL members: no links). */
struct msg_links {
    const struct key_secret *k;
    const char *public_url;
};

/*
 * The context a template renders against for customer `cu` at `now` (a new object): the profile's
 * fields at the top (`first_name`...), `customer_id`, `attributes`, `traits`, `points`
 * {balance, pending, next_expiry {date, points}} with the date in the customer's local time,
 * `store` (their home store), `wallet` {apple, google}, her wallet card's links (docs/wallet.md)
 * when `links` has both members, and `context`, the message's own (a copy of `context`, or {}).
 */
enum kt_rc msg_context_json(struct store_conn *c, const struct customer *cu, const json_t *context,
                            const struct msg_links *links, int64_t now, struct arena *a,
                            json_t **out, struct kt_err *err);

/* An SMS text's {"length", "parts", "encoding"} (sms_parts). */
json_t *msg_sms_json(const char *text);

/* Renders every part against `ctx`: {"parts": {...}, "warnings": [...], and for SMS "sms":
 * {"length", "parts", "encoding"}} (a new reference in *out). */
enum kt_rc msg_tpl_render_json(const struct msg_tpl *t, const json_t *ctx, struct arena *a,
                               json_t **out, struct kt_err *err);

/* A test send (template_send.c): the message's id, its address, and the channels' settings
 * (all borrowed). */
struct msg_test {
    const char *id;               /* [A-Za-z0-9._+=-]: carried in Message-ID or the webhook's id */
    const char *to;               /* an e-mail address, or the push service's device or user */
    const struct smtp_opts *smtp; /* NULL or url NULL: no SMTP server */
    const char *push_url;         /* or NULL */
    const char *webhook_secret;   /* KARTOTEKA_WEBHOOK_SECRET */
};

/* Sends the rendered `parts` (msg_tpl_render_json's) of `t` once through its channel; the
 * channel's answer is in *res. Refused before sending: 409 smtp_not_configured or
 * push_not_configured, 422 invalid_email (`to`), 422 channel_not_testable (SMS). */
/* The refusals of msg_tpl_test_send alone, before anything is rendered or read. */
enum kt_rc msg_tpl_test_check(const struct msg_tpl *t, const struct msg_test *m,
                              struct kt_err *err);
enum kt_rc msg_tpl_test_send(const struct msg_tpl *t, const json_t *parts, const struct msg_test *m,
                             int64_t now, struct deliver_result *res, struct kt_err *err);

/* A version as the API shows it; the parts with `with_parts`. New reference. */
json_t *msg_template_json(struct arena *a, const struct msg_template *row, bool with_parts);

#endif
