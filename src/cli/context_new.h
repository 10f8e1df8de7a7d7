/*
 * `mse context new`: implemented by the enclave-server side in
 * src/cli/cli_context_new.c (encrypts the code, generates key and nonces,
 * writes the context with mse_context_save). cli_context.c dispatches
 * `mse context new ...` to it with argv[0] == "new".
 */
#ifndef MSE_CLI_CONTEXT_NEW_H
#define MSE_CLI_CONTEXT_NEW_H

int cli_context_new_main(int argc, char **argv);

#endif
