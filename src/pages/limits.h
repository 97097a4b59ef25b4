/*
 * limits.h - how often the customer's pages may be used (docs/pages.md, "Limits"): per phone, per
 * client address and per join point, against SMS pumping (a robot that makes the pages send
 * codes to numbers it is paid for) and form flooding. A use is counted in the database (several
 * servers share one), in the write transaction of the work it admits, so a use whose work is
 * rolled back (a value refused, a code not sent) counts nothing. The key is kept as a keyed tag
 * (auth/keys.h keys_tag), never in clear.
 *
 * Each kind has up to PAGES_LIMIT_RULES sliding windows ("3 in 10 minutes and 10 in a day"): a
 * use is admitted when every window of its kind holds fewer than its count; a refused use is not
 * counted. Over a limit the wait is exact: until the use that fills the window leaves it.
 */
#ifndef KT_PAGES_LIMITS_H
#define KT_PAGES_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define PAGES_LIMIT_RULES 2

/* At most `count` uses in any `window_ms`; count 0: the rule is off. */
struct pages_limit_rule {
    int64_t count;     /* uses */
    int64_t window_ms; /* the sliding window, ms */
};

/* The limits of the three kinds. */
struct pages_limits {
    struct pages_limit_rule phone[PAGES_LIMIT_RULES];      /* a phone in standard form */
    struct pages_limit_rule addr[PAGES_LIMIT_RULES];       /* a client's address */
    struct pages_limit_rule join_point[PAGES_LIMIT_RULES]; /* a join point's code */
};

/* The defaults: a phone 3 in 10 minutes and 10 in a day; an address 20 in an hour; a join point
 * 300 in an hour (a busy till). serve's --limit-phone, --limit-addr, --limit-join-point. */
extern const struct pages_limits pages_limits_default;

/* Puts `l` in force for the process (serve, before any thread starts: read-only after that).
 * Until it is called the defaults are. */
void pages_limits_set(const struct pages_limits *l);

/* The rules of one kind from text: "COUNT/DURATION[,COUNT/DURATION]" with DURATION a number and
 * s, m, h or d ("3/10m,10/1d"), or "off" (no limit); false for anything else (a count is 1 to
 * 1000000, a duration 1 s to 30 d). */
bool pages_limits_parse(const char *text, struct pages_limit_rule out[PAGES_LIMIT_RULES]);

/*
 * Counts one use of `key` (a phone in standard form, a client address, a join point's code) of
 * `kind` ("phone", "addr", "join_point") in write transaction `w` at `now`. Over a window of the
 * kind: KT_ELIMIT "page_rate_limited", field `kind`, err->retry_after the seconds until the use
 * would be admitted (HTTP 429 with Retry-After; a page route answers it with the page below).
 * An empty or NULL key (the server does not know the address) counts nothing. An unknown kind is
 * KT_EINTERNAL (a bug of the caller).
 */
enum kt_rc pages_limit_take(struct store_conn *w, const struct key_secret *k, const char *kind,
                            const char *key, int64_t now, struct kt_err *err);

/* Deletes the uses no window reaches any more at `now`, in short write transactions (the
 * scheduler's page_limits_expiry); `removed` counts them. */
enum kt_rc pages_limits_expire(struct store *s, int64_t now, int64_t *removed, struct kt_err *err);

/* The 429 page in Russian (data/limited.html): too many attempts, try again in so many minutes
 * (hours past an hour) - `retry_after_s` rounded up. */
enum kt_rc pages_render_limited(int retry_after_s, struct arena *a, const char **html, size_t *len,
                                struct kt_err *err);

#endif
