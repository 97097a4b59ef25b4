/*
 * expire.c - raw behaviour events past their term (--events-days). A batch rolls its events up
 * into daily counts per customer, type and channel and deletes them in one transaction
 * (store_events_expire); segments, traits, the clusters' channels and the events report read
 * the counts beside the events kept, so what they compute does not change. What is lost is
 * what only a raw event holds: its properties, its exact time, an anonymous id not yet linked.
 */
#include "consent/consent.h"
#include "events/events.h"

#define DAY_MS       (86400LL * 1000)
#define EXPIRE_BATCH 200 /* events per transaction: about 10 ms of the writer (docs/privacy.md) */

enum kt_rc events_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                         struct kt_err *err)
{
    return audit_expiry_run(s, "events", now - days * DAY_MS, EXPIRE_BATCH, store_events_expire,
                            removed, err);
}
