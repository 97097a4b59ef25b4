/*
 * dedup_int.h - what the matcher's files share (not part of the dedup/ interface).
 */
#ifndef KT_DEDUP_INT_H
#define KT_DEDUP_INT_H

#include "dedup/dedup.h"

/* The code points of UTF-8 `s` into out; how many, or cap + 1 when there are more. */
size_t dedup_cps(const char *s, unsigned *out, size_t cap);
/* n code points as UTF-8, in the arena. */
char *dedup_utf8(const unsigned *cps, size_t n, struct arena *a);

#endif
