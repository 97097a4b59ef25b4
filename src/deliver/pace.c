/*
 * pace.c - the token bucket of pace.h, in integers: a token is 1,000,000 units, and a rate of
 * r thousandths of a message per second adds exactly r units each millisecond.
 */
#include "deliver/pace.h"

#define TOKEN 1000000LL

void pace_init(struct pace *p, double rate)
{
    if (rate > PACE_MAX_RATE) {
        rate = PACE_MAX_RATE;
    }
    p->rate = rate > 0 ? (int64_t)(rate * 1000.0 + 0.5) : 0;
    p->burst = p->rate * 1000 > TOKEN ? p->rate * 1000 : TOKEN;
    p->tokens = p->burst;
    p->last_ms = -1;
}

int64_t pace_take(struct pace *p, int64_t now_ms)
{
    if (p->rate <= 0) {
        return 0;
    }
    if (p->last_ms >= 0 && now_ms > p->last_ms) {
        int64_t dt = now_ms - p->last_ms;
        /* a long pause fills the bucket whatever the rate (and never overflows) */
        p->tokens = dt >= p->burst / p->rate + 1 ? p->burst : p->tokens + dt * p->rate;
        if (p->tokens > p->burst) {
            p->tokens = p->burst;
        }
    }
    if (p->last_ms < 0 || now_ms > p->last_ms) {
        p->last_ms = now_ms; /* a clock that steps back keeps the old time: no free tokens */
    }
    if (p->tokens >= TOKEN) {
        p->tokens -= TOKEN;
        return 0;
    }
    return (TOKEN - p->tokens + p->rate - 1) / p->rate;
}
