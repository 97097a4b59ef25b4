/*
 * id.h - public identifiers: random and unguessable, never sequential (ARCHITECTURE.md).
 *
 * An id is a short type prefix and 20 characters of lower-case Crockford base32 drawn from the
 * operating system's CSPRNG (through libsodium): 100 bits, e.g. "c_7k2mq8x0d4n5r9t1v6w3yz".
 */
#ifndef KT_BASE_ID_H
#define KT_BASE_ID_H

#include <stdbool.h>
#include <stddef.h>

#define ID_RANDOM_CHARS 20
#define ID_MAX          32 /* room for any prefix we use, the random part and the NUL */

/* Writes prefix + random part into out (size >= ID_MAX). */
void id_new(char *out, size_t size, const char *prefix);

/* Random base32 text of `n` characters into out (size > n). */
void id_random_text(char *out, size_t n);

/* True when `s` looks like an id with this prefix (shape only; it may not exist). */
bool id_valid(const char *s, const char *prefix);

#endif
