/*
 * rules.c - the programme document, its defaults and checks, and the arithmetic of earning and
 * the spending cap.
 *
 *   {"earn":       {"percent_bp": 500,                       5% of the paid amount
 *                   "categories": {"Подгузники": 200},        twice the rate
 *                   "skus": {"GIFT-1000": 0}},                gift cards earn nothing
 *    "hold_days": 14,
 *    "spend":      {"kopecks_per_point": 100, "max_percent": 30},
 *    "spend_gate": ["phone_verified", "first_name", "birth_date", "pd_consent"],
 *    "expiry_months": 12,
 *    "bonuses":    {"welcome": 200, "birthday": {"points": 300, "window_days": 7},
 *                   "referral": {"referrer": 300, "friend": 200}},
 *    "cards":      {"max_per_customer": 1, "prefix": "2000"}}
 *
 * Every member is optional (the defaults stand); unknown members are refused.
 */
#include <string.h>

#include "base/jsonx.h"
#include "loyalty/loyalty.h"

static const struct {
    const char *name;
    unsigned bit;
} gates[] = {
    {"phone_verified", GATE_PHONE_VERIFIED},
    {"first_name", GATE_FIRST_NAME},
    {"last_name", GATE_LAST_NAME},
    {"birth_date", GATE_BIRTH_DATE},
    {"email", GATE_EMAIL},
    {"pd_consent", GATE_PD_CONSENT},
};
#define N_GATES (sizeof(gates) / sizeof(gates[0]))

void loyalty_defaults(struct loyalty_rules *r)
{
    memset(r, 0, sizeof(*r));
    r->earn_bp = 500;
    r->hold_days = 14;
    r->kopecks_per_point = 100;
    r->max_spend_pct = 30;
    r->gate = GATE_PHONE_VERIFIED | GATE_FIRST_NAME | GATE_BIRTH_DATE | GATE_PD_CONSENT;
    r->expiry_months = 12;
    r->birthday_window_days = 7;
    r->max_cards = 1;
    r->otp_per_phone_hour = 3;
    r->birthday_utc_offset_min = 180; /* Moscow */
    r->otp_per_key_minute = 30;
    memcpy(r->card_prefix, "2000", 5);
}

/* ---- decoding ----------------------------------------------------------------------------- */

struct dec {
    struct arena *a;
    struct kt_err *err;
};

static enum kt_rc bad(struct dec *d, const char *field, const char *code, const char *msg)
{
    return kt_err_set(d->err, KT_EINVAL, code, arena_strdup(d->a, field), "%s", msg);
}

/* An integer member within [min, max], when present. */
static enum kt_rc num(struct dec *d, const json_t *o, const char *name, const char *path,
                      int64_t min, int64_t max, int64_t *out)
{
    return jsonx_int_at(json_object_get(o, name), path, min, max, 0, out, d->err);
}

static enum kt_rc rates(struct dec *d, const json_t *o, const char *path, struct loyalty_rate *out,
                        size_t *n)
{
    if (o == NULL) {
        return KT_OK;
    }
    if (!json_is_object(o)) {
        return kt_err_set(d->err, KT_EINVAL, "wrong_type", path,
                          "%s maps names to multipliers in percent", path);
    }
    if (json_object_size(o) > LOYALTY_MAX_RATES) {
        return kt_err_set(d->err, KT_EINVAL, "too_many", path, "%s holds more than %d names", path,
                          LOYALTY_MAX_RATES);
    }
    *n = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        const char *f = arena_printf(d->a, "%s.%s", path, key);
        if (strlen(key) == 0 || strlen(key) > 64) {
            return bad(d, f, strlen(key) ? "too_long" : "invalid_value", "names are 1-64 bytes");
        }
        if (jsonx_int_at(v, f, 0, 1000, JSONX_REQUIRED, &out[*n].pct, d->err) != KT_OK) {
            return d->err->rc;
        }
        out[(*n)++].key = arena_strdup(d->a, key);
    }
    return KT_OK;
}

enum kt_rc loyalty_rules_decode(const json_t *doc, struct arena *a, struct loyalty_rules *r,
                                struct kt_err *err)
{
    struct dec d = {a, err};
    loyalty_defaults(r);
    static const char *const top[] = {"earn",  "hold_days",     "spend", "spend_gate", "bonuses",
                                      "cards", "expiry_months", "otp",   NULL};
    enum kt_rc rc = json_only_members(doc, top, "", a, err);
    const json_t *earn = json_object_get(doc, "earn");
    if (rc == KT_OK && earn != NULL) {
        static const char *const k[] = {"percent_bp", "categories", "skus", NULL};
        rc = json_only_members(earn, k, "earn", a, err);
        if (rc == KT_OK) {
            rc = num(&d, earn, "percent_bp", "earn.percent_bp", 0, 10000, &r->earn_bp);
        }
        if (rc == KT_OK) {
            rc = rates(&d, json_object_get(earn, "categories"), "earn.categories", r->categories,
                       &r->n_categories);
        }
        if (rc == KT_OK) {
            rc = rates(&d, json_object_get(earn, "skus"), "earn.skus", r->skus, &r->n_skus);
        }
    }
    if (rc == KT_OK) {
        rc = num(&d, doc, "hold_days", "hold_days", 0, 365, &r->hold_days);
    }
    if (rc == KT_OK) {
        rc = num(&d, doc, "expiry_months", "expiry_months", 0, 120, &r->expiry_months);
    }
    const json_t *spend = json_object_get(doc, "spend");
    if (rc == KT_OK && spend != NULL) {
        static const char *const k[] = {"kopecks_per_point", "max_percent", NULL};
        rc = json_only_members(spend, k, "spend", a, err);
        if (rc == KT_OK) {
            rc = num(&d, spend, "kopecks_per_point", "spend.kopecks_per_point", 1, 100000,
                     &r->kopecks_per_point);
        }
        if (rc == KT_OK) {
            rc = num(&d, spend, "max_percent", "spend.max_percent", 0, 100, &r->max_spend_pct);
        }
    }
    const json_t *gate = json_object_get(doc, "spend_gate");
    if (rc == KT_OK && gate != NULL) {
        if (!json_is_array(gate)) {
            rc = bad(&d, "spend_gate", "wrong_type",
                     "spend_gate lists what spending needs: phone_verified, first_name, "
                     "last_name, birth_date, email, pd_consent");
        }
        r->gate = 0;
        size_t i;
        json_t *v;
        json_array_foreach(gate, i, v)
        {
            unsigned bit = 0;
            for (size_t g = 0; g < N_GATES && json_is_string(v); g++) {
                bit = strcmp(json_string_value(v), gates[g].name) == 0 ? gates[g].bit : bit;
            }
            if (rc == KT_OK && bit == 0) {
                rc = bad(&d, arena_printf(a, "spend_gate[%zu]", i),
                         json_is_string(v) ? "invalid_value" : "wrong_type",
                         "one of phone_verified, first_name, last_name, birth_date, email, "
                         "pd_consent");
            }
            r->gate |= bit;
        }
    }
    const json_t *bon = json_object_get(doc, "bonuses");
    if (rc == KT_OK && bon != NULL) {
        static const char *const k[] = {"welcome", "birthday", "referral", NULL};
        rc = json_only_members(bon, k, "bonuses", a, err);
        if (rc == KT_OK) {
            rc = num(&d, bon, "welcome", "bonuses.welcome", 0, 1000000, &r->welcome_bonus);
        }
        const json_t *b = json_object_get(bon, "birthday");
        if (rc == KT_OK && b != NULL) {
            static const char *const kb[] = {"points", "window_days", "utc_offset_minutes", NULL};
            rc = json_only_members(b, kb, "bonuses.birthday", a, err);
            if (rc == KT_OK) {
                rc =
                    num(&d, b, "points", "bonuses.birthday.points", 0, 1000000, &r->birthday_bonus);
            }
            if (rc == KT_OK) {
                rc = num(&d, b, "window_days", "bonuses.birthday.window_days", 0, 31,
                         &r->birthday_window_days);
            }
            if (rc == KT_OK) {
                rc = num(&d, b, "utc_offset_minutes", "bonuses.birthday.utc_offset_minutes", -720,
                         840, &r->birthday_utc_offset_min);
            }
        }
        const json_t *f = json_object_get(bon, "referral");
        if (rc == KT_OK && f != NULL) {
            static const char *const kf[] = {"referrer", "friend", NULL};
            rc = json_only_members(f, kf, "bonuses.referral", a, err);
            if (rc == KT_OK) {
                rc = num(&d, f, "referrer", "bonuses.referral.referrer", 0, 1000000,
                         &r->referral_referrer);
            }
            if (rc == KT_OK) {
                rc = num(&d, f, "friend", "bonuses.referral.friend", 0, 1000000,
                         &r->referral_friend);
            }
        }
    }
    const json_t *cards = json_object_get(doc, "cards");
    if (rc == KT_OK && cards != NULL) {
        static const char *const k[] = {"max_per_customer", "prefix", NULL};
        rc = json_only_members(cards, k, "cards", a, err);
        if (rc == KT_OK) {
            rc = num(&d, cards, "max_per_customer", "cards.max_per_customer", 1, 10, &r->max_cards);
        }
        const json_t *p = json_object_get(cards, "prefix");
        if (rc == KT_OK && p != NULL) {
            const char *s = json_string_value(p);
            size_t len = s ? strlen(s) : 0;
            bool digits = len >= 2 && len <= 7;
            for (size_t i = 0; digits && i < len; i++) {
                digits = s[i] >= '0' && s[i] <= '9';
            }
            if (!digits) {
                rc = bad(&d, "cards.prefix", s ? "invalid_value" : "wrong_type",
                         "the card range is 2-7 digits every card number starts with");
            } else {
                memcpy(r->card_prefix, s, len + 1);
            }
        }
    }
    const json_t *otp = json_object_get(doc, "otp");
    if (rc == KT_OK && otp != NULL) {
        static const char *const k[] = {"per_phone_hour", "per_key_minute", NULL};
        rc = json_only_members(otp, k, "otp", a, err);
        if (rc == KT_OK) {
            rc =
                num(&d, otp, "per_phone_hour", "otp.per_phone_hour", 1, 20, &r->otp_per_phone_hour);
        }
        if (rc == KT_OK) {
            rc = num(&d, otp, "per_key_minute", "otp.per_key_minute", 1, 10000,
                     &r->otp_per_key_minute);
        }
    }
    return rc;
}

json_t *loyalty_rules_json(const struct loyalty_rules *r)
{
    json_t *cats = json_object(), *skus = json_object(), *gate = json_array();
    for (size_t i = 0; i < r->n_categories; i++) {
        json_object_set_new(cats, r->categories[i].key, json_integer(r->categories[i].pct));
    }
    for (size_t i = 0; i < r->n_skus; i++) {
        json_object_set_new(skus, r->skus[i].key, json_integer(r->skus[i].pct));
    }
    for (size_t g = 0; g < N_GATES; g++) {
        if (r->gate & gates[g].bit) {
            json_array_append_new(gate, json_string(gates[g].name));
        }
    }
    return json_pack("{s:{s:I, s:o, s:o}, s:I, s:{s:I, s:I}, s:o, s:I, "
                     "s:{s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I}}, s:{s:I, s:s}, s:{s:I, s:I}}",
                     "earn", "percent_bp", (json_int_t)r->earn_bp, "categories", cats, "skus", skus,
                     "hold_days", (json_int_t)r->hold_days, "spend", "kopecks_per_point",
                     (json_int_t)r->kopecks_per_point, "max_percent", (json_int_t)r->max_spend_pct,
                     "spend_gate", gate, "expiry_months", (json_int_t)r->expiry_months, "bonuses",
                     "welcome", (json_int_t)r->welcome_bonus, "birthday", "points",
                     (json_int_t)r->birthday_bonus, "window_days",
                     (json_int_t)r->birthday_window_days, "utc_offset_minutes",
                     (json_int_t)r->birthday_utc_offset_min, "referral", "referrer",
                     (json_int_t)r->referral_referrer, "friend", (json_int_t)r->referral_friend,
                     "cards", "max_per_customer", (json_int_t)r->max_cards, "prefix",
                     r->card_prefix, "otp", "per_phone_hour", (json_int_t)r->otp_per_phone_hour,
                     "per_key_minute", (json_int_t)r->otp_per_key_minute);
}

/* ---- arithmetic --------------------------------------------------------------------------- */

static int64_t rate_of(const struct loyalty_rules *r, const struct loyalty_line *l)
{
    for (size_t i = 0; l->sku != NULL && i < r->n_skus; i++) {
        if (strcmp(r->skus[i].key, l->sku) == 0) {
            return r->skus[i].pct;
        }
    }
    for (size_t i = 0; l->category != NULL && i < r->n_categories; i++) {
        if (strcmp(r->categories[i].key, l->category) == 0) {
            return r->categories[i].pct;
        }
    }
    return 100;
}

int64_t loyalty_earn_share(const struct loyalty_rules *r, const struct loyalty_line *lines,
                           size_t n, int64_t num, int64_t den)
{
    /* sum of amount x basis points x multiplier percent, times num / den, rounded down once;
     * the product can pass 2^63 (10^16 per line times a receipt total), so it is done in 128
     * bits. */
    __int128 sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].amount > 0) {
            sum += (__int128)lines[i].amount * r->earn_bp * rate_of(r, &lines[i]);
        }
    }
    if (num <= 0 || den <= 0) {
        return 0;
    }
    return (int64_t)(sum * num / ((__int128)den * 10000 * 100 * r->kopecks_per_point));
}

int64_t loyalty_earn(const struct loyalty_rules *r, const struct loyalty_line *lines, size_t n)
{
    return loyalty_earn_share(r, lines, n, 1, 1);
}

int64_t loyalty_spend_cap(const struct loyalty_rules *r, int64_t paid)
{
    return paid <= 0 ? 0 : paid * r->max_spend_pct / 100 / r->kopecks_per_point;
}
