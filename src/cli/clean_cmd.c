/*
 * clean_cmd.c - `kartoteka clean KIND [VALUE...]`: what Kartoteka makes of values, one JSON line
 * each, the document of POST /v1/clean (clean/describe.h). For operators checking a file before
 * an import, and for the accuracy tests (tests/e2e/test_clean_oracles.py). Nothing is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "clean/describe.h"
#include "cli/cli.h"

static const char clean_help[] =
    "usage: kartoteka clean KIND [VALUE...]\n"
    "\n"
    "Shows what Kartoteka makes of values, one JSON line each: the verdict (ok, corrected,\n"
    "suspicious, invalid), the standard form, what changed and why. Without VALUEs, reads one\n"
    "value per line from standard input. Nothing is stored.\n"
    "\n"
    "KIND: phone, email, full_name, last_name, first_name, middle_name, birth_date, gender,\n"
    "      city, address\n";

static void clean_one(const char *kind, const char *text, size_t len)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *o = clean_describe(kind, text, len, clock_now_ms(), &a);
    json_object_set_new(o, "input", json_stringn(text, len));
    char *line = json_dumps(o, JSON_COMPACT);
    puts(line ? line : "{}");
    free(line);
    json_decref(o);
    arena_release(&a);
}

int cli_clean(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(clean_help, stdout);
        return 0;
    }
    if (argc < 2 || !clean_kind_valid(argv[1])) {
        return cli_usage("clean", "say which KIND of value: phone, email, full_name, ...");
    }
    if (argc > 2) {
        for (int i = 2; i < argc; i++) {
            clean_one(argv[1], argv[i], strlen(argv[i]));
        }
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        clean_one(argv[1], line, (size_t)n);
    }
    free(line);
    return 0;
}
