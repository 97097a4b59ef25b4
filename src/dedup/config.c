/*
 * config.c - the comparison file (dedup.h; its format in docs/dedup.md), and the default one
 * for the customer columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"

const char dedup_default_conf[] =
    "# the customer columns (kartoteka dedup csv without --config)\n"
    "id record_id\n"
    "field last_name name tf\n"
    "field first_name first_name tf\n"
    "field middle_name first_name\n"
    "field birth_date date\n"
    "field phone phone\n"
    "field email email\n"
    "field city text\n"
    "field card exact\n"
    "# twins share a surname, a patronymic, a birth date, a phone: their first names tell them\n"
    "veto first_name birth_date\n"
    "block phone\n"
    "block email\n"
    "block card\n"
    "block last_name:key first_name:key\n"
    "block first_name:key birth_date\n"
    "block last_name:key birth_date:4\n"
    "threshold 0.9\n"
    "block-cap 500\n";

static const struct {
    const char *name;
    enum dedup_kind kind;
} kinds[] = {
    {"exact", DK_EXACT}, {"text", DK_TEXT},   {"name", DK_NAME},  {"first_name", DK_FIRST_NAME},
    {"date", DK_DATE},   {"phone", DK_PHONE}, {"email", DK_EMAIL}};

static int find_field(const struct dedup_conf *c, const char *col)
{
    for (size_t f = 0; f < c->n_fields; f++) {
        if (strcmp(c->field[f].column, col) == 0) {
            return (int)f;
        }
    }
    return -1;
}

/* One PART of a block line: COLUMN[:key][:N]. */
static bool part(const struct dedup_conf *c, char *word, struct dedup_part *p, char *err,
                 size_t err_size, int line)
{
    char *save = NULL, *col = strtok_r(word, ":", &save), *opt;
    int f = col ? find_field(c, col) : -1;
    if (f < 0) {
        snprintf(err, err_size, "line %d: block on '%s', which is no field", line, col ? col : "");
        return false;
    }
    *p = (struct dedup_part){(size_t)f, false, 0};
    while ((opt = strtok_r(NULL, ":", &save)) != NULL) {
        char *end;
        long n = strtol(opt, &end, 10);
        if (strcmp(opt, "key") == 0) {
            p->key = true;
        } else if (*end == '\0' && n > 0 && n < 100) {
            p->prefix = (size_t)n;
        } else {
            snprintf(err, err_size, "line %d: '%s' is neither 'key' nor a length", line, opt);
            return false;
        }
    }
    return true;
}

bool dedup_conf_parse(const char *text, struct dedup_conf *c, const char **id_column,
                      struct arena *a, char *err, size_t err_size)
{
    memset(c, 0, sizeof(*c));
    c->threshold = 0.9;
    c->block_cap = 500;
    *id_column = NULL;
    char *copy = arena_strdup(a, text), *save_line = NULL;
    int line = 0;
    for (char *l = strtok_r(copy, "\n", &save_line); l; l = strtok_r(NULL, "\n", &save_line)) {
        line++;
        char *hash = strchr(l, '#');
        if (hash) {
            *hash = '\0';
        }
        char *save = NULL, *w[8];
        size_t n = 0;
        for (char *t = strtok_r(l, " \t\r", &save); t && n < 8;
             t = strtok_r(NULL, " \t\r", &save)) {
            w[n++] = t;
        }
        if (n == 0) {
            continue;
        }
        if (strcmp(w[0], "id") == 0 && n == 2) {
            *id_column = w[1];
        } else if (strcmp(w[0], "field") == 0 && (n == 3 || (n == 4 && strcmp(w[3], "tf") == 0))) {
            size_t k = 0;
            while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].name, w[2]) != 0) {
                k++;
            }
            if (k == sizeof(kinds) / sizeof(kinds[0])) {
                snprintf(err, err_size, "line %d: unknown kind '%s'", line, w[2]);
                return false;
            }
            if (c->n_fields == DEDUP_FIELDS_MAX || find_field(c, w[1]) >= 0) {
                snprintf(err, err_size, "line %d: field '%s' %s", line, w[1],
                         c->n_fields == DEDUP_FIELDS_MAX ? "is one too many" : "twice");
                return false;
            }
            c->field[c->n_fields++] = (struct dedup_field){w[1], kinds[k].kind, n == 4, false, -1};
        } else if (strcmp(w[0], "block") == 0 && n >= 2 && n - 1 <= DEDUP_RULE_PARTS) {
            if (c->n_rules == DEDUP_RULES_MAX) {
                snprintf(err, err_size, "line %d: more than %d block rules", line, DEDUP_RULES_MAX);
                return false;
            }
            struct dedup_rule *r = &c->rule[c->n_rules++];
            for (size_t i = 1; i < n; i++) {
                if (!part(c, w[i], &r->part[r->n++], err, err_size, line)) {
                    return false;
                }
            }
        } else if (strcmp(w[0], "veto") == 0 && (n == 2 || n == 3)) {
            int f = find_field(c, w[1]), g = n == 3 ? find_field(c, w[2]) : -1;
            if (f < 0 || (n == 3 && g < 0)) {
                snprintf(err, err_size, "line %d: veto on '%s', which is no field", line,
                         f < 0 ? w[1] : w[2]);
                return false;
            }
            c->field[f].veto = true;
            c->field[f].veto_if = g;
        } else if (strcmp(w[0], "threshold") == 0 && n == 2) {
            char *end;
            c->threshold = strtod(w[1], &end);
            if (*end != '\0' || !(c->threshold > 0 && c->threshold < 1)) {
                snprintf(err, err_size, "line %d: a threshold is a probability above 0, below 1",
                         line);
                return false;
            }
        } else if (strcmp(w[0], "block-cap") == 0 && n == 2) {
            char *end;
            long cap = strtol(w[1], &end, 10);
            if (*end != '\0' || cap < 2 || cap > 100000) {
                snprintf(err, err_size, "line %d: block-cap is from 2 to 100000", line);
                return false;
            }
            c->block_cap = (size_t)cap;
        } else {
            snprintf(err, err_size, "line %d: not understood: '%s'", line, w[0]);
            return false;
        }
    }
    if (*id_column == NULL || c->n_fields == 0 || c->n_rules == 0) {
        snprintf(err, err_size, "an id, at least one field and one block rule are needed");
        return false;
    }
    return true;
}
