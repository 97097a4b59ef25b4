/*
 * wallet_cmd.c - `kartoteka wallet`: a test kit to try the wallet cards with, and a customer's
 * pass and Google link from the command line (wallet/wallet.h, docs/wallet.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "wallet/wallet.h"

static const char wallet_help[] =
    "usage: kartoteka wallet test-kit DIR\n"
    "       kartoteka wallet pass CUSTOMER_ID --wallet FILE [--out FILE] [--db DB]\n"
    "\n"
    "Wallet cards (docs/wallet.md): the loyalty card as an Apple Wallet pass and a Google\n"
    "Wallet save link.\n"
    "\n"
    "  test-kit DIR   makes the new folder DIR with a configuration to try the wallet out:\n"
    "                 a stand-in for Apple's WWDR CA, a pass certificate it signs, a Google\n"
    "                 service account's key and DIR/wallet.json for serve --wallet. Phones\n"
    "                 and Google refuse what it signs: production needs the retailer's Pass\n"
    "                 Type ID certificate and Google service account\n"
    "  pass ID        writes customer ID's .pkpass (made on first use, as the API's\n"
    "                 GET /v1/customers/{id}/wallet does) and prints her Google Wallet link;\n"
    "                 the read is in the audit log\n"
    "  --wallet FILE  the wallet's configuration (KARTOTEKA_WALLET)\n"
    "  --out FILE     where the pass goes (default: ID.pkpass)\n"
    "  --db DB        the database (KARTOTEKA_DB, else ./data/kartoteka.db)\n";

static int usage(const char *msg)
{
    return cli_usage("wallet", msg);
}

static int test_kit(const char *dir)
{
    struct kt_err err;
    kt_err_reset(&err);
    if (wallet_test_kit(dir, &err) != KT_OK) {
        cli_print_error("the test kit could not be made", &err);
        return 1;
    }
    printf("wallet test-kit: %s/wallet.json - for trying out only: phones and Google refuse "
           "what it signs\n",
           dir);
    return 0;
}

/* Her pass made or read, in one write transaction with its entry in the audit log. */
static enum kt_rc view_of(struct store *s, const struct key_secret *k, const char *id, int64_t now,
                          struct arena *a, struct wallet_view *v, const char **base,
                          struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    struct privacy_settings ps;
    bool found = false;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_customer_get_by_id(w, id, a, &cu, &found, err);
    if (rc == KT_OK && (!found || cu.merged_into != 0 || cu.erased_at != 0)) {
        rc = kt_err_set(err, KT_ENOTFOUND, "customer_not_found", "id",
                        "no live customer has this id");
    }
    rc = rc == KT_OK ? wallet_view_of(w, k, cu.ck, now, a, v, err) : rc;
    rc = rc == KT_OK ? privacy_settings_get(w, a, &ps, err) : rc;
    rc = rc == KT_OK ? audit_write(w, NULL, "read", cu.id, "cards,points",
                                   "wallet pass (kartoteka wallet pass)", NULL, now, err)
                     : rc;
    *base = rc == KT_OK && ps.public_url != NULL && ps.public_url[0] ? ps.public_url : NULL;
    return store_write_end(w, rc, err);
}

static int pass(const char *db, const char *file, const char *id, const char *out)
{
    struct kt_err err;
    kt_err_reset(&err);
    struct wallet *wl = NULL;
    if (cli_wallet_load("wallet", file, &wl) != 0) {
        return 2;
    }
    struct store *s = cli_open_store(db);
    struct key_secret k;
    if (s == NULL || cli_load_secret(s, db, &k) != 0) {
        store_close(s);
        wallet_free(wl);
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct wallet_view v;
    const char *base = NULL, *link = NULL;
    const void *zip = NULL;
    size_t len = 0;
    int64_t now = clock_now_ms();
    enum kt_rc rc = view_of(s, &k, id, now, &a, &v, &base, &err);
    if (rc == KT_OK && wallet_has_apple(wl)) {
        rc = wallet_pkpass(wl, &v, base ? arena_printf(&a, "%s/wallet", base) : NULL, &a, &zip,
                           &len, &err);
    }
    if (rc == KT_OK && wallet_has_google(wl)) {
        rc = wallet_google_link(wl, &v, base, now, &a, &link, &err);
    }
    int code = 0;
    if (rc != KT_OK) {
        cli_print_error("no pass", &err);
        code = 1;
    } else if (zip != NULL) {
        const char *path = out ? out : arena_printf(&a, "%s.pkpass", id);
        FILE *f = fopen(path, "wb");
        bool ok = f != NULL && fwrite(zip, 1, len, f) == len;
        ok = f != NULL && fclose(f) == 0 && ok;
        if (!ok) {
            fprintf(stderr, "kartoteka wallet: %s cannot be written\n", path);
            remove(path);
            code = 1;
        } else {
            printf("wallet pass: %s (serial %s, %zu bytes)\n", path, v.pass.serial, len);
        }
    }
    if (code == 0 && link != NULL) {
        printf("google: %s\n", link);
    }
    arena_release(&a);
    store_close(s);
    audit_shutdown();
    wallet_free(wl);
    return code;
}

int cli_wallet(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"wallet", required_argument, NULL, 'w'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *file = getenv("KARTOTEKA_WALLET"), *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'w') {
            file = optarg;
        } else if (c == 'o') {
            out = optarg;
        } else if (c == 'h') {
            fputs(wallet_help, stdout);
            return 0;
        } else {
            return usage("unknown or incomplete option");
        }
    }
    if (argc - optind != 2) {
        return usage("takes test-kit DIR or pass CUSTOMER_ID");
    }
    const char *what = argv[optind], *arg = argv[optind + 1];
    log_set_level(LOG_WARN);
    if (strcmp(what, "test-kit") == 0) {
        return test_kit(arg);
    }
    if (strcmp(what, "pass") != 0) {
        return usage("takes test-kit DIR or pass CUSTOMER_ID");
    }
    if (file == NULL || file[0] == '\0') {
        return usage("pass needs --wallet FILE (or KARTOTEKA_WALLET)");
    }
    return pass(db, file, arg, out);
}
