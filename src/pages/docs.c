/*
 * docs.c - the consent documents of the pages (docs.h).
 */
#include "pages/docs.h"

#include <string.h>

enum kt_rc pages_doc_latest(struct store_conn *c, const char *purpose, struct arena *a,
                            const struct consent_doc **out, struct kt_err *err)
{
    struct consent_doc *d = NULL;
    size_t n = 0;
    *out = NULL;
    if (store_doc_list(c, a, &d, &n, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(d[i].purpose, purpose) == 0 &&
            (*out == NULL || d[i].published_at >= (*out)->published_at)) {
            *out = &d[i];
        }
    }
    return KT_OK;
}
