/*
 * model_merge.h - the records the store keeps for merges and fuzzy duplicates: a merge as its
 * journal keeps it (0040, docs/identity.md "Un-merge") and a pair of the review queue (0041,
 * docs/dedup.md). Part of store/model.h (included by it; the same rule: strings borrowed from the
 * caller's arena), split off when model.h outgrew a reader.
 */
#ifndef KT_STORE_MODEL_MERGE_H
#define KT_STORE_MODEL_MERGE_H

#include <stdint.h>

#include "base/id.h"

/* A merge as its journal keeps it (store/sql/merges.c), to be taken back. */
struct merge_entry {
    int64_t id;   /* the journal's */
    int64_t into; /* the survivor's ck */
    int64_t from; /* ck of the customer merged into it */
    int64_t at;   /* ms */
};

/* A pair in the review queue of fuzzy duplicates (0041, docs/dedup.md). */
struct dup_pair {
    char id[ID_MAX];         /* public, "dp_..." */
    int64_t ck_a, ck_b;      /* ck_a < ck_b */
    const char *id_a, *id_b; /* their public ids (read only) */
    double weight, prob;     /* log2 of the odds they are one person; its probability */
    const char *explanation; /* JSON: [{"field", "level", "weight"}, ...] */
    const char *source;      /* "run" or "upsert" */
    const char *state;       /* "open", "merged", "rejected", "vetoed" */
    const char *reason;      /* why a rule stopped it, or the decision's note; NULL */
    int64_t found_at;        /* ms */
    int64_t decided_at;      /* ms; 0 while open */
};

#endif
