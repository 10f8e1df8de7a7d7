/* The commands of mse, once (cli.h): each one's option table and entry point. */
#include "cli.h"

const struct mse_opt_sub cli_commands[] = {
    {&cli_verify_cmd, cli_verify_main},
    {&cli_inspect_cmd, cli_inspect_main},
    {&cli_fingerprint_cmd, cli_fingerprint_main},
    {&cli_context_cmd, cli_context_main},
    {&cli_configure_cmd, cli_configure_main},
    {&cli_trust_cmd, cli_trust_main},
    {&cli_demo_cmd, cli_demo_main},
    {NULL, NULL},
};
