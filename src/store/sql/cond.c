/*
 * cond.c - a condition on customers (store/cond.h) as SQL: "FROM customers c WHERE ..."
 * with a placeholder for every value. The SQL is assembled from fixed fragments only: column
 * names come from the schema's list (pf_names), operators from an enum; every value, event type,
 * name, property path and time is a bound parameter. A test checks that no text of a condition
 * appears in the SQL it becomes (store_test.c), a fuzzer that no query of the segment language
 * does (fuzz/fuzz_segment.c).
 *
 * What a condition means is decided above (segment/compile.c); this file only writes each
 * primitive, in one SQL for both backends but where JSON is read: SQLite's json_extract() and
 * json_each(), PostgreSQL's jsonb functions (q->pg), with the same meaning.
 */
#include <string.h>

#include "base/buf.h"
#include "store/sql/sql_int.h"

#define DAY_MS (86400LL * 1000)

static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};

static void param_int(struct sql_cond_sql *q, int64_t v)
{
    if (q->n < SQL_COND_PARAMS) {
        q->p[q->n++] = (struct sql_param){true, v, NULL};
    }
}

static void param_text(struct sql_cond_sql *q, const char *s)
{
    if (q->n < SQL_COND_PARAMS) {
        q->p[q->n++] = (struct sql_param){false, 0, s};
    }
}

static void param_value(struct sql_cond_sql *q, const struct store_value *v)
{
    if (v->is_number) {
        param_int(q, v->number);
    } else {
        param_text(q, v->text);
    }
}

static void param_list(struct sql_cond_sql *q, const char *const *texts, size_t n)
{
    buf_putc(&q->sql, '(');
    for (size_t i = 0; i < n; i++) {
        buf_puts(&q->sql, i ? ", ?" : "?");
        param_text(q, texts[i]);
    }
    buf_putc(&q->sql, ')');
}

/* A word of SQL the SQLite text takes as a parameter ("array", "text"), so that no quote is in it
 * (the fuzzer holds the text to that, fuzz/fuzz_segment.c). */
static void word(struct sql_cond_sql *q, const char *w)
{
    buf_puts(&q->sql, "?");
    param_text(q, w);
}

/* After a text compared on PostgreSQL: as bytes, as SQLite's BINARY does, whatever collation
 * the database was made with (a Russian one puts Cyrillic before Latin and "москва" before
 * "Москва"). Nothing on SQLite. */
static const char *as_bytes(const struct sql_cond_sql *q)
{
    return q->pg ? " COLLATE \"C\"" : "";
}

/* A JSON value at key `name` of the document `doc` compared by `op` with the value v. A value
 * compares only with one of its own type: a number with a JSON number, a text with a JSON string
 * or a yes/no, which is the text "true" or "false" (`vip = true`); any other pair is unknown
 * (SQL NULL), so neither `level > "a"` nor `level != "a"` holds. SQLite's json_extract() alone
 * would compare across types by SQLite's order of them (any number below any text) and give a
 * yes/no as 1 or 0; json_type() says which the value is, and names a yes/no by its text.
 * PostgreSQL's jsonb has the types (the column holds text). */
static void json_cmp(struct sql_cond_sql *q, const char *doc, const char *name, const char *op,
                     const struct store_value *v, struct arena *a)
{
    const char *path = arena_printf(a, "$.%s", name);
    if (!q->pg && v->is_number) {
        buf_printf(&q->sql, "(CASE WHEN json_type(%s, ?) IN (", doc);
        param_text(q, path);
        word(q, "integer");
        buf_puts(&q->sql, ", ");
        word(q, "real");
        buf_printf(&q->sql, ") THEN json_extract(%s, ?) END) %s ?", doc, op);
        param_text(q, path);
    } else if (!q->pg) {
        buf_printf(&q->sql, "(CASE json_type(%s, ?) WHEN ", doc);
        param_text(q, path);
        word(q, "text");
        buf_printf(&q->sql, " THEN json_extract(%s, ?) WHEN ", doc);
        param_text(q, path);
        word(q, "true");
        buf_puts(&q->sql, " THEN ");
        word(q, "true");
        buf_puts(&q->sql, " WHEN ");
        word(q, "false");
        buf_puts(&q->sql, " THEN ");
        word(q, "false");
        buf_printf(&q->sql, " END) %s ?", op);
    } else if (v->is_number) {
        buf_printf(&q->sql,
                   "(CASE WHEN jsonb_typeof(jsonb_extract_path(%s::jsonb, ?)) = 'number' THEN "
                   "jsonb_extract_path_text(%s::jsonb, ?)::numeric END) %s ?",
                   doc, doc, op);
        param_text(q, name);
        param_text(q, name);
    } else {
        buf_printf(&q->sql,
                   "(CASE WHEN jsonb_typeof(jsonb_extract_path(%s::jsonb, ?)) IN ('string', "
                   "'boolean') THEN jsonb_extract_path_text(%s::jsonb, ?) END)%s %s ?",
                   doc, doc, as_bytes(q), op);
        param_text(q, name);
        param_text(q, name);
    }
    param_value(q, v);
}

/* " AND <alias>.at >= ?" when the condition counts only rows since a time. */
static void since(struct sql_cond_sql *q, const char *alias, int64_t since)
{
    if (since != 0) {
        buf_printf(&q->sql, " AND %s.at >= ?", alias);
        param_int(q, since);
    }
}

/* The consent to `purpose` (on `channel`) is given at `now`, derived from the events as
 * consent_states() does: the latest event is a grant, its term has not run out, and no later
 * version of its document asked for re-consent. */
static void consent_given(struct sql_cond_sql *q, const char *purpose, const char *channel,
                          int64_t now)
{
    buf_puts(&q->sql,
             "EXISTS (SELECT 1 FROM consent_events e WHERE e.ck = c.ck AND e.purpose = ? AND "
             "e.channel = ? AND e.seq = (SELECT max(x.seq) FROM consent_events x WHERE x.ck = c.ck "
             "AND x.purpose = e.purpose AND x.channel = e.channel) AND e.action = ? AND "
             "(e.expires_at IS NULL OR e.expires_at = 0 OR e.expires_at > ?) AND NOT EXISTS "
             "(SELECT 1 FROM consent_documents d WHERE d.key = e.doc_key AND d.reconsent <> 0 AND "
             "d.version > e.doc_version))");
    param_text(q, purpose);
    param_text(q, channel);
    param_text(q, "grant");
    param_int(q, now);
}

/* The events kept, plus the daily counts of those past their term (0018_retention.sql), so a
 * count is the same after the events job as before it. The daily counts have no properties: a
 * condition on one counts the events kept. A window counts the day it starts on whole. */
static void events(struct sql_cond_sql *q, const struct store_cond *n, struct arena *a)
{
    buf_puts(&q->sql, "((SELECT count(*) FROM events e WHERE e.ck = c.ck AND e.type = ?");
    param_text(q, n->name);
    since(q, "e", n->since);
    if (n->prop) {
        buf_puts(&q->sql, " AND ");
        json_cmp(q, "e.props", n->prop, "=", &n->prop_value, a);
    } else {
        /* a whole number on both: PostgreSQL's sum of bigints is a numeric, and the count
         * added to it would be compared in numerics, customer after customer */
        buf_puts(&q->sql, ") + (SELECT CAST(coalesce(sum(d.count), 0) AS BIGINT) FROM event_days d "
                          "WHERE d.ck = c.ck AND d.type = ?");
        param_text(q, n->name);
        if (n->since != 0) {
            buf_puts(&q->sql, " AND d.day >= ?");
            param_int(q, n->since - n->since % DAY_MS);
        }
    }
    buf_printf(&q->sql, ")) %s ?", ops[n->cmp]);
    param_int(q, n->value.number);
}

static void purchases(struct sql_cond_sql *q, const struct store_cond *n)
{
    static const char *const aggs[] = {"count(*)", "coalesce(sum(p.total), 0)", "avg(p.total)"};
    switch (n->kind) {
    case COND_PURCHASES:
        buf_printf(&q->sql, "(SELECT %s FROM purchases p WHERE p.ck = c.ck", aggs[n->agg]);
        since(q, "p", n->since);
        buf_printf(&q->sql, ") %s ?", ops[n->cmp]);
        param_int(q, n->value.number);
        return;
    case COND_DAYS_SINCE_PURCHASE:
        buf_printf(&q->sql,
                   "((? - (SELECT max(p.at) FROM purchases p WHERE p.ck = c.ck)) / %lld) %s ?",
                   (long long)DAY_MS, ops[n->cmp]);
        param_int(q, n->now);
        param_int(q, n->value.number);
        return;
    case COND_BOUGHT:
        buf_printf(&q->sql,
                   "EXISTS (SELECT 1 FROM purchases p JOIN purchase_lines l ON l.purchase_id = "
                   "p.id WHERE p.ck = c.ck AND l.%s = ?",
                   n->by_sku ? "sku" : "category");
        param_text(q, n->value.text);
        since(q, "p", n->since);
        buf_putc(&q->sql, ')');
        return;
    default: /* COND_POINTS */
        buf_printf(&q->sql,
                   "(SELECT coalesce(sum(l.points), 0) FROM points_ledger l WHERE l.ck = c.ck) "
                   "%s ?",
                   ops[n->cmp]);
        param_int(q, n->value.number);
        return;
    }
}

/* A condition on the profile's own columns. */
static void profile(struct sql_cond_sql *q, const struct store_cond *n)
{
    /* a field out of range names no column: the statement fails to prepare, loudly */
    const char *col = n->field >= 0 && n->field < PF_COUNT ? pf_names[n->field] : "no_such_field";
    switch (n->kind) {
    case COND_FIELD_SET:
        buf_printf(&q->sql, "c.%s IS NOT NULL", col);
        return;
    case COND_FIELD_CMP:
        buf_printf(&q->sql, "c.%s%s %s ?", col, as_bytes(q), ops[n->cmp]);
        param_value(q, &n->value);
        return;
    case COND_FIELD_IN:
        buf_printf(&q->sql, "c.%s IN ", col);
        param_list(q, n->texts, n->n_texts);
        return;
    case COND_FIELD_VERIFIED:
        buf_puts(&q->sql, "(c.verified & ?) <> 0");
        param_int(q, 1LL << n->field);
        return;
    default: /* COND_BIRTHDAY_IN */
        buf_puts(&q->sql, "substr(c.birth_date, 6, 5) IN ");
        param_list(q, n->texts, n->n_texts);
        return;
    }
}

/* Attributes, traits, segments: the customer's JSON and the computed tables. */
static void computed(struct sql_cond_sql *q, const struct store_cond *n, struct arena *a)
{
    switch (n->kind) {
    case COND_ATTR:
        json_cmp(q, "c.attrs", n->name, ops[n->cmp], &n->value, a);
        return;
    case COND_ATTR_CONTAINS:
        if (!q->pg) { /* a list's items: json_each() would take a single value for one */
            buf_puts(&q->sql, "EXISTS (SELECT 1 FROM json_each(c.attrs, ?) j WHERE "
                              "json_type(c.attrs, ?) = ");
            param_text(q, arena_printf(a, "$.%s", n->name));
            param_text(q, arena_printf(a, "$.%s", n->name));
            word(q, "array");
            buf_puts(&q->sql, " AND j.value = ?)");
        } else {
            buf_printf(&q->sql,
                       "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN "
                       "jsonb_typeof(jsonb_extract_path(c.attrs::jsonb, ?)) = 'array' THEN "
                       "jsonb_extract_path(c.attrs::jsonb, ?) ELSE '[]'::jsonb END) j(v) WHERE "
                       "jsonb_typeof(j.v) = '%s' AND %s = ?)",
                       n->value.is_number ? "number" : "string",
                       n->value.is_number ? "(j.v #>> '{}')::numeric" : "j.v #>> '{}'");
            param_text(q, n->name);
            param_text(q, n->name);
        }
        param_value(q, &n->value);
        return;
    case COND_IN_SEGMENT:
        buf_puts(&q->sql, "EXISTS (SELECT 1 FROM segment_members m JOIN segments s ON s.id = "
                          "m.segment_id WHERE s.name = ? AND m.ck = c.ck AND m.left_at IS NULL)");
        param_text(q, n->name);
        return;
    default: /* COND_TRAIT */
        buf_printf(&q->sql,
                   "EXISTS (SELECT 1 FROM traits t WHERE t.ck = c.ck AND t.name = ? AND "
                   "t.value%s %s ?)",
                   as_bytes(q), ops[n->cmp]);
        param_text(q, n->name);
        param_value(q, &n->value);
        return;
    }
}

/* Consent and subscriptions. */
static void choices(struct sql_cond_sql *q, const struct store_cond *n)
{
    switch (n->kind) {
    case COND_CONSENT:
        consent_given(q, n->name, n->channel, n->now);
        return;
    case COND_TOPIC_CHANNEL:
        buf_puts(&q->sql, q->pg ? "EXISTS (SELECT 1 FROM topics t, jsonb_array_elements_text("
                                  "t.channels::jsonb) j(value) WHERE t.key = ? AND j.value = ?)"
                                : "EXISTS (SELECT 1 FROM topics t, json_each(t.channels) j WHERE "
                                  "t.key = ? AND j.value = ?)");
        break;
    default: /* COND_SUBSCRIBED: the customer chose it last */
        buf_puts(&q->sql, "EXISTS (SELECT 1 FROM subscription_events s WHERE s.ck = c.ck AND "
                          "s.topic = ? AND s.channel = ? AND s.subscribed <> 0 AND s.seq = "
                          "(SELECT max(y.seq) FROM subscription_events y WHERE y.ck = c.ck AND "
                          "y.topic = s.topic AND y.channel = s.channel))");
        break;
    }
    param_text(q, n->name);
    param_text(q, n->channel);
}

static void node(struct sql_cond_sql *q, const struct store_cond *n, struct arena *a)
{
    switch (n->kind) {
    case COND_AND:
    case COND_OR:
        buf_putc(&q->sql, '(');
        node(q, n->a, a);
        buf_puts(&q->sql, n->kind == COND_AND ? " AND " : " OR ");
        node(q, n->b, a);
        buf_putc(&q->sql, ')');
        return;
    case COND_NOT:
        buf_puts(&q->sql, "(NOT coalesce(");
        node(q, n->a, a);
        buf_puts(&q->sql, ", FALSE))");
        return;
    case COND_FIELD_SET:
    case COND_FIELD_CMP:
    case COND_FIELD_IN:
    case COND_FIELD_VERIFIED:
    case COND_BIRTHDAY_IN:
        profile(q, n);
        return;
    case COND_EVENTS:
        events(q, n, a);
        return;
    case COND_PURCHASES:
    case COND_DAYS_SINCE_PURCHASE:
    case COND_POINTS:
    case COND_BOUGHT:
        purchases(q, n);
        return;
    case COND_ATTR:
    case COND_ATTR_CONTAINS:
    case COND_IN_SEGMENT:
    case COND_TRAIT:
        computed(q, n, a);
        return;
    case COND_CONSENT:
    case COND_TOPIC_CHANNEL:
    case COND_SUBSCRIBED:
        choices(q, n);
        return;
    }
}

void sql_cond_sql(const struct store_cond *n, struct arena *a, struct sql_cond_sql *q)
{
    buf_init(&q->sql, 1 << 20);
    q->n = 0;
    buf_puts(&q->sql, "FROM customers c WHERE c.merged_into IS NULL AND c.erased_at IS NULL "
                      "AND" SQL_NOT_BLOCKED("c.ck") "AND ");
    node(q, n, a);
}
