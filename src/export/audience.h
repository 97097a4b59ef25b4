/*
 * audience.h - a saved segment as an audience file for an ad platform (docs/audiences.md): VK
 * Ads or Yandex Audiences, each in the format and hashing its documentation asks for. Only the
 * members whose consent allows the transfer are in it; each of them gets the transfer written
 * down, so that her export says who received her data (152-FZ art. 14).
 */
#ifndef KT_EXPORT_AUDIENCE_H
#define KT_EXPORT_AUDIENCE_H

#include <stdio.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/id.h"
#include "store/store.h"

enum audience_format {
    AUDIENCE_YANDEX,   /* CSV "phone","email", SHA-256 of each value */
    AUDIENCE_VK_PHONE, /* one MD5 of a phone a line (a VK Ads list holds one kind) */
    AUDIENCE_VK_EMAIL, /* one MD5 of an e-mail a line */
};

/* "yandex", "vk-phone", "vk-email". */
bool audience_format_parse(const char *name, enum audience_format *out);
const char *audience_format_name(enum audience_format f);

/* The normalised value a platform hashes: a phone's digits with the country code
 * ("+79161234567" -> "79161234567"), an e-mail in lower case; NULL when there is none. */
const char *audience_normal(bool phone, const char *value, struct arena *a);

/* What an export did. */
struct audience_stats {
    int64_t allowed;                        /* members whose consent allows the transfer */
    int64_t written;                        /* lines written (customers with the format's field) */
    char run_id[ID_MAX];                    /* the run logged */
    char sha256[65];                        /* of the file */
    int64_t ms_members, ms_read, ms_record; /* how long finding, reading and recording took */
};

/* Called now and then with how many of `total` members are done. */
typedef void (*audience_progress_fn)(void *ctx, int64_t done, int64_t total);

/*
 * Writes saved segment `segment` (id or name) as it is at `now` to `out` in format `f`: its
 * members with the third_party_transfer and pd_processing consents given (docs/privacy.md),
 * blocked and erased customers left out as every segment leaves them; then records the transfer
 * of each one written, in short write transactions (the tills never wait behind it), logs the run
 * and writes one audit entry (`actor`: the API key's id or NULL for the console). The file's
 * SHA-256 is in `st`. KT_ENOTFOUND segment_not_found; KT_EINVAL cannot_write when the file cannot
 * be written. Each transfer names what of her went (her phone, her e-mail, or both).
 */
enum kt_rc audience_export(struct store *s, const char *segment, enum audience_format f, FILE *out,
                           const char *actor, int64_t now, audience_progress_fn prog, void *pctx,
                           struct audience_stats *st, struct kt_err *err);

/* The same to the file at `path`, written whole or not at all (`path`.part, then renamed;
 * removed on a failure). KT_EINVAL cannot_write on "path". (audience_schedule.c) */
enum kt_rc audience_export_file(struct store *s, const char *segment, enum audience_format f,
                                const char *path, const char *actor, int64_t now,
                                audience_progress_fn prog, void *pctx, struct audience_stats *st,
                                struct kt_err *err);

/* Saved segment `segment`'s audience in format `f` refreshed into `path` every `every_ms` from
 * `now` on (0044; the first run one period after now); `every_ms` <= 0 removes it (KT_ENOTFOUND
 * schedule_not_found when there is none). KT_ENOTFOUND segment_not_found. */
enum kt_rc audience_schedule_set(struct store *s, const char *segment, enum audience_format f,
                                 const char *path, int64_t every_ms, int64_t now,
                                 struct kt_err *err);

/* The scheduler's job (sched/jobs.c, `audience_refresh`): each schedule due at `now` exported,
 * its next time one period on. n[0] files written, n[1] exports failed (each logged, its code
 * kept with the schedule). */
enum kt_rc audience_schedules_run(struct store *s, int64_t now, int64_t n[2], struct kt_err *err);

#endif
