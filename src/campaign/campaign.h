/*
 * campaign.h - campaigns of issue 12 (docs/messages.md, "Campaigns"): one marketing message to an
 * audience - a saved segment or a query in the segment language - frozen when the campaign
 * starts, with a random control group that is never messaged and A/B variants, each a stored
 * template's version.
 *
 *   draft -> scheduled -> running -> done
 *              |  ^         |  ^
 *              v  |         v  |
 *             paused <------+--+       any but done -> cancelled
 *
 * The work is the scheduler's job `campaign_enqueue` (campaign_run_due): a due scheduled
 * campaign starts; a started one freezes its audience (the query evaluated once, on an analytic
 * read, the keys written in chunks), then enqueues it in batches: each member is set aside in
 * the control group or given a variant by a keyed draw on the campaign and the customer (a
 * restart draws the same), and a variant's message is rendered and added to the outbox with the
 * id of origin "campaign:<id>:<ck>" - so a second enqueue of a member, by a resume, a restart
 * or an overlapping run, finds the row it made. Each batch is rendered on a read and written in
 * one transaction that first checks the campaign is still running where the batch began; the
 * cursor (the last customer handled) is written in it, so a restart goes on from there.
 *
 * A pause holds the campaign's queued outbox rows out of the claim; a resume brings them back; a
 * cancel suppresses them ("cancelled"). A campaign is done when every member is handled and
 * none of its messages waits in the queue.
 */
#ifndef KT_CAMPAIGN_CAMPAIGN_H
#define KT_CAMPAIGN_CAMPAIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/keys.h"
#include "base/arena.h"
#include "base/err.h"
#include "segment/segment.h"
#include "store/store.h"

#define CAMPAIGN_NAME_MAX     200
#define CAMPAIGN_VARIANTS_MAX 10
#define CAMPAIGN_CONTROL_MAX  90   /* percent */
#define CAMPAIGN_WINDOW_DAYS  3    /* the conversion window by default; 1..30 */
#define CAMPAIGN_BATCH        2000 /* members per transaction of the enqueue */
#define CAMPAIGN_RUN_MS       5000 /* one run of the job works this long at most, then yields */
#define CAMPAIGN_HELD_AT      ((int64_t)1 << 62) /* a paused campaign's rows wait until then */

/* Decodes a POST /v1/campaigns body, checks it against the store (the segment, the templates
 * and their channel) and stores a new draft campaign in `out` (its strings in `a`). A query that
 * does not parse is syntax_error with `se` set. */
enum kt_rc campaign_create(struct store *s, const json_t *body, const char *key_id, int64_t now,
                           struct arena *a, struct campaign *out, struct seg_error *se,
                           struct kt_err *err);

/* "start", "pause", "resume", "cancel" at `now` in one write transaction; `out` is the campaign
 * after. A move its state does not allow is 409 campaign_state; starting an e-mail campaign
 * without public_url is 422 public_url_required (its messages carry an unsubscribe link). */
enum kt_rc campaign_act(struct store *s, const char *id, const char *action, int64_t now,
                        struct arena *a, struct campaign *out, struct kt_err *err);

/* The group of customer `ck` in campaign `cp`: "control" or a variant's name (static or the
 * campaign's). The same for the same campaign and customer, always. */
const char *campaign_group(const struct campaign *cp, int64_t ck);

/* The job: starts the due scheduled campaigns, freezes the audience of the started ones and
 * enqueues their members, for at most `budget_ms`; n[0] counts the messages enqueued, n[1] the
 * members set aside in control groups. */
enum kt_rc campaign_run_due(struct store *s, const struct key_secret *secret, int64_t now,
                            int64_t budget_ms, int64_t n[2], struct kt_err *err);

/* A campaign as the API shows it (a new reference). */
json_t *campaign_json(struct arena *a, const struct campaign *cp);

#endif
