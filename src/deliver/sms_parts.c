/*
 * sms_parts.c - how long an SMS is and in how many parts it goes (sms.h, sms_parts).
 *
 * GSM 03.38: a text wholly in the GSM-7 default alphabet goes in 7-bit septets, 160 in one
 * message, 153 per part when split (the user data header takes 7); a character of the extension
 * table (^ { } \ [ ~ ] | € and form feed) is an escape and the character, two septets, and is
 * never split across parts. Any other character - Cyrillic among them - sends the whole text as
 * UCS-2: 70 UTF-16 units in one message, 67 per part; a character beyond the BMP (an emoji) is
 * two units, never split either. Bytes that are not UTF-8 count as one UCS-2 unit each (the
 * text is validated at the edge; this only must not loop or read past the end).
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver/sms.h"

/* Code points of the default alphabet beyond printable ASCII (and \n, \r). */
static const uint32_t gsm_basic_extra[] = {
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
    0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
    0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
    0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* Septets of a code point in GSM-7: 1, 2 (extension table) or 0 (not in GSM-7). */
static int gsm_septets(uint32_t c)
{
    switch (c) {
    case '^':
    case '{':
    case '}':
    case '\\':
    case '[':
    case '~':
    case ']':
    case '|':
    case 0x20AC:
    case '\f':
        return 2;
    case '\n':
    case '\r':
        return 1;
    case '`':
        return 0;
    default:
        break;
    }
    if (c >= 0x20 && c < 0x7F) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(gsm_basic_extra) / sizeof(gsm_basic_extra[0]); i++) {
        if (gsm_basic_extra[i] == c) {
            return 1;
        }
    }
    return 0;
}

/* The next code point of `p` (advancing it); a byte that starts no valid sequence is itself. */
static uint32_t next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    int n = s[0] < 0x80             ? 0
            : (s[0] & 0xE0) == 0xC0 ? 1
            : (s[0] & 0xF0) == 0xE0 ? 2
            : (s[0] & 0xF8) == 0xF0 ? 3
                                    : -1;
    uint32_t c = n == 0 ? s[0] : n == 1 ? s[0] & 0x1Fu : n == 2 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            n = -1;
            break;
        }
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (n < 0) {
        *p = s + 1;
        return 0xFFFD;
    }
    *p = s + n + 1;
    return c;
}

/* Parts for units of `w` each (1 or 2), none split: `single` fit one message, `per` a part. */
struct counter {
    size_t total; /* units of the whole text */
    size_t parts; /* parts when split at `per` */
    size_t fill;  /* units in the part being filled */
};

static void count(struct counter *k, int w, size_t per)
{
    if (k->fill + (size_t)w > per) {
        k->parts++;
        k->fill = 0;
    }
    if (k->fill == 0 && k->parts == 0) {
        k->parts = 1;
    }
    k->fill += (size_t)w;
    k->total += (size_t)w;
}

static int clamp(size_t v)
{
    return v > INT_MAX ? INT_MAX : (int)v;
}

void sms_parts(const char *text, int *chars, int *parts, enum sms_encoding *encoding)
{
    struct counter g = {0, 0, 0}, u = {0, 0, 0};
    bool gsm = true;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p;) {
        uint32_t c = next_cp(&p);
        int w = gsm ? gsm_septets(c) : 0;
        if (w == 0) {
            gsm = false;
        } else {
            count(&g, w, SMS_GSM7_PART);
        }
        count(&u, c > 0xFFFF ? 2 : 1, SMS_UCS2_PART);
    }
    const struct counter *k = gsm ? &g : &u;
    size_t single = gsm ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
    *encoding = gsm ? SMS_GSM7 : SMS_UCS2;
    *chars = clamp(k->total);
    *parts = k->total == 0 ? 0 : k->total <= single ? 1 : clamp(k->parts);
}

const char *sms_encoding_name(enum sms_encoding e)
{
    return e == SMS_GSM7 ? "gsm7" : "ucs2";
}
