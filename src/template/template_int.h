/*
 * template_int.h - what the compiler (compile.c), the renderer (render.c) and the filters
 * (filters.c) share: the compiled form of a template.
 *
 * A template is a flat array of operations. A section's body is the operations after it up to
 * its `end`, so the renderer walks index ranges and never looks for a closing tag: rendering is
 * linear in the operations visited, with no parsing.
 */
#ifndef KT_TEMPLATE_INT_H
#define KT_TEMPLATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "template/template.h"

#define TEMPLATE_NAME_PARTS_MAX 16 /* dots in a name + 1 */
#define TEMPLATE_ARGS_MAX       3  /* plural's three forms */

enum op_kind {
    OP_TEXT,     /* literal text */
    OP_VAR,      /* {{x}}, {{{x}}}, {{& x}} */
    OP_SECTION,  /* {{#x}} */
    OP_INVERTED, /* {{^x}} */
};

/* A name split at its dots at compile time; "." is the name with no parts. */
struct name_part {
    const char *p; /* a slice of `text` */
    size_t n;
};

struct name {
    const char *text;        /* whole, NUL-terminated, in the template's arena */
    size_t nparts;           /* 0 for "." */
    struct name_part part[]; /* nparts of them */
};

enum filter_id { F_MONEY, F_DATE, F_PLURAL, F_DEFAULT, F_UPPER, F_LOWER };

struct filter {
    enum filter_id id;
    uint8_t nargs;
    const char *arg[TEMPLATE_ARGS_MAX]; /* unescaped, NUL-terminated, in the template's arena */
    size_t alen[TEMPLATE_ARGS_MAX];
    bool flag; /* money: "kopecks" (always show them); date: "year" */
};

struct op {
    enum op_kind kind;
    bool raw;                     /* OP_VAR: not escaped even in HTML */
    uint8_t nfilters;             /* OP_VAR */
    uint32_t end;                 /* sections: the index after the body */
    const char *text;             /* OP_TEXT: borrowed from the template's copy */
    size_t len;                   /* OP_TEXT */
    const struct name *name;      /* not OP_TEXT */
    const struct filter *filters; /* OP_VAR: nfilters of them */
    int line;                     /* of the tag, for warnings */
    int column;
};

struct template
{
    struct arena arena; /* owns everything below */
    enum template_kind kind;
    const char *text; /* the copy of the source; ops point into it */
    struct op *ops;
    size_t nops;
    struct template_var *vars;
    size_t nvars;
};

/* A value travelling through a tag's filters: a JSON value, or text a filter made. */
struct tval {
    const json_t *j; /* NULL when missing or when `s` holds the value */
    const char *s;   /* text, when is_text */
    size_t n;
    bool is_text;
};

enum filter_result {
    FILTER_OK,
    FILTER_NOT_A_NUMBER, /* money or plural of something that is no integer */
    FILTER_NOT_A_DATE,
    FILTER_NOT_TEXT, /* upper or lower of an object or array */
};

/* Looks a filter up by name: false when there is none. */
bool template_filter_find(const char *name, size_t len, enum filter_id *id);

/* Checks a filter's arguments at compile time; NULL when fine, else why not (a message). */
const char *template_filter_check(struct filter *f);

/* Applies `f` to *v, writing any new text into `scratch` (emptied first) and pointing *v at it. */
enum filter_result template_filter_apply(const struct filter *f, struct tval *v,
                                         struct buf *scratch);

/* The text of a scalar (string, integer, real, true, false); false for null, objects, arrays. */
bool template_scalar_text(const json_t *j, char *tmp, size_t tmpsize, const char **s, size_t *n);

#endif
