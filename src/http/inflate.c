/*
 * inflate.c - a request body sent with Content-Encoding: gzip, inflated (zlib). Only the
 * tracking routes take one (ROUTE_TRACK: the Segment SDKs of phones compress their batches).
 * What a body may inflate to is bounded, and inflating stops there: a gzip bomb of a few
 * kilobytes costs no more than a body of the bound.
 */
#include <string.h>
#include <zlib.h>

#include "http/server_int.h"

enum inflate_result http_inflate(const char *in, size_t n, size_t max, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) { /* 16: a gzip wrapper, not zlib's own */
        return INFLATE_BAD;
    }
    buf_init(out, max + 1);
    unsigned char chunk[16384];
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int zr = Z_OK;
    enum inflate_result res = INFLATE_OK;
    while (zr == Z_OK) {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        zr = inflate(&z, Z_NO_FLUSH);
        size_t got = sizeof(chunk) - z.avail_out;
        if ((zr == Z_OK || zr == Z_STREAM_END) && got > 0 &&
            (out->len + got > max || !buf_append(out, chunk, got))) {
            res = INFLATE_TOO_BIG;
            break;
        }
        if (zr == Z_OK && z.avail_in == 0 && got == 0) {
            zr = Z_DATA_ERROR; /* the body ended inside the stream */
        }
    }
    /* One gzip member and nothing after it: trailing bytes are a body we do not understand. */
    if (res == INFLATE_OK && (zr != Z_STREAM_END || z.avail_in != 0)) {
        res = INFLATE_BAD;
    }
    inflateEnd(&z);
    if (res != INFLATE_OK) {
        buf_release(out);
    }
    return res;
}
