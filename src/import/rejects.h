/*
 * rejects.h - what makes the reject file of a server import erasable and perishable
 * (docs/import.md, docs/privacy.md).
 *
 * A reject line holds a raw row of somebody's data. Beside it the store keeps the keyed hashes
 * (suppress_hash, the suppression list's) of every phone, e-mail and card found in it, so that an
 * erasure, which hashes the person's identifiers to suppress them, removes the lines that carry
 * them too. The lines expire after a term as well (--import-rejects-days): a row refused for
 * want of any identifier cannot be tied to a person, and nobody needs a reject file for long.
 */
#ifndef KT_IMPORT_REJECTS_H
#define KT_IMPORT_REJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "identity/identity.h"
#include "store/store.h"

#define IMPORT_REJECTS_DAYS 30 /* the default term */

/*
 * The keyed hashes of the identifiers a reject row carries, without repeats, in `a`:
 *  - those of its decoded request `req` (may be NULL), as suppress_check() hashes them;
 *  - each cell of a column mapped to a phone, an e-mail or a card (`kinds[i]`, for the first
 *    `n_kinds` cells, is "phone", "email", "card" or NULL), cleaned as that kind, so a row
 *    refused before decoding counts;
 *  - every phone-like run of digits (10-15 digits, with the usual separators) and every
 *    e-mail-like token (around an "@") in any cell, and each run of 8-32 digits as a card
 *    number: a value too broken to be used, or one in a comment column, still names a person.
 */
void import_reject_keys(const struct key_secret *k, const struct upsert_req *req,
                        const char *const *cells, size_t n, const char *const *kinds,
                        size_t n_kinds, struct arena *a, unsigned char (**out)[32], size_t *n_out);

/* Due work: removes the reject lines refused more than `days` days before `now`, in short
 * transactions. `removed` counts the rows (headers aside). */
enum kt_rc import_rejects_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                                 struct kt_err *err);

#endif
