/*
 * policy.h - the sending policy (docs/messages.md, "The sending policy"): the one place that
 * decides whether a due message of the outbox goes now, waits, or never goes. The claim asks it
 * inside its write transaction for every due row.
 *
 *   send    - nothing stands in the way
 *   hold    - not now: due inside the customer's quiet hours for its channel; the row stays
 *             queued with next_at = the window's end on the customer's local clock
 *   refuse  - never: the consent part's reasons (customer_not_found, erased, blocked,
 *             no_pd_consent, no_consent, unsubscribed, ...) and an address a hard bounce
 *             marked (undeliverable, transactional messages too); the row becomes `suppressed`
 *
 * Transactional messages ignore quiet hours (a one-time code must arrive at once); they never
 * skip erasure, blocking or a pd_processing consent not given.
 */
#ifndef KT_DELIVER_POLICY_H
#define KT_DELIVER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/tz.h"
#include "store/store.h"

#define POLICY_NO_WINDOW -1

/* A daily window of local wall-clock minutes [from, to); from > to spans midnight
 * (21:00-09:00). from == POLICY_NO_WINDOW: none. */
struct policy_window {
    int from, to; /* minutes since local midnight, 0..1439 */
};

/* The quiet hours per channel (serve's --quiet-hours-sms/-push/-email). */
struct policy_conf {
    struct policy_window sms, push, email;
};

enum policy_verdict { POLICY_SEND, POLICY_HOLD, POLICY_REFUSE };

struct policy_decision {
    enum policy_verdict verdict;
    int64_t until;      /* HOLD: the UTC moment to try again */
    const char *reason; /* HOLD and REFUSE: why (static string) */
};

/* The defaults: 21:00-09:00 for sms and push, none for e-mail. */
void policy_conf_default(struct policy_conf *pc);

/* "HH:MM-HH:MM" or "none" into `out`; false on anything else (also from == to). */
bool policy_window_parse(const char *s, struct policy_window *out);

/* When `now` falls inside window `w` on zone `z`'s clock: the UTC moment the window ends;
 * otherwise 0. */
int64_t policy_quiet_end(const struct policy_window *w, const struct tz *z, int64_t now);

/* The decision for message `m` due at `now` (see above). An error only when the store fails. */
enum kt_rc policy_decide(struct store_conn *c, const struct policy_conf *pc,
                         const struct outbox_msg *m, int64_t now, struct arena *a,
                         struct policy_decision *d, struct kt_err *err);

#endif
