/*
 * phonetic.c - the phonetic key of a Russian name part (dedup.h). The cleaner reads the part
 * first (clean_name_part: a keyboard-layout slip undone, case fixed; clean_name_part_key:
 * folded, Latin transliterated to Cyrillic), so everything below works on Cyrillic letters.
 * The steps, in order:
 *   1. a feminine surname's ending folded into the masculine one;
 *   2. "й" before a vowel read as that vowel's iotated letter (Jakovlev -> йаковлев -> яковлев),
 *      "ь" and "ъ" dropped, "и" before a vowel dropped (Мария and Maria -> мария, мариа);
 *   3. pairs spelt for one sound: "тс", "дс" as "ц"; "сч", "зч", "жч" as "щ"; "тч", "дч" as "ч";
 *   4. vowels by how unstressed Russian vowels sound: а о я -> а; е ё э и ы -> и; у ю -> у;
 *   5. voiced consonants devoiced at the end and before a voiceless one (Ivanoff and Иванов);
 *   6. doubled letters single.
 */
#include <stdbool.h>
#include <string.h>

#include "clean/clean.h"
#include "dedup/dedup.h"

enum {
    A = 0x430,
    B,
    V,
    G,
    D,
    E,
    ZH,
    Z,
    I,
    J,
    K,
    L,
    M,
    N,
    O,
    P,
    R,
    S,
    T,
    U,
    F,
    KH,
    TS,
    CH,
    SH,
    SHCH,
    HARD,
    Y,
    SOFT,
    EH,
    YU,
    YA,
    YO = 0x451
};

static bool vowel(unsigned c)
{
    return c == A || c == E || c == I || c == O || c == U || c == Y || c == EH || c == YU ||
           c == YA || c == YO;
}

static bool voiceless(unsigned c)
{
    return c == P || c == F || c == K || c == T || c == SH || c == S || c == KH || c == TS ||
           c == CH || c == SHCH;
}

static unsigned devoiced(unsigned c)
{
    switch (c) {
    case B:
        return P;
    case V:
        return F;
    case G:
        return K;
    case D:
        return T;
    case ZH:
        return SH;
    case Z:
        return S;
    default:
        return c;
    }
}

static bool ends(const unsigned *w, size_t n, const unsigned *tail, size_t k)
{
    return n >= k + 2 && memcmp(w + n - k, tail, k * sizeof(*w)) == 0;
}

/* Step 1: Иванова -> Иванов, Толстая stays, Петровская -> Петровский, Синяя -> Синий. */
static size_t fold_feminine(unsigned *w, size_t n)
{
    static const unsigned ova[] = {O, V, A}, eva[] = {E, V, A}, yova[] = {YO, V, A},
                          ina[] = {I, N, A}, yna[] = {Y, N, A}, skaya[] = {S, K, A, YA},
                          tskaya[] = {TS, K, A, YA}, yaya[] = {YA, YA};
    if (ends(w, n, ova, 3) || ends(w, n, eva, 3) || ends(w, n, yova, 3) || ends(w, n, ina, 3) ||
        ends(w, n, yna, 3)) {
        return n - 1;
    }
    if (ends(w, n, skaya, 4) || ends(w, n, tskaya, 4)) {
        w[n - 2] = I;
        w[n - 1] = J;
        return n;
    }
    if (ends(w, n, yaya, 2)) {
        w[n - 2] = I;
        w[n - 1] = J;
    }
    return n;
}

static unsigned iotated(unsigned v)
{
    return v == A ? YA : v == U ? YU : v == O ? YO : v == E ? E : v;
}

static unsigned vowel_class(unsigned c)
{
    switch (c) {
    case O:
    case YA:
        return A;
    case YO:
    case EH:
    case Y:
    case E:
    case J:
        return I;
    case YU:
        return U;
    default:
        return c;
    }
}

const char *dedup_name_key(const char *part, struct arena *a)
{
    struct clean_out out;
    clean_name_part(NAME_LAST, part, strlen(part), a, &out);
    if (out.value == NULL || out.value[0] == '\0') {
        return NULL;
    }
    unsigned raw[DEDUP_CPS_MAX], w[DEDUP_CPS_MAX];
    size_t nr = clean_code_points(clean_name_part_key(out.value, a), raw, DEDUP_CPS_MAX), n = 0;
    nr = nr > DEDUP_CPS_MAX ? DEDUP_CPS_MAX : nr;
    for (size_t i = 0; i < nr; i++) { /* letters only: no hyphen, space or apostrophe */
        if (raw[i] >= 0x430 || (raw[i] >= 'a' && raw[i] <= 'z')) {
            raw[n++] = raw[i];
        }
    }
    n = fold_feminine(raw, n);
    /* step 2 */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = raw[i], next = i + 1 < n ? raw[i + 1] : 0;
        if (c == SOFT || c == HARD) {
            continue;
        }
        if (c == J && vowel(next)) {
            raw[i + 1] = iotated(next);
            continue;
        }
        if (c == I && vowel(next) && m > 0) {
            continue;
        }
        w[m++] = c;
    }
    /* steps 3 to 6 */
    n = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned c = w[i], next = i + 1 < m ? w[i + 1] : 0;
        if ((c == T || c == D) && next == S) {
            c = TS;
            i++;
        } else if ((c == S || c == Z || c == ZH) && next == CH) {
            c = SHCH;
            i++;
        } else if ((c == T || c == D) && next == CH) {
            c = CH;
            i++;
        }
        c = vowel_class(c);
        next = i + 1 < m ? w[i + 1] : 0;
        if (next == 0 || voiceless(next)) {
            c = devoiced(c);
        }
        if (n == 0 || raw[n - 1] != c) {
            raw[n++] = c;
        }
    }
    return n ? clean_from_code_points(raw, n, a) : NULL;
}
