/*
 * arena.c - bump allocator over a list of blocks. Not thread-safe: an arena belongs to one request.
 */
#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

struct arena_block {
    struct arena_block *next;
    size_t used; /* bytes of data[] handed out */
    size_t size; /* bytes of data[] */
    alignas(16) unsigned char data[];
};

struct arena_defer {
    struct arena_defer *next;
    arena_cleanup_fn fn;
    void *p;
};

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->defers = NULL;
    a->block_size = block_size ? block_size : 8192;
}

void arena_release(struct arena *a)
{
    for (struct arena_defer *d = a->defers; d != NULL; d = d->next) {
        d->fn(d->p);
    }
    a->defers = NULL;
    struct arena_block *b = a->head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

static struct arena_block *block_new(size_t size)
{
    struct arena_block *b = kt_malloc(sizeof(*b) + size);
    b->next = NULL;
    b->used = 0;
    b->size = size;
    return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) {
        n = 16;
    }
    struct arena_block *b = a->head;
    if (b != NULL && b->size - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        return p;
    }
    if (n > a->block_size / 4) {
        /* A big allocation gets a block of its own, kept behind the current one so the space
         * left in the current block is not wasted. */
        struct arena_block *big = block_new(n);
        big->used = n;
        if (b != NULL) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        return big->data;
    }
    struct arena_block *nb = block_new(a->block_size);
    nb->next = b;
    a->head = nb;
    nb->used = n;
    return nb->data;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (n > 0) {
        memcpy(p, s, n);
    }
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return arena_strdup(a, "");
    }
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_defer(struct arena *a, arena_cleanup_fn fn, void *p)
{
    struct arena_defer *d = arena_alloc(a, sizeof(*d));
    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}

void *arena_push(struct arena *a, void *arr, size_t *n, size_t *cap, size_t elem)
{
    void **slot = arr;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        void *bigger = arena_alloc(a, elem * ncap);
        if (*n > 0) {
            memcpy(bigger, *slot, elem * *n);
        }
        *slot = bigger;
        *cap = ncap;
    }
    void *e = (char *)*slot + elem * (*n)++;
    memset(e, 0, elem);
    return e;
}
