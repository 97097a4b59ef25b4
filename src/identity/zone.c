/*
 * zone.c - the time zone a customer lives by (docs/messages.md, "Local time"): quiet hours,
 * "per day" caps, birthdays and journey waits are in it. In order: their home store's zone (the
 * first listed store their history names - the till that enrolled them - else their first
 * receipt's), else their city's (the shipped list of cities, clean_city_zone), else the
 * installation's (`--time-zone`, tz_default). A store zone the tz database no longer knows (a
 * zone withdrawn by a later tzdata) is passed over like a missing one, never an error: a message
 * must not stop because of it.
 *
 * Not here: the stores themselves (api/stores.c) and what the policy does with the zone.
 */
#include "clean/clean.h"
#include "identity/identity.h"

static const char *const sources[] = {"store", "city", "default"};

const char *ident_zone_source_name(enum ident_zone_source s)
{
    return sources[s];
}

enum kt_rc ident_time_zone(struct store_conn *c, int64_t ck, struct arena *a,
                           struct ident_zone *out, struct kt_err *err)
{
    out->zone = tz_default();
    out->source = IDENT_ZONE_DEFAULT;
    out->store = NULL;
    struct shop home;
    bool found = false;
    enum kt_rc rc = store_shop_of_customer(c, ck, a, &home, &found, err);
    if (rc != KT_OK) {
        return rc;
    }
    const struct tz *z;
    if (found && tz_find(home.time_zone, NULL, &z, NULL) == KT_OK) {
        out->zone = z;
        out->source = IDENT_ZONE_STORE;
        out->store = home.code;
        return KT_OK;
    }
    struct customer cu;
    if ((rc = store_customer_get(c, ck, a, &cu, &found, err)) != KT_OK) {
        return rc;
    }
    const char *name = found ? clean_city_zone(cu.val[PF_CITY], a) : NULL;
    if (name != NULL && tz_find(name, NULL, &z, NULL) == KT_OK) {
        out->zone = z;
        out->source = IDENT_ZONE_CITY;
    }
    return KT_OK;
}
