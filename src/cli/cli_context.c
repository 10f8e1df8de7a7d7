/*
 * mse context: list, show, export or remove the app contexts kept under
 * $MSE_CONF_PATH/context/<uuid>/context.mse (default ~/.config/mse/), the
 * files mse-cli writes (docs/cmd/mse-context.md, docs/formats/context.md).
 * `mse context new` lives in cli_context_new.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mse/bytes.h>

#include "cli.h"
#include "context_new.h"
#include "context/context.h"
#include "measure/runtime.h"
#include "util/util.h"


static void usage(FILE *f)
{
    fprintf(f, "usage: mse context --list [--json]\n"
               "       mse context --show UUID [--json]\n"
               "       mse context --export UUID [--output FILE]\n"
               "       mse context --remove UUID\n"
               "       mse context --purge\n"
               "       mse context new ...\n"
               "\n"
               "Contexts live in $MSE_CONF_PATH/context/<uuid>/context.mse\n"
               "(default ~/.config/mse/context/...).\n");
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

static int list(const struct cli_out *o)
{
    char dir[PATH_MAX];
    mse_err err = mse_context_dir(dir, sizeof dir);
    if (err != MSE_OK)
        return cli_out_error(o, err, "cannot locate the context directory (set MSE_CONF_PATH)");
    DIR *d = opendir(dir);
    if (o->json)
        printf("[");
    if (!d) {
        if (o->json)
            printf("]\n");
        return errno == ENOENT ? MSE_EXIT_OK
                               : cli_out_error(o, MSE_ERR_IO, "%s: %s", dir, strerror(errno));
    }
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
        printf("]\n");
    return MSE_EXIT_OK;
}

static int show(const struct cli_out *o, const char *uuid)
{
    char path[PATH_MAX], errbuf[256];
    struct mse_context c;
    mse_err err = mse_context_path(uuid, path, sizeof path);
    if (err != MSE_OK)
        return cli_out_error(o, err, "%s is not a context UUID", uuid);
    err = mse_context_load(path, &c, errbuf, sizeof errbuf);
    if (err != MSE_OK)
        return cli_out_error(o, err, "%s", errbuf);
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
        printf("enclave size:           %lldG\n", (long long)c.enclave_size);
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
        return cli_out_error(o, err, "%s is not a context UUID", uuid);
    err = mse_file_read(path, MSE_CONTEXT_LIMIT, &data, &len);
    if (err != MSE_OK)
        return cli_out_error(o, err, "%s: %s", path, mse_err_str(err));
    int rc = MSE_EXIT_OK;
    if (output) {
        err = mse_file_write_atomic(output, data, len, 0600);
        if (err != MSE_OK)
            rc = cli_out_error(o, err, "%s: %s", output, mse_err_str(err));
    } else if (fwrite(data, 1, len, stdout) != len) {
        rc = cli_out_error(o, MSE_ERR_IO, "cannot write to stdout");
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
        return cli_out_error(o, err, "%s is not a context UUID", uuid);
    if (unlink(path) != 0)
        return cli_out_error(o, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO,
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
    char dir[PATH_MAX];
    mse_err err = mse_context_dir(dir, sizeof dir);
    if (err != MSE_OK)
        return cli_out_error(o, err, "cannot locate the context directory");
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? MSE_EXIT_OK
                               : cli_out_error(o, MSE_ERR_IO, "%s: %s", dir, strerror(errno));
    int rc = MSE_EXIT_OK;
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

int cli_context_main(int argc, char **argv)
{
    struct cli_out o;
    cli_out_init(&o);
    if (argc >= 2 && strcmp(argv[1], "new") == 0)
        return cli_context_new_main(argc - 1, argv + 1);
    const char *action = NULL, *uuid = NULL, *output = NULL;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return MSE_EXIT_OK;
        } else if (strcmp(a, "--output") == 0 && k + 1 < argc) {
            output = argv[++k];
        } else if (strcmp(a, "--list") == 0 || strcmp(a, "--purge") == 0 ||
                   strcmp(a, "--show") == 0 || strcmp(a, "--export") == 0 ||
                   strcmp(a, "--remove") == 0) {
            if (action)
                return cli_out_error(&o, MSE_ERR_ARG_CONFLICT, "one action at a time");
            action = a + 2;
            if (strcmp(action, "list") != 0 && strcmp(action, "purge") != 0) {
                if (k + 1 >= argc)
                    return cli_out_error(&o, MSE_ERR_ARG_MISSING, "--%s needs a UUID", action);
                uuid = argv[++k];
            }
        } else {
            usage(stderr);
            return MSE_EXIT_USAGE;
        }
    }
    if (!action) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    if (output && strcmp(action, "export") != 0)
        return cli_out_error(&o, MSE_ERR_ARG, "--output goes with --export");
    if (strcmp(action, "list") == 0)
        return list(&o);
    if (strcmp(action, "show") == 0)
        return show(&o, uuid);
    if (strcmp(action, "export") == 0)
        return export_ctx(&o, uuid, output);
    if (strcmp(action, "remove") == 0)
        return remove_one(&o, uuid);
    return purge(&o);
}
