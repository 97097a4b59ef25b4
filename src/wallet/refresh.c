/*
 * refresh.c - a pass follows her points (docs/wallet.md, "Refresh when points change"): the
 * scheduler's job looks again at each pass with a device whose ledger moved or whose hold or
 * expiry came, and when what it shows changed, moves its tag and pushes its devices through
 * APNs. A push is made outside any transaction; a 410 drops the device.
 */
#include <curl/curl.h>
#include <string.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "wallet/wallet_int.h"

#define DUE_BATCH       200
#define PUSH_TIMEOUT_MS 10000L
#define WALLET_RUN_MS   20000 /* a run's work at most: the scheduler's other jobs wait for it */

static int64_t mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* The run's connection to APNs: one handle, so its connection (and HTTP/2 session) is reused
 * for every push, as Apple asks of a provider. */
struct apns {
    CURL *h;
    struct curl_slist *hdr;
};

static bool apns_open(struct apns *p, const struct wallet *w, struct arena *a)
{
    p->h = curl_easy_init();
    p->hdr = curl_slist_append(NULL, "Content-Type: application/json");
    p->hdr = curl_slist_append(p->hdr, arena_printf(a, "apns-topic: %s", w->pass_type));
    if (p->h == NULL || p->hdr == NULL) {
        return false;
    }
    curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->hdr);
    curl_easy_setopt(p->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(p->h, CURLOPT_SSLCERT, w->cert_path);
    curl_easy_setopt(p->h, CURLOPT_SSLKEY, w->key_path);
    curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, PUSH_TIMEOUT_MS);
    curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(p->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(p->h, CURLOPT_PROTOCOLS_STR, "http,https");
    return true;
}

static void apns_close(struct apns *p)
{
    if (p->h != NULL) {
        curl_easy_cleanup(p->h);
    }
    curl_slist_free_all(p->hdr);
}

/* One push to a device: the HTTP status, or 0 when none came. */
static long push(struct apns *p, const struct wallet *w, const char *token, struct arena *a)
{
    long status = 0;
    curl_easy_setopt(p->h, CURLOPT_URL, arena_printf(a, "%s/3/device/%s", w->apns_url, token));
    if (curl_easy_perform(p->h) == CURLE_OK) {
        curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
    }
    return status;
}

/* The tag of a change at `now`: past every pass's (a device that listed since sees it), and in
 * a later second than the pass's last (Last-Modified counts seconds). */
static enum kt_rc next_tag(struct store_conn *c, const struct wallet_pass *p, int64_t now,
                           int64_t *tag, struct kt_err *err)
{
    int64_t top = 0;
    if (store_wallet_tag_max(c, &top, err) != KT_OK) {
        return err->rc;
    }
    int64_t second = (p->updated_at / 1000 + 1) * 1000;
    *tag = now > top ? now : top + 1;
    *tag = *tag > second ? *tag : second;
    return KT_OK;
}

/* Looks at pass `serial` again in one write transaction: *devices gets its devices when what it
 * shows changed (none otherwise). A pass gone shows nothing; one whose customer has no active
 * card or is blocked keeps what it showed, its marks moved on so it is not due again. */
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
    bool found = false, changed = false;
    enum kt_rc rc = store_wallet_pass_get(c, serial, a, &p, &found, err);
    if (rc == KT_OK && found) {
        rc = wallet_view_read(c, k, &p, now, a, &v, err);
        if (rc == KT_ECONFLICT || rc == KT_ELOCKED) {
            kt_err_reset(err);
            rc = KT_OK;
            v.content = p.content;
        }
    }
    if (rc == KT_OK && found) {
        changed = strcmp(v.content, p.content) != 0;
        rc = changed ? next_tag(c, &p, now, &p.updated_at, err) : KT_OK;
    }
    if (rc == KT_OK && found) {
        p.content = v.content;
        p.ledger_seq = v.ledger_seq;
        p.next_change_at = v.next_change_at;
        rc = store_wallet_pass_put(c, &p, err);
    }
    if (rc == KT_OK && changed) {
        rc = store_wallet_devices_of(c, serial, a, devices, n, err);
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
    struct arena a, keep;
    arena_init(&a, 0);
    arena_init(&keep, 0);
    struct apns apns = {NULL, NULL};
    char after[ID_MAX * 2] = "";
    enum kt_rc rc = KT_OK;
    int64_t until = mono_ms() + WALLET_RUN_MS;
    if (!apns_open(&apns, w, &keep)) {
        apns_close(&apns);
        arena_release(&keep);
        return kt_err_set(err, KT_EINTERNAL, "curl_init", NULL, "libcurl did not start");
    }
    /* A run works WALLET_RUN_MS at most: the passes it did not reach stay due for the next. */
    while (mono_ms() < until) {
        arena_release(&a);
        struct store_conn *c;
        struct wallet_pass *due = NULL;
        size_t nd = 0;
        if ((rc = store_read_begin(s, &c, err)) != KT_OK) {
            break;
        }
        rc = store_wallet_passes_due(c, now, after, DUE_BATCH, &a, &due, &nd, err);
        store_read_end(c);
        for (size_t i = 0; rc == KT_OK && i < nd && mono_ms() < until; i++) {
            struct wallet_device *dev;
            size_t ndev;
            if ((rc = look(s, k, due[i].serial, now, &a, &dev, &ndev, err)) != KT_OK) {
                break;
            }
            n[0] += ndev > 0;
            for (size_t j = 0; rc == KT_OK && j < ndev; j++) {
                long status = push(&apns, w, dev[j].push_token, &a);
                if (status == 200) {
                    n[1]++;
                } else if (status == 410) {
                    rc = device_gone(s, &dev[j], err);
                } else {
                    log_warn("wallet_push_failed", "serial=%s status=%ld", dev[j].serial, status);
                }
            }
            kt_strlcpy(after, due[i].serial, sizeof(after));
        }
        if (rc != KT_OK || nd < DUE_BATCH) {
            break;
        }
    }
    apns_close(&apns);
    arena_release(&a);
    arena_release(&keep);
    return rc;
}
