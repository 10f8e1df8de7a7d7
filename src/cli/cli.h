/*
 * The `mse` command. Each subcommand lives in cli_<command>.c and is shaped
 * parse -> run -> print:
 *   - an options struct filled by a parse function from its option table
 *     (src/util/opt.h), usage errors as MSE_ERR_ARG* with a one-line reason;
 *   - a run function that does the work, returns mse_err with its reason in a
 *     caller buffer and prints nothing (unit tests call it directly);
 *   - a print function for people (or one JSON object with --json);
 *   - an entry point cli_<command>_main of a few lines returning the exit
 *     code of the error table (mse_err_exit, docs/exit-codes.md).
 */
#ifndef MSE_CLI_H
#define MSE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <mse/err.h>

#include "util/opt.h"

int cli_verify_main(int argc, char **argv);      /* mse verify, mse home verify, mse cloud verify */
int cli_fingerprint_main(int argc, char **argv); /* mse fingerprint */
int cli_context_main(int argc, char **argv);     /* mse context */
int cli_configure_main(int argc, char **argv);   /* mse configure */
int cli_trust_main(int argc, char **argv);       /* mse trust add|remove|list */
int cli_demo_main(int argc, char **argv);        /* mse demo */
int cli_inspect_main(int argc, char **argv);     /* mse inspect */

/*
 * mse's commands, in the order `mse --help` lists them: the dispatcher
 * (mse_main.c), `mse --help` and mse(1) (src/gendoc) all read this one list.
 */
extern const struct mse_opt_sub cli_commands[];

/* The option tables of the commands and actions (in their sources), for the man pages. */
extern const struct mse_opt_cmd cli_verify_cmd, cli_inspect_cmd, cli_fingerprint_cmd,
    cli_context_cmd, cli_context_new_cmd, cli_configure_cmd, cli_trust_cmd, cli_trust_add_cmd,
    cli_trust_remove_cmd, cli_trust_list_cmd, cli_demo_cmd;

/* Terminal output shared by the subcommands. */
struct cli_out {
    bool color;  /* stdout is a TTY and NO_COLOR is unset */
    bool quiet;  /* --quiet: only errors */
    bool json;   /* --json: machine output on stdout, humans' on stderr */
};
void cli_out_init(struct cli_out *o);

/*
 * The --json and --quiet rows of a command's option table, written once:
 * switches into the `out` member (struct cli_out) of the command's options
 * struct ARGS; each command says in HELP what they change for it.
 */
#define CLI_OPT_JSON(ARGS, id, help) \
    {"json", 0, NULL, help, id, 0, MSE_OPT_AT(MSE_OPT_TRUE, ARGS, out.json)}
#define CLI_OPT_QUIET(ARGS, id, short_name, help) \
    {"quiet", short_name, NULL, help, id, 0, MSE_OPT_AT(MSE_OPT_TRUE, ARGS, out.quiet)}
/* "error: <message>" on stderr, red when color is on. Returns the exit code for err. */
int cli_out_error(const struct cli_out *o, mse_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cli_out_warn(const struct cli_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A parse function's usage error, as the entry point reports it: one line
 * naming the problem and the help hint (mse_opt_usage_error) on stderr, and
 * with --json among the arguments also the error object on stdout; exit 2.
 * A --help request prints the help on stdout and exits 0: pass MSE_OK with
 * help set. Returns the exit code.
 */
int cli_parse_failed(const struct mse_opt_cmd *cmd, int argc, char **argv, mse_err err, bool help,
                     const char *why);

/*
 * Whether --json was asked for: a "--json" argument before any "--", so a
 * usage error found before the parser reached it is still reported as JSON.
 */
bool cli_argv_has_json(int argc, char **argv);

/*
 * The one JSON object of a failed command, on stdout:
 * {"error":{"code":"MSE_ERR_...","exit":N,"message":"..."}}.
 */
void cli_json_error(mse_err err, const char *message);

/* false, with the error said (on stdout too with --json), when OpenSSL cannot run: its
 * configuration left it without SHA-256 in the default context (cli_out.c says why). */
bool cli_openssl_usable(int argc, char **argv);

/* "error: <message> (MSE_ERR_NAME)" on stderr; returns the exit code of err. */
int cli_out_failure(const struct cli_out *o, mse_err err, const char *message);

/*
 * A command's failure when nothing else was printed for it: with --json the
 * error object on stdout (cli_json_error), then on stderr the human line
 * (cli_out_failure) or, for a usage error found after parsing (a UUID that is
 * not one), the usage form of cmd: one line and the help hint.
 * Returns the exit code of err.
 */
int cli_out_report_failure(const struct cli_out *o, const struct mse_opt_cmd *cmd, mse_err err,
                           const char *message);

/*
 * Warnings a run function found (insecure PCCS link, cache not written):
 * kept for the print function, since run functions print nothing.
 */
#define CLI_NOTES_MAX 6
struct cli_notes {
    unsigned count;
    char text[CLI_NOTES_MAX][512];
};
void cli_note(struct cli_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_notes_print(const struct cli_out *o, const struct cli_notes *n);

/* The code files that differ from the hashes the context claims, in one line that ends with
 * CLI_CODE_DIFF_END (mse demo shows the line by it). */
#define CLI_CODE_DIFF_END "the context was made for"
struct mse_code_diff;
void cli_code_diff_say(const struct mse_code_diff *d, char *buf, size_t cap);

/*
 * Progress for a person watching a terminal ("Fetching collateral..."), an
 * empty message clears it. NULL in tests; cli_progress_tty on a terminal.
 */
typedef void (*cli_progress_fn)(const char *msg);
/* The progress function for out: cli_progress_tty on a terminal's stderr, else NULL. */
cli_progress_fn cli_progress_for(const struct cli_out *out);

#endif
