/*
 * customer.c - everything held about one customer, the access right of 152-FZ art. 14
 * (docs/privacy.md, "Access"): the profile with its identifiers, the whole change history with
 * each value's source, the consent state and every consent event with its evidence, the
 * subscriptions, the purposes with their retention, the points, every receipt with its lines and
 * refunds, the cards, the traits and every behaviour event. Built from the customer's own rows
 * only. GET /v1/customers/{id}/export and `kartoteka privacy export` print this document.
 */
#include "base/clock.h"
#include "consent/consent.h"
#include "export/export.h"
#include "loyalty/cards.h"
#include "loyalty/ledger.h"
#include "loyalty/purchase.h"

#define HISTORY_PAGE  1000
#define PURCHASE_PAGE 500
#define EVENT_PAGE    1000

/* One member of the document: a new reference, or NULL with err set. */
typedef json_t *(*section_fn)(struct store_conn *c, const struct customer *cu, int64_t now,
                              struct arena *a, struct kt_err *err);

static json_t *customer_part(struct store_conn *c, const struct customer *cu, int64_t now,
                             struct arena *a, struct kt_err *err)
{
    return ident_customer_json(c, cu, a, err);
}

/* The whole change history, oldest first, each value with its source. */
static json_t *history_part(struct store_conn *c, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err)
{
    json_t *history = json_array();
    for (int64_t after = 0;;) {
        struct history_entry *h;
        size_t n;
        if (store_history_list(c, cu->ck, after, HISTORY_PAGE, a, &h, &n, err) != KT_OK) {
            json_decref(history);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(history, ident_history_json(a, &h[i]));
        }
        if (n < HISTORY_PAGE) {
            return history;
        }
        after = h[n - 1].seq;
    }
}

/* The consent state, and every consent event with its evidence. */
static json_t *consents_part(struct store_conn *c, const struct customer *cu, int64_t now,
                             struct arena *a, struct kt_err *err)
{
    struct consent_event *ev;
    size_t n;
    json_t *consents = consent_states_json(c, cu, now, a, err);
    if (consents == NULL || store_consent_list(c, cu->ck, a, &ev, &n, err) != KT_OK) {
        json_decref(consents);
        return NULL;
    }
    json_t *events = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(events, consent_event_json(a, &ev[i]));
    }
    json_object_set_new(consents, "events", events);
    return consents;
}

static json_t *subscriptions_part(struct store_conn *c, const struct customer *cu, int64_t now,
                                  struct arena *a, struct kt_err *err)
{
    return subs_states_json(c, cu, now, a, err);
}

/* The balance now and every ledger entry. */
static json_t *points_part(struct store_conn *c, const struct customer *cu, int64_t now,
                           struct arena *a, struct kt_err *err)
{
    struct ledger_entry *le;
    size_t n;
    if (store_ledger_list(c, cu->ck, a, &le, &n, err) != KT_OK) {
        return NULL;
    }
    struct points_balance b;
    loyalty_balance(le, n, now, &b);
    json_t *entries = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:I, s:s}", "kind", le[i].kind, "points",
                              (json_int_t)le[i].points, "at", time_rfc3339(a, le[i].at));
        if (le[i].purchase_id) {
            json_object_set_new(o, "purchase_id", json_string(le[i].purchase_id));
        }
        if (le[i].reason) {
            json_object_set_new(o, "reason", json_string(le[i].reason));
        }
        json_array_append_new(entries, o);
    }
    return json_pack("{s:I, s:I, s:o}", "available", (json_int_t)b.available, "pending",
                     (json_int_t)b.pending, "entries", entries);
}

/* Every receipt with its lines and refunds, newest first. */
static json_t *purchases_part(struct store_conn *c, const struct customer *cu, int64_t now,
                              struct arena *a, struct kt_err *err)
{
    json_t *purchases = json_array();
    int64_t before_at = 0;
    const char *before_id = NULL;
    for (bool more = true; more;) {
        struct purchase *ps;
        size_t n;
        if (store_purchase_list(c, cu->ck, before_at, before_id, PURCHASE_PAGE, a, &ps, &n, err) !=
            KT_OK) {
            json_decref(purchases);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            struct purchase full;
            struct purchase_line *pl;
            size_t n_pl;
            if (store_purchase_get(c, ps[i].id, a, &full, &pl, &n_pl, err) != KT_OK) {
                json_decref(purchases);
                return NULL;
            }
            json_array_append_new(purchases, purchase_json(a, c, &full, pl, n_pl));
        }
        more = n == PURCHASE_PAGE;
        before_at = more ? ps[n - 1].at : 0;
        before_id = more ? ps[n - 1].id : NULL;
    }
    return purchases;
}

static json_t *cards_part(struct store_conn *c, const struct customer *cu, int64_t now,
                          struct arena *a, struct kt_err *err)
{
    struct card *cs;
    size_t n;
    if (store_card_list(c, cu->ck, a, &cs, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *cards = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(cards, card_json(a, &cs[i], cu->id));
    }
    return cards;
}

/* The computed traits (RFM group, cluster, defined traits) by name. */
static json_t *traits_part(struct store_conn *c, const struct customer *cu, int64_t now,
                           struct arena *a, struct kt_err *err)
{
    struct trait *tr;
    size_t n;
    if (store_traits_list(c, cu->ck, a, &tr, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *traits = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(traits, tr[i].name, json_string(tr[i].value));
    }
    return traits;
}

static json_t *purposes_part(struct store_conn *c, const struct customer *cu, int64_t now,
                             struct arena *a, struct kt_err *err)
{
    return consent_purposes_json();
}

/* Where the data came from, and what this version does not keep. */
static json_t *sources_part(struct store_conn *c, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err)
{
    return json_pack("{s:s, s:s}", "where",
                     "every value's source (channel, store, operator) is in history[].source",
                     "not_yet_kept",
                     "messages are not kept by this version; segments are derived from the data "
                     "above");
}

/* Every behaviour event, newest first, with what it said. */
static json_t *events_part(struct store_conn *c, const struct customer *cu, int64_t now,
                           struct arena *a, struct kt_err *err)
{
    json_t *behaviour = json_array();
    int64_t older_than = 0;
    for (bool more = true; more;) {
        struct event *be;
        size_t n;
        if (store_events_list(c, cu->ck, older_than, EVENT_PAGE, a, &be, &n, err) != KT_OK) {
            json_decref(behaviour);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_pack("{s:s, s:s, s:s}", "type", be[i].type, "at",
                                  time_rfc3339(a, be[i].at), "channel", be[i].channel);
            json_object_set_new(o, "properties",
                                be[i].props ? json_loads(be[i].props, 0, NULL) : json_object());
            json_array_append_new(behaviour, o);
        }
        more = n == EVENT_PAGE;
        older_than = more ? be[n - 1].seq : 0;
    }
    return behaviour;
}

/* Who received her data (152-FZ art. 14): the audiences of the ad platforms that took it. */
static json_t *transfers_part(struct store_conn *rd, const struct customer *cu, int64_t now,
                              struct arena *a, struct kt_err *err)
{
    (void)now;
    struct audience_transfer *t;
    size_t n;
    if (store_customer_transfers(rd, cu->ck, a, &t, &n, err) != KT_OK) {
        return NULL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "recipient", t[i].recipient,
                           "segment", t[i].segment, "format", t[i].format, "fields", t[i].fields,
                           "first_at", time_rfc3339(a, t[i].first_at), "last_at",
                           time_rfc3339(a, t[i].last_at), "times", (json_int_t)t[i].runs));
    }
    return arr;
}

/* The document's members in their order: what a new kind of data adds a row to. */
static const struct {
    const char *name;
    section_fn fn;
} parts[] = {
    {"customer", customer_part}, {"history", history_part},
    {"consents", consents_part}, {"subscriptions", subscriptions_part},
    {"points", points_part},     {"purchases", purchases_part},
    {"cards", cards_part},       {"traits", traits_part},
    {"purposes", purposes_part}, {"sources", sources_part},
    {"events", events_part},     {"transfers", transfers_part},
};

json_t *export_customer_doc(struct store_conn *rd, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "customer_id", cu->id, "generated_at",
                            time_rfc3339(a, now), "controller_system", PRIVACY_SYSTEM_NAME);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        json_t *v = parts[i].fn(rd, cu, now, a, err);
        if (v == NULL) {
            json_decref(doc);
            return NULL;
        }
        json_object_set_new(doc, parts[i].name, v);
    }
    return doc;
}
