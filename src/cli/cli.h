/*
 * The `mse` command: one entry point per subcommand, each in its own
 * cli_<command>.c, each returning a process exit code (enum mse_exit).
 */
#ifndef MSE_CLI_H
#define MSE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <mse/err.h>

int mse_cli_verify(int argc, char **argv);      /* mse verify, mse home verify, mse cloud verify */
int mse_cli_fingerprint(int argc, char **argv); /* mse fingerprint */
int mse_cli_context(int argc, char **argv);     /* mse context */
int mse_cli_configure(int argc, char **argv);   /* mse configure */
int mse_cli_trust(int argc, char **argv);       /* mse trust add|remove|list */
int mse_cli_demo(int argc, char **argv);        /* mse demo */

/* Terminal output shared by the subcommands. */
struct mse_out {
    bool color;  /* stdout is a TTY and NO_COLOR is unset */
    bool quiet;  /* --quiet: only errors */
    bool json;   /* --json: machine output on stdout, humans' on stderr */
};
void mse_out_init(struct mse_out *o);
/* "error: <message>" on stderr, red when color is on. Returns the exit code for err. */
int mse_out_error(const struct mse_out *o, mse_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mse_out_warn(const struct mse_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
