/*
 * users.c - the console's users (see users.h). The e-mail's tag and seal are made here, above the
 * store, from the installation secret, as the customers' pages' limits are (keys_tag); the
 * sealed value is bound to the user's id, so a row's e-mail cannot be moved to another row.
 */
#include "auth/users.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth/seal.h"
#include "auth/totp.h"
#include "base/id.h"
#include "clean/clean.h"

#define EMAIL_TAG_CTX "kartoteka/user-email:"

enum kt_rc users_email_tag(const struct key_secret *k, const char *email, struct arena *a,
                           unsigned char tag[32], const char **display, struct kt_err *err)
{
    struct clean_email ce = {0};
    size_t n = email != NULL ? strlen(email) : 0;
    if (n > 0 && n <= USER_EMAIL_MAX) {
        clean_email(email, n, a, &ce);
    }
    if (n == 0 || n > USER_EMAIL_MAX || ce.out.value == NULL || ce.out.verdict == CLEAN_INVALID ||
        strlen(ce.display) > USER_EMAIL_MAX) {
        return kt_err_set(err, KT_EINVAL, "bad_email", "email",
                          "email must be an e-mail address of at most %d bytes", USER_EMAIL_MAX);
    }
    keys_tag(k, EMAIL_TAG_CTX, ce.out.value, tag);
    *display = ce.display;
    return KT_OK;
}

void users_password_new(char out[USER_PASSWORD_GEN + 1])
{
    id_random_text(out, USER_PASSWORD_GEN);
}

/* The gate of USERS_HASHING (users.h): a count under a mutex, a condition to wait on. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static unsigned gate_running, gate_peak;

static void gate_enter(void)
{
    pthread_mutex_lock(&gate_mu);
    while (gate_running >= USERS_HASHING) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    gate_running++;
    if (gate_running > gate_peak) {
        gate_peak = gate_running;
    }
    pthread_mutex_unlock(&gate_mu);
}

static void gate_leave(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_running--;
    pthread_cond_signal(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

unsigned users_hashing_peak(void)
{
    pthread_mutex_lock(&gate_mu);
    unsigned peak = gate_peak;
    pthread_mutex_unlock(&gate_mu);
    return peak;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
    char pw[USER_PASSWORD_GEN + 1];
    users_password_new(pw);
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        dummy_hash[0] = '\0'; /* out of memory: the check below then fails fast for both */
    }
    sodium_memzero(pw, sizeof(pw));
}

bool users_password_check(const char *hash, const char *password)
{
    pthread_once(&dummy_once, dummy_make);
    size_t n = strlen(password);
    bool known = hash != NULL;
    if (n > USER_PASSWORD_MAX) {
        n = USER_PASSWORD_MAX; /* the same work for any length past the limit; never true */
        known = false;
    }
    gate_enter();
    int r = crypto_pwhash_str_verify(known ? hash : dummy_hash, password, n);
    gate_leave();
    return known && r == 0;
}

static enum kt_rc password_hash(const char *password, struct arena *a, const char **out,
                                struct kt_err *err)
{
    size_t n = strlen(password);
    if (n < USER_PASSWORD_MIN || n > USER_PASSWORD_MAX) {
        return kt_err_set(err, KT_EINVAL, "bad_password", "password",
                          "a password must be %d to %d bytes", USER_PASSWORD_MIN,
                          USER_PASSWORD_MAX);
    }
    char *h = arena_alloc(a, crypto_pwhash_STRBYTES);
    gate_enter();
    int r = crypto_pwhash_str(h, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE);
    gate_leave();
    if (r != 0) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "the password cannot be hashed (out of memory)");
    }
    *out = h;
    return KT_OK;
}

/* The role and stores of `u` checked together: a store manager has stores, nobody else does. */
static enum kt_rc role_check(struct user *u, struct kt_err *err)
{
    u->role = role_find(u->row.role);
    if (u->role == NULL) {
        return kt_err_set(err, KT_EINVAL, "bad_role", "role", "role must be %s", role_names());
    }
    if (u->role->stores != (u->row.stores != NULL)) {
        return kt_err_set(err, KT_EINVAL, "bad_stores", "stores",
                          u->role->stores ? "a store manager needs the stores they manage"
                                          : "only a store manager is limited to stores");
    }
    return KT_OK;
}

static const char *seal_ctx(const char *what, const char *id, struct arena *a)
{
    return arena_printf(a, "user-%s:%s", what, id);
}

enum kt_rc users_create(struct store_conn *w, const struct key_secret *k, const struct user_new *in,
                        int64_t now, struct arena *a, struct user *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    struct user_row *row = &out->row;
    char rnd[ID_RANDOM_CHARS + 1];
    id_random_text(rnd, ID_RANDOM_CHARS);
    kt_snprintf(row->id, sizeof(row->id), "u_%s", rnd);
    row->role = in->role;
    row->stores = in->stores;
    row->created_at = row->updated_at = now;
    enum kt_rc rc = users_email_tag(k, in->email, a, row->email_tag, &out->email, err);
    if (rc == KT_OK) {
        rc = role_check(out, err);
    }
    if (rc == KT_OK) {
        rc = password_hash(in->password != NULL ? in->password : "", a, &row->pw_hash, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    row->email_sealed = seal_make(k, seal_ctx("email", row->id, a), out->email, a);
    return store_user_insert(w, row, err);
}

enum kt_rc users_open(const struct key_secret *k, const struct user_row *row, struct arena *a,
                      struct user *out, struct kt_err *err)
{
    out->row = *row;
    out->role = role_find(row->role);
    if (row->email_sealed == NULL ||
        !seal_open(k, seal_ctx("email", row->id, a), row->email_sealed, a, &out->email) ||
        out->role == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "a user's e-mail does not open: the secret file is not this "
                          "database's");
    }
    return KT_OK;
}

enum kt_rc users_get(struct store_conn *c, const struct key_secret *k, const char *id,
                     struct arena *a, struct user *out, bool *found, struct kt_err *err)
{
    struct user_row row;
    enum kt_rc rc = store_user_get(c, id, a, &row, found, err);
    if (rc != KT_OK || (found != NULL && !*found)) {
        return rc;
    }
    return users_open(k, &row, a, out, err);
}

enum kt_rc users_find(struct store_conn *c, const struct key_secret *k, const char *email,
                      struct arena *a, struct user *out, bool *found, struct kt_err *err)
{
    unsigned char tag[32];
    const char *display;
    struct kt_err ignored;
    *found = false;
    if (users_email_tag(k, email, a, tag, &display, &ignored) != KT_OK) {
        return KT_OK;
    }
    struct user_row row;
    enum kt_rc rc = store_user_by_tag(c, tag, a, &row, found, err);
    if (rc != KT_OK || !*found) {
        return rc;
    }
    return users_open(k, &row, a, out, err);
}

enum kt_rc users_list(struct store_conn *c, const struct key_secret *k, struct arena *a,
                      struct user **out, size_t *n, struct kt_err *err)
{
    struct user_row *rows;
    enum kt_rc rc = store_user_list(c, a, &rows, n, err);
    *out = rc == KT_OK ? arena_alloc(a, (*n + 1) * sizeof(**out)) : NULL;
    for (size_t i = 0; rc == KT_OK && i < *n; i++) {
        rc = users_open(k, &rows[i], a, &(*out)[i], err);
    }
    return rc;
}

enum kt_rc users_change(struct store_conn *w, const struct key_secret *k, const char *id,
                        const struct user_change *ch, int64_t now, struct arena *a,
                        struct user *out, struct kt_err *err)
{
    enum kt_rc rc = users_get(w, k, id, a, out, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct user_row *row = &out->row;
    bool ends = false;
    if (ch->role != NULL && strcmp(ch->role, row->role) != 0) {
        row->role = ch->role;
        ends = true;
    }
    if (ch->stores_set) {
        ends = ends || (ch->stores == NULL) != (row->stores == NULL) ||
               (ch->stores != NULL && strcmp(ch->stores, row->stores) != 0);
        row->stores = ch->stores;
    }
    if (ch->disabled == 1 && row->disabled_at == 0) {
        row->disabled_at = now;
        ends = true;
    } else if (ch->disabled == 0) {
        row->disabled_at = 0;
    }
    rc = role_check(out, err);
    if (rc == KT_OK && ch->password != NULL) {
        rc = password_hash(ch->password, a, &row->pw_hash, err);
        row->failed = 0;
        ends = true;
    }
    if (ch->totp_clear && row->totp_sealed != NULL) {
        row->totp_sealed = NULL;
        row->totp_on = false;
        ends = true;
    }
    row->updated_at = now;
    if (rc == KT_OK) {
        rc = store_user_update(w, row, err);
    }
    if (rc == KT_OK && ends) {
        rc = store_session_end_user(w, row->id, err);
    }
    return rc;
}

static enum kt_rc totp_state(struct kt_err *err, const char *msg)
{
    return kt_err_set(err, KT_ECONFLICT, "totp_state", NULL, "%s", msg);
}

enum kt_rc users_totp_setup(struct store_conn *w, const struct key_secret *k, const char *id,
                            int64_t now, struct arena *a, const char **secret, const char **uri,
                            struct kt_err *err)
{
    struct user u;
    enum kt_rc rc = users_get(w, k, id, a, &u, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (u.row.totp_on) {
        return totp_state(err, "TOTP is on already; an administrator's 'kartoteka users reset "
                               "--totp' clears it");
    }
    char *s = arena_alloc(a, TOTP_SECRET_CHARS + 1);
    totp_secret_new(s);
    u.row.totp_sealed = seal_make(k, seal_ctx("totp", id, a), s, a);
    u.row.totp_step = 0;
    u.row.updated_at = now;
    *secret = s;
    *uri = totp_uri(s, u.email, a);
    return store_user_update(w, &u.row, err);
}

enum kt_rc users_totp_prove(struct store_conn *w, const struct key_secret *k, const char *id,
                            const char *code, bool enable, int64_t now, struct arena *a,
                            struct user *out, struct kt_err *err)
{
    enum kt_rc rc = users_get(w, k, id, a, out, NULL, err);
    if (rc != KT_OK) {
        return rc;
    }
    struct user_row *row = &out->row;
    const char *secret = NULL;
    if (row->totp_sealed == NULL || row->totp_on != !enable) {
        return totp_state(err, enable ? "no TOTP secret waits to be enabled: set one up first"
                                      : "the session needs no TOTP code");
    }
    if (!seal_open(k, seal_ctx("totp", id, a), row->totp_sealed, a, &secret)) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                          "a user's TOTP secret does not open: the secret file is not this "
                          "database's");
    }
    int64_t step = 0;
    if (!totp_check(secret, code, now, row->totp_step, &step)) {
        return enable ? kt_err_set(err, KT_EINVAL, "code_wrong", "code",
                                   "the code is not the authenticator's code of now")
                      : kt_err_set(err, KT_EAUTH, "wrong_code", "code",
                                   "the code is wrong, or was used already");
    }
    row->totp_step = step;
    row->totp_on = true;
    row->failed = 0;
    row->updated_at = now;
    return store_user_update(w, row, err);
}

const char *users_audit_detail(const char *verb, const struct user *u, struct arena *a)
{
    return arena_printf(a, "%s %s role %s%s%s%s", verb, u->row.id, u->row.role,
                        u->row.stores != NULL ? " stores " : "",
                        u->row.stores != NULL ? u->row.stores : "",
                        u->row.disabled_at != 0 ? " disabled" : "");
}
