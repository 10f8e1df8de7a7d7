/* Terminal output conventions: NO_COLOR, TTY detection, --quiet, --json, usage errors. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cli.h"
#include "context/context.h"

void cli_out_init(struct cli_out *o)
{
    const char *no_color = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
    o->quiet = false;
    o->json = false;
}

/* "<label>: <message>" on stderr, the label in color (an ANSI code) when o says so.
 * The format attribute lets clang's -Wformat-nonliteral (-Wformat=2) accept the vfprintf. */
__attribute__((format(printf, 4, 0))) static void say_labeled(const struct cli_out *o, const char *label, const char *color,
                        const char *fmt, va_list ap)
{
    if (o->color)
        fprintf(stderr, "\033[%sm%s:\033[0m ", color, label);
    else
        fprintf(stderr, "%s: ", label);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_out_error(const struct cli_out *o, mse_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_labeled(o, "error", "31", fmt, ap);
    va_end(ap);
    return (int)mse_err_exit(err);
}

void cli_out_warn(const struct cli_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_labeled(o, "warning", "33", fmt, ap);
    va_end(ap);
}

int cli_parse_failed(const struct mse_opt_cmd *cmd, int argc, char **argv, mse_err err, bool help,
                     const char *why)
{
    if (err == MSE_OK && help) {
        mse_opt_help(stdout, cmd);
        return MSE_EXIT_OK;
    }
    const char *message = why[0] ? why : mse_err_str(err);
    if (cli_argv_has_json(argc, argv))
        cli_json_error(err, message);
    mse_opt_usage_error(stderr, cmd, message);
    return (int)mse_err_exit(err);
}

bool cli_argv_has_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            return true;
    return false;
}

void cli_json_error(mse_err err, const char *message)
{
    json_t *o = json_pack("{s:{s:s, s:i, s:s}}", "error", "code", mse_err_name(err), "exit",
                          (int)mse_err_exit(err), "message", message);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        puts(text);
    else /* no memory for jansson: still one object, without the message */
        printf("{\"error\":{\"code\":\"%s\",\"exit\":%d}}\n", mse_err_name(err),
               (int)mse_err_exit(err));
    free(text);
    json_decref(o);
    fflush(stdout);
}

int cli_out_failure(const struct cli_out *o, mse_err err, const char *message)
{
    return cli_out_error(o, err, "%s (%s)", message, mse_err_name(err));
}

int cli_out_report_failure(const struct cli_out *o, const struct mse_opt_cmd *cmd, mse_err err,
                           const char *message)
{
    if (o->json)
        cli_json_error(err, message);
    if (mse_err_exit(err) != MSE_EXIT_USAGE)
        return cli_out_failure(o, err, message);
    mse_opt_usage_error(stderr, cmd, message);
    return MSE_EXIT_USAGE;
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

void cli_code_diff_say(const struct mse_code_diff *d, char *buf, size_t cap)
{
    if (d->n == 1)
        snprintf(buf, cap, "code file %s is not the one " CLI_CODE_DIFF_END, d->first);
    else
        snprintf(buf, cap, "%zu code files are not the ones " CLI_CODE_DIFF_END " (the first: %s)",
                 d->n, d->first);
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

/*
 * OpenSSL's own configuration can leave it without its default algorithms (a
 * provider section naming one that does not load): every key, certificate and
 * signature mse reads would then look malformed, and the first error would
 * blame that input. So it is asked once, before any command runs, and the
 * error names the file to fix.
 */
bool cli_openssl_usable(int argc, char **argv)
{
    EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (sha256 != NULL) {
        EVP_MD_free(sha256);
        return true;
    }
    ERR_clear_error();
    char *conf = CONF_get1_default_config_file();
    char message[512];
    snprintf(message, sizeof message,
             "OpenSSL cannot run: it has no SHA-256 in its default context, as its "
             "configuration file, %s, loads no usable provider",
             conf ? conf : "openssl.cnf");
    OPENSSL_free(conf);
    struct cli_out o;
    cli_out_init(&o);
    if (cli_argv_has_json(argc, argv))
        cli_json_error(MSE_ERR_CRYPTO, message);
    (void)cli_out_failure(&o, MSE_ERR_CRYPTO, message);
    return false;
}
