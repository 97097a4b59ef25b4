/*
 * dedup_int.h - what the matcher's files share (not part of the dedup/ interface).
 */
#ifndef KT_DEDUP_INT_H
#define KT_DEDUP_INT_H

#include "dedup/dedup.h"

/* What one person's two records usually show at this level of a kind's comparison (compare.c):
 * EM's start and the prior it keeps (matcher.c). */
double dedup_level_prior(enum dedup_kind k, int level);
/* What two people taken at random usually show at this level in a large base: the prior of u
 * (matcher.c), which counts only where a file is too small to say. */
double dedup_level_u_prior(enum dedup_kind k, int level);

#endif
