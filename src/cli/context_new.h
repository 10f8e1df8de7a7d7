/* mse context new: create a context and the encrypted code (src/cli/cli_context_new.c). */
#ifndef MSE_CLI_CONTEXT_NEW_H
#define MSE_CLI_CONTEXT_NEW_H

int mse_cli_context_new(int argc, char **argv);

#endif
