/*
 * bonus.h - the programme's bonuses (docs/loyalty.md): welcome (once, when a member's profile
 * first meets the spend gate), birthday (once a year, in a window around the local birthday)
 * and "bring a friend" (both get points after the friend's first paid purchase). Functions
 * taking `w` run inside the caller's write transaction.
 */
#ifndef KT_LOYALTY_BONUS_H
#define KT_LOYALTY_BONUS_H

#include "loyalty/loyalty.h"
#include "store/store.h"

/* Gives the welcome bonus if the customer is a member (has a card), meets the spend gate now
 * and never had it; `given` (may be NULL) says whether it was given. Called by every write that
 * can complete a profile: upserts, patches, consents, the phone's code. */
enum kt_rc loyalty_welcome_check(struct store_conn *w, int64_t ck, int64_t now, struct arena *a,
                                 int64_t *given, struct kt_err *err);

/* Records that `referrer_ck` brought `friend_ck`: refuses referral_self and referral_loop (the
 * friend brought the referrer, directly or through others). */
enum kt_rc loyalty_referral_set(struct store_conn *w, int64_t friend_ck, int64_t referrer_ck,
                                int64_t now, struct arena *a, struct kt_err *err);

/* After a paid purchase of `friend_ck`: the first one gives both their referral points
 * (pending for the hold, like the purchase's own points). */
enum kt_rc loyalty_referral_reward(struct store_conn *w, const struct loyalty_rules *r,
                                   int64_t friend_ck, const char *purchase_id, int64_t at,
                                   int64_t now, const char *key_id, struct kt_err *err);

/* The birthday job, at most once per local day (meta "birthday_done_day"): members whose
 * birthday window holds today and who had no birthday bonus for that birthday get it, spendable
 * at once and expiring when the window closes. */
enum kt_rc loyalty_birthdays_due(struct store *s, int64_t now, int64_t *customers, int64_t *points,
                                 struct kt_err *err);

/* Whether local day `day` (days since 1970-01-01) is in the window of a birthday on `birth`
 * ("YYYY-MM-DD") and the year of that birthday; Feb 29 is Feb 28 in other years. */
bool loyalty_birthday_window(const char *birth, int64_t day, int64_t window, int64_t *year,
                             int64_t *birthday);

#endif
