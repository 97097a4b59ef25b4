/*
 * jsonx.c - see jsonx.h. Each check runs in one order everywhere: presence, JSON type, size,
 * range or set, so the first of these that fails names the error.
 */
#include "base/jsonx.h"

#include <string.h>

#include "base/buf.h"
#include "base/clock.h"

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

const char *jsonx_code(const json_t *v)
{
    return v == NULL || json_is_null(v) ? "missing_field"
           : !json_is_string(v)         ? "wrong_type"
                                        : "invalid_value";
}

const char *jsonx_path(char *buf, size_t size, const char *path, const char *name)
{
    kt_snprintf(buf, size, "%s%s%s", path, path[0] ? "." : "", name);
    return buf;
}

/* The member forms build the path in a buffer as long as a kt_err can carry. */
#define FIELD_MAX sizeof(((struct kt_err *)NULL)->field)

/*
 * Presence: true when there is a value to check. Absent or null is missing_field when required
 * (rc set), and nothing at all otherwise.
 */
static bool present(const json_t *v, const char *field, unsigned flags, enum kt_rc *rc,
                    struct kt_err *err)
{
    *rc = KT_OK;
    if (v != NULL && !json_is_null(v)) {
        return true;
    }
    if (flags & JSONX_REQUIRED) {
        *rc = kt_err_set(err, KT_EINVAL, "missing_field", field, "'%s' is required", field);
    }
    return false;
}

static enum kt_rc wrong_type(const char *field, const char *what, struct kt_err *err)
{
    return kt_err_set(err, KT_EINVAL, "wrong_type", field, "'%s' must be %s", field, what);
}

enum kt_rc jsonx_str_at(const json_t *v, const char *field, size_t max, unsigned flags,
                        struct arena *a, const char **out, struct kt_err *err)
{
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_string(v)) {
        return wrong_type(field, "a string", err);
    }
    size_t len = json_string_length(v);
    if (len > max) {
        return kt_err_set(err, KT_EINVAL, "too_long", field, "'%s' is longer than %zu bytes", field,
                          max);
    }
    if (len == 0 && !(flags & JSONX_EMPTY_OK)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field, "'%s' must not be empty", field);
    }
    *out = arena_strndup(a, json_string_value(v), len);
    return KT_OK;
}

enum kt_rc jsonx_str(const json_t *o, const char *path, const char *name, size_t max,
                     unsigned flags, struct arena *a, const char **out, struct kt_err *err)
{
    char f[FIELD_MAX];
    return jsonx_str_at(json_object_get(o, name), jsonx_path(f, sizeof(f), path, name), max, flags,
                        a, out, err);
}

enum kt_rc jsonx_int_at(const json_t *v, const char *field, int64_t min, int64_t max,
                        unsigned flags, int64_t *out, struct kt_err *err)
{
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_integer(v)) {
        return wrong_type(field, "an integer", err);
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field, "'%s' must be %lld to %lld",
                          field, (long long)min, (long long)max);
    }
    *out = n;
    return KT_OK;
}

enum kt_rc jsonx_int(const json_t *o, const char *path, const char *name, int64_t min, int64_t max,
                     unsigned flags, int64_t *out, struct kt_err *err)
{
    char f[FIELD_MAX];
    return jsonx_int_at(json_object_get(o, name), jsonx_path(f, sizeof(f), path, name), min, max,
                        flags, out, err);
}

enum kt_rc jsonx_bool(const json_t *o, const char *path, const char *name, unsigned flags,
                      bool *out, struct kt_err *err)
{
    char f[FIELD_MAX];
    const char *field = jsonx_path(f, sizeof(f), path, name);
    const json_t *v = json_object_get(o, name);
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_boolean(v)) {
        return wrong_type(field, "true or false", err);
    }
    *out = json_is_true(v);
    return KT_OK;
}

enum kt_rc jsonx_enum_at(const json_t *v, const char *field, const char *const *words,
                         unsigned flags, const char **out, struct kt_err *err)
{
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_string(v)) {
        return wrong_type(field, "a string", err);
    }
    struct buf list;
    buf_init(&list, sizeof(err->msg));
    for (size_t i = 0; words[i] != NULL; i++) {
        if (strcmp(json_string_value(v), words[i]) == 0) {
            *out = words[i];
            buf_release(&list);
            return KT_OK;
        }
        buf_printf(&list, "%s%s", i ? ", " : "", words[i]);
    }
    rc = kt_err_set(err, KT_EINVAL, "invalid_value", field, "'%s' must be one of %s", field,
                    buf_cstr(&list));
    buf_release(&list);
    return rc;
}

enum kt_rc jsonx_enum(const json_t *o, const char *path, const char *name, const char *const *words,
                      unsigned flags, const char **out, struct kt_err *err)
{
    char f[FIELD_MAX];
    return jsonx_enum_at(json_object_get(o, name), jsonx_path(f, sizeof(f), path, name), words,
                         flags, out, err);
}

enum kt_rc jsonx_array(const json_t *o, const char *path, const char *name, size_t min, size_t max,
                       unsigned flags, const json_t **out, struct kt_err *err)
{
    char f[FIELD_MAX];
    const char *field = jsonx_path(f, sizeof(f), path, name);
    const json_t *v = json_object_get(o, name);
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_array(v)) {
        return wrong_type(field, "an array", err);
    }
    if (json_array_size(v) > max) {
        return kt_err_set(err, KT_EINVAL, "too_many", field, "'%s' holds more than %zu items",
                          field, max);
    }
    if (json_array_size(v) < min) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", field,
                          "'%s' must hold at least %zu item%s", field, min, min == 1 ? "" : "s");
    }
    *out = v;
    return KT_OK;
}

enum kt_rc jsonx_object(const json_t *o, const char *path, const char *name,
                        const char *const *known, unsigned flags, struct arena *a,
                        const json_t **out, struct kt_err *err)
{
    char f[FIELD_MAX];
    const char *field = jsonx_path(f, sizeof(f), path, name);
    const json_t *v = json_object_get(o, name);
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_object(v)) {
        return wrong_type(field, "an object", err);
    }
    if (known != NULL && json_only_members(v, known, field, a, err) != KT_OK) {
        return err->rc;
    }
    *out = v;
    return KT_OK;
}

enum kt_rc jsonx_time_at(const json_t *v, const char *field, int64_t now, unsigned flags,
                         int64_t *out, struct kt_err *err)
{
    enum kt_rc rc;
    if (!present(v, field, flags, &rc, err)) {
        return rc;
    }
    if (!json_is_string(v)) {
        return wrong_type(field, "an RFC 3339 time string", err);
    }
    int64_t ms;
    if (!time_parse_rfc3339(json_string_value(v), json_string_length(v), &ms)) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", field,
                          "'%s' must be an RFC 3339 time such as 2026-11-24T10:00:00+03:00", field);
    }
    const char *why = time_client_check(ms, now);
    if (why != NULL) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", field, "'%s' %s", field, why);
    }
    *out = ms;
    return KT_OK;
}

enum kt_rc jsonx_time(const json_t *o, const char *path, const char *name, int64_t now,
                      unsigned flags, int64_t *out, struct kt_err *err)
{
    char f[FIELD_MAX];
    return jsonx_time_at(json_object_get(o, name), jsonx_path(f, sizeof(f), path, name), now, flags,
                         out, err);
}
