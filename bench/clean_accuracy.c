/*
 * clean_accuracy.c - how often a cleaner gives the verdict we expect, by class of input.
 *
 *   clean_accuracy KIND FILE [--floors DOC] [-v]
 *
 * KIND is name, date or city. FILE is a case set (tests/clean/<kind>s.tsv): one case a line, tab
 * separated - class, input, expected verdict, expected value (empty: not checked), expected change
 * or reason (optional: the change when the verdict is ok/corrected, else the reason). Lines
 * starting with '#' are comments. A case passes when all that it states holds. Birth dates are
 * cleaned as of 2025-11-24, so the set does not age.
 *
 * With --floors, DOC (docs/cleaning.md) is read for table rows whose first cell is `KIND/CLASS`
 * and whose last cell is the floor in percent; the program fails when a class falls below its
 * floor or a floored class has no case, so ctest catches a regression. -v prints each failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "clean/clean.h"

#define TODAY_DAYS  20416 /* 2025-11-24 */
#define MAX_CLASSES 64

struct klass {
    char name[64];
    int total, passed;
    double floor; /* percent, or -1 when none is recorded */
};

static struct klass classes[MAX_CLASSES];
static int n_classes;

static struct klass *klass_get(const char *name, size_t len)
{
    for (int i = 0; i < n_classes; i++) {
        if (strlen(classes[i].name) == len && memcmp(classes[i].name, name, len) == 0) {
            return &classes[i];
        }
    }
    if (n_classes == MAX_CLASSES || len >= sizeof(classes[0].name)) {
        return NULL;
    }
    struct klass *k = &classes[n_classes++];
    memcpy(k->name, name, len);
    k->name[len] = '\0';
    k->floor = -1;
    return k;
}

static void run_one(const char *kind, const char *in, struct arena *a, struct clean_out *out)
{
    size_t len = strlen(in);
    if (strcmp(kind, "date") == 0) {
        clean_birth_date(in, len, TODAY_DAYS, a, out);
    } else if (strcmp(kind, "city") == 0) {
        clean_city(in, len, a, out);
    } else {
        struct clean_name n;
        clean_full_name(in, len, a, &n);
        *out = n.out;
    }
}

/* Splits `line` in place at tabs into at most `max` fields; returns how many. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p != '\0' && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

static bool same(const char *want, const char *got)
{
    return want[0] == '\0' || (got != NULL && strcmp(want, got) == 0);
}

static bool check(const char *kind, char **f, int nf, bool verbose, struct arena *a)
{
    struct clean_out out;
    run_one(kind, f[1], a, &out);
    const char *verdict = clean_verdict_name(out.verdict);
    const char *code = out.verdict <= CLEAN_CORRECTED ? out.change : out.reason;
    bool ok = strcmp(f[2], verdict) == 0 && (out.verdict == CLEAN_INVALID || same(f[3], out.value));
    ok = ok && (nf < 5 || same(f[4], code));
    if (!ok && verbose) {
        printf("FAIL %-16s '%s': want %s '%s' %s, got %s '%s' %s\n", f[0], f[1], f[2], f[3],
               nf < 5 ? "" : f[4], verdict, out.value ? out.value : "", code ? code : "");
    }
    return ok;
}

static int read_cases(const char *kind, const char *path, bool verbose)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *f[5];
        int nf = split(line, f, 5);
        struct klass *k = nf >= 3 ? klass_get(f[0], strlen(f[0])) : NULL;
        if (k == NULL) {
            fprintf(stderr, "%s:%d: malformed case\n", path, lineno);
            fclose(fp);
            return -1;
        }
        char *empty = "";
        char *g[5] = {f[0], f[1], f[2], nf > 3 ? f[3] : empty, nf > 4 ? f[4] : empty};
        struct arena a;
        arena_init(&a, 0);
        k->total++;
        k->passed += check(kind, g, nf, verbose, &a);
        arena_release(&a);
    }
    fclose(fp);
    return 0;
}

/* One table row "| `date/iso_ok` | ... | 95% |": records the floor of class iso_ok. */
static void floor_row(const char *kind, char *row)
{
    char *cells[16];
    int n = 0;
    for (char *p = row; *p != '\0' && n < 16; p++) {
        if (*p == '|') {
            *p = '\0';
            cells[n++] = p + 1;
        }
    }
    if (n < 3) {
        return;
    }
    char *first = cells[0] + strspn(cells[0], " `");
    size_t kl = strlen(kind);
    if (strncmp(first, kind, kl) != 0 || first[kl] != '/') {
        return;
    }
    char *name = first + kl + 1;
    size_t nl = strcspn(name, " `");
    char *last = cells[n - 2] + strspn(cells[n - 2], " ");
    int64_t pct;
    size_t dl = strspn(last, "0123456789");
    if (dl == 0 || !num_parse_i64(last, dl, 0, 100, &pct)) {
        return;
    }
    struct klass *k = klass_get(name, nl);
    if (k != NULL) {
        k->floor = (double)pct;
    }
}

static int read_floors(const char *kind, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    char line[2048];
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '|') {
            floor_row(kind, line);
        }
    }
    fclose(fp);
    return 0;
}

static int report(const char *kind)
{
    int rc = 0, total = 0, passed = 0;
    printf("%-20s %7s %7s\n", kind, "cases", "right");
    for (int i = 0; i < n_classes; i++) {
        const struct klass *k = &classes[i];
        double pct = k->total ? 100.0 * k->passed / k->total : 0;
        bool low = k->floor >= 0 && (k->total == 0 || pct + 1e-9 < k->floor);
        printf("%-20s %7d %6.1f%%%s\n", k->name, k->total, pct,
               low            ? "  BELOW FLOOR"
               : k->floor < 0 ? "  (no floor)"
                              : "");
        rc |= low;
        total += k->total;
        passed += k->passed;
    }
    printf("%-20s %7d %6.1f%%\n", "all", total, total ? 100.0 * passed / total : 0);
    return rc;
}

int main(int argc, char **argv)
{
    const char *floors = NULL;
    bool verbose = false;
    const char *pos[2] = {NULL, NULL};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--floors") == 0 && i + 1 < argc) {
            floors = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (np < 2) {
            pos[np++] = argv[i];
        }
    }
    if (np != 2 || (strcmp(pos[0], "name") != 0 && strcmp(pos[0], "date") != 0 &&
                    strcmp(pos[0], "city") != 0)) {
        fprintf(stderr, "usage: clean_accuracy name|date|city FILE [--floors DOC] [-v]\n");
        return 2;
    }
    if (floors != NULL && read_floors(pos[0], floors) != 0) {
        return 2;
    }
    if (read_cases(pos[0], pos[1], verbose) != 0) {
        return 2;
    }
    return report(pos[0]);
}
