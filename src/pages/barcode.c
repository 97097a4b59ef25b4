/*
 * barcode.c - the EAN-13 of a card number as SVG (qr.h): what the cashier scans from the join
 * page's success screen. The check digit is loyalty's (ean.c); the encoding is GS1's (General
 * Specifications, 5.2.1): the first digit chooses the L/G parities of the left six, the right
 * six are R, between guards 101, 01010 and 101.
 */
#include <string.h>

#include "loyalty/loyalty.h"
#include "pages/qr.h"

#define QUIET_LEFT  11 /* modules of light margin: 11 left, 7 right (GS1) */
#define QUIET_RIGHT 7
#define BAR_TOP     2
#define BAR_HEIGHT  66
#define GUARD_EXTRA 5 /* the guards run down between the digits */

/* The L (set A) patterns; G is R reversed, R is L inverted. */
static const char *const l_codes[10] = {"0001101", "0011001", "0010011", "0111101", "0100011",
                                        "0110001", "0101111", "0111011", "0110111", "0001011"};
/* The parities of the left six digits by the first digit: L or G. */
static const char *const parity[10] = {"LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
                                       "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"};

static void put_digit(char *out, int d, char set)
{
    const char *l = l_codes[d];
    for (int i = 0; i < 7; i++) {
        char inv = l[i] == '1' ? '0' : '1';
        out[i] = set == 'L' ? l[i] : set == 'R' ? inv : (l[6 - i] == '1' ? '0' : '1');
    }
}

bool ean13_modules(const char *number, char out[96])
{
    if (!ean13_valid(number)) {
        return false;
    }
    int first = number[0] - '0';
    char *p = out;
    memcpy(p, "101", 3);
    p += 3;
    for (int i = 1; i <= 6; i++, p += 7) {
        put_digit(p, number[i] - '0', parity[first][i - 1]);
    }
    memcpy(p, "01010", 5);
    p += 5;
    for (int i = 7; i <= 12; i++, p += 7) {
        put_digit(p, number[i] - '0', 'R');
    }
    memcpy(p, "101", 3);
    p[3] = '\0';
    return true;
}

/* A guard's module: the start (0-2), the middle (45-49) and the end (92-94). */
static bool is_guard(int i)
{
    return i < 3 || (i >= 45 && i < 50) || i >= 92;
}

enum kt_rc ean13_svg(const char *number, const char *field, struct arena *a, const char **out,
                     struct kt_err *err)
{
    char mod[96];
    if (number == NULL || !ean13_modules(number, mod)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                          "an EAN-13 is 13 digits with a valid check digit");
    }
    int width = QUIET_LEFT + 95 + QUIET_RIGHT;
    int height = BAR_TOP + BAR_HEIGHT + GUARD_EXTRA + 9;
    struct buf b;
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\" role=\"img\"><title>EAN-13 %s</title>"
               "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"",
               width, height, number, width, height);
    for (int i = 0; i < 95;) {
        if (mod[i] != '1') {
            i++;
            continue;
        }
        int run = 1;
        while (i + run < 95 && mod[i + run] == '1' && is_guard(i + run) == is_guard(i)) {
            run++;
        }
        int h = BAR_HEIGHT + (is_guard(i) ? GUARD_EXTRA : 0);
        buf_printf(&b, "M%d %dh%dv%dh-%dz", QUIET_LEFT + i, BAR_TOP, run, h, run);
        i += run;
    }
    /* The digits: the first left of the start guard, six under each half. */
    int y = BAR_TOP + BAR_HEIGHT + GUARD_EXTRA + 4;
    buf_printf(&b,
               "\"/><g font-family=\"monospace\" font-size=\"9\" text-anchor=\"middle\">"
               "<text x=\"%d\" y=\"%d\">%c</text>",
               QUIET_LEFT - 5, y, number[0]);
    buf_printf(&b, "<text x=\"%d\" y=\"%d\" textLength=\"38\">%.6s</text>", QUIET_LEFT + 24, y,
               number + 1);
    buf_printf(&b, "<text x=\"%d\" y=\"%d\" textLength=\"38\">%.6s</text></g></svg>\n",
               QUIET_LEFT + 71, y, number + 7);
    *out = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return KT_OK;
}
