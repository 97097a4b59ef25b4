/*
 * loyalty.h - the loyalty programme: its rules (one programme per installation, versioned),
 * card numbers, and the arithmetic of earning and spending. Design: docs/loyalty.md.
 *
 * Everything here is integers: money in kopecks, points whole, rates in basis points (1% = 100)
 * and multipliers in percent (200 = twice the base rate). No floating point anywhere.
 */
#ifndef KT_LOYALTY_LOYALTY_H
#define KT_LOYALTY_LOYALTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

#define LOYALTY_MAX_RATES 200 /* category and SKU rates, each */
#define LOYALTY_MAX_GATE  8

struct loyalty_rate {
    const char *key; /* category or SKU */
    int64_t pct;     /* multiplier of the base rate, percent: 0 excludes, 200 doubles */
};

/* What must hold before points may be spent. */
enum gate_item {
    GATE_PHONE_VERIFIED = 1 << 0,
    GATE_FIRST_NAME = 1 << 1,
    GATE_LAST_NAME = 1 << 2,
    GATE_BIRTH_DATE = 1 << 3,
    GATE_EMAIL = 1 << 4,
    GATE_PD_CONSENT = 1 << 5,
};

struct loyalty_rules {
    int64_t version;    /* set by the store */
    int64_t started_at; /* set by the store: UTC ms the first version was published, 0 for the
                           defaults; receipts dated before it earn nothing (docs/loyalty.md) */
    /* earning */
    int64_t earn_bp; /* basis points of the paid amount, 0..10000 */
    struct loyalty_rate categories[LOYALTY_MAX_RATES];
    size_t n_categories;
    struct loyalty_rate skus[LOYALTY_MAX_RATES]; /* win over categories */
    size_t n_skus;
    int64_t hold_days; /* earned points become spendable after this, 0..365 */
    /* spending */
    int64_t kopecks_per_point; /* 100: one point is one rouble */
    int64_t max_spend_pct;     /* of a receipt's paid amount, 0..100 */
    unsigned gate;             /* enum gate_item bits */
    int64_t expiry_months;     /* after becoming spendable; 0 = never */
    /* bonuses, in points */
    int64_t welcome_bonus;
    int64_t birthday_bonus, birthday_window_days;
    int64_t birthday_utc_offset_min; /* where "the day" of a birthday is, minutes east of UTC */
    int64_t referral_referrer, referral_friend;
    /* cards */
    int64_t max_cards;   /* active cards per customer */
    char card_prefix[8]; /* the first digits of every card number, 2-7 digits */
    /* one-time codes by SMS: sends allowed per phone per hour and per API key per minute */
    int64_t otp_per_phone_hour, otp_per_key_minute;
};

/* The defaults of a new installation (issue 5: hold 14 days, 30% cap, 1 point = 1 rouble, one
 * card, the gate phone verified + first name + birth date + pd_processing consent). */
void loyalty_defaults(struct loyalty_rules *r);

/* Decodes a programme document (PUT /v1/loyalty/program) over the defaults; errors name the
 * field. */
enum kt_rc loyalty_rules_decode(const json_t *doc, struct arena *a, struct loyalty_rules *out,
                                struct kt_err *err);
/* The document back (new reference). */
json_t *loyalty_rules_json(const struct loyalty_rules *r);

/* One receipt line as far as earning goes. */
struct loyalty_line {
    const char *sku;
    const char *category; /* or NULL */
    int64_t amount;       /* paid, kopecks, after discounts */
};

/* Points a receipt earns: the lines' amounts times their rates, summed exactly and rounded down
 * once for the receipt. Excluded lines (rate 0) earn nothing. */
int64_t loyalty_earn(const struct loyalty_rules *r, const struct loyalty_line *lines, size_t n);

/* The same for the share num/den of the receipt paid in money (the rest paid with points),
 * still rounded down once. */
int64_t loyalty_earn_share(const struct loyalty_rules *r, const struct loyalty_line *lines,
                           size_t n, int64_t num, int64_t den);

/* The most points that may pay for a receipt of `paid` kopecks (the cap, rounded down). */
int64_t loyalty_spend_cap(const struct loyalty_rules *r, int64_t paid);

/* ---- card numbers (ean.c) ------------------------------------------------------------------ */

/* The EAN-13 check digit of 12 digits. */
int ean13_check_digit(const char digits[12]);
/* True for 13 digits whose last is the check digit of the others. */
bool ean13_valid(const char *s);
/* The card number `seq` of the range `prefix` (2-7 digits): prefix, seq zero-padded to fill 12
 * digits, check digit. False when seq does not fit. `out` has room for 14 bytes. */
bool ean13_card(const char *prefix, int64_t seq, char out[14]);

#endif
