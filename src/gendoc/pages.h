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

extern const struct mse_opt_env gendoc_environment[];     /* environment.c */
extern const struct mse_opt_page gendoc_pages[];          /* ends with a NULL name */
extern const struct mse_opt_cmd *const gendoc_mse_cmds[]; /* NULL-terminated */

#endif
