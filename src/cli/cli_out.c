/* Terminal output conventions: NO_COLOR, TTY detection, --quiet, --json. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

void mse_out_init(struct mse_out *o)
{
    const char *no_color = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
    o->quiet = false;
    o->json = false;
}

int mse_out_error(const struct mse_out *o, mse_err err, const char *fmt, ...)
{
    va_list ap;
    fputs(o->color ? "\033[31merror:\033[0m " : "error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return (int)mse_err_exit(err);
}

void mse_out_warn(const struct mse_out *o, const char *fmt, ...)
{
    va_list ap;
    fputs(o->color ? "\033[33mwarning:\033[0m " : "warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
