/*
 * view.c - what a customer's pass shows (docs/wallet.md, "What a pass shows"), its stored row,
 * and its authenticationToken.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "identity/identity.h"
#include "loyalty/ledger.h"
#include "wallet/wallet.h"

static const char *hex(const unsigned char *p, size_t n, struct arena *a)
{
    char *s = arena_alloc(a, 2 * n + 1);
    sodium_bin2hex(s, 2 * n + 1, p, n);
    return s;
}

/* A serial's token, in hex, into `out`. */
static void token_hex(const struct key_secret *k, const char *serial,
                      char out[WALLET_TOKEN_HEX + 1])
{
    unsigned char tag[32];
    keys_tag(k, "wallet-auth:", serial, tag);
    sodium_bin2hex(out, WALLET_TOKEN_HEX + 1, tag, sizeof(tag));
}

const char *wallet_token(const struct key_secret *k, const char *serial, struct arena *a)
{
    char *t = arena_alloc(a, WALLET_TOKEN_HEX + 1);
    token_hex(k, serial, t);
    return t;
}

bool wallet_token_ok(const struct key_secret *k, const char *serial, const char *header)
{
    static const char scheme[] = "ApplePass ";
    if (header == NULL || strncmp(header, scheme, sizeof(scheme) - 1) != 0 ||
        strlen(header + sizeof(scheme) - 1) != WALLET_TOKEN_HEX) {
        return false;
    }
    char want[WALLET_TOKEN_HEX + 1];
    token_hex(k, serial, want);
    return sodium_memcmp(want, header + sizeof(scheme) - 1, WALLET_TOKEN_HEX) == 0;
}

/* The ledger's last entry, and when the balance changes next without a new entry: a hold ends
 * or a lot expires. */
static void ledger_marks(const struct ledger_entry *e, size_t n, int64_t now,
                         const struct points_balance *b, int64_t *seq, int64_t *next)
{
    *seq = 0;
    *next = b->next_expiry_at > now ? b->next_expiry_at : 0;
    for (size_t i = 0; i < n; i++) {
        *seq = e[i].seq > *seq ? e[i].seq : *seq;
        if (e[i].points > 0 && e[i].available_at > now &&
            (*next == 0 || e[i].available_at < *next)) {
            *next = e[i].available_at;
        }
    }
}

/* The customer a pass shows: its own, or the survivor of a merge (her cards and points went
 * there); *found false for one erased. */
static enum kt_rc holder(struct store_conn *c, int64_t ck, struct arena *a, struct customer *cu,
                         bool *found, struct kt_err *err)
{
    enum kt_rc rc = store_customer_get(c, ck, a, cu, found, err);
    if (rc == KT_OK && *found && cu->merged_into != 0) {
        rc = store_customer_get(c, cu->merged_into, a, cu, found, err);
    }
    *found = *found && cu->erased_at == 0;
    return rc;
}

enum kt_rc wallet_view_read(struct store_conn *c, const struct key_secret *k,
                            const struct wallet_pass *p, int64_t now, struct arena *a,
                            struct wallet_view *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    out->pass = *p;
    struct customer cu;
    struct card *cards;
    struct ledger_entry *e;
    size_t nc = 0, ne = 0;
    bool found = false;
    if (holder(c, p->ck, a, &cu, &found, err) != KT_OK ||
        (found && store_ledger_list(c, cu.ck, a, &e, &ne, err) != KT_OK)) {
        return err->rc;
    }
    if (found) { /* the marks first: a pass that shows nothing now is still looked at once */
        struct points_balance b;
        loyalty_balance(e, ne, now, &b);
        out->available = b.available;
        out->pending = b.pending;
        ledger_marks(e, ne, now, &b, &out->ledger_seq, &out->next_change_at);
        if (ident_unblocked(c, &cu, "customer_id", NULL, err) != KT_OK ||
            store_card_list(c, cu.ck, a, &cards, &nc, err) != KT_OK) {
            return err->rc;
        }
    }
    for (size_t i = 0; i < nc && out->card == NULL; i++) {
        if (strcmp(cards[i].state, "active") == 0) {
            out->card = arena_strdup(a, cards[i].number);
        }
    }
    if (out->card == NULL) {
        return kt_err_set(err, KT_ECONFLICT, "no_card", "customer_id",
                          "a wallet card shows a loyalty card: the customer has no active one");
    }
    const char *shown = arena_printf(a, "%s|%lld|%lld", out->card, (long long)out->available,
                                     (long long)out->pending);
    unsigned char tag[32];
    keys_tag(k, "wallet-content:", shown, tag);
    out->content = hex(tag, 16, a);
    out->token = wallet_token(k, p->serial, a);
    return KT_OK;
}

enum kt_rc wallet_view_of(struct store_conn *w, const struct key_secret *k, int64_t ck, int64_t now,
                          struct arena *a, struct wallet_view *out, struct kt_err *err)
{
    struct wallet_pass p;
    bool found = false;
    if (store_wallet_pass_of(w, ck, a, &p, &found, err) != KT_OK) {
        return err->rc;
    }
    if (found) {
        return wallet_view_read(w, k, &p, now, a, out, err);
    }
    char serial[ID_MAX];
    id_new(serial, sizeof(serial), "wp_");
    p = (struct wallet_pass){.serial = arena_strdup(a, serial),
                             .ck = ck,
                             .created_at = now,
                             .updated_at = now,
                             .content = ""};
    if (wallet_view_read(w, k, &p, now, a, out, err) != KT_OK) {
        return err->rc;
    }
    p.content = out->content;
    p.ledger_seq = out->ledger_seq;
    p.next_change_at = out->next_change_at;
    out->pass = p;
    return store_wallet_pass_put(w, &p, err);
}
