/*
 * fuzz_segment.c - arbitrary bytes as a segment query: the parser never crashes or leaks; an
 * error points inside the text; and a query that parses compiles to a condition that becomes SQL
 * with no quote in it and as many parameters as placeholders - no text of the query reaches SQL as
 * SQL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segment/segment.h"
#include "store/sql/sql_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > SEGMENT_TEXT_MAX) {
        return 0;
    }
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct arena a;
    arena_init(&a, 0);
    struct seg_node *n;
    struct seg_error e;
    if (segment_parse(text, &a, &n, &e)) {
        static struct sql_cond_sql q;
        sql_cond_sql(segment_compile(n, 1800000000000LL, &a), &a, &q);
        const char *sql = buf_cstr(&q.sql);
        size_t marks = 0;
        for (const char *c = sql; *c; c++) {
            if (*c == '\'' || *c == '"' || *c == ';') {
                abort();
            }
            marks += *c == '?';
        }
        if (marks != q.n && q.n < SQL_COND_PARAMS) {
            abort();
        }
        buf_release(&q.sql);
    } else if (e.line < 1 || e.column < 1 || e.message[0] == '\0') {
        abort();
    }
    arena_release(&a);
    free(text);
    return 0;
}
