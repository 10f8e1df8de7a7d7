/* mse: dispatch to the subcommands (the list is cli_commands, cli_commands.c). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <mse/mse.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: mse <command> [options]\n\ncommands:\n");
    mse_opt_sub_list(f, cli_commands);
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
    bool help = false;
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        help = help || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (!help && !cli_openssl_usable(argc, argv))
        return (int)mse_err_exit(MSE_ERR_CRYPTO);
    /* The mse-cli spellings: `mse home verify ...`, `mse cloud verify ...`. */
    if ((strcmp(argv[1], "home") == 0 || strcmp(argv[1], "cloud") == 0) && argc >= 3 &&
        strcmp(argv[2], "verify") == 0)
        return cli_verify_main(argc - 2, argv + 2);
    int words = 0;
    const struct mse_opt_sub *sub = mse_opt_sub_find(cli_commands, argc, argv, &words);
    if (sub)
        return sub->main(argc - words, argv + words);
    fprintf(stderr, "mse: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MSE_EXIT_USAGE;
}
