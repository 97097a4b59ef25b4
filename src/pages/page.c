/*
 * page.c - the pages in memory (page.h): the built-in ones compiled once; the retailer's current
 * versions read from the store, compiled and kept in a set that renders share, replaced whole when
 * a version is stored.
 *
 * A set is immutable once made and counted by its users: a render takes the current set (a mutex
 * held for an increment), renders without any lock, and gives it back; a refresh makes a new set
 * and swaps the pointer, and the last user of the old one frees it. So a render never sees half
 * of a change (a layout of one version and a stylesheet of another), and a retailer's PUT never
 * waits for renders nor they for it.
 *
 * Whether the versions changed is one read of the largest `seq` of page_versions (an index's last
 * entry, no write) at most every PAGES_CHECK_MS by whichever render comes first (the others go on
 * with the set they have), and at the next render after pages_changed().
 */
#include "pages/page.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/embed.h"
#include "base/log.h"
#include "base/mem.h"
#include "pages/page_int.h"
#include "template/template.h"

extern const struct embedded_file pages_data_files[];
extern const size_t pages_data_files_count;

#define PAGES_MAX 32 /* built-in pages, the stylesheet and the logo */
#define ETAG_MAX  24

/* The built-in pages, compiled once. */
static struct {
    const char *name[PAGES_MAX]; /* without ".html"; then PAGES_STYLE, PAGES_LOGO */
    const char *text[PAGES_MAX];
    size_t len[PAGES_MAX];
    struct template *t[PAGES_MAX]; /* NULL for the stylesheet and the logo */
    size_t n;
} builtin;

/* One name as pages are rendered with it now. */
struct entry {
    const struct template *t; /* a page's; NULL for the stylesheet and the logo */
    const char *data;         /* the stylesheet's or the logo's bytes; NULL: no logo */
    size_t len;
    const char *type;
    char etag[ETAG_MAX];
    bool stored; /* the retailer's version (t owned by the set) */
};

struct set {
    int refs;
    int64_t seq;               /* of the versions read (0: none) */
    struct entry e[PAGES_MAX]; /* in builtin's order */
    struct arena arena;        /* the stored versions' texts */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct set *cur;                /* under mu */
static _Atomic(struct store *) from;   /* pages_use_store */
static atomic_int_fast64_t next_check; /* monotonic ms of the next look at the store */

static void etag_of(const char *data, size_t len, char out[ETAG_MAX])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: names a version, not a secret */
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
    }
    kt_snprintf(out, ETAG_MAX, "\"%016llx\"", (unsigned long long)h);
}

static int index_of(const char *name)
{
    for (size_t i = 0; i < builtin.n; i++) {
        if (strcmp(builtin.name[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static struct entry builtin_entry(size_t i)
{
    struct entry e = {builtin.t[i], NULL, 0, NULL, "", false};
    if (builtin.t[i] == NULL && builtin.text[i] != NULL) { /* the stylesheet */
        e.data = builtin.text[i];
        e.len = builtin.len[i];
        e.type = "text/css; charset=utf-8";
        etag_of(e.data, e.len, e.etag);
    }
    return e;
}

/* Compiles every page of data/ (a template that does not compile is a bug: logged, left out), and
 * makes the first set of them. */
static void compile_all(void)
{
    const char *css = "";
    size_t css_len = 0;
    for (size_t i = 0; i < pages_data_files_count && builtin.n < PAGES_MAX - 2; i++) {
        const struct embedded_file *f = &pages_data_files[i];
        size_t len = strlen(f->name);
        if (len > 4 && strcmp(f->name + len - 4, ".css") == 0) {
            css = f->data;
            css_len = f->len;
            continue;
        }
        struct kt_err err;
        kt_err_reset(&err);
        struct template *t = NULL;
        if (len <= 5 || strcmp(f->name + len - 5, ".html") != 0 ||
            template_compile(f->data, f->len, TEMPLATE_HTML, &t, NULL, &err) != KT_OK) {
            log_error("page_template", "file=%s code=%s", f->name, err.code);
            continue;
        }
        size_t k = builtin.n++;
        builtin.name[k] = kt_strndup(f->name, len - 5);
        builtin.text[k] = f->data;
        builtin.len[k] = f->len;
        builtin.t[k] = t;
    }
    builtin.name[builtin.n] = PAGES_STYLE;
    builtin.text[builtin.n] = css;
    builtin.len[builtin.n++] = css_len;
    builtin.name[builtin.n++] = PAGES_LOGO;
    cur = kt_calloc(1, sizeof(*cur));
    cur->refs = 1;
    arena_init(&cur->arena, 0);
    for (size_t i = 0; i < builtin.n; i++) {
        cur->e[i] = builtin_entry(i);
    }
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < builtin.n; i++) {
        if (s->e[i].stored && s->e[i].t != NULL) {
            template_free((struct template *)s->e[i].t);
        }
    }
    arena_release(&s->arena);
    free(s);
}

static void put(struct set *s)
{
    pthread_mutex_lock(&mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last) {
        set_free(s);
    }
}

/* A set of the built-ins with the stored versions `v` in their places. A stored template that no
 * longer compiles (checked when stored; a later build may compile differently) is logged and the
 * built-in kept. */
static struct set *set_make(int64_t seq, const struct page_version *v, size_t n,
                            struct arena *owned)
{
    struct set *s = kt_calloc(1, sizeof(*s));
    s->refs = 1;
    s->seq = seq;
    s->arena = *owned; /* the rows' texts were read into it */
    for (size_t i = 0; i < builtin.n; i++) {
        s->e[i] = builtin_entry(i);
    }
    for (size_t k = 0; k < n; k++) {
        int i = index_of(v[k].name);
        if (i < 0 || v[k].body == NULL) {
            continue; /* a name of another build, or a reset */
        }
        struct entry *e = &s->e[i];
        if (builtin.t[i] == NULL) { /* the stylesheet or the logo */
            *e = (struct entry){NULL, v[k].body, v[k].len, v[k].type, "", true};
            if (e->type == NULL) {
                e->type = "text/css; charset=utf-8";
            }
            etag_of(e->data, e->len, e->etag);
            continue;
        }
        struct template *t = NULL;
        struct kt_err err;
        kt_err_reset(&err);
        if (template_compile(v[k].body, v[k].len, TEMPLATE_HTML, &t, NULL, &err) != KT_OK) {
            log_error("page_stored", "page=%s version=%lld code=%s", v[k].name,
                      (long long)v[k].version, err.code);
            continue;
        }
        *e = (struct entry){t, NULL, 0, NULL, "", true};
    }
    return s;
}

/* Reads the stored versions again when their `seq` moved; errors are logged (the pages go on with
 * what they have, and the next check tries again). */
static void refresh(struct store *st)
{
    struct store_conn *rd;
    struct kt_err err;
    kt_err_reset(&err);
    int64_t seq = 0, have;
    if (store_read_begin(st, &rd, &err) != KT_OK) {
        log_warn("pages_refresh", "code=%s", err.code);
        return;
    }
    pthread_mutex_lock(&mu);
    have = cur->seq;
    pthread_mutex_unlock(&mu);
    struct arena a;
    arena_init(&a, 0);
    struct page_version *v = NULL;
    size_t n = 0;
    enum kt_rc rc = store_page_seq(rd, &seq, &err);
    if (rc == KT_OK && seq != have) {
        rc = store_page_list(rd, &a, &v, &n, &err);
    }
    store_read_end(rd);
    if (rc != KT_OK || seq == have) {
        if (rc != KT_OK) {
            log_warn("pages_refresh", "code=%s", err.code);
        }
        arena_release(&a);
        return;
    }
    struct set *s = set_make(seq, v, n, &a), *old;
    pthread_mutex_lock(&mu);
    old = cur;
    if (seq > cur->seq) { /* two refreshes at once (pages_changed during one): the newer wins */
        cur = s;
    } else {
        old = s;
    }
    pthread_mutex_unlock(&mu);
    put(old);
}

/* The current set, read again first when it is time; give it back with put(). */
static struct set *take(void)
{
    pthread_once(&once, compile_all);
    struct store *st = atomic_load(&from);
    if (st != NULL) {
        int64_t now = clock_mono_ns() / 1000000, due = atomic_load(&next_check);
        if (now >= due && atomic_compare_exchange_strong(&next_check, &due, now + PAGES_CHECK_MS)) {
            refresh(st);
        }
    }
    pthread_mutex_lock(&mu);
    struct set *s = cur;
    s->refs++;
    pthread_mutex_unlock(&mu);
    return s;
}

void pages_use_store(struct store *s)
{
    pthread_once(&once, compile_all);
    struct arena a;
    arena_init(&a, 0);
    struct set *fresh = set_make(0, NULL, 0, &a), *old; /* the built-ins until the first read */
    pthread_mutex_lock(&mu);
    old = cur;
    cur = fresh;
    pthread_mutex_unlock(&mu);
    put(old);
    atomic_store(&from, s);
    atomic_store(&next_check, 0);
}

void pages_changed(void)
{
    atomic_store(&next_check, 0);
}

/* The layout's own values: the title, the page, the stylesheet's and the logo's addresses (with
 * their entity tags, so a new version is a new address a browser has not cached). */
static json_t *layout_ctx(const struct set *s, const char *title, const char *body,
                          const json_t *ctx)
{
    const struct entry *css = &s->e[index_of(PAGES_STYLE)], *logo = &s->e[index_of(PAGES_LOGO)];
    char url[64];
    kt_snprintf(url, sizeof(url), "/p/style.css?v=%.16s", css->etag + 1);
    json_t *o = json_pack("{s:s, s:s, s:s}", "title", title, "body", body, "style", url);
    if (logo->data != NULL) {
        kt_snprintf(url, sizeof(url), "/p/logo?v=%.16s", logo->etag + 1);
        json_object_set_new(o, "logo", json_string(url));
    }
    const json_t *refresh = json_object_get(ctx, "refresh");
    if (json_is_string(refresh)) { /* "<s>;url=<path>": the tablet's meta refresh */
        json_object_set(o, "refresh", (json_t *)refresh);
    }
    return o;
}

/* Page `body` with `ctx` inside `layout` into `page`. */
static enum kt_rc render_in(const struct set *s, const struct template *body,
                            const struct template *layout, const char *title, const json_t *ctx,
                            struct buf *page, struct kt_err *err)
{
    struct buf b;
    buf_init(&b, TEMPLATE_OUTPUT_MAX); /* a cap, not a size: the weight is checked after */
    page->len = 0;
    enum kt_rc rc = template_render(body, ctx, &b, NULL, err);
    if (rc == KT_OK) {
        json_t *outer = layout_ctx(s, title, buf_cstr(&b), ctx);
        rc = template_render(layout, outer, page, NULL, err);
        json_decref(outer);
    }
    buf_release(&b);
    return rc;
}

enum kt_rc pages_render(const char *name, const char *title, const json_t *ctx, struct arena *a,
                        const char **html, size_t *len, struct kt_err *err)
{
    struct set *s = take();
    int bi = index_of(name), li = index_of("layout");
    if (bi < 0 || li < 0 || builtin.t[bi] == NULL || builtin.t[li] == NULL) {
        put(s);
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "no page %s", name);
    }
    json_t *empty = json_object();
    const json_t *c = ctx != NULL ? ctx : empty;
    struct buf page;
    buf_init(&page, TEMPLATE_OUTPUT_MAX);
    enum kt_rc rc = render_in(s, s->e[bi].t, s->e[li].t, title, c, &page, err);
    if ((rc != KT_OK || page.len > PAGES_PAGE_MAX) && (s->e[bi].stored || s->e[li].stored)) {
        log_warn("page_stored_failed", "page=%s code=%s bytes=%zu", name,
                 rc != KT_OK ? err->code : "too_heavy", page.len);
        kt_err_reset(err);
        rc = render_in(s, builtin.t[bi], builtin.t[li], title, c, &page, err);
    }
    if (rc == KT_OK && page.len > PAGES_PAGE_MAX) {
        rc = kt_err_set(err, KT_EINTERNAL, "internal", NULL, "page %s weighs %zu bytes", name,
                        page.len);
    }
    if (rc == KT_OK) {
        *len = page.len;
        *html = arena_strdup(a, buf_cstr(&page));
    }
    buf_release(&page);
    json_decref(empty);
    put(s);
    return rc;
}

bool pages_asset(const char *name, struct arena *a, struct pages_asset *out)
{
    struct set *s = take();
    int i = index_of(name);
    bool ok = i >= 0 && s->e[i].t == NULL && s->e[i].data != NULL;
    if (ok) {
        const struct entry *e = &s->e[i];
        char *d = arena_alloc(a, e->len + 1);
        memcpy(d, e->data, e->len);
        d[e->len] = '\0';
        *out = (struct pages_asset){d, e->len, arena_strdup(a, e->type), arena_strdup(a, e->etag)};
    }
    put(s);
    return ok;
}

size_t pages_names(const char *const **names)
{
    pthread_once(&once, compile_all);
    *names = builtin.name;
    return builtin.n;
}

bool pages_name_known(const char *name)
{
    pthread_once(&once, compile_all);
    return index_of(name) >= 0;
}

const char *pages_builtin(const char *name, size_t *len)
{
    pthread_once(&once, compile_all);
    int i = index_of(name);
    if (i < 0 || builtin.text[i] == NULL) {
        return NULL;
    }
    *len = builtin.len[i];
    return builtin.text[i];
}

const struct template *pages_builtin_template(const char *name)
{
    pthread_once(&once, compile_all);
    int i = index_of(name);
    return i >= 0 ? builtin.t[i] : NULL;
}

/* ---- the weight of a version before it is stored ------------------------------------------ */

#define SAMPLE_ITEMS 3
#define SAMPLE_DEPTH 4
#define SAMPLE_TEXT  "Пример значения длиной в сорок символов"

/* Whether some variable of `v` is used inside section `name`: `name` is then a list. */
static bool holds_names(const struct template_var *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].section != NULL && strcmp(v[i].section, name) == 0) {
            return true;
        }
    }
    return false;
}

/* A context with every name `v` uses inside `section` (NULL: at the top): a section at the top
 * that holds names a list of SAMPLE_ITEMS items of them (the page's lists: fields, what is
 * missing), one deeper an object of them (shown once), any other name a text. */
static json_t *sample(const struct template_var *v, size_t n, const char *section, int depth)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        bool here = section == NULL ? v[i].section == NULL
                                    : v[i].section != NULL && strcmp(v[i].section, section) == 0;
        if (!here || json_object_get(o, v[i].name) != NULL) {
            continue;
        }
        json_t *val;
        bool self = section != NULL && strcmp(v[i].name, section) == 0; /* {{#e}}{{e}}{{/e}} */
        if (depth == 0 && holds_names(v, n, v[i].name)) {
            val = json_array();
            for (int k = 0; k < SAMPLE_ITEMS; k++) {
                json_array_append_new(val, sample(v, n, v[i].name, depth + 1));
            }
        } else if (!self && depth < SAMPLE_DEPTH && holds_names(v, n, v[i].name)) {
            val = sample(v, n, v[i].name, depth + 1);
        } else {
            val = json_string(SAMPLE_TEXT);
        }
        json_object_set_new(o, v[i].name, val);
    }
    return o;
}

enum kt_rc pages_weigh(const char *name, const struct template *page, size_t *bytes,
                       struct kt_err *err)
{
    struct set *s = take();
    int li = index_of("layout"), ni = index_of(name);
    enum kt_rc rc = KT_OK;
    *bytes = 0;
    for (size_t i = 0; i < builtin.n && rc == KT_OK; i++) {
        if (builtin.t[i] == NULL || (int)i == li || (ni != li && (int)i != ni)) {
            continue;
        }
        const struct template_var *v;
        size_t n = template_vars(builtin.t[i], &v);
        json_t *ctx = sample(v, n, NULL, 0);
        struct buf b;
        buf_init(&b, TEMPLATE_OUTPUT_MAX);
        rc = render_in(s, ni == li ? s->e[i].t : page, ni == li ? page : s->e[li].t, SAMPLE_TEXT,
                       ctx, &b, err);
        if (rc == KT_OK && b.len > *bytes) {
            *bytes = b.len;
        }
        buf_release(&b);
        json_decref(ctx);
    }
    put(s);
    return rc;
}
