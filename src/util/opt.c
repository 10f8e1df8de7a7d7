/*
 * The option-table parser and --help printer (opt.h). Only argv is read;
 * nothing is global, so a program may parse several command lines (a
 * subcommand's, a test's) in one process.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>

#include "opt.h"
#include "util.h"

void mse_opt_init(struct mse_opt_parser *p, const struct mse_opt_cmd *cmd, int argc, char **argv)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->next = 1;
    p->operands_only = false;
    p->error = MSE_OK;
}

static const struct mse_opt *find_long(const struct mse_opt_cmd *cmd, const char *name, size_t n)
{
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++)
            if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
                return o;
    return NULL;
}

static const struct mse_opt *find_short(const struct mse_opt_cmd *cmd, char c)
{
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++)
            if (o->short_name == c)
                return o;
    return NULL;
}

const struct mse_opt *mse_opt_find(const struct mse_opt_cmd *cmd, int id)
{
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++)
            if (o->id == id)
                return o;
    return NULL;
}

/* The argument of o: attached (inline, may be NULL) or the next argv element. */
static int take_arg(struct mse_opt_parser *p, const struct mse_opt *o, const char *inline_arg,
                    const char **arg, char *why, size_t why_cap)
{
    if (!o->arg) {
        if (inline_arg) {
            p->error = mse_say(why, why_cap, MSE_ERR_ARG, "--%s takes no value", o->name);
            return MSE_OPT_ERROR;
        }
        *arg = NULL;
        return o->id;
    }
    if (inline_arg) {
        *arg = inline_arg;
        return o->id;
    }
    if (p->next >= p->argc) {
        p->error = mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--%s needs an argument (%s)", o->name, o->arg);
        return MSE_OPT_ERROR;
    }
    *arg = p->argv[p->next++];
    return o->id;
}

int mse_opt_next(struct mse_opt_parser *p, const char **arg, char *why, size_t why_cap)
{
    *arg = NULL;
    if (p->next >= p->argc)
        return MSE_OPT_DONE;
    const char *a = p->argv[p->next++];
    if (p->operands_only || a[0] != '-' || a[1] == '\0') {
        *arg = a; /* "-" alone is an operand (stdin, by convention) */
        return MSE_OPT_OPERAND;
    }
    if (strcmp(a, "--") == 0) {
        p->operands_only = true;
        return mse_opt_next(p, arg, why, why_cap);
    }
    if (a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct mse_opt *o = find_long(p->cmd, name, n);
        if (!o) {
            if (n == 4 && strncmp(name, "help", 4) == 0)
                return MSE_OPT_HELP;
            p->error = mse_say(why, why_cap, MSE_ERR_ARG, "unknown option --%.*s", (int)n, name);
            return MSE_OPT_ERROR;
        }
        return take_arg(p, o, eq ? eq + 1 : NULL, arg, why, why_cap);
    }
    /* One short option, its argument attached or next. */
    const struct mse_opt *o = find_short(p->cmd, a[1]);
    if (!o && a[1] == 'h' && a[2] == '\0')
        return MSE_OPT_HELP;
    if (!o || (!o->arg && a[2] != '\0')) {
        p->error = mse_say(why, why_cap, MSE_ERR_ARG, "unknown option %s", a);
        return MSE_OPT_ERROR;
    }
    return take_arg(p, o, a[2] ? a + 2 : NULL, arg, why, why_cap);
}

mse_err mse_opt_store(const struct mse_opt_cmd *cmd, mse_opt_take_fn take, void *ctx, int id,
                     const char *arg, char *why, size_t why_cap)
{
    const struct mse_opt *o = mse_opt_find(cmd, id);
    if (o && o->store == MSE_OPT_STRING)
        *(const char **)(void *)((char *)ctx + o->field) = arg;
    else if (o && o->store == MSE_OPT_TRUE)
        *(bool *)(void *)((char *)ctx + o->field) = true;
    else if (take)
        return take(ctx, id, arg, why, why_cap);
    else
        return mse_say(why, why_cap, MSE_ERR_INTERNAL, "option id %d has no field", id);
    return MSE_OK;
}

mse_err mse_opt_parse(const struct mse_opt_cmd *cmd, int argc, char **argv, mse_opt_take_fn take,
                      void *ctx, const char **operands, size_t max_operands, bool *help,
                      char *why, size_t why_cap)
{
    struct mse_opt_parser p;
    const char *arg;
    size_t n_operands = 0;
    int id;
    *help = false;
    mse_opt_init(&p, cmd, argc, argv);
    while ((id = mse_opt_next(&p, &arg, why, why_cap)) != MSE_OPT_DONE) {
        if (id == MSE_OPT_ERROR)
            return p.error;
        if (id == MSE_OPT_HELP) {
            *help = true;
            return MSE_OK;
        }
        if (id != MSE_OPT_OPERAND) {
            mse_err err = mse_opt_store(cmd, take, ctx, id, arg, why, why_cap);
            if (err != MSE_OK)
                return err;
        } else if (n_operands < max_operands) {
            operands[n_operands++] = arg;
        } else {
            return mse_say(why, why_cap, MSE_ERR_ARG, "unexpected argument '%s'", arg);
        }
    }
    return MSE_OK;
}

/* "-q, --quiet" or "    --fingerprint HEX" into buf. */
static void option_label(const struct mse_opt *o, char *buf, size_t cap)
{
    char head[8] = "    ";
    if (o->short_name)
        snprintf(head, sizeof head, "-%c, ", o->short_name);
    snprintf(buf, cap, "%s--%s%s%s", head, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void mse_opt_help(FILE *f, const struct mse_opt_cmd *cmd)
{
    for (const char *const *s = cmd->synopsis; *s; s++)
        fprintf(f, "%s %s %s\n", s == cmd->synopsis ? "usage:" : "      ", cmd->name, *s);
    fprintf(f, "\n%s\n", cmd->summary);
    if (cmd->description)
        fprintf(f, "\n%s\n", cmd->description);
    size_t width = 0;
    char label[160];
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++) {
            option_label(o, label, sizeof label);
            if (!(o->flags & MSE_OPT_HIDDEN) && strlen(label) > width)
                width = strlen(label);
        }
    fprintf(f, "\noptions:\n");
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++) {
            if (o->flags & MSE_OPT_HIDDEN)
                continue;
            option_label(o, label, sizeof label);
            fprintf(f, "  %-*s  %s\n", (int)width, label, o->help);
        }
    fprintf(f, "  %-*s  %s\n", (int)width, "-h, --help", "print this help and exit");
}

void mse_opt_usage_error(FILE *f, const struct mse_opt_cmd *cmd, const char *why)
{
    fprintf(f, "%s: %s\ntry '%s --help'\n", cmd->name, why, cmd->name);
}

mse_err mse_opt_long(const char *name, const char *arg, long min, long max, const char *unit,
                     long *out, char *why, size_t why_cap)
{
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || v < min || v > max)
        return mse_say(why, why_cap, MSE_ERR_ARG, "--%s takes %ld to %ld%s%s (got '%s')", name,
                       min, max, unit[0] ? " " : "", unit, arg);
    *out = v;
    return MSE_OK;
}

mse_err mse_opt_hex(const char *name, const char *arg, unsigned char *out, size_t len, char *why,
                    size_t why_cap)
{
    size_t n = strlen(arg);
    if (n != 2 * len)
        return mse_say(why, why_cap, MSE_ERR_ARG_HEX, "--%s needs %zu hex digits (got %zu)", name,
                       2 * len, n);
    if (mse_hex_decode(arg, n, out, len) != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_ARG_HEX, "--%s needs %zu hex digits (got '%s')",
                       name, 2 * len, arg);
    return MSE_OK;
}

const char *mse_opt_sub_word(const struct mse_opt_sub *sub)
{
    const char *space = strchr(sub->cmd->name, ' ');
    return space ? space + 1 : sub->cmd->name;
}

/* How many argv elements from argv[1] spell the words w ("pki init"), or 0 if they do not. */
static int spelled_by(const char *w, int argc, char **argv)
{
    int i = 1;
    for (;;) {
        size_t n = strcspn(w, " ");
        if (i >= argc || strlen(argv[i]) != n || strncmp(argv[i], w, n) != 0)
            return 0;
        if (w[n] == '\0')
            return i;
        w += n + 1;
        i++;
    }
}

const struct mse_opt_sub *mse_opt_sub_find(const struct mse_opt_sub *subs, int argc, char **argv,
                                           int *words)
{
    for (; subs->cmd; subs++)
        if ((*words = spelled_by(mse_opt_sub_word(subs), argc, argv)) > 0)
            return subs;
    return NULL;
}

void mse_opt_sub_list(FILE *f, const struct mse_opt_sub *subs)
{
    for (; subs->cmd; subs++)
        fprintf(f, "  %-12s %s\n", mse_opt_sub_word(subs), subs->cmd->summary);
}
