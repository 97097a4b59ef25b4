/*
 * model.h - the records the store keeps, shared by the store backends and the domain modules.
 *
 * Strings in these records are borrowed: when a store function fills a record it allocates the
 * strings in the arena the caller passes, so they live as long as that arena.
 */
#ifndef KT_STORE_MODEL_H
#define KT_STORE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/id.h"

/* The standard profile fields, in column order. The verified mask has one bit per field. */
enum pf {
    PF_LAST_NAME,
    PF_FIRST_NAME,
    PF_MIDDLE_NAME,
    PF_GENDER,
    PF_BIRTH_DATE,
    PF_EMAIL,
    PF_PHONE,
    PF_CITY,
    PF_ADDRESS,
    PF_COUNT
};

extern const char *const pf_names[PF_COUNT]; /* "last_name", ... as in the API and the schema */

/* Index of a profile field by name; -1 when there is none. */
int pf_lookup(const char *name);

struct customer {
    int64_t ck;                /* internal key (never shown); 0 before insertion */
    char id[ID_MAX];           /* public id, "c_..." */
    int64_t created_at;        /* ms */
    int64_t updated_at;        /* ms */
    int64_t merged_into;       /* ck of the survivor once merged away, else 0 */
    const char *val[PF_COUNT]; /* standard form, NULL when absent */
    int64_t at[PF_COUNT];      /* when the value was observed, ms; 0 when absent */
    uint32_t verified;         /* bit (1u << pf) set when val[pf] was verified */
    uint32_t quality;          /* 2 bits per field (enum quality), shifted by 2 * pf */
    bool gender_inferred;      /* val[PF_GENDER] came from the name, not from the customer */
    const char *name_key;      /* clean_name_key() of the name, or NULL */
    const char *attrs;         /* JSON object: declared attribute -> value */
    const char *attrs_at;      /* JSON object: declared attribute -> observed ms */
    int64_t erased_at;         /* ms when it was depersonalised (read only; privacy_erase) */
};

/* What cleaning made of a stored value. */
enum quality { QUALITY_OK = 0, QUALITY_CORRECTED = 1, QUALITY_SUSPICIOUS = 2 };

static inline enum quality quality_get(uint32_t q, int f)
{
    return (enum quality)((q >> (2 * f)) & 3u);
}

static inline uint32_t quality_set(uint32_t q, int f, enum quality v)
{
    return (q & ~(3u << (2 * f))) | ((uint32_t)v << (2 * f));
}

struct ident {
    const char *kind;  /* "phone", "email", "card", "cookie", "device", "ext:<system>", "vk", ... */
    const char *value; /* standard form; unique with kind across the base */
    int64_t ck;        /* owner */
    bool verified;     /* the channel proved the customer controls it */
    int64_t created_at;  /* ms */
    const char *channel; /* channel that first attached it */
};

struct history_entry {
    int64_t seq;           /* order of recording; assigned by the store */
    int64_t ck;            /* customer */
    int64_t at;            /* ms */
    const char *field;     /* "profile.phone", "identifiers.card", "attributes.pets", "customer" */
    const char *action;    /* "set", "clear", "verify", "attach", "create", "merge" */
    const char *old_value; /* NULL when none */
    const char *new_value; /* NULL when none */
    const char *channel;   /* source channel */
    const char *store_id;  /* NULL when not given */
    const char *operator_id; /* NULL when not given */
    const char *request_id;  /* X-Request-Id of the request that made the change */
    const char *reason;      /* for "refused": why the raw value was not stored */
};

struct attr_def {
    const char *name;        /* [a-z][a-z0-9_]{0,39} */
    const char *type;        /* "string", "number", "boolean", "date", "enum", "list" */
    const char *items;       /* for "list": "string", "number", "date" or "enum"; else NULL */
    const char *values;      /* JSON array of allowed values for enum and list of enum, else NULL */
    const char *title;       /* label for forms, or NULL */
    const char *description; /* or NULL */
    int64_t created_at;      /* ms */
    int64_t updated_at;      /* ms */
};

/* A bit each, so a route lists the scopes it allows as a mask (http.h). docs/api.md, "Scopes by
 * route", says what each may do. */
enum key_scope {
    SCOPE_ADMIN = 1,       /* everything */
    SCOPE_POS = 2,         /* cash desks and shop backends */
    SCOPE_COLLECT = 4,     /* web pages and apps: write, never read */
    SCOPE_DPO = 8,         /* the data-protection officer: privacy without marketing */
    SCOPE_AUDITOR = 16,    /* the audit log and its check, read-only */
    SCOPE_DELIVERIES = 32, /* the providers' delivery callbacks (POST /v1/deliveries/status) */
    /* The console's roles (issue 15, docs/console-plan.md part 3), which keys may hold too: */
    SCOPE_MARKETER = 64, /* admin without keys, users and the privacy settings */
    SCOPE_ANALYST = 128, /* read-only; phones and e-mails masked in every reply */
    SCOPE_MANAGER = 256  /* a store manager: their stores' customers and reports, read-only */
};

struct api_key {
    char id[24];      /* public part of the key, "k..." */
    const char *name; /* what the operator called it */
    enum key_scope scope;
    unsigned char hash[32]; /* keyed BLAKE2b of the secret part */
    int64_t created_at;     /* ms */
    int64_t revoked_at;     /* ms, 0 while active */
    int64_t expires_at;     /* ms, 0: never */
    const char *stores;     /* JSON array of the store codes the key is limited to; NULL: all */
};

/* A person who uses the console (0032_users.sql; auth/users.h). The e-mail and the TOTP secret
 * travel sealed (auth/seal.h) through the store, which neither seals nor opens them. */
struct user_row {
    char id[24];                 /* "u_" and 20 base32 characters */
    unsigned char email_tag[32]; /* keyed tag of the e-mail (keys_tag) */
    const char *email_sealed;
    const char *pw_hash;     /* crypto_pwhash_str */
    const char *role;        /* admin, marketer, analyst, store_manager, dpo (auth/roles.h) */
    const char *stores;      /* JSON array of store codes; NULL: not limited */
    const char *totp_sealed; /* NULL: no TOTP secret */
    bool totp_on;            /* the secret was proved by a code: login asks for one */
    int64_t totp_step;       /* the last time step accepted */
    int64_t failed;          /* wrong passwords since the last login */
    int64_t failed_at;       /* ms, 0: none */
    int64_t disabled_at;     /* ms, 0 while enabled */
    int64_t created_at, updated_at; /* ms */
};

/* A console session (0033_sessions.sql; auth/session.h): the row of a cookie, by its hash. */
struct session_row {
    unsigned char hash[32]; /* keyed tag of the cookie's id */
    char user_id[24];
    const char *factor; /* "none", "needed" or "passed" */
    int64_t created_at; /* ms */
    int64_t last_at;    /* ms, the last request seen (kept within a minute) */
    int64_t expires_at; /* ms, the absolute end */
};

/* Values received from one source on one day, and what cleaning made of them. */
struct intake_row {
    int64_t day; /* days since 1970-01-01, UTC */
    const char *channel;
    const char *store_id;                       /* "" when none */
    const char *operator_id;                    /* "" when none */
    int64_t requests;                           /* requests or import rows */
    int64_t refused;                            /* refused as a whole */
    int64_t ok, corrected, suspicious, invalid; /* values, by verdict */
};

struct import_job {
    char id[ID_MAX];       /* "i_..." */
    const char *state;     /* "queued", "running", "done", "failed" */
    const char *file_name; /* as uploaded, or NULL */
    const char *path;      /* the file on disk */
    const char *options;   /* JSON */
    const char *error;     /* why it failed, or NULL */
    bool has_rejects;      /* rows of its reject file are kept (import_rejects; read only) */
    int64_t bytes_total, bytes_done;
    int64_t rows_total, created, updated, unchanged, partial, rejected;
    int64_t created_at, started_at, finished_at; /* ms; 0 = not yet */
};

/* One line of a server import's reject file (docs/import.md). */
struct import_reject {
    const char *import_id;
    int64_t line;                    /* the row's line in the file; IMPORT_REJECT_HEADER = header */
    int64_t at;                      /* ms, when the row was refused; the term runs from here */
    const char *csv;                 /* the line as the reject file holds it, CRLF included */
    const unsigned char (*keys)[32]; /* suppress_hash() of each identifier it carries */
    size_t n_keys;
};
#define IMPORT_REJECT_HEADER 1

/* Everything the quality report counts, read in one snapshot (store_quality). */
struct quality_count {
    const char *key; /* attribute or field name, card count, ... */
    int64_t n;
};

struct quality_data {
    int64_t customers;            /* live (not merged away) */
    int64_t filled[PF_COUNT];     /* customers with the field */
    int64_t corrected[PF_COUNT];  /* of those, with a corrected value */
    int64_t suspicious[PF_COUNT]; /* of those, with a suspicious value */
    int64_t phone_verified, email_verified, gender_inferred;
    int64_t email_undeliverable, phone_undeliverable; /* customers whose address a hard bounce
                                                         marked (0022_feedback.sql) */
    int64_t complete;            /* phone verified, first name and birth date */
    int64_t stale[3];            /* no value observed or changed for 12, 24, 36 months */
    struct quality_count *attrs; /* customers holding each declared attribute */
    size_t n_attrs;
    struct quality_count *refused; /* refused raw values by field (history) */
    size_t n_refused;
    int64_t dup_groups, dup_customers; /* same name key and birth date */
    struct quality_count *dup_samples; /* the largest groups: key = ids joined by ",", n = size */
    size_t n_dup_samples;
    int64_t candidates_open, candidates_customers; /* customers sharing identifiers */
    struct intake_row *intake; /* per channel, store and operator, summed over days */
    size_t n_intake;
    struct quality_count *cards; /* key = cards per customer (as text), n = customers */
    size_t n_cards;
};

struct idem_record {
    const char *key_id;         /* API key that made the request */
    const char *idem_key;       /* Idempotency-Key header */
    unsigned char req_hash[32]; /* BLAKE2b of method, route and body */
    int status;                 /* HTTP status of the stored reply */
    const char *body;           /* the reply body */
    int64_t created_at;         /* ms */
    int64_t ck; /* the customer the reply is about: its key seals the body, its erasure deletes
                   it; 0 for none (the installation's key) */
};

/* ---- privacy (0003_privacy.sql, docs/privacy.md) ------------------------------------------ */

struct consent_doc {
    const char *key;     /* "loyalty-pd" */
    int64_t version;     /* 1, 2, ... */
    const char *purpose; /* pd_processing, ads, third_party_transfer, distribution */
    const char *title;
    const char *body;
    const char *sha256;   /* hex */
    int64_t term_days;    /* 0 = until withdrawn */
    bool reconsent;       /* consents to earlier versions become outdated */
    int64_t published_at; /* ms */
};

struct consent_event {
    int64_t seq; /* assigned by the store */
    int64_t ck;
    const char *purpose;
    const char *channel; /* the ads channel, "" for the other purposes */
    const char *action;  /* "grant", "withdraw", "pending" */
    int64_t at;          /* ms, when the customer gave or withdrew it */
    int64_t recorded_at; /* ms */
    int64_t expires_at;  /* ms, 0 = no term */
    const char *doc_key; /* NULL for withdrawals and pending */
    int64_t doc_version;
    const char *doc_sha256;
    const char *source; /* channel the event came through */
    const char *store_id, *operator_id, *form_id, *otp_id, *paper_form, *legal_basis;
    const char *ip, *user_agent; /* web only */
    const char *key_id, *request_id;
    const char *message_id; /* a withdrawal on a complaint: the message complained of */
};

/* A store of the retailer (a "shop" here, beside the storage layer that is the store): its code
 * as the tills send it, and its time zone (docs/messages.md, "Local time"). */
struct shop {
    const char *code;
    const char *title;     /* what the chain calls it, for people; or NULL */
    const char *city;      /* standard form, or NULL */
    const char *time_zone; /* IANA name */
    int64_t created_at, updated_at;
};

/* A join point (0027_join_points.sql, pages/join_points.c): a store and a spot in it, named by
 * the short code of its public link. No personal data. */
struct join_point {
    char code[12];       /* 8 characters of the codes' alphabet */
    const char *store;   /* stores.code */
    const char *spot;    /* till, entrance, shelf, other */
    const char *label;   /* the retailer's words for the spot, or NULL */
    int64_t created_at;  /* ms */
    int64_t disabled_at; /* ms, or 0 while it takes customers */
};

/* A join form waiting for its SMS code (0030_join_pending.sql, pages/join.h). `data` is the
 * form's values as JSON: personal data, sealed under the customer's key in the store. */
struct join_pending {
    char id[40];                    /* "jf_" + 32 hex */
    int64_t ck;                     /* the customer of the phone */
    const char *join_point;         /* join_points.code */
    const char *channel;            /* "qr_form" or "tablet" */
    const char *data;               /* JSON */
    const char *otp_id;             /* the code sent, or NULL */
    int64_t created_at, expires_at; /* ms */
};

/* A stored message template, one version of it (deliver/template_store.c, docs/messages.md,
 * "Templates"). No personal data: the text is the retailer's. */
struct msg_template {
    const char *name;
    int64_t version;     /* 1, 2, ... per name */
    const char *channel; /* "email", "sms", "push" */
    const char *parts;   /* JSON object of the parts, compact with sorted keys */
    int64_t created_at;  /* ms */
    const char *key_id;  /* the key that saved it, or NULL */
};

/* A version of the retailer's own page, stylesheet or logo (0031_page_versions.sql). */
struct page_version {
    int64_t seq;        /* grows with every version of any name */
    const char *name;   /* a built-in page's name, "style.css" or "logo" */
    int64_t version;    /* 1, 2, ... per name */
    const char *body;   /* NUL-terminated (a logo may hold NULs: `len`); NULL: a reset */
    size_t len;         /* bytes of body */
    const char *type;   /* the logo's media type, or NULL */
    int64_t created_at; /* ms */
    const char *key_id; /* the key that stored it, or NULL */
};

struct topic {
    const char *key;
    const char *title;
    const char *description; /* or NULL */
    const char *channels;    /* JSON array */
    int64_t created_at, updated_at;
};

struct sub_event {
    int64_t seq;
    int64_t ck;
    const char *topic;
    const char *channel;
    bool subscribed;
    int64_t at;
    const char *via;    /* "api", "unsubscribe_page", "one_click", "erasure" */
    const char *source; /* channel */
    const char *key_id, *request_id;
};

struct privacy_request {
    char id[ID_MAX];         /* "r_..." */
    const char *kind;        /* access, rectification, stop, erasure, unlawful_processing */
    const char *customer_id; /* or NULL */
    const char *received_on; /* YYYY-MM-DD */
    const char *deadline;    /* YYYY-MM-DD; unlawful_processing: the day to stop by */
    bool provisional, extended;
    const char *channel;
    const char *note;
    const char *state; /* open, done, refused */
    const char *outcome;
    int64_t created_at, closed_at;
    const char *key_id;
    const char *destroy_deadline; /* YYYY-MM-DD, unlawful_processing only; else NULL */
    const char *extension_reason; /* the reasoned notice of an extension, or NULL */
    int64_t extended_at;          /* ms, when it was extended; 0 when not, or at creation */
};

/* A block of a customer's data (152-FZ art. 21; docs/privacy.md, "Blocking"). */
struct customer_block {
    char id[ID_MAX];                /* "b_..." */
    int64_t ck;                     /* the customer */
    const char *customer_id;        /* its public id */
    const char *reason;             /* accuracy_disputed, unlawful_processing, subject_request */
    const char *privacy_request_id; /* the request it answers */
    const char *note;               /* or NULL */
    int64_t blocked_at;             /* ms */
    const char *key_id;             /* or NULL (the CLI) */
    int64_t unblocked_at;           /* ms; 0 while in force */
    const char *outcome;            /* rectified, accurate, lawful, made_lawful, erased; or NULL */
    const char *outcome_note;       /* or NULL */
    const char *unblock_key_id;     /* or NULL */
};

/* An act of destruction (Roskomnadzor Order No. 179; privacy/act.c). The members from `method`
 * on came with 0016_acts.sql. A draft lacks the operator or the persons (its `document` is NULL);
 * it is completed once, and then nothing of it changes but a signature added once. */
struct destruction_act {
    char id[ID_MAX]; /* "a_..." */
    const char *customer_id;
    int64_t at;             /* the date of destruction, ms */
    const char *reason;     /* request, withdrawal, retention, unlawful */
    const char *categories; /* JSON array of category codes */
    const char *system;     /* the software that destroyed: "Kartoteka 0.1.0" */
    const char *key_id, *operator_id, *request_id;
    const char *log_extract;        /* JSON array: the event-log entries */
    int64_t expires_at;             /* kept until: 3 years after `at` */
    const char *method;             /* "secure_delete_wal" */
    const char *information_system; /* the retailer's name of it, from the settings */
    const char *data_operator;      /* JSON {name, address, inn?, ogrn?}; NULL: a draft */
    const char *data_processor;     /* JSON {name, address}, or NULL */
    const char *destroyed_by;       /* JSON [{name, position}]; NULL: a draft */
    int64_t completed_at;           /* a draft completed later, or 0 */
    const char *document;           /* the canonical document (JSON); NULL: a draft */
    const char *document_sha256;    /* hex */
    int64_t signed_at;              /* when a signature was attached, or 0 (the bytes are read
                                       on their own: store_act_signature) */
};

/* What store_customer_erase destroyed, rows per kind: the act's categories come from it. */
struct erase_counts {
    int64_t customers;        /* the customer's row and those merged into it */
    int64_t identifiers;      /* identifiers deleted */
    int64_t history;          /* history rows whose values were destroyed */
    int64_t consent_evidence; /* consent events whose IP and user agent were destroyed */
    int64_t events;           /* behaviour events whose properties and anonymous ids went */
    int64_t traits;           /* computed traits deleted */
    int64_t members;          /* segment memberships deleted */
    int64_t messages;         /* outbox messages whose recipient and content were destroyed */
    int64_t replies;          /* stored replies of retried requests deleted */
    int64_t cards;            /* loyalty cards unbound */
    int64_t data_keys;        /* data keys queued for destruction (the customer's and merged) */
    int64_t wallet;           /* wallet passes and their devices' registrations deleted */
};

struct due_item {
    int64_t seq;
    const char *kind; /* "erase" */
    int64_t ck;
    int64_t due_at;
    const char *reason;
    int64_t created_at;
};

struct audit_entry {
    int64_t seq;
    int64_t at;
    const char *key_id; /* NULL for the CLI and the worker */
    const char *action;
    const char *customer_id;
    const char *fields;
    const char *detail;
    const char *request_id;
    const char *ip;   /* the caller's address; NULL for the CLI and the worker */
    const char *hash; /* hex keyed BLAKE2b-256 over the entry before's hash and this entry
                         (consent/audit.c); NULL for entries older than the chain's anchor */
};

/* Where one log's chain of hashes stands (0014_audit_chain.sql; the log of reads keeps its own).
 * The entries up to anchor_seq were written before the chain existed; the anchor records them
 * and is sealed (anchor_mac) by the first chained entry. consent/audit.c makes every hash, the
 * store keeps them. */
#define AUDIT_HASH_HEX 65 /* 64 hex digits and the NUL */
struct audit_chain {
    int64_t anchor_seq;              /* entries up to this seq predate the chain */
    int64_t anchor_rows;             /* how many there were when the anchor was recorded */
    int64_t anchor_at;               /* when it was recorded, ms */
    char anchor_mac[AUDIT_HASH_HEX]; /* hex; "" until sealed */
    int64_t last_seq;                /* the newest entry; anchor_seq when none is chained */
    char last_hash[AUDIT_HASH_HEX];  /* its hash; "" when last_seq is anchor_seq */
    int64_t legacy_rows;             /* entries up to anchor_seq now (store_audit_chain only) */
};

/* Called by the store inside the transaction that appends `n` entries, with the chain as it
 * stands: fills each entry's seq and hash (strings that must outlive the call) and, when
 * chain->anchor_mac is "", seals the anchor by writing it there. */
typedef enum kt_rc (*store_audit_seal_fn)(void *ctx, struct audit_chain *chain,
                                          struct audit_entry *e, size_t n, struct kt_err *err);

struct audit_filter {
    const char *customer_id, *key_id, *action; /* NULL = any */
    int64_t since, until;                      /* ms; 0 = open */
    int64_t after_seq;                         /* cursor */
    int limit;
};

/* ---- loyalty (0004_loyalty.sql, docs/loyalty.md) ------------------------------------------ */

struct ledger_entry {
    int64_t seq; /* assigned by the store */
    int64_t ck;
    const char *kind; /* earn, spend, expire, bonus, refund_earn, refund_spend, adjust */
    int64_t points;   /* signed */
    int64_t at, available_at, expires_at; /* ms; expires_at 0 = never */
    const char *purchase_id;
    int64_t program_version;
    const char *reason, *key_id, *request_id;
};

struct purchase {
    char id[ID_MAX]; /* "p_..." */
    const char *store_id, *receipt;
    int64_t ck; /* 0: anonymous */
    int64_t at, total, points_earned, points_spent, program_version;
    unsigned char body_hash[32];
    const char *reply; /* JSON */
    int64_t created_at;
    const char *key_id;
    const char *identified_by; /* "card", "phone", "id"; NULL: anonymous */
    /* filled by the store's readers: what its refunds gave back so far */
    int64_t refunded, points_reversed, points_returned;
};

struct purchase_line {
    const char *sku, *name, *category;     /* name and category may be NULL */
    int64_t quantity;                      /* thousandths */
    int64_t price, discount, amount;       /* kopecks */
    int64_t refunded_qty, refunded_amount; /* filled by store_purchase_get */
};

/* A return of some or all of a receipt's lines. */
struct refund {
    char id[ID_MAX]; /* "r_..." */
    const char *purchase_id, *number;
    int64_t at, amount, points_reversed, points_returned;
    unsigned char body_hash[32];
    const char *reply;
    int64_t created_at;
    const char *key_id;
};

struct refund_line {
    int64_t n; /* the purchase line, from 1 */
    int64_t quantity, amount;
};

/* GET /v1/reports/loyalty: the programme's economics over [since, until). */
struct loyalty_report {
    int64_t earned, spent, expired, bonus, refund_earn, refund_spend, adjusted; /* points */
    int64_t outstanding; /* every entry up to `until`: the liability, in points */
    int64_t receipts, receipts_identified, receipts_by_card;
    int64_t total, total_identified; /* kopecks */
    int64_t refunds, refunded;       /* count, kopecks */
};

/* A loyalty card (docs/loyalty.md). */
struct card {
    char number[14];   /* EAN-13 */
    int64_t ck;        /* 0: not bound */
    const char *kind;  /* "virtual", "physical" */
    const char *state; /* "issued", "active", "blocked", "replaced", "unbound" */
    const char *batch; /* or NULL */
    int64_t issued_at, bound_at, state_at;
    const char *replaced_by, *reason; /* or NULL */
};

/* A one-time code: only keyed hashes of the phone and the code are kept. */
struct otp_code {
    char id[ID_MAX]; /* "o_..." */
    int64_t ck;
    unsigned char phone_tag[32], code_hash[32];
    int64_t created_at, expires_at, attempts, verified_at;
    const char *key_id;
};

/* A message of the outbox (0020_outbox.sql; docs/messages.md, "The outbox"). */
#define OUTBOX_CHANNELS_MAX 4 /* email, sms, push, webhook */

struct outbox_msg {
    int64_t seq;               /* the store's order of insertion; the list's cursor */
    const char *id;            /* "m_" + the keyed hash of the origin */
    int64_t ck;                /* the customer, whose key seals recipient and content */
    const char *channel;       /* "email", "sms", "push", "webhook" */
    const char *kind;          /* "transactional", "marketing" */
    const char *topic;         /* or NULL */
    int64_t priority;          /* higher first */
    const char *recipient;     /* the address or phone, clear in memory; NULL for push */
    const char *content;       /* JSON of the rendered parts; NULL once finished */
    const char *state;         /* queued, sending, sent, delivered, bounced, failed, ... */
    int64_t next_at, attempts; /* when to try (again); tries so far */
    int64_t reply_code;        /* the last reply's code, 0 when none */
    const char *reply_text;    /* the last reply, scrubbed; or NULL */
    const char *reason;        /* why it is suppressed, failed or capped; or NULL */
    int64_t created_at, updated_at, sent_at;
    int64_t expires_at;      /* not sent by then: failed, "expired" (a one-time code); 0: never */
    const char *campaign_id; /* the campaign that made it (0023_campaigns.sql), or NULL */
    int64_t journey_run;     /* the journey's run that made it (0026_journeys.sql), or 0 */
};

/* A campaign's variant: a template's version and the percent of the messaged members it gets. */
struct campaign_variant {
    const char *name;     /* [a-z0-9_-], never "control" */
    const char *template; /* a stored template's name */
    int64_t version;      /* fixed when the campaign is created */
    int64_t share;        /* percent of the non-control members; the shares sum to 100 */
};

/* A campaign (0023_campaigns.sql; docs/messages.md, "Campaigns"). Times in ms, 0 when none. */
struct campaign {
    const char *id; /* "cmp_..." */
    const char *name;
    const char *state;      /* draft, scheduled, running, paused, done, cancelled */
    const char *channel;    /* "email", "sms", "push", "webhook" */
    const char *kind;       /* "marketing" */
    const char *topic;      /* or NULL */
    const char *segment_id; /* the audience: a saved segment's id, or NULL ... */
    const char *query;      /* ... or a query in the segment language */
    int64_t control_pct;    /* 0-90 */
    int64_t window_days;    /* the conversion window, 1-30 */
    int64_t scheduled_at;   /* start then; 0: when started */
    int64_t created_at, updated_at, started_at, finished_at;
    int64_t audience;  /* the frozen audience's size; -1 until frozen */
    int64_t cursor_ck; /* the enqueue's progress: every member with ck <= it is handled */
    int64_t enqueued;  /* outbox rows made */
    int64_t control;   /* members set aside in the control group */
    const char *key_id;
    struct campaign_variant *variants; /* in the order given */
    size_t n_variants;
};

/* A member of a campaign, enqueued or set aside once (campaign_members). */
struct campaign_member {
    int64_t ck;
    const char *grp;        /* "control" or the variant's name */
    const char *message_id; /* the outbox id; NULL for control */
    int64_t at;
};

/* A frequency cap (docs/messages.md, "The sending policy"): at most `count` marketing messages
 * in `n` hours (rolling), local calendar days or ISO weeks, on `channel` and of `topic` (NULL:
 * any). */
struct cap_rule {
    int64_t count;
    const char *per; /* "hours", "days", "weeks" */
    int64_t n;
    const char *channel; /* or NULL */
    const char *topic;   /* or NULL */
};

/* A message that counts against the caps: sent (or sending) at `at`. */
struct outbox_sent {
    const char *channel, *topic;
    int64_t at;
};
/* A one-time code's SMS goes before anything else queued (the API's priorities are 0-100). */
#define OUTBOX_PRIORITY_CODE 1000
#define OUTBOX_TOPIC_CODE    "otp" /* the topic of one-time codes: no other message has it */

/* A one-time code's SMS as a message of the outbox (docs/messages.md, "SMS"): to `phone`, with
 * `content` {"text"} sealed, queued at `at`, not sent after `expires_at`; channel sms,
 * transactional, the codes' topic and priority. The one definition loyalty's enqueue, the fold
 * of migration 0025 and the tests use. */
static inline struct outbox_msg outbox_code_msg(const char *id, int64_t ck, const char *phone,
                                                const char *content, int64_t at, int64_t expires_at)
{
    return (struct outbox_msg){.id = id,
                               .ck = ck,
                               .channel = "sms",
                               .kind = "transactional",
                               .topic = OUTBOX_TOPIC_CODE,
                               .priority = OUTBOX_PRIORITY_CODE,
                               .recipient = phone,
                               .content = content,
                               .state = "queued",
                               .next_at = at,
                               .created_at = at,
                               .updated_at = at,
                               .expires_at = expires_at};
}

/* What a campaign's report counts for one group of its members (campaign_report; the report
 * itself, with rates and the uplift, is campaign/report.c's). Counts are of members; money in
 * kopecks, net of refunds. */
struct campaign_report_group {
    const char *grp;          /* "control" or the variant's name */
    int64_t members;          /* enqueued or set aside */
    int64_t sent;             /* the receiver took the message (sent_at set) */
    int64_t delivered;        /* an email_delivered or sms_delivered event of the message */
    int64_t opened, clicked;  /* email_open, email_click */
    int64_t bounced;          /* message_bounced */
    int64_t complained;       /* spam_complaint */
    int64_t unsubscribed;     /* left the topic or the channel's ads consent within the window */
    int64_t capped;           /* by a frequency cap */
    int64_t suppressed;       /* refused by the policy (consent, erasure...) or cancelled */
    int64_t failed;           /* the channel refused it, or too many tries */
    int64_t pending;          /* still queued or being sent */
    int64_t converted;        /* members with a purchase attributed to the message */
    int64_t revenue;          /* those purchases' money */
    int64_t buyers;           /* members with a purchase within the window of their `at` */
    int64_t window_revenue;   /* the money of those purchases (the uplift's) */
    double window_revenue_sq; /* the sum of each member's window money squared */
    int64_t last_at;          /* the latest member's `at`: the window ends after it */
};

/* A behaviour event (docs/events.md). */
struct event {
    int64_t seq;                     /* assigned by the store */
    int64_t ck;                      /* 0: anonymous */
    const char *anon_kind, *anon_id; /* "cookie"/"device" and its id, when sent without one */
    const char *type;
    int64_t at, received_at; /* ms */
    const char *channel;
    const char *props; /* JSON object, or NULL */
    int64_t msg_hash;  /* keyed hash of the message id; 0: none given */
};

/* A custom event type: its properties' types as JSON, and the required ones. */
struct event_type {
    const char *name, *properties, *required;
    int64_t created_at, updated_at;
};

/* One customer's purchases as RFM sees them. */
struct rfm_row {
    int64_t ck;
    const char *id;
    int64_t last_at; /* ms of the latest receipt */
    int64_t count;   /* receipts */
    int64_t money;   /* kopecks: the receipts' totals less what was refunded */
};

/* What a learned interval is of (segment/intervals.h, docs/journeys.md "Learned intervals"): a
 * line's SKU, a line's category, or the receipt itself (a visit, whatever it held). */
enum store_day_key { STORE_DAY_SKU, STORE_DAY_CATEGORY, STORE_DAY_RECEIPT };

/* One purchase day of a customer and key, as store_purchase_days() streams them: `day` is the
 * local date (days since 1970-01-01) the receipt was rung up on; `id` and `key` are borrowed for
 * the call. A result other than KT_OK stops the stream and is returned. */
typedef enum kt_rc (*store_day_fn)(void *ctx, int64_t ck, const char *id, const char *key,
                                   int64_t day, struct kt_err *err);

/* A computed trait of a customer. */
struct trait {
    const char *name, *value;
    int64_t computed_at;
};

/* One customer's value of one trait (the trait named by the call). */
struct trait_row {
    int64_t ck;
    const char *value;
};

/* A saved segment. */
struct segment {
    char id[ID_MAX]; /* "s_..." */
    const char *name, *query;
    int64_t created_at, updated_at, refreshed_at, size;
    const char *key_id;
};

/* A saved segment's size after one refresh (GET /v1/segments/{id}/sizes). */
struct size_point {
    int64_t at; /* ms */
    int64_t size;
};

/* The points ledger's movements of one kind on one day (GET /v1/reports/loyalty's series). */
struct ledger_day {
    int64_t day;      /* days since 1970-01-01, UTC */
    const char *kind; /* earn, spend, expire, bonus, refund_earn, refund_spend, adjust */
    int64_t points;   /* signed, as the ledger's */
};

/* A segment a customer is in now (store_customer_segments). */
struct customer_segment {
    char id[ID_MAX]; /* "s_..." */
    const char *name;
    int64_t entered_at;
};

/* A member of a segment now. */
struct segment_member {
    int64_t ck;
    const char *customer_id;
    int64_t entered_at;
};

/* A customer's count or amount under a name (an event channel, a purchase category). */
struct feature_row {
    int64_t ck;
    const char *name;
    int64_t value;
};

/* ---- retention and incidents (0018_retention.sql, docs/privacy.md) ------------------------- */

/* An incident of the register (152-FZ art. 21 part 3.1). The lists are JSON arrays as text. */
struct incident {
    char id[ID_MAX]; /* "i_..." */
    const char *description;
    int64_t detected_at;                /* ms; the deadlines run from here */
    const char *categories;             /* JSON array of words */
    int64_t since, until;               /* the window, ms */
    const char *key_ids, *ips, *routes; /* JSON arrays */
    int64_t subjects, bulk_reads;       /* counted from the log of reads */
    const char *method;                 /* how `subjects` was counted */
    int64_t counted_at;
    const char *measures, *findings;  /* or NULL */
    int64_t notified_at, reported_at; /* 0: not yet */
    const char *state;                /* open, closed */
    const char *key_id;               /* who recorded it, or NULL (the CLI) */
    int64_t created_at, updated_at;
};

/* Whose reads to count in the log of reads: entries in [since, until) by any of the keys or
 * addresses (none of either: by anyone), on any of the routes (none: on any). JSON arrays. */
struct reads_filter {
    int64_t since, until;
    const char *key_ids, *ips, *routes;
};

#include "store/model_journey.h"  /* the journeys' records, in a file of their own */
#include "store/model_merge.h"    /* merges and the duplicates' queue, likewise */
#include "store/model_audience.h" /* the audience exports' record, likewise */
#include "store/model_wallet.h"   /* wallet passes and their devices, likewise */

#endif
