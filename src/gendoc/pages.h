/*
 * The man pages and completion commands of the mse programs (pages.c): which
 * option tables each page is written from, and which docs/cmd page must name
 * the same options (tests/unit/opt_docs_test.c).
 */
#ifndef MSE_GENDOC_PAGES_H
#define MSE_GENDOC_PAGES_H

#include "util/opt_doc.h"

/* Commands whose tables live in their own sources. */
extern const struct mse_opt_cmd cli_verify_cmd, cli_inspect_cmd, cli_configure_cmd, cli_context_cmd,
    cli_context_new_cmd, cli_fingerprint_cmd, cli_trust_cmd, cli_trust_add_cmd,
    cli_trust_remove_cmd, cli_trust_list_cmd, srv_enclave_cmd;

extern const struct mse_opt_env gendoc_environment[];     /* environment.c */
extern const struct mse_opt_page gendoc_pages[];          /* ends with a NULL name */
extern const struct mse_opt_cmd *const gendoc_mse_cmds[]; /* NULL-terminated */

#endif
