/*
 * fuzz_prefs_shown.c - arbitrary bytes as the preferences form's `shown` field and a box's name
 * (pages/prefs.c, pages_prefs_shown_as): the text before the first NUL is `shown`, the rest the
 * box. No crash, no read past either string; the answer is -1, 0 or 1, and 0 or 1 only when
 * "box=0" or "box=1" stands in `shown` as a whole item (between spaces or at an end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pages/prefs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether `item` is one of the space-separated items of `s`. */
static bool has_item(const char *s, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = strstr(s, item); p != NULL; p = strstr(p + 1, item)) {
        if ((p == s || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) {
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    const char *shown = buf, *box = buf + strlen(buf) + 1;
    if (box > buf + size) {
        box = buf + size + 1; /* no NUL in the input: an empty box */
    }
    int r = pages_prefs_shown_as(shown, box);
    if (r < -1 || r > 1) {
        abort();
    }
    if (r >= 0) {
        size_t n = strlen(box);
        char *item = malloc(n + 3);
        if (item == NULL) {
            abort();
        }
        memcpy(item, box, n);
        item[n] = '=';
        item[n + 1] = (char)('0' + r);
        item[n + 2] = '\0';
        if (!has_item(shown, item)) {
            abort();
        }
        free(item);
    }
    if (pages_prefs_shown_as(NULL, box) != -1) {
        abort();
    }
    free(buf);
    return 0;
}
