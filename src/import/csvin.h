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

/* Converts `data` to UTF-8. `encoding` is NULL to detect, or "utf-8", "utf-16", "windows-1251".
 * *out is malloc'd (the caller frees it); *used says what was found. */
enum kt_rc csvin_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                         size_t *out_len, const char **used, struct kt_err *err);

/* The delimiter of the first line: the most frequent of ';', ',', tab outside quotes (';' on a
 * tie, as Russian Excel writes). */
char csvin_detect_delimiter(const char *text, size_t len);

/* One parsed row: fields are NUL-terminated, valid until the callback returns. */
typedef bool (*csvin_row_fn)(void *arg, const char **fields, size_t n, size_t row_end);

/* Parses the whole text, calling `fn` per row (header included) with the byte offset where the
 * row ends; stops early when `fn` returns false. Empty lines are skipped. */
enum kt_rc csvin_parse(const char *text, size_t len, char delimiter, csvin_row_fn fn, void *arg,
                       struct kt_err *err);

#endif
