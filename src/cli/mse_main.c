/* mse: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include <mse/mse.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"verify", cli_verify_main, "verify an app's RA-TLS certificate and save it"},
    {"inspect", cli_inspect_main, "show what a certificate, quote or evidence claims (unverified)"},
    {"fingerprint", cli_fingerprint_main, "compute the MRENCLAVE of an app"},
    {"context", cli_context_main, "list, show, export or remove app contexts"},
    {"configure", cli_configure_main, "verify an enclave, then send it the app's secrets"},
    {"trust", cli_trust_main, "add a verified certificate to the browser's NSS store"},
    {"demo", cli_demo_main, "run the whole zero-trust flow on the simulator"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mse <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`mse home verify` and `mse cloud verify` are `mse verify`.\n"
               "Run `mse <command> --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return MSE_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mse %s\n", MSE_VERSION);
        return MSE_EXIT_OK;
    }
    /* The mse-cli spellings: `mse home verify ...`, `mse cloud verify ...`. */
    if ((strcmp(argv[1], "home") == 0 || strcmp(argv[1], "cloud") == 0) && argc >= 3 &&
        strcmp(argv[2], "verify") == 0)
        return cli_verify_main(argc - 2, argv + 2);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mse: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MSE_EXIT_USAGE;
}
