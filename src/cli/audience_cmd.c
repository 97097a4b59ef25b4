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
#include "cli/cli.h"
#include "export/audience.h"

static const char audience_help[] =
    "usage: kartoteka segment export-audience SEGMENT --format FORMAT [--out FILE]\n"
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
    "  --out FILE         where to write it (default: standard output); removed on a failure\n"
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

int cli_audience(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = cli_default_db(), *format = NULL, *path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'f') {
            format = optarg;
        } else if (c == 'o') {
            path = optarg;
        } else if (c == 'h') {
            fputs(audience_help, stdout);
            return 0;
        } else {
            return cli_usage("segment export-audience", "unknown option");
        }
    }
    enum audience_format f;
    if (optind + 1 != argc) {
        return cli_usage("segment export-audience", "name one saved segment");
    }
    if (!audience_format_parse(format, &f)) {
        return cli_usage("segment export-audience", "--format is yandex, vk-phone or vk-email");
    }
    log_set_level(LOG_WARN);
    struct store *s = cli_open_store(db);
    if (s == NULL) {
        return 1;
    }
    FILE *out = path ? fopen(path, "w") : stdout;
    if (out == NULL) {
        perror(path);
        store_close(s);
        return 1;
    }
    struct kt_err err;
    kt_err_reset(&err);
    struct audience_stats st;
    enum kt_rc rc =
        audience_export(s, argv[optind], f, out, NULL, clock_now_ms(), progress, NULL, &st, &err);
    if (path != NULL && fclose(out) != 0 && rc == KT_OK) {
        rc = kt_err_set(&err, KT_EINVAL, "cannot_write", NULL, "the file could not be written");
    }
    store_close(s);
    if (isatty(STDERR_FILENO)) {
        fputc('\n', stderr);
    }
    if (rc != KT_OK) {
        if (path != NULL) {
            unlink(path); /* no half file left to upload */
        }
        cli_print_error("segment export-audience", &err);
        return 1;
    }
    int64_t least = f == AUDIENCE_YANDEX ? 100 : 2000;
    fprintf(stderr,
            "export-audience: %lld customers allowed, %lld written (run %s, sha256 %s; found in "
            "%.1f s, read in %.1f s, recorded in %.1f s)%s\n",
            (long long)st.allowed, (long long)st.written, st.run_id, st.sha256,
            (double)st.ms_members / 1000, (double)st.ms_read / 1000, (double)st.ms_record / 1000,
            st.written < least ? "; fewer than the platform takes in a list" : "");
    return 0;
}
