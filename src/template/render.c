/*
 * render.c - a compiled template against a JSON context, many times a second.
 *
 * The renderer walks the operations by index; a section renders the range of its body once, per
 * item of a list, or not at all. Lookups walk the stack of section values from the innermost, as
 * Mustache does. Two limits bound a render whatever the template and the context: the bytes it
 * adds (TEMPLATE_OUTPUT_MAX) and the operations and list items it visits (TEMPLATE_STEPS_MAX), so
 * nested lists that print nothing cannot spin either.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "template/template_int.h"

struct render {
    const struct template *t;
    struct buf *out;
    size_t out_start; /* out->len before the render: the limit counts only what it adds */
    const json_t *stack[TEMPLATE_DEPTH_MAX + 1]; /* the context, then each section's value */
    int sp;
    size_t steps;
    struct template_warnings *warn; /* may be NULL */
    struct buf scratch[2];          /* filters write into these, in turn */
    struct kt_err *err;
};

static const json_t *lookup(const struct render *r, const struct name *n)
{
    if (n->nparts == 0) {
        return r->stack[r->sp - 1];
    }
    const json_t *v = NULL;
    for (int i = r->sp - 1; i >= 0 && v == NULL; i--) {
        if (json_is_object(r->stack[i])) {
            v = json_object_getn(r->stack[i], n->part[0].p, n->part[0].n);
        }
    }
    /* the rest of a dotted name resolves in what the first part found, never further out */
    for (size_t k = 1; k < n->nparts && v != NULL; k++) {
        v = json_is_object(v) ? json_object_getn(v, n->part[k].p, n->part[k].n) : NULL;
    }
    return v;
}

/* Mustache's truth, as mustache.js has it: missing, null, false, 0, "" and [] are false. */
static bool truthy(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
    case JSON_TRUE:
        return true;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    default:
        return false;
    }
}

bool template_scalar_text(const json_t *j, char *tmp, size_t tmpsize, const char **s, size_t *n)
{
    switch (j ? json_typeof(j) : JSON_NULL) {
    case JSON_STRING:
        *s = json_string_value(j);
        *n = json_string_length(j);
        return true;
    case JSON_INTEGER:
        *n = kt_snprintf(tmp, tmpsize, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_REAL:
        *n = kt_snprintf(tmp, tmpsize, "%.15g", json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        *n = kt_snprintf(tmp, tmpsize, "%s", json_is_true(j) ? "true" : "false");
        break;
    default:
        return false;
    }
    *s = tmp;
    *n = *n < tmpsize ? *n : tmpsize - 1;
    return true;
}

static void warn(struct render *r, const struct op *o, const char *code)
{
    struct template_warnings *w = r->warn;
    if (w == NULL) {
        return;
    }
    w->total++;
    for (size_t i = 0; i < w->n; i++) {
        if (w->w[i].line == o->line && w->w[i].column == o->column && w->w[i].code == code) {
            return;
        }
    }
    if (w->n < TEMPLATE_WARNINGS_MAX) {
        w->w[w->n++] = (struct template_warning){code, o->name->text, o->line, o->column};
    }
}

void template_escape_html(struct buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ent;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        buf_append(out, s + run, i - run);
        buf_puts(out, ent);
        run = i + 1;
    }
    buf_append(out, s + run, n - run);
}

static const char *filter_warning(enum filter_result fr)
{
    switch (fr) {
    case FILTER_NOT_A_NUMBER:
        return "not_a_number";
    case FILTER_NOT_A_DATE:
        return "not_a_date";
    default:
        return "not_text";
    }
}

static void render_var(struct render *r, const struct op *o)
{
    struct tval v = {.j = lookup(r, o->name)};
    for (size_t k = 0; k < o->nfilters; k++) {
        enum filter_result fr = template_filter_apply(&o->filters[k], &v, &r->scratch[k % 2]);
        if (fr != FILTER_OK) {
            warn(r, o, filter_warning(fr));
            return;
        }
    }
    char tmp[64];
    const char *s = v.s;
    size_t n = v.n;
    if (!v.is_text && !template_scalar_text(v.j, tmp, sizeof(tmp), &s, &n)) {
        warn(r, o, v.j == NULL || json_is_null(v.j) ? "missing_value" : "not_text");
        return;
    }
    if (o->raw) {
        buf_append(r->out, s, n);
    } else {
        template_escape_html(r->out, s, n);
    }
}

static enum kt_rc render_range(struct render *r, size_t from, size_t to);

/* Counts one operation or list item visited; fails past the limit. */
static enum kt_rc step(struct render *r)
{
    if (++r->steps > TEMPLATE_STEPS_MAX) {
        return kt_err_set(r->err, KT_EINVAL, "template_too_much_work", NULL,
                          "rendering visits more than %d tags and list items", TEMPLATE_STEPS_MAX);
    }
    return KT_OK;
}

/* A section's body once with `v` as the innermost context. */
static enum kt_rc render_body(struct render *r, const json_t *v, const struct op *o, size_t i)
{
    r->stack[r->sp++] = v;
    enum kt_rc rc = render_range(r, i + 1, o->end);
    r->sp--;
    return rc;
}

static enum kt_rc render_section(struct render *r, const struct op *o, size_t i)
{
    const json_t *v = lookup(r, o->name);
    if (o->kind == OP_INVERTED) {
        return truthy(v) ? KT_OK : render_range(r, i + 1, o->end);
    }
    if (!json_is_array(v)) {
        return truthy(v) ? render_body(r, v, o, i) : KT_OK;
    }
    for (size_t k = 0; k < json_array_size(v); k++) {
        enum kt_rc rc = step(r);
        if (rc == KT_OK) {
            rc = render_body(r, json_array_get(v, k), o, i);
        }
        if (rc != KT_OK) {
            return rc;
        }
    }
    return KT_OK;
}

static enum kt_rc render_range(struct render *r, size_t from, size_t to)
{
    const struct op *ops = r->t->ops;
    for (size_t i = from; i < to;) {
        const struct op *o = &ops[i];
        enum kt_rc rc = step(r);
        if (rc != KT_OK) {
            return rc;
        }
        if (o->kind == OP_TEXT) {
            buf_append(r->out, o->text, o->len);
        } else if (o->kind == OP_VAR) {
            render_var(r, o);
        } else {
            rc = render_section(r, o, i);
        }
        if (rc != KT_OK) {
            return rc;
        }
        if (r->out->failed || r->out->len - r->out_start > TEMPLATE_OUTPUT_MAX) {
            return kt_err_set(r->err, KT_EINVAL, "template_output_too_long", NULL,
                              "the rendered text is longer than %d bytes", TEMPLATE_OUTPUT_MAX);
        }
        i = o->kind == OP_TEXT || o->kind == OP_VAR ? i + 1 : o->end;
    }
    return KT_OK;
}

enum kt_rc template_render(const struct template *t, const json_t *ctx, struct buf *out,
                           struct template_warnings *warn_out, struct kt_err *err)
{
    struct render r = {.t = t, .out = out, .out_start = out->len, .warn = warn_out, .err = err};
    if (warn_out != NULL) {
        warn_out->n = 0;
        warn_out->total = 0;
    }
    buf_init(&r.scratch[0], TEMPLATE_OUTPUT_MAX);
    buf_init(&r.scratch[1], TEMPLATE_OUTPUT_MAX);
    r.stack[r.sp++] = ctx;
    enum kt_rc rc = render_range(&r, 0, t->nops);
    buf_release(&r.scratch[0]);
    buf_release(&r.scratch[1]);
    return rc;
}
