/*
 * clean_accuracy.c - accuracy of a cleaner on a case set, by class.
 *
 *   clean_accuracy KIND FILE [--floor DOC] [-v]
 *
 * KIND is name, date or city (a plural such as "names" is read alike, so ctest can take it from
 * the file name). FILE is a tab-separated case set (tests/clean/<kind>s.tsv), one case a line:
 *
 *   class  input  verdict  value  change-or-reason  gender
 *
 * Only the first three columns are required; an empty column is not checked. `value` is the
 * standard form; for names it may be given as parts, "last|first|middle" (empty parts allowed),
 * which checks the split as well as the joined form. `change-or-reason` is compared with the
 * change of a corrected value and with the reason of a suspicious or invalid one. `gender`
 * (names only) is "m", "f" or "-" for unknown. Lines starting with '#' are comments; a first line
 * starting with "class\t" is a header. The input column understands \t, \\, \uXXXX and \s (a
 * space, for outer spaces that an editor would strip).
 *
 * With --floor (or --floors), DOC (docs/cleaning.md) holds tables whose rows read
 *   | `KIND/class` | cases | before | after | floor |      (or | KIND | class | ... | floor |)
 * the floor in percent in the last cell, and the tool exits 1 when a class falls below its floor
 * or a class of the table has no case.
 * What is deliberately not here: scoring against another tool; the set is our own judgement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "clean/clean.h"

#define MAX_CLASSES 64
#define MAX_LINE    4096

/* The days since 1970-01-01 of the date kind's "today": 2025-11-24, fixed so that "under 14" and
 * "in the future" read the same on every run. */
#define TODAY_DAYS 20416

struct klass {
    char name[48];
    int total, passed;
};

struct result {
    const char *verdict, *value, *code, *gender;
    const char *parts[3]; /* names only */
};

static struct klass classes[MAX_CLASSES];
static int n_classes;

static struct klass *klass_get(const char *name)
{
    for (int i = 0; i < n_classes; i++) {
        if (strcmp(classes[i].name, name) == 0) {
            return &classes[i];
        }
    }
    if (n_classes == MAX_CLASSES) {
        fprintf(stderr, "clean_accuracy: more than %d classes\n", MAX_CLASSES);
        exit(2);
    }
    struct klass *k = &classes[n_classes++];
    snprintf(k->name, sizeof(k->name), "%s", name);
    return k;
}

static size_t put_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Undoes the escapes of the input column in place. */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p != '\0';) {
        if (p[0] == '\\' && p[1] == 'u' && strspn(p + 2, "0123456789abcdefABCDEF") >= 4) {
            char hex[5] = {p[2], p[3], p[4], p[5], '\0'};
            o += put_utf8((unsigned)strtoul(hex, NULL, 16), o);
            p += 6;
        } else if (p[0] == '\\' && (p[1] == 't' || p[1] == 's' || p[1] == '\\')) {
            *o++ = p[1] == 't' ? '\t' : p[1] == 's' ? ' ' : '\\';
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

static void run_name(const char *in, struct arena *a, struct result *r)
{
    struct clean_name n;
    clean_full_name(in, strlen(in), a, &n);
    r->verdict = clean_verdict_name(n.out.verdict);
    r->value = n.out.value;
    r->code = n.out.verdict == CLEAN_CORRECTED ? n.out.change : n.out.reason;
    r->gender = n.gender ? n.gender : "-";
    r->parts[0] = n.last;
    r->parts[1] = n.first;
    r->parts[2] = n.middle;
}

static void run_other(const char *kind, const char *in, struct arena *a, struct result *r)
{
    struct clean_out o;
    if (strncmp(kind, "date", 4) == 0) {
        clean_birth_date(in, strlen(in), TODAY_DAYS, a, &o);
    } else {
        clean_city(in, strlen(in), a, &o);
    }
    r->verdict = clean_verdict_name(o.verdict);
    r->value = o.value;
    r->code = o.verdict == CLEAN_CORRECTED ? o.change : o.reason;
}

static bool same(const char *want, const char *got)
{
    return want[0] == '\0' ? got == NULL : got != NULL && strcmp(want, got) == 0;
}

/* True when the value column (joined form, or parts split by '|') matches. */
static bool value_matches(const char *want, const struct result *r, bool name)
{
    if (!name || strchr(want, '|') == NULL) {
        return r->value != NULL && strcmp(want, r->value) == 0;
    }
    char buf[MAX_LINE];
    snprintf(buf, sizeof(buf), "%s", want);
    char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *bar = strchr(p, '|');
        if (bar != NULL) {
            *bar = '\0';
        }
        if (!same(p, r->parts[i])) {
            return false;
        }
        p = bar ? bar + 1 : p + strlen(p);
    }
    return true;
}

/* Checks one case; prints it when it fails and `verbose`. */
static bool check(const char *kind, char **col, int ncol, struct arena *a, bool verbose, int lineno)
{
    bool name = strncmp(kind, "name", 4) == 0;
    struct result r = {0};
    if (name) {
        run_name(col[1], a, &r);
    } else {
        run_other(kind, col[1], a, &r);
    }
    bool ok = strcmp(col[2], r.verdict) == 0;
    ok = ok && (ncol < 4 || col[3][0] == '\0' || value_matches(col[3], &r, name));
    ok = ok && (ncol < 5 || col[4][0] == '\0' || (r.code && strcmp(col[4], r.code) == 0));
    ok = ok && (ncol < 6 || col[5][0] == '\0' || !name || strcmp(col[5], r.gender) == 0);
    if (!ok && verbose) {
        printf("FAIL line %d [%s] '%s': want %s '%s' %s %s; got %s '%s' (%s|%s|%s) %s %s\n", lineno,
               col[0], col[1], col[2], ncol > 3 ? col[3] : "", ncol > 4 ? col[4] : "",
               ncol > 5 ? col[5] : "", r.verdict, r.value ? r.value : "",
               r.parts[0] ? r.parts[0] : "", r.parts[1] ? r.parts[1] : "",
               r.parts[2] ? r.parts[2] : "", r.code ? r.code : "", r.gender ? r.gender : "");
    }
    return ok;
}

static int read_cases(const char *kind, const char *path, bool verbose)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[MAX_LINE];
    int lineno = 0;
    struct arena a;
    arena_init(&a, 0);
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#' ||
            (lineno == 1 && strncmp(line, "class\t", 6) == 0)) {
            continue;
        }
        char *col[6];
        int ncol = 0;
        for (char *p = line; ncol < 6;) {
            col[ncol++] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (ncol < 3) {
            fprintf(stderr, "%s:%d: fewer than three columns\n", path, lineno);
            fclose(f);
            arena_release(&a);
            return -1;
        }
        unescape(col[1]);
        struct klass *k = klass_get(col[0]);
        k->total++;
        k->passed += check(kind, col, ncol, &a, verbose, lineno);
        arena_release(&a); /* reused for the next case */
    }
    fclose(f);
    arena_release(&a);
    return 0;
}

static double pct(const struct klass *k)
{
    return k->total ? 100.0 * k->passed / k->total : 0.0;
}

/* Trims spaces around a table cell in place. */
static char *cell(char *s)
{
    while (*s == ' ') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') {
        s[--n] = '\0';
    }
    return s;
}

/* The class a table row floors for `kind`, or NULL: rows read "| `name/order` | ... | 96 |" (the
 * form the other cleaners' rows use) or "| name | order | ... | 96% |". */
static const char *row_class(char **cells, int n, const char *kind)
{
    char *first = cells[0];
    size_t fl = strlen(first);
    if (fl >= 2 && first[0] == '`' && first[fl - 1] == '`') {
        first[fl - 1] = '\0';
        first++;
    }
    size_t kl = strlen(kind);
    if (strncmp(first, kind, kl) == 0 && first[kl] == '/') {
        return first + kl + 1;
    }
    return n == 6 && strcmp(first, kind) == 0 ? cells[1] : NULL;
}

/* Reads the floors of `kind` from the doc's tables and compares; returns the failures. */
static int check_floors(const char *kind, const char *doc)
{
    FILE *f = fopen(doc, "r");
    if (f == NULL) {
        perror(doc);
        return 1;
    }
    char line[MAX_LINE];
    int failed = 0, rows = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '|') {
            continue;
        }
        char *cells[8];
        int n = 0;
        for (char *p = line + 1; n < 8 && *p != '\0';) {
            char *bar = strchr(p, '|');
            if (bar == NULL) {
                break;
            }
            *bar = '\0';
            cells[n++] = cell(p);
            p = bar + 1;
        }
        const char *name = n >= 2 ? row_class(cells, n, kind) : NULL;
        char *end;
        double floor = name ? strtod(cells[n - 1], &end) : 0;
        if (name == NULL || end == cells[n - 1] || (*end != '%' && *end != '\0')) {
            continue;
        }
        rows++;
        struct klass *k = NULL;
        for (int i = 0; i < n_classes; i++) {
            k = strcmp(classes[i].name, name) == 0 ? &classes[i] : k;
        }
        if (k == NULL) {
            printf("FLOOR class '%s' has no case\n", name);
            failed++;
        } else if (pct(k) + 1e-9 < floor) {
            printf("FLOOR class '%s' at %.1f%%, below its floor %.1f%%\n", k->name, pct(k), floor);
            failed++;
        }
    }
    fclose(f);
    if (rows == 0) {
        printf("FLOOR no floors for '%s' in %s\n", kind, doc);
        failed++;
    }
    return failed;
}

int main(int argc, char **argv)
{
    const char *kind = NULL, *file = NULL, *doc = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--floor") == 0 || strcmp(argv[i], "--floors") == 0) && i + 1 < argc) {
            doc = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (kind == NULL) {
            kind = argv[i];
        } else {
            file = argv[i];
        }
    }
    if (kind == NULL || file == NULL ||
        (strncmp(kind, "name", 4) != 0 && strncmp(kind, "date", 4) != 0 &&
         strncmp(kind, "cit", 3) != 0)) {
        fprintf(stderr, "usage: clean_accuracy name|date|city FILE [--floor DOC] [-v]\n");
        return 2;
    }
    if (read_cases(kind, file, verbose) != 0) {
        return 2;
    }
    int total = 0, passed = 0;
    printf("%-16s %6s %6s %8s\n", "class", "cases", "passed", "accuracy");
    for (int i = 0; i < n_classes; i++) {
        printf("%-16s %6d %6d %7.1f%%\n", classes[i].name, classes[i].total, classes[i].passed,
               pct(&classes[i]));
        total += classes[i].total;
        passed += classes[i].passed;
    }
    printf("%-16s %6d %6d %7.1f%%\n", "all", total, passed, total ? 100.0 * passed / total : 0.0);
    /* the doc's rows name the kind in the singular: "name", "date", "city" */
    const char *singular = strncmp(kind, "name", 4) == 0   ? "name"
                           : strncmp(kind, "date", 4) == 0 ? "date"
                                                           : "city";
    return doc != NULL && check_floors(singular, doc) > 0 ? 1 : 0;
}
