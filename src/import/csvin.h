/*
 * csvin.h - reading the CSV files Russian Excel and shop systems export: any of ';', ',' or tab
 * as the delimiter, UTF-8 with or without a byte order mark, UTF-16 with one ("Unicode text"),
 * or Windows-1251. The text is converted to UTF-8 in memory, then parsed with libcsv.
 */
#ifndef KT_IMPORT_CSVIN_H
#define KT_IMPORT_CSVIN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/*
 * Converts `data` to UTF-8. `encoding` is NULL to detect, or "utf-8", "utf-16", "windows-1251".
 * *out is malloc'd (the caller frees it); *used says what was found.
 *
 * Detection looks at the whole file: a byte order mark decides; otherwise the file is UTF-8 when
 * its valid multi-byte UTF-8 sequences are at least as many as its bytes that start none, and
 * Windows-1251 when not (a Windows-1251 text scores a few per cent: see docs/import.md). A UTF-8
 * file is passed on as it is, bad bytes included: csvin_parse() finds the rows that hold them.
 */
enum kt_rc csvin_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                         size_t *out_len, const char **used, struct kt_err *err);

/* The delimiter of the first line: the most frequent of ';', ',', tab outside quotes (';' on a
 * tie, as Russian Excel writes). */
char csvin_detect_delimiter(const char *text, size_t len);

/* Why a row cannot be taken as it stands. */
struct csvin_bad {
    const char *code; /* "nul_byte" or "invalid_utf8"; static */
    size_t column;    /* index of the first field that holds one */
};

/* One parsed row: fields are NUL-terminated, valid until the callback returns. `bad` is NULL for
 * a sound row; for a row with a NUL byte or a byte that is not UTF-8 in a field, it names the
 * first, and every such byte of the fields handed out is replaced by U+FFFD, so a field is never
 * silently cut at a NUL and what is handed out is always valid UTF-8. */
typedef bool (*csvin_row_fn)(void *arg, const char **fields, size_t n, size_t row_end,
                             const struct csvin_bad *bad);

/* Parses the whole text, calling `fn` per row (header included) with the byte offset where the
 * row ends; stops early when `fn` returns false. Empty lines are skipped. */
enum kt_rc csvin_parse(const char *text, size_t len, char delimiter, csvin_row_fn fn, void *arg,
                       struct kt_err *err);

#endif
