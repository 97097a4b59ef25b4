/*
 * crypt.c - the keyring (crypt.h): key files, data keys, sealed values, blind indexes and the
 * cache of opened data keys.
 *
 * Not here: where wrapped keys are kept (the store's key store, store/sqlite/keystore.c) and
 * which columns are sealed (the store). Invariants: key material lives in sodium_malloc'd memory
 * or on the stack for the length of one call, and is wiped before it goes; a sealed value's
 * associated data names its customer and column; every nonce is random (192 bits, so random
 * nonces never repeat in practice). Values are sealed with ChaCha20-Poly1305 (IETF) and a random
 * 96-bit nonce, data keys wrapped with XChaCha20-Poly1305 and a 192-bit one: a data key seals the
 * values of one customer - a few per write, never near the 2^32 messages after which random
 * 96-bit nonces would risk a repeat - and the IETF construction skips XChaCha's HChaCha20, half
 * the cost of opening a short value (0.34 against 0.64 us here), which a lookup pays ten times;
 * the master key wraps millions of keys over years, where the longer nonce is the safe choice.
 */
#include "crypt/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_FORMAT 2  /* the first byte of a sealed value: ChaCha20-Poly1305 (IETF) */
#define SEAL_NONCE  12 /* random: a data key seals one customer's values, never near 2^32 */
#define CACHE_WAYS  8

struct cache_slot {
    uint64_t tag; /* ck + 1; 0 = empty */
    unsigned char key[CRYPT_KEY_BYTES];
};

struct crypt {
    unsigned char master[CRYPT_KEY_BYTES];
    unsigned char master_id[CRYPT_ID_BYTES];
    unsigned char next[CRYPT_KEY_BYTES]; /* rotation's new master key */
    unsigned char next_id[CRYPT_ID_BYTES];
    bool has_next;
    unsigned char index[CRYPT_KEY_BYTES]; /* blind indexes */
    crypto_generichash_state index_st;    /* BLAKE2b keyed with `index`, before any input: a
                                             copy saves hashing the key block at each index */
    pthread_mutex_t mu;                   /* guards the cache */
    struct cache_slot *slots;             /* sodium_malloc'd: sets of CACHE_WAYS */
    bool cache_fixed;                     /* its size was given: crypt_cache_fit leaves it */
    size_t n_sets;                        /* a power of two */
    unsigned victim;                      /* round-robin way to evict; mu */
};

/* ---- key files ------------------------------------------------------------------------------ */

static bool from_hex(const char *hex, unsigned char key[CRYPT_KEY_BYTES])
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (sodium_hex2bin(key, CRYPT_KEY_BYTES, hex, strlen(hex), " \n\r\t", &bin_len, &end) != 0) {
        return false;
    }
    return bin_len == CRYPT_KEY_BYTES && (end == NULL || *end == '\0');
}

static enum kt_rc key_create(const struct crypt_key_src *src, unsigned char key[CRYPT_KEY_BYTES],
                             struct kt_err *err)
{
    randombytes_buf(key, CRYPT_KEY_BYTES);
    char line[2 * CRYPT_KEY_BYTES + 2];
    sodium_bin2hex(line, sizeof(line) - 1, key, CRYPT_KEY_BYTES);
    size_t len = strlen(line);
    line[len++] = '\n';
    int fd = open(src->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sodium_memzero(line, sizeof(line));
        kt_err_set(err, KT_EINTERNAL, src->code_file, NULL, "cannot create the %s '%s'",
                   src->file_word, src->path);
        kt_err_detail(err, "%s", strerror(errno));
        return KT_EINTERNAL;
    }
    ssize_t w = write(fd, line, len);
    int rc = fsync(fd);
    close(fd);
    sodium_memzero(line, sizeof(line));
    if (w != (ssize_t)len || rc != 0) {
        unlink(src->path);
        return kt_err_set(err, KT_EINTERNAL, src->code_file, NULL, "cannot write the %s '%s'",
                          src->file_word, src->path);
    }
    return KT_OK;
}

enum kt_rc crypt_key_load(const struct crypt_key_src *src, unsigned char key[CRYPT_KEY_BYTES],
                          bool *created, struct kt_err *err)
{
    *created = false;
    if (src->env_hex != NULL && src->env_hex[0] != '\0') {
        if (!from_hex(src->env_hex, key)) {
            return kt_err_set(err, KT_EINVAL, src->code_env, NULL,
                              "%s must be 64 hexadecimal digits", src->env_name);
        }
        return KT_OK;
    }
    FILE *f = fopen(src->path, "re");
    if (f == NULL && errno == ENOENT && src->create) {
        *created = true;
        return key_create(src, key, err);
    }
    if (f == NULL) {
        bool missing = errno == ENOENT;
        kt_err_set(err, KT_EINTERNAL, src->code_file, NULL,
                   missing ? "the %s '%s' is missing (give the file or %s)"
                           : "cannot read the %s '%s'",
                   src->file_word, src->path, src->env_name);
        kt_err_detail(err, "%s", strerror(missing ? ENOENT : errno));
        return KT_EINTERNAL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
        fclose(f);
        return kt_err_set(err, KT_EINVAL, src->code_file, NULL,
                          "the %s '%s' is readable by others; chmod 600 it", src->file_word,
                          src->path);
    }
    char hex[160] = {0};
    size_t n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    hex[n] = '\0';
    bool ok = from_hex(hex, key);
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        return kt_err_set(err, KT_EINVAL, src->code_file, NULL,
                          "the %s '%s' does not hold 64 hexadecimal digits", src->file_word,
                          src->path);
    }
    return KT_OK;
}

/* ---- the keyring ---------------------------------------------------------------------------- */

static void key_id(const unsigned char key[CRYPT_KEY_BYTES], unsigned char id[CRYPT_ID_BYTES])
{
    static const unsigned char label[] = "kartoteka master key id v1";
    crypto_generichash(id, CRYPT_ID_BYTES, label, sizeof(label) - 1, key, CRYPT_KEY_BYTES);
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

static void cache_alloc(struct crypt *c, size_t keys)
{
    c->n_sets = pow2_at_least((keys + CACHE_WAYS - 1) / CACHE_WAYS);
    c->slots = sodium_allocarray(c->n_sets * CACHE_WAYS, sizeof(*c->slots));
    if (c->slots == NULL) {
        abort(); /* out of memory, as kt_malloc */
    }
    memset(c->slots, 0, c->n_sets * CACHE_WAYS * sizeof(*c->slots));
}

struct crypt *crypt_new(const struct crypt_opts *o)
{
    struct crypt *c = sodium_malloc(sizeof(*c));
    if (c == NULL) {
        abort(); /* out of memory, as kt_malloc */
    }
    memset(c, 0, sizeof(*c));
    memcpy(c->master, o->master, CRYPT_KEY_BYTES);
    key_id(c->master, c->master_id);
    crypto_kdf_derive_from_key(c->index, CRYPT_KEY_BYTES, 1, "ktbidx01", o->secret);
    crypto_generichash_init(&c->index_st, c->index, CRYPT_KEY_BYTES, CRYPT_BIDX_BYTES);
    c->cache_fixed = o->cache_keys != 0;
    cache_alloc(c, o->cache_keys ? o->cache_keys : CRYPT_CACHE_DEFAULT);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void crypt_cache_fit(struct crypt *c, size_t keys)
{
    if (!c->cache_fixed && 2 * keys > crypt_cache_capacity(c)) {
        sodium_free(c->slots); /* wiped */
        cache_alloc(c, 2 * keys);
    }
}

void crypt_free(struct crypt *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_destroy(&c->mu);
    sodium_free(c->slots); /* sodium_free wipes before it frees */
    sodium_free(c);
}

void crypt_master_id(const struct crypt *c, unsigned char id[CRYPT_ID_BYTES])
{
    memcpy(id, c->master_id, CRYPT_ID_BYTES);
}

void crypt_set_next(struct crypt *c, const unsigned char next[CRYPT_KEY_BYTES])
{
    memcpy(c->next, next, CRYPT_KEY_BYTES);
    key_id(c->next, c->next_id);
    c->has_next = true;
}

void crypt_next_id(const struct crypt *c, unsigned char id[CRYPT_ID_BYTES])
{
    memcpy(id, c->next_id, CRYPT_ID_BYTES);
}

bool crypt_has_next(const struct crypt *c)
{
    return c->has_next;
}

/* ---- data keys ------------------------------------------------------------------------------ */

/* Associated data of a wrapped key: a label, the customer and the master key's id. */
static size_t wrap_ad(int64_t ck, const unsigned char id[CRYPT_ID_BYTES], unsigned char ad[48])
{
    static const char label[] = "kt-dk1";
    memcpy(ad, label, 6);
    for (int i = 0; i < 8; i++) {
        ad[6 + i] = (unsigned char)((uint64_t)ck >> (8 * i));
    }
    memcpy(ad + 14, id, CRYPT_ID_BYTES);
    return 14 + CRYPT_ID_BYTES;
}

void crypt_dk_make(unsigned char dk[CRYPT_KEY_BYTES])
{
    randombytes_buf(dk, CRYPT_KEY_BYTES);
}

void crypt_dk_wrap(const struct crypt *c, bool next, int64_t ck,
                   const unsigned char dk[CRYPT_KEY_BYTES], unsigned char out[CRYPT_WRAP_BYTES],
                   unsigned char id[CRYPT_ID_BYTES])
{
    const unsigned char *k = next ? c->next : c->master;
    memcpy(id, next ? c->next_id : c->master_id, CRYPT_ID_BYTES);
    unsigned char ad[48];
    size_t adn = wrap_ad(ck, id, ad);
    randombytes_buf(out, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, NULL, dk, CRYPT_KEY_BYTES, ad, adn, NULL,
                                               out, k);
}

enum kt_rc crypt_dk_unwrap(const struct crypt *c, int64_t ck, const unsigned char *id,
                           const unsigned char *wrapped, size_t n,
                           unsigned char dk[CRYPT_KEY_BYTES], struct kt_err *err)
{
    const unsigned char *k = NULL;
    if (sodium_memcmp(id, c->master_id, CRYPT_ID_BYTES) == 0) {
        k = c->master;
    } else if (c->has_next && sodium_memcmp(id, c->next_id, CRYPT_ID_BYTES) == 0) {
        k = c->next;
    }
    if (k == NULL) {
        kt_err_set(err, KT_ESTORE, "master_key_mismatch", NULL,
                   "a data key is sealed under another master key");
        kt_err_detail(err, "customer key %lld", (long long)ck);
        return KT_ESTORE;
    }
    unsigned char ad[48];
    size_t adn = wrap_ad(ck, id, ad);
    unsigned long long len = 0;
    if (n != CRYPT_WRAP_BYTES ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(dk, &len, NULL, wrapped + 24, n - 24, ad, adn,
                                                   wrapped, k) != 0 ||
        len != CRYPT_KEY_BYTES) {
        sodium_memzero(dk, CRYPT_KEY_BYTES);
        kt_err_set(err, KT_ESTORE, "data_key_corrupt", NULL, "a data key does not open");
        kt_err_detail(err, "customer key %lld", (long long)ck);
        return KT_ESTORE;
    }
    return KT_OK;
}

/* ---- the cache ------------------------------------------------------------------------------ */

static struct cache_slot *set_of(const struct crypt *c, int64_t ck)
{
    uint64_t h = (uint64_t)ck * 0x9e3779b97f4a7c15ull; /* Fibonacci hashing spreads runs of ck */
    return &c->slots[(h >> 20 & (c->n_sets - 1)) * CACHE_WAYS];
}

bool crypt_cache_get(struct crypt *c, int64_t ck, unsigned char dk[CRYPT_KEY_BYTES])
{
    bool hit = false;
    pthread_mutex_lock(&c->mu);
    struct cache_slot *s = set_of(c, ck);
    for (int i = 0; i < CACHE_WAYS && !hit; i++) {
        if (s[i].tag == (uint64_t)ck + 1) {
            memcpy(dk, s[i].key, CRYPT_KEY_BYTES);
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void crypt_cache_put(struct crypt *c, int64_t ck, const unsigned char dk[CRYPT_KEY_BYTES])
{
    pthread_mutex_lock(&c->mu);
    struct cache_slot *s = set_of(c, ck), *to = NULL;
    for (int i = 0; i < CACHE_WAYS && to == NULL; i++) {
        if (s[i].tag == (uint64_t)ck + 1 || s[i].tag == 0) {
            to = &s[i];
        }
    }
    if (to == NULL) {
        to = &s[c->victim++ % CACHE_WAYS];
    }
    to->tag = (uint64_t)ck + 1;
    memcpy(to->key, dk, CRYPT_KEY_BYTES);
    pthread_mutex_unlock(&c->mu);
}

size_t crypt_cache_capacity(const struct crypt *c)
{
    return c->n_sets * CACHE_WAYS;
}

void crypt_cache_drop(struct crypt *c, int64_t ck)
{
    pthread_mutex_lock(&c->mu);
    struct cache_slot *s = set_of(c, ck);
    for (int i = 0; i < CACHE_WAYS; i++) {
        if (s[i].tag == (uint64_t)ck + 1) {
            sodium_memzero(&s[i], sizeof(s[i]));
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- values --------------------------------------------------------------------------------- */

/* Associated data of a sealed value: the format, the customer and the column. */
static size_t seal_ad(int64_t ck, const char *column, unsigned char *ad, size_t cap)
{
    size_t n = strlen(column);
    if (n > cap - 10) {
        n = cap - 10; /* columns are short constants; never truncated in practice */
    }
    ad[0] = 'k';
    ad[1] = SEAL_FORMAT;
    for (int i = 0; i < 8; i++) {
        ad[2 + i] = (unsigned char)((uint64_t)ck >> (8 * i));
    }
    memcpy(ad + 10, column, n);
    return 10 + n;
}

/* A random nonce without a system call: the ChaCha20 keystream of a key this thread drew from the
 * system once, at a counter that never repeats. A nonce needs to be unique, not secret; a system
 * call for each (libsodium's randombytes on Linux is one getrandom each) cost an import more than
 * the sealing itself. A forked child draws a key of its own. */
static void nonce(unsigned char out[SEAL_NONCE])
{
    static _Thread_local unsigned char key[32];
    static _Thread_local uint64_t counter;
    static _Thread_local pid_t owner;
    if (owner != getpid() || counter == UINT64_MAX) {
        randombytes_buf(key, sizeof(key));
        counter = 0;
        owner = getpid();
    }
    unsigned char n[12] = {0};
    uint64_t c = counter++;
    for (int i = 0; i < 8; i++) {
        n[4 + i] = (unsigned char)(c >> (8 * i));
    }
    crypto_stream_chacha20_ietf(out, SEAL_NONCE, n, key);
}

void crypt_seal(const unsigned char dk[CRYPT_KEY_BYTES], int64_t ck, const char *column,
                const void *plain, size_t n, unsigned char *out)
{
    unsigned char ad[96];
    size_t adn = seal_ad(ck, column, ad, sizeof(ad));
    out[0] = SEAL_FORMAT;
    nonce(out + 1);
    crypto_aead_chacha20poly1305_ietf_encrypt(out + 1 + SEAL_NONCE, NULL, plain, n, ad, adn, NULL,
                                              out + 1, dk);
}

bool crypt_open(const unsigned char dk[CRYPT_KEY_BYTES], int64_t ck, const char *column,
                const unsigned char *sealed, size_t n, unsigned char *out, size_t *out_n)
{
    if (n < CRYPT_SEAL_OVERHEAD || sealed[0] != SEAL_FORMAT) {
        return false;
    }
    unsigned char ad[96];
    size_t adn = seal_ad(ck, column, ad, sizeof(ad));
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &len, NULL, sealed + 1 + SEAL_NONCE,
                                                  n - 1 - SEAL_NONCE, ad, adn, sealed + 1,
                                                  dk) != 0) {
        return false;
    }
    *out_n = (size_t)len;
    return true;
}

/* ---- blind indexes -------------------------------------------------------------------------- */

void crypt_bidx(const struct crypt *c, const char *domain, const char *value, size_t n,
                unsigned char out[CRYPT_BIDX_BYTES])
{
    crypto_generichash_state st = c->index_st;
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const unsigned char *)value, n);
    crypto_generichash_final(&st, out, CRYPT_BIDX_BYTES);
    sodium_memzero(&st, sizeof(st));
}

void crypt_bidx_check(const struct crypt *c, char hex[2 * CRYPT_BIDX_BYTES + 1])
{
    static const char label[] = "kartoteka blind index check v1";
    unsigned char h[CRYPT_BIDX_BYTES];
    crypt_bidx(c, "check", label, sizeof(label) - 1, h);
    sodium_bin2hex(hex, 2 * CRYPT_BIDX_BYTES + 1, h, sizeof(h));
}
