/*
 * csvin.c - encodings, delimiter detection and the libcsv glue (see csvin.h).
 *
 * libcsv works on bytes and hands out each field with its length, so a NUL byte or a byte that
 * is not UTF-8 inside a value reaches us intact; the row is flagged here, once, and the importer
 * refuses it. Never a C string cut at the NUL.
 */
#include "import/csvin.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include "base/buf.h"
#include "base/mem.h"
#include "clean/clean.h"

/* Converts with an ICU converter `name`; false on failure. */
static bool convert(const char *name, const char *data, size_t len, char **out, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *cv = ucnv_open(name, &st);
    if (U_FAILURE(st)) {
        return false;
    }
    /* Stop on bytes that do not belong to the encoding instead of inventing characters. */
    ucnv_setToUCallBack(cv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
    size_t ucap = len + 16;
    UChar *u = kt_malloc(sizeof(UChar) * ucap);
    int32_t ulen = ucnv_toUChars(cv, u, (int32_t)ucap, data, (int32_t)len, &st);
    ucnv_close(cv);
    if (U_FAILURE(st)) {
        free(u);
        return false;
    }
    int32_t blen = 0;
    st = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &blen, u, ulen, &st);
    st = U_ZERO_ERROR;
    *out = kt_malloc((size_t)blen + 1);
    u_strToUTF8(*out, blen + 1, NULL, u, ulen, &st);
    free(u);
    if (U_FAILURE(st)) {
        free(*out);
        return false;
    }
    *out_len = (size_t)blen;
    return true;
}

/* The length of the valid UTF-8 sequence at p (1 for ASCII), or 0 when p starts none: RFC 3629,
 * no overlong forms, no surrogates, nothing past U+10FFFF (the same rule as clean_utf8_valid). */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
    if (p[0] < 0x80) {
        return 1;
    }
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    if (n == 0 || len < n) {
        return 0;
    }
    unsigned cp = p[0] & (0x7Fu >> n);
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    bool bad = (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
               (cp >= 0xD800 && cp <= 0xDFFF);
    return bad ? 0 : n;
}

/*
 * UTF-8 or Windows-1251, on the whole text. A Cyrillic letter in Windows-1251 is one byte from
 * 0xC0 up, which UTF-8 accepts only when a byte of 0x80-0xBF follows (an upper-case letter
 * before "Ё", "ё", "№", "«"...): Russian text in Windows-1251 has 3-6 valid sequences per 100 bad
 * bytes, even all in capitals, while a UTF-8 file has none bad, or a few in a damaged row. So
 * the file is UTF-8 when its valid multi-byte sequences are at least as many as its bad bytes;
 * a mistaken "UTF-8" is loud (its rows come back as invalid_utf8), a mistaken "Windows-1251"
 * would store every name garbled, so a tie goes to UTF-8.
 */
static bool mostly_utf8(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t good = 0, bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        good += n > 1;
        bad += n == 0;
        i += n ? n : 1;
    }
    return good >= bad;
}

enum kt_rc csvin_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                         size_t *out_len, const char **used, struct kt_err *err)
{
    const unsigned char *p = (const unsigned char *)data;
    bool bom8 = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    bool bom16le = len >= 2 && p[0] == 0xFF && p[1] == 0xFE;
    bool bom16be = len >= 2 && p[0] == 0xFE && p[1] == 0xFF;
    if (encoding == NULL) {
        encoding = bom16le || bom16be               ? "utf-16"
                   : bom8 || mostly_utf8(data, len) ? "utf-8"
                                                    : "windows-1251";
    }
    *used = encoding;
    if (strcmp(encoding, "utf-8") == 0) {
        /* Passed on as it is: the rows that hold bad bytes are found and refused one by one. */
        size_t skip = bom8 ? 3 : 0;
        *out = kt_malloc(len - skip + 1);
        memcpy(*out, data + skip, len - skip);
        (*out)[len - skip] = '\0';
        *out_len = len - skip;
        return KT_OK;
    }
    const char *icu = strcmp(encoding, "utf-16") == 0         ? (bom16be ? "UTF-16BE" : "UTF-16LE")
                      : strcmp(encoding, "windows-1251") == 0 ? "windows-1251"
                                                              : NULL;
    if (icu == NULL) {
        return kt_err_set(err, KT_EINVAL, "bad_encoding", "encoding",
                          "encoding must be utf-8, utf-16 or windows-1251");
    }
    size_t skip = bom16le || bom16be ? 2 : 0;
    if (!convert(icu, data + skip, len - skip, out, out_len)) {
        return kt_err_set(err, KT_EINVAL, "bad_encoding", "encoding", "the file is not valid %s",
                          encoding);
    }
    return KT_OK;
}

char csvin_detect_delimiter(const char *text, size_t len)
{
    size_t semi = 0, comma = 0, tab = 0;
    bool quoted = false;
    for (size_t i = 0; i < len && text[i] != '\n'; i++) {
        char c = text[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted) {
            semi += c == ';';
            comma += c == ',';
            tab += c == '\t';
        }
    }
    if (tab > semi && tab > comma) {
        return '\t';
    }
    return comma > semi ? ',' : ';';
}

struct parse_state {
    struct buf text;     /* the current row's fields, each NUL-terminated, one after another */
    struct buf fixed;    /* a bad row's fields with U+FFFD for each bad byte, the same way */
    size_t *offs;        /* where each field starts in text (then in fixed) */
    size_t *lens;        /* each field's length in bytes, a NUL inside included */
    const char **fields; /* pointers handed to the callback */
    size_t n, cap;
    csvin_row_fn fn;
    void *arg;
    bool stop;
    size_t pos; /* bytes fed so far */
};

static void on_field(void *s, size_t len, void *data)
{
    struct parse_state *ps = data;
    if (ps->stop) {
        return;
    }
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 32;
        ps->offs = kt_realloc(ps->offs, sizeof(*ps->offs) * ps->cap);
        ps->lens = kt_realloc(ps->lens, sizeof(*ps->lens) * ps->cap);
        ps->fields = kt_realloc(ps->fields, sizeof(*ps->fields) * ps->cap);
    }
    ps->offs[ps->n] = ps->text.len;
    ps->lens[ps->n++] = s ? len : 0;
    buf_append(&ps->text, s ? s : "", s ? len : 0);
    buf_putc(&ps->text, '\0');
}

/* Copies field `s` into ps->fixed with U+FFFD for each NUL and each byte that starts no valid
 * UTF-8 sequence; returns what it found first ("nul_byte", "invalid_utf8") or NULL. */
static const char *fix_field(struct parse_state *ps, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const char *found = NULL;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] == 0 ? 0 : utf8_seq(p + i, len - i);
        if (n == 0) {
            found = found ? found : p[i] == 0 ? "nul_byte" : "invalid_utf8";
            buf_puts(&ps->fixed, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        buf_append(&ps->fixed, s + i, n);
        i += n;
    }
    buf_putc(&ps->fixed, '\0');
    return found;
}

/* False when every field is NUL-free UTF-8; else true, `bad` names the first bad field and
 * ps->offs point into ps->fixed. A sound row, the usual case, is only scanned. */
static bool row_bad(struct parse_state *ps, struct csvin_bad *bad)
{
    const char *base = buf_cstr(&ps->text);
    size_t i = 0;
    while (i < ps->n && memchr(base + ps->offs[i], '\0', ps->lens[i]) == NULL &&
           clean_utf8_valid(base + ps->offs[i], ps->lens[i])) {
        i++;
    }
    if (i == ps->n) {
        return false;
    }
    bad->code = NULL;
    buf_reset(&ps->fixed);
    for (size_t k = 0; k < ps->n; k++) {
        size_t at = ps->fixed.len;
        const char *code = fix_field(ps, base + ps->offs[k], ps->lens[k]);
        if (code != NULL && bad->code == NULL) {
            bad->code = code;
            bad->column = k;
        }
        ps->offs[k] = at;
    }
    return true;
}

static void on_row(int c, void *data)
{
    struct parse_state *ps = data;
    const char *base = buf_cstr(&ps->text);
    bool empty = ps->n == 0 || (ps->n == 1 && ps->lens[0] == 0);
    if (!ps->stop && !empty) {
        struct csvin_bad bad;
        bool is_bad = row_bad(ps, &bad);
        base = is_bad ? buf_cstr(&ps->fixed) : base;
        for (size_t i = 0; i < ps->n; i++) {
            ps->fields[i] = base + ps->offs[i];
        }
        ps->stop = !ps->fn(ps->arg, ps->fields, ps->n, ps->pos, is_bad ? &bad : NULL);
    }
    ps->n = 0;
    buf_reset(&ps->text);
}

enum kt_rc csvin_parse(const char *text, size_t len, char delimiter, csvin_row_fn fn, void *arg,
                       struct kt_err *err)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "cannot start the CSV parser");
    }
    csv_set_delim(&p, (unsigned char)delimiter);
    struct parse_state ps;
    memset(&ps, 0, sizeof(ps));
    buf_init(&ps.text, 0);
    buf_init(&ps.fixed, 0);
    ps.fn = fn;
    ps.arg = arg;
    enum kt_rc rc = KT_OK;
    /* Feed line-sized chunks so the callback knows roughly where it is (for progress). */
    const size_t chunk = 64 * 1024;
    for (size_t off = 0; off < len && !ps.stop; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        ps.pos = off + n;
        if (csv_parse(&p, text + off, n, on_field, on_row, &ps) != n) {
            rc = kt_err_set(err, KT_EINVAL, "bad_csv", NULL, "the CSV cannot be read: %s",
                            csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (rc == KT_OK && !ps.stop) {
        ps.pos = len;
        csv_fini(&p, on_field, on_row, &ps);
    }
    buf_release(&ps.text);
    buf_release(&ps.fixed);
    free(ps.offs);
    free(ps.lens);
    free(ps.fields);
    csv_free(&p);
    return rc;
}
