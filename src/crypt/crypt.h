/*
 * crypt.h - encryption at rest (issue 19, part A): the master key, per-customer data keys, sealed
 * values and blind indexes. libsodium only; no I/O beyond loading a key file. The store seals
 * what it writes and opens what it reads with these (docs/privacy.md, "Encryption at rest"); no
 * domain module holds a sealed value or a data key.
 *
 *   - The master key (32 bytes) comes from a file or the environment, never the database. It
 *     wraps the data keys: XChaCha20-Poly1305, associated data the customer key and the master
 *     key's id, so a wrapped key moved to another customer or master does not open.
 *   - A data key (32 random bytes) per customer (`ck`; 0 = the installation's own, for personal
 *     data that belongs to no customer). Values are sealed under it with ChaCha20-Poly1305 (IETF)
 *     and a random nonce, associated data the `ck` and the column: a value copied to another
 *     column or customer does not open.
 *   - Blind indexes: keyed BLAKE2b-128 of a domain (an identifier's kind) and a standard form,
 *     under a key derived from the installation secret (crypto_kdf), so lookups and uniqueness
 *     work on values nobody can read; rotating the master key does not reindex.
 *   - Opened data keys are kept in a bounded cache (guarded memory, mlocked where the system
 *     allows); every copy of key material is wiped with sodium_memzero.
 *
 * A struct crypt is shared by every thread of the process: its keys are immutable after
 * crypt_new() (crypt_set_next() is for the single-threaded rotation verb), its cache guarded by
 * its own mutex.
 */
#ifndef KT_CRYPT_CRYPT_H
#define KT_CRYPT_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CRYPT_KEY_BYTES     32
#define CRYPT_ID_BYTES      16             /* a master key's id */
#define CRYPT_WRAP_BYTES    (24 + 32 + 16) /* nonce, data key, tag */
#define CRYPT_SEAL_OVERHEAD (1 + 12 + 16)  /* format byte, nonce, tag */
#define CRYPT_BIDX_BYTES    16    /* 128 bits: no two of a billion values collide in practice */
#define CRYPT_CACHE_DEFAULT 65536 /* opened data keys kept unless fitted or given: 2.5 MiB */

/* Where a 32-byte key comes from, and the words its errors use. */
struct crypt_key_src {
    const char *env_hex;   /* 64 hex digits from the environment, or NULL: wins over the file */
    const char *env_name;  /* its variable's name, for messages ("KARTOTEKA_MASTER_KEY") */
    const char *path;      /* the file: 64 hex digits, mode 0600 */
    const char *file_word; /* "secret file", "master key file" */
    const char *code_file; /* error code for the file ("secret_file") */
    const char *code_env;  /* error code for a bad environment value ("bad_secret") */
    bool create;           /* make the file (O_EXCL, 0600) with a new key when it is missing */
};

/* Loads a key as `src` says. `created` says whether a new file was made. A missing file that
 * may not be created is an error naming the file and the variables. */
enum kt_rc crypt_key_load(const struct crypt_key_src *src, unsigned char key[CRYPT_KEY_BYTES],
                          bool *created, struct kt_err *err);

struct crypt;

struct crypt_opts {
    const unsigned char *master; /* CRYPT_KEY_BYTES: wraps data keys */
    const unsigned char *secret; /* CRYPT_KEY_BYTES: the installation secret (blind indexes) */
    size_t cache_keys;           /* opened data keys kept; 0 = CRYPT_CACHE_DEFAULT, grown by
                                    crypt_cache_fit */
};

/* Copies the keys into guarded memory (the caller wipes its own copies). */
struct crypt *crypt_new(const struct crypt_opts *o);
void crypt_free(struct crypt *c); /* wipes every key; NULL is a no-op */

/* The master key's id (a keyed hash of nothing secret: it names the key, reveals nothing). */
void crypt_master_id(const struct crypt *c, unsigned char id[CRYPT_ID_BYTES]);

/* Rotation: a second master key. Afterwards crypt_dk_wrap(..., next = true) wraps under it and
 * crypt_dk_unwrap opens keys wrapped under either. */
void crypt_set_next(struct crypt *c, const unsigned char next[CRYPT_KEY_BYTES]);
void crypt_next_id(const struct crypt *c, unsigned char id[CRYPT_ID_BYTES]);
bool crypt_has_next(const struct crypt *c);

/* ---- data keys ------------------------------------------------------------------------------ */

void crypt_dk_make(unsigned char dk[CRYPT_KEY_BYTES]);
/* Wraps customer ck's data key under the master key (the next one when `next`); `id` gets the
 * id of the key it was wrapped under. */
void crypt_dk_wrap(const struct crypt *c, bool next, int64_t ck,
                   const unsigned char dk[CRYPT_KEY_BYTES], unsigned char out[CRYPT_WRAP_BYTES],
                   unsigned char id[CRYPT_ID_BYTES]);
/* Unwraps a key wrapped under the master key of id `id` (the current one, or the next one).
 * KT_ESTORE "master_key_mismatch" when neither is that key, "data_key_corrupt" when the key does
 * not open (another customer's, or damaged). */
enum kt_rc crypt_dk_unwrap(const struct crypt *c, int64_t ck, const unsigned char *id,
                           const unsigned char *wrapped, size_t n,
                           unsigned char dk[CRYPT_KEY_BYTES], struct kt_err *err);

/* The cache of opened data keys: `get` copies the key out (true when it was there), `put`
 * keeps one (evicting another when full), `drop` forgets one (an erasure). */
bool crypt_cache_get(struct crypt *c, int64_t ck, unsigned char dk[CRYPT_KEY_BYTES]);
void crypt_cache_put(struct crypt *c, int64_t ck, const unsigned char dk[CRYPT_KEY_BYTES]);
void crypt_cache_drop(struct crypt *c, int64_t ck);
size_t crypt_cache_capacity(const struct crypt *c); /* keys it can hold */
/* Grows the cache to hold `keys` at half its capacity (few keys then compete for a set), unless
 * its size was given; never shrinks. Only before the keyring is shared by threads. */
void crypt_cache_fit(struct crypt *c, size_t keys);

/* ---- values --------------------------------------------------------------------------------- */

/* Seals n bytes for customer ck's `column` into out (n + CRYPT_SEAL_OVERHEAD bytes). */
void crypt_seal(const unsigned char dk[CRYPT_KEY_BYTES], int64_t ck, const char *column,
                const void *plain, size_t n, unsigned char *out);
/* Opens a sealed value into out (room for n - CRYPT_SEAL_OVERHEAD bytes); *out_n its length.
 * False when it does not open: another key, customer or column, or damage. */
bool crypt_open(const unsigned char dk[CRYPT_KEY_BYTES], int64_t ck, const char *column,
                const unsigned char *sealed, size_t n, unsigned char *out, size_t *out_n);

/* ---- blind indexes -------------------------------------------------------------------------- */

/* The index of value (n bytes) in `domain` (an identifier's kind, "name_key"). */
void crypt_bidx(const struct crypt *c, const char *domain, const char *value, size_t n,
                unsigned char out[CRYPT_BIDX_BYTES]);
/* A check value of the index key (hex, 64 digits and NUL), kept in the database so that an
 * installation secret that does not fit its indexes is refused at open. */
void crypt_bidx_check(const struct crypt *c, char hex[2 * CRYPT_BIDX_BYTES + 1]);

#endif
