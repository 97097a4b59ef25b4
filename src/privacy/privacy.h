/*
 * privacy.h - the erasure of a person: depersonalisation with an act of destruction, and the
 * erasures that fall due (scheduled after a withdrawal of consent, the retention period).
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

/* ---- the incident register (incident.c; 152-FZ art. 21 part 3.1) ---------------------------- */

#include <jansson.h>

/* How the subjects of an incident are counted, stored with each count. */
extern const char *const privacy_incident_method;

/* The deadlines, from the detection: the first notice to Roskomnadzor within 24 hours, the
 * results of the internal investigation within 72 hours. */
int64_t privacy_incident_notice_due(const struct incident *x);
int64_t privacy_incident_results_due(const struct incident *x);

/* Records an incident from a POST body: decoded and checked (every field path named in errors),
 * its subjects counted from the log of reads (the queue flushed first), written with an audit
 * entry `incident` by `key_id` (NULL: the CLI) in request `rid`. `x` lives in `a`. */
enum kt_rc privacy_incident_create(struct store *s, const json_t *body, const char *key_id,
                                   const char *rid, int64_t now, struct arena *a,
                                   struct incident *x, struct kt_err *err);

/* The follow-up of incident `id` from a PATCH body: what changed, the notices sent
 * (`notified_at`, `reported_at`), closing (with `findings`). A changed window, keys, addresses or
 * routes count the subjects again. KT_ENOTFOUND "incident_not_found". */
enum kt_rc privacy_incident_update(struct store *s, const char *id, const json_t *body,
                                   const char *key_id, const char *rid, int64_t now,
                                   struct arena *a, struct incident *x, struct kt_err *err);

/* The incident as the API shows it at `now`: the deadlines, what is still `due` and whether it
 * is `overdue` (new reference). */
json_t *privacy_incident_json(const struct incident *x, int64_t now, struct arena *a);

#endif
