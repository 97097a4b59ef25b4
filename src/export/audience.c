/*
 * audience.c - a saved segment as an audience file (audience.h, docs/audiences.md).
 *
 * The members are the segment's query evaluated now with the consents the transfer needs added
 * to it, so the rule is the segment language's own (consent(...) in docs/segments.md). Their
 * phones and e-mails are read and hashed by several threads, each on a read of its own over a
 * slice of the members, and written in the members' order; then the transfers are recorded, a
 * few thousand customers a write transaction.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "consent/consent.h"
#include "export/audience.h"
#include "segment/segment.h"

#define READERS     4    /* threads reading and hashing the members' contacts */
#define WRITE_CHUNK 5000 /* transfers recorded a write transaction */
#define SLICE_MIN   256  /* members a reader takes at least */

static const char *const format_names[] = {"yandex", "vk-phone", "vk-email"};

bool audience_format_parse(const char *name, enum audience_format *out)
{
    for (int i = 0; name != NULL && i < 3; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum audience_format)i;
            return true;
        }
    }
    return false;
}

const char *audience_format_name(enum audience_format f)
{
    return format_names[f];
}

const char *audience_normal(bool phone, const char *value, struct arena *a)
{
    if (value == NULL || value[0] == '\0') {
        return NULL;
    }
    size_t n = strlen(value);
    char *out = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = value[i];
        if (phone && ch >= '0' && ch <= '9') {
            out[k++] = ch;
        } else if (!phone && ch != ' ') {
            out[k++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
    }
    out[k] = '\0';
    return k > 0 ? out : NULL;
}

/* The hex digest the format asks for: SHA-256 for Yandex, MD5 for VK Ads (the only hash its
 * lists take). */
static void digest(enum audience_format f, const char *v, char hex[65])
{
    unsigned char d[32];
    size_t len = 32;
    if (f == AUDIENCE_YANDEX) {
        crypto_hash_sha256(d, (const unsigned char *)v, strlen(v));
    } else {
        gnutls_hash_fast(GNUTLS_DIG_MD5, v, strlen(v), d);
        len = 16;
    }
    sodium_bin2hex(hex, 65, d, len);
}

/* One reader's slice: members [from, to), their lines, and which of them were written. */
struct slice {
    struct store *s;
    enum audience_format f;
    const int64_t *cks;
    size_t from, to;
    struct buf lines;
    int64_t *written;     /* the keys of the members written, in order */
    unsigned char *which; /* for each: 1 her phone went, 2 her e-mail, 3 both */
    size_t n_written;
    enum kt_rc rc;
    struct kt_err err;
    _Atomic int64_t *done;
};

/* Her line, when the format takes something of hers; false when the file is full. */
static bool line_of(struct slice *sl, int64_t ck, const char *raw_phone, const char *raw_email,
                    struct arena *a)
{
    const char *phone = audience_normal(true, raw_phone, a);
    const char *email = audience_normal(false, raw_email, a);
    char hp[65] = "", he[65] = "";
    if (phone != NULL && sl->f != AUDIENCE_VK_EMAIL) {
        digest(sl->f, phone, hp);
    }
    if (email != NULL && sl->f != AUDIENCE_VK_PHONE) {
        digest(sl->f, email, he);
    }
    if (hp[0] == '\0' && he[0] == '\0') {
        return true; /* nothing of hers the format takes */
    }
    bool ok = sl->f == AUDIENCE_YANDEX ? buf_printf(&sl->lines, "\"%s\",\"%s\"\n", hp, he)
                                       : buf_printf(&sl->lines, "%s\n", hp[0] ? hp : he);
    if (ok) {
        sl->which[sl->n_written] = (unsigned char)((hp[0] ? 1 : 0) | (he[0] ? 2 : 0));
        sl->written[sl->n_written++] = ck;
    }
    return ok;
}

#define READ_CHUNK 1024 /* members read at once: their rows and keys a range at a time */

static void *read_slice(void *arg)
{
    struct slice *sl = arg;
    struct store_conn *rd = NULL;
    struct arena a;
    arena_init(&a, 0);
    const char *phones[READ_CHUNK], *emails[READ_CHUNK];
    sl->rc = store_read_begin_analytics(sl->s, &rd, &sl->err);
    for (size_t i = sl->from; sl->rc == KT_OK && i < sl->to; i += READ_CHUNK) {
        size_t m = sl->to - i < READ_CHUNK ? sl->to - i : READ_CHUNK;
        sl->rc = store_customer_contacts(rd, sl->cks + i, m, &a, phones, emails, &sl->err);
        for (size_t j = 0; sl->rc == KT_OK && j < m; j++) {
            if ((phones[j] != NULL || emails[j] != NULL) &&
                !line_of(sl, sl->cks[i + j], phones[j], emails[j], &a)) {
                sl->rc = kt_err_set(&sl->err, KT_EINVAL, "cannot_write", NULL,
                                    "the audience file would pass %zu bytes a reader; split the "
                                    "segment",
                                    sl->lines.max);
            }
        }
        arena_release(&a); /* the chunk's values are written out already */
        atomic_fetch_add(sl->done, (int64_t)m);
    }
    if (rd != NULL) {
        store_read_end(rd);
    }
    arena_release(&a);
    return NULL;
}

/* The members whose consent allows the transfer: the segment's query and the consents. */
static enum kt_rc members(struct store *s, const char *segment, int64_t now, struct arena *a,
                          struct segment *sg, int64_t **cks, size_t *n, struct kt_err *err)
{
    struct store_conn *rd;
    if (store_read_begin_analytics(s, &rd, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_segment_get(rd, segment, a, sg, err);
    struct seg_node *tree = NULL;
    struct seg_error se;
    const char *q = rc == KT_OK ? arena_printf(a,
                                               "(%s) and consent(third_party_transfer) and "
                                               "consent(pd_processing)",
                                               sg->query)
                                : NULL;
    if (rc == KT_OK && !segment_parse(q, a, &tree, &se)) {
        rc = kt_err_set(err, KT_EINTERNAL, "bad_stored_query", NULL,
                        "the segment's stored query no longer parses: %s", se.message);
    }
    if (rc == KT_OK) {
        rc = store_segment_eval(rd, segment_compile(tree, now, a), a, cks, n, err);
    }
    store_read_end(rd);
    return rc;
}

/* Records the transfers of the members written, a chunk a write transaction. */
static enum kt_rc record(struct store *s, const struct audience_run *run, struct slice *sl,
                         size_t n_sl, const char *actor, struct kt_err *err)
{
    static const char *const fields[4] = {NULL, "phone", "email", "phone,email"};
    int64_t part[WRITE_CHUNK];
    for (size_t k = 0; k < n_sl; k++) {
        for (size_t i = 0; i < sl[k].n_written; i += WRITE_CHUNK) {
            size_t m = sl[k].n_written - i < WRITE_CHUNK ? sl[k].n_written - i : WRITE_CHUNK;
            struct store_conn *w;
            if (store_write_begin(s, &w, err) != KT_OK) {
                return err->rc;
            }
            enum kt_rc rc = KT_OK;
            for (unsigned f = 1; rc == KT_OK && f <= 3; f++) { /* what of each of them went */
                size_t np = 0;
                for (size_t j = i; j < i + m; j++) {
                    if (sl[k].which[j] == f) {
                        part[np++] = sl[k].written[j];
                    }
                }
                struct audience_run r = *run;
                r.fields = fields[f];
                rc = np > 0 ? store_audience_transfers_put(w, &r, part, np, err) : KT_OK;
            }
            if (store_write_end(w, rc, err) != KT_OK) {
                return err->rc;
            }
        }
    }
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_audience_run_add(w, run, err);
    if (rc == KT_OK) {
        char detail[200];
        snprintf(detail, sizeof(detail), "audience %s: %lld customers to %s (%s, %s)", run->id,
                 (long long)run->count, run->recipient, run->segment, run->format);
        rc = audit_write(w, actor, "transfer", NULL, run->fields, detail, NULL, run->at, err);
    }
    return store_write_end(w, rc, err);
}

enum kt_rc audience_export(struct store *s, const char *segment, enum audience_format f, FILE *out,
                           const char *actor, int64_t now, audience_progress_fn prog, void *pctx,
                           struct audience_stats *st, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    memset(st, 0, sizeof(*st));
    int64_t t0 = clock_mono_ns();
    struct segment sg;
    int64_t *cks = NULL;
    size_t n = 0;
    if (members(s, segment, now, &a, &sg, &cks, &n, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    st->allowed = (int64_t)n;
    int64_t t1 = clock_mono_ns();
    st->ms_members = (t1 - t0) / 1000000;
    size_t readers = n / SLICE_MIN + 1 < READERS ? n / SLICE_MIN + 1 : READERS;
    struct slice sl[READERS];
    pthread_t th[READERS];
    _Atomic int64_t done = 0;
    bool joined[READERS] = {false};
    for (size_t k = 0; k < readers; k++) {
        memset(&sl[k], 0, sizeof(sl[k]));
        sl[k].s = s;
        sl[k].f = f;
        sl[k].cks = cks;
        sl[k].from = n * k / readers;
        sl[k].to = n * (k + 1) / readers;
        buf_init(&sl[k].lines, BUF_MAX_DEFAULT * 4);
        sl[k].written = arena_alloc(&a, (sl[k].to - sl[k].from + 1) * sizeof(int64_t));
        sl[k].which = arena_alloc(&a, sl[k].to - sl[k].from + 1);
        sl[k].done = &done;
        kt_err_reset(&sl[k].err);
        if (pthread_create(&th[k], NULL, read_slice, &sl[k]) != 0) {
            read_slice(&sl[k]); /* no thread to spare: this one reads the slice */
            joined[k] = true;
        }
    }
    for (size_t left = readers; prog != NULL && left > 0;) { /* meanwhile, how far they are */
        for (size_t k = 0; k < readers; k++) {
            if (!joined[k] && pthread_tryjoin_np(th[k], NULL) == 0) {
                joined[k] = true;
                left--;
            }
        }
        prog(pctx, atomic_load(&done), (int64_t)n);
        struct timespec ts = {0, left > 0 ? 200 * 1000 * 1000 : 0};
        nanosleep(&ts, NULL);
    }
    enum kt_rc rc = KT_OK;
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    const char *header = f == AUDIENCE_YANDEX ? "\"phone\",\"email\"\n" : "";
    bool io_ok = fputs(header, out) >= 0;
    crypto_hash_sha256_update(&hs, (const unsigned char *)header, strlen(header));
    for (size_t k = 0; k < readers; k++) {
        if (!joined[k]) {
            pthread_join(th[k], NULL);
        }
        if (rc == KT_OK && sl[k].rc != KT_OK) {
            rc = kt_err_copy(err, &sl[k].err);
        }
        io_ok = io_ok && (sl[k].lines.len == 0 ||
                          fwrite(sl[k].lines.p, 1, sl[k].lines.len, out) == sl[k].lines.len);
        crypto_hash_sha256_update(&hs, (const unsigned char *)buf_cstr(&sl[k].lines),
                                  sl[k].lines.len);
        st->written += (int64_t)sl[k].n_written;
    }
    if (rc == KT_OK && (!io_ok || fflush(out) != 0)) {
        rc = kt_err_set(err, KT_EINVAL, "cannot_write", NULL,
                        "the audience file could not be "
                        "written");
    }
    int64_t t2 = clock_mono_ns();
    st->ms_read = (t2 - t1) / 1000000;
    unsigned char d[32];
    crypto_hash_sha256_final(&hs, d);
    sodium_bin2hex(st->sha256, sizeof(st->sha256), d, sizeof(d));
    if (rc == KT_OK) {
        id_new(st->run_id, sizeof(st->run_id), "ar_");
        bool yandex = f == AUDIENCE_YANDEX;
        struct audience_run run = {
            .segment = sg.name,
            .segment_id = sg.id,
            .format = format_names[f],
            .recipient = yandex ? "yandex_audiences" : "vk_ads",
            .fields = yandex                   ? "phone,email"
                      : f == AUDIENCE_VK_PHONE ? "phone"
                                               : "email",
            .at = now,
            .count = st->written,
            .sha256 = st->sha256,
        };
        snprintf(run.id, sizeof(run.id), "%s", st->run_id);
        rc = record(s, &run, sl, readers, actor, err);
        st->ms_record = (clock_mono_ns() - t2) / 1000000;
    }
    for (size_t k = 0; k < readers; k++) {
        buf_release(&sl[k].lines);
    }
    arena_release(&a);
    return rc;
}
