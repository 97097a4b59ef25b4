/*
 * admin.c - a journey's versions and moves (admin.h; docs/journeys.md): the save of a PUT's
 * document and start, pause, archive, each in one write transaction with its audit entry.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "consent/consent.h"
#include "journey/admin.h"
#include "journey/journey.h"

bool journey_key_valid(const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return n > 0 && n <= JOURNEY_KEY_MAX;
}

static void free_text(void *p)
{
    free(p);
}

const char *journey_doc_canonical(const json_t *body, struct arena *a)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return NULL;
    }
    arena_defer(a, free_text, text);
    return text;
}

/* The audit log's entry of a save or a move ("start cart"), in its transaction. */
static enum kt_rc audit(struct store_conn *w, const struct journey_actor *who, const char *what,
                        int64_t now, struct arena *a, struct kt_err *err)
{
    return audit_write(w, who ? who->key_id : NULL, "journey", NULL, NULL, what,
                       who ? who->request_id : NULL, now, err);
}

static enum kt_rc refuse(const struct journey_row *j, const char *action, struct kt_err *err)
{
    return kt_err_set(err, KT_ECONFLICT, "journey_state", "state", "a journey %s cannot %s",
                      j->state, action);
}

static bool is(const struct journey_row *j, const char *state)
{
    return strcmp(j->state, state) == 0;
}

/* Inside the write transaction: the new version, unless the latest is the same text. */
static enum kt_rc save(struct store_conn *w, const char *key, const struct journey_doc *d,
                       const char *text, const struct journey_actor *who, int64_t now,
                       struct arena *a, struct journey_row *j, const char **doc, bool *created,
                       bool *added, struct kt_err *err)
{
    bool found = false;
    struct journey_version last = {0};
    if (store_journey_get(w, key, a, j, &found, err) != KT_OK ||
        (found && store_journey_version_get(w, key, 0, a, &last, NULL, err) != KT_OK)) {
        return err->rc;
    }
    *created = !found;
    if (found && is(j, "archived")) {
        return refuse(j, "take a new version", err);
    }
    if (found && strcmp(last.doc, text) == 0) {
        *doc = last.doc;
        return KT_OK;
    }
    if (!found) {
        *j = (struct journey_row){.key = key, .state = "draft", .created_at = now};
    }
    j->name = d->name;
    j->version++;
    j->updated_at = now;
    struct journey_version v = {key, j->version, text, now, who ? who->key_id : NULL};
    *added = true;
    *doc = text;
    if (store_journey_version_add(w, &v, err) != KT_OK || store_journey_put(w, j, err) != KT_OK) {
        return err->rc;
    }
    return audit(w, who, arena_printf(a, "version %s %lld", key, (long long)j->version), now, a,
                 err);
}

enum kt_rc journey_save(struct store *s, const char *key, const json_t *body,
                        const struct journey_actor *who, int64_t now, struct arena *a,
                        struct journey_row *out, const char **doc, bool *created, bool *added,
                        struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct journey_doc d;
    struct store_conn *w;
    const char *text, *kept = NULL;
    *created = *added = false;
    if (!journey_key_valid(key)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "key",
                          "a journey's key is 1-64 of a-z, 0-9, _ and -");
    }
    if (journey_doc_decode(body, a, &d, err) != KT_OK) {
        return err->rc;
    }
    if ((text = journey_doc_canonical(body, a)) == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "the document cannot be written");
    }
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = journey_doc_check(w, &d, a, err);
    rc = rc == KT_OK ? save(w, key, &d, text, who, now, a, out, &kept, created, added, err) : rc;
    rc = store_write_end(w, rc, err);
    if (rc == KT_OK && doc != NULL) {
        *doc = kept;
    }
    return rc;
}

static enum kt_rc move(struct journey_row *j, const char *action, int64_t now, struct kt_err *err)
{
    if (strcmp(action, "start") == 0) {
        if (!is(j, "draft") && !is(j, "paused")) {
            return refuse(j, action, err);
        }
        j->state = "active";
        j->live_version = j->version;
        j->started_at = j->started_at ? j->started_at : now;
    } else if (strcmp(action, "pause") == 0) {
        if (!is(j, "active")) {
            return refuse(j, action, err);
        }
        j->state = "paused";
    } else if (strcmp(action, "archive") == 0) {
        if (is(j, "archived")) {
            return refuse(j, action, err);
        }
        j->state = "archived";
    } else {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "unknown action");
    }
    j->updated_at = now;
    return KT_OK;
}

enum kt_rc journey_act(struct store *s, const char *key, const char *action,
                       const struct journey_actor *who, int64_t now, struct arena *a,
                       struct journey_row *out, struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct store_conn *w;
    if (!journey_key_valid(key)) {
        return kt_err_set(err, KT_ENOTFOUND, "journey_not_found", NULL, "journey not found");
    }
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = store_journey_get(w, key, a, out, NULL, err);
    rc = rc == KT_OK ? move(out, action, now, err) : rc;
    rc = rc == KT_OK ? store_journey_put(w, out, err) : rc;
    rc = rc == KT_OK ? audit(w, who, arena_printf(a, "%s %s", action, key), now, a, err) : rc;
    return store_write_end(w, rc, err);
}

enum kt_rc journey_doc_load(struct store_conn *c, const char *key, int64_t version, struct arena *a,
                            struct journey_doc *out, struct kt_err *err)
{
    struct kt_err own; /* a caller may pass none */
    if (err == NULL) {
        kt_err_reset(&own);
        err = &own;
    }
    struct journey_version v;
    json_error_t je;
    if (store_journey_version_get(c, key, version, a, &v, NULL, err) != KT_OK) {
        return err->rc;
    }
    json_t *body = json_loads(v.doc, 0, &je);
    if (body == NULL) {
        return kt_err_set(err, KT_EINTERNAL, "internal", NULL, "a stored journey is not JSON");
    }
    enum kt_rc rc = journey_doc_decode(body, a, out, err);
    json_decref(body);
    return rc;
}

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms ? json_string(time_rfc3339(a, ms)) : json_null();
}

json_t *journey_json(struct arena *a, const struct journey_row *j, const struct journey_version *v)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:s, s:o}", "key", j->key, "name", j->name,
                  "state", j->state, "version", (json_int_t)(v ? v->version : j->version),
                  "live_version", j->live_version ? json_integer(j->live_version) : json_null(),
                  "created_at", time_rfc3339(a, j->created_at), "updated_at",
                  time_rfc3339(a, j->updated_at), "started_at", time_or_null(a, j->started_at));
    if (v != NULL) {
        json_t *doc = json_loads(v->doc, 0, NULL);
        json_object_set_new(o, "document", doc ? doc : json_null());
    }
    return o;
}
