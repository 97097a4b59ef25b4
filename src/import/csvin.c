/*
 * csvin.c - encodings, delimiter detection and the libcsv glue (see csvin.h).
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

enum kt_rc csvin_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                         size_t *out_len, const char **used, struct kt_err *err)
{
    const unsigned char *p = (const unsigned char *)data;
    bool bom8 = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    bool bom16le = len >= 2 && p[0] == 0xFF && p[1] == 0xFE;
    bool bom16be = len >= 2 && p[0] == 0xFE && p[1] == 0xFF;
    if (encoding == NULL) {
        encoding = bom16le || bom16be                    ? "utf-16"
                   : bom8 || clean_utf8_valid(data, len) ? "utf-8"
                                                         : "windows-1251";
    }
    *used = encoding;
    if (strcmp(encoding, "utf-8") == 0) {
        size_t skip = bom8 ? 3 : 0;
        if (!clean_utf8_valid(data + skip, len - skip)) {
            return kt_err_set(err, KT_EINVAL, "bad_encoding", "encoding",
                              "the file is not valid UTF-8; say --encoding windows-1251");
        }
        *out = kt_strndup(data + skip, len - skip);
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
    size_t *offs;        /* where each field starts in text */
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
        ps->fields = kt_realloc(ps->fields, sizeof(*ps->fields) * ps->cap);
    }
    ps->offs[ps->n++] = ps->text.len;
    buf_append(&ps->text, s ? s : "", s ? len : 0);
    buf_putc(&ps->text, '\0');
}

static void on_row(int c, void *data)
{
    struct parse_state *ps = data;
    const char *base = buf_cstr(&ps->text);
    bool empty = ps->n == 0 || (ps->n == 1 && base[ps->offs[0]] == '\0');
    if (!ps->stop && !empty) {
        for (size_t i = 0; i < ps->n; i++) {
            ps->fields[i] = base + ps->offs[i];
        }
        ps->stop = !ps->fn(ps->arg, ps->fields, ps->n, ps->pos);
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
    free(ps.offs);
    free(ps.fields);
    csv_free(&p);
    return rc;
}
