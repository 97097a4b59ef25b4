/*
 * compile.c - template text to operations (template_int.h), once per save.
 *
 * One pass over the text: find the next "{{", decide the tag's kind and end, drop a standalone
 * line's indentation and line break (the Mustache spec), emit the text before the tag and the
 * tag's operation. Sections are matched with a stack; the open section's operation learns its
 * end when its closing tag comes. Every error names the line and column of what is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "template/template_int.h"

struct parser {
    struct template *t;
    const char *s; /* the template's copy of the text */
    size_t len;
    size_t ops_cap, vars_cap;
    size_t open[TEMPLATE_DEPTH_MAX]; /* indices of the open sections' operations */
    int depth;
    size_t lc_off; /* line and column known at lc_off, so positions are found in one pass */
    int lc_line, lc_col;
    uint32_t *vhash; /* index + 1 of each distinct variable, open addressing */
    size_t vhcap;
    struct template_pos *pos;
    struct kt_err *err;
};

/* A tag's place in the text: its delimiters and the content between them. */
struct tag {
    size_t start; /* of "{{" */
    size_t end;   /* after "}}" or "}}}" */
    size_t b, e;  /* the content, sigil excluded */
    char sigil;   /* '#', '^', '/', '!', '&', '{', '>', '=', '<', '$' or 0 for a variable */
};

/* Line and column (characters) of byte `off`; counts on from the last position asked. */
static void where(struct parser *p, size_t off, int *line, int *col)
{
    if (off < p->lc_off) {
        p->lc_off = 0;
        p->lc_line = 1;
        p->lc_col = 1;
    }
    for (size_t i = p->lc_off; i < off; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '\n') {
            p->lc_line++;
            p->lc_col = 1;
        } else if ((c & 0xC0) != 0x80) {
            p->lc_col++;
        }
    }
    p->lc_off = off;
    *line = p->lc_line;
    *col = p->lc_col;
}

static enum kt_rc fail(struct parser *p, size_t off, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum kt_rc fail(struct parser *p, size_t off, const char *code, const char *fmt, ...)
{
    int line, col;
    where(p, off, &line, &col);
    if (p->pos != NULL) {
        p->pos->line = line;
        p->pos->column = col;
    }
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    kt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return kt_err_set(p->err, KT_EINVAL, code, NULL, "line %d, column %d: %s", line, col, why);
}

/* Offset of the first byte that is not well-formed UTF-8 (or is NUL), or len. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (c == 0 || n == 0 || i + n > len) {
            return i;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return i;
            }
        }
        /* overlong three-byte forms, surrogates, overlong four-byte forms, past U+10FFFF */
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F)) {
            return i;
        }
        i += n;
    }
    return len;
}

static struct op *push_op(struct parser *p, enum op_kind kind, size_t off)
{
    struct template *t = p->t;
    struct op *o = arena_push(&t->arena, &t->ops, &t->nops, &p->ops_cap, sizeof(*o));
    o->kind = kind;
    where(p, off, &o->line, &o->column);
    return o;
}

static void emit_text(struct parser *p, size_t from, size_t to)
{
    if (to > from) {
        struct op *o = push_op(p, OP_TEXT, from);
        o->text = p->s + from;
        o->len = to - from;
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c >= 0x80;
}

/* Finds the end of the tag starting at `start`; false when it has none. */
static bool find_tag(struct parser *p, size_t start, struct tag *g)
{
    const char *s = p->s;
    size_t i = start + 2;
    g->start = start;
    g->sigil = i < p->len && strchr("#^/!&{>=<$", s[i]) != NULL ? s[i] : 0;
    g->b = g->sigil ? i + 1 : i;
    const char *close = g->sigil == '{' ? "}}}" : "}}";
    const char *at = memmem(s + g->b, p->len - g->b, close, strlen(close));
    if (at == NULL) {
        return false;
    }
    g->e = (size_t)(at - s);
    g->end = g->e + strlen(close);
    return true;
}

/* For a tag that may stand alone: when it is alone on its line, the start of that line's
 * indentation and the offset after the line's end; the Mustache spec removes both. */
static bool standalone(struct parser *p, const struct tag *g, size_t from, size_t *ls, size_t *le)
{
    if (!g->sigil || strchr("#^/!", g->sigil) == NULL) {
        return false;
    }
    size_t b = g->start;
    while (b > from && (p->s[b - 1] == ' ' || p->s[b - 1] == '\t')) {
        b--;
    }
    if (b > 0 && p->s[b - 1] != '\n') {
        return false;
    }
    size_t e = g->end;
    while (e < p->len && (p->s[e] == ' ' || p->s[e] == '\t')) {
        e++;
    }
    if (e < p->len && p->s[e] == '\r' && e + 1 < p->len && p->s[e + 1] == '\n') {
        e += 2;
    } else if (e < p->len && p->s[e] == '\n') {
        e++;
    } else if (e < p->len) {
        return false;
    }
    *ls = b;
    *le = e;
    return true;
}

/* Parses a name at *i (within [.., e)): "." or dotted parts of name characters. */
static enum kt_rc parse_name(struct parser *p, size_t *i, size_t e, const struct name **out)
{
    size_t b = *i, j = b;
    while (j < e && (is_name_char((unsigned char)p->s[j]) || p->s[j] == '.')) {
        j++;
    }
    if (j == b) {
        return fail(p, b, "template_syntax", "a name was expected");
    }
    if (j - b > TEMPLATE_NAME_MAX) {
        return fail(p, b, "template_bad_name", "a name is longer than %d bytes", TEMPLATE_NAME_MAX);
    }
    bool dot = j - b == 1 && p->s[b] == '.';
    size_t nparts = 1;
    for (size_t k = b; k < j && !dot; k++) {
        if (p->s[k] == '.' && (k == b || k + 1 == j || p->s[k + 1] == '.')) {
            return fail(p, k, "template_bad_name", "a name has an empty part around a dot");
        }
        nparts += p->s[k] == '.';
    }
    if (nparts > TEMPLATE_NAME_PARTS_MAX) {
        return fail(p, b, "template_bad_name", "a name has more than %d parts",
                    TEMPLATE_NAME_PARTS_MAX);
    }
    nparts = dot ? 0 : nparts;
    struct name *n = arena_alloc(&p->t->arena, sizeof(*n) + nparts * sizeof(n->part[0]));
    n->text = arena_strndup(&p->t->arena, p->s + b, j - b);
    n->nparts = nparts;
    for (size_t k = 0, start = 0; k < nparts; k++) {
        const char *dotp = memchr(n->text + start, '.', (j - b) - start);
        size_t stop = dotp ? (size_t)(dotp - n->text) : j - b;
        n->part[k] = (struct name_part){n->text + start, stop - start};
        start = stop + 1;
    }
    *i = j;
    *out = n;
    return KT_OK;
}

static uint32_t hash_var(const char *name, const char *section)
{
    uint32_t h = 2166136261u;
    for (const char *c = name; *c; c++) {
        h = (h ^ (unsigned char)*c) * 16777619u;
    }
    h = (h ^ 0xFF) * 16777619u; /* no byte of UTF-8 text: keeps ("a", "b.c") from ("a.b", "c") */
    for (const char *c = section ? section : ""; *c; c++) {
        h = (h ^ (unsigned char)*c) * 16777619u;
    }
    return h;
}

static void vhash_grow(struct parser *p)
{
    size_t cap = p->vhcap ? p->vhcap * 2 : 64;
    uint32_t *h = kt_calloc(cap, sizeof(*h));
    for (size_t i = 0; i < p->t->nvars; i++) {
        const struct template_var *v = &p->t->vars[i];
        size_t k = hash_var(v->name, v->section) & (cap - 1);
        while (h[k]) {
            k = (k + 1) & (cap - 1);
        }
        h[k] = (uint32_t)i + 1;
    }
    free(p->vhash);
    p->vhash = h;
    p->vhcap = cap;
}

/* Notes a variable once per (name, section), in order of first use, in linear time. */
static void note_var(struct parser *p, const struct op *o)
{
    if (o->name->nparts == 0) {
        return;
    }
    const char *sec = p->depth ? p->t->ops[p->open[p->depth - 1]].name->text : NULL;
    if ((p->t->nvars + 1) * 2 > p->vhcap) {
        vhash_grow(p);
    }
    size_t k = hash_var(o->name->text, sec) & (p->vhcap - 1);
    for (; p->vhash[k]; k = (k + 1) & (p->vhcap - 1)) {
        const struct template_var *v = &p->t->vars[p->vhash[k] - 1];
        if (strcmp(v->name, o->name->text) == 0 &&
            (v->section == sec || (v->section && sec && strcmp(v->section, sec) == 0))) {
            return;
        }
    }
    struct template *t = p->t;
    struct template_var *v = arena_push(&t->arena, &t->vars, &t->nvars, &p->vars_cap, sizeof(*v));
    *v = (struct template_var){o->name->text, sec, o->line, o->column};
    p->vhash[k] = (uint32_t)t->nvars;
}

static size_t skip_space(const struct parser *p, size_t i, size_t e)
{
    while (i < e && is_space(p->s[i])) {
        i++;
    }
    return i;
}

/* A double-quoted argument at *i: \" and \\ are the only escapes. */
static enum kt_rc parse_arg(struct parser *p, size_t *i, size_t e, struct filter *f)
{
    if (*i >= e || p->s[*i] != '"') {
        return fail(p, *i, "template_filter_arguments",
                    "a filter's argument must be in double quotes");
    }
    size_t b = *i + 1, j = b, n = 0;
    char *out = arena_alloc(&p->t->arena, e - b + 1);
    for (; j < e && p->s[j] != '"'; j++) {
        if (p->s[j] == '\\') {
            if (j + 1 >= e || (p->s[j + 1] != '"' && p->s[j + 1] != '\\')) {
                return fail(p, j, "template_filter_arguments",
                            "only \\\" and \\\\ may follow a backslash in an argument");
            }
            j++;
        }
        out[n++] = p->s[j];
    }
    if (j >= e) {
        return fail(p, *i, "template_filter_arguments", "an argument's quote is not closed");
    }
    out[n] = '\0';
    if (f->nargs == TEMPLATE_ARGS_MAX) {
        return fail(p, *i, "template_filter_arguments", "a filter takes at most %d arguments",
                    TEMPLATE_ARGS_MAX);
    }
    f->arg[f->nargs] = out;
    f->alen[f->nargs++] = n;
    *i = j + 1;
    return KT_OK;
}

/* One filter at *i, after its '|': a name, then ':' and arguments separated by commas. */
static enum kt_rc parse_filter(struct parser *p, size_t *i, size_t e, struct filter *f)
{
    size_t b = skip_space(p, *i, e), j = b;
    while (j < e && ((p->s[j] >= 'a' && p->s[j] <= 'z') || p->s[j] == '_')) {
        j++;
    }
    if (j == b) {
        return fail(p, b, "template_syntax", "a filter name was expected after '|'");
    }
    if (!template_filter_find(p->s + b, j - b, &f->id)) {
        return fail(p, b, "template_unknown_filter", "unknown filter '%.*s'", (int)(j - b),
                    p->s + b);
    }
    size_t name_len = j - b;
    j = skip_space(p, j, e);
    if (j < e && p->s[j] == ':') {
        do {
            j = skip_space(p, j + 1, e);
            enum kt_rc rc = parse_arg(p, &j, e, f);
            if (rc != KT_OK) {
                return rc;
            }
            j = skip_space(p, j, e);
        } while (j < e && p->s[j] == ',');
    }
    const char *why = template_filter_check(f);
    if (why != NULL) {
        return fail(p, b, "template_filter_arguments", "filter '%.*s' %s", (int)name_len, p->s + b,
                    why);
    }
    *i = j;
    return KT_OK;
}

/* A variable tag's content: a name, then filters each after a '|'. */
static enum kt_rc parse_var(struct parser *p, const struct tag *g, bool raw)
{
    size_t i = skip_space(p, g->b, g->e);
    struct op *o = push_op(p, OP_VAR, g->start);
    o->raw = raw;
    enum kt_rc rc = parse_name(p, &i, g->e, &o->name);
    if (rc != KT_OK) {
        return rc;
    }
    struct filter fs[TEMPLATE_FILTERS_MAX];
    size_t n = 0;
    for (i = skip_space(p, i, g->e); i < g->e; i = skip_space(p, i, g->e)) {
        if (p->s[i] != '|') {
            return fail(p, i, "template_syntax", "'|' or the end of the tag was expected");
        }
        if (n == TEMPLATE_FILTERS_MAX) {
            return fail(p, i, "template_syntax", "a tag has more than %d filters",
                        TEMPLATE_FILTERS_MAX);
        }
        fs[n] = (struct filter){0};
        i++;
        rc = parse_filter(p, &i, g->e, &fs[n++]);
        if (rc != KT_OK) {
            return rc;
        }
    }
    struct filter *kept = arena_alloc(&p->t->arena, n ? n * sizeof(*kept) : 1);
    memcpy(kept, fs, n * sizeof(*kept));
    o->filters = kept;
    o->nfilters = (uint8_t)n;
    note_var(p, o);
    return KT_OK;
}

/* The name alone that a section's tag or a closing tag holds. */
static enum kt_rc parse_bare_name(struct parser *p, const struct tag *g, const struct name **n)
{
    size_t i = skip_space(p, g->b, g->e);
    enum kt_rc rc = parse_name(p, &i, g->e, n);
    if (rc != KT_OK) {
        return rc;
    }
    i = skip_space(p, i, g->e);
    if (i < g->e) {
        return fail(p, i, "template_syntax",
                    p->s[i] == '|' ? "filters apply to variables, not to sections"
                                   : "the end of the tag was expected after the name");
    }
    return KT_OK;
}

static enum kt_rc open_section(struct parser *p, const struct tag *g)
{
    if (p->depth == TEMPLATE_DEPTH_MAX) {
        return fail(p, g->start, "template_too_deep", "more than %d sections inside each other",
                    TEMPLATE_DEPTH_MAX);
    }
    struct op *o = push_op(p, g->sigil == '#' ? OP_SECTION : OP_INVERTED, g->start);
    enum kt_rc rc = parse_bare_name(p, g, &o->name);
    if (rc != KT_OK) {
        return rc;
    }
    note_var(p, o);
    p->open[p->depth++] = p->t->nops - 1;
    return KT_OK;
}

static enum kt_rc close_section(struct parser *p, const struct tag *g)
{
    const struct name *n;
    enum kt_rc rc = parse_bare_name(p, g, &n);
    if (rc != KT_OK) {
        return rc;
    }
    if (p->depth == 0) {
        return fail(p, g->start, "template_unexpected_close",
                    "'%s' is closed but no section is open", n->text);
    }
    struct op *o = &p->t->ops[p->open[p->depth - 1]];
    if (strcmp(o->name->text, n->text) != 0) {
        return fail(p, g->start, "template_mismatched_section",
                    "'%s' is closed but the section open is '%s' (line %d, column %d)", n->text,
                    o->name->text, o->line, o->column);
    }
    o->end = (uint32_t)p->t->nops;
    p->depth--;
    return KT_OK;
}

static enum kt_rc do_tag(struct parser *p, const struct tag *g)
{
    switch (g->sigil) {
    case '!':
        return KT_OK;
    case '#':
    case '^':
        return open_section(p, g);
    case '/':
        return close_section(p, g);
    case '&':
    case '{':
        return parse_var(p, g, true);
    case 0:
        return parse_var(p, g, p->t->kind != TEMPLATE_HTML);
    default: /* '>', '=', '<', '$' */
        return fail(p, g->start, "template_unsupported", "%s are not supported",
                    g->sigil == '>'   ? "partials"
                    : g->sigil == '=' ? "delimiter changes"
                                      : "template inheritance blocks");
    }
}

static enum kt_rc parse(struct parser *p)
{
    size_t pos = 0;
    while (pos < p->len) {
        const char *at = memmem(p->s + pos, p->len - pos, "{{", 2);
        if (at == NULL) {
            emit_text(p, pos, p->len);
            break;
        }
        struct tag g;
        if (!find_tag(p, (size_t)(at - p->s), &g)) {
            return fail(p, (size_t)(at - p->s), "template_unclosed_tag",
                        "a tag is opened with '{{' but not closed with '%s'",
                        at[2] == '{' ? "}}}" : "}}");
        }
        size_t ls = g.start, le = g.end;
        standalone(p, &g, pos, &ls, &le);
        emit_text(p, pos, ls);
        enum kt_rc rc = do_tag(p, &g);
        if (rc != KT_OK) {
            return rc;
        }
        pos = le;
    }
    if (p->depth > 0) {
        /* the innermost: an outer one may be closed by the tag the inner one lacks */
        const struct op *o = &p->t->ops[p->open[p->depth - 1]];
        if (p->pos != NULL) {
            p->pos->line = o->line;
            p->pos->column = o->column;
        }
        return kt_err_set(p->err, KT_EINVAL, "template_unclosed_section", NULL,
                          "line %d, column %d: section '%s' is not closed", o->line, o->column,
                          o->name->text);
    }
    return KT_OK;
}

enum kt_rc template_compile(const char *text, size_t len, enum template_kind kind,
                            struct template **out, struct template_pos *pos, struct kt_err *err)
{
    *out = NULL;
    struct parser p = {.len = len, .lc_line = 1, .lc_col = 1, .pos = pos, .err = err};
    if (pos != NULL) {
        *pos = (struct template_pos){0, 0};
    }
    if (len > TEMPLATE_TEXT_MAX) {
        return kt_err_set(err, KT_EINVAL, "template_too_long", NULL,
                          "a template is at most %d bytes", TEMPLATE_TEXT_MAX);
    }
    struct template *t = kt_calloc(1, sizeof(*t));
    arena_init(&t->arena, 0);
    t->kind = kind;
    char *copy = arena_alloc(&t->arena, len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    t->text = copy;
    p.t = t;
    p.s = copy;
    enum kt_rc rc = KT_OK;
    size_t bad = utf8_bad((const unsigned char *)copy, len);
    if (bad < len) {
        rc = fail(&p, bad, "template_invalid_utf8", "the text is not valid UTF-8 (or holds NUL)");
        goto out;
    }
    rc = parse(&p);
out:
    free(p.vhash);
    if (rc != KT_OK) {
        template_free(t);
        return rc;
    }
    *out = t;
    return KT_OK;
}

void template_free(struct template *t)
{
    if (t != NULL) {
        arena_release(&t->arena);
        free(t);
    }
}

enum template_kind template_kind_of(const struct template *t)
{
    return t->kind;
}

size_t template_vars(const struct template *t, const struct template_var **vars)
{
    *vars = t->vars;
    return t->nvars;
}
