/*
 * block_cmd.c - `kartoteka privacy block|unblock|extend`: blocking a customer's data while a
 * dispute is checked and lifting the block (152-FZ art. 21), and extending a request's deadline
 * with its reasoned notice - the DPO's verbs of POST /v1/customers/{id}/block, .../unblock and
 * POST /v1/privacy-requests/{id}/extend, calling the same functions (privacy/block.c,
 * consent/requests.c). The options are parsed by privacy_cmd.c; each change is written to the
 * audit log without an API key.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

static int fail(const char *what, const struct kt_err *err)
{
    fprintf(stderr, "kartoteka privacy %s: %s%s%s\n", what, err->msg, err->detail[0] ? " - " : "",
            err->detail);
    return 1;
}

/* The audit entries are chained with a key derived from the installation secret. */
static int load_secret(struct store *s, const char *db)
{
    struct key_secret k;
    int rc = cli_load_secret(s, db, &k);
    sodium_memzero(&k, sizeof(k));
    return rc;
}

static void print_block(const char *what, const struct customer_block *b)
{
    printf("%s %s: block %s (%s, request %s)%s%s\n", what, b->customer_id, b->id, b->reason,
           b->privacy_request_id, b->outcome ? ", outcome " : "", b->outcome ? b->outcome : "");
}

int cli_privacy_block(struct store *s, const char *db, const char *customer_id, bool unblock,
                      const char *reason_or_outcome, const char *request, const char *note)
{
    if (load_secret(s, db) != 0) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct block_opts o = {unblock ? NULL : reason_or_outcome, request, note, NULL, NULL};
    struct customer_block b;
    enum kt_rc rc = unblock
                        ? privacy_unblock_customer(s, customer_id, reason_or_outcome, &o,
                                                   clock_now_ms(), &a, &b, &err)
                        : privacy_block_customer(s, customer_id, &o, clock_now_ms(), &a, &b, &err);
    int code = rc == KT_OK ? 0 : fail(unblock ? "unblock" : "block", &err);
    if (rc == KT_OK) {
        print_block(unblock ? "unblocked" : "blocked", &b);
    }
    arena_release(&a);
    return code;
}

int cli_privacy_extend(struct store *s, const char *db, const char *request_id, const char *reason)
{
    if (load_secret(s, db) != 0) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err;
    kt_err_reset(&err);
    struct store_conn *w;
    struct privacy_request p;
    enum kt_rc rc = store_write_begin(s, &w, &err);
    if (rc == KT_OK) {
        rc =
            privacy_request_extend(w, request_id, reason, NULL, NULL, clock_now_ms(), &a, &p, &err);
        rc = store_write_end(w, rc, &err);
    }
    int code = rc == KT_OK ? 0 : fail("extend", &err);
    if (rc == KT_OK) {
        printf("extended %s: due on %s%s\n", p.id, p.deadline,
               p.provisional ? " (provisional deadline)" : "");
    }
    arena_release(&a);
    return code;
}
