/* Terminal output conventions: NO_COLOR, TTY detection, --quiet, --json, usage errors. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

void cli_out_init(struct cli_out *o)
{
    const char *no_color = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
    o->quiet = false;
    o->json = false;
}

int cli_out_error(const struct cli_out *o, mse_err err, const char *fmt, ...)
{
    va_list ap;
    fputs(o->color ? "\033[31merror:\033[0m " : "error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return (int)mse_err_exit(err);
}

void cli_out_warn(const struct cli_out *o, const char *fmt, ...)
{
    va_list ap;
    fputs(o->color ? "\033[33mwarning:\033[0m " : "warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_failed(const struct mse_opt_cmd *cmd, mse_err err, bool help, const char *why)
{
    if (err == MSE_OK && help) {
        mse_opt_help(stdout, cmd);
        return MSE_EXIT_OK;
    }
    mse_opt_usage_error(stderr, cmd, why[0] ? why : mse_err_str(err));
    return (int)mse_err_exit(err);
}

void cli_note(struct cli_notes *n, const char *fmt, ...)
{
    if (n->count == CLI_NOTES_MAX)
        return; /* the first warnings are the ones that explain the rest */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text[n->count++], sizeof n->text[0], fmt, ap);
    va_end(ap);
}

void cli_notes_print(const struct cli_out *o, const struct cli_notes *n)
{
    if (o->quiet)
        return;
    for (unsigned i = 0; i < n->count; i++)
        cli_out_warn(o, "%s", n->text[i]);
}

static void progress_tty(const char *msg)
{
    fprintf(stderr, "\r\033[K%s", msg);
}

cli_progress_fn cli_progress_for(const struct cli_out *out)
{
    /* Progress only for a person watching a terminal; never in pipes or logs. */
    return !out->quiet && !out->json && isatty(STDERR_FILENO) ? progress_tty : NULL;
}
