/*
 * export.h - what leaves Kartoteka about a customer as one document. It gathers the data of every
 * domain module (identity, consent, loyalty, events, segment), so it sits above them all
 * (README.md).
 */
#ifndef KT_EXPORT_EXPORT_H
#define KT_EXPORT_EXPORT_H

#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/model.h"
#include "store/store.h"

/*
 * Everything held about customer `cu` on read connection `c` as of `now` (152-FZ art. 14): the
 * document of GET /v1/customers/{id}/export and `kartoteka privacy export` (new reference; NULL
 * with err set). The caller writes the audit entry of the read.
 */
json_t *export_customer_doc(struct store_conn *c, const struct customer *cu, int64_t now,
                            struct arena *a, struct kt_err *err);

#endif
