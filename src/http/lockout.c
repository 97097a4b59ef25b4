/*
 * lockout.c - the table of addresses and their wrong keys (see lockout.h). Open addressing over a
 * fixed array: an address hashes to a bucket and is looked for in the next LOCKOUT_PROBES slots;
 * a slot whose window and lock have both passed is free.
 */
#include "http/lockout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

#define LOCKOUT_PROBES 8
#define IP_MAX         48 /* an IPv6 address in text, with room */

struct slot {
    char ip[IP_MAX];      /* "" when free */
    int count;            /* wrong keys since first_at */
    int64_t first_at;     /* ms, the window's start */
    int64_t locked_until; /* ms, 0 when not locked */
};

struct lockout {
    struct lockout_conf conf;
    pthread_mutex_t mu;         /* guards slots */
    _Atomic int64_t quiet_from; /* ms; from then on no slot means anything, so lockout_wait
                                   answers without the mutex (raised under it, read without) */
    char detail[96];            /* lockout_detail() */
    struct slot slots[LOCKOUT_SLOTS];
};

struct lockout *lockout_new(const struct lockout_conf *conf)
{
    if (conf->max <= 0) {
        return NULL;
    }
    struct lockout *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        abort();
    }
    l->conf = *conf;
    pthread_mutex_init(&l->mu, NULL);
    kt_snprintf(l->detail, sizeof(l->detail), "%d wrong keys within %lld s: refused for %d s",
                conf->max, (long long)(conf->window_ms / 1000), lockout_seconds(l));
    return l;
}

int lockout_seconds(const struct lockout *l)
{
    return l == NULL ? 0 : (int)((l->conf.lock_ms + 999) / 1000);
}

const char *lockout_detail(const struct lockout *l)
{
    return l == NULL ? NULL : l->detail;
}

void lockout_free(struct lockout *l)
{
    if (l != NULL) {
        pthread_mutex_destroy(&l->mu);
        free(l);
    }
}

static uint32_t hash_ip(const char *ip)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)ip; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h;
}

/* Until when the slot means anything: its lock or its window, whichever ends later. */
static int64_t slot_end(const struct lockout *l, const struct slot *s)
{
    int64_t window_end = s->first_at + l->conf.window_ms;
    return s->locked_until > window_end ? s->locked_until : window_end;
}

static bool slot_live(const struct lockout *l, const struct slot *s, int64_t now)
{
    return s->ip[0] != '\0' && now < slot_end(l, s);
}

/* The slot of `ip`, or NULL when it has none. Under the mutex. */
static struct slot *find(struct lockout *l, const char *ip, int64_t now)
{
    uint32_t h = hash_ip(ip);
    for (int i = 0; i < LOCKOUT_PROBES; i++) {
        struct slot *s = &l->slots[(h + (uint32_t)i) % LOCKOUT_SLOTS];
        if (strcmp(s->ip, ip) == 0) {
            return slot_live(l, s, now) ? s : NULL;
        }
    }
    return NULL;
}

/* A slot for `ip`: its own, a free one, or the one whose meaning ends first. Under the mutex. */
static struct slot *claim(struct lockout *l, const char *ip, int64_t now)
{
    uint32_t h = hash_ip(ip);
    struct slot *best = NULL;
    int64_t best_end = INT64_MAX;
    for (int i = 0; i < LOCKOUT_PROBES; i++) {
        struct slot *s = &l->slots[(h + (uint32_t)i) % LOCKOUT_SLOTS];
        if (strcmp(s->ip, ip) == 0) {
            return s;
        }
        int64_t end = slot_live(l, s, now) ? slot_end(l, s) : INT64_MIN;
        if (best == NULL || end < best_end) {
            best = s;
            best_end = end;
        }
    }
    memset(best, 0, sizeof(*best));
    kt_strlcpy(best->ip, ip, sizeof(best->ip));
    return best;
}

int lockout_wait(struct lockout *l, const char *ip, int64_t now)
{
    if (l == NULL || now >= atomic_load(&l->quiet_from)) {
        return 0;
    }
    pthread_mutex_lock(&l->mu);
    struct slot *s = find(l, ip, now);
    int64_t left = s != NULL && now < s->locked_until ? s->locked_until - now : 0;
    pthread_mutex_unlock(&l->mu);
    return left > 0 ? (int)((left + 999) / 1000) : 0;
}

bool lockout_fail(struct lockout *l, const char *ip, int64_t now)
{
    if (l == NULL) {
        return false;
    }
    pthread_mutex_lock(&l->mu);
    struct slot *s = claim(l, ip, now);
    if (s->count == 0 || now - s->first_at >= l->conf.window_ms) {
        s->count = 0; /* a new window: the old one passed */
        s->first_at = now;
    }
    s->count++;
    bool locks = s->count == l->conf.max;
    if (s->count >= l->conf.max) {
        s->locked_until = now + l->conf.lock_ms;
    }
    if (slot_end(l, s) > atomic_load(&l->quiet_from)) {
        atomic_store(&l->quiet_from, slot_end(l, s));
    }
    pthread_mutex_unlock(&l->mu);
    return locks;
}
