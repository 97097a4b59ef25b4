/*
 * privacy.h - the erasure of a person: depersonalisation with an act of destruction, and the
 * erasures that fall due (scheduled after a withdrawal of consent, the retention period); the
 * blocking of a person's data while a dispute is checked (block.c, 152-FZ art. 21).
 *
 * An erasure reaches into every module that keeps something of the person - the profile and
 * identifiers, consent and subscriptions, the suppression list, the points - so it sits above
 * them (docs/house.md): consent below loyalty, and the erasure above both. The consent rules,
 * the requests register, the audit log and the suppression list stay in consent/.
 * Legal map: docs/privacy.md.
 */
#ifndef KT_PRIVACY_PRIVACY_H
#define KT_PRIVACY_PRIVACY_H

#include <stdbool.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

struct erase_opts {
    const char *reason;      /* "request", "withdrawal", "retention" */
    const char *key_id;      /* or NULL */
    const char *operator_id; /* or NULL */
    const char *request_id;  /* privacy request id, or NULL */
    const char *system;      /* PRIVACY_SYSTEM_NAME (consent.h) */
};

/*
 * Depersonalises customer `ck` (and the customers merged into it): profile, attributes and
 * identifiers destroyed, history values and consent IPs destroyed, subscriptions switched off,
 * phones, e-mails and cards added to the suppression list, the points closed, and an act of
 * destruction written with the extract of the audit log. `act` receives the act. KT_ECONFLICT
 * "already_erased" when it was. After the commit the caller should run store_wipe_wal().
 */
enum kt_rc privacy_erase(struct store *s, struct store_conn *w, const struct key_secret *k,
                         int64_t ck, const struct erase_opts *o, int64_t now, struct arena *a,
                         struct destruction_act *act, struct kt_err *err);

/* The erasure of customer `customer_id` (its public id, following merges) in a write transaction
 * of its own: privacy_erase, then the privacy request o->request_id (if any, and if it exists)
 * closed as done with the act's id, then the WAL wiped - `wal_wiped` says whether it could be
 * now (else the checkpointer restarts it soon). POST /v1/customers/{id}/erase and `kartoteka
 * privacy erase` alike. */
enum kt_rc privacy_erase_customer(struct store *s, const struct key_secret *k,
                                  const char *customer_id, const struct erase_opts *o, int64_t now,
                                  struct arena *a, struct destruction_act *act, bool *wal_wiped,
                                  struct kt_err *err);

/* An act of destruction as the printable document (Russian) a data-protection officer files,
 * appended to `out`. */
struct buf;
void privacy_act_text(struct buf *out, const struct destruction_act *x, struct arena *a);

/* One erasure that fell due (a due_work item of kind "erase", claimed by the scheduler in the
 * write transaction `w`): `erased` says whether it erased, false when a request erased the
 * customer meanwhile. The caller cuts the WAL after its erasures (privacy_wipe_wal). */
enum kt_rc privacy_erase_due(struct store *s, struct store_conn *w, const struct key_secret *k,
                             const struct due_item *d, const char *system, int64_t now,
                             struct arena *a, bool *erased, struct kt_err *err);

/* Depersonalises the customers inactive for longer than the retention period (when one is set),
 * in transactions of 100, then cuts the WAL. `erased` counts them. */
enum kt_rc privacy_retention_due(struct store *s, const struct key_secret *k, int64_t now,
                                 const char *system, int64_t *erased, struct kt_err *err);

/* Cuts the WAL after erasures, so the destroyed values leave the disk; a failure is logged. */
void privacy_wipe_wal(struct store *s);

/* ---- blocking (block.c; 152-FZ art. 21) ---------------------------------------------------- */

/* The reasons of a block and the outcomes of its end (`erased` is privacy_erase's alone),
 * NULL-terminated. */
extern const char *const privacy_block_reasons[];
extern const char *const privacy_unblock_outcomes[];

struct block_opts {
    const char *reason;             /* block: accuracy_disputed, unlawful_processing,
                                       subject_request */
    const char *privacy_request_id; /* block: the open request of the register it answers */
    const char *note;               /* the DPO's words, or NULL */
    const char *key_id;             /* or NULL (the CLI) */
    const char *request_id;         /* the HTTP request's id, or NULL */
};

/* Blocks customer `customer_id` (its public id, following merges) in a write transaction of its
 * own: the block stored, its segment memberships ended, a `block` change in the audit log.
 * `out` gets the block. KT_ECONFLICT "already_blocked"; KT_EINVAL "request_not_found",
 * "request_mismatch" (another customer's, or an access request); KT_ECONFLICT "request_closed";
 * KT_EGONE "customer_erased". POST /v1/customers/{id}/block and `kartoteka privacy block`. */
enum kt_rc privacy_block_customer(struct store *s, const char *customer_id,
                                  const struct block_opts *o, int64_t now, struct arena *a,
                                  struct customer_block *out, struct kt_err *err);

/* A rectification of customer `customer_id`'s data (art. 21 part 2) under the privacy request
 * `privacy_request_id`, in the caller's write transaction `w`, before the change: the request
 * must be an open rectification request about this customer; a `rectify` change naming it goes
 * to the audit log. A blocked customer's data take this change and no other. KT_EINVAL
 * "request_not_found", "request_mismatch"; KT_ECONFLICT "request_closed". */
enum kt_rc privacy_rectification(struct store_conn *w, const char *customer_id,
                                 const char *privacy_request_id, const char *key_id,
                                 const char *rid, int64_t now, struct arena *a, struct kt_err *err);

/* Lifts the block in force with its `outcome` (rectified, accurate, lawful, made_lawful) and
 * o->note, and an `unblock` change in the audit log; the customer's data serve again (segments
 * take them back at their next refresh). KT_ECONFLICT "not_blocked". */
enum kt_rc privacy_unblock_customer(struct store *s, const char *customer_id, const char *outcome,
                                    const struct block_opts *o, int64_t now, struct arena *a,
                                    struct customer_block *out, struct kt_err *err);

#endif
