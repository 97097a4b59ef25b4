/*
 * history.c - a customer's history as this module keeps it. Entries are gathered while a request
 * is decided (ident_record) and written once the customer's key is known (ident_flush_history); a
 * new customer gets one "create" entry with all its first values instead of one per value
 * (ident_create_entry). ident_history_value reads the values back in the form each was written.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "identity/identity_int.h"

void ident_record(struct ctx *x, const char *field, const char *action, const char *old_value,
                  const char *new_value)
{
    if (x->created && strcmp(action, "refused") != 0) {
        return; /* the "create" entry (ident_create_entry()) records the first values at once */
    }
    struct history_entry *h = arena_push(x->a, &x->hist, &x->n_hist, &x->cap_hist, sizeof(*h));
    h->at = x->now;
    h->field = field;
    h->action = action;
    h->old_value = old_value;
    h->new_value = new_value;
    h->channel = x->src->channel;
    h->store_id = x->src->store_id;
    h->operator_id = x->src->operator_id;
    h->request_id = x->src->request_id;
}

enum kt_rc ident_flush_history(struct ctx *x, struct kt_err *err)
{
    for (size_t i = 0; i < x->n_hist; i++) {
        x->hist[i].ck = x->c->ck;
        enum kt_rc rc = store_history_add(x->w, &x->hist[i], err);
        if (rc != KT_OK) {
            return rc;
        }
    }
    x->n_hist = 0;
    return KT_OK;
}

/* A JSON string: the values are valid UTF-8 (cleaned), so only quotes, backslashes and control
 * characters need escapes. */
static void put_json_str(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        buf_append(b, run, (size_t)(p - run));
        if (c == '\0') {
            break;
        }
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else {
            buf_printf(b, "\\u%04x", c);
        }
        run = p + 1;
    }
    buf_putc(b, '"');
}

/* The first history entry of a new customer: every first value in one JSON document, so loading
 * a million customers writes one history row each rather than a dozen. Written by hand rather
 * than through Jansson: it is the writer's hottest text on a bulk load. Keys in a fixed order:
 * id, profile (fields in their standard order), identifiers (kinds as first met), attributes. */
enum kt_rc ident_create_entry(struct ctx *x, const struct cand *cs, size_t n, struct kt_err *err)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "{\"id\":");
    put_json_str(&b, x->c->id);
    buf_puts(&b, ",\"profile\":{");
    bool first = true;
    for (int f = 0; f < PF_COUNT; f++) {
        if (x->c->val[f] != NULL) {
            buf_printf(&b, "%s\"%s\":", first ? "" : ",", pf_names[f]);
            put_json_str(&b, x->c->val[f]);
            first = false;
        }
    }
    buf_puts(&b, "},\"identifiers\":{");
    first = true;
    for (size_t i = 0; i < n; i++) {
        bool seen = false; /* kinds group their values: {"card": ["1", "2"]} */
        for (size_t k = 0; k < i && !seen; k++) {
            seen = cs[k].owner == 0 && strcmp(cs[k].id.kind, cs[i].id.kind) == 0;
        }
        if (cs[i].owner != 0 || seen) {
            continue;
        }
        buf_puts(&b, first ? "" : ",");
        put_json_str(&b, cs[i].id.kind);
        buf_puts(&b, ":[");
        for (size_t k = i; k < n; k++) {
            if (cs[k].owner == 0 && strcmp(cs[k].id.kind, cs[i].id.kind) == 0) {
                buf_puts(&b, k == i ? "" : ",");
                put_json_str(&b, cs[k].id.value);
            }
        }
        buf_putc(&b, ']');
        first = false;
    }
    buf_putc(&b, '}');
    if (x->c->attrs != NULL && strcmp(x->c->attrs, "{}") != 0) {
        buf_printf(&b, ",\"attributes\":%s", x->c->attrs); /* already JSON (apply_attrs) */
    }
    buf_putc(&b, '}');
    struct history_entry h;
    memset(&h, 0, sizeof(h));
    h.ck = x->c->ck;
    h.at = x->now;
    h.field = "customer";
    h.action = "create";
    h.new_value = b.failed ? NULL : arena_strdup(x->a, buf_cstr(&b));
    h.channel = x->src->channel;
    h.store_id = x->src->store_id;
    h.operator_id = x->src->operator_id;
    h.request_id = x->src->request_id;
    buf_release(&b);
    if (h.new_value == NULL) {
        return kt_err_set(err, KT_ETOOBIG, "too_big", "customer",
                          "the customer's first values exceed the history entry's limit");
    }
    return store_history_add(x->w, &h, err);
}

json_t *ident_history_value(const struct history_entry *h, const char *value, struct arena *a)
{
    if (value == NULL) {
        return json_null();
    }
    bool create = strcmp(h->field, "customer") == 0 && strcmp(h->action, "create") == 0;
    bool attr = strncmp(h->field, "attributes.", 11) == 0 && strcmp(h->action, "refused") != 0;
    if (strcmp(h->field, "identifiers.email") == 0 && strcmp(h->action, "refused") != 0) {
        return json_string(clean_email_display(value, a));
    }
    json_t *doc = create || attr ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
    if (doc == NULL) {
        return json_string(value); /* text, or JSON this version cannot read: shown as stored */
    }
    json_t *emails = json_object_get(json_object_get(doc, "identifiers"), "email");
    size_t i;
    json_t *e;
    json_array_foreach(create ? emails : NULL, i, e)
    {
        if (json_is_string(e)) {
            json_array_set_new(emails, i,
                               json_string(clean_email_display(json_string_value(e), a)));
        }
    }
    return doc;
}
