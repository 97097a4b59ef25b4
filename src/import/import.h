/*
 * import.h - bulk import of customers from CSV, for `kartoteka import customers FILE` and the
 * background jobs of POST /v1/imports.
 *
 * Every row goes through exactly what POST /v1/customers does - ident_decode() (lenient: a bad
 * value is refused on its own and kept in the history, instead of refusing the row) and
 * ident_upsert() - in transactions of `batch` rows. Every row gets a result; rows refused as a
 * whole and rows stored without some values go to the reject file with the reason per field, so
 * nothing is lost. Importing the same file again changes nothing. Design: docs/import.md.
 */
#ifndef KT_IMPORT_IMPORT_H
#define KT_IMPORT_IMPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "auth/keys.h"
#include "identity/identity.h"
#include "store/store.h"

struct import_opts {
    const char *map;      /* "Телефон=phone,ФИО=full_name", or NULL to read the header */
    char delimiter;       /* 0 = detect */
    const char *encoding; /* NULL = detect; "utf-8", "utf-16", "windows-1251" */
    struct ident_source src; /* where the data comes from; channel "import" when NULL */
    int batch;               /* rows per transaction; 0 = 2000 */
    /* Consent (docs/privacy.md): a row is stored with the consent its `paper_form` column proves
     * (to `consent_document`, the row's or this one), or under the file-level `legal_basis`;
     * else it is rejected under the strict policy or stored as consent_pending. */
    const char *legal_basis;         /* or NULL */
    const char *consent_document;    /* "key@version" for rows without their own, or NULL */
    const struct key_secret *secret; /* keys the suppression list; required */
    /* A server job's id: its reject lines are stored under it, each with the keyed hashes of
     * the identifiers it carries (import/rejects.h), in the transaction of the rows they
     * describe. NULL for the CLI, whose reject file is the operator's. */
    const char *reject_import_id;
    atomic_bool *stop; /* checked between batches; may be NULL */
};

struct import_stats {
    int64_t bytes_total, bytes_done;
    int64_t rows;         /* data rows read */
    int64_t created;      /* new customers */
    int64_t updated;      /* rows that changed an existing customer */
    int64_t unchanged;    /* rows that changed nothing */
    int64_t partial;      /* stored without some refused values */
    int64_t rejected;     /* refused as a whole */
    int64_t suppressed;   /* of those, data of an erased customer (on the suppression list) */
    const char *encoding; /* as found; static */
    char delimiter;
    char mapping[512]; /* "Телефон=phone, ФИО=full_name" as used */
    char ignored[256]; /* header names no target was found for */
};

typedef void (*import_progress_fn)(void *arg, const struct import_stats *st);

/*
 * Imports `len` bytes of CSV. The reject file (UTF-8 CSV with a BOM, the original columns plus
 * _row, _status and _reasons) is appended to `rejects` (may be NULL) and, with
 * o->reject_import_id, stored line by line. `progress` is called after
 * each committed batch. Returns an error only when the whole import failed (unreadable file, no
 * identifier column, a store failure); the batches committed before a failure stay.
 */
enum kt_rc import_run(struct store *s, const char *data, size_t len, const struct import_opts *o,
                      struct buf *rejects, struct import_stats *st, import_progress_fn progress,
                      void *arg, struct kt_err *err);

#endif
