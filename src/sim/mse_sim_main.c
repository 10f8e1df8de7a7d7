/* mse-sim: dispatch to the commands (the list is mse_sim_commands, sim_commands.c). */
#include <stdio.h>
#include <string.h>

#include <mse/mse.h>

#include "sim_commands.h"

static int usage(FILE *f, int rc)
{
    const char *lead = "usage:";
    for (const struct mse_opt_sub *s = mse_sim_commands; s->cmd; s++, lead = "      ")
        fprintf(f, "%s %s %s\n", lead, s->cmd->name, s->cmd->synopsis[0]);
    fprintf(f, "       mse-sim --version\n\ncommands:\n");
    mse_opt_sub_list(f, mse_sim_commands);
    fprintf(f, "\nRun `mse-sim <command> --help` for a command's options.\n" SIM_TEST_ONLY "\n");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, MSE_EXIT_USAGE);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return usage(stdout, MSE_EXIT_OK);
    if (!strcmp(cmd, "--version")) {
        printf("mse-sim %s\n", MSE_VERSION);
        return MSE_EXIT_OK;
    }
    int words = 0;
    const struct mse_opt_sub *sub = mse_opt_sub_find(mse_sim_commands, argc, argv, &words);
    if (sub)
        return sub->main(argc - words, argv + words);
    /* The first word of a two-word command alone ("mse-sim pki"): name the whole command. */
    for (sub = mse_sim_commands; sub->cmd; sub++) {
        const char *w = mse_opt_sub_word(sub);
        size_t n = strlen(cmd);
        if (strncmp(w, cmd, n) == 0 && w[n] == ' ') {
            fprintf(stderr, "mse-sim %s: the command is `%s`\ntry '%s --help'\n", cmd,
                    sub->cmd->name, sub->cmd->name);
            return MSE_EXIT_USAGE;
        }
    }
    fprintf(stderr, "mse-sim: unknown command '%s'\ntry 'mse-sim --help'\n", cmd);
    return MSE_EXIT_USAGE;
}
