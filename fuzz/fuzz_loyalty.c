/*
 * fuzz_loyalty.c - arbitrary bytes as the body of POST /v1/purchases (and the quote) and as a
 * programme document and a refund: no crash, no leak, a receipt that decodes adds up, and a
 * refund that decodes is refunded within what a receipt of those lines bought.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "loyalty/loyalty.h"
#include "loyalty/purchase.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return 0;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct purchase_req req;
    if (json_is_object(v) && purchase_decode(v, 1800000000000LL, &a, &req, &err) == KT_OK) {
        int64_t sum = 0;
        for (size_t i = 0; i < req.n_lines; i++) {
            if (req.lines[i].amount < 0 || req.lines[i].quantity <= 0) {
                abort();
            }
            sum += req.lines[i].amount;
        }
        if (sum != req.total) {
            abort(); /* a decoded receipt adds up */
        }
        struct loyalty_rules r;
        loyalty_defaults(&r);
        struct loyalty_line *ll = arena_alloc(&a, (req.n_lines + 1) * sizeof(*ll));
        for (size_t i = 0; i < req.n_lines; i++) {
            ll[i] =
                (struct loyalty_line){req.lines[i].sku, req.lines[i].category, req.lines[i].amount};
        }
        if (loyalty_earn(&r, ll, req.n_lines) < 0 || loyalty_spend_cap(&r, req.total) < 0) {
            abort();
        }
    }
    kt_err_reset(&err);
    struct refund_req rq;
    if (json_is_object(v) && refund_decode(v, 1800000000000LL, &a, &rq, &err) == KT_OK) {
        struct purchase p = {.id = "p_f",
                             .ck = 1,
                             .at = 0,
                             .total = 1000000,
                             .points_earned = 999,
                             .points_spent = 77};
        struct purchase_line pl[3] = {{.sku = "a", .quantity = 1500, .amount = 300000},
                                      {.sku = "b", .quantity = 2000, .amount = 300000},
                                      {.sku = "c", .quantity = 7, .amount = 400000}};
        struct refund rf;
        struct refund_line *l;
        size_t n;
        if (refund_compute(&p, pl, 3, &rq, 1800000000000LL, &a, &rf, &l, &n, &err) == KT_OK &&
            (rf.amount < 0 || rf.amount > p.total || rf.points_reversed < 0 ||
             rf.points_reversed > p.points_earned || rf.points_returned < 0 ||
             rf.points_returned > p.points_spent)) {
            abort();
        }
    }
    kt_err_reset(&err);
    struct loyalty_rules rules;
    if (loyalty_rules_decode(v, &a, &rules, &err) == KT_OK) {
        json_t *back = loyalty_rules_json(&rules); /* what goes out decodes again */
        struct loyalty_rules again;
        if (loyalty_rules_decode(back, &a, &again, &err) != KT_OK || again.gate != rules.gate ||
            again.earn_bp != rules.earn_bp) {
            abort();
        }
        json_decref(back);
    }
    json_decref(v);
    arena_release(&a);
    return 0;
}
