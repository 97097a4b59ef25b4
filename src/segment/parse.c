/*
 * parse.c - the segment language's lexer and recursive-descent parser (grammar in
 * docs/segments.md). Each error says where (line, column) and what was expected there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "consent/consent.h"
#include "segment/segment.h"

const char *const segment_fields[] = {"first_name", "last_name", "middle_name", "gender",
                                      "birth_date", "email",     "phone",       "city",
                                      "address",    NULL};

enum tok { T_END, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_OP, T_BAD };

struct parser {
    const char *src;
    size_t pos;
    /* the current token */
    enum tok t;
    size_t start, len;
    const char *text; /* T_IDENT, T_STRING: in the arena */
    int64_t number;
    enum seg_op op;
    int depth;
    struct arena *a;
    struct seg_error *e;
    bool failed;
};

static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    p->failed = true;
    struct seg_error *e = p->e;
    e->line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at && p->src[i]; i++) {
        if (p->src[i] == '\n') {
            e->line++;
            line_start = i + 1;
        }
    }
    e->column = 1;
    for (size_t i = line_start; i < at; i++) {
        e->column += ((unsigned char)p->src[i] & 0xC0) != 0x80; /* characters, not bytes */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    size_t line_len = strcspn(p->src + line_start, "\n");
    size_t shown = line_len < 150 ? line_len : 150;
    int n = snprintf(e->caret, sizeof(e->caret), "%.*s\n", (int)shown, p->src + line_start);
    for (int c = 1; c < e->column && n < (int)sizeof(e->caret) - 2; c++) {
        e->caret[n++] = ' ';
    }
    e->caret[n++] = '^';
    e->caret[n] = '\0';
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Reads the next token. */
static void next(struct parser *p)
{
    const char *s = p->src;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r') {
        p->pos++;
    }
    p->start = p->pos;
    char c = s[p->pos];
    if (c == '\0') {
        p->t = T_END;
        p->len = 0;
        return;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        while (ident_char(s[p->pos])) {
            p->pos++;
        }
        p->t = T_IDENT;
        p->text = arena_strndup(p->a, s + p->start, p->pos - p->start);
    } else if ((c >= '0' && c <= '9') ||
               (c == '-' && s[p->pos + 1] >= '0' && s[p->pos + 1] <= '9')) {
        bool neg = c == '-';
        p->pos += neg;
        int64_t v = 0;
        while (s[p->pos] >= '0' && s[p->pos] <= '9') {
            if (v > 100000000000000LL) {
                fail_at(p, p->start, "a number this large is not a count, money or days");
                p->t = T_BAD;
                return;
            }
            v = v * 10 + (s[p->pos++] - '0');
        }
        p->t = T_NUMBER;
        p->number = neg ? -v : v;
    } else if (c == '"') {
        p->pos++;
        char *out = arena_alloc(p->a, strlen(s + p->pos) + 1);
        size_t n = 0;
        while (s[p->pos] != '"') {
            if (s[p->pos] == '\0' || s[p->pos] == '\n') {
                fail_at(p, p->start, "a string is not closed with \"");
                p->t = T_BAD;
                return;
            }
            if (s[p->pos] == '\\' && (s[p->pos + 1] == '"' || s[p->pos + 1] == '\\')) {
                p->pos++;
            }
            out[n++] = s[p->pos++];
        }
        p->pos++;
        out[n] = '\0';
        p->t = T_STRING;
        p->text = out;
    } else if (strchr("(),.", c) != NULL) {
        p->pos++;
        p->t = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : c == ',' ? T_COMMA : T_DOT;
    } else if (c == '=' || c == '<' || c == '>' || (c == '!' && s[p->pos + 1] == '=')) {
        bool eq = s[p->pos + 1] == '=';
        p->op = c == '='   ? OP_EQ
                : c == '!' ? OP_NE
                : c == '<' ? (eq ? OP_LE : OP_LT)
                           : (eq ? OP_GE : OP_GT);
        p->pos += (c != '=' && eq) ? 2 : 1;
        p->t = T_OP;
    } else {
        fail_at(p, p->start, "unexpected character");
        p->t = T_BAD;
    }
    p->len = p->pos - p->start;
}

static bool is_word(struct parser *p, const char *w)
{
    return p->t == T_IDENT && strcmp(p->text, w) == 0;
}

static bool expect_word(struct parser *p, const char *w)
{
    if (!is_word(p, w)) {
        fail_at(p, p->start, "expected '%s'", w);
        return false;
    }
    next(p);
    return true;
}

static bool expect(struct parser *p, enum tok t, const char *what)
{
    if (p->t != t) {
        fail_at(p, p->start, "expected %s", what);
        return false;
    }
    next(p);
    return true;
}

static struct seg_node *node(struct parser *p, enum seg_kind k)
{
    struct seg_node *n = arena_zalloc(p->a, sizeof(*n));
    n->kind = k;
    return n;
}

static struct seg_node *pair(struct parser *p, enum seg_kind k, struct seg_node *a,
                             struct seg_node *b)
{
    struct seg_node *n = node(p, k);
    n->a = a;
    n->b = b;
    return n;
}

static bool op(struct parser *p, enum seg_op *out)
{
    if (p->t != T_OP) {
        fail_at(p, p->start, "expected a comparison (=, !=, <, <=, >, >=)");
        return false;
    }
    *out = p->op;
    next(p);
    return true;
}

static bool number(struct parser *p, int64_t *out)
{
    if (p->t != T_NUMBER) {
        fail_at(p, p->start, "expected a whole number");
        return false;
    }
    *out = p->number;
    next(p);
    return true;
}

static bool value(struct parser *p, struct seg_value *v)
{
    memset(v, 0, sizeof(*v));
    if (p->t == T_NUMBER) {
        v->is_number = true;
        v->number = p->number;
    } else if (p->t == T_STRING) {
        v->text = p->text;
    } else if (is_word(p, "true") || is_word(p, "false")) { /* the values of yes/no traits */
        v->text = is_word(p, "true") ? "true" : "false";
    } else {
        fail_at(p, p->start, "expected a \"string\" or a number");
        return false;
    }
    next(p);
    return true;
}

/* "last" N "days": the window in days. */
static bool window(struct parser *p, int64_t *days)
{
    size_t at = p->start;
    if (!expect_word(p, "last") || !number(p, days)) {
        return false;
    }
    if (*days < 1 || *days > 36600) {
        fail_at(p, at, "a window is 1-36600 days");
        return false;
    }
    if (!is_word(p, "days") && !is_word(p, "day")) {
        fail_at(p, p->start, "expected 'days'");
        return false;
    }
    next(p);
    return true;
}

static bool name_ok(const char *s)
{
    for (const char *c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            return false;
        }
    }
    return s[0] != '\0' && strlen(s) <= 64;
}

static struct seg_node *expr(struct parser *p);

static struct seg_node *events(struct parser *p)
{
    struct seg_node *n = node(p, SEG_EVENTS);
    if (!expect(p, T_LPAREN, "'('")) {
        return NULL;
    }
    if (p->t != T_IDENT || !name_ok(p->text)) {
        fail_at(p, p->start, "expected an event type, such as page_view");
        return NULL;
    }
    n->type = p->text;
    next(p);
    if (is_word(p, "where")) {
        next(p);
        if (p->t != T_IDENT || !name_ok(p->text)) {
            fail_at(p, p->start, "expected a property name, such as sku");
            return NULL;
        }
        n->prop = p->text;
        next(p);
        if (p->t != T_OP || p->op != OP_EQ) {
            fail_at(p, p->start, "expected '='");
            return NULL;
        }
        next(p);
        if (!value(p, &n->prop_value)) {
            return NULL;
        }
    }
    if (p->t == T_COMMA) {
        next(p);
        if (!window(p, &n->days)) {
            return NULL;
        }
    }
    if (!expect(p, T_RPAREN, "')'")) {
        return NULL;
    }
    n->op = OP_GE; /* events(...) alone: at least one */
    n->value = (struct seg_value){true, 1, NULL};
    if (p->t == T_OP && (!op(p, &n->op) || !number(p, &n->value.number))) {
        return NULL;
    }
    return n;
}

static struct seg_node *purchases(struct parser *p)
{
    struct seg_node *n = node(p, SEG_PURCHASES);
    if (!expect(p, T_LPAREN, "'('") || (is_word(p, "last") && !window(p, &n->days)) ||
        !expect(p, T_RPAREN, "')'") || !expect(p, T_DOT, "'.'")) {
        return NULL;
    }
    if (is_word(p, "count") || is_word(p, "sum") || is_word(p, "average")) {
        n->agg = is_word(p, "count") ? AGG_COUNT : is_word(p, "sum") ? AGG_SUM : AGG_AVERAGE;
        next(p);
    } else {
        fail_at(p, p->start, "expected count, sum or average");
        return NULL;
    }
    n->value.is_number = true;
    return op(p, &n->op) && number(p, &n->value.number) ? n : NULL;
}

static struct seg_node *cmp_number(struct parser *p, enum seg_kind k)
{
    struct seg_node *n = node(p, k);
    n->value.is_number = true;
    return op(p, &n->op) && number(p, &n->value.number) ? n : NULL;
}

static const char *field(struct parser *p)
{
    for (size_t i = 0; p->t == T_IDENT && segment_fields[i] != NULL; i++) {
        if (strcmp(p->text, segment_fields[i]) == 0) {
            next(p);
            return segment_fields[i];
        }
    }
    return NULL;
}

/* age between a and b, field between a and b: two comparisons. */
static struct seg_node *between(struct parser *p, struct seg_node *lo, struct seg_node *hi)
{
    next(p);
    if (!value(p, &lo->value) || !expect_word(p, "and") || !value(p, &hi->value)) {
        return NULL;
    }
    lo->op = OP_GE;
    hi->op = OP_LE;
    return pair(p, SEG_AND, lo, hi);
}

static bool field_is(struct parser *p)
{
    for (size_t i = 0; p->t == T_IDENT && segment_fields[i] != NULL; i++) {
        if (strcmp(p->text, segment_fields[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Words of the language that cannot name an attribute. */
static bool reserved(const char *w)
{
    static const char *const words[] = {
        "and",    "or", "not",     "has",   "age",  "events",   "points",   "days",  "purchases",
        "bought", "in", "between", "where", "last", "contains", "birthday", "trait", NULL};
    for (size_t i = 0; words[i] != NULL; i++) {
        if (strcmp(w, words[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* bought(category "Подгузники" [, last N days]) or bought(sku "A-1" ...) */
static struct seg_node *bought(struct parser *p)
{
    struct seg_node *n = node(p, SEG_BOUGHT);
    if (!expect(p, T_LPAREN, "'('")) {
        return NULL;
    }
    if (!is_word(p, "category") && !is_word(p, "sku")) {
        fail_at(p, p->start, "expected category or sku");
        return NULL;
    }
    n->type = is_word(p, "category") ? "category" : "sku";
    next(p);
    if (p->t != T_STRING) {
        fail_at(p, p->start, "expected a \"string\"");
        return NULL;
    }
    n->value.text = p->text;
    next(p);
    if (p->t == T_COMMA) {
        next(p);
        if (!window(p, &n->days)) {
            return NULL;
        }
    }
    return expect(p, T_RPAREN, "')'") ? n : NULL;
}

static bool one_of(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* consent(ads, sms), consent(pd_processing); subscribed(promo, email) */
static struct seg_node *consent_or_sub(struct parser *p)
{
    bool sub = is_word(p, "subscribed");
    struct seg_node *n = node(p, sub ? SEG_SUBSCRIBED : SEG_CONSENT);
    next(p);
    if (!expect(p, T_LPAREN, "'('")) {
        return NULL;
    }
    if ((p->t != T_IDENT && p->t != T_STRING) || strlen(p->text) > 64 ||
        (!sub && !one_of(p->text, consent_purposes, CONSENT_PURPOSES))) {
        fail_at(p, p->start,
                sub ? "expected a topic"
                    : "expected a purpose: pd_processing, ads, "
                      "third_party_transfer or distribution");
        return NULL;
    }
    n->type = p->text; /* the purpose or the topic */
    next(p);
    n->attr = "";
    bool ads = !sub && strcmp(n->type, "ads") == 0;
    if (sub || ads) {
        if (!expect(p, T_COMMA, "',' and a channel")) {
            return NULL;
        }
        if (p->t != T_IDENT || !one_of(p->text, ads_channels, ADS_CHANNELS)) {
            fail_at(p, p->start, "expected a channel: sms, email, push, messenger or phone_call");
            return NULL;
        }
        n->attr = p->text;
        next(p);
    }
    return expect(p, T_RPAREN, "')'") ? n : NULL;
}

static struct seg_node *primary(struct parser *p)
{
    if (p->depth++ > SEGMENT_DEPTH) {
        fail_at(p, p->start, "nested more than %d deep", SEGMENT_DEPTH);
        return NULL;
    }
    size_t at = p->start;
    struct seg_node *n = NULL;
    if (p->t == T_LPAREN) {
        next(p);
        n = expr(p);
        if (n != NULL && !expect(p, T_RPAREN, "')'")) {
            n = NULL;
        }
    } else if (is_word(p, "not")) {
        next(p);
        struct seg_node *inner = primary(p);
        n = inner ? pair(p, SEG_NOT, inner, NULL) : NULL;
    } else if (is_word(p, "has")) {
        next(p);
        n = node(p, SEG_HAS);
        if ((n->field = field(p)) == NULL) {
            fail_at(p, p->start, "expected a profile field, such as email");
            n = NULL;
        }
    } else if (is_word(p, "age")) {
        next(p);
        if (is_word(p, "between")) {
            n = between(p, node(p, SEG_AGE), node(p, SEG_AGE));
            if (n != NULL && (!n->a->value.is_number || !n->b->value.is_number)) {
                fail_at(p, at, "an age is a whole number");
                n = NULL;
            }
        } else {
            n = cmp_number(p, SEG_AGE);
        }
    } else if (is_word(p, "events")) {
        next(p);
        n = events(p);
    } else if (is_word(p, "purchases")) {
        next(p);
        n = purchases(p);
    } else if (is_word(p, "days")) {
        next(p);
        n = expect_word(p, "since") && expect_word(p, "last") && expect_word(p, "purchase")
                ? cmp_number(p, SEG_SINCE)
                : NULL;
    } else if (is_word(p, "points")) {
        next(p);
        n = expect(p, T_DOT, "'.'") && expect_word(p, "balance") ? cmp_number(p, SEG_POINTS) : NULL;
    } else if (is_word(p, "consent") || is_word(p, "subscribed")) {
        n = consent_or_sub(p);
    } else if (is_word(p, "profile")) {
        next(p);
        n = expect_word(p, "complete") ? node(p, SEG_COMPLETE) : NULL;
    } else if (is_word(p, "in")) {
        next(p);
        n = node(p, SEG_SEGMENT);
        if (!expect_word(p, "segment")) {
            return NULL;
        }
        if (p->t != T_STRING) {
            fail_at(p, p->start, "expected the segment's name as a \"string\"");
            return NULL;
        }
        n->value.text = p->text;
        next(p);
    } else if (is_word(p, "trait")) {
        next(p);
        n = node(p, SEG_TRAIT);
        if (p->t != T_IDENT || !name_ok(p->text)) {
            fail_at(p, p->start, "expected a trait's name, such as rfm_group");
            return NULL;
        }
        n->attr = p->text;
        next(p);
        if (!op(p, &n->op) || !value(p, &n->value)) {
            return NULL;
        }
    } else if (is_word(p, "bought")) {
        next(p);
        n = bought(p);
    } else if (is_word(p, "birthday")) {
        next(p);
        n = node(p, SEG_BIRTHDAY);
        size_t w = p->start;
        if (!expect_word(p, "within") || !number(p, &n->days)) {
            return NULL;
        }
        if (n->days < 0 || n->days > 366) {
            fail_at(p, w, "a birthday is within 0-366 days");
            return NULL;
        }
        if (!is_word(p, "days") && !is_word(p, "day")) {
            fail_at(p, p->start, "expected 'days'");
            return NULL;
        }
        next(p);
    } else if (p->t == T_IDENT && !field_is(p) && name_ok(p->text) && !reserved(p->text)) {
        /* a declared attribute: pets contains "cat", loyalty_level >= 2 */
        const char *attr = p->text;
        next(p);
        if (is_word(p, "contains")) {
            next(p);
            n = node(p, SEG_CONTAINS);
            n->attr = attr;
            if (!value(p, &n->value)) {
                return NULL;
            }
        } else if (p->t == T_OP) {
            n = node(p, SEG_ATTR);
            n->attr = attr;
            if (!op(p, &n->op) || !value(p, &n->value)) {
                return NULL;
            }
        } else {
            fail_at(p, p->start, "expected a comparison or 'contains' after the attribute");
            return NULL;
        }
    } else if (p->t == T_IDENT) {
        const char *f = field(p);
        if (f == NULL) {
            fail_at(p, at,
                    "expected a condition: a profile field, a declared attribute, has, age, "
                    "events(...), purchases(...), bought(...), birthday within, days since last "
                    "purchase, points.balance, not or (");
            return NULL;
        }
        if (is_word(p, "between")) {
            struct seg_node *lo = node(p, SEG_CMP), *hi = node(p, SEG_CMP);
            lo->field = hi->field = f;
            n = between(p, lo, hi);
        } else if (is_word(p, "consent") || is_word(p, "subscribed")) {
            n = consent_or_sub(p);
        } else if (is_word(p, "profile")) {
            next(p);
            n = expect_word(p, "complete") ? node(p, SEG_COMPLETE) : NULL;
        } else if (is_word(p, "in")) {
            next(p);
            n = node(p, SEG_IN);
            n->field = f;
            n->values = arena_alloc(p->a, SEGMENT_VALUES * sizeof(*n->values));
            if (!expect(p, T_LPAREN, "'('")) {
                return NULL;
            }
            do {
                if (n->n_values == SEGMENT_VALUES) {
                    fail_at(p, p->start, "at most %d values", SEGMENT_VALUES);
                    return NULL;
                }
                if (!value(p, &n->values[n->n_values++])) {
                    return NULL;
                }
            } while (p->t == T_COMMA && (next(p), true));
            if (!expect(p, T_RPAREN, "')' or ','")) {
                return NULL;
            }
        } else {
            n = node(p, SEG_CMP);
            n->field = f;
            if (!op(p, &n->op) || !value(p, &n->value)) {
                return NULL;
            }
        }
    } else {
        fail_at(p, at, "expected a condition");
    }
    p->depth--;
    return p->failed ? NULL : n;
}

static struct seg_node *conjunction(struct parser *p)
{
    struct seg_node *n = primary(p);
    while (n != NULL && is_word(p, "and")) {
        next(p);
        struct seg_node *r = primary(p);
        n = r ? pair(p, SEG_AND, n, r) : NULL;
    }
    return n;
}

static struct seg_node *expr(struct parser *p)
{
    struct seg_node *n = conjunction(p);
    while (n != NULL && is_word(p, "or")) {
        next(p);
        struct seg_node *r = conjunction(p);
        n = r ? pair(p, SEG_OR, n, r) : NULL;
    }
    return n;
}

bool segment_parse(const char *text, struct arena *a, struct seg_node **out, struct seg_error *e)
{
    memset(e, 0, sizeof(*e));
    struct parser p = {.src = text, .a = a, .e = e};
    *out = NULL;
    if (strlen(text) > SEGMENT_TEXT_MAX) {
        fail_at(&p, 0, "a query is at most %d bytes", SEGMENT_TEXT_MAX);
        return false;
    }
    next(&p);
    if (p.t == T_END && !p.failed) {
        fail_at(&p, 0, "the query is empty");
        return false;
    }
    struct seg_node *n = p.failed ? NULL : expr(&p);
    if (n != NULL && p.t != T_END) {
        fail_at(&p, p.start, "expected 'and', 'or' or the end");
        n = NULL;
    }
    *out = n;
    return n != NULL && !p.failed;
}
