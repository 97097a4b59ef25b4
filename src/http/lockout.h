/*
 * lockout.h - addresses locked out after repeated wrong API keys (issue 19, part F).
 *
 * A client that sends `max` wrong keys (code invalid_key) within `window_ms` of its first one is
 * refused for `lock_ms` - every request that needs a key, the right key included, so a guesser
 * who hits the secret learns nothing during the lock. The count starts at an address's first
 * failure and ends with the window; a success does not reset it, so a client holding one good key
 * cannot interleave guesses. An expired key or a missing one is not a guess and is not counted.
 *
 * The table is in memory, per process (a restart forgets it; several API processes over
 * PostgreSQL will need it shared: docs/operations.md). It holds LOCKOUT_SLOTS addresses; when a
 * bucket's probes are all live, the entry with the earliest deadline is replaced, so a flood of
 * addresses can only make the lock forget, never grow memory. Thread-safe: one mutex, taken only
 * while some address has a live entry (an atomic count says so), so the tills' requests pay one
 * atomic load when nobody guesses.
 */
#ifndef KT_HTTP_LOCKOUT_H
#define KT_HTTP_LOCKOUT_H

#include <stdbool.h>
#include <stdint.h>

#define LOCKOUT_SLOTS 4096

struct lockout_conf {
    int max;           /* wrong keys that lock an address; 0: never lock */
    int64_t window_ms; /* counted within this long of the first */
    int64_t lock_ms;   /* refused this long after the last counted one */
};

struct lockout;

/* NULL when conf->max is 0 (nothing to do). Free with lockout_free. */
struct lockout *lockout_new(const struct lockout_conf *conf);
void lockout_free(struct lockout *l);

/* Seconds (rounded up, at least 1) until `ip` may present a key again; 0 when it may now. `now`
 * is a monotonic time in ms. NULL `l`: 0. */
int lockout_wait(struct lockout *l, const char *ip, int64_t now);

/* Counts a wrong key from `ip`; true when this one locked the address out. */
bool lockout_fail(struct lockout *l, const char *ip, int64_t now);

/* How long a lock lasts, in seconds; and the audit entry's words for one ("10 wrong keys within
 * 300 s: refused for 900 s"), which live as long as `l`. */
int lockout_seconds(const struct lockout *l);
const char *lockout_detail(const struct lockout *l);

#endif
