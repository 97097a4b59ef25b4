/*
 * admin.h - a journey's versions and moves (docs/journeys.md): PUT's save of a document as the
 * next version (decoded, checked against the store, kept as canonical JSON, the same body again
 * no new version), and the moves of its life, each in one write transaction with its audit entry
 * (action `journey`):
 *
 *   draft --start--> active --pause--> paused --start--> active
 *     any but archived --archive--> archived (final)
 *
 * A start makes the latest version the live one (the one new runs enter with); the first start
 * sets started_at. The engine (the lead's run.c) reads `live_version`.
 */
#ifndef KT_JOURNEY_ADMIN_H
#define KT_JOURNEY_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "journey/journey.h"
#include "store/store.h"

/* Who asks, for the audit log: the API key and the request (both NULL from a program of ours). */
struct journey_actor {
    const char *key_id, *request_id;
};

/* [a-z0-9_-], 1..JOURNEY_KEY_MAX bytes. */
bool journey_key_valid(const char *key);

/* The canonical text of a document: compact JSON with sorted keys (in `a`). */
const char *journey_doc_canonical(const json_t *body, struct arena *a);

/*
 * Saves `body` as the next version of journey `key` at `now`, in one write transaction: the
 * document decoded and checked (422 with the node's path), and unless its canonical text is the
 * latest version's, stored as version N+1 (version 1 and state draft for a new journey) with an
 * audit entry. *created: a new journey; *added: a new version. `out` is the journey after; `doc`
 * (may be NULL) its latest version's canonical text. An archived journey takes no new version
 * (409 journey_state); a key that is not one is 422 invalid_value (`key`).
 */
enum kt_rc journey_save(struct store *s, const char *key, const json_t *body,
                        const struct journey_actor *who, int64_t now, struct arena *a,
                        struct journey_row *out, const char **doc, bool *created, bool *added,
                        struct kt_err *err);

/* "start", "pause" or "archive" at `now`, in one write transaction with its audit entry. A move
 * the state does not allow is 409 journey_state; an unknown key 404 journey_not_found. */
enum kt_rc journey_act(struct store *s, const char *key, const char *action,
                       const struct journey_actor *who, int64_t now, struct arena *a,
                       struct journey_row *out, struct kt_err *err);

/* Version `version` (0: the latest) of journey `key`'s document as stored, decoded into `out`
 * (its strings in `a`): what the engine and the routes that show a run's step read. No such
 * version: KT_ENOTFOUND journey_not_found. */
enum kt_rc journey_doc_load(struct store_conn *c, const char *key, int64_t version, struct arena *a,
                            struct journey_doc *out, struct kt_err *err);

/* A journey as the API shows it (a new reference): key, name, state, version, live_version,
 * created_at, updated_at, started_at; with a version `v` (or NULL), its `document` too, and
 * `version` is then v's number. */
json_t *journey_json(struct arena *a, const struct journey_row *j, const struct journey_version *v);

#endif
