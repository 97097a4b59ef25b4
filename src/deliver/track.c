/*
 * track.c - the pixel's and the links' tokens, and the HTML that carries them (see track.h).
 */
#include <sodium.h>
#include <string.h>

#include "base/buf.h"
#include "deliver/track.h"

#define TAG_BYTES   16
#define ID_BYTES    16
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void tag_of(const struct key_secret *k, const unsigned char *p, size_t n,
                   unsigned char tag[TAG_BYTES])
{
    static const char ctx[] = "kartoteka/track/v1";
    unsigned char key[32];
    crypto_generichash(key, sizeof(key), (const unsigned char *)ctx, sizeof(ctx) - 1, k->k,
                       sizeof(k->k));
    crypto_generichash(tag, TAG_BYTES, p, n, key, sizeof(key));
    sodium_memzero(key, sizeof(key));
}

/* "m_" + 32 lowercase hex into 16 bytes. */
static bool id_bytes(const char *id, unsigned char out[ID_BYTES])
{
    if (id == NULL || strncmp(id, "m_", 2) != 0 || strlen(id) != 2 + 2 * ID_BYTES) {
        return false;
    }
    for (const char *p = id + 2; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    size_t n = 0;
    return sodium_hex2bin(out, ID_BYTES, id + 2, 2 * ID_BYTES, NULL, &n, NULL) == 0 &&
           n == ID_BYTES;
}

/* A URL a click may lead to, as signed: http or https, printable ASCII only. */
static bool url_ok(const char *u, size_t n)
{
    if (n > TRACK_URL_MAX || !((n > 7 && strncasecmp(u, "http://", 7) == 0) ||
                               (n > 8 && strncasecmp(u, "https://", 8) == 0))) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

/* The URL as it is signed: outer white space cut, bytes above 0x7e percent-encoded; NULL when it
 * is not one url_ok() takes. */
static const char *url_signable(const char *u, struct arena *a)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(u);
    while (n > 0 && (unsigned char)u[0] <= 0x20) {
        u++;
        n--;
    }
    while (n > 0 && (unsigned char)u[n - 1] <= 0x20) {
        n--;
    }
    if (n > TRACK_URL_MAX) {
        return NULL;
    }
    char *out = arena_alloc(a, 3 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c > 0x7e) {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = '\0';
    return url_ok(out, k) ? out : NULL;
}

const char *track_token(const struct key_secret *k, enum track_kind kind, const char *id,
                        const char *url, struct arena *a)
{
    unsigned char idb[ID_BYTES];
    if (!id_bytes(id, idb)) {
        return NULL;
    }
    size_t ul = 0;
    if (kind == TRACK_CLICK) {
        if (url == NULL || (url = url_signable(url, a)) == NULL) {
            return NULL;
        }
        ul = strlen(url);
    }
    size_t len = 1 + ID_BYTES + ul, total = len + TAG_BYTES;
    unsigned char *p = arena_alloc(a, total);
    p[0] = (unsigned char)kind;
    memcpy(p + 1, idb, ID_BYTES);
    if (ul > 0) {
        memcpy(p + 1 + ID_BYTES, url, ul);
    }
    tag_of(k, p, len, p + len);
    size_t out_len = sodium_base64_ENCODED_LEN(total, B64_VARIANT);
    char *out = arena_alloc(a, out_len);
    sodium_bin2base64(out, out_len, p, total, B64_VARIANT);
    return out;
}

bool track_token_check(const struct key_secret *k, const char *token, enum track_kind kind,
                       struct arena *a, struct track_token *out)
{
    size_t tl = token ? strlen(token) : 0, n = 0;
    if (tl == 0 || tl > TRACK_TOKEN_MAX) {
        return false;
    }
    unsigned char *p = arena_alloc(a, tl);
    if (sodium_base642bin(p, tl, token, tl, NULL, &n, NULL, B64_VARIANT) != 0 ||
        n < 1 + ID_BYTES + TAG_BYTES || p[0] != (unsigned char)kind) {
        return false;
    }
    size_t len = n - TAG_BYTES, ul = len - 1 - ID_BYTES;
    unsigned char tag[TAG_BYTES];
    tag_of(k, p, len, tag);
    if (sodium_memcmp(tag, p + len, TAG_BYTES) != 0) {
        return false;
    }
    const char *url = NULL;
    if (kind == TRACK_CLICK) {
        url = arena_strndup(a, (const char *)p + 1 + ID_BYTES, ul);
        if (strlen(url) != ul || !url_ok(url, ul)) {
            return false; /* never made by track_token: a key that leaked, not a redirect */
        }
    } else if (ul != 0) {
        return false;
    }
    char hex[2 * ID_BYTES + 1];
    sodium_bin2hex(hex, sizeof(hex), p + 1, ID_BYTES);
    *out = (struct track_token){kind, arena_printf(a, "m_%s", hex), url};
    return true;
}

/* ---- the HTML ------------------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* An attribute's value with its character references decoded (the five HTML escapes and numeric
 * ones of ASCII); NULL when it holds another, which is then left alone. */
static const char *unescape(const char *s, size_t n, struct arena *a)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    char *out = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '&') {
            out[k++] = s[i++];
            continue;
        }
        bool done = false;
        for (size_t j = 0; j < sizeof(named) / sizeof(named[0]) && !done; j++) {
            size_t l = strlen(named[j].name);
            if (n - i - 1 >= l && strncmp(s + i + 1, named[j].name, l) == 0) {
                out[k++] = named[j].c;
                i += 1 + l;
                done = true;
            }
        }
        if (!done && n - i > 2 && s[i + 1] == '#') {
            bool x = s[i + 2] == 'x' || s[i + 2] == 'X';
            size_t j = i + 2 + x;
            long v = 0;
            while (j < n && j - i < 10 &&
                   ((s[j] >= '0' && s[j] <= '9') ||
                    (x && ((s[j] >= 'a' && s[j] <= 'f') || (s[j] >= 'A' && s[j] <= 'F'))))) {
                int d = s[j] <= '9' ? s[j] - '0' : (s[j] | 0x20) - 'a' + 10;
                v = v * (x ? 16 : 10) + d;
                j++;
            }
            if (j < n && s[j] == ';' && j > i + 2 + x && v > 0x20 && v < 0x7f) {
                out[k++] = (char)v;
                i = j + 1;
                done = true;
            }
        }
        if (!done) {
            return NULL;
        }
    }
    out[k] = '\0';
    return out;
}

struct rewrite {
    const struct key_secret *k;
    const char *base, *keep, *id;
    struct arena *a;
    struct buf *b;
};

/* The new href of a link whose attribute value is s[0..n), or NULL to leave it. */
static const char *tracked(const struct rewrite *w, const char *s, size_t n)
{
    const char *url = unescape(s, n, w->a);
    if (url == NULL || (w->keep != NULL && strncmp(url, w->keep, strlen(w->keep)) == 0)) {
        return NULL;
    }
    const char *tok = track_token(w->k, TRACK_CLICK, w->id, url, w->a);
    return tok ? arena_printf(w->a, "%s/c/%s", w->base, tok) : NULL;
}

/* Copies the <a ...> tag at `p` (p[0] == '<'), its first http(s) href rewritten; returns where
 * the tag ended (after '>', or the end of the text). */
static const char *anchor(const struct rewrite *w, const char *p)
{
    const char *q = p + 2;
    bool done = false;
    buf_append(w->b, p, 2);
    for (;;) {
        const char *ws = q;
        while (is_space(*q) || *q == '/') {
            q++;
        }
        buf_append(w->b, ws, (size_t)(q - ws));
        if (*q == '\0' || *q == '>') {
            break;
        }
        const char *name = q;
        while (*q && !is_space(*q) && *q != '=' && *q != '>' && *q != '/') {
            q++;
        }
        size_t nl = (size_t)(q - name);
        const char *after_name = q;
        while (is_space(*q)) {
            q++;
        }
        const char *val = NULL;
        size_t vl = 0;
        if (*q == '=') {
            q++;
            while (is_space(*q)) {
                q++;
            }
            if (*q == '"' || *q == '\'') {
                const char *end = strchr(q + 1, *q);
                if (end == NULL) { /* an unclosed quote: the rest as it is */
                    buf_puts(w->b, name);
                    return name + strlen(name);
                }
                val = q + 1;
                vl = (size_t)(end - val);
                q = end + 1;
            } else {
                val = q;
                while (*q && !is_space(*q) && *q != '>') {
                    q++;
                }
                vl = (size_t)(q - val);
            }
        } else {
            q = after_name;
        }
        const char *href = NULL;
        if (!done && val != NULL && nl == 4 && strncasecmp(name, "href", 4) == 0) {
            done = true;
            href = tracked(w, val, vl);
        }
        if (href != NULL) {
            buf_printf(w->b, "href=\"%s\"", href);
        } else {
            buf_append(w->b, name, (size_t)(q - name));
        }
    }
    if (*q == '>') {
        buf_putc(w->b, '>');
        q++;
    }
    return q;
}

/* The last "</body" of the text, case aside, or NULL. */
static const char *body_end(const char *html)
{
    const char *last = NULL;
    for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
        if (strncasecmp(p, "</body", 6) == 0) {
            last = p;
        }
    }
    return last;
}

static void pixel_img(struct buf *b, const char *base, const char *token)
{
    buf_printf(b,
               "<img src=\"%s/o/%s\" width=\"1\" height=\"1\" alt=\"\" "
               "style=\"display:block;width:1px;height:1px;border:0\">",
               base, token);
}

const char *track_html(const struct key_secret *k, const char *base, const char *keep,
                       const char *id, const char *html, struct arena *a)
{
    unsigned char idb[ID_BYTES];
    if (html == NULL || base == NULL || !id_bytes(id, idb) || strpbrk(base, "\"'<> &") != NULL) {
        return html;
    }
    const char *pixel = track_token(k, TRACK_OPEN, id, NULL, a);
    struct buf b;
    buf_init(&b, 0);
    struct rewrite w = {k, base, keep, id, a, &b};
    const char *end = body_end(html);
    const char *p = html;
    while (*p) {
        if (p == end) {
            pixel_img(&b, base, pixel);
            end = NULL;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *c = strstr(p + 4, "-->");
            size_t n = c ? (size_t)(c + 3 - p) : strlen(p);
            buf_append(&b, p, n);
            p += n;
        } else if (p[0] == '<' && (p[1] == 'a' || p[1] == 'A') && is_space(p[2])) {
            p = anchor(&w, p);
        } else {
            buf_putc(&b, *p++);
        }
    }
    if (end != NULL || body_end(html) == NULL) {
        pixel_img(&b, base, pixel);
    }
    const char *out = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return out;
}
