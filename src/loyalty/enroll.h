/*
 * enroll.h - enrolment at the cash desk by phone alone, and the one-time code that proves the
 * phone (docs/loyalty.md). Each function opens and ends its own write transaction: the API's
 * handlers (api/cards.c) decode, call one of them and reply.
 */
#ifndef KT_LOYALTY_ENROLL_H
#define KT_LOYALTY_ENROLL_H

#include "auth/keys.h"
#include "loyalty/cards.h"
#include "store/store.h"

/* What enrolment needs of the installation: serve's secret and flags. */
struct enrol_env {
    const struct key_secret *secret; /* keys card numbers, codes and the suppression list */
    struct enrol_limits limits;      /* --enrol-per-key, --enrol-per-store */
    const char *sms_text;            /* the code's SMS, with {{code}} and {{card}} */
};

/* One enrolment as the cash desk asks for it. */
struct enrol_req {
    const char *phone;                  /* standard form (ident_value_clean) */
    const char *store_id, *operator_id; /* or NULL */
    const char *card;     /* a physical card to bind, or NULL for the newest active one they have
                             or a new virtual one */
    const char *referrer; /* the phone or card number of who brought them, or NULL */
    bool send_code;       /* send a code by SMS when the phone is not verified */
    const char *key_id, *request_id;
};

struct enrol_result {
    struct customer customer; /* as stored after the enrolment */
    bool created;             /* a new customer (their consent pending) */
    struct card card;         /* the card they hold now */
    bool card_issued;         /* the card became theirs now */
    bool phone_verified;
    char otp_id[ID_MAX];     /* the code queued, or "" */
    int64_t otp_expires_at;  /* of that code, ms */
    const char *sms_refused; /* no code: "phone_verified", "not_asked" or "otp_rate_limited" */
    int retry_after;         /* otp_rate_limited: seconds until a code may go */
    /* card_limit: the active cards of the customer the clash is with (in the arena) */
    const char **held;
    size_t n_held;
};

/*
 * Enrols the customer of `e->phone`: found or created through the same path as a cash-desk
 * profile (a new one pending consent), refused with KT_EINVAL "suppressed" when the phone
 * belonged to an erased person (the refusal is committed, so it counts), then the referral, the
 * card (KT_ECONFLICT "card_limit" with `held` filled when they have the programme's maximum
 * already), the hourly enrolment limits (enrol_rate_limited), the welcome bonus and the code by
 * SMS (its send limit is a refusal in `out`, not an error). The caller wakes the outbox's sender
 * when out->otp_id is set.
 */
enum kt_rc loyalty_enrol(struct store *s, const struct enrol_env *env, const struct enrol_req *e,
                         int64_t now, struct arena *a, struct enrol_result *out,
                         struct kt_err *err);

/* A new code for the customer of `phone` (KT_EINVAL "customer_not_found" when nobody has it),
 * under the send limits (otp_rate_limited), naming their last active card. `otp_id` gets the
 * code's id; it expires OTP_TTL_MS after `now`. */
enum kt_rc loyalty_code_send(struct store *s, const struct enrol_env *env, const char *phone,
                             const char *key_id, int64_t now, struct arena *a, char otp_id[ID_MAX],
                             struct kt_err *err);

struct code_verified {
    struct otp_code otp;     /* the code that matched */
    const char *customer_id; /* whose phone it proved */
    int64_t welcome_bonus;   /* points given now, or 0 */
};

/* Checks `code` for `phone` (otp_verify's refusals; a wrong guess is committed so it counts);
 * on a match the phone becomes verified through the usual survivorship, which may give the
 * welcome bonus. */
enum kt_rc loyalty_code_verify(struct store *s, const struct key_secret *k, const char *phone,
                               const char *code, const char *request_id, int64_t now,
                               struct arena *a, struct code_verified *out, struct kt_err *err);

/* The in-transaction half of loyalty_code_verify, for a caller that does more in the same write
 * transaction (the join form, pages/join.c): the code checked (otp_verify's refusals; on
 * code_wrong `*count` asks the caller to commit, so the guess counts) and the phone made
 * verified through the usual survivorship, recorded with `src`. No welcome bonus here. */
enum kt_rc loyalty_code_check(struct store_conn *w, const struct key_secret *k, const char *phone,
                              const char *code, const struct ident_source *src, int64_t now,
                              struct arena *a, struct code_verified *out, bool *count,
                              struct kt_err *err);

/* The card of an enrolment, in `w`: the physical card `number` bound when it is not NULL; else
 * the newest active card customer `ck` has, or a new virtual one. `issued` says a card became
 * theirs now. */
enum kt_rc loyalty_card_for(struct store_conn *w, const struct key_secret *k,
                            const struct loyalty_rules *rules, const char *number, int64_t ck,
                            int64_t now, struct arena *a, struct card *cd, bool *issued,
                            struct kt_err *err);

/* The welcome journey's entry (docs/journeys.md) when a card became customer `ck`'s: a sign_up
 * event of `channel` with `props` (JSON). */
enum kt_rc loyalty_sign_up(struct store_conn *w, int64_t ck, const char *channel, const char *props,
                           int64_t now, struct kt_err *err);

#endif
