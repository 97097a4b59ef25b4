/*
 * program.h - the programme in the store: the version in force, and publishing a new one.
 * Functions taking `w` run inside the caller's write transaction.
 */
#ifndef KT_LOYALTY_PROGRAM_H
#define KT_LOYALTY_PROGRAM_H

#include "loyalty/loyalty.h"
#include "store/store.h"

/* The programme in force: the latest version, or the defaults (version 0) before any. `at` gets
 * when it was published (0 for the defaults). */
enum kt_rc loyalty_program_get(struct store_conn *c, struct arena *a, struct loyalty_rules *r,
                               int64_t *at, struct kt_err *err);

/* Checks a programme document and stores it as the next version (out->version). */
enum kt_rc loyalty_program_publish(struct store_conn *w, const json_t *doc, const char *key_id,
                                   int64_t now, struct arena *a, struct loyalty_rules *out,
                                   struct kt_err *err);

/* The same in a write transaction of its own, with its audit entry ("publish version N", and
 * " (via)" when `via` names another way in than the API, e.g. "cli"). */
enum kt_rc loyalty_program_set(struct store *s, const json_t *doc, const char *key_id,
                               const char *request_id, const char *via, int64_t now,
                               struct arena *a, struct loyalty_rules *out, struct kt_err *err);

#endif
