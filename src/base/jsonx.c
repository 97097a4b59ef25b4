/*
 * jsonx.c - see jsonx.h.
 */
#include "base/jsonx.h"

#include <stdbool.h>
#include <string.h>

enum kt_rc json_only_members(const json_t *o, const char *const *known, const char *path,
                             struct arena *a, struct kt_err *err)
{
    if (!json_is_object(o)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", path[0] ? arena_strdup(a, path) : NULL,
                          "%s must be an object", path[0] ? path : "the body");
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++) {
            ok = strcmp(key, known[i]) == 0;
        }
        if (!ok) {
            const char *field =
                path[0] ? arena_printf(a, "%s.%s", path, key) : arena_strdup(a, key);
            return kt_err_set(err, KT_EINVAL, "unknown_field", field, "unknown field '%s'", field);
        }
    }
    return KT_OK;
}
