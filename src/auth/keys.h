/*
 * keys.h - API keys: how they look, how they are kept, how a request's key is checked.
 *
 * A key is "kt_<id>_<secret>": a 12-character public id (the row in api_keys) and a 32-character
 * secret (160 bits from the CSPRNG), both lower-case base32. The database keeps only a keyed
 * BLAKE2b-256 hash of the secret, keyed with the installation secret that lives in a file beside
 * the database (or in KARTOTEKA_SECRET), never in it: a copy of the database alone lets nobody in.
 * The plain key is shown once, when it is created.
 *
 * Scopes: admin (everything), pos (cash desks and shop backends: customers read and write),
 * collect (public write key for web pages and apps: may create and update, never read), dpo (the
 * data-protection officer: the privacy routes, no marketing), auditor (the audit log and its
 * check, nothing else), deliveries (the providers' callbacks), and the console's roles (issue 15,
 * part 3): marketer (admin without keys, users, the privacy settings, the clock and the DPO's
 * work), analyst (read-only, phones and e-mails masked), store_manager (read-only, limited to its
 * stores, which it must name). The routes of each: api/routes.c and docs/api.md, "Scopes by
 * route".
 *
 * Limits beyond the scope (issue 19, part F): an expiry, after which the key is refused with its
 * own code (key_expired), and for a pos or store_manager key a list of stores: it sees only
 * customers who were in one of them and writes only for them (api/common.c, docs/privacy.md "Roles
 * and scopes").
 */
#ifndef KT_AUTH_KEYS_H
#define KT_AUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

#define KEY_TOKEN_MAX 64 /* room for a whole key and its NUL */

struct key_secret {
    unsigned char k[32]; /* installation secret; keys the hash of every API key */
};

/*
 * Loads the installation secret: from the environment value `env_hex` when non-NULL, else from
 * `path`, creating the file (mode 0600) with a fresh secret when it does not exist. `created` says
 * whether a new one was made.
 */
/* The outbox's id of a message from its origin (deliver/outbox.h, outbox_id): "m_" + 32 hex of
 * BLAKE2b keyed by the installation secret over "kartoteka/outbox/v1:<origin>". Here, below
 * every module that queues a message (loyalty's one-time codes, deliver's API and campaigns). */
#define KEYS_OUTBOX_ID_HEX 32
const char *keys_outbox_id(const struct key_secret *k, const char *origin, struct arena *a);

/* A keyed tag of `value`: BLAKE2b-256 keyed by the installation secret over `context` (a fixed
 * prefix naming what the value is, e.g. "otp-phone:") followed by `value`. What the database keeps
 * of a phone or an address it must find again but never show (one-time codes, the pages'
 * limits): equal values give equal tags, the tag gives nothing back without the secret. */
void keys_tag(const struct key_secret *k, const char *context, const char *value,
              unsigned char out[32]);

enum kt_rc keys_secret_load(const char *path, const char *env_hex, struct key_secret *out,
                            bool *created, struct kt_err *err);

/*
 * Checks that the secret is the one the database's keys were made with (a check value is kept in
 * meta) and records it on first use. A mismatch means every existing key would be refused.
 */
enum kt_rc keys_secret_check(struct store_conn *w, const struct key_secret *s, struct kt_err *err);

/* Creates a key; `token` (size >= KEY_TOKEN_MAX) receives the plain key to show once. */
enum kt_rc keys_create(struct store_conn *w, const struct key_secret *s, const char *name,
                       enum key_scope scope, int64_t now, char *token, struct api_key *out,
                       struct kt_err *err);

/* What limits a key beyond its scope; zero and NULL: nothing. */
struct key_limits {
    int64_t expires_at; /* ms; 0: never. Must lie after the creation */
    const char *stores; /* JSON array of store codes (keys_stores_parse); only for pos keys */
};

/* Whether a key of `scope` may (pos, store_manager) or must (store_manager) be limited to
 * stores: KT_OK, else KT_EINVAL bad_stores (field "stores"). */
enum kt_rc keys_stores_fit(enum key_scope scope, bool has_stores, struct kt_err *err);

/* keys_create with limits (NULL: none). KT_EINVAL when they do not fit the scope or the time. */
enum kt_rc keys_create_limited(struct store_conn *w, const struct key_secret *s, const char *name,
                               enum key_scope scope, const struct key_limits *lim, int64_t now,
                               char *token, struct api_key *out, struct kt_err *err);

/* "S-1,S-2" as the JSON array a key keeps, in `a`: 1-100 codes of 1-64 bytes, no control
 * characters, none twice (KT_EINVAL bad_stores otherwise). */
enum kt_rc keys_stores_parse(const char *list, struct arena *a, const char **json,
                             struct kt_err *err);

/* Whether the key may act for `store` (NULL: none named): any store when the key is not limited,
 * else only one of its own. */
bool keys_store_allowed(const struct api_key *k, const char *store);

/* Checks a presented key at the wall clock's `now`. KT_EAUTH with code "invalid_key" for any
 * mismatch, revoked or unknown key alike (the reply never tells which); "key_expired" for the
 * right secret of a key past its expiry (only the holder of the secret learns it expired). */
enum kt_rc keys_verify(struct store_conn *r, const struct key_secret *s, const char *token,
                       size_t len, struct arena *a, struct api_key *out, struct kt_err *err);
enum kt_rc keys_verify_at(struct store_conn *r, const struct key_secret *s, const char *token,
                          size_t len, int64_t now, struct arena *a, struct api_key *out,
                          struct kt_err *err);

const char *keys_scope_name(enum key_scope scope);
bool keys_scope_parse(const char *s, enum key_scope *out);

#endif
