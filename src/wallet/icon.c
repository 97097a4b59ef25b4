/*
 * icon.c - the icon a pass carries when the retailer gave no images (docs/wallet.md): Wallet
 * refuses a pass without icon.png, so Kartoteka draws a plain one, a dark square with a lighter
 * border, with libpng.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "wallet/wallet_int.h"

static void to_buf(png_structp png, png_bytep data, size_t n)
{
    buf_append(png_get_io_ptr(png), data, n);
}

static void no_flush(png_structp png)
{
    (void)png;
}

/* Writes the image into `b`; false when libpng failed (its longjmp lands here). */
static bool draw(unsigned side, struct buf *b, png_bytep row)
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
    png_set_write_fn(png, b, to_buf, no_flush);
    png_set_IHDR(png, info, side, side, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    unsigned edge = side / 8 > 0 ? side / 8 : 1;
    for (unsigned y = 0; y < side; y++) {
        for (unsigned x = 0; x < side; x++) {
            bool border = x < edge || y < edge || x >= side - edge || y >= side - edge;
            png_bytep px = row + 3 * x;
            px[0] = border ? 0x4a : 0x1f; /* a dark blue-grey square, lighter at the edge */
            px[1] = border ? 0x6f : 0x3a;
            px[2] = border ? 0xa5 : 0x5f;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

bool wallet_icon_png(unsigned side, unsigned char **out, size_t *len)
{
    struct buf b;
    buf_init(&b, 1u << 20);
    png_bytep row = malloc(3u * side);
    bool ok = row != NULL && draw(side, &b, row);
    free(row);
    if (!ok || b.failed) {
        buf_release(&b);
        return false;
    }
    *len = b.len;
    *out = (unsigned char *)buf_take(&b);
    return true;
}
