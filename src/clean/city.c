/*
 * city.c - cities: a shipped list of Russian cities and the spellings people type ("мск",
 * "г. Москва", "Moscow", "Питер") turns them into one standard name. A city not on the list is
 * kept, with its words in standard case ("нижняя тура" -> "Нижняя Тура"). Full address parsing is
 * out of scope; addresses only get the free-text rules.
 */
#include <string.h>

#include "clean/clean.h"
#include "clean/internal.h"

static const char *const prefixes[] = {"город ", "гор. ", "гор.", "г. ", "г.", "г ", "city of "};

/* The key a city is matched on: folded, prefixes dropped, dots and commas gone, hyphens as
 * spaces, single spaces. Used for the list too (data.c). */
char *city_key(const char *s, size_t len, struct arena *a);

char *city_key(const char *s, size_t len, struct arena *a)
{
    char *k = fold_key(s, len, a);
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(k, prefixes[i], n) == 0 && k[n] != '\0') {
            k += n;
            break;
        }
    }
    char *out = k;
    size_t j = 0;
    bool space = false;
    for (size_t i = 0; k[i] != '\0'; i++) {
        char c = k[i];
        if (c == '.' || c == ',') {
            space = j > 0;
            continue;
        }
        if (c == ' ' || c == '-') {
            space = j > 0;
            continue;
        }
        if (space) {
            out[j++] = ' ';
            space = false;
        }
        out[j++] = c;
    }
    out[j] = '\0';
    return out;
}

/* Words in standard case: each starts with a capital, except the little words of compound names
 * ("на", "под", "де") after the first. */
static char *title_case(const char *s, struct arena *a)
{
    static const char *const small[] = {"на", "под", "де", "над", "и"};
    size_t len = strlen(s);
    char *out = arena_alloc(a, len * 2 + 1);
    size_t j = 0;
    bool start = true;
    size_t word_start = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        unsigned cp = utf8_get((const unsigned char *)s + i, &adv);
        if (cp == ' ' || cp == '-') {
            start = true;
            out[j++] = (char)cp;
            i += adv;
            word_start = i;
            continue;
        }
        bool little = false;
        if (start && word_start > 0) {
            size_t wl = strcspn(s + i, " -");
            for (size_t k = 0; k < sizeof(small) / sizeof(small[0]); k++) {
                little = little || (strlen(small[k]) == wl &&
                                    strncmp(fold_key(s + i, wl, a), small[k], wl) == 0);
            }
        }
        j += utf8_put(start && !little ? cp_upper(cp) : cp_lower(cp), out + j);
        start = false;
        i += adv;
    }
    out[j] = '\0';
    return out;
}

void clean_city(const char *in, size_t len, struct arena *a, struct clean_out *out)
{
    clean_text(in, len, 200, a, out);
    if (out->verdict == CLEAN_INVALID) {
        return;
    }
    const char *text = out->value;
    const char *std = data_city(city_key(text, strlen(text), a));
    if (std == NULL) {
        std = title_case(text, a);
    }
    bool same = strlen(std) == len && memcmp(std, in, len) == 0;
    out->value = std;
    out->verdict = same ? CLEAN_OK : CLEAN_CORRECTED;
    out->change = same ? NULL : data_city(city_key(text, strlen(text), a)) ? "city_name" : "case";
    for (const char *p = std; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            out->verdict = CLEAN_SUSPICIOUS;
            out->reason = "digits";
            break;
        }
    }
}
