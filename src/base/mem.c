/*
 * mem.c - allocation wrappers that abort on exhaustion (see mem.h).
 */
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "kartoteka: out of memory allocating %zu bytes\n", n);
    abort();
}

void *kt_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *kt_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        oom(n * size);
    }
    return p;
}

void *kt_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        oom(n);
    }
    return q;
}

char *kt_strndup(const char *s, size_t n)
{
    char *p = kt_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kt_strdup(const char *s)
{
    return kt_strndup(s, strlen(s));
}
