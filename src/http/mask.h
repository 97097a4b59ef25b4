/*
 * mask.h - an analyst's replies with every phone and e-mail masked (issue 15, part 3; docs/api.md,
 * "Masking for analysts"). One place for every route: the router calls http_mask_reply after
 * the handler of any request whose key has the analyst scope, so a route needs nothing of its own
 * to be masked - and a reply the mask cannot read (a file, a CSV, an image) is refused.
 */
#ifndef KT_HTTP_MASK_H
#define KT_HTTP_MASK_H

#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"

/*
 * Masks, in place, in the JSON `v` (base/mask.h, MASK_ANALYST):
 *   - every string under a member named "phone" or "email" (one, or an array of them: a profile,
 *     the identifiers, an event's customer);
 *   - "value" of an object whose "kind" is phone or email (an identifier);
 *   - "old_value" and "new_value" of an object whose "field" is phone, email, identifiers.phone or
 *     identifiers.email (a history entry);
 *   - and, anywhere else, every string that is a phone in E.164 or an e-mail address, or that holds
 *     one among other words (a provider's reply, an event's properties), that word masked.
 */
void http_mask_json(json_t *v, struct arena *a);

/* The reply of an analyst's request: JSON masked (KT_OK), an empty reply as it is, anything else
 * KT_EFORBIDDEN forbidden (an analyst receives no file and no export). */
enum kt_rc http_mask_reply(struct http_req *r, struct kt_err *err);

#endif
