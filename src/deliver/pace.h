/*
 * pace.h - a channel's send rate: a token bucket (messages per second, --email-rate,
 * --sms-rate, --push-rate; 0 = unlimited).
 *
 * The bucket holds at most `burst` tokens (one second's worth, at least one) and fills at
 * `rate` per second; a send takes one. The time is the caller's (clock_now_ms() or a test's),
 * so the bucket is a pure calculation. Not thread-safe: one bucket per sending thread, or the
 * caller's lock around it.
 */
#ifndef KT_DELIVER_PACE_H
#define KT_DELIVER_PACE_H

#include <stdint.h>

struct pace {
    int64_t rate;    /* thousandths of a message per second (0.5/s = 500); 0 = unlimited */
    int64_t burst;   /* the most the bucket holds, in millionths of a token */
    int64_t tokens;  /* millionths of a token now (as of `last_ms`): integers, so no rounding
                        drifts over a day of sending */
    int64_t last_ms; /* when `tokens` was last brought up to date; -1 before the first take */
};

#define PACE_MAX_RATE 1000000 /* the most a rate flag takes, messages per second */

/* A full bucket of `rate` messages per second (0: unlimited; kept to a thousandth). */
void pace_init(struct pace *p, double rate);

/* Takes a token at `now_ms` and returns 0, or returns the milliseconds until one is there
 * (taking nothing). Always 0 when unlimited. */
int64_t pace_take(struct pace *p, int64_t now_ms);

#endif
