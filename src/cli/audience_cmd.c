/*
 * audience_cmd.c - `kartoteka segment export-audience`: a saved segment as an audience file for
 * VK Ads or Yandex Audiences (export/audience.h, docs/audiences.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "export/audience.h"

static const char audience_help[] =
    "usage: kartoteka segment export-audience SEGMENT --format FORMAT [--out FILE] [--every D]\n"
    "       kartoteka segment export-audience --schedules\n"
    "\n"
    "Writes the saved segment SEGMENT (its name or id), as it is now, as an audience file for an\n"
    "ad platform. Only its members who gave the third_party_transfer and pd_processing consents\n"
    "are in it; each of them gets the transfer recorded (her export names the recipient), and\n"
    "the run is in the audit log.\n"
    "\n"
    "  --format yandex    Yandex Audiences (CRM data): CSV \"phone\",\"email\", each value\n"
    "                     SHA-256 of its normal form (phone 79161234567, e-mail in lower case);\n"
    "                     upload it with 'Hashed data: SHA-256'\n"
    "  --format vk-phone  VK Ads list of phones: one MD5 of 79161234567 a line\n"
    "  --format vk-email  VK Ads list of e-mails: one MD5 of the e-mail a line\n"
    "  --out FILE         where to write it (default: standard output); written whole or not\n"
    "                     at all\n"
    "  --every DURATION   and the server rewrites it every DURATION (24h, 7d; an hour at\n"
    "                     least) from now on, to --out, an absolute path on its machine;\n"
    "                     --every off removes the schedule (nothing is exported)\n"
    "  --schedules        list the schedules: segment, format, period, file, next and last run\n"
    "  --db DB            the database (KARTOTEKA_DB, else ./data/kartoteka.db)\n"
    "\n"
    "The platforms take a list of at least 100 (Yandex) or 2,000 (VK Ads) lines; a smaller\n"
    "file is written all the same and said so.\n";

static void progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    if (isatty(STDERR_FILENO) && total > 0) {
        fprintf(stderr, "\rexport-audience: %3d%%", (int)(done * 100 / total));
    }
}

/* DURATION of --every: a number of hours (h) or days (d), an hour at least; "off" is 0. */
static bool every_parse(const char *v, int64_t *ms)
{
    int64_t n = 0;
    size_t len = strlen(v);
    if (strcmp(v, "off") == 0) {
        *ms = 0;
        return true;
    }
    if (len < 2 || (v[len - 1] != 'h' && v[len - 1] != 'd') ||
        !num_parse_i64(v, len - 1, 1, 3650 * 24, &n)) {
        return false;
    }
    *ms = n * (v[len - 1] == 'd' ? 24 : 1) * 3600 * 1000;
    return *ms <= 3650LL * 24 * 3600 * 1000;
}

/* The schedules, a line each. */
static int schedules(const char *db)
{
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    struct arena a;
    arena_init(&a, 0);
    struct store_conn *rd;
    struct audience_schedule *sc = NULL;
    size_t n = 0;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = store_read_begin(s, &rd, &err);
    if (rc == KT_OK) {
        rc = store_audience_schedules_list(rd, &a, &sc, &n, &err);
        store_read_end(rd);
    }
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        printf("%s %s every %lld h -> %s; next %s; last %s%s\n", sc[i].segment_id, sc[i].format,
               (long long)(sc[i].every_ms / 3600000), sc[i].path, time_rfc3339(&a, sc[i].next_at),
               sc[i].last_at ? time_rfc3339(&a, sc[i].last_at) : "never",
               sc[i].last_error ? arena_printf(&a, " (failed: %s)", sc[i].last_error) : "");
    }
    arena_release(&a);
    store_close(s);
    if (rc != KT_OK) {
        cli_print_error("segment export-audience --schedules", &err);
        return 1;
    }
    return 0;
}

int cli_audience(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"every", required_argument, NULL, 'e'},
                                         {"schedules", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *format = NULL, *path = NULL, *every = NULL;
    bool list = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'f') {
            format = optarg;
        } else if (c == 'o') {
            path = optarg;
        } else if (c == 'e') {
            every = optarg;
        } else if (c == 's') {
            list = true;
        } else if (c == 'h') {
            fputs(audience_help, stdout);
            return 0;
        } else {
            return cli_usage("segment export-audience", "unknown option");
        }
    }
    if (list) {
        return optind == argc ? schedules(db)
                              : cli_usage("segment export-audience", "--schedules takes no name");
    }
    enum audience_format f;
    int64_t every_ms = -1;
    if (optind + 1 != argc) {
        return cli_usage("segment export-audience", "name one saved segment");
    }
    if (!audience_format_parse(format, &f)) {
        return cli_usage("segment export-audience", "--format is yandex, vk-phone or vk-email");
    }
    if (every != NULL && !every_parse(every, &every_ms)) {
        return cli_usage("segment export-audience",
                         "--every is a number of hours (24h) or days (7d), or off");
    }
    if (every_ms > 0 && (path == NULL || path[0] != '/')) {
        return cli_usage("segment export-audience",
                         "--every needs --out with an absolute path: the server writes it");
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    int64_t now = clock_now_ms();
    if (every_ms == 0) { /* --every off: the schedule removed, nothing exported */
        enum kt_rc rc = audience_schedule_set(s, argv[optind], f, NULL, 0, now, &err);
        store_close(s);
        if (rc != KT_OK) {
            cli_print_error("segment export-audience", &err);
            return 1;
        }
        fprintf(stderr, "export-audience: the schedule is removed\n");
        return 0;
    }
    struct audience_stats st;
    enum kt_rc rc =
        path != NULL
            ? audience_export_file(s, argv[optind], f, path, NULL, now, progress, NULL, &st, &err)
            : audience_export(s, argv[optind], f, stdout, NULL, now, progress, NULL, &st, &err);
    if (rc == KT_OK && every_ms > 0) {
        rc = audience_schedule_set(s, argv[optind], f, path, every_ms, now, &err);
    }
    store_close(s);
    if (isatty(STDERR_FILENO)) {
        fputc('\n', stderr);
    }
    if (rc != KT_OK) {
        cli_print_error("segment export-audience", &err);
        return 1;
    }
    int64_t least = f == AUDIENCE_YANDEX ? 100 : 2000;
    fprintf(stderr,
            "export-audience: %lld customers allowed, %lld written (run %s, sha256 %s; found in "
            "%.1f s, read in %.1f s, recorded in %.1f s)%s%s\n",
            (long long)st.allowed, (long long)st.written, st.run_id, st.sha256,
            (double)st.ms_members / 1000, (double)st.ms_read / 1000, (double)st.ms_record / 1000,
            st.written < least ? "; fewer than the platform takes in a list" : "",
            every_ms > 0 ? "; the server refreshes it on its schedule" : "");
    return 0;
}
