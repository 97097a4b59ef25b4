/*
 * policy.c - the sending policy (see policy.h): the consent part's checks and the quiet hours,
 * in one place the claim asks.
 */
#include <string.h>

#include "consent/consent.h"
#include "deliver/deliver.h"
#include "deliver/policy.h"
#include "identity/identity.h"

void policy_conf_default(struct policy_conf *pc)
{
    pc->sms = (struct policy_window){21 * 60, 9 * 60};
    pc->push = pc->sms;
    pc->email = (struct policy_window){POLICY_NO_WINDOW, POLICY_NO_WINDOW};
}

/* "HH:MM" at s[0..4] into minutes since midnight, or -1. */
static int hhmm(const char *s)
{
    for (int i = 0; i < 5; i++) {
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

bool policy_window_parse(const char *s, struct policy_window *out)
{
    if (s == NULL) {
        return false;
    }
    if (strcmp(s, "none") == 0) {
        *out = (struct policy_window){POLICY_NO_WINDOW, POLICY_NO_WINDOW};
        return true;
    }
    if (strlen(s) != 11 || s[5] != '-') {
        return false;
    }
    int from = hhmm(s), to = hhmm(s + 6);
    if (from < 0 || to < 0 || from == to) {
        return false; /* an empty or a whole-day window is a mistake, not a setting */
    }
    *out = (struct policy_window){from, to};
    return true;
}

int64_t policy_quiet_end(const struct policy_window *w, const struct tz *z, int64_t now)
{
    if (w->from == POLICY_NO_WINDOW || w->from == w->to) {
        return 0; /* a zeroed conf (a sender built without serve's flags) has no quiet hours */
    }
    struct tz_local l;
    tz_local(z, now, &l);
    int m = (int)(l.hour * 60 + l.minute);
    bool inside = w->from < w->to ? m >= w->from && m < w->to : m >= w->from || m < w->to;
    if (!inside) {
        return 0;
    }
    return tz_next_at(z, now, (unsigned)(w->to / 60), (unsigned)(w->to % 60));
}

/* The consent part's checks (docs/messages.md, "The outbox"): NULL when the message may go, else
 * the reason it may not. Transactional messages skip the ads consent and the subscription,
 * never erasure, blocking or a pd_processing not given. `cu` is the customer, when found. */
static enum kt_rc refusal(struct store_conn *c, const struct outbox_msg *m, int64_t now,
                          struct arena *a, struct customer *cu, const char **reason,
                          struct kt_err *err)
{
    bool found = false;
    *reason = NULL;
    enum kt_rc rc = store_customer_get(c, m->ck, a, cu, &found, err);
    if (rc != KT_OK || !found) {
        *reason = found ? NULL : "customer_not_found";
        return rc;
    }
    if (cu->erased_at != 0 || (m->recipient == NULL && strcmp(m->channel, "push") != 0)) {
        *reason = "erased"; /* the key is shredded: nothing to send to */
        return KT_OK;
    }
    const char *kind = deliver_address_kind(m->channel); /* a hard bounce: never again */
    bool gone = false;
    if (kind != NULL &&
        (rc = store_undeliverable_has(c, kind, m->recipient, &gone, err)) != KT_OK) {
        return rc;
    }
    if (gone) {
        *reason = "undeliverable";
        return KT_OK;
    }
    if (strcmp(m->kind, "marketing") == 0) { /* consent, ads under 38-FZ, topic, blocking */
        return consent_may_send(c, cu, m->channel, m->topic, now, a, reason, err);
    }
    bool blocked = false;
    if ((rc = store_block_in_force(c, cu->ck, &blocked, err)) != KT_OK || blocked) {
        *reason = blocked ? "blocked" : NULL;
        return rc;
    }
    struct consent_state *cs;
    size_t n;
    if ((rc = consent_states(c, cu->ck, now, a, &cs, &n, err)) != KT_OK) {
        return rc;
    }
    const struct consent_state *pd = consent_find(cs, n, "pd_processing", "");
    *reason = pd != NULL && strcmp(pd->state, "given") == 0 ? NULL : "no_pd_consent";
    return KT_OK;
}

static const struct policy_window *window_of(const struct policy_conf *pc, const char *channel)
{
    if (strcmp(channel, "sms") == 0) {
        return &pc->sms;
    }
    if (strcmp(channel, "push") == 0) {
        return &pc->push;
    }
    return strcmp(channel, "email") == 0 ? &pc->email : NULL;
}

enum kt_rc policy_decide(struct store_conn *c, const struct policy_conf *pc,
                         const struct outbox_msg *m, int64_t now, struct arena *a,
                         struct policy_decision *d, struct kt_err *err)
{
    struct customer cu;
    *d = (struct policy_decision){.verdict = POLICY_SEND};
    enum kt_rc rc = refusal(c, m, now, a, &cu, &d->reason, err);
    if (rc != KT_OK || d->reason != NULL) {
        d->verdict = d->reason != NULL ? POLICY_REFUSE : POLICY_SEND;
        return rc;
    }
    const struct policy_window *w = window_of(pc, m->channel);
    if (strcmp(m->kind, "transactional") == 0 || w == NULL || w->from == POLICY_NO_WINDOW) {
        return KT_OK; /* a one-time code must arrive at once */
    }
    struct ident_zone z;
    if ((rc = ident_time_zone(c, m->ck, a, &z, err)) != KT_OK) {
        return rc;
    }
    int64_t end = policy_quiet_end(w, z.zone, now);
    if (end > now) {
        *d = (struct policy_decision){POLICY_HOLD, end, "quiet_hours"};
    }
    return KT_OK;
}
