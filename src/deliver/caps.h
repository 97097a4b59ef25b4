/*
 * caps.h - the frequency caps of the sending policy (docs/messages.md, "The sending policy"):
 * a list of rules that must all hold, each "at most `count` marketing messages in `n` hours /
 * local calendar days / ISO weeks, on a channel and of a topic (or any)". Transactional messages
 * are neither capped nor counted.
 *
 *   hours  a rolling window: the last n * 3600 s up to now
 *   days   the customer's local calendar day holding now and the n - 1 days before it
 *   weeks  the customer's local ISO week (Monday 00:00) holding now and the n - 1 weeks before
 *
 * A message a rule holds back is `capped` (final) with the rule's reason: "cap:" count "/" n
 * and the unit's letter (h, d, w) "/" the channel "/" the topic, a star for "any" -
 * "cap:3/1d/email/" followed by a star caps e-mail at three a day. It names the rule itself, not
 * its place in a list that a later PUT may reorder.
 */
#ifndef KT_DELIVER_CAPS_H
#define KT_DELIVER_CAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/tz.h"
#include "store/store.h"

#define CAPS_MAX_RULES 32
#define CAPS_MAX_COUNT 100000

/* The rules as the sender keeps them between claims (policy_caps_load). */
struct policy_caps {
    int64_t version; /* the store's; -1 before the first load */
    struct cap_rule *rules;
    const char **reasons; /* each rule's reason */
    size_t n;
    struct arena arena; /* holds the rules and reasons */
};

void policy_caps_init(struct policy_caps *k);
void policy_caps_free(struct policy_caps *k);

/* Reads the caps' version and, when it moved since the last load, the rules (one read of one
 * row when nothing changed). Called once per claim, inside its transaction. */
enum kt_rc policy_caps_load(struct store_conn *c, struct policy_caps *k, struct kt_err *err);

/* The rule's reason (see above), in `a`. */
const char *policy_cap_reason(const struct cap_rule *r, struct arena *a);

/* The first UTC moment (ms) of rule `r`'s window holding `now`, on zone `z`'s calendar. */
int64_t policy_cap_since(const struct cap_rule *r, const struct tz *z, int64_t now);

/* Whether rule `r` holds back or counts a message of `channel` and `topic` (NULL: none). */
bool policy_cap_applies(const struct cap_rule *r, const char *channel, const char *topic);

/* Decodes the body of PUT /v1/messaging/caps, {"rules": [{count, per, n?, channel?, topic?}]},
 * into rules in `a` (n defaults to 1). Errors name the member: "rules[2].count". */
enum kt_rc policy_caps_decode(const json_t *body, struct arena *a, struct cap_rule **out, size_t *n,
                              struct kt_err *err);

/* {"rules": [...], "version": v} with each rule's reason: the GET's and the PUT's reply. */
json_t *policy_caps_json(const struct cap_rule *rules, size_t n, int64_t version, struct arena *a);

#endif
