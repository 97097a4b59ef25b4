/*
 * worker.h - the background thread of `kartoteka serve` that runs import jobs one after another.
 *
 * POST /v1/imports saves the upload under <db>.imports/<id>.csv, records a queued job and wakes
 * the worker. The worker runs the oldest queued (or interrupted) job, writes its progress to the
 * job row about once a second, and at the end removes the upload. The reject lines are stored
 * with the rows they describe, each with the keyed hashes of what it carries (import/rejects.h).
 * A job interrupted by a shutdown is simply run again from the start on the next start:
 * importing the same file twice changes nothing, so that is safe (its reject lines are cleared
 * first).
 */
#ifndef KT_IMPORT_WORKER_H
#define KT_IMPORT_WORKER_H

#include "base/err.h"
#include "auth/keys.h"
#include "store/store.h"

struct import_worker;

enum kt_rc import_worker_start(struct store *s, const struct key_secret *secret,
                               struct import_worker **out, struct kt_err *err);
void import_worker_wake(struct import_worker *w);
/* Asks the running job to stop after its current batch and joins the thread. */
void import_worker_stop(struct import_worker *w);

#endif
