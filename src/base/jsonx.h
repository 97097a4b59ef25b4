/*
 * jsonx.h - small checks on JSON documents that several decoders share.
 */
#ifndef KT_BASE_JSONX_H
#define KT_BASE_JSONX_H

#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"

/*
 * Refuses an object with a member not in the NULL-terminated `known` (KT_EINVAL "unknown_field",
 * field "path.member", or "member" when `path` is "") and anything that is not an object
 * (KT_EINVAL "wrong_type", field `path`, none when ""). A typo in a member's name is an error,
 * never silently dropped data.
 */
enum kt_rc json_only_members(const json_t *o, const char *const *known, const char *path,
                             struct arena *a, struct kt_err *err);

#endif
