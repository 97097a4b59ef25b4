/*
 * limits.c - the pages' limits per phone, address and join point (limits.h). A sliding log: one
 * row per admitted use, so a window's count and the wait are exact; a refused use writes nothing,
 * so the rows of a key stay at most its kind's largest count per longest window, and the
 * scheduler deletes what no window reaches. The limits in force are set once at start-up.
 */
#include "pages/limits.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "pages/page.h"

#define MINUTE_MS  (60 * 1000)
#define HOUR_MS    (60 * MINUTE_MS)
#define DAY_MS     (24 * HOUR_MS)
#define COUNT_MAX  1000000
#define WINDOW_MAX (30LL * DAY_MS)
#define EXPIRE_ROWS                                                                                \
    1000 /* rows deleted per write transaction: the tills wait one batch at most                   \
          */

const struct pages_limits pages_limits_default = {
    .phone = {{3, 10 * MINUTE_MS}, {10, DAY_MS}},
    .addr = {{20, HOUR_MS}, {0, 0}},
    .join_point = {{300, HOUR_MS}, {0, 0}},
};

/* Written once by serve before its threads start (pages_limits_set), read-only after. */
static struct pages_limits configured;
static const struct pages_limits *in_force = &pages_limits_default;

void pages_limits_set(const struct pages_limits *l)
{
    configured = *l;
    in_force = &configured;
}

/* The rules of `kind`, or NULL for a kind that is none of the three. */
static const struct pages_limit_rule *rules_of(const char *kind)
{
    if (strcmp(kind, "phone") == 0) {
        return in_force->phone;
    }
    if (strcmp(kind, "addr") == 0) {
        return in_force->addr;
    }
    return strcmp(kind, "join_point") == 0 ? in_force->join_point : NULL;
}

/* One "COUNT/DURATION" of pages_limits_parse, `len` bytes at `p`. */
static bool rule_parse(const char *p, size_t len, struct pages_limit_rule *out)
{
    const char *slash = memchr(p, '/', len);
    if (slash == NULL || slash == p || len - (size_t)(slash - p) - 1 < 2) {
        return false; /* a count, a slash, a number and its unit */
    }
    size_t dlen = len - (size_t)(slash - p) - 1; /* the duration's bytes, its unit the last */
    int64_t count = 0, n = 0, unit = 0;
    switch (slash[dlen]) {
    case 's':
        unit = 1000;
        break;
    case 'm':
        unit = MINUTE_MS;
        break;
    case 'h':
        unit = HOUR_MS;
        break;
    case 'd':
        unit = DAY_MS;
        break;
    default:
        return false;
    }
    if (!num_parse_i64(p, (size_t)(slash - p), 1, COUNT_MAX, &count) ||
        !num_parse_i64(slash + 1, dlen - 1, 1, WINDOW_MAX / 1000, &n) || n * unit > WINDOW_MAX) {
        return false;
    }
    *out = (struct pages_limit_rule){count, n * unit};
    return true;
}

bool pages_limits_parse(const char *text, struct pages_limit_rule out[PAGES_LIMIT_RULES])
{
    memset(out, 0, sizeof(*out) * PAGES_LIMIT_RULES);
    if (text != NULL && strcmp(text, "off") == 0) {
        return true;
    }
    const char *p = text != NULL ? text : "";
    for (int i = 0; i < PAGES_LIMIT_RULES; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (!rule_parse(p, len, &out[i])) {
            break;
        }
        if (comma == NULL) {
            return true;
        }
        p = comma + 1;
    }
    memset(out, 0, sizeof(*out) * PAGES_LIMIT_RULES);
    return false;
}

enum kt_rc pages_limit_take(struct store_conn *w, const struct key_secret *k, const char *kind,
                            const char *key, int64_t now, struct kt_err *err)
{
    const struct pages_limit_rule *rules = rules_of(kind);
    if (rules == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "no limit of kind '%s'", kind);
    }
    if (key == NULL || key[0] == '\0') {
        return KT_OK;
    }
    char context[32];
    unsigned char tag[32];
    snprintf(context, sizeof(context), "page-limit:%s:", kind);
    keys_tag(k, context, key, tag);
    int64_t wait_ms = 0, longest = 0;
    const struct pages_limit_rule *hit = NULL;
    for (int i = 0; i < PAGES_LIMIT_RULES; i++) {
        const struct pages_limit_rule *r = &rules[i];
        if (r->count <= 0) {
            continue;
        }
        longest = r->window_ms > longest ? r->window_ms : longest;
        int64_t at = 0; /* the use that fills the window, when it is full */
        enum kt_rc rc = store_page_limit_nth(w, tag, now - r->window_ms + 1, r->count, &at, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (at != 0 && at + r->window_ms - now > wait_ms) {
            wait_ms = at + r->window_ms - now;
            hit = r;
        }
    }
    if (hit != NULL) {
        return kt_err_limit(err, (int)((wait_ms + 999) / 1000), "page_rate_limited", kind,
                            "at most %lld uses of one %s in %lld s; try again later",
                            (long long)hit->count, kind, (long long)(hit->window_ms / 1000));
    }
    return longest > 0 ? store_page_limit_add(w, kind, tag, now, now + longest, err) : KT_OK;
}

enum kt_rc pages_limits_expire(struct store *s, int64_t now, int64_t *removed, struct kt_err *err)
{
    int64_t n = EXPIRE_ROWS;
    *removed = 0;
    while (n == EXPIRE_ROWS) {
        struct store_conn *w;
        if (store_write_begin(s, &w, err) != KT_OK) {
            return err->rc;
        }
        enum kt_rc rc = store_page_limit_expire(w, now, EXPIRE_ROWS, &n, err);
        if (store_write_end(w, rc, err) != KT_OK) {
            return err->rc;
        }
        *removed += n;
    }
    return KT_OK;
}

/* "5 минут", "2 часа": `n` with the Russian plural of its unit (one, few, many). */
static const char *count_ru(struct arena *a, int64_t n, const char *one, const char *few,
                            const char *many)
{
    int64_t d = n % 10, dd = n % 100;
    const char *w = d == 1 && dd != 11                         ? one
                    : d >= 2 && d <= 4 && (dd < 12 || dd > 14) ? few
                                                               : many;
    return arena_printf(a, "%lld %s", (long long)n, w);
}

enum kt_rc pages_render_limited(int retry_after_s, struct arena *a, const char **html, size_t *len,
                                struct kt_err *err)
{
    int64_t s = retry_after_s > 0 ? retry_after_s : 1;
    int64_t minutes = (s + 59) / 60;
    const char *wait = minutes <= 60 ? count_ru(a, minutes, "минуту", "минуты", "минут")
                                     : count_ru(a, (s + 3599) / 3600, "час", "часа", "часов");
    json_t *ctx = json_pack("{s:s}", "wait", wait);
    enum kt_rc rc = pages_render("limited", "Слишком много попыток", ctx, a, html, len, err);
    json_decref(ctx);
    return rc;
}
