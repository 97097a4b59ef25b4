/*
 * num.h - the one checked way to turn text into a number (atoi and friends are banned): the whole
 * text must be the number, within [min, max], with no overflow.
 */
#ifndef KT_BASE_NUM_H
#define KT_BASE_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool num_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
bool num_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
