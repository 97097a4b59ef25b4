/*
 * template.h - the one logic-less template language (Mustache-style, with Russian money, date and
 * plural filters) of messages and pages. docs/templates.md is the language; README.md here is
 * the design.
 *
 * Compile once, render many times: template_compile() parses the text into a flat list of
 * operations that template_render() walks against a JSON context, with no parsing per render.
 * A compiled template is immutable, so one may be rendered by many threads at once.
 */
#ifndef KT_TEMPLATE_TEMPLATE_H
#define KT_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Limits against hostile input; each is an error (422), never a crash. */
#define TEMPLATE_TEXT_MAX     (256 * 1024)  /* bytes of template text */
#define TEMPLATE_DEPTH_MAX    32            /* sections open inside each other */
#define TEMPLATE_FILTERS_MAX  8             /* filters on one tag */
#define TEMPLATE_NAME_MAX     128           /* bytes of one variable name, dots included */
#define TEMPLATE_OUTPUT_MAX   (1024 * 1024) /* bytes one render may add to its output */
#define TEMPLATE_STEPS_MAX    1000000       /* operations and list items one render may visit */
#define TEMPLATE_WARNINGS_MAX 16            /* warnings kept per render; `total` counts the rest */

enum template_kind {
    TEMPLATE_TEXT, /* subject, plain text, SMS, push: values go out as they are */
    TEMPLATE_HTML, /* HTML: {{x}} escapes & < > " ', {{{x}}} and {{& x}} do not */
};

struct template;

/* Where a compile error is: 1-based line and column (in characters, not bytes). */
struct template_pos {
    int line;
    int column;
};

/*
 * Compiles `len` bytes of `text` (UTF-8, need not be NUL-terminated; copied). On success *out is
 * a new template for template_free(). On failure *out is NULL, `err` holds a 422 with a code of
 * docs/templates.md ("template_syntax", "template_unclosed_section", "template_unknown_filter"...)
 * and a message that starts with the place, and `pos` (may be NULL) the line and column.
 */
enum kt_rc template_compile(const char *text, size_t len, enum template_kind kind,
                            struct template **out, struct template_pos *pos, struct kt_err *err);

void template_free(struct template *t);

enum template_kind template_kind_of(const struct template *t);

/* Something a render could not show as the template meant; the render goes on. */
struct template_warning {
    const char *code; /* static: "missing_value", "not_text", "not_a_number", "not_a_date" */
    const char *name; /* the variable as written, borrowed from the template */
    int line;         /* of its tag, 1-based */
    int column;
};

struct template_warnings {
    size_t n;     /* kept in w[], at most TEMPLATE_WARNINGS_MAX, one per tag */
    size_t total; /* raised, each tag once per render, kept or not */
    struct template_warning w[TEMPLATE_WARNINGS_MAX];
};

/*
 * Renders `t` against `ctx` (any JSON value; an object in practice), appending to `out`.
 * `warn` (may be NULL, which is cheaper) is emptied first and collects warnings: a value missing
 * without a `default`, a money that is no integer, a date that is no date. Fails (KT_EINVAL,
 * "template_output_too_long" or "template_too_much_work") past TEMPLATE_OUTPUT_MAX or
 * TEMPLATE_STEPS_MAX; `out` then holds a partial text the caller must not send.
 */
enum kt_rc template_render(const struct template *t, const json_t *ctx, struct buf *out,
                           struct template_warnings *warn, struct kt_err *err);

/* A variable a template uses (a tag's or a section's name; never "."), for the save-time list of
 * unknown variables. */
struct template_var {
    const char *name;    /* as written, "store.city"; NUL-terminated, borrowed from the template */
    const char *section; /* the innermost enclosing section's name, or NULL at the top: a name in
                            a list section may be a field of its items */
    int line;            /* first use */
    int column;
};

/* Every variable used, each (name, section) once, in order of first use; borrowed from `t`. */
size_t template_vars(const struct template *t, const struct template_var **vars);

/* Appends the n bytes of `s` escaped for HTML (and XML, SVG) text and attribute values:
 * & < > " ' (what {{x}} does in an HTML template). */
void template_escape_html(struct buf *out, const char *s, size_t n);

#endif
