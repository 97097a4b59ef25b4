/*
 * mem.h - allocation that never returns NULL: running out of memory aborts, as in Redis, h2o and
 * PostgreSQL. Hitting a *limit* is an ordinary error and is handled by the caller instead.
 */
#ifndef KT_BASE_MEM_H
#define KT_BASE_MEM_H

#include <stddef.h>

void *kt_malloc(size_t n);
void *kt_calloc(size_t n, size_t size);
void *kt_realloc(void *p, size_t n);
char *kt_strdup(const char *s);
char *kt_strndup(const char *s, size_t n);

#endif
