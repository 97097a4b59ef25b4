/*
 * consent.h - consent under 152-FZ and 38-FZ, subscriptions, and the customer's rights: access,
 * erasure with an act, the requests register with its legal deadlines, the audit log.
 * Design and the legal map: docs/privacy.md.
 *
 * Consent is a list of append-only events per customer; the state of each purpose (and, for
 * advertising, each channel) is derived from them at the moment asked: the last event wins, a
 * grant whose term ran out counts as not given from that moment, a grant to a document version
 * the retailer has since replaced "with re-consent" counts as outdated. Nothing updates or
 * deletes an event (triggers in the schema refuse it); an erasure only destroys the IP address
 * and user agent in the evidence.
 *
 * Functions taking a store_conn named `w` run inside the caller's write transaction and leave
 * committing to the caller. This module knows neither HTTP nor SQL.
 */
#ifndef KT_CONSENT_CONSENT_H
#define KT_CONSENT_CONSENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "identity/identity.h"
#include "store/model.h"
#include "store/store.h"

/* ---- purposes and channels (consent.c) ---------------------------------------------------- */

#define CONSENT_PURPOSES 4
#define ADS_CHANNELS     5
/* Each list ends with a NULL, so it can also be read as a set of words (jsonx_enum). */
extern const char *const consent_purposes[CONSENT_PURPOSES + 1]; /* pd_processing, ads, ... */
extern const char *const ads_channels[ADS_CHANNELS + 1];         /* sms, email, push, ... */

bool consent_purpose_valid(const char *p);
bool ads_channel_valid(const char *c);
/* Keys of documents and topics: [a-z0-9_-]{1,40}. */
bool consent_key_valid(const char *k);

/* The retailer's settings (kept in the database, GET/PUT /v1/privacy/settings). */
struct privacy_settings {
    bool strict;            /* forms without pd_processing consent are refused (default) */
    int erase_delay_days;   /* after a withdrawal of pd_processing, 0..30; default 30 */
    int retention_years;    /* depersonalise after N years without activity; 0 = off */
    const char *public_url; /* base of unsubscribe links, e.g. "https://shop.example" */
    /* For the acts of destruction (Roskomnadzor Order No. 179, privacy/act.c): the operator of
     * personal data, the processor when the processing is entrusted to one, the name of the
     * information system, and the person responsible whom an act names when the erasure named
     * nobody (one that fell due). NULL when not set. */
    const char *operator_name, *operator_address, *operator_inn, *operator_ogrn;
    const char *processor_name, *processor_address;
    const char *information_system;
    const char *responsible_name, *responsible_position;
};
enum kt_rc privacy_settings_get(struct store_conn *c, struct arena *a, struct privacy_settings *s,
                                struct kt_err *err);
enum kt_rc privacy_settings_put(struct store_conn *w, const struct privacy_settings *s,
                                struct kt_err *err);

/* ---- documents ---------------------------------------------------------------------------- */

/* Publishes the next version of document d->key (1 when new): sets version, sha256 (in `a`)
 * and published_at. A new version keeps the purpose (KT_ECONFLICT "purpose_changed"). */
enum kt_rc consent_doc_publish(struct store_conn *w, struct consent_doc *d, int64_t now,
                               struct arena *a, struct kt_err *err);

/* ---- grants and withdrawals --------------------------------------------------------------- */

/* One consent decision as a request states it, decoded and checked. */
struct consent_input {
    const char *purpose;
    const char *channel; /* ads only */
    bool granted;
    int64_t at; /* when the customer decided, ms */
    const char *doc_key;
    int64_t doc_version; /* 0 = the latest */
    const char *form_id, *otp_id, *paper_form, *legal_basis, *ip, *user_agent;
    const char *message_id; /* a withdrawal on a complaint (deliver/feedback.c): its message */
};

/*
 * Decodes the "consents" array of a request (POST /v1/customers, POST .../consents). `source` is
 * the channel the request came through: it decides which evidence a grant needs (a form id from
 * web, app, qr_form and tablet; an OTP confirmation or a paper form number from the cash desk and
 * the call centre; a paper form number or a legal basis from imports and admin). Errors name the
 * field ("consents[1].evidence").
 */
enum kt_rc consent_decode(const json_t *arr, const char *source, int64_t now, struct arena *a,
                          struct consent_input **out, size_t *n, struct kt_err *err);

/* True when the inputs grant pd_processing. */
bool consent_grants_pd(const struct consent_input *in, size_t n);

/* Who records an event (the evidence beyond the customer's own). */
struct consent_actor {
    const char *source; /* channel */
    const char *store_id, *operator_id, *key_id, *request_id;
    const char *subject; /* the customer's public id, for the audit log */
    bool bulk;           /* an import: the caller writes one audit entry for the batch */
};

/*
 * Records the inputs for customer `ck` as events (documents resolved, terms applied). A grant of
 * pd_processing cancels a scheduled erasure; a withdrawal of it schedules one after the
 * retailer's delay. `erase_due` (may be NULL) gets the time of a newly scheduled erasure.
 */
enum kt_rc consent_record(struct store_conn *w, int64_t ck, const struct consent_input *in,
                          size_t n, const struct consent_actor *who, int64_t now,
                          int64_t *erase_due, struct kt_err *err);

/* Marks a profile stored before consent (cash desk, call centre): "pending" for pd_processing
 * until the SMS code or a paper form confirms it. A no-op when the customer has any
 * pd_processing event already. */
enum kt_rc consent_mark_pending(struct store_conn *w, int64_t ck, const struct consent_actor *who,
                                int64_t now, struct kt_err *err);

/* The derived state of one purpose (and channel). */
struct consent_state {
    const char *purpose;
    const char *channel;              /* "" unless ads */
    const char *state;                /* given, not_given, withdrawn, expired, outdated, pending */
    const struct consent_event *last; /* the event the state comes from, or NULL */
    int64_t expires_at;               /* of a given consent with a term, else 0 */
};

/* Every purpose (ads once per channel), in a fixed order. */
enum kt_rc consent_states(struct store_conn *c, int64_t ck, int64_t now, struct arena *a,
                          struct consent_state **out, size_t *n, struct kt_err *err);
const struct consent_state *consent_find(const struct consent_state *s, size_t n,
                                         const char *purpose, const char *channel);

/* ---- topics and subscriptions (subs.c) ---------------------------------------------------- */

struct sub_state {
    const char *topic;
    const char *channel;
    bool subscribed;      /* the customer's choice */
    bool active;          /* subscribed and the ads consent for the channel is given */
    const char *inactive; /* why not active: "not_subscribed", "no_ads_consent", ... or NULL */
    int64_t at;           /* of the last change, 0 when never */
};

/* Every (topic, channel) the retailer declared, with the customer's choice and whether it is
 * active now. */
enum kt_rc subs_states(struct store_conn *c, int64_t ck, int64_t now, struct arena *a,
                       struct sub_state **out, size_t *n, struct kt_err *err);

/* Records a choice. Subscribing needs the ads consent of the channel (KT_EINVAL
 * "ads_consent_required" otherwise); unsubscribing always works. `topic` NULL = every topic of
 * `channel` (NULL = every channel). `changed` counts the events written. */
enum kt_rc subs_set(struct store_conn *w, int64_t ck, const char *topic, const char *channel,
                    bool subscribe, const char *via, const struct consent_actor *who, int64_t now,
                    int *changed, struct kt_err *err);

/*
 * May a message of `topic` go to the customer by `channel` now? The customer must not be
 * erased nor blocked (reason "blocked"), pd_processing given (not pending), the ads consent of the
 * channel given and the topic subscribed on it. `reason` gets the first thing missing, or NULL when
 * it may.
 */
enum kt_rc consent_may_send(struct store_conn *c, const struct customer *cu, const char *channel,
                            const char *topic, int64_t now, struct arena *a, const char **reason,
                            struct kt_err *err);

/* Unsubscribe tokens: the customer's id, an optional topic and channel, and a 128-bit keyed
 * BLAKE2b tag over them, base64url. */
const char *subs_token(const struct key_secret *k, const char *customer_id, const char *topic,
                       const char *channel, struct arena *a);
/* Checks a token; false for anything forged, altered or malformed. */
bool subs_token_check(const struct key_secret *k, const char *token, struct arena *a,
                      const char **customer_id, const char **topic, const char **channel);

/* ---- the production calendar (calendar.c) ------------------------------------------------- */

/* Days since 1970-01-01 of a date "YYYY-MM-DD"; false when it is not one. */
bool cal_parse(const char *s, int64_t *day);
const char *cal_format(int64_t day, struct arena *a);
/* The Moscow date of a time (UTC+3, no daylight saving since 2014). */
int64_t cal_day_of(int64_t ms);
/* Is `day` a working day on the Russian production calendar? `known` says whether the year's
 * calendar is shipped (else: Saturdays, Sundays and the fixed holidays of Labour Code art. 112,
 * without the Government's transfers). */
bool cal_working(int64_t day, bool *known);
/* The day `n` working days after `day` (the day itself not counted). */
int64_t cal_add_working(int64_t day, int n, bool *provisional);

/* Legal deadline of a request received on `day`: access and stop 10 working days (+5 when
 * extended), rectification 7 working days, erasure 30 calendar days, unlawful_processing 3
 * working days to stop it. False for a kind that is none of these. */
bool privacy_deadline(const char *kind, int64_t day, bool extended, int64_t *deadline,
                      bool *provisional);
/* The second deadline of unlawful processing revealed on `day` (152-FZ art. 21 part 3): destroy
 * the data within 10 working days when the processing cannot be made lawful. */
int64_t privacy_destroy_deadline(int64_t day, bool *provisional);
/* Whether the law lets a request of `kind` be extended (by 5 working days, with a reasoned
 * notice): access (art. 14 part 3, art. 20) and stop (art. 21 part 5.1). */
bool privacy_extendable(const char *kind);

/* ---- the requests register (requests.c) -------------------------------------------------- */

/* The most words a note, an outcome or a reasoned notice of the register may hold, in bytes. */
#define PRIVACY_NOTE_MAX 2000

/*
 * Registers request `p` received on `day` in write transaction `w` (POST /v1/privacy-requests,
 * the preferences page's erasure): its legal deadline from `kind` and `extended`
 * (privacy_deadline, and the destruction deadline of unlawful processing), its id, state open,
 * `created_at` `now`; `p->customer_id` (may be NULL) checked and stored as the customer's current
 * id; a `request` change in the audit log under `p->key_id` (NULL: no key). `p` is filled in
 * place (strings in `a`). KT_EINVAL "invalid_value" (kind, extended, customer_id),
 * "extension_reason_required", "customer_not_found".
 */
enum kt_rc privacy_request_open(struct store_conn *w, struct privacy_request *p, int64_t day,
                                const char *rid, int64_t now, struct arena *a, struct kt_err *err);

/* Extends the open request `id` (an access or stop request, not extended yet) by 5 working days
 * with the reasoned notice `reason` sent to the subject, in the write transaction `w`: the notice
 * is stored with the time, the deadline moved, and a `request` change written to the audit log
 * (`key_id` and `rid` may be NULL: the CLI). `out` gets the request as it is after. KT_EINVAL
 * "extension_reason_required" without a reason; KT_ECONFLICT "request_closed",
 * "request_not_extendable" or "already_extended"; KT_ENOTFOUND "request_not_found". */
enum kt_rc privacy_request_extend(struct store_conn *w, const char *id, const char *reason,
                                  const char *key_id, const char *rid, int64_t now, struct arena *a,
                                  struct privacy_request *out, struct kt_err *err);

/* ---- the suppression list (suppress.c; the erasure itself is privacy/) ------------------- */

/* Keyed hash of a destroyed identifier for the suppression list. */
void suppress_hash(const struct key_secret *k, const char *kind, const char *value,
                   unsigned char out[32]);

/*
 * Checks the phone, e-mail and card of a request against the suppression list. `*which` gets the
 * first listed kind, or NULL. With `lift` (the request brings new pd_processing consent through a
 * form), listed hashes are removed instead and the person comes back.
 */
enum kt_rc suppress_check(struct store_conn *w, const struct key_secret *k,
                          const struct upsert_req *req, bool lift, int64_t now, const char **which,
                          struct kt_err *err);
/* The same, and `*field` (may be NULL) gets the JSON path the listed value came in:
 * "profile.phone", "identifiers.card", "identifiers.card[1]". */
enum kt_rc suppress_check_at(struct store_conn *w, const struct key_secret *k,
                             const struct upsert_req *req, bool lift, int64_t now,
                             const char **which, const char **field, struct kt_err *err);

/* Adds the phones, e-mails and cards of customer `cu` (its profile and `ids`) to the list under
 * the act `act_id`, and forgets the reject lines of server imports that carry any of them
 * (docs/import.md), naming "import_rejects" in `cats` (the act's categories) when some went. */
enum kt_rc suppress_customer(struct store_conn *w, const struct key_secret *k,
                             const struct customer *cu, const struct ident *ids, size_t n_ids,
                             const char *act_id, int64_t now, struct arena *a, json_t *cats,
                             struct kt_err *err);

/* The system's name in the documents of the customer's rights: acts, evidence, exports. */
#define PRIVACY_SYSTEM_NAME "Kartoteka " KT_VERSION

/* ---- the audit log (audit.c) -------------------------------------------------------------- */

/*
 * Two logs read as one (docs/privacy.md, "The audit log"). Changes are written with
 * audit_write() inside the transaction that makes them, into the main database. Reads of
 * personal data are many and must not wait for the writer: audit_note() queues them in memory
 * and audit_flush() writes them into the log of reads, a database file of its own (the scheduler
 * every AUDIT_FLUSH_MS and once more at shutdown, GET /v1/audit before answering).
 *
 * Nothing is dropped: a note always queues. A route that reads personal data asks audit_admit()
 * first, which refuses (and counts) while the queue holds --audit-queue-max entries or more - the
 * flush is failing - so the request fails (503 audit_busy) instead of reading unlogged.
 *
 * Every entry of both logs carries a hash: keyed BLAKE2b-256 over the hash of the entry before it
 * and the entry's own content, its seq included; the key is derived from the installation secret
 * (audit_key_init), so the database alone cannot recompute the chain. audit_verify() walks both.
 */
#define AUDIT_FLUSH_MS  1000
#define AUDIT_QUEUE_MAX 500000 /* the default of --audit-queue-max */
#define AUDIT_IP_MAX    46     /* an IPv6 address in text and its NUL */

/* Derives the chain's key from the installation secret. Called once, before any thread writes
 * the log (serve, every verb that loads the secret); a write without it fails. */
void audit_key_init(const struct key_secret *secret);
/* The queue's limit (--audit-queue-max); set before serving. */
void audit_queue_max_set(size_t n);
size_t audit_queued(void);
/* Whether a read of personal data may go ahead: false, counted, while the queue is at its limit.
 * Lock-free. */
bool audit_admit(void);
uint64_t audit_refused_total(void); /* reads refused by audit_admit(), since start */

/* The request being served on this thread (the router, around a handler): its caller's address
 * goes on every entry written or queued until audit_caller_end(); audit_caller_tally() says how
 * many there were so far. A request runs on one thread from its handler's start to its end. */
void audit_caller_begin(const char *ip);
struct audit_tally {
    unsigned entries;  /* notes and changes since audit_caller_begin() */
    bool nothing_read; /* the handler said its reply holds no personal data (audit_nothing_read) */
};
struct audit_tally audit_caller_tally(void);
void audit_caller_end(void);
/* A handler of a route that may read personal data whose reply this time holds none (a collect
 * key's 202, a receipt without a customer): the router then adds no entry of its own. */
void audit_nothing_read(void);

/* What a read showed: one bit per profile field (1u << enum pf), and these. */
#define AUDIT_F_JOURNEYS                                                                           \
    (1u << 15) /* the customer's runs through journeys (below the rest:                            \
                  the bits from 16 up are taken) */
#define AUDIT_F_IDENTIFIERS   (1u << 16)
#define AUDIT_F_ATTRIBUTES    (1u << 17)
#define AUDIT_F_CONSENTS      (1u << 18)
#define AUDIT_F_HISTORY       (1u << 19)
#define AUDIT_F_PURCHASES     (1u << 20)
#define AUDIT_F_POINTS        (1u << 21)
#define AUDIT_F_CARDS         (1u << 22)
#define AUDIT_F_SUBSCRIPTIONS (1u << 23)
#define AUDIT_F_EVENTS        (1u << 24)
#define AUDIT_F_SEGMENTS      (1u << 25) /* membership of a segment */
#define AUDIT_F_TRAITS        (1u << 26) /* computed traits: RFM scores, clusters */
#define AUDIT_F_REJECTS       (1u << 27) /* raw rows of an import's reject file */
#define AUDIT_F_REQUESTS      (1u << 28) /* a privacy request and its note */
#define AUDIT_F_ACTS          (1u << 29) /* an act of destruction */
#define AUDIT_F_BLOCKS        (1u << 30) /* a block of the customer's data (art. 21) */
#define AUDIT_F_MESSAGES      (1u << 31) /* the outbox's messages to the customer, their states */
/* Queues a read. `action` and `detail` must be static strings (e.g. a route pattern); `object`
 * (copied, may be NULL) names what a read of many customers read (a segment, an import) and is
 * written after the detail. The caller's address comes from audit_caller_begin(). */
void audit_note(const char *key_id, const char *action, const char *customer_id, uint32_t fields,
                const char *detail, const char *object, const char *request_id, int64_t now);
/* "first_name,phone,identifiers" of a field mask, in `a`; NULL for none. */
const char *audit_fields_text(uint32_t fields, struct arena *a);
enum kt_rc audit_flush(struct store *s, struct kt_err *err);
/* Writes an entry for each API key whose expiry has come (the job keys_expiry), and counts them
 * in `n`. */
enum kt_rc audit_keys_expired(struct store *s, int64_t now, int64_t *n, struct kt_err *err);
/* A key to create (audit_key_create): its name (1-100 bytes), scope and limits, and who asks
 * (`actor`: the caller's key id, NULL for the CLI) in which request (NULL: none). */
struct audit_key_new {
    const char *name;
    enum key_scope scope;
    struct key_limits limits;
    const char *actor;
    const char *request_id;
};
/* Creates the key (keys_create_limited) and writes its entry in the audit log ("key", "create
 * <id> <scope>[ expires T][ stores S]"), in one write transaction of its own; `token` (size >=
 * KEY_TOKEN_MAX) receives the plain key to show once. What the CLI's keys create and POST /v1/keys
 * both call. KT_EINVAL invalid_value (name), bad_expiry, bad_stores. */
enum kt_rc audit_key_create(struct store *s, const struct key_secret *sec,
                            const struct audit_key_new *k, int64_t now, char *token,
                            struct api_key *out, struct kt_err *err);
/* Revokes an active key and writes "revoke <id>" in the audit log, in one write transaction;
 * KT_ENOTFOUND key_not_found when no active key has that id. */
enum kt_rc audit_key_revoke(struct store *s, const char *id, const char *actor,
                            const char *request_id, int64_t now, struct kt_err *err);
enum kt_rc audit_write(struct store_conn *w, const char *key_id, const char *action,
                       const char *customer_id, const char *fields, const char *detail,
                       const char *request_id, int64_t now, struct kt_err *err);
/* The subjects an incident affected: the distinct customers the entries of the log of reads that
 * `f` names read (`subjects`), and the entries that name none (`bulk`), the queue flushed first.
 * An analytic read of the whole window (store_reads_subjects). */
enum kt_rc audit_subjects(struct store *s, const struct reads_filter *f, int64_t *subjects,
                          int64_t *bulk, struct kt_err *err);
/* The audit log as one list: the changes (in the main database) and the reads (in the log of
 * reads) matching the filter, merged by time, at most f->limit, each list read after its own
 * cursor. `more` says whether another page may follow (from next_changes and next_reads). */
struct audit_page {
    struct audit_entry *items;
    bool *is_read; /* per item: from the log of reads */
    size_t n;
    int64_t next_changes, next_reads;
    bool more;
};
enum kt_rc audit_list(struct store *s, struct store_conn *c, const struct audit_filter *f,
                      int64_t after_changes, int64_t after_reads, struct arena *a,
                      struct audit_page *out, struct kt_err *err);

/* One log's chain as audit_verify() found it. */
struct audit_verified {
    const char *log;          /* "changes" or "reads" */
    bool intact;              /* every check below passed */
    struct audit_chain chain; /* the anchor, the head, the entries before the anchor */
    int64_t checked;          /* chained entries checked */
    int64_t bad_seq;          /* the first bad entry (the anchor's seq for the anchor) */
    const char *problem;      /* NULL when intact; else one of the words in audit.c */
};
/* Walks both logs from their anchors: each entry's hash against the hash of the entry before and
 * its own content, the seqs without a gap, the anchor's seal and its count of older entries.
 * Stops each log at its first bad entry. `c` is a read of the main database. Without
 * `reads_present` the log of reads is not opened (which would create it) and is reported
 * "log_missing": the server makes it at its first start (audit_open), so a database that was
 * served and has none lost it. */
enum kt_rc audit_verify(struct store *s, struct store_conn *c, bool reads_present,
                        struct audit_verified out[2], struct kt_err *err);
/* Opens (creating it when missing, with its anchor) the log of reads: serve does at start. */
enum kt_rc audit_open(struct store *s, struct kt_err *err);
/* The result as {"intact", "logs": [{"log", "intact", "entries", "anchor": {...}, "head": {...},
 * "first_bad": {"seq", "problem"} | null}]} (new reference). */
json_t *audit_verified_json(const struct audit_verified v[2]);

/* Frees what the queue holds (at exit, after the last flush). */
void audit_shutdown(void);

/* ---- expiry of raw data, audited (expiry.c) ----------------------------------------------- */

/* One batch of an expiry in the caller's write transaction: removes at most `limit` rows older
 * than `before`, `removed` says how many (store_events_expire, store_outbox_expire,
 * store_reject_expire). */
typedef enum kt_rc (*audit_expire_fn)(struct store_conn *w, int64_t before, int limit,
                                      int64_t *removed, struct kt_err *err);

/* Removes the rows of `what` ("events", "messages", "import_rejects") older than `before` in
 * write transactions of `batch` rows, so the tills wait at most one batch for the writer. The
 * run's audit entry (action `expire`, no key, no customer; the detail says what, the cutoff and
 * how many) is written in the transaction of its last batch: an entry means everything older
 * than its cutoff is gone. A run that removed nothing writes nothing. Then the WAL is cut, as
 * after an erasure, since the rows hold personal data; a failure to cut it is logged. */
enum kt_rc audit_expiry_run(struct store *s, const char *what, int64_t before, int batch,
                            audit_expire_fn fn, int64_t *removed, struct kt_err *err);

/* ---- documents (view.c) ------------------------------------------------------------------- */

/* The consent state of a customer: {"customer_id", "consent_pending", "items": [{"purpose",
 * "state", "channel", "since", "document", "expires_at"}]} (new reference; NULL with err set). */
json_t *consent_states_json(struct store_conn *c, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err);
/* One consent event with its evidence (new reference). */
json_t *consent_event_json(struct arena *a, const struct consent_event *e);
/* The subscriptions of a customer, each with whether it is active now (as consent_states_json). */
json_t *subs_states_json(struct store_conn *c, const struct customer *cu, int64_t now,
                         struct arena *a, struct kt_err *err);
/* The purposes of processing, what each covers and how long its data are kept (new reference). */
json_t *consent_purposes_json(void);

#endif
