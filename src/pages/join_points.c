/*
 * join_points.c - join points (join_points.h): the checks of a new one, its random code, and
 * its public link.
 */
#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "consent/consent.h"
#include "pages/join_points.h"

const char *const jp_spots[] = {"till", "entrance", "shelf", "other", NULL};

#define CODE_TRIES 8 /* a clash is one in 30^8 / points: retried, never expected twice */

static bool spot_ok(const char *spot)
{
    for (size_t i = 0; spot && jp_spots[i]; i++) {
        if (strcmp(spot, jp_spots[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* A label: at most JP_LABEL_MAX characters (UTF-8 is checked by the JSON decoder), no control
 * characters (they have no place on a poster, and XML refuses most). */
static enum kt_rc label_check(const char *label, struct kt_err *err)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return kt_err_set(err, KT_EINVAL, "invalid_value", "label",
                              "'label' holds a control character");
        }
        chars += (*p & 0xc0) != 0x80;
    }
    if (chars > JP_LABEL_MAX) {
        return kt_err_set(err, KT_EINVAL, "too_long", "label",
                          "'label' is longer than %d characters", JP_LABEL_MAX);
    }
    return KT_OK;
}

static void new_code(char out[JP_CODE_LEN + 1])
{
    for (int i = 0; i < JP_CODE_LEN; i++) {
        out[i] = JP_ALPHABET[randombytes_uniform(sizeof(JP_ALPHABET) - 1)];
    }
    out[JP_CODE_LEN] = '\0';
}

enum kt_rc jp_create(struct store_conn *w, const char *store, const char *spot, const char *label,
                     int64_t now, struct arena *a, struct join_point *out, struct kt_err *err)
{
    if (!spot_ok(spot)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "spot",
                          "'spot' is till, entrance, shelf or other");
    }
    if (label != NULL && label_check(label, err) != KT_OK) {
        return err->rc;
    }
    struct shop s;
    bool found;
    if (store_shop_get(w, store, a, &s, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return kt_err_set(err, KT_EINVAL, "store_not_found", "store",
                          "no store has this code: put it at /v1/stores/{code} first");
    }
    memset(out, 0, sizeof(*out));
    out->store = s.code;
    out->spot = spot;
    out->label = label && label[0] ? label : NULL;
    out->created_at = now;
    for (int i = 0; i < CODE_TRIES; i++) {
        new_code(out->code);
        struct join_point had;
        if (store_join_point_get(w, out->code, a, &had, &found, err) != KT_OK) {
            return err->rc;
        }
        if (!found) {
            return store_join_point_add(w, out, err);
        }
    }
    return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "no free join point code");
}

/* The code as stored: upper case ("7kx2mq9d" typed from a poster finds 7KX2MQ9D). */
static const char *code_norm(const char *code, struct arena *a)
{
    char *c = arena_strdup(a, code);
    for (char *p = c; *p; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    return c;
}

enum kt_rc jp_get(struct store_conn *c, const char *code, struct arena *a, struct join_point *out,
                  struct kt_err *err)
{
    return store_join_point_get(c, code_norm(code, a), a, out, NULL, err);
}

enum kt_rc jp_list(struct store_conn *c, const char *store, const char *after, size_t limit,
                   struct arena *a, struct join_point **out, size_t *n, struct kt_err *err)
{
    return store_join_point_list(c, store, after, limit, a, out, n, err);
}

enum kt_rc jp_disable(struct store_conn *w, const char *code, int64_t now, struct arena *a,
                      struct join_point *out, struct kt_err *err)
{
    const char *c = code_norm(code, a);
    if (store_join_point_disable(w, c, now, err) != KT_OK) {
        return err->rc;
    }
    return store_join_point_get(w, c, a, out, NULL, err);
}

enum kt_rc jp_base(struct store_conn *c, struct arena *a, const char **out, struct kt_err *err)
{
    struct privacy_settings ps;
    if (privacy_settings_get(c, a, &ps, err) != KT_OK) {
        return err->rc;
    }
    if (ps.public_url == NULL || ps.public_url[0] == '\0') {
        return kt_err_set(err, KT_EINVAL, "public_url_required", "public_url",
                          "a join point's link needs public_url: set it in the privacy settings");
    }
    size_t n = strlen(ps.public_url);
    while (n > 0 && ps.public_url[n - 1] == '/') {
        n--;
    }
    *out = arena_printf(a, "%.*s/j/", (int)n, ps.public_url);
    return KT_OK;
}

enum kt_rc jp_link(struct store_conn *c, const char *code, struct arena *a, const char **out,
                   struct kt_err *err)
{
    const char *base = NULL;
    if (jp_base(c, a, &base, err) != KT_OK) {
        return err->rc;
    }
    *out = arena_printf(a, "%s%s", base, code);
    return KT_OK;
}
