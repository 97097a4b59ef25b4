/*
 * clock.h - time. Stored times are UTC milliseconds since the epoch; the API speaks RFC 3339.
 *
 * The wall clock is injectable: tests set a function (or a fixed offset) so that time can move
 * without waiting. The monotonic clock is for durations only and is never injected.
 */
#ifndef KT_BASE_CLOCK_H
#define KT_BASE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t (*clock_fn)(void);

int64_t clock_now_ms(void);        /* wall clock, UTC ms */
void clock_set(clock_fn fn);       /* NULL restores the real clock */
void clock_set_offset(int64_t ms); /* shifts the real clock; for end-to-end tests */
int64_t clock_mono_ns(void);       /* monotonic, for durations */

/* The real-time clock `ms` milliseconds from now, as pthread_cond_timedwait() and
 * pthread_mutex_timedlock() take a deadline (never the injected clock). */
struct timespec;
void clock_deadline(int64_t ms, struct timespec *out);

/* "2026-11-24T13:49:11.123Z"; `size` >= 25. Returns out. */
const char *time_format_rfc3339(int64_t ms, char *out, size_t size);
/* The same in `a` (lives as long as the arena): the times of the documents modules build. */
struct arena;
const char *time_rfc3339(struct arena *a, int64_t ms);

/* Parses RFC 3339 ("2026-11-24T13:49:11Z", fractions and +03:00 offsets allowed) into UTC ms. */
bool time_parse_rfc3339(const char *s, size_t len, int64_t *ms);

/*
 * The plausible window of a time a client sends (a receipt, an event, when data was collected):
 * not before 2000-01-01T00:00:00Z and at most TIME_CLIENT_SKEW_MS past the server's `now`, the
 * slack for a till's clock running a little fast. Returns NULL when `ms` is inside, else the
 * reason, for a message ("is before 2000-01-01", "lies in the future").
 */
#define TIME_CLIENT_MIN_MS  946684800000LL /* 2000-01-01T00:00:00Z */
#define TIME_CLIENT_SKEW_MS (5 * 60 * 1000LL)
const char *time_client_check(int64_t ms, int64_t now);

/* Days since 1970-01-01 of a proleptic Gregorian date, and the way back. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
bool date_valid(int64_t y, unsigned m, unsigned d);

#endif
