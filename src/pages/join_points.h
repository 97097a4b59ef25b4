/*
 * join_points.h - join points (docs/pages.md, "Join points and QR codes"): a store and a spot in
 * it (till, entrance, shelf, other) where a QR code invites customers to join, named by a short
 * random code that its public link `<public_url>/j/<code>` carries; and the printable poster of
 * one (poster.c).
 */
#ifndef KT_PAGES_JOIN_POINTS_H
#define KT_PAGES_JOIN_POINTS_H

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#define JP_CODE_LEN  8
#define JP_LABEL_MAX 100                              /* characters */
#define JP_ALPHABET  "23456789ABCDEFGHJKMNPQRSTVWXYZ" /* Crockford's, without 0/O and 1/I/L */

/* The spots a join point may be at, NULL-terminated. */
extern const char *const jp_spots[];

/* Creates a join point of store `store` (KT_EINVAL "store_not_found", field "store", when the
 * stores table lacks it) at `spot` (one of jp_spots; "invalid_value") with `label` (NULL, or up
 * to JP_LABEL_MAX characters without control characters; "too_long", "invalid_value"), under a
 * new random code. */
enum kt_rc jp_create(struct store_conn *w, const char *store, const char *spot, const char *label,
                     int64_t now, struct arena *a, struct join_point *out, struct kt_err *err);

/* One by its code, in either case (KT_ENOTFOUND "join_point_not_found"). */
enum kt_rc jp_get(struct store_conn *c, const char *code, struct arena *a, struct join_point *out,
                  struct kt_err *err);

/* A page by code after `after`, only `store`'s when not NULL. */
enum kt_rc jp_list(struct store_conn *c, const char *store, const char *after, size_t limit,
                   struct arena *a, struct join_point **out, size_t *n, struct kt_err *err);

/* Disables it (the first moment stays) and reads it back into `out`. */
enum kt_rc jp_disable(struct store_conn *w, const char *code, int64_t now, struct arena *a,
                      struct join_point *out, struct kt_err *err);

/* The links' common start `<public_url>/j/` (KT_EINVAL "public_url_required", field
 * "public_url", when unset). */
enum kt_rc jp_base(struct store_conn *c, struct arena *a, const char **out, struct kt_err *err);

/* The public link of code `code`: `<public_url>/j/<code>`, from the privacy settings
 * (KT_EINVAL "public_url_required", field "public_url", when unset). */
enum kt_rc jp_link(struct store_conn *c, const char *code, struct arena *a, const char **out,
                   struct kt_err *err);

/* ---- poster.c ------------------------------------------------------------------------------- */

/* A printable poster: an A5 or A6 page in millimetres with the heading (the operator's name from
 * the privacy settings, else the store's title), the store's title and city, the QR code of the
 * link, the link in large type and the spot's label. `paper` is "a5" or "a6" (KT_EINVAL
 * "invalid_value", field "paper"). */
enum kt_rc jp_poster(struct store_conn *c, const struct join_point *j, const char *paper,
                     struct arena *a, const char **out, struct kt_err *err);

#endif
