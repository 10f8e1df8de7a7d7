/*
 * mse-sim's commands, written once (sim_commands.c): the list its dispatcher
 * and --help read (mse_sim_main.c) and its man page is written from
 * (src/gendoc).
 */
#ifndef MSE_SIM_COMMANDS_H
#define MSE_SIM_COMMANDS_H

#include "util/opt.h"

#define SIM_TEST_ONLY "Test only: every key made here is public. T is an RFC 3339 UTC time."

/* Its commands ("mse-sim pki init", "mse-sim quote", ...), ending with {NULL, NULL}. */
extern const struct mse_opt_sub mse_sim_commands[];

/* `mse-sim pccs serve`, beside the server it fronts (pccs_cmd.c): its options and its
 * entry point (argv[0] is "serve"; returns the process's exit status). */
extern const struct mse_opt_cmd mse_sim_pccs_serve_cmd;
int mse_sim_pccs_serve_main(int argc, char **argv);

#endif
