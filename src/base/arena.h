/*
 * arena.h - a memory pool freed in one go (after h2o's per-request pool).
 *
 * Each HTTP request and each CLI command owns one arena; everything allocated from it lives until
 * arena_release(). Allocations are 16-byte aligned. Large requests get their own block. Cleanups
 * registered with arena_defer() run in reverse order at release, so objects with their own
 * destructors (a Jansson value) can share the arena's lifetime.
 */
#ifndef KT_BASE_ARENA_H
#define KT_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena_defer;

struct arena {
    struct arena_block *head;   /* owned; the block being filled first */
    struct arena_defer *defers; /* owned; cleanups in reverse registration order */
    size_t block_size;          /* bytes per ordinary block */
};

void arena_init(struct arena *a, size_t block_size); /* 0 = 8 KiB */
void arena_release(struct arena *a);                 /* frees everything; `a` may be reused */

void *arena_alloc(struct arena *a, size_t n);  /* never NULL; aborts when memory runs out */
void *arena_zalloc(struct arena *a, size_t n); /* zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends one zeroed element of `elem` bytes to the array *arr of *n elements and *cap capacity,
 * growing it in the arena (doubling; the old copy stays in the arena until release). Returns the
 * new element. Start with *arr = NULL, *n = *cap = 0.
 */
void *arena_push(struct arena *a, void *arr, size_t *n, size_t *cap, size_t elem);

typedef void (*arena_cleanup_fn)(void *p);
void arena_defer(struct arena *a, arena_cleanup_fn fn, void *p);

#endif
