/*
 * users.h - the people who use the console (issue 15, docs/console.md "People and sessions").
 *
 * A user is an e-mail, a password, a role (auth/roles.h) and, for a store manager, the stores.
 * The e-mail is found by its keyed tag (keys_tag under the installation secret, of the address's
 * match form: lower case, the domain in IDNA ASCII - clean_email) and kept sealed (auth/seal.h);
 * the password as libsodium's crypto_pwhash_str (Argon2id, the interactive limits); the TOTP
 * secret sealed (auth/totp.h). Every change is written to the audit log by the caller (api/,
 * cli/), in the transaction that makes it.
 */
#ifndef KT_AUTH_USERS_H
#define KT_AUTH_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/keys.h"
#include "auth/roles.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define USER_EMAIL_MAX    128 /* bytes of an e-mail (what seal.h can carry) */
#define USER_PASSWORD_MIN 10  /* bytes */
#define USER_PASSWORD_MAX 512
#define USER_PASSWORD_GEN 24 /* characters of a generated password (120 bits), without the NUL */

/* A user as the callers see one: the row, its e-mail opened and its role. */
struct user {
    struct user_row row;
    const char *email;       /* opened, in the arena */
    const struct role *role; /* never NULL for a row the store gave back */
};

/* The tag of `email` and its display form (in `a`); KT_EINVAL bad_email (field `email`) when it
 * is not an address or is longer than USER_EMAIL_MAX. */
enum kt_rc users_email_tag(const struct key_secret *k, const char *email, struct arena *a,
                           unsigned char tag[32], const char **display, struct kt_err *err);

/* A new random password (USER_PASSWORD_GEN base32 characters) into `out`. */
void users_password_new(char out[USER_PASSWORD_GEN + 1]);

/* Whether `password` matches `hash` (crypto_pwhash_str). A NULL `hash` is checked against a
 * made-up one, so that an unknown e-mail takes the time a wrong password does; it is false. */
bool users_password_check(const char *hash, const char *password);

/* At most USERS_HASHING Argon2id computations (a check or a new hash, 64 MiB each at the
 * interactive limits) run at once in the process; more wait their turn, so a burst of logins
 * costs at most USERS_HASHING x 64 MiB, never one 64 MiB per worker thread. */
#define USERS_HASHING 4

/* The most computations seen running at once since the start (for tests and the metrics). */
unsigned users_hashing_peak(void);

/* What a new user is: the e-mail and password in clear, the role's name, the stores as a JSON
 * array (keys_stores_parse) or NULL. */
struct user_new {
    const char *email, *password, *role, *stores;
};

/* Creates the user (KT_EINVAL bad_email, bad_password, bad_role, bad_stores; KT_ECONFLICT
 * email_taken). */
enum kt_rc users_create(struct store_conn *w, const struct key_secret *k, const struct user_new *in,
                        int64_t now, struct arena *a, struct user *out, struct kt_err *err);

/* What a change sets; NULL / -1: unchanged. `stores_set` with a NULL `stores` clears them. */
struct user_change {
    const char *role;
    const char *stores; /* JSON array */
    bool stores_set;
    int disabled; /* 1 disable (and end every session), 0 enable, -1 unchanged */
    const char *password;
    bool totp_clear; /* forget the TOTP secret (a lost phone): login asks for none */
};

/* Applies `ch` to user `id` (KT_ENOTFOUND user_not_found; the checks of users_create); the user
 * as it is now in `out`. A new password, a role or stores changed, a TOTP secret cleared or a
 * disable ends the user's sessions. */
enum kt_rc users_change(struct store_conn *w, const struct key_secret *k, const char *id,
                        const struct user_change *ch, int64_t now, struct arena *a,
                        struct user *out, struct kt_err *err);

/* The user of `row` with its e-mail opened (KT_EINTERNAL when it does not open: another secret). */
enum kt_rc users_open(const struct key_secret *k, const struct user_row *row, struct arena *a,
                      struct user *out, struct kt_err *err);

/* By id (`found` as in store_ops.def) and all of them, in creation order. */
enum kt_rc users_get(struct store_conn *c, const struct key_secret *k, const char *id,
                     struct arena *a, struct user *out, bool *found, struct kt_err *err);
/* By e-mail (its tag): `found` false for none or a malformed address. */
enum kt_rc users_find(struct store_conn *c, const struct key_secret *k, const char *email,
                      struct arena *a, struct user *out, bool *found, struct kt_err *err);
enum kt_rc users_list(struct store_conn *c, const struct key_secret *k, struct arena *a,
                      struct user **out, size_t *n, struct kt_err *err);

/* TOTP (auth/totp.h). `setup` gives user `id` a new secret (base32, in `a`, with its otpauth URI)
 * not yet in force; KT_ECONFLICT totp_state when TOTP is on already (a reset clears it first).
 * `prove` checks `code` against the user's secret at `now` (a step accepted once): with `enable`,
 * the setup's secret is put in force (KT_ECONFLICT totp_state without a setup or when on
 * already; a wrong code KT_EINVAL code_wrong); without, it is the login's second factor (KT_EAUTH
 * wrong_code). The user as it is now in `out`. */
enum kt_rc users_totp_setup(struct store_conn *w, const struct key_secret *k, const char *id,
                            int64_t now, struct arena *a, const char **secret, const char **uri,
                            struct kt_err *err);
enum kt_rc users_totp_prove(struct store_conn *w, const struct key_secret *k, const char *id,
                            const char *code, bool enable, int64_t now, struct arena *a,
                            struct user *out, struct kt_err *err);

/* The audit log's detail of a change: "<verb> <id> role <role>[ stores <json>]" (no e-mail). */
const char *users_audit_detail(const char *verb, const struct user *u, struct arena *a);

#endif
