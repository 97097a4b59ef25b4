/*
 * system.c - the routes an operator's tooling uses: liveness, readiness, metrics and the API
 * description. None needs a key and none shows personal data.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/embed.h"
#include "base/jsonx.h"
#include "events/events.h"
#include "consent/consent.h"
#include "http/metrics.h"

extern const struct embedded_file docs_files[];
extern const size_t docs_files_count;

enum kt_rc api_healthz(struct http_req *r, struct kt_err *err)
{
    (void)err;
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
    return KT_OK;
}

/* Ready when the database answers and the server is not shutting down. Not ready is the 503 of
 * a server that cannot serve now (KT_EBUSY), with a word for the probe's log, not an error. */
enum kt_rc api_readyz(struct http_req *r, struct kt_err *err)
{
    if (r->app->draining) {
        http_reply_json(r, http_status_of(KT_EBUSY), json_pack("{s:s}", "status", "draining"));
        return KT_OK;
    }
    struct store_conn *rd;
    if (http_req_reader(r, &rd, err) != KT_OK || store_ping(rd, err) != KT_OK) {
        r->err = *err;
        http_reply_json(r, http_status_of(KT_EBUSY),
                        json_pack("{s:s}", "status", "store_unavailable"));
        return KT_OK;
    }
    http_req_reader_end(r);
    if (store_health(r->app->store, err) != KT_OK) { /* reads go on; writes fail: not ready */
        r->err = *err;
        r->retry_after = err->retry_after;
        http_reply_json(r, http_status_of(KT_EBUSY), json_pack("{s:s}", "status", err->code));
        return KT_OK;
    }
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
    return KT_OK;
}

/* The read replica's state (--db-read; docs/scale.md, "Read replicas"), when there is one. A
 * replica that cannot be reached is up 0, and the tills do not mind: only analytics read there. */
static void replica_metrics(struct store *s, struct buf *b)
{
    bool has = false;
    int64_t lag_ms = 0;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = store_replica_lag(s, &has, &lag_ms, &err);
    if (!has) {
        return;
    }
    buf_printf(b,
               "# HELP kartoteka_replica_up Whether the read replica (--db-read) answers.\n"
               "# TYPE kartoteka_replica_up gauge\n"
               "kartoteka_replica_up %d\n",
               rc == KT_OK);
    if (rc != KT_OK) {
        return;
    }
    buf_printf(b, "# HELP kartoteka_replica_lag_seconds How far the read replica is behind the "
                  "primary: 0 when it has replayed all it received, else the age of the last "
                  "transaction it replayed (NaN: none since it started).\n"
                  "# TYPE kartoteka_replica_lag_seconds gauge\n");
    if (lag_ms < 0) {
        buf_puts(b, "kartoteka_replica_lag_seconds NaN\n");
    } else {
        buf_printf(b, "kartoteka_replica_lag_seconds %.3f\n", (double)lag_ms / 1000);
    }
}

/* The HTTP layer's counters, then the domain modules' own. */
enum kt_rc api_metrics(struct http_req *r, struct kt_err *err)
{
    (void)err;
    size_t len;
    char *text = metrics_render(r->app->metrics, &len);
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, text, len);
    free(text);
    buf_printf(&b,
               "# HELP kartoteka_events_unmatched_total Events sent with a collect key whose "
               "customer identifier named nobody: stored without it.\n"
               "# TYPE kartoteka_events_unmatched_total counter\n"
               "kartoteka_events_unmatched_total %llu\n",
               (unsigned long long)events_unmatched_total());
    buf_printf(&b,
               "# HELP kartoteka_audit_reads_queued Reads of personal data waiting in memory for "
               "the log of reads (written every second).\n"
               "# TYPE kartoteka_audit_reads_queued gauge\n"
               "kartoteka_audit_reads_queued %zu\n"
               "# HELP kartoteka_audit_refused_total Requests refused with 503 audit_busy because "
               "the log of reads could not take their reads (its writes failing).\n"
               "# TYPE kartoteka_audit_refused_total counter\n"
               "kartoteka_audit_refused_total %llu\n",
               audit_queued(), (unsigned long long)audit_refused_total());
    replica_metrics(r->app->store, &b);
    http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf_cstr(&b), b.len);
    buf_release(&b);
    return KT_OK;
}

enum kt_rc api_openapi(struct http_req *r, struct kt_err *err)
{
    for (size_t i = 0; i < docs_files_count; i++) {
        if (strcmp(docs_files[i].name, "openapi.json") == 0) {
            http_reply_text(r, 200, "application/json", docs_files[i].data, docs_files[i].len);
            return KT_OK;
        }
    }
    return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the API description is missing");
}

/* PUT /v1/system/clock {"now": "2011-01-04T10:00:00Z"}: sets the server's wall clock, only when
 * it was started with --settable-clock (replays of old data, tests). The clock then stands still
 * at that time until it is set again, so a replay is deterministic to the millisecond. */
static _Atomic int64_t frozen_at;

static int64_t frozen(void)
{
    return frozen_at;
}

enum kt_rc api_system_clock(struct http_req *r, struct kt_err *err)
{
    json_t *body = api_own(r->arena, http_req_json(r, err));
    static const char *const known[] = {"now", NULL};
    int64_t to;
    if (body == NULL || json_only_members(body, known, "", r->arena, err) != KT_OK) {
        return err->rc;
    }
    if (!r->app->settable_clock) {
        return kt_err_set(err, KT_EFORBIDDEN, "clock_fixed", NULL,
                          "the clock can be moved only on a server started with --settable-clock");
    }
    const char *s = json_string_value(json_object_get(body, "now"));
    if (s == NULL || !time_parse_rfc3339(s, strlen(s), &to)) {
        return kt_err_set(err, KT_EINVAL, "invalid_time", "now", "now is an RFC 3339 time");
    }
    frozen_at = to;
    clock_set(frozen);
    http_reply_json(r, 200, json_pack("{s:s}", "now", api_time(r->arena, clock_now_ms())));
    return KT_OK;
}
