/*
 * fuzz_csv.c - arbitrary bytes as an uploaded CSV: encoding detection and conversion, delimiter
 * detection and parsing. No crash, no leak; every row handed out has its fields NUL-terminated
 * and valid UTF-8, and a row flagged bad names a field it has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "import/csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool row(void *arg, const char **f, size_t n, size_t end, const struct csvin_bad *bad)
{
    size_t *total = arg;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(f[i]);
        if (!clean_utf8_valid(f[i], len)) {
            abort();
        }
        *total += len;
    }
    if (bad != NULL && bad->column >= n) {
        abort();
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const encodings[] = {NULL, "utf-8", "utf-16", "windows-1251"};
    for (size_t e = 0; e < 4; e++) {
        char *text = NULL;
        size_t len = 0;
        const char *used;
        if (csvin_to_utf8((const char *)data, size, encodings[e], &text, &len, &used, NULL) !=
            KT_OK) {
            continue;
        }
        size_t total = 0;
        char delim = csvin_detect_delimiter(text, len);
        csvin_parse(text, len, delim, row, &total, NULL);
        if (total > 3 * len) {
            abort(); /* fields hold no more than the text, each bad byte grown to U+FFFD */
        }
        free(text);
    }
    return 0;
}
