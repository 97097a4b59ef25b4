/*
 * qr.c - QR codes as SVG and PNG (qr.h). libqrencode makes the matrix (error correction M,
 * 8-bit mode, the smallest version that holds the text); the drawing is here.
 */
#include <png.h>
#include <qrencode.h>
#include <string.h>

#include "pages/qr.h"
#include "template/template.h"

enum kt_rc qr_encode(const char *text, const char *field, struct arena *a, struct qr_matrix *out,
                     struct kt_err *err)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > QR_TEXT_MAX) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field, "a QR code's text is 1-%d bytes",
                          QR_TEXT_MAX);
    }
    QRcode *q = QRcode_encodeData((int)n, (const unsigned char *)text, 0, QR_ECLEVEL_M);
    if (q == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the QR code could not be made");
    }
    size_t cells = (size_t)q->width * (size_t)q->width;
    out->width = q->width;
    out->dark = arena_alloc(a, cells);
    for (size_t i = 0; i < cells; i++) {
        out->dark[i] = q->data[i] & 1; /* bit 0: dark; the others say what the module is */
    }
    QRcode_free(q);
    return KT_OK;
}

void qr_svg_path(const struct qr_matrix *m, struct buf *b)
{
    buf_puts(b, "<path d=\"");
    for (int y = 0; y < m->width; y++) {
        const unsigned char *row = m->dark + (size_t)y * (size_t)m->width;
        for (int x = 0; x < m->width;) {
            if (!row[x]) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < m->width && row[x + run]) {
                run++;
            }
            buf_printf(b, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
            x += run;
        }
    }
    buf_puts(b, "\"/>");
}

enum kt_rc qr_svg(const char *text, const char *title, struct arena *a, const char **out,
                  struct kt_err *err)
{
    struct qr_matrix m;
    if (qr_encode(text, "text", a, &m, err) != KT_OK) {
        return err->rc;
    }
    int side = m.width + 2 * QR_QUIET;
    struct buf b;
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\" role=\"img\"><title>",
               side, side);
    template_escape_html(&b, title, strlen(title));
    buf_printf(&b, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>", side, side);
    qr_svg_path(&m, &b);
    buf_puts(&b, "</svg>\n");
    *out = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return KT_OK;
}

/* libpng's write callback: appends to the buf. */
static void png_to_buf(png_structp png, png_bytep data, size_t n)
{
    buf_append(png_get_io_ptr(png), data, n);
}

static void png_no_flush(png_structp png)
{
    (void)png;
}

/* Writes the image; false when libpng failed (its longjmp lands here, nothing else to free). */
static bool png_write(const struct qr_matrix *m, int px, struct buf *b, png_bytep row)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    int side = (m->width + 2 * QR_QUIET) * px;
    png_set_write_fn(png, b, png_to_buf, png_no_flush);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t row_bytes = ((size_t)side + 7) / 8;
    for (int y = 0; y < side; y++) {
        memset(row, 0xff, row_bytes); /* 1 is white in a 1-bit grey image */
        int my = y / px - QR_QUIET;
        for (int x = 0; x < side && my >= 0 && my < m->width; x++) {
            int mx = x / px - QR_QUIET;
            if (mx >= 0 && mx < m->width && m->dark[(size_t)my * (size_t)m->width + (size_t)mx]) {
                row[x / 8] &= (png_byte) ~(0x80u >> (x % 8));
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

enum kt_rc qr_png(const char *text, int module_px, struct arena *a, const unsigned char **out,
                  size_t *len, struct kt_err *err)
{
    if (module_px < 1 || module_px > QR_MODULE_PX_MAX) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "module_px", "a module is 1-%d pixels",
                          QR_MODULE_PX_MAX);
    }
    struct qr_matrix m;
    if (qr_encode(text, "text", a, &m, err) != KT_OK) {
        return err->rc;
    }
    size_t side = (size_t)(m.width + 2 * QR_QUIET) * (size_t)module_px;
    png_bytep row = arena_alloc(a, (side + 7) / 8);
    struct buf b;
    buf_init(&b, BUF_MAX_DEFAULT);
    bool ok = png_write(&m, module_px, &b, row) && !b.failed;
    if (ok) {
        unsigned char *p = arena_alloc(a, b.len ? b.len : 1);
        memcpy(p, b.p, b.len);
        *out = p;
        *len = b.len;
    }
    buf_release(&b);
    return ok ? KT_OK
              : kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the PNG could not be written");
}
