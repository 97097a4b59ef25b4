/*
 * refresh.c - a pass follows her points (docs/wallet.md, "Refresh when points change"): the
 * scheduler's job looks again at each pass with a device whose ledger moved or whose hold or
 * expiry came, and when what it shows changed, moves its tag and pushes its devices through
 * APNs. A push is made outside any transaction; a 410 drops the device.
 */
#include <curl/curl.h>
#include <string.h>

#include "base/id.h"
#include "base/log.h"
#include "wallet/wallet_int.h"

#define DUE_BATCH       200
#define PUSH_TIMEOUT_MS 10000L

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* One push to a device: the HTTP status, or 0 when none came. */
static long push(const struct wallet *w, const char *token, struct arena *a)
{
    CURL *h = curl_easy_init();
    if (h == NULL) {
        return 0;
    }
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, arena_printf(a, "apns-topic: %s", w->pass_type));
    curl_easy_setopt(h, CURLOPT_URL, arena_printf(a, "%s/3/device/%s", w->apns_url, token));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_SSLCERT, w->cert_path);
    curl_easy_setopt(h, CURLOPT_SSLKEY, w->key_path);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, PUSH_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    return status;
}

/* Looks at pass `serial` again in one write transaction: *devices gets its devices when what it
 * shows changed (none otherwise, and none for a pass gone or without an active card). */
static enum kt_rc look(struct store *s, const struct key_secret *k, const char *serial, int64_t now,
                       struct arena *a, struct wallet_device **devices, size_t *n,
                       struct kt_err *err)
{
    *devices = NULL;
    *n = 0;
    struct store_conn *c;
    if (store_write_begin(s, &c, err) != KT_OK) {
        return err->rc;
    }
    struct wallet_pass p;
    struct wallet_view v;
    bool found = false;
    enum kt_rc rc = store_wallet_pass_get(c, serial, a, &p, &found, err);
    if (rc == KT_OK && found) {
        rc = wallet_view_read(c, k, &p, now, a, &v, err);
        if (rc == KT_ECONFLICT) { /* her card was blocked: nothing to show until a new one */
            kt_err_reset(err);
            rc = KT_OK;
            found = false;
        }
    }
    if (rc == KT_OK && found) {
        bool changed = strcmp(v.content, p.content) != 0;
        if (changed) {
            p.updated_at = now > p.updated_at ? now : p.updated_at + 1; /* a tag only grows */
        }
        p.content = v.content;
        p.ledger_seq = v.ledger_seq;
        p.next_change_at = v.next_change_at;
        rc = store_wallet_pass_put(c, &p, err);
        if (rc == KT_OK && changed) {
            rc = store_wallet_devices_of(c, serial, a, devices, n, err);
        }
    }
    return store_write_end(c, rc, err);
}

static enum kt_rc device_gone(struct store *s, const struct wallet_device *d, struct kt_err *err)
{
    struct store_conn *c;
    bool found;
    if (store_write_begin(s, &c, err) != KT_OK) {
        return err->rc;
    }
    return store_write_end(c, store_wallet_device_delete(c, d->device, d->serial, &found, err),
                           err);
}

enum kt_rc wallet_refresh_due(struct store *s, const struct wallet *w, const struct key_secret *k,
                              int64_t now, int64_t n[2], struct kt_err *err)
{
    n[0] = n[1] = 0;
    if (!wallet_has_apple(w)) {
        return KT_OK;
    }
    struct arena a;
    arena_init(&a, 0);
    char after[ID_MAX * 2] = "";
    enum kt_rc rc = KT_OK;
    for (;;) {
        arena_release(&a);
        struct store_conn *c;
        struct wallet_pass *due = NULL;
        size_t nd = 0;
        if ((rc = store_read_begin(s, &c, err)) != KT_OK) {
            break;
        }
        rc = store_wallet_passes_due(c, now, after, DUE_BATCH, &a, &due, &nd, err);
        store_read_end(c);
        for (size_t i = 0; rc == KT_OK && i < nd; i++) {
            struct wallet_device *dev;
            size_t ndev;
            if ((rc = look(s, k, due[i].serial, now, &a, &dev, &ndev, err)) != KT_OK) {
                break;
            }
            n[0] += ndev > 0;
            for (size_t j = 0; rc == KT_OK && j < ndev; j++) {
                long status = push(w, dev[j].push_token, &a);
                if (status == 200) {
                    n[1]++;
                } else if (status == 410) {
                    rc = device_gone(s, &dev[j], err);
                } else {
                    log_warn("wallet_push_failed", "serial=%s status=%ld", dev[j].serial, status);
                }
            }
        }
        if (rc != KT_OK || nd < DUE_BATCH) {
            break;
        }
        kt_strlcpy(after, due[nd - 1].serial, sizeof(after));
    }
    arena_release(&a);
    return rc;
}
