/*
 * mse context: list, show, export or remove the app contexts kept under
 * $MSE_CONF_PATH/context/<uuid>/context.mse (default ~/.config/mse/), the
 * files mse-cli writes (docs/cmd/mse-context.md, docs/formats/context.md).
 * `mse context new` lives in cli_context_new.c.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli.h"
#include "context_new.h"
#include "context/context.h"
#include "measure/runtime.h"
#include "util/util.h"


enum context_opt { X_LIST = 1, X_SHOW, X_EXPORT, X_REMOVE, X_PURGE, X_OUTPUT, X_JSON, X_QUIET };

struct context_args {
    struct cli_out out; /* --json, --quiet */
    int action;         /* X_LIST ... X_PURGE */
    const char *uuid;
    const char *output;
    bool help;
};

static const struct mse_opt context_actions[] = {
    {"list", 0, NULL, "one line per context: UUID, app name, domain, expiry",
     X_LIST, 0, MSE_OPT_TAKE, 0},
    {"show", 0, "UUID", "the context's fields (never the secret key)", X_SHOW, 0, MSE_OPT_TAKE, 0},
    {"export", 0, "UUID", "the context file as is, on stdout or to --output",
     X_EXPORT, 0, MSE_OPT_TAKE, 0},
    {"remove", 0, "UUID", "delete the context (and its directory if then empty)",
     X_REMOVE, 0, MSE_OPT_TAKE, 0},
    {"purge", 0, NULL, "remove every context", X_PURGE, 0, MSE_OPT_TAKE, 0},
    {0},
};
static const struct mse_opt context_options[] = {
    {"output", 0, "FILE", "with --export: write the context here (mode 0600)", X_OUTPUT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct context_args, output)},
    CLI_OPT_JSON(struct context_args, X_JSON, "with --list or --show: one JSON value on stdout"),
    CLI_OPT_QUIET(struct context_args, X_QUIET, 'q', "print only errors"),
    {0},
};
static const struct mse_opt *const context_tables[] = {context_actions, context_options, NULL};
static const char *const context_synopsis[] = {
    "--list [--json]", "--show UUID [--json]", "--export UUID [--output FILE]",
    "--remove UUID",   "--purge",              "new ...",
    NULL};

const struct mse_opt_cmd cli_context_cmd = {
    .name = "mse context",
    .summary = "list, show, export or remove app contexts",
    .synopsis = context_synopsis,
    .description = "Contexts live in $MSE_CONF_PATH/context/<uuid>/context.mse\n"
                   "(default ~/.config/mse/context/...). `mse context new --help` for new.",
    .tables = context_tables,
};

/* A failed action: the human line, and with --json the error object. Returns the exit code. */
__attribute__((format(printf, 3, 4))) static int context_fail(const struct cli_out *o, mse_err err,
                                                              const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return cli_out_report_failure(o, &cli_context_cmd, err, message);
}

/* JSON string body (quotes added by the caller). */
static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/*
 * The context directory, opened: *d is NULL when it does not exist yet (no
 * context). Returns MSE_EXIT_OK, or the exit code of the failure reported.
 */
static int open_context_dir(const struct cli_out *o, DIR **d)
{
    char dir[PATH_MAX];
    mse_err err = mse_context_dir(dir, sizeof dir);
    if (err != MSE_OK)
        return context_fail(o, err, "cannot locate the context directory (set MSE_CONF_PATH)");
    *d = opendir(dir);
    if (!*d && errno != ENOENT)
        return context_fail(o, MSE_ERR_IO, "%s: %s", dir, strerror(errno));
    return MSE_EXIT_OK;
}

static int list(const struct cli_out *o)
{
    DIR *d = NULL;
    int rc = open_context_dir(o, &d);
    if (rc != MSE_EXIT_OK)
        return rc;
    /* --json: one object, as every --json output, the list under "contexts". */
    if (!d) {
        if (o->json)
            printf("{\"contexts\": []}\n");
        return MSE_EXIT_OK;
    }
    if (o->json)
        printf("{\"contexts\": [");
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!mse_context_uuid_ok(e->d_name))
            continue;
        char **nv = realloc(names, (n + 1) * sizeof *nv);
        if (!nv)
            break;
        names = nv;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    for (size_t a = 1; a < n; a++) /* small lists: insertion sort for a stable listing */
        for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
            char *t = names[b];
            names[b] = names[b - 1];
            names[b - 1] = t;
        }
    bool first = true;
    for (size_t k = 0; k < n; k++) {
        char path[PATH_MAX], errbuf[256];
        struct mse_context c;
        if (mse_context_path(names[k], path, sizeof path) != MSE_OK)
            continue;
        bool ok = mse_context_load(path, &c, errbuf, sizeof errbuf) == MSE_OK;
        if (o->json) {
            printf("%s{\"id\": ", first ? "" : ", ");
            json_str(names[k]);
            if (ok) {
                printf(", \"name\": ");
                json_str(c.name);
                printf(", \"domain\": ");
                json_str(c.config_domain_name);
                printf(", \"expires_at\": ");
                json_str(c.expires_at);
            } else {
                printf(", \"error\": ");
                json_str(errbuf);
            }
            printf("}");
        } else if (ok) {
            printf("%s  %-20s %s%s%s\n", names[k], c.name,
                   c.config_domain_name ? c.config_domain_name : "-",
                   c.expires_at ? "  expires " : "", c.expires_at ? c.expires_at : "");
        } else {
            printf("%s  (unreadable: %s)\n", names[k], errbuf);
        }
        first = false;
        if (ok)
            mse_context_free(&c);
        free(names[k]);
    }
    free(names);
    if (o->json)
        printf("]}\n");
    return MSE_EXIT_OK;
}

static int show(const struct cli_out *o, const char *uuid)
{
    char path[PATH_MAX], errbuf[256];
    struct mse_context c;
    mse_err err = mse_context_path(uuid, path, sizeof path);
    if (err != MSE_OK)
        return context_fail(o, err, "%s is not a context UUID", uuid);
    err = mse_context_load(path, &c, errbuf, sizeof errbuf);
    if (err != MSE_OK)
        return context_fail(o, err, "%s", errbuf);
    /* The secret key is never printed by --show; --export gives the whole file. */
    if (o->json) {
        printf("{\"id\": ");
        json_str(uuid);
        printf(", \"version\": ");
        json_str(c.version);
        printf(", \"name\": ");
        json_str(c.name);
        printf(", \"project\": ");
        json_str(c.project);
        printf(", \"python_application\": ");
        json_str(c.python_application);
        printf(", \"domain\": ");
        json_str(c.config_domain_name);
        printf(", \"enclave_size\": %lld", (long long)c.enclave_size);
        printf(", \"expires_at\": ");
        json_str(c.expires_at);
        printf(", \"ssl_certificate_origin\": ");
        json_str(c.ssl_certificate_origin);
        printf(", \"code_files\": %zu, \"runtime\": %s}\n", c.nnonces,
               c.has_runtime ? "true" : "false");
    } else {
        printf("id:                     %s\n", uuid);
        printf("version:                %s\n", c.version);
        printf("name:                   %s\n", c.name);
        printf("project:                %s\n", c.project ? c.project : "-");
        printf("python application:     %s\n", c.python_application ? c.python_application : "-");
        printf("domain:                 %s\n", c.config_domain_name ? c.config_domain_name : "-");
        /* mse-cli wrote [instance] enclave_size (GB); mse context new, the runtime's value. */
        const char *rt_size = c.has_runtime ? mse_runtime_value(c.runtime, "enclave_size") : NULL;
        if (c.enclave_size > 0)
            printf("enclave size:           %lldG\n", (long long)c.enclave_size);
        else
            printf("enclave size:           %s\n", rt_size ? rt_size : "-");
        printf("expires at:             %s\n", c.expires_at ? c.expires_at : "-");
        printf("certificate origin:     %s\n",
               c.ssl_certificate_origin ? c.ssl_certificate_origin : "-");
        printf("code files (nonces):    %zu\n", c.nnonces);
        for (size_t k = 0; k < c.nnonces; k++)
            printf("  %s\n", c.nonces[k].path);
        if (c.has_runtime) {
            const struct mse_toml *lp = mse_toml_get(c.runtime, "libpal_sha256");
            printf("runtime:                %s (libpal sha256 %s)\n",
                   mse_toml_get(c.runtime, "name")->s, lp->s);
            printf("runtime mode, app:      %s, %s\n", mse_runtime_value(c.runtime, "mode"),
                   mse_runtime_value(c.runtime, "app_cmd")[0] ? mse_runtime_value(c.runtime, "app_cmd")
                                                              : "built-in hello app");
        } else {
            printf("runtime:                none (%s: no --context fingerprint)\n",
                   c.runtime_by_path ? "an older [runtime] naming owner paths" : "[runtime] missing");
        }
        printf("code secret key:        %s\n", c.has_key ? "present (not shown)" : "absent");
    }
    mse_context_free(&c);
    return MSE_EXIT_OK;
}

static int export_ctx(const struct cli_out *o, const char *uuid, const char *output)
{
    char path[PATH_MAX];
    uint8_t *data = NULL;
    size_t len = 0;
    mse_err err = mse_context_path(uuid, path, sizeof path);
    if (err != MSE_OK)
        return context_fail(o, err, "%s is not a context UUID", uuid);
    err = mse_file_read(path, MSE_CONTEXT_LIMIT, &data, &len);
    if (err != MSE_OK)
        return context_fail(o, err, "%s: %s", path, mse_err_str(err));
    int rc = MSE_EXIT_OK;
    if (output) {
        err = mse_file_write_atomic(output, data, len, 0600);
        if (err != MSE_OK)
            rc = context_fail(o, err, "%s: %s", output, mse_err_str(err));
    } else if (fwrite(data, 1, len, stdout) != len) {
        rc = context_fail(o, MSE_ERR_IO, "cannot write to stdout");
    }
    mse_wipe(data, len);
    free(data);
    return rc;
}

static int remove_one(const struct cli_out *o, const char *uuid)
{
    char path[PATH_MAX];
    mse_err err = mse_context_path(uuid, path, sizeof path);
    if (err != MSE_OK)
        return context_fail(o, err, "%s is not a context UUID", uuid);
    if (unlink(path) != 0)
        return context_fail(o, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO,
                             "%s: %s", path, strerror(errno));
    char *slash = strrchr(path, '/');
    *slash = '\0';
    /* Only an emptied directory goes; anything else the user put there stays. */
    if (rmdir(path) != 0 && errno != ENOTEMPTY && errno != EEXIST)
        cli_out_warn(o, "kept %s: %s", path, strerror(errno));
    if (!o->quiet)
        fprintf(stderr, "removed context %s\n", uuid);
    return MSE_EXIT_OK;
}

static int purge(const struct cli_out *o)
{
    DIR *d = NULL;
    int rc = open_context_dir(o, &d);
    if (rc != MSE_EXIT_OK || !d)
        return rc;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!mse_context_uuid_ok(e->d_name))
            continue;
        char path[PATH_MAX];
        if (mse_context_path(e->d_name, path, sizeof path) != MSE_OK)
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        int r = remove_one(o, e->d_name);
        if (r != MSE_EXIT_OK)
            rc = r;
    }
    closedir(d);
    return rc;
}

/* An action of mse context (mse_opt_take_fn); the table stores the other options. */
MSE_MUST_USE static mse_err context_take(void *ctx, int id, const char *arg, char *why,
                                         size_t why_cap)
{
    struct context_args *a = ctx;
    if (a->action)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT, "one action at a time");
    a->action = id;
    a->uuid = arg;
    return MSE_OK;
}

MSE_MUST_USE static mse_err context_parse(int argc, char **argv, struct context_args *a,
                                          char *why, size_t why_cap)
{
    memset(a, 0, sizeof *a);
    cli_out_init(&a->out);
    MSE_TRY(mse_opt_parse(&cli_context_cmd, argc, argv, context_take, a, NULL, 0, &a->help, why,
                          why_cap));
    if (a->help)
        return MSE_OK;
    if (!a->action)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING,
                       "give an action: --list, --show, --export, --remove, --purge or new");
    if (a->output && a->action != X_EXPORT)
        return mse_say(why, why_cap, MSE_ERR_ARG, "--output goes with --export");
    return MSE_OK;
}

int cli_context_main(int argc, char **argv)
{
    struct context_args a;
    char why[512] = "";
    if (argc >= 2 && strcmp(argv[1], "new") == 0)
        return cli_context_new_main(argc - 1, argv + 1);
    mse_err err = context_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_context_cmd, argc, argv, err, a.help, why);
    switch (a.action) {
    case X_LIST: return list(&a.out);
    case X_SHOW: return show(&a.out, a.uuid);
    case X_EXPORT: return export_ctx(&a.out, a.uuid, a.output);
    case X_REMOVE: return remove_one(&a.out, a.uuid);
    default: return purge(&a.out);
    }
}
