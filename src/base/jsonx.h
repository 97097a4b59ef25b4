/*
 * jsonx.h - the one decoder rule for JSON members, shared by every handler and domain decoder.
 *
 * Every member is read by one of these helpers, so a client gets the same answer for the same
 * mistake everywhere, always with the member's JSON path in `field`:
 *   missing_field  a required member is absent (or null)
 *   wrong_type     present with the wrong JSON type
 *   too_long       a string over its byte limit (too_many: an array over its item limit)
 *   invalid_value  the right type, outside the allowed range or set (an empty string included)
 *   invalid_time   a string that is not an RFC 3339 time, or outside the plausible window (clock.h)
 *   unknown_field  a member the object does not have
 * A null member reads as absent: an optional one is left as it was, a required one is missing.
 * Decoders that give null a meaning of its own (PATCH removes a value) test for it first.
 *
 * The member forms take the object's own path ("" at the top, "lines[2]", "source") and the
 * member's name; the `_at` forms take a value (NULL when absent) and its full path, for array
 * items. On error nothing is written to `out`.
 */
#ifndef KT_BASE_JSONX_H
#define KT_BASE_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

#define JSONX_REQUIRED 1u /* absent or null: missing_field */
#define JSONX_EMPTY_OK 2u /* "" is a value; otherwise an empty string is invalid_value */

/*
 * Refuses an object with a member not in the NULL-terminated `known` (KT_EINVAL "unknown_field",
 * field "path.member", or "member" when `path` is "") and anything that is not an object
 * (KT_EINVAL "wrong_type", field `path`, none when ""). A typo in a member's name is an error,
 * never silently dropped data.
 */
enum kt_rc json_only_members(const json_t *o, const char *const *known, const char *path,
                             struct arena *a, struct kt_err *err);

/* A string of at most `max` bytes, copied into `a`. */
enum kt_rc jsonx_str(const json_t *o, const char *path, const char *name, size_t max,
                     unsigned flags, struct arena *a, const char **out, struct kt_err *err);
enum kt_rc jsonx_str_at(const json_t *v, const char *field, size_t max, unsigned flags,
                        struct arena *a, const char **out, struct kt_err *err);

/* An integer in [min, max]; a number with a fraction (even 1.0) is wrong_type. */
enum kt_rc jsonx_int(const json_t *o, const char *path, const char *name, int64_t min, int64_t max,
                     unsigned flags, int64_t *out, struct kt_err *err);
enum kt_rc jsonx_int_at(const json_t *v, const char *field, int64_t min, int64_t max,
                        unsigned flags, int64_t *out, struct kt_err *err);

/* true or false. */
enum kt_rc jsonx_bool(const json_t *o, const char *path, const char *name, unsigned flags,
                      bool *out, struct kt_err *err);

/* One of the NULL-terminated `words`; *out is the matching entry of `words` (static). */
enum kt_rc jsonx_enum(const json_t *o, const char *path, const char *name, const char *const *words,
                      unsigned flags, const char **out, struct kt_err *err);
enum kt_rc jsonx_enum_at(const json_t *v, const char *field, const char *const *words,
                         unsigned flags, const char **out, struct kt_err *err);

/* An array of `min`..`max` items (fewer: invalid_value, more: too_many); *out is borrowed. */
enum kt_rc jsonx_array(const json_t *o, const char *path, const char *name, size_t min, size_t max,
                       unsigned flags, const json_t **out, struct kt_err *err);

/* An object whose members are all in `known` (NULL: any); *out is borrowed. */
enum kt_rc jsonx_object(const json_t *o, const char *path, const char *name,
                        const char *const *known, unsigned flags, struct arena *a,
                        const json_t **out, struct kt_err *err);

/*
 * A time a client sends: an RFC 3339 string inside the plausible window (time_client_check in
 * clock.h) around `now`, as UTC ms; anything else is invalid_time.
 */
enum kt_rc jsonx_time(const json_t *o, const char *path, const char *name, int64_t now,
                      unsigned flags, int64_t *out, struct kt_err *err);
enum kt_rc jsonx_time_at(const json_t *v, const char *field, int64_t now, unsigned flags,
                         int64_t *out, struct kt_err *err);

/* The code for a word member `v` a decoder found not to be one of its words: missing_field when
 * absent or null, wrong_type when not a string, invalid_value otherwise. */
const char *jsonx_code(const json_t *v);

/* "path.name", or "name" when `path` is "", into `buf` (truncated to fit a kt_err field). */
const char *jsonx_path(char *buf, size_t size, const char *path, const char *name);

#endif
