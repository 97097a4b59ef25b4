/*
 * wallet.h - the loyalty card in the customer's phone (docs/wallet.md): an Apple Wallet pass
 * (.pkpass, signed with the retailer's pass certificate), a Google Wallet save link (a JWT signed
 * with the retailer's service-account key), and the refresh that pushes a pass's devices when
 * what it shows changes. The configuration is the operator's file (`serve --wallet FILE`),
 * loaded and checked once at start.
 */
#ifndef KT_WALLET_WALLET_H
#define KT_WALLET_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "auth/links.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define WALLET_LINK_TTL_MS LINKS_W_TTL_MS /* a wallet link lives 90 days (auth/links.h) */
#define WALLET_TOKEN_HEX   64             /* a pass's authenticationToken */

struct wallet; /* the loaded configuration: keys, certificates, images */

/* Loads and checks the configuration file at `path` (docs/wallet.md): KT_EINVAL naming the
 * field (`wallet.apple.certificate` ...) for anything missing, unreadable or not what it must
 * be. */
enum kt_rc wallet_load(const char *path, struct wallet **out, struct kt_err *err);
void wallet_free(struct wallet *w);

bool wallet_has_apple(const struct wallet *w);
bool wallet_has_google(const struct wallet *w);
/* The Apple pass type identifier, or NULL without the Apple part. */
const char *wallet_pass_type(const struct wallet *w);

/* What a customer's pass shows now, and its stored row. */
struct wallet_view {
    struct wallet_pass pass; /* serial, times, content as stored */
    const char *card;        /* the number of her first active card */
    int64_t available, pending;
    const char *content;    /* a hash of what it shows now */
    int64_t ledger_seq;     /* her last ledger entry */
    int64_t next_change_at; /* ms: a hold ends or points expire; 0: nothing due */
    const char *token;      /* the pass's authenticationToken */
};

/* Customer `ck`'s pass as it shows at `now`, in the write transaction `w`; the pass is made
 * (its row written) the first time. A merged-away customer's pass shows the survivor's card and
 * points. KT_ECONFLICT no_card when she has no active card (or was erased), KT_ELOCKED
 * customer_blocked while her data are blocked; `ledger_seq` and `next_change_at` are set
 * before either. */
enum kt_rc wallet_view_of(struct store_conn *w, const struct key_secret *k, int64_t ck, int64_t now,
                          struct arena *a, struct wallet_view *out, struct kt_err *err);
/* The same for a read: no row is made (*found false when she has no pass yet). */
enum kt_rc wallet_view_read(struct store_conn *c, const struct key_secret *k,
                            const struct wallet_pass *p, int64_t now, struct arena *a,
                            struct wallet_view *out, struct kt_err *err);

/* A pass's authenticationToken: a keyed hash of its serial, so none is stored. */
const char *wallet_token(const struct key_secret *k, const char *serial, struct arena *a);
/* Whether `header` (the Authorization header, or NULL) is "ApplePass <serial's token>". */
bool wallet_token_ok(const struct key_secret *k, const char *serial, const char *header);

/* The .pkpass of `v` (a zip in `a`). `web_service` is public_url + "/wallet", or NULL: the pass
 * is then never updated. KT_EINVAL wallet_off without the Apple part. */
enum kt_rc wallet_pkpass(const struct wallet *w, const struct wallet_view *v,
                         const char *web_service, struct arena *a, const void **out, size_t *len,
                         struct kt_err *err);

/* The Google Wallet save link of `v` at `now`: "https://pay.google.com/gp/v/save/<JWT>".
 * `origin` (public_url, or NULL) goes in the JWT's origins. KT_EINVAL wallet_off without the
 * Google part. */
enum kt_rc wallet_google_link(const struct wallet *w, const struct wallet_view *v,
                              const char *origin, int64_t now, struct arena *a, const char **out,
                              struct kt_err *err);

/* A configuration for trying Kartoteka out in the new folder `dir` (kit.c): a stand-in CA for
 * Apple's WWDR, a pass certificate, a Google service account's key and wallet.json. Phones and
 * Google refuse what it signs. KT_EINVAL wallet_config when `dir` exists. */
enum kt_rc wallet_test_kit(const char *dir, struct kt_err *err);

/* The scheduler's job (sched/jobs.c, `wallet_refresh`): each pass with a device whose ledger
 * moved or whose hold or expiry came is looked at again; when what it shows changed, its
 * updated_at moves and each of its devices is pushed through APNs (a 410 drops the device).
 * n[0] passes changed, n[1] pushes sent. Nothing to do without the Apple part. */
enum kt_rc wallet_refresh_due(struct store *s, const struct wallet *w, const struct key_secret *k,
                              int64_t now, int64_t n[2], struct kt_err *err);

#endif
