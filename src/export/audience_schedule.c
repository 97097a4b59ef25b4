/*
 * audience_schedule.c - audiences refreshed on a schedule (docs/audiences.md, "On a schedule"):
 * an export to a file written whole or not at all, the schedules kept (0044), and the
 * scheduler's job that runs those due inside the server, where its reads are the analytic reads
 * the WAL's checkpointer sees.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "export/audience.h"

enum kt_rc audience_export_file(struct store *s, const char *segment, enum audience_format f,
                                const char *path, const char *actor, int64_t now,
                                audience_progress_fn prog, void *pctx, struct audience_stats *st,
                                struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    const char *tmp = arena_printf(&a, "%s.part", path);
    FILE *out = fopen(tmp, "w");
    enum kt_rc rc = out == NULL
                        ? kt_err_set(err, KT_EINVAL, "cannot_write", "path",
                                     "the audience file cannot be opened for writing")
                        : audience_export(s, segment, f, out, actor, now, prog, pctx, st, err);
    if (out != NULL && fclose(out) != 0 && rc == KT_OK) {
        rc = kt_err_set(err, KT_EINVAL, "cannot_write", "path", "the file could not be written");
    }
    if (rc == KT_OK && rename(tmp, path) != 0) {
        rc = kt_err_set(err, KT_EINVAL, "cannot_write", "path",
                        "the file could not be put in its place");
    }
    if (rc != KT_OK && out != NULL) {
        unlink(tmp); /* no half file left to upload */
    }
    arena_release(&a);
    return rc;
}

enum kt_rc audience_schedule_set(struct store *s, const char *segment, enum audience_format f,
                                 const char *path, int64_t every_ms, int64_t now,
                                 struct kt_err *err)
{
    struct store_conn *w;
    struct arena a;
    struct segment sg;
    arena_init(&a, 0);
    if (store_write_begin(s, &w, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = store_segment_get(w, segment, &a, &sg, err);
    if (rc == KT_OK && every_ms <= 0) {
        bool found = false;
        rc = store_audience_schedule_delete(w, sg.id, audience_format_name(f), &found, err);
        if (rc == KT_OK && !found) {
            rc = kt_err_set(err, KT_ENOTFOUND, "schedule_not_found", "every",
                            "the segment's audience in this format has no schedule");
        }
    } else if (rc == KT_OK) {
        struct audience_schedule sc = {.segment_id = sg.id,
                                       .format = audience_format_name(f),
                                       .path = path,
                                       .every_ms = every_ms,
                                       .next_at = now + every_ms,
                                       .created_at = now};
        rc = store_audience_schedule_put(w, &sc, err);
    }
    rc = store_write_end(w, rc, err);
    arena_release(&a);
    return rc;
}

/* Runs schedule `sc` and writes how it went; the export's failure is the schedule's, logged and
 * kept in last_error, not the job's. */
static enum kt_rc run_one(struct store *s, struct audience_schedule *sc, int64_t now, bool *ok,
                          struct kt_err *err)
{
    enum audience_format f;
    struct audience_stats st;
    struct kt_err e;
    kt_err_reset(&e);
    if (!audience_format_parse(sc->format, &f)) {
        kt_err_set(&e, KT_EINVAL, "invalid_value", "format", "a format this version does not know");
    }
    *ok = e.rc == KT_OK && audience_export_file(s, sc->segment_id, f, sc->path, NULL, now, NULL,
                                                NULL, &st, &e) == KT_OK;
    if (!*ok) {
        log_warn("audience_refresh_failed", "segment=%s format=%s code=%s", sc->segment_id,
                 sc->format, e.code);
    }
    sc->last_at = now;
    sc->last_run = *ok ? st.run_id : NULL;
    sc->last_error = *ok ? NULL : e.code;
    sc->next_at = now + sc->every_ms;
    struct store_conn *w;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    return store_write_end(w, store_audience_schedule_put(w, sc, err), err);
}

enum kt_rc audience_schedules_run(struct store *s, int64_t now, int64_t n[2], struct kt_err *err)
{
    struct arena a;
    struct store_conn *rd;
    struct audience_schedule *sc = NULL;
    size_t ns = 0;
    arena_init(&a, 0);
    n[0] = n[1] = 0;
    if (store_read_begin(s, &rd, err) != KT_OK) {
        arena_release(&a);
        return err->rc;
    }
    enum kt_rc rc = store_audience_schedules_list(rd, &a, &sc, &ns, err);
    store_read_end(rd);
    for (size_t i = 0; rc == KT_OK && i < ns; i++) {
        bool ok = false;
        if (sc[i].next_at <= now) {
            rc = run_one(s, &sc[i], now, &ok, err);
            n[ok ? 0 : 1]++;
        }
    }
    arena_release(&a);
    return rc;
}
