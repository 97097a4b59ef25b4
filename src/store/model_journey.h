/*
 * model_journey.h - the records the store keeps for the journeys (0026_journeys.sql,
 * docs/journeys.md): journeys and their versions, runs, their steps' log, coupons and the
 * report's rows. Part of store/model.h (included by it; the same rule: strings borrowed from the
 * caller's arena), split off when model.h outgrew a reader.
 */
#ifndef KT_STORE_MODEL_JOURNEY_H
#define KT_STORE_MODEL_JOURNEY_H

#include <stdbool.h>
#include <stdint.h>

/* A journey (0026_journeys.sql; docs/journeys.md): its key, name, state and versions. */
struct journey_row {
    const char *key;
    const char *name;
    const char *state;    /* draft, active, paused, archived */
    int64_t version;      /* the latest version */
    int64_t live_version; /* the version new runs enter with; 0 before the first start */
    int64_t created_at, updated_at, started_at;
};

/* One version of a journey's document (canonical JSON, as decoded and checked). */
struct journey_version {
    const char *key;
    int64_t version;
    const char *doc;
    int64_t created_at;
    const char *key_id;
};

/* A customer's way through a journey (journey_runs). Times in ms, 0 when none. */
struct journey_run {
    int64_t id; /* assigned by the store */
    const char *journey;
    int64_t version;
    int64_t ck;
    const char *entry_key; /* "" when the entry has no key */
    int64_t step;          /* the index of the step the run is at */
    int64_t visit;         /* steps taken so far */
    const char *state;     /* active, waiting, done, exited, control */
    int64_t due_at;        /* when the scheduler moves it next; 0 once finished */
    int64_t since_at;      /* when it reached its step */
    int64_t entered_at, updated_at, finished_at;
    const char *exit; /* the exit's name, or NULL */
    const char *ctx;  /* JSON object, or NULL */
};

/* A step a run took (journey_steps). */
struct journey_step_row {
    int64_t run, visit;
    const char *journey, *step, *outcome;
    const char *message_id; /* or NULL */
    int64_t at;
};

/* A personal coupon (coupons). */
struct coupon {
    const char *code;
    int64_t ck;
    const char *journey;
    int64_t run, percent, kopecks, created_at, expires_at;
};

/* A journey's report (journey/report.c): per step and outcome, how many took it and, for the
 * steps that sent, what became of the messages and what they earned (last touch per channel
 * within the window); per group (in the journey, or the control group held out at entry), the
 * runs and their purchases within the window after entry. */
struct journey_report_step {
    const char *step, *outcome;
    int64_t count;
    int64_t sent, capped, suppressed, pending; /* the messages' states */
    int64_t converted, revenue;                /* attributed: customers, kopecks net */
};
struct journey_report_group {
    bool control;
    int64_t runs, buyers, revenue; /* buyers: runs with a purchase in the window; kopecks net */
    double revenue_sq;             /* the sum of each run's revenue squared (the uplift's CI) */
};

#endif
