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

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

/* A person who destroyed the data, as Order 179 names them: full name and position. */
struct act_person {
    const char *name; /* surname, name and patronymic: "Иванова Мария Петровна" */
    const char *position; /* "специалист по защите персональных данных" */
};
#define ACT_PERSONS_MAX 10

struct erase_opts {
    const char *reason;               /* "request", "withdrawal", "retention", "unlawful" */
    const char *key_id;               /* or NULL */
    const char *operator_id;          /* or NULL */
    const char *request_id;           /* privacy request id, or NULL */
    const char *system;               /* PRIVACY_SYSTEM_NAME (consent.h) */
    const struct act_person *persons; /* who destroyed; NULL: the settings' responsible person */
    size_t n_persons;                 /* 0..ACT_PERSONS_MAX */
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

/* ---- the act of destruction (act.c) --------------------------------------------------------
 *
 * What Roskomnadzor Order No. 179 asks of an act - the operator, the subject, the persons who
 * destroyed, the categories, the information system, the method, the reason, the date - and of
 * the extract of the event log that goes with it. An erasure never waits for paperwork: when the
 * settings lack the operator, or nobody is named as having destroyed, the act is written as a
 * draft and completed when the settings are (privacy_acts_complete). A complete act has its
 * document: canonical JSON (RFC 8785) whose bytes never change, to sign outside. */

struct privacy_request;
struct privacy_settings;
struct buf;

/* Fills the act's operator, processor, information system and persons from the settings and
 * `persons` (when n > 0; else the settings' responsible person), and, when nothing is missing,
 * its document and hash; `req` is the request it answers, or NULL. Used by the erasure. */
void privacy_act_settle(struct destruction_act *x, const struct privacy_settings *ps,
                        const struct act_person *persons, size_t n,
                        const struct privacy_request *req, struct arena *a);

/* When an act of destruction at `at` may go: 3 calendar years later, the same time of day (an act
 * of 29 February goes on 1 March). Order 179 keeps acts and extracts 3 years from destruction. */
int64_t privacy_act_expiry(int64_t at);

/* KT_OK when the act is complete (its document exists); else KT_ECONFLICT naming what the
 * settings still lack: "operator_unknown" (field data_operator.name or .address) or
 * "responsible_unknown" (field responsible_person.name) - the refusal of a document or a print. */
enum kt_rc privacy_act_ready(const struct destruction_act *x, const struct privacy_settings *ps,
                             struct kt_err *err);

/* The act as the API and `kartoteka privacy act --format json` show it (new reference). */
json_t *privacy_act_json(const struct destruction_act *x, struct arena *a);

/* A complete act as the printable document (Russian) a data-protection officer signs by hand,
 * appended to `out`. */
void privacy_act_text(struct buf *out, const struct destruction_act *x, struct arena *a);

/* Completes every draft the settings `ps` can complete now, in the caller's write transaction:
 * each gets what it lacked and its document, and an "act" audit entry. `completed` counts them. */
enum kt_rc privacy_acts_complete(struct store_conn *w, const struct privacy_settings *ps,
                                 const char *key_id, int64_t now, struct arena *a,
                                 int64_t *completed, struct kt_err *err);

/* Deletes the acts (with their extracts) whose 3 years ended by `now`, each recorded in the
 * purges and in the audit log ("act_purge"), in transactions of 100 (the job acts_expiry). */
enum kt_rc privacy_acts_purge(struct store *s, int64_t now, int64_t *purged, struct kt_err *err);

/* ---- what an act takes from people (act_input.c) ---------------------------------------- */

/* A text as an act keeps it (clean_text: NFC, no control characters, 1..max bytes); else
 * KT_EINVAL "invalid_value" with `field`. */
enum kt_rc privacy_text_clean(const char *in, size_t max, const char *field, struct arena *a,
                              const char **out, struct kt_err *err);
/* An INN of 10 (organisation) or 12 digits (individual) with valid check digits; an OGRN of 13
 * digits or an OGRNIP of 15 with a valid check digit. */
bool privacy_inn_valid(const char *s);
bool privacy_ogrn_valid(const char *s);

/* The array member `name` of `body` as persons who destroyed ({name, position}, 1 to
 * ACT_PERSONS_MAX, in `a`); absent: *n = 0. */
enum kt_rc privacy_persons_decode(const json_t *body, const char *name, struct arena *a,
                                  struct act_person **out, size_t *n, struct kt_err *err);

/* The act members of a PUT of the privacy settings - data_operator, data_processor,
 * information_system, responsible_person - onto `s`: an object replaces, null removes, absent
 * keeps. The other members are the caller's. */
enum kt_rc privacy_settings_decode_acts(const json_t *body, struct privacy_settings *s,
                                        struct arena *a, struct kt_err *err);
/* The same members of `s` set into the settings' JSON `o`. */
void privacy_settings_acts_json(const struct privacy_settings *s, json_t *o);

/* Attaches a detached CMS (CAdES) signature of `len` bytes to complete act `id`, after checking
 * that it signs the act's document (its message digest); audited. `out` gets the act. */
enum kt_rc privacy_act_sign(struct store *s, const char *id, const void *sig, size_t len,
                            const char *key_id, int64_t now, struct arena *a,
                            struct destruction_act *out, struct kt_err *err);

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
