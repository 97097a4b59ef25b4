/*
 * join.h - the join form of a join point and its tablet mode (docs/pages.md, "The join form",
 * "The tablet"): `/j/{code}` on the customer's own phone (source channel qr_form), `/t/{code}` on
 * a device at the counter (channel tablet: no autofill, back to an empty form after each
 * submission and after 60 s idle). One form: the phone (required), the standard profile, the
 * declared attributes rendered from their declarations, the topics; the pd_processing box
 * (required, linked to the current document's text, whose hash is the evidence) and ads consent
 * per channel, separate and unticked.
 *
 * A valid form is held (join_pending, its values sealed under the customer's key) and a code goes
 * by SMS through loyalty's one-time codes; the code page (`/j/{code}/confirm/{token}`, a sealed
 * token naming the held form) stores everything in one write transaction through the same
 * identity, cleaning and consent path as the API, enrols her with the phone verified and shows
 * her card (`/j/{code}/card/{token}`, the EAN-13 as SVG).
 *
 * The one-time codes and their SMS belong to a customer (otp_codes and outbox name one, the SMS
 * is sealed under her key): so the form's phone is found or, when nobody holds it, stored alone
 * as a customer pending consent - what the till's enrolment stores - before the code goes; the
 * rest of the form waits for the code (docs/pages-plan.md, "Part 4 (decisions)").
 */
#ifndef KT_PAGES_JOIN_H
#define KT_PAGES_JOIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "pages/form.h"
#include "store/store.h"

#define PAGES_JOIN_TTL_MS  (30 * 60 * 1000LL) /* a held form waits this long for its code */
#define PAGES_CARD_TTL_MS  (60 * 60 * 1000LL) /* the card page's link lives an hour */
#define PAGES_TABLET_IDLE  60                 /* s: the tablet's pages go back to an empty form */
#define PAGES_TABLET_SHOWN 30                 /* s: the tablet shows the card, then the form */

/* What the join pages need of the installation. */
struct pages_join_env {
    const struct key_secret *secret;
    const char *sms_text; /* serve's --sms-text: the code's SMS, {{code}} in it */
};

/* The state of a join point for its form. */
enum pages_jp_state {
    PAGES_JP_OPEN,   /* takes customers */
    PAGES_JP_NONE,   /* no such code */
    PAGES_JP_CLOSED, /* disabled, or no pd_processing document published to consent to */
};

/* Join point `code` (either case) for its form: `*state`, and the join point in `jp` when it
 * exists (its code in the stored case). */
enum kt_rc pages_join_point(struct store_conn *c, const char *code, struct arena *a,
                            enum pages_jp_state *state, struct join_point *jp, struct kt_err *err);

/* The form's context for join point `code` (open): the fields with `form`'s values when the page
 * comes back with `errors` (field -> message, or NULL), the attributes, topics, consent boxes
 * and a fresh form token; `tablet` for /t/. */
enum kt_rc pages_join_view(struct store_conn *c, const struct key_secret *k, const char *code,
                           bool tablet, const struct pages_form *form, const json_t *errors,
                           int64_t now, struct arena *a, json_t **ctx, struct kt_err *err);

/* What a submission did. */
struct pages_join_result {
    json_t *errors;          /* field -> message in Russian (new reference): nothing stored */
    const char *token;       /* the code page's token when the form is held */
    const char *customer_id; /* whose phone it is, when held */
    bool robot;              /* the honeypot was filled: nothing kept, thanked */
};

/* A form posted to join point `code`: the token spent (csrf_*: 403), every value checked before
 * anything is stored (a refusal is `out->errors`, not an error of the call), the consent box
 * required; then in one write transaction the phone's customer found or stored alone (pending
 * consent), the code sent (otp_rate_limited: KT_ELIMIT) and the form held, sealed. The join
 * point closed: KT_ECONFLICT "join_point_disabled" (unknown: KT_ENOTFOUND). `ip` and `ua` are kept
 * as the consent's evidence.
 */
enum kt_rc pages_join_submit(struct store *s, const struct pages_join_env *env, const char *code,
                             bool tablet, const struct pages_form *form, const char *ip,
                             const char *ua, const char *request_id, int64_t now, struct arena *a,
                             struct pages_join_result *out, struct kt_err *err);

/* ---- join_confirm.c: the code page and the card --------------------------------------------- */

/* The held form the code page's `token` names at join point `code`, or *found false (altered,
 * another point's, expired, already used). */
struct pages_join_held {
    const char *id;          /* join_pending.id */
    const char *customer_id; /* the phone's customer */
    bool tablet;
};
enum kt_rc pages_join_held_open(struct store_conn *c, const struct key_secret *k, const char *code,
                                const char *token, int64_t now, struct arena *a,
                                struct pages_join_held *out, bool *found, struct kt_err *err);

/* The code page's context: a fresh form token, `error` beside the field (or NULL). */
json_t *pages_join_code_view(const struct key_secret *k, const char *code, bool tablet,
                             const char *error, int64_t now, struct arena *a);

/* What the code page's submission did. */
struct pages_join_done {
    const char *error;       /* the message beside the code field, or NULL when stored */
    const char *card_token;  /* the card page's token when stored */
    const char *customer_id; /* whose data it stored */
    bool gone;               /* the held form is no more (expired, used): the invalid page */
};

/* The code for the held form `token` names: the form token spent (csrf_*: 403), the code checked
 * by loyalty's rules (a wrong guess counted); right, in one write transaction: the values through
 * ident_decode and ident_upsert (channel qr_form or tablet, the join point's store, the phone
 * verified), the consents with their evidence (form, document and hash, code, address, user
 * agent), the topics, her card (the newest active one or a new virtual one), the welcome bonus
 * and the held form deleted. */
enum kt_rc pages_join_confirm(struct store *s, const struct key_secret *k, const char *code,
                              const char *token, const struct pages_form *form,
                              const char *request_id, int64_t now, struct arena *a,
                              struct pages_join_done *out, struct kt_err *err);

/* The card page's context for `token` at `code` (the card number, its EAN-13 as SVG), or NULL
 * when the token is no good; `*customer_id` names whose card it shows. */
json_t *pages_join_card_view(const struct key_secret *k, const char *code, const char *token,
                             int64_t now, struct arena *a, const char **customer_id);

#endif
