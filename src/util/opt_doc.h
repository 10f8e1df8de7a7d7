/*
 * Man pages and shell completions written from the option tables (opt.h),
 * so that --help, the man page and the completion of an option are the same
 * fact. build/mse-gendoc calls these at build time for every program.
 */
#ifndef MSE_UTIL_OPT_DOC_H
#define MSE_UTIL_OPT_DOC_H

#include <stdbool.h>
#include <stdio.h>

#include "opt.h"

/* An environment variable a program reads: the man pages' ENVIRONMENT section. */
struct mse_opt_env {
    const char *name;    /* "MSE_PCCS_URL"; NULL ends a list */
    const char *readers; /* "mse verify, mse configure" */
    const char *text;    /* what it does and the default, one paragraph */
};

/* One man page: one command, or a command and its actions (mse trust add|remove|list). */
struct mse_opt_page {
    const char *name;                      /* "mse-verify" */
    unsigned section;                      /* 1 or 8 */
    const char *summary;                   /* the NAME line */
    const struct mse_opt_cmd *const *cmds; /* NULL-terminated */
    const char *see_also;                  /* "mse-trust(1), ..." or NULL */
    const char *doc;                       /* the human page, "docs/cmd/mse-verify.md", or NULL */
    const struct mse_opt_env *env;         /* the variables listed, or NULL */
    const struct mse_opt_sub *commands;    /* a program's page: its COMMANDS section, or NULL */
    bool commands_here; /* the commands have no pages of their own (mse-sim): SYNOPSIS and
                           OPTIONS list each command's forms and options */
};

/* roff for man(1); version and date go in the title line. */
void mse_opt_write_man(FILE *f, const struct mse_opt_page *page, const char *version,
                       const char *date);

/*
 * Completion scripts for program: cmds are its commands ("mse verify",
 * "mse trust add", ...), NULL-terminated; each word after the program that
 * names a command completes that command's options.
 */
void mse_opt_write_bash(FILE *f, const char *program, const struct mse_opt_cmd *const *cmds);
void mse_opt_write_zsh(FILE *f, const char *program, const struct mse_opt_cmd *const *cmds);

#endif
