/*
 * docs.h - the consent documents the customer's pages link to (docs/pages.md): the latest
 * published version of a purpose's document, whose text a page shows and whose hash a consent
 * given on the page keeps as its evidence.
 */
#ifndef KT_PAGES_DOCS_H
#define KT_PAGES_DOCS_H

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

/* The latest published document of `purpose` ("pd_processing", "ads"), or *out NULL when none. */
enum kt_rc pages_doc_latest(struct store_conn *c, const char *purpose, struct arena *a,
                            const struct consent_doc **out, struct kt_err *err);

#endif
