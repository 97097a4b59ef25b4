/*
 * cli.h - the operator's verbs beyond serving: import and report. main.c dispatches to them.
 * Each answers --help, takes --db (KARTOTEKA_DB) and exits 0 on success, 1 on failure, 2 on
 * bad usage.
 */
#ifndef KT_CLI_CLI_H
#define KT_CLI_CLI_H

int cli_import(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_run_due(int argc, char **argv);
int cli_privacy(int argc, char **argv);
int cli_loyalty(int argc, char **argv);
int cli_cluster(int argc, char **argv);
int cli_segment(int argc, char **argv);
int cli_events(int argc, char **argv);
int cli_audit(int argc, char **argv);

/* Shared: the database path from --db or KARTOTEKA_DB, and opening it. */
#include "store/store.h"

struct store *cli_open_store(const char *db);
/* `max_bytes`: the --db-max-size cap (0 = none). */
struct store *cli_open_store_mode(const char *db, int busy_ms, int64_t max_bytes,
                                  enum store_schema_mode mode);
const char *cli_default_db(void);

/* Prints a JSON document indented on standard output (the --json of every verb). */
#include <jansson.h>
void cli_print_json(const json_t *doc);

/* Loads the installation secret (KARTOTEKA_SECRET, KARTOTEKA_SECRET_FILE or <db>.secret) and
 * checks it against the database; prints why and returns -1 when it cannot. */
#include "auth/keys.h"
int cli_load_secret(struct store *s, const char *db, struct key_secret *out);

#endif
