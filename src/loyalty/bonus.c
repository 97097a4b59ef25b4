/*
 * bonus.c - welcome, birthday and referral bonuses (see bonus.h).
 */
#include <string.h>

#include "base/clock.h"
#include "base/num.h"
#include "consent/consent.h"
#include "loyalty/bonus.h"
#include "loyalty/ledger.h"
#include "loyalty/program.h"
#include "loyalty/purchase.h"

#define DAY_MS         (86400LL * 1000)
#define BIRTHDAY_BATCH 1000
#define REFERRAL_DEPTH 1000 /* a chain longer than this is refused as a loop */

static bool has_bonus(const struct ledger_entry *e, size_t n, const char *reason)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].kind, "bonus") == 0 && e[i].reason != NULL &&
            strcmp(e[i].reason, reason) == 0) {
            return true;
        }
    }
    return false;
}

static enum kt_rc bonus(struct store_conn *w, const struct loyalty_rules *r, int64_t ck,
                        int64_t points, const char *reason, int64_t at, int64_t available_at,
                        int64_t expires_at, const char *purchase_id, const char *key_id,
                        struct kt_err *err)
{
    struct ledger_entry e = {0,          ck,          "bonus",    points, at,     available_at,
                             expires_at, purchase_id, r->version, reason, key_id, NULL};
    return store_ledger_add(w, &e, err);
}

enum kt_rc loyalty_welcome_check(struct store_conn *w, int64_t ck, int64_t now, struct arena *a,
                                 int64_t *given, struct kt_err *err)
{
    if (given) {
        *given = 0;
    }
    struct card *cs;
    size_t n;
    enum kt_rc rc = store_card_list(w, ck, a, &cs, &n, err); /* members only; cheap first */
    if (rc != KT_OK || n == 0) {
        return rc;
    }
    struct loyalty_rules r;
    int64_t at;
    if ((rc = loyalty_program_get(w, a, &r, &at, err)) != KT_OK || r.welcome_bonus == 0) {
        return rc;
    }
    struct customer cu;
    if ((rc = store_customer_get(w, ck, a, &cu, NULL, err)) != KT_OK || cu.erased_at != 0) {
        return rc;
    }
    bool pd = false;
    if (loyalty_gate_missing(&r, &cu, true) != 0) {
        return KT_OK; /* something other than consent is missing: no need to look further */
    }
    if (r.gate & GATE_PD_CONSENT) {
        struct consent_state *st;
        size_t n_st;
        if ((rc = consent_states(w, ck, now, a, &st, &n_st, err)) != KT_OK) {
            return rc;
        }
        pd = strcmp(consent_find(st, n_st, "pd_processing", "")->state, "given") == 0;
    }
    if (loyalty_gate_missing(&r, &cu, pd) != 0) {
        return KT_OK;
    }
    struct ledger_entry *e;
    if ((rc = store_ledger_list(w, ck, a, &e, &n, err)) != KT_OK || has_bonus(e, n, "welcome")) {
        return rc;
    }
    rc = bonus(w, &r, ck, r.welcome_bonus, "welcome", now, now,
               r.expiry_months ? loyalty_add_months(now, r.expiry_months) : 0, NULL, NULL, err);
    if (rc == KT_OK && given) {
        *given = r.welcome_bonus;
    }
    return rc;
}

enum kt_rc loyalty_referral_set(struct store_conn *w, int64_t friend_ck, int64_t referrer_ck,
                                int64_t now, struct arena *a, struct kt_err *err)
{
    (void)a;
    if (friend_ck == referrer_ck) {
        return kt_err_set(err, KT_EINVAL, "referral_self", "referrer",
                          "a customer cannot bring themselves");
    }
    /* Walk up from the referrer: meeting the friend means the friend brought them. */
    int64_t at = referrer_ck, up, rewarded;
    bool brought;
    for (int depth = 0;; depth++) {
        enum kt_rc rc = store_referral_get(w, at, &up, &rewarded, &brought, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (!brought) {
            break;
        }
        if (up == friend_ck || depth >= REFERRAL_DEPTH) {
            return kt_err_set(err, KT_EINVAL, "referral_loop", "referrer",
                              "this customer was brought by the one they would bring");
        }
        at = up;
    }
    enum kt_rc rc = store_referral_get(w, friend_ck, &up, &rewarded, &brought, err);
    if (rc == KT_OK && brought) {
        return kt_err_set(err, KT_ECONFLICT, "referral_exists", "referrer",
                          "somebody brought this customer already");
    }
    return rc == KT_OK ? store_referral_add(w, friend_ck, referrer_ck, now, err) : rc;
}

enum kt_rc loyalty_referral_reward(struct store_conn *w, const struct loyalty_rules *r,
                                   int64_t friend_ck, const char *purchase_id, int64_t at,
                                   int64_t now, const char *key_id, struct kt_err *err)
{
    if (r->referral_friend == 0 && r->referral_referrer == 0) {
        return KT_OK;
    }
    int64_t referrer, rewarded;
    bool brought;
    enum kt_rc rc = store_referral_get(w, friend_ck, &referrer, &rewarded, &brought, err);
    if (rc != KT_OK || !brought || rewarded != 0) {
        return rc;
    }
    int64_t av = at + r->hold_days * DAY_MS;
    int64_t ex = r->expiry_months ? loyalty_add_months(av, r->expiry_months) : 0;
    if (r->referral_friend > 0) {
        rc = bonus(w, r, friend_ck, r->referral_friend, "referral", at, av, ex, purchase_id, key_id,
                   err);
    }
    if (rc == KT_OK && r->referral_referrer > 0) {
        rc = bonus(w, r, referrer, r->referral_referrer, "referral", at, av, ex, purchase_id,
                   key_id, err);
    }
    return rc == KT_OK ? store_referral_rewarded(w, friend_ck, now, purchase_id, err) : rc;
}

bool loyalty_birthday_window(const char *birth, int64_t day, int64_t window, int64_t *year,
                             int64_t *birthday)
{
    int64_t by, bm, bd;
    if (birth == NULL || strlen(birth) != 10 || !num_parse_i64(birth, 4, 0, 9999, &by) ||
        !num_parse_i64(birth + 5, 2, 1, 12, &bm) || !num_parse_i64(birth + 8, 2, 1, 31, &bd)) {
        return false;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        unsigned dd = (unsigned)bd;
        while (dd > 28 && !date_valid(yy, (unsigned)bm, dd)) {
            dd--; /* Feb 29 is celebrated on Feb 28 */
        }
        int64_t b = days_from_civil(yy, (unsigned)bm, dd);
        if (day >= b - window && day <= b + window) {
            *year = yy;
            *birthday = b;
            return true;
        }
    }
    return false;
}

enum kt_rc loyalty_birthdays_due(struct store *s, int64_t now, int64_t *customers, int64_t *points,
                                 struct kt_err *err)
{
    *customers = *points = 0;
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *c;
    struct loyalty_rules r;
    int64_t at, done = INT64_MIN;
    const char *v = NULL;
    enum kt_rc rc = store_read_begin(s, &c, err);
    if (rc == KT_OK) {
        rc = loyalty_program_get(c, &a, &r, &at, err);
        bool set = false; /* unset or unreadable: every day since the start is looked at */
        if (rc == KT_OK && store_meta_get(c, "birthday_done_day", &a, &v, &set, NULL) == KT_OK &&
            set) {
            num_parse_cstr(v, INT64_MIN, INT64_MAX, &done);
        }
        store_read_end(c);
    }
    int64_t offset = r.birthday_utc_offset_min * 60000;
    int64_t local = now + offset;
    int64_t day = local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS);
    if (rc != KT_OK || r.birthday_bonus == 0 || done >= day) {
        arena_release(&a);
        return rc;
    }
    int64_t after = 0;
    for (bool more = true; rc == KT_OK && more;) {
        int64_t *cks;
        const char **dates;
        size_t n;
        arena_release(&a);
        if ((rc = store_read_begin(s, &c, err)) != KT_OK) {
            break;
        }
        rc = store_member_birthdays(c, after, BIRTHDAY_BATCH, &a, &cks, &dates, &n, err);
        store_read_end(c);
        more = rc == KT_OK && n == BIRTHDAY_BATCH;
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            after = cks[i];
            int64_t year, bday;
            if (!loyalty_birthday_window(dates[i], day, r.birthday_window_days, &year, &bday)) {
                continue;
            }
            const char *reason = arena_printf(&a, "birthday %lld", (long long)year);
            struct ledger_entry *e;
            size_t ne;
            if ((rc = store_write_begin(s, &c, err)) != KT_OK) {
                break;
            }
            rc = store_ledger_list(c, cks[i], &a, &e, &ne, err);
            bool give = rc == KT_OK && !has_bonus(e, ne, reason);
            if (give) { /* spendable until the window closes (local midnight after it) */
                int64_t until = (bday + r.birthday_window_days + 1) * DAY_MS - offset;
                rc = bonus(c, &r, cks[i], r.birthday_bonus, reason, now, now, until, NULL, NULL,
                           err);
            }
            rc = store_write_end(c, rc, err);
            *customers += give && rc == KT_OK;
            *points += give && rc == KT_OK ? r.birthday_bonus : 0;
        }
    }
    if (rc == KT_OK && (rc = store_write_begin(s, &c, err)) == KT_OK) {
        rc = store_meta_put(c, "birthday_done_day", arena_printf(&a, "%lld", (long long)day), err);
        rc = store_write_end(c, rc, err);
    }
    arena_release(&a);
    return rc;
}
