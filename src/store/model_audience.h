/*
 * model_audience.h - the records the store keeps of audience exports (0042_audiences.sql,
 * docs/audiences.md): each run, and what of a customer an audience took. Included by model.h.
 */
#ifndef KT_STORE_MODEL_AUDIENCE_H
#define KT_STORE_MODEL_AUDIENCE_H

#include <stdint.h>

#include "base/id.h"

/* An audience export (0042, docs/audiences.md): one file of a saved segment for an ad platform. */
struct audience_run {
    char id[ID_MAX];                                                /* "ar_..." */
    const char *segment, *segment_id, *format, *recipient, *fields; /* segment: its name */
    int64_t at, count;
    const char *sha256; /* of the file */
};

/* What of a customer an audience took (the customer's export: who received her data). */
struct audience_transfer {
    const char *segment, *format, *recipient, *fields;
    int64_t first_at, last_at, runs;
};

/* An audience refreshed on a schedule (0044): the file at `path` rewritten every `every_ms`. */
struct audience_schedule {
    const char *segment_id, *format, *path;
    int64_t every_ms, next_at, created_at;
    int64_t last_at;                   /* 0: never run */
    const char *last_run, *last_error; /* or NULL */
};

#endif
