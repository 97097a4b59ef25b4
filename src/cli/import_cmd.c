/*
 * import_cmd.c - `kartoteka import customers FILE`: reads the file, runs the import with a
 * progress bar on a terminal (a line every ten seconds otherwise), writes the reject file next
 * to the input and prints a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "cli/cli.h"
#include "import/import.h"
#include "store/store.h"

static const char import_help[] =
    "usage: kartoteka import customers FILE [options]\n"
    "\n"
    "Imports customers from a CSV file through the same cleaning and identity resolution as\n"
    "the API. Every row gets a result; rows refused as a whole or stored without some values go\n"
    "to the reject file with the reason per field. Importing the same file again changes\n"
    "nothing.\n"
    "\n"
    "  --map SPEC          columns to targets: \"Телефон=phone,ФИО=full_name,Карта=card\";\n"
    "                      targets: last_name first_name middle_name full_name gender\n"
    "                      birth_date email phone city address card cookie device\n"
    "                      external:SYSTEM vk telegram ... attr:NAME, or - to skip.\n"
    "                      Without --map the header is read (Телефон, ФИО, Дата рождения, ...)\n"
    "  --delimiter C       ';' ',' or 'tab' (default: detected)\n"
    "  --encoding E        utf-8, utf-16 or windows-1251 (default: detected)\n"
    "  --rejects PATH      where rejected rows go (default: FILE.rejects.csv)\n"
    "  --store ID          the store the data comes from\n"
    "  --operator ID       who typed it in\n"
    "  --observed-at TIME  when it was collected (RFC 3339; default: now)\n"
    "  --legal-basis TEXT  the file-level legal basis for rows without their own consent\n"
    "                      evidence (e.g. the programme's terms a paper form referred to)\n"
    "  --consent-document NAME@VERSION\n"
    "                      the consent document paper forms were signed to, for rows\n"
    "                      with a paper_form column but no consent_document column\n"
    "                      Under the strict consent policy (the default) a row needs a\n"
    "                      paper_form number or --legal-basis, or it is rejected;\n"
    "                      data of an erased customer is rejected as suppressed.\n"
    "  --batch N           rows per transaction at most (default 100000; fewer, larger\n"
    "                      transactions write each index page fewer times)\n"
    "  --db PATH           database file (KARTOTEKA_DB, default data/kartoteka.db)\n";

struct progress {
    bool tty;
    int64_t t0;   /* ns */
    int64_t last; /* ns of the last line */
};

static void show(void *arg, const struct import_stats *st)
{
    struct progress *p = arg;
    int64_t now = clock_mono_ns();
    if (!p->tty && now - p->last < 10 * 1000000000LL) {
        return;
    }
    p->last = now;
    double secs = (double)(now - p->t0) / 1e9;
    double frac = st->bytes_total ? (double)st->bytes_done / (double)st->bytes_total : 1.0;
    double rate = secs > 0 ? (double)st->rows / secs : 0;
    double eta = frac > 0 ? secs / frac - secs : 0;
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) {
            bar[i] = i < fill ? '#' : '.';
        }
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3.0f%%  %lld rows  %.0f rows/s  ETA %d:%02d   ", bar, frac * 100,
                (long long)st->rows, rate, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "import: %.0f%%, %lld rows, %.0f rows/s\n", frac * 100, (long long)st->rows,
                rate);
    }
}

static int usage(const char *msg)
{
    fprintf(stderr, "kartoteka import: %s\nTry 'kartoteka import --help'.\n", msg);
    return 2;
}

static int write_file(const char *path, const struct buf *b)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf_cstr(b), 1, b->len, f) != b->len || fclose(f) != 0) {
        fprintf(stderr, "kartoteka import: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int run(const char *db, const char *file, struct import_opts *o, const char *rejects_path)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fprintf(stderr, "kartoteka import: cannot read '%s': %s\n", file, strerror(errno));
        return 1;
    }
    size_t len = (size_t)sb.st_size;
    const char *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : "";
    close(fd);
    if (data == MAP_FAILED) {
        fprintf(stderr, "kartoteka import: cannot map '%s': %s\n", file, strerror(errno));
        return 1;
    }
    struct store *s = cli_open_store(db);
    struct key_secret secret;
    if (s == NULL || cli_load_secret(s, db, &secret) != 0) {
        store_close(s);
        return 1;
    }
    o->secret = &secret;
    struct progress p = {isatty(2) != 0, clock_mono_ns(), clock_mono_ns()};
    struct buf rejects;
    buf_init(&rejects, 0);
    struct import_stats st;
    struct kt_err err;
    kt_err_reset(&err);
    enum kt_rc rc = import_run(s, data, len, o, &rejects, &st, show, &p, &err);
    double secs = (double)(clock_mono_ns() - p.t0) / 1e9;
    if (p.tty) {
        show(&p, &st);
        fputc('\n', stderr);
    }
    store_close(s);
    if (len) {
        munmap((void *)data, len);
    }
    int code = rc == KT_OK ? 0 : 1;
    if (rc != KT_OK) {
        fprintf(stderr, "kartoteka import: %s%s%s\n", err.msg, err.detail[0] ? " - " : "",
                err.detail);
    }
    printf("import: %s (%s, delimiter '%s'): %lld rows in %.1f s (%.0f rows/s)\n", file,
           st.encoding ? st.encoding : "?",
           st.delimiter == '\t' ? "tab" : (char[2]){st.delimiter, 0}, (long long)st.rows, secs,
           secs > 0 ? (double)st.rows / secs : 0.0);
    printf("  created %lld, updated %lld, unchanged %lld, partial %lld, rejected %lld "
           "(suppressed %lld)\n",
           (long long)st.created, (long long)st.updated, (long long)st.unchanged,
           (long long)st.partial, (long long)st.rejected, (long long)st.suppressed);
    printf("  columns: %s%s%s\n", st.mapping, st.ignored[0] ? "; ignored: " : "", st.ignored);
    if (st.partial + st.rejected > 0 && write_file(rejects_path, &rejects) == 0) {
        printf("  rejects: %s\n", rejects_path);
    }
    buf_release(&rejects);
    return code;
}

int cli_import(int argc, char **argv)
{
    static const struct option opts[] = {{"map", required_argument, NULL, 'm'},
                                         {"delimiter", required_argument, NULL, 'd'},
                                         {"encoding", required_argument, NULL, 'e'},
                                         {"rejects", required_argument, NULL, 'r'},
                                         {"store", required_argument, NULL, 's'},
                                         {"operator", required_argument, NULL, 'o'},
                                         {"observed-at", required_argument, NULL, 't'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"legal-basis", required_argument, NULL, 'L'},
                                         {"consent-document", required_argument, NULL, 'C'},
                                         {"db", required_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct import_opts o;
    memset(&o, 0, sizeof(o));
    o.src.channel = "import";
    o.batch = 100000;
    const char *db = cli_default_db(), *rejects = NULL;
    int64_t n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o.map = optarg;
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0) {
                o.delimiter = '\t';
            } else if (strlen(optarg) == 1 && strchr(";,|", optarg[0])) {
                o.delimiter = optarg[0];
            } else {
                return usage("--delimiter is ';', ',', '|' or tab");
            }
            break;
        case 'e':
            o.encoding = optarg;
            break;
        case 'r':
            rejects = optarg;
            break;
        case 's':
            o.src.store_id = optarg;
            break;
        case 'o':
            o.src.operator_id = optarg;
            break;
        case 't':
            if (!time_parse_rfc3339(optarg, strlen(optarg), &o.src.observed_at)) {
                return usage("--observed-at must be an RFC 3339 time");
            }
            break;
        case 'b':
            if (!num_parse_cstr(optarg, 1, 1000000, &n)) {
                return usage("--batch must be a number from 1 to 1000000");
            }
            o.batch = (int)n;
            break;
        case 'D':
            db = optarg;
            break;
        case 'L':
            if (strlen(optarg) == 0 || strlen(optarg) > 256) {
                return usage("--legal-basis is 1-256 bytes of text");
            }
            o.legal_basis = optarg;
            break;
        case 'C':
            if (strchr(optarg, '@') == NULL) {
                return usage("--consent-document is written NAME@VERSION");
            }
            o.consent_document = optarg;
            break;
        case 'h':
            fputs(import_help, stdout);
            return 0;
        default:
            return usage("unknown or incomplete option");
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "customers") != 0) {
        return usage("say what and from where: import customers FILE");
    }
    const char *file = argv[optind + 1];
    char path[4096];
    if (rejects == NULL) {
        kt_snprintf(path, sizeof(path), "%s.rejects.csv", file);
        rejects = path;
    }
    log_set_level(LOG_WARN);
    return run(db, file, &o, rejects);
}
