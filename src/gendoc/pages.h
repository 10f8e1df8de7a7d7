/*
 * The man pages and completion commands of the mse programs (pages.c): which
 * option tables each page is written from, and which docs/cmd page must name
 * the same options (tests/unit/opt_docs_test.c).
 */
#ifndef MSE_GENDOC_PAGES_H
#define MSE_GENDOC_PAGES_H

#include "cli/cli.h"
#include "sim/sim_commands.h"
#include "util/opt_doc.h"

/* Commands whose tables live in their own sources. */
extern const struct mse_opt_cmd srv_enclave_cmd;

/*
 * A command of a page's COMMANDS (mse-sim pccs serve) whose options its own
 * docs/cmd page documents rather than its program's: the docs test compares
 * its table with that page. The man page still lists them under the program.
 */
struct gendoc_command_doc {
    const struct mse_opt_cmd *cmd; /* NULL ends the list */
    const char *doc;               /* "docs/cmd/mse-sim-pccs.md" */
};
extern const struct gendoc_command_doc gendoc_command_docs[];

extern const struct mse_opt_env gendoc_environment[];     /* environment.c */
extern const struct mse_opt_page gendoc_pages[];          /* ends with a NULL name */
extern const struct mse_opt_cmd *const gendoc_mse_cmds[]; /* NULL-terminated */

#endif
