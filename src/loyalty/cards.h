/*
 * cards.h - loyalty cards and their states, and the one-time codes that prove a phone
 * (docs/loyalty.md). Functions taking `w` run inside the caller's write transaction.
 *
 * States: a physical card is `issued` in a batch and becomes `active` when bound to a customer;
 * a virtual card is born `active`. An active card may be `blocked` (lost: receipts by it are
 * refused), `replaced` by another (the balance belongs to the customer, so it stays) or
 * `unbound`. A bound card is also the customer's "card" identifier; numbers are never reused.
 */
#ifndef KT_LOYALTY_CARDS_H
#define KT_LOYALTY_CARDS_H

#include "auth/keys.h"
#include "loyalty/loyalty.h"
#include "store/store.h"

#define CARD_BATCH_MAX 10000
#define OTP_TTL_MS     (5 * 60 * 1000)
#define OTP_ATTEMPTS   5

/*
 * Issuing takes the next numbers of the programme's range that nobody holds: numbers a card, a
 * customer's card identifier or the suppression list (keyed with `k`) has are skipped, and the
 * counter never goes back, so a number is issued at most once (card_range_exhausted when the
 * range is used up).
 *
 * card_issue_virtual issues a virtual card to `ck`, active at once; it refuses (KT_ECONFLICT
 * "card_limit") when the customer has the programme's maximum of active cards already.
 * card_issue_batch prints `count` physical cards of a batch (state issued, bound later) into
 * `out`, in the order of the range.
 */
enum kt_rc card_issue_virtual(struct store_conn *w, const struct key_secret *k,
                              const struct loyalty_rules *r, int64_t ck, int64_t now,
                              struct arena *a, struct card *out, struct kt_err *err);
enum kt_rc card_issue_batch(struct store_conn *w, const struct key_secret *k,
                            const struct loyalty_rules *r, const char *batch, int64_t count,
                            int64_t now, struct arena *a, struct card **out, struct kt_err *err);

/* card_issue_batch in a write transaction of its own under the programme in force, with its
 * audit entry ("batch N cards", and " (via)" when `via` names another way in than the API). */
enum kt_rc card_batch_print(struct store *s, const struct key_secret *k, const char *batch,
                            int64_t count, const char *key_id, const char *request_id,
                            const char *via, int64_t now, struct arena *a, struct card **out,
                            struct kt_err *err);

/* Binds an issued physical card to `ck` (card_unknown, card_not_bindable, card_limit; card_held
 * when another customer holds its number as an identifier). */
enum kt_rc card_bind(struct store_conn *w, const struct loyalty_rules *r, const char *number,
                     int64_t ck, int64_t now, struct arena *a, struct card *out,
                     struct kt_err *err);

/* block / unbind an active card (block also a blocked one's reason); replace an active or
 * blocked card with an issued physical card (`with`) or a new virtual one (`with` NULL). */
enum kt_rc card_set_state(struct store_conn *w, const char *number, const char *state,
                          const char *reason, int64_t now, struct arena *a, struct card *out,
                          struct kt_err *err);
enum kt_rc card_replace(struct store_conn *w, const struct key_secret *k,
                        const struct loyalty_rules *r, const char *number, const char *with,
                        const char *reason, int64_t now, struct arena *a, struct card *old,
                        struct card *now_card, struct kt_err *err);

/* Whether a receipt may name this card: KT_OK for an active card or a card identifier the
 * programme did not issue (imported); card_blocked, card_inactive, card_unknown otherwise. */
enum kt_rc card_check(struct store_conn *c, const char *number, struct arena *a,
                      struct kt_err *err);

/* The card as the API shows it (new reference). */
json_t *card_json(struct arena *a, const struct card *cd, const char *customer_id);

/* ---- enrolment limits -------------------------------------------------------------------- */

/* Enrolments (requests that created a customer or issued a card) allowed in any hour, by one API
 * key and at one store; 0 = no limit. A leaked cash-desk key cannot fill the base or use up the
 * card range. The defaults are `serve --enrol-per-key` and `--enrol-per-store`. */
struct enrol_limits {
    int64_t per_key;   /* per key per hour */
    int64_t per_store; /* per store per hour */
};
#define ENROL_WINDOW_MS (3600 * 1000)

/* Admits one enrolment by `key_id` (or NULL) at `store` (or NULL) and records it; KT_ELIMIT
 * "enrol_rate_limited" (field "store" for the store's limit) with err->retry_after, the seconds
 * until the oldest enrolment counted leaves the hour, when the key or the store is at its limit. */
enum kt_rc enrol_admit(struct store_conn *w, const struct enrol_limits *l, const char *key_id,
                       const char *store, int64_t now, struct kt_err *err);

/* ---- one-time codes ---------------------------------------------------------------------- */

/* Makes a code for `phone` (standard form) of customer `ck`, under the programme's send limits
 * (KT_ELIMIT "otp_rate_limited", with err->retry_after), and queues the SMS with `text` where
 * {{code}} and {{card}} are replaced in the outbox (origin "otp:<otp_id>", transactional, the
 * codes' priority, expiring with the code). `otp_id` gets the code's id. */
enum kt_rc otp_send(struct store_conn *w, const struct key_secret *k, const struct loyalty_rules *r,
                    int64_t ck, const char *phone, const char *card, const char *text,
                    const char *key_id, int64_t now, struct arena *a, char otp_id[ID_MAX],
                    struct kt_err *err);

/* Checks a code for `phone`: no_code, code_expired, code_used, code_attempts_exceeded (after
 * OTP_ATTEMPTS wrong tries; err->retry_after is the code's time left), code_wrong (counted: the
 * caller commits even on this error, see `*count`). On success `out` is the verified code. */
enum kt_rc otp_verify(struct store_conn *w, const struct key_secret *k, const char *phone,
                      const char *code, int64_t now, struct arena *a, struct otp_code *out,
                      bool *count, struct kt_err *err);

/* Keyed hash of a phone, the handle of its codes. */
void otp_phone_tag(const struct key_secret *k, const char *phone, unsigned char out[32]);

#endif
