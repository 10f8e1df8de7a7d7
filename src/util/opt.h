/*
 * Command-line options written once: each command has a table of options
 * (long name, short name, argument name, one-line help) and that table drives
 * the parser, `--help`, the man page and the shell completions
 * (each docs/cmd page is checked against it by tests/unit/opt_docs_test.c).
 *
 * Used by all three programs (mse, mse-enclave, mse-sim). The parser keeps
 * its state in a caller-placed struct (no getopt globals), accepts
 * `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`, options and
 * operands in any order, and `--` to end the options. Long names must be
 * given whole: an abbreviation would change meaning when an option is added.
 * `--help` and `-h` are built in for every command.
 */
#ifndef MSE_UTIL_OPT_H
#define MSE_UTIL_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <mse/err.h>

enum mse_opt_flag {
    MSE_OPT_HIDDEN = 1u << 0, /* accepted but not listed: an earlier spelling kept working */
    MSE_OPT_FILE = 1u << 1,   /* the argument is a path (completion offers files) */
    MSE_OPT_DIR = 1u << 2,    /* the argument is a directory (completion offers directories) */
};

/*
 * Where the parser itself puts an option's value, so that a command's take
 * function keeps only the options that need logic (as git's parse-options
 * tables do). MSE_OPT_TAKE, the zero value, hands the option to take.
 */
enum mse_opt_store {
    MSE_OPT_TAKE = 0, /* take(ctx, id, arg, ...) decides */
    MSE_OPT_STRING,   /* const char * at the field: the argument */
    MSE_OPT_TRUE,     /* bool at the field: set by the switch */
};

/* A row's store and field: MSE_OPT_AT(MSE_OPT_STRING, struct x_args, name). */
#define MSE_OPT_AT(store, type, member) (store), offsetof(type, member)

/* One option. A table is an array ending with an entry whose name is NULL. */
struct mse_opt {
    const char *name;  /* long name without the leading "--" */
    char short_name;   /* '\0' when there is none */
    const char *arg;   /* argument placeholder ("HEX", "FILE"), NULL for a switch */
    const char *help;  /* one line, lower case, no final period */
    int id;            /* returned by mse_opt_next; > 0, unique within a command */
    unsigned flags;    /* enum mse_opt_flag */
    enum mse_opt_store store; /* MSE_OPT_TAKE unless the parser stores the value itself */
    size_t field;             /* then the field's offset in the options struct (ctx) */
};

/* A command: what --help, the man page and the completions say about it. */
struct mse_opt_cmd {
    const char *name;                /* as typed: "mse verify", "mse-sim pccs serve" */
    const char *summary;             /* one line: the man page's NAME, `mse --help` */
    const char *const *synopsis;     /* operand forms after the name, NULL-terminated */
    const char *description;         /* plain text paragraphs separated by blank lines */
    const struct mse_opt *const *tables; /* NULL-terminated; shared tables may be listed */
    /* A man page's section and SEE ALSO are its page's (opt_doc.h), not a command's. */
};

/*
 * A program's subcommand: the table its --help and man page are written from
 * (cmd->name is "program word", cmd->summary its line in the program's help)
 * and its entry point (argv[0] is the word). A program's dispatcher, its
 * --help and its man page's COMMANDS section read one list of these.
 */
struct mse_opt_sub {
    const struct mse_opt_cmd *cmd; /* NULL ends a list */
    int (*main)(int argc, char **argv);
};

/* The words a subcommand is typed as: "verify" for "mse verify", "pki init" for
 * "mse-sim pki init". */
const char *mse_opt_sub_word(const struct mse_opt_sub *sub);

/* The entry in subs whose words are argv[1], argv[2], ... (argv[0] is the program), or NULL;
 * *words gets how many argv elements name it, so its main takes argc - *words, argv + *words
 * (argv[0] then is its last word). */
const struct mse_opt_sub *mse_opt_sub_find(const struct mse_opt_sub *subs, int argc, char **argv,
                                           int *words);

/* A program's --help list: "  verify       <summary>", one line each. */
void mse_opt_sub_list(FILE *f, const struct mse_opt_sub *subs);

/* What mse_opt_next returns besides an option id. */
enum {
    MSE_OPT_DONE = 0,     /* no more arguments */
    MSE_OPT_OPERAND = -1, /* *arg is an operand (not an option) */
    MSE_OPT_ERROR = -2,   /* a usage error; the reason is in why */
    MSE_OPT_HELP = -3,    /* --help or -h */
};

/* Parser state, placed by the caller; argv[0] (the command name) is skipped. */
struct mse_opt_parser {
    const struct mse_opt_cmd *cmd;
    int argc;
    char **argv;
    int next;          /* index of the next argv element to read */
    bool operands_only; /* after "--" */
    mse_err error;      /* after MSE_OPT_ERROR: MSE_ERR_ARG or MSE_ERR_ARG_MISSING */
};

void mse_opt_init(struct mse_opt_parser *p, const struct mse_opt_cmd *cmd, int argc, char **argv);

/*
 * The next option's id (with its argument in *arg, NULL for a switch), or one
 * of MSE_OPT_DONE, MSE_OPT_OPERAND (*arg is the operand), MSE_OPT_HELP, or
 * MSE_OPT_ERROR with one line in why naming the problem ("unknown option
 * --x", "--fingerprint needs an argument (HEX)", "--json takes no value").
 */
int mse_opt_next(struct mse_opt_parser *p, const char **arg, char *why, size_t why_cap);

/*
 * What a command does with one of its options: store arg (NULL for a switch)
 * in ctx, the command's options struct. MSE_OK, or a usage error with its
 * one-line reason in why.
 */
typedef mse_err (*mse_opt_take_fn)(void *ctx, int id, const char *arg, char *why,
                                   size_t why_cap);

/*
 * A whole command line, the loop every command would otherwise write: an
 * option whose row names a field is stored there in ctx, any other goes to
 * take(ctx, ...) (take may be NULL when no row needs it); operands fill
 * operands[0 .. max_operands) in order (one more is "unexpected argument 'X'"; slots no operand reached are
 * left as the caller set them); --help or -h sets *help and stops. Returns
 * MSE_OK or the first usage error (MSE_ERR_ARG*, its one line in why), which
 * the caller reports with mse_opt_usage_error.
 */
MSE_MUST_USE mse_err mse_opt_parse(const struct mse_opt_cmd *cmd, int argc, char **argv,
                                   mse_opt_take_fn take, void *ctx, const char **operands,
                                   size_t max_operands, bool *help, char *why, size_t why_cap);

/*
 * One option into ctx, as mse_opt_parse does it (for a program that reads its
 * options with mse_opt_next itself): into its row's field, or through take.
 */
MSE_MUST_USE mse_err mse_opt_store(const struct mse_opt_cmd *cmd, mse_opt_take_fn take, void *ctx,
                                   int id, const char *arg, char *why, size_t why_cap);

/* The option with this id in cmd's tables, or NULL. */
const struct mse_opt *mse_opt_find(const struct mse_opt_cmd *cmd, int id);

/* The full help: usage lines, description, the options with their help. */
void mse_opt_help(FILE *f, const struct mse_opt_cmd *cmd);

/*
 * A usage error as users see it: "mse verify: <why>" then
 * "try 'mse verify --help'", on f. The caller exits with MSE_EXIT_USAGE.
 */
void mse_opt_usage_error(FILE *f, const struct mse_opt_cmd *cmd, const char *why);

/*
 * A decimal integer argument in [min, max]; otherwise MSE_ERR_ARG with
 * "--NAME takes MIN to MAX UNIT" in why (unit may be "").
 */
MSE_MUST_USE mse_err mse_opt_long(const char *name, const char *arg, long min, long max,
                                  const char *unit, long *out, char *why, size_t why_cap);

/*
 * Exactly 2*len hex digits decoded into out; otherwise MSE_ERR_ARG_HEX with
 * "--NAME needs 64 hex digits (got 3)" in why.
 */
MSE_MUST_USE mse_err mse_opt_hex(const char *name, const char *arg, unsigned char *out,
                                 size_t len, char *why, size_t why_cap);

#endif
