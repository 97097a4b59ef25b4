/*
 * prefs.h - the customer's preferences and rights (docs/pages.md, "Preferences and rights"): the
 * page an unsubscribe link opens, `/u/{token}` (the token: consent/subs_token, signed, naming the
 * customer and maybe one topic and channel; it does not expire, docs/privacy.md).
 *
 * - the topics as a table of the channels each is sent by, a box per subscription; saving
 *   changes exactly the boxes she changed (subs_set, the API's path), "unsubscribe from all"
 *   leaves every topic on every channel and withdraws the advertising consent of every channel
 *   (consent_record, the API's path);
 * - "what we hold about you": export_customer_doc (the access request's document) made readable,
 *   its contact identifiers masked (the link lives in old messages, which get forwarded);
 * - a request for erasure: a privacy request of kind erasure (privacy_request_open, the API's
 *   path) with its legal deadline, one open at a time;
 * - RFC 8058's one-click POST (`List-Unsubscribe=One-Click`), which mail clients send without any
 *   form token: it stops what the link's token names, every topic when it names none.
 *
 * Every form carries a one-time token (csrf.h) and a honeypot; the callers (api/unsubscribe.c)
 * redirect after a stored form (post-redirect-get).
 */
#ifndef KT_PAGES_PREFS_H
#define KT_PAGES_PREFS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "pages/form.h"
#include "store/model.h"
#include "store/store.h"

#define PAGES_PREFS_FORM "prefs" /* the topics' forms (save, all) */
#define PAGES_ERASE_FORM "erase" /* the erasure request's form */

/* The customer link token `customer_id` names, on `c`: *gone when there is none or she was
 * erased (a merged-away id names its survivor: the same person). */
enum kt_rc pages_prefs_customer(struct store_conn *c, const char *customer_id, struct arena *a,
                                struct customer *cu, bool *gone, struct kt_err *err);

/* The start every form of these pages shares: a write transaction in `*w`, the customer
 * `customer_id` in `cu` (KT_ENOTFOUND customer_not_found when she is gone), the form's token for
 * `form_name` spent (KT_EFORBIDDEN csrf_*). A filled honeypot (`website`) commits the spent token
 * and sets *robot: nothing else is to be done. On any error nothing is left open; otherwise the
 * caller ends `*w`. */
enum kt_rc pages_prefs_begin(struct store *s, const struct key_secret *k, const char *form_name,
                             const char *customer_id, const struct pages_form *form, int64_t now,
                             struct arena *a, struct store_conn **w, struct customer *cu,
                             bool *robot, struct kt_err *err);

/* The preferences page's context for `cu` (`base` the page's path, "/u/<token>"; `done` "saved",
 * "all" or NULL): the table of topics and channels, two fresh form tokens. */
enum kt_rc pages_prefs_view(struct store_conn *c, const struct key_secret *k,
                            const struct customer *cu, const char *base, const char *done,
                            int64_t now, struct arena *a, json_t **ctx, struct kt_err *err);

/* What a form of the preferences page did. */
struct pages_prefs_result {
    const char *done; /* "saved" or "all"; NULL when the form said nothing this page offers */
    int subscribed;   /* subscriptions turned on */
    int unsubscribed; /* subscriptions turned off */
    int withdrawn;    /* advertising consents withdrawn ("all") */
};

/* The form `form` of the customer `customer_id`, in one write transaction: its token spent
 * (KT_EFORBIDDEN, csrf_*), the honeypot empty (else nothing done, KT_OK), then `action`:
 * "save" - each box of `shown` (the page's boxes as rendered, "topic:channel=0|1 ...") whose
 * state she changed is set so, unless it is so already; "all" - every topic off on every channel
 * and each given ads consent withdrawn. KT_ENOTFOUND customer_not_found when she is gone. */
enum kt_rc pages_prefs_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                              const struct pages_form *form, const char *ip, const char *request_id,
                              int64_t now, struct arena *a, struct pages_prefs_result *out,
                              struct kt_err *err);

/* How the form's `shown` (outside input: "topic:channel=0|1" separated by single spaces) says
 * box `value` was rendered: 1 ticked, 0 not, -1 not shown (or `shown` NULL, or malformed there). */
int pages_prefs_shown_as(const char *shown, const char *value);

/* RFC 8058: stops `topic` on `channel` (NULL: every one) for customer `customer_id` with an
 * `unsubscribe` entry in the audit log; nothing for an erased customer. */
enum kt_rc pages_prefs_one_click(struct store *s, const char *customer_id, const char *topic,
                                 const char *channel, const char *request_id, int64_t now,
                                 struct kt_err *err);

/* "What we hold about you": the context of the page for `cu`, from export_customer_doc. */
enum kt_rc pages_prefs_held(struct store_conn *c, const struct customer *cu, const char *base,
                            int64_t now, struct arena *a, json_t **ctx, struct kt_err *err);

/* The erasure page's context: her open erasure request (number, dates), or the form with a fresh
 * token; `error` the message beside the confirmation box, `already` when a second request was
 * refused, `done` after a request was registered. */
enum kt_rc pages_erase_view(struct store_conn *c, const struct key_secret *k,
                            const struct customer *cu, const char *base, const char *error,
                            bool done, bool already, int64_t now, struct arena *a, json_t **ctx,
                            struct kt_err *err);

/* What the erasure form did. */
struct pages_erase_result {
    const char *error; /* the confirmation box was not ticked: its message; nothing stored */
    bool already;      /* an erasure request of hers is open: no second one */
    char id[ID_MAX];   /* the request opened, or the open one */
};

/* The erasure form of customer `customer_id`, in one write transaction: its token spent
 * (KT_EFORBIDDEN), the honeypot empty, the box `confirm` ticked, no erasure request of hers
 * open; then a privacy request of kind erasure, channel web, received today, its deadline the
 * law's (privacy_request_open), and a `request` change in the audit log without a key. */
enum kt_rc pages_erase_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                              const struct pages_form *form, const char *request_id, int64_t now,
                              struct arena *a, struct pages_erase_result *out, struct kt_err *err);

#endif
