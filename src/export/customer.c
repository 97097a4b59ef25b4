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

#define HISTORY_PAGE 1000

json_t *export_customer_doc(struct store_conn *rd, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err)
{
    json_t *view = ident_customer_json(rd, cu, a, err);
    json_t *consents = view ? consent_states_json(rd, cu, now, a, err) : NULL;
    json_t *subs = consents ? subs_states_json(rd, cu, now, a, err) : NULL;
    json_t *history = json_array(), *events = json_array();
    struct consent_event *ev;
    size_t n_ev;
    if (subs == NULL) {
        goto fail;
    }
    int64_t after = 0;
    for (;;) {
        struct history_entry *h;
        size_t n;
        if (store_history_list(rd, cu->ck, after, HISTORY_PAGE, a, &h, &n, err) != KT_OK) {
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(history, ident_history_json(a, &h[i]));
        }
        if (n < HISTORY_PAGE) {
            break;
        }
        after = h[n - 1].seq;
    }
    if (store_consent_list(rd, cu->ck, a, &ev, &n_ev, err) != KT_OK) {
        goto fail;
    }
    for (size_t i = 0; i < n_ev; i++) {
        json_array_append_new(events, consent_event_json(a, &ev[i]));
    }
    json_object_set_new(consents, "events", events);
    events = NULL;
    struct ledger_entry *le;
    size_t n_le;
    if (store_ledger_list(rd, cu->ck, a, &le, &n_le, err) != KT_OK) {
        goto fail;
    }
    struct points_balance b;
    loyalty_balance(le, n_le, now, &b);
    json_t *entries = json_array();
    for (size_t i = 0; i < n_le; i++) {
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
    json_t *points = json_pack("{s:I, s:I, s:o}", "available", (json_int_t)b.available, "pending",
                               (json_int_t)b.pending, "entries", entries);
    /* Every receipt with its lines and refunds, newest first, and every card. */
    json_t *purchases = json_array(), *cards = json_array();
    int64_t before = 0;
    for (bool more = true; more;) {
        struct purchase *ps;
        size_t n_ps;
        if (store_purchase_list(rd, cu->ck, before, 500, a, &ps, &n_ps, err) != KT_OK) {
            json_decref(purchases);
            json_decref(cards);
            json_decref(points);
            goto fail;
        }
        for (size_t i = 0; i < n_ps; i++) {
            struct purchase full;
            struct purchase_line *pl;
            size_t n_pl;
            if (store_purchase_get(rd, ps[i].id, a, &full, &pl, &n_pl, err) != KT_OK) {
                json_decref(purchases);
                json_decref(cards);
                json_decref(points);
                goto fail;
            }
            json_array_append_new(purchases, purchase_json(a, rd, &full, pl, n_pl));
        }
        more = n_ps == 500;
        before = more ? ps[n_ps - 1].at : 0;
    }
    struct card *cs;
    size_t n_cs;
    if (store_card_list(rd, cu->ck, a, &cs, &n_cs, err) != KT_OK) {
        json_decref(purchases);
        json_decref(cards);
        json_decref(points);
        goto fail;
    }
    for (size_t i = 0; i < n_cs; i++) {
        json_array_append_new(cards, card_json(a, &cs[i], cu->id));
    }
    struct trait *tr;
    size_t n_tr;
    if (store_traits_list(rd, cu->ck, a, &tr, &n_tr, err) != KT_OK) {
        json_decref(purchases);
        json_decref(cards);
        json_decref(points);
        goto fail;
    }
    json_t *traits = json_object();
    for (size_t i = 0; i < n_tr; i++) {
        json_object_set_new(traits, tr[i].name, json_string(tr[i].value));
    }
    /* Every behaviour event, newest first, with what it said. */
    json_t *behaviour = json_array();
    int64_t older_than = 0;
    for (bool more = true; more;) {
        struct event *be;
        size_t n_be;
        if (store_events_list(rd, cu->ck, older_than, 1000, a, &be, &n_be, err) != KT_OK) {
            json_decref(behaviour);
            json_decref(traits);
            json_decref(purchases);
            json_decref(cards);
            json_decref(points);
            goto fail;
        }
        for (size_t i = 0; i < n_be; i++) {
            json_t *o = json_pack("{s:s, s:s, s:s}", "type", be[i].type, "time",
                                  time_rfc3339(a, be[i].at), "channel", be[i].channel);
            json_object_set_new(o, "properties",
                                be[i].props ? json_loads(be[i].props, 0, NULL) : json_object());
            json_array_append_new(behaviour, o);
        }
        more = n_be == 1000;
        older_than = more ? be[n_be - 1].seq : 0;
    }
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:s}}", "customer_id",
        cu->id, "generated_at", time_rfc3339(a, now), "controller_system", PRIVACY_SYSTEM_NAME,
        "customer", view, "history", history, "consents", consents, "subscriptions", subs, "points",
        points, "purchases", purchases, "cards", cards, "traits", traits, "purposes",
        consent_purposes_json(), "sources", "where",
        "every value's source (channel, store, operator) is in history[].source", "not_yet_kept",
        "messages are not kept by this version; segments are derived from the data above");
    json_object_set_new(doc, "events", behaviour);
    return doc;
fail:
    json_decref(view);
    json_decref(consents);
    json_decref(subs);
    json_decref(history);
    json_decref(events);
    return NULL;
}
