/*
 * fuzz_intervals.c - arbitrary bytes where the outside world reaches the learned intervals: the
 * reports' query texts (`by`, `starting_on`, `days`, `days_before`, `factor`: lines of the input)
 * and, from the bytes after them, purchase days to compute over. No crash, no leak; an ask that
 * parses is in range, and every due row fires in the span, with her own median exactly when she
 * bought on three days or more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segment/intervals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, 0);
    const char *text = arena_strndup(&a, (const char *)data, size);
    const char *f[5] = {NULL};
    const char *p = text;
    for (int i = 0; i < 5 && *p; i++) {
        size_t n = strcspn(p, "\n");
        f[i] = n == 1 && *p == '-' ? NULL : arena_strndup(&a, p, n); /* "-": the default */
        p += n + (p[n] == '\n');
    }
    bool lapse = size > 0 && (data[0] & 1);
    struct intervals_ask q;
    struct kt_err err;
    kt_err_reset(&err);
    if (intervals_ask_parse(lapse, f[0], f[1], f[2], f[3], f[4], 20000, &q, &err) != KT_OK) {
        if (err.rc != KT_EBADREQ || err.field[0] == '\0') {
            abort();
        }
        arena_release(&a);
        return 0;
    }
    if (q.from >= q.until || q.until - q.from > 366 || q.days_before < 0 ||
        q.days_before > INTERVALS_DAYS_BEFORE_MAX || q.factor_x100 < INTERVALS_FACTOR_MIN ||
        q.factor_x100 > INTERVALS_FACTOR_MAX || (lapse != (q.by == STORE_DAY_RECEIPT))) {
        abort();
    }
    /* The rest as purchase days: a byte's low bits the customer and key, its value the day
     * step; grouped and ascending as the store gives them. */
    size_t left = strlen(p), n = 0;
    struct interval_row *rows = arena_zalloc(&a, (left ? left : 1) * sizeof(*rows));
    static const char *const keys[] = {"A", "B", "C", "D"};
    int64_t day = q.from - 400;
    for (size_t i = 0; i < left; i++) {
        unsigned char b = (unsigned char)p[i];
        int64_t ck = 1 + (b >> 6);
        const char *key = lapse ? "" : keys[(b >> 4) & 3];
        if (n > 0 &&
            (rows[n - 1].ck > ck || (rows[n - 1].ck == ck && strcmp(rows[n - 1].key, key) > 0))) {
            continue; /* keep (ck, key) order */
        }
        if (n == 0 || rows[n - 1].ck != ck || strcmp(rows[n - 1].key, key) != 0) {
            day = q.from - 400;
        }
        day += b & 15;
        rows[n++] = (struct interval_row){ck, "c", key, day};
    }
    struct interval_due *d;
    size_t nd;
    if (intervals_due_of_rows(rows, n, &q, &a, &d, &nd, &err) != KT_OK) {
        abort();
    }
    for (size_t i = 0; i < nd; i++) {
        int64_t fires = lapse ? d[i].due_day : d[i].due_day - q.days_before;
        if (fires < q.from || fires >= q.until || d[i].days < 0 ||
            d[i].own != (d[i].purchase_days >= 3) || (i > 0 && d[i - 1].ck > d[i].ck)) {
            abort();
        }
    }
    arena_release(&a);
    return 0;
}
