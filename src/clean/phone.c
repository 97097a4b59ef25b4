/*
 * phone.c - phone numbers to E.164.
 *
 * Russia and Kazakhstan (+7) come first: the trunk prefix 8, the Russian international prefix 810,
 * ten national digits without any prefix. A +7 number must fall in a code of the Russian numbering
 * plan (ABC codes for fixed lines, DEF 9xx for mobiles, 8-800 and the other non-geographic codes)
 * or of Kazakhstan's (mobile 70x-78x, fixed 71x/72x); the table below is written from those plans
 * and checked against libphonenumber by tests/e2e/test_clean_oracles.py. Other numbers must carry
 * their country code ("+", "00" or "810") and are checked against the ITU list of assigned
 * country codes and, for the CIS, the national number length.
 *
 * Accepted decoration: spaces, dashes, dots, slashes, brackets, a leading label ("тел.", "tel:",
 * "моб."), and an extension after "доб.", "ext", "x" or "#", which is returned apart and is not
 * part of the number. Anything else (letters in the middle, two plus signs) makes the value
 * invalid.
 *
 * Suspicious (kept, flagged): a subscriber number of seven equal digits (+7 999 999-99-99),
 * the tell-tale fake of a hurried cash desk.
 */
#include <stdint.h>
#include <string.h>

#include "clean/clean.h"

const char *phone_type_name(enum phone_type t)
{
    static const char *const names[] = {"unknown",      "mobile",   "landline", "toll_free",
                                        "premium_rate", "personal", "voip"};
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* Assigned ITU-T E.164 country codes other than 1 and 7 (zone 1 and zone 7 are whole codes). */
static const char *const cc2[] = {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41",
                                  "43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54",
                                  "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
                                  "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};
static const char *const cc3[] = {
    "211", "212", "213", "216", "218", "220", "221", "222", "223", "224", "225", "226", "227",
    "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
    "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253",
    "254", "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266", "267",
    "268", "269", "290", "291", "297", "298", "299", "350", "351", "352", "353", "354", "355",
    "356", "357", "358", "359", "370", "371", "372", "373", "374", "375", "376", "377", "378",
    "380", "381", "382", "383", "385", "386", "387", "389", "420", "421", "423", "500", "501",
    "502", "503", "504", "505", "506", "507", "508", "509", "590", "591", "592", "593", "594",
    "595", "596", "597", "598", "599", "670", "672", "673", "674", "675", "676", "677", "678",
    "679", "680", "681", "682", "683", "685", "686", "687", "688", "689", "690", "691", "692",
    "800", "808", "850", "852", "853", "855", "856", "870", "878", "880", "881", "882", "883",
    "886", "888", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971",
    "972", "973", "974", "975", "976", "977", "992", "993", "994", "995", "996", "998"};

/* National number lengths of the CIS countries, where we know them exactly. */
static const struct {
    const char *cc;
    const char *iso;
    unsigned len;
} cis[] = {{"375", "BY", 9}, {"380", "UA", 9}, {"998", "UZ", 9}, {"374", "AM", 8},
           {"994", "AZ", 9}, {"995", "GE", 9}, {"996", "KG", 9}, {"992", "TJ", 9},
           {"993", "TM", 8}, {"373", "MD", 8}};

/* Length of the country code at the start of `d` (digits after the "+"), 0 if none is assigned. */
static size_t country_code_len(const char *d, size_t n)
{
    if (n >= 1 && (d[0] == '1' || d[0] == '7')) {
        return 1;
    }
    if (n >= 2) {
        for (size_t i = 0; i < sizeof(cc2) / sizeof(cc2[0]); i++) {
            if (memcmp(d, cc2[i], 2) == 0) {
                return 2;
            }
        }
    }
    if (n >= 3) {
        for (size_t i = 0; i < sizeof(cc3) / sizeof(cc3[0]); i++) {
            if (memcmp(d, cc3[i], 3) == 0) {
                return 3;
            }
        }
    }
    return 0;
}

/* The +7 codes in use: first three national digits, inclusive ranges. */
static const struct {
    unsigned short lo, hi;
    const char *iso;
    enum phone_type type;
} codes7[] = {
    {301, 302, "RU", PHONE_LANDLINE}, {341, 343, "RU", PHONE_LANDLINE},
    {345, 347, "RU", PHONE_LANDLINE}, {349, 349, "RU", PHONE_LANDLINE},
    {351, 353, "RU", PHONE_LANDLINE}, {365, 365, "RU", PHONE_LANDLINE},
    {381, 385, "RU", PHONE_LANDLINE}, {388, 388, "RU", PHONE_LANDLINE},
    {390, 391, "RU", PHONE_LANDLINE}, {394, 395, "RU", PHONE_LANDLINE},
    {401, 401, "RU", PHONE_LANDLINE}, {411, 411, "RU", PHONE_LANDLINE},
    {413, 413, "RU", PHONE_LANDLINE}, {415, 416, "RU", PHONE_LANDLINE},
    {421, 421, "RU", PHONE_LANDLINE}, {423, 424, "RU", PHONE_LANDLINE},
    {426, 427, "RU", PHONE_LANDLINE}, {471, 475, "RU", PHONE_LANDLINE},
    {481, 487, "RU", PHONE_LANDLINE}, {491, 496, "RU", PHONE_LANDLINE},
    {498, 499, "RU", PHONE_LANDLINE}, {700, 702, "KZ", PHONE_MOBILE},
    {705, 708, "KZ", PHONE_MOBILE},   {710, 718, "KZ", PHONE_LANDLINE},
    {721, 729, "KZ", PHONE_LANDLINE}, {747, 747, "KZ", PHONE_MOBILE},
    {751, 751, "KZ", PHONE_VOIP},     {760, 764, "KZ", PHONE_MOBILE},
    {771, 771, "KZ", PHONE_MOBILE},   {775, 778, "KZ", PHONE_MOBILE},
    {785, 785, "KZ", PHONE_MOBILE},   {800, 800, "RU", PHONE_TOLL_FREE},
    {803, 803, "RU", PHONE_PREMIUM},  {804, 804, "RU", PHONE_TOLL_FREE},
    {808, 808, "RU", PHONE_PERSONAL}, {809, 809, "RU", PHONE_PREMIUM},
    {811, 818, "RU", PHONE_LANDLINE}, {820, 821, "RU", PHONE_LANDLINE},
    {831, 831, "RU", PHONE_LANDLINE}, {833, 836, "RU", PHONE_LANDLINE},
    {840, 848, "RU", PHONE_LANDLINE}, {851, 851, "RU", PHONE_LANDLINE},
    {855, 855, "RU", PHONE_LANDLINE}, {861, 863, "RU", PHONE_LANDLINE},
    {865, 867, "RU", PHONE_LANDLINE}, {869, 869, "RU", PHONE_LANDLINE},
    {871, 873, "RU", PHONE_LANDLINE}, {877, 879, "RU", PHONE_LANDLINE},
    {900, 999, "RU", PHONE_MOBILE},
};

/* Classifies the ten national digits of a +7 number; false when no such number can exist. */
static bool classify_7(const char *nat, struct clean_phone *out)
{
    unsigned code =
        (unsigned)(nat[0] - '0') * 100 + (unsigned)(nat[1] - '0') * 10 + (unsigned)(nat[2] - '0');
    for (size_t i = 0; i < sizeof(codes7) / sizeof(codes7[0]); i++) {
        if (code >= codes7[i].lo && code <= codes7[i].hi) {
            /* Kazakh fixed lines have 4- and 5-digit area codes; the digit after 71x/72x is
             * 2-9 in all of them (finer checks are not made: docs/cleaning.md). */
            if (codes7[i].type == PHONE_LANDLINE && codes7[i].iso[0] == 'K' && nat[3] < '2') {
                return false;
            }
            out->country = codes7[i].iso;
            out->type = codes7[i].type;
            return true;
        }
    }
    return false;
}

/* A subscriber number of seven equal digits: +7 999 999-99-99, 8 900 000-00-00. (Runs such as
 * 123-45-67 are left alone: they are real numbers as often as fakes.) */
static const char *fake_reason(const char *nat, size_t n)
{
    if (n < 7) {
        return NULL;
    }
    const char *sub = nat + n - 7;
    for (int i = 1; i < 7; i++) {
        if (sub[i] != sub[0]) {
            return NULL;
        }
    }
    return "repeated_digits";
}

static bool is_sep(unsigned char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t';
}

/* Where an extension marker starts at `p`, its length; 0 when none. */
static size_t ext_marker(const char *p, size_t n)
{
    static const char *const marks[] = {"доб.", "доб", "ext.", "ext", "EXT", "Ext", "x", "X", "#"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t m = strlen(marks[i]);
        if (n >= m && memcmp(p, marks[i], m) == 0) {
            return m;
        }
    }
    return 0;
}

static void invalid(struct clean_phone *out, const char *reason)
{
    out->out.verdict = CLEAN_INVALID;
    out->out.value = NULL;
    out->out.reason = reason;
}

/* Skips a leading label such as "тел.", "tel:", "моб." (letters, dots, colons, spaces). */
static size_t skip_label(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 24) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+' || (c >= '0' && c <= '9')) {
            return i;
        }
        bool ascii_letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!(ascii_letter || c >= 0x80 || c == '.' || c == ':' || is_sep(c))) {
            return SIZE_MAX;
        }
        i++;
    }
    return i < n ? SIZE_MAX : i;
}

void clean_phone(const char *in, size_t len, struct arena *a, struct clean_phone *out)
{
    memset(out, 0, sizeof(*out));
    char d[24]; /* the digits of the number, without the extension */
    size_t n = 0;
    bool plus = false;
    const char *ext = NULL;
    size_t ext_len = 0;

    if (len > 64) {
        invalid(out, "too_long");
        return;
    }
    size_t i = skip_label(in, len);
    if (i == SIZE_MAX || i >= len) {
        invalid(out, len == 0 ? "empty" : "not_a_number");
        return;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= '0' && c <= '9') {
            if (n == sizeof(d) - 1) {
                invalid(out, "too_long");
                return;
            }
            d[n++] = (char)c;
        } else if (c == '+' && n == 0 && !plus) {
            plus = true;
        } else if (is_sep(c)) {
            continue;
        } else {
            size_t m = n > 0 ? ext_marker(in + i, len - i) : 0;
            if (m == 0) {
                invalid(out, "not_a_number");
                return;
            }
            size_t j = i + m;
            while (j < len && (in[j] == ' ' || in[j] == '.' || in[j] == ':')) {
                j++;
            }
            size_t start = j;
            while (j < len && in[j] >= '0' && in[j] <= '9') {
                j++;
            }
            while (j < len && in[j] == ' ') {
                j++;
            }
            if (j != len || j == start || j - start > 8) {
                invalid(out, "not_a_number");
                return;
            }
            ext = in + start;
            ext_len = j - start;
            while (ext_len > 0 && ext[ext_len - 1] == ' ') {
                ext_len--;
            }
            break;
        }
    }
    d[n] = '\0';

    /* Reduce every form to country code + national number, written after a '+'. */
    const char *e = d;
    size_t en = n;
    char ru[12];
    const char *how = "formatting"; /* what the reduction did, for `change` */
    if (plus) {
        /* as written */
    } else if (n >= 13 && memcmp(d, "810", 3) == 0) {
        e = d + 3;
        en = n - 3;
        how = "international_prefix_810";
    } else if (n >= 11 && memcmp(d, "00", 2) == 0) {
        e = d + 2;
        en = n - 2;
        how = "international_prefix_00";
    } else if (n == 11 && (d[0] == '8' || d[0] == '7')) {
        ru[0] = '7';
        memcpy(ru + 1, d + 1, 10);
        e = ru;
        en = 11;
        how = d[0] == '8' ? "trunk_prefix_8" : "plus_added";
    } else if (n == 10) {
        ru[0] = '7';
        memcpy(ru + 1, d, 10);
        e = ru;
        en = 11;
        how = "country_code_added";
    } else {
        invalid(out, n < 10 ? "too_short" : "too_long");
        return;
    }

    size_t ccl = country_code_len(e, en);
    if (ccl == 0) {
        invalid(out, "unknown_country_code");
        return;
    }
    size_t nat = en - ccl;
    if (e[0] == '7') {
        if (nat != 10) {
            invalid(out, nat < 10 ? "too_short" : "too_long");
            return;
        }
        if (!classify_7(e + 1, out)) {
            invalid(out, "impossible_code");
            return;
        }
    } else {
        bool known = false;
        for (size_t k = 0; k < sizeof(cis) / sizeof(cis[0]); k++) {
            if (ccl == 3 && memcmp(e, cis[k].cc, 3) == 0) {
                known = true;
                out->country = cis[k].iso;
                if (nat != cis[k].len) {
                    invalid(out, nat < cis[k].len ? "too_short" : "too_long");
                    return;
                }
            }
        }
        if (!known && (en < 8 || en > 15 || nat < 4)) {
            invalid(out, en < 8 || nat < 4 ? "too_short" : "too_long");
            return;
        }
    }

    char *v = arena_alloc(a, en + 2);
    v[0] = '+';
    memcpy(v + 1, e, en);
    v[en + 1] = '\0';
    out->out.value = v;
    out->extension = ext ? arena_strndup(a, ext, ext_len) : NULL;
    bool same = len == en + 1 && memcmp(in, v, len) == 0;
    out->out.verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->out.change = same ? NULL : ext ? arena_printf(a, "%s,extension_split", how) : how;
    const char *fake = fake_reason(e + ccl, nat);
    if (fake != NULL) {
        out->out.verdict = CLEAN_SUSPICIOUS;
        out->out.reason = fake;
    }
}
