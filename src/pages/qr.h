/*
 * qr.h - QR codes of a text (libqrencode: error correction M, 8-bit mode) drawn as SVG (one
 * <path> of the dark modules, a quiet zone of 4 modules, the viewBox in modules) and as a 1-bit
 * PNG (libpng, written to memory); and the EAN-13 of a card number as SVG (barcode.c).
 * docs/pages.md, "Join points and QR codes".
 */
#ifndef KT_PAGES_QR_H
#define KT_PAGES_QR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"

#define QR_QUIET         4   /* modules of light margin on each side (ISO/IEC 18004) */
#define QR_TEXT_MAX      512 /* bytes of text a code carries here (a link) */
#define QR_MODULE_PX_MAX 32

/* The module matrix: width x width bytes, row by row, 1 dark, 0 light (no quiet zone). */
struct qr_matrix {
    int width;
    unsigned char *dark;
};

/* Encodes `text` (1..QR_TEXT_MAX bytes); the matrix lives in `a`. KT_EINVAL "invalid_value"
 * (field `field`) for an empty or too long text. */
enum kt_rc qr_encode(const char *text, const char *field, struct arena *a, struct qr_matrix *out,
                     struct kt_err *err);

/* Appends the <path> of the dark modules, in modules, offset by the quiet zone: one subpath
 * "M x y h n v 1 h -n z" per horizontal run of dark modules. */
void qr_svg_path(const struct qr_matrix *m, struct buf *b);

/* A whole SVG document of the code of `text`, with `title` (escaped) as its <title>. */
enum kt_rc qr_svg(const char *text, const char *title, struct arena *a, const char **out,
                  struct kt_err *err);

/* A 1-bit greyscale PNG of the code of `text`, `module_px` (1..QR_MODULE_PX_MAX) pixels a
 * module, quiet zone included; the bytes live in `a`. */
enum kt_rc qr_png(const char *text, int module_px, struct arena *a, const unsigned char **out,
                  size_t *len, struct kt_err *err);

/* ---- barcode.c ------------------------------------------------------------------------------ */

/* The 95 modules of the EAN-13 `number` (13 digits, a valid check digit) as '1' (bar) and '0'
 * (space), NUL-terminated; false for anything else. */
bool ean13_modules(const char *number, char out[96]);

/* An SVG of the EAN-13 `number`: the bars (11 modules of quiet zone left, 7 right; the guards
 * longer) and its digits below. KT_EINVAL "invalid_value" (field `field`) for a bad number. */
enum kt_rc ean13_svg(const char *number, const char *field, struct arena *a, const char **out,
                     struct kt_err *err);

#endif
