/*
 * wallet.c - wallet cards (docs/wallet.md): the links of a customer's card, the links
 * themselves, and Apple's web service for passes. The work is wallet/'s; this file decodes,
 * calls and replies.
 *
 *   GET /v1/customers/{id}/wallet            the links (staff keys)
 *   GET /w/{token}/apple, /w/{token}/google  the .pkpass; a 302 to Google's save page
 *   POST|DELETE /wallet/v1/devices/{device}/registrations/{pass_type}/{serial}
 *   GET  /wallet/v1/devices/{device}/registrations/{pass_type}?passesUpdatedSince=
 *   GET  /wallet/v1/passes/{pass_type}/{serial}
 *   POST /wallet/v1/log
 */
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "auth/links.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "base/num.h"
#include "consent/consent.h"
#include "identity/identity.h"
#include "wallet/wallet.h"

#define PKPASS_TYPE "application/vnd.apple.pkpass"

static enum kt_rc off(struct kt_err *err)
{
    return kt_err_set(err, KT_ENOTFOUND, "wallet_off", NULL,
                      "wallet cards are not configured on this server (serve --wallet)");
}

/* The privacy settings' public_url, or NULL when unset. */
static const char *public_url(struct store_conn *c, struct arena *a, struct kt_err *err)
{
    struct privacy_settings ps;
    if (privacy_settings_get(c, a, &ps, err) != KT_OK) {
        return NULL;
    }
    return ps.public_url != NULL && ps.public_url[0] != '\0' ? ps.public_url : NULL;
}

enum kt_rc api_msg_links(struct http_req *r, struct store_conn *c, struct msg_links *out,
                         struct kt_err *err)
{
    out->k = &r->app->secret;
    out->public_url = public_url(c, r->arena, err);
    return err->rc;
}

static json_t *link(struct http_req *r, const char *base, const char *token, const char *kind)
{
    const char *path = arena_printf(r->arena, "/w/%s/%s", token, kind);
    json_t *o = json_pack("{s:s}", "path", path);
    if (base != NULL) {
        json_object_set_new(o, "url", json_string(arena_printf(r->arena, "%s%s", base, path)));
    }
    return o;
}

enum kt_rc api_customer_wallet(struct http_req *r, struct kt_err *err)
{
    const struct wallet *wl = r->app->wallet;
    if (wl == NULL) {
        return off(err);
    }
    int64_t now = clock_now_ms();
    struct store_conn *w;
    struct customer cu;
    struct wallet_view v;
    struct wallet_device *dev = NULL;
    size_t ndev = 0;
    const char *base = NULL;
    http_req_reader_end(r); /* the key check's snapshot: a write begins */
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = api_path_customer(r, w, &cu, err);
    rc = rc == KT_OK ? ident_live(&cu, "id", NULL, err) : rc;
    rc = rc == KT_OK ? wallet_view_of(w, &r->app->secret, cu.ck, now, r->arena, &v, err) : rc;
    rc = rc == KT_OK ? store_wallet_devices_of(w, v.pass.serial, r->arena, &dev, &ndev, err) : rc;
    if (rc == KT_OK) {
        base = public_url(w, r->arena, err);
        rc = err->rc;
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    const char *token = links_w_token(&r->app->secret, cu.id, now, r->arena);
    json_t *o = json_pack("{s:s, s:s, s:I}", "customer_id", cu.id, "serial", v.pass.serial,
                          "devices", (json_int_t)ndev);
    if (wallet_has_apple(wl)) {
        json_object_set_new(o, "apple", link(r, base, token, "apple"));
    }
    if (wallet_has_google(wl)) {
        json_object_set_new(o, "google", link(r, base, token, "google"));
    }
    json_object_set_new(o, "expires_at", json_string(api_time(r->arena, now + WALLET_LINK_TTL_MS)));
    api_audit_note(r, "read", cu.id, AUDIT_F_CARDS | AUDIT_F_POINTS);
    http_reply_json(r, 200, o);
    return KT_OK;
}

/* The view of the customer a /w/ token names, her pass made on first use; false (and the page
 * that says the link is not valid) for a token altered or expired, a customer gone or blocked,
 * or one without an active card. */
static enum kt_rc token_view(struct http_req *r, struct wallet_view *v, const char **base, bool *ok,
                             struct kt_err *err)
{
    const char *id = NULL;
    int64_t now = clock_now_ms();
    *ok = false;
    if (!links_w_open(&r->app->secret, r->params[0], now, r->arena, &id)) {
        return KT_OK;
    }
    struct store_conn *w;
    struct customer cu;
    bool found = false;
    http_req_reader_end(r); /* the key check's snapshot: a write begins */
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_customer_get_by_id(w, id, r->arena, &cu, &found, err);
    if (rc == KT_OK && found && cu.merged_into != 0) { /* her card went with the merge */
        rc = store_customer_get(w, cu.merged_into, r->arena, &cu, &found, err);
    }
    if (rc == KT_OK && found && cu.erased_at == 0 &&
        ident_unblocked(w, &cu, NULL, NULL, err) == KT_OK) {
        rc = wallet_view_of(w, &r->app->secret, cu.ck, now, r->arena, v, err);
        *ok = rc == KT_OK;
        if (rc == KT_ECONFLICT) { /* no active card: the page says the link is not valid */
            kt_err_reset(err);
            rc = KT_OK;
        }
    } else if (err->rc == KT_ELOCKED) {
        kt_err_reset(err);
    }
    if (rc == KT_OK && *ok) {
        *base = public_url(w, r->arena, err);
        rc = err->rc;
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    if (*ok) {
        api_audit_note(r, "read", cu.id, AUDIT_F_CARDS | AUDIT_F_POINTS);
    }
    return KT_OK;
}

static const char *web_service(struct http_req *r, const char *base)
{
    return base != NULL ? arena_printf(r->arena, "%s/wallet", base) : NULL;
}

enum kt_rc api_wallet_apple(struct http_req *r, struct kt_err *err)
{
    struct wallet_view v;
    const char *base = NULL;
    const void *zip;
    size_t len;
    bool ok;
    if (!wallet_has_apple(r->app->wallet)) {
        return api_page_invalid(r, err);
    }
    if (token_view(r, &v, &base, &ok, err) != KT_OK) {
        return err->rc;
    }
    if (!ok) {
        return api_page_invalid(r, err);
    }
    if (wallet_pkpass(r->app->wallet, &v, web_service(r, base), r->arena, &zip, &len, err) !=
        KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, PKPASS_TYPE, zip, len);
    return KT_OK;
}

enum kt_rc api_wallet_google(struct http_req *r, struct kt_err *err)
{
    struct wallet_view v;
    const char *base = NULL, *url;
    bool ok;
    if (!wallet_has_google(r->app->wallet)) {
        return api_page_invalid(r, err);
    }
    if (token_view(r, &v, &base, &ok, err) != KT_OK) {
        return err->rc;
    }
    if (!ok) {
        return api_page_invalid(r, err);
    }
    if (wallet_google_link(r->app->wallet, &v, base, clock_now_ms(), r->arena, &url, err) !=
        KT_OK) {
        return err->rc;
    }
    http_reply_redirect(r, url);
    return KT_OK;
}

/* ---- Apple's web service for passes ------------------------------------------------------ */

/* The path's pass type is ours, and the request carries the serial's token: 401 otherwise, as
 * Apple's protocol says (nothing tells a caller which of the two was wrong). */
static enum kt_rc apple_auth(struct http_req *r, const char *pass_type, const char *serial,
                             struct kt_err *err)
{
    const struct wallet *wl = r->app->wallet;
    if (!wallet_has_apple(wl)) {
        return off(err);
    }
    if (strcmp(pass_type, wallet_pass_type(wl)) != 0 ||
        !wallet_token_ok(&r->app->secret, serial, http_req_header(r, "Authorization"))) {
        return kt_err_set(err, KT_EAUTH, "wallet_unauthorized", NULL,
                          "the pass type, serial or ApplePass token is not one of this server");
    }
    return KT_OK;
}

/* Apple's device library identifier and push token: short words of letters and digits. */
static bool word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

enum kt_rc api_wallet_register(struct http_req *r, struct kt_err *err)
{
    const char *device = r->params[0], *serial = r->params[2], *token = NULL;
    if (apple_auth(r, r->params[1], serial, err) != KT_OK) {
        return err->rc;
    }
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL ||
        jsonx_str(body, "", "pushToken", 200, JSONX_REQUIRED, r->arena, &token, err) != KT_OK) {
        return err->rc;
    }
    if (!word_ok(device, 200)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "device",
                          "a device library identifier is 1-200 letters and digits");
    }
    if (!word_ok(token, 200)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "pushToken",
                          "a push token is 1-200 letters and digits");
    }
    struct store_conn *w;
    struct wallet_pass p;
    bool found = false, created = false;
    http_req_reader_end(r); /* the key check's snapshot: a write begins */
    if (store_write_begin(r->app->store, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_wallet_pass_get(w, serial, r->arena, &p, &found, err);
    if (rc == KT_OK && !found) { /* erased since: its token is right, the pass is no more */
        rc = kt_err_set(err, KT_EAUTH, "wallet_unauthorized", NULL, "the pass is no more");
    }
    if (rc == KT_OK) {
        struct wallet_device d = {device, serial, token, p.ck, clock_now_ms()};
        rc = store_wallet_device_put(w, &d, &created, err);
    }
    if (store_write_end(w, rc, err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, created ? 201 : 200, "text/plain", "", 0);
    return KT_OK;
}

enum kt_rc api_wallet_unregister(struct http_req *r, struct kt_err *err)
{
    if (apple_auth(r, r->params[1], r->params[2], err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *w;
    bool found = false;
    http_req_reader_end(r); /* the key check's snapshot: a write begins */
    if (store_write_begin(r->app->store, &w, err) != KT_OK ||
        store_write_end(w, store_wallet_device_delete(w, r->params[0], r->params[2], &found, err),
                        err) != KT_OK) {
        return err->rc;
    }
    http_reply_text(r, 200, "text/plain", "", 0);
    return KT_OK;
}

enum kt_rc api_wallet_serials(struct http_req *r, struct kt_err *err)
{
    static const char *const allowed[] = {"passesUpdatedSince", NULL};
    const struct wallet *wl = r->app->wallet;
    if (!wallet_has_apple(wl)) {
        return off(err);
    }
    if (http_req_query_only(r, allowed, err) != KT_OK) {
        return err->rc;
    }
    if (strcmp(r->params[1], wallet_pass_type(wl)) != 0) {
        return kt_err_set(err, KT_ENOTFOUND, "wallet_pass_type_unknown", NULL,
                          "this server serves no such pass type");
    }
    const char *tag = http_req_query(r, "passesUpdatedSince");
    int64_t since = 0;
    if (tag != NULL && !num_parse_cstr(tag, 0, INT64_MAX, &since)) {
        return kt_err_set(err, KT_EBADREQ, "bad_parameter", "passesUpdatedSince",
                          "the tag is the lastUpdated this server gave");
    }
    struct store_conn *rd;
    const char **serials;
    size_t n;
    int64_t last;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_wallet_device_serials(rd, r->params[0], since, r->arena, &serials, &n, &last, err) !=
            KT_OK) {
        return err->rc;
    }
    if (n == 0) {
        http_reply_text(r, 204, "text/plain", "", 0);
        return KT_OK;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, json_string(serials[i]));
    }
    http_reply_json(r, 200,
                    json_pack("{s:o, s:s}", "serialNumbers", list, "lastUpdated",
                              arena_printf(r->arena, "%lld", (long long)last)));
    return KT_OK;
}

/* An HTTP date (RFC 9110, IMF-fixdate) of `ms`'s second: each change of a pass falls in a later
 * second than the one before (wallet/refresh.c), so its Last-Modified always moves. */
static const char *http_date(int64_t ms, struct arena *a)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char *s = arena_alloc(a, 40);
    strftime(s, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return s;
}

/* The seconds of an If-Modified-Since header, or -1 when it is absent or not a date. */
static int64_t http_date_parse(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = s != NULL ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end != NULL && *end == '\0' ? (int64_t)timegm(&tm) : -1;
}

enum kt_rc api_wallet_pass(struct http_req *r, struct kt_err *err)
{
    const char *serial = r->params[1];
    if (apple_auth(r, r->params[0], serial, err) != KT_OK) {
        return err->rc;
    }
    struct store_conn *rd;
    struct wallet_pass p;
    struct wallet_view v;
    bool found = false;
    if (http_req_reader(r, &rd, err) != KT_OK ||
        store_wallet_pass_get(rd, serial, r->arena, &p, &found, err) != KT_OK) {
        return err->rc;
    }
    if (!found) {
        return kt_err_set(err, KT_EAUTH, "wallet_unauthorized", NULL, "the pass is no more");
    }
    const char *modified = http_date(p.updated_at, r->arena);
    int64_t since = http_date_parse(http_req_header(r, "If-Modified-Since"));
    if (since >= 0 && p.updated_at / 1000 <= since) {
        http_reply_text(r, 304, "text/plain", "", 0);
        r->last_modified = modified;
        return KT_OK;
    }
    const char *base = NULL;
    const void *zip;
    size_t len;
    enum kt_rc rc = wallet_view_read(rd, &r->app->secret, &p, clock_now_ms(), r->arena, &v, err);
    if (rc == KT_OK) {
        base = public_url(rd, r->arena, err);
        rc = err->rc;
    }
    struct customer cu;
    rc = rc == KT_OK ? store_customer_get(rd, p.ck, r->arena, &cu, &found, err) : rc;
    http_req_reader_end(r); /* the signing below holds no snapshot */
    if (rc != KT_OK || wallet_pkpass(r->app->wallet, &v, web_service(r, base), r->arena, &zip, &len,
                                     err) != KT_OK) {
        return err->rc;
    }
    api_audit_note(r, "read", found ? cu.id : NULL, AUDIT_F_CARDS | AUDIT_F_POINTS);
    http_reply_text(r, 200, PKPASS_TYPE, zip, len);
    r->last_modified = modified;
    return KT_OK;
}

enum kt_rc api_wallet_log(struct http_req *r, struct kt_err *err)
{
    if (!wallet_has_apple(r->app->wallet)) {
        return off(err);
    }
    json_t *body = api_own(r->arena, http_req_json(r, err));
    if (body == NULL) {
        return err->rc;
    }
    /* a device's log may say anything: counted, never written */
    const json_t *logs = json_object_get(body, "logs");
    log_info("wallet_device_log", "lines=%zu", json_is_array(logs) ? json_array_size(logs) : 0);
    http_reply_text(r, 200, "text/plain", "", 0);
    return KT_OK;
}
