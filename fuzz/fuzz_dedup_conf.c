/*
 * fuzz_dedup_conf.c - arbitrary bytes as a comparison file (dedup/config.c, `kartoteka dedup
 * csv --config`), and when it parses, three records compared under it. No crash, no read past
 * the text; a file that parses has an id, a field and a block rule, each rule's parts naming
 * fields, and a threshold between 0 and 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct arena a;
    arena_init(&a, 0);
    struct dedup_conf c;
    const char *id;
    char err[160];
    if (dedup_conf_parse(text, &c, &id, &a, err, sizeof(err))) {
        if (id == NULL || c.n_fields == 0 || c.n_rules == 0 || !(c.threshold > 0) ||
            !(c.threshold < 1)) {
            abort();
        }
        for (size_t r = 0; r < c.n_rules; r++) {
            for (size_t p = 0; p < c.rule[r].n; p++) {
                if (c.rule[r].part[p].field >= c.n_fields) {
                    abort();
                }
            }
        }
        struct dedup_set *s = dedup_set_new(&c);
        const char *raw[DEDUP_FIELDS_MAX];
        for (size_t f = 0; f < c.n_fields; f++) {
            raw[f] = f % 2 ? "Иванова" : "1985-03-12";
        }
        dedup_set_add(s, "a", raw);
        dedup_set_add(s, "b", raw);
        raw[0] = NULL;
        dedup_set_add(s, "c", raw);
        struct dedup_pair *pairs;
        size_t n;
        struct dedup_stats st;
        dedup_run(s, &pairs, &n, &st, NULL, NULL);
        free(pairs);
        dedup_set_free(s);
    } else if (err[0] == '\0') {
        abort(); /* a refusal says why */
    }
    arena_release(&a);
    free(text);
    return 0;
}
