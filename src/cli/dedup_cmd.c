/*
 * dedup_cmd.c - `kartoteka dedup csv FILE [--config CONF] --out PAIRS`: the duplicate matcher
 * (dedup/) over any CSV, the pairs it judges to be one person written as
 * `record_id_a,record_id_b,weight`, strongest first. Without --config the customer columns are
 * compared by their header names (dedup_default_conf); a `full_name` is split into the three
 * name columns when they are empty. Nothing is stored. The base's own run is `dedup run`
 * (dedup_base.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "clean/clean.h"
#include "cli/cli.h"
#include "dedup/dedup.h"
#include "import/csvin.h"

static const char dedup_help[] =
    "usage: kartoteka dedup csv FILE [--config CONF] --out PAIRS [--candidates CANDS]\n"
    "\n"
    "Finds the records of FILE (a CSV with a header; ',' ';' or tab; UTF-8, UTF-16 or\n"
    "Windows-1251) that are one person, and writes them to PAIRS as\n"
    "record_id_a,record_id_b,weight - the ids in the order of FILE, the strongest pair first.\n"
    "What it compares and how it blocks is CONF (docs/dedup.md); without it, the customer\n"
    "columns by their header names: record_id, last_name, first_name, middle_name, full_name\n"
    "(split into the three when they are empty), birth_date, phone, email, city, card.\n"
    "A summary goes to standard error. Nothing is stored.\n"
    "\n"
    "  --config CONF   the comparison file\n"
    "  --out PAIRS     where the pairs go ('-' for standard output)\n"
    "  --candidates CANDS  also every pair the blocking made (record_id_a,record_id_b), to\n"
    "                  measure it: how many true pairs reach the scoring\n";

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = kt_malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = kt_realloc(buf, cap + 1);
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct load {
    const struct dedup_conf *conf;
    const char *id_column;
    struct dedup_set *set;
    int col[DEDUP_FIELDS_MAX]; /* the file's column of each field, -1 when absent */
    int id, full;
    int name[3]; /* the fields of last_name, first_name, middle_name; -1 when not compared */
    size_t rows, header_cols;
    const char *error;
    struct arena a;
};

static int column(const char **fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *f = fields[i];
        while (*f == ' ') { /* "rec_id, given_name": a blank after each comma */
            f++;
        }
        if (strcmp(f, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static const char *at(const char **fields, size_t n, int i)
{
    return i >= 0 && (size_t)i < n && fields[i][0] != '\0' ? fields[i] : NULL;
}

static bool row(void *arg, const char **fields, size_t n, size_t row_end,
                const struct csvin_bad *bad)
{
    (void)row_end;
    (void)bad;
    struct load *l = arg;
    if (l->header_cols == 0) {
        l->header_cols = n;
        l->id = column(fields, n, l->id_column);
        if (l->id < 0) {
            l->error = "the file has no id column";
            return false;
        }
        for (size_t f = 0; f < l->conf->n_fields; f++) {
            l->col[f] = column(fields, n, l->conf->field[f].column);
        }
        l->full = column(fields, n, "full_name");
        static const char *const names[3] = {"last_name", "first_name", "middle_name"};
        for (int k = 0; k < 3; k++) {
            l->name[k] = -1;
            for (size_t f = 0; f < l->conf->n_fields; f++) {
                l->name[k] = strcmp(l->conf->field[f].column, names[k]) == 0 ? (int)f : l->name[k];
            }
        }
        return true;
    }
    const char *raw[DEDUP_FIELDS_MAX];
    for (size_t f = 0; f < l->conf->n_fields; f++) {
        raw[f] = at(fields, n, l->col[f]);
    }
    const char *full = at(fields, n, l->full);
    bool empty = true;
    for (int k = 0; k < 3; k++) {
        empty = empty && (l->name[k] < 0 || raw[l->name[k]] == NULL);
    }
    if (full != NULL && empty) { /* the three name columns empty: split the free text */
        struct clean_name nm;
        clean_full_name(full, strlen(full), &l->a, &nm);
        const char *part[3] = {nm.last, nm.first, nm.middle};
        for (int k = 0; k < 3; k++) {
            if (l->name[k] >= 0) {
                raw[l->name[k]] = part[k];
            }
        }
    }
    const char *id = at(fields, n, l->id);
    char fallback[32];
    if (id == NULL) {
        snprintf(fallback, sizeof(fallback), "row-%zu", l->rows + 2);
        id = fallback;
    }
    while (*id == ' ') {
        id++;
    }
    dedup_set_add(l->set, id, raw);
    l->rows++;
    return true;
}

static void progress(double done, void *arg)
{
    (void)arg;
    if (isatty(STDERR_FILENO)) {
        fprintf(stderr, "\rdedup: %3d%%", (int)(done * 100));
        if (done >= 1.0) {
            fputc('\n', stderr);
        }
    }
}

static int dedup_csv(const char *file, const char *conf_path, const char *out_path,
                     const char *cand_path)
{
    struct load l = {0};
    arena_init(&l.a, 1 << 16);
    struct dedup_conf conf;
    size_t len = 0;
    char *conf_text = conf_path ? read_all(conf_path, &len) : NULL;
    char err[160];
    int rc = 1;
    if (conf_path != NULL && conf_text == NULL) {
        fprintf(stderr, "kartoteka dedup: cannot read %s: %s\n", conf_path, strerror(errno));
        goto out;
    }
    if (!dedup_conf_parse(conf_text ? conf_text : dedup_default_conf, &conf, &l.id_column, &l.a,
                          err, sizeof(err))) {
        fprintf(stderr, "kartoteka dedup: %s: %s\n", conf_path ? conf_path : "default", err);
        rc = 2;
        goto out;
    }
    char *data = read_all(file, &len);
    if (data == NULL) {
        fprintf(stderr, "kartoteka dedup: cannot read %s: %s\n", file, strerror(errno));
        goto out;
    }
    char *text = NULL;
    size_t text_len = 0;
    const char *used;
    struct kt_err e;
    kt_err_reset(&e);
    conf.keep_candidates = cand_path != NULL;
    l.conf = &conf;
    l.set = dedup_set_new(&conf);
    if (csvin_to_utf8(data, len, NULL, &text, &text_len, &used, &e) != KT_OK ||
        csvin_parse(text, text_len, csvin_detect_delimiter(text, text_len), row, &l, &e) != KT_OK) {
        cli_print_error("dedup", &e);
        free(data);
        free(text);
        goto out;
    }
    free(data);
    free(text);
    if (l.error != NULL) {
        fprintf(stderr, "kartoteka dedup: %s: %s ('%s')\n", file, l.error, l.id_column);
        goto out;
    }
    struct dedup_pair *pairs = NULL;
    size_t n = 0;
    struct dedup_stats st;
    dedup_run(l.set, &pairs, &n, &st, progress, NULL);
    FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "w");
    if (out == NULL) {
        fprintf(stderr, "kartoteka dedup: cannot write %s: %s\n", out_path, strerror(errno));
        free(pairs);
        goto out;
    }
    fputs("record_id_a,record_id_b,weight\n", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s,%s,%.3f\n", dedup_set_id(l.set, pairs[i].a),
                dedup_set_id(l.set, pairs[i].b), pairs[i].weight);
    }
    bool bad = ferror(out) != 0;
    bad = (out != stdout ? fclose(out) : fflush(out)) != 0 || bad;
    free(pairs);
    if (cand_path != NULL && !bad) {
        FILE *cf = fopen(cand_path, "w");
        bad = cf == NULL;
        for (size_t i = 0; cf != NULL && i < st.candidates; i++) {
            fprintf(cf, "%s,%s\n", dedup_set_id(l.set, (size_t)(st.cand[i] >> 32)),
                    dedup_set_id(l.set, (size_t)(uint32_t)st.cand[i]));
        }
        bad = bad || (cf != NULL && fclose(cf) != 0);
        if (bad) {
            fprintf(stderr, "kartoteka dedup: cannot write %s\n", cand_path);
        }
    }
    free(st.cand);
    fprintf(stderr,
            "dedup: %zu records, %zu candidate pairs (%zu blocks skipped), %zu pairs judged one "
            "person; lambda %.4f after %d rounds of EM\n",
            st.records, st.candidates, st.blocks_skipped, st.matches, st.lambda, st.em_rounds);
    rc = bad ? 1 : 0;
out:
    dedup_set_free(l.set);
    free(conf_text);
    arena_release(&l.a);
    return rc;
}

int cli_dedup(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(dedup_help, stdout);
        fputs("\n", stdout);
        fputs(cli_dedup_base_help, stdout);
        return 0;
    }
    static const char *const base[] = {"run", "pairs", "merge", "reject", "unmerge"};
    for (size_t i = 0; argc >= 2 && i < sizeof(base) / sizeof(base[0]); i++) {
        if (strcmp(argv[1], base[i]) == 0) {
            return cli_dedup_base(argc, argv);
        }
    }
    if (argc < 3 || strcmp(argv[1], "csv") != 0) {
        return cli_usage("dedup", "say 'csv FILE', or run, pairs, merge, reject, unmerge");
    }
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"candidates", required_argument, NULL, 'C'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *conf = NULL, *out = NULL, *cand = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            conf = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'C':
            cand = optarg;
            break;
        case 'h':
            fputs(dedup_help, stdout);
            return 0;
        default:
            return cli_usage("dedup", "unknown option");
        }
    }
    if (optind != argc - 1 || out == NULL) {
        return cli_usage("dedup", "say one FILE and --out PAIRS");
    }
    return dedup_csv(argv[optind], conf, out, cand);
}
