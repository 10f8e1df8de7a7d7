/*
 * mse inspect: what a certificate, a quote or an evidence bundle claims, with
 * nothing verified (docs/cmd/mse-inspect.md). The model is libmse's
 * mse_inspect_json; this file finds the bytes (a file, or a live server's
 * certificate), then prints the model as JSON or as indented lines under a
 * header that says plainly that nothing is verified.
 *
 * Shaped parse -> run -> print (cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <mse/guard.h>
#include <mse/inspect.h>
#include <mse/net.h>

#include "cli.h"
#include "cli_ratls_fetch.h"
#include "util/util.h"

#define INSPECT_MAX (8u << 20)

enum inspect_opt { I_JSON = 1, I_TIMEOUT, I_RATLS_PATH, I_CACERT };

static const struct mse_opt inspect_options[] = {
    {"json", 0, NULL, "print one JSON object", I_JSON, 0},
    {"ratls-path", 0, "PATH", "with DOMAIN: the RA-TLS certificate the app publishes over HTTPS",
     I_RATLS_PATH, 0},
    {"cacert", 0, "FILE", "with --ratls-path: CA of the app's HTTPS certificate", I_CACERT,
     MSE_OPT_FILE},
    {"timeout", 0, "SECONDS", "network timeout, 1 to 600 (default 15)", I_TIMEOUT, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt *const inspect_tables[] = {inspect_options, NULL};
static const char *const inspect_synopsis[] = {"FILE [--json]", "DOMAIN [--json]", NULL};

const struct mse_opt_cmd cli_inspect_cmd = {
    .name = "mse inspect",
    .summary = "show what a certificate, quote or evidence bundle claims (nothing verified)",
    .synopsis = inspect_synopsis,
    .description =
        "Reads an RA-TLS certificate (PEM or DER), a raw quote (SGX v3, SGX or TDX v4/v5),\n"
        "an mse evidence bundle, or a live server's certificate (DOMAIN), and shows the\n"
        "quote header, the enclave identity, REPORTDATA and which key binding holds, the\n"
        "PCK chain, FMSPC, PCE-ID and TCB components, and the QE report. Nothing is\n"
        "verified: use mse verify for a verdict. A malformed input is reported with the\n"
        "offset and field where parsing stopped.",
    .tables = inspect_tables,
};

struct cli_inspect_args {
    struct cli_out out;
    const char *target; /* a file, else a DOMAIN */
    const char *ratls_path;
    const char *cacert;
    long timeout_ms;
    bool help;
};

struct cli_inspect_outcome {
    char *json; /* the model; NULL on error */
    struct mse_parse_where where;
    bool have_where;
};

/* One option of mse inspect into its options struct (mse_opt_take_fn). */
MSE_MUST_USE static mse_err inspect_take(void *ctx, int id, const char *arg, char *why,
                                         size_t why_cap)
{
    struct cli_inspect_args *a = ctx;
    long v = 0;
    switch (id) {
    case I_JSON: a->out.json = true; break;
    case I_RATLS_PATH: a->ratls_path = arg; break;
    case I_CACERT: a->cacert = arg; break;
    case I_TIMEOUT:
        MSE_TRY(mse_opt_long("timeout", arg, 1, 600, "seconds", &v, why, why_cap));
        a->timeout_ms = v * 1000;
        break;
    default: return mse_say(why, why_cap, MSE_ERR_INTERNAL, "option id %d", id);
    }
    return MSE_OK;
}

MSE_MUST_USE static mse_err inspect_parse(int argc, char **argv, struct cli_inspect_args *a,
                                          char *why, size_t why_cap)
{
    memset(a, 0, sizeof *a);
    cli_out_init(&a->out);
    a->timeout_ms = 15000;
    MSE_TRY(mse_opt_parse(&cli_inspect_cmd, argc, argv, inspect_take, a, &a->target, 1,
                          &a->help, why, why_cap));
    if (a->help)
        return MSE_OK;
    if (!a->target)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give a FILE or a DOMAIN");
    if (a->cacert && !a->ratls_path)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--cacert goes with --ratls-path");
    return MSE_OK;
}

/* The bytes to inspect: the file if it exists, else the DOMAIN's certificate. */
MSE_MUST_USE static mse_err inspect_input(const struct cli_inspect_args *a, uint8_t **data,
                                          size_t *len, char *why, size_t why_cap)
{
    struct stat st;
    struct mse_endpoint ep;
    char reason[512] = "";
    mse_err err;
    if (!a->ratls_path && stat(a->target, &st) == 0) {
        err = mse_file_read(a->target, INSPECT_MAX, data, len);
        return err == MSE_OK ? MSE_OK
                             : mse_say(why, why_cap, err, "cannot read %s: %s", a->target,
                                       mse_err_str(err));
    }
    if (mse_endpoint_parse(a->target, &ep) != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_FILE_NOT_FOUND,
                       "'%s' is neither a file nor a host, host:port or https:// URL", a->target);
    if (a->ratls_path)
        err = cli_ratls_fetch(&ep, a->ratls_path, a->cacert, a->timeout_ms, data, len, reason,
                              sizeof reason);
    else
        err = mse_tls_fetch_cert(&ep, (int)a->timeout_ms, data, len, reason, sizeof reason);
    return err == MSE_OK ? MSE_OK
                         : mse_say(why, why_cap, err, "%s", reason[0] ? reason : mse_err_str(err));
}

MSE_MUST_USE static mse_err inspect_run(const struct cli_inspect_args *a,
                                        struct cli_inspect_outcome *o, char *why, size_t why_cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(o, 0, sizeof *o);
    MSE_TRY(inspect_input(a, &data, &len, why, why_cap));
    mse_err err = mse_inspect_json(data, len, &o->json, &o->where);
    free(data);
    if (err != MSE_OK) {
        o->have_where = o->where.field != NULL;
        if (o->have_where)
            return mse_say(why, why_cap, err, "%s: %s at offset %zu (%s)", a->target,
                           mse_err_str(err), o->where.offset, o->where.field);
        return mse_say(why, why_cap, err, "%s: %s", a->target, mse_err_str(err));
    }
    return MSE_OK;
}

/* ---- human rendering: the JSON model as indented "key: value" lines ---------- */

static void print_value(const char *key, json_t *v, int depth);

static void print_object(json_t *o, int depth)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) print_value(k, v, depth);
}

static void print_value(const char *key, json_t *v, int depth)
{
    printf("%*s%s:", depth * 2, "", key);
    if (json_is_object(v)) {
        putchar('\n');
        print_object(v, depth + 1);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        bool scalars = true;
        json_array_foreach(v, i, e) scalars = scalars && !json_is_object(e) && !json_is_array(e);
        if (scalars) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf(" %s\n", s != NULL ? s : "?");
            free(s);
        } else {
            putchar('\n');
            json_array_foreach(v, i, e)
            {
                printf("%*s[%zu]\n", (depth + 1) * 2, "", i);
                print_object(e, depth + 2);
            }
        }
    } else if (json_is_string(v)) {
        printf(" %s\n", json_string_value(v));
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        printf(" %s\n", s != NULL ? s : "?");
        free(s);
    }
}

static void inspect_print(const struct cli_inspect_args *a, const struct cli_inspect_outcome *o,
                          mse_err err, const char *why)
{
    if (err != MSE_OK) {
        cli_out_report_failure(&a->out, &cli_inspect_cmd, err, why[0] ? why : mse_err_str(err));
        return;
    }
    if (a->out.json) {
        puts(o->json);
        return;
    }
    json_t *m = json_loads(o->json, 0, NULL);
    if (m == NULL) {
        puts(o->json);
        return;
    }
    printf("NOT VERIFIED: what %s claims, as written. Nothing below is checked; "
           "run mse verify for a verdict.\n",
           a->target);
    json_object_del(m, "notice");
    print_object(m, 0);
    json_decref(m);
}

int cli_inspect_main(int argc, char **argv)
{
    struct cli_inspect_args a;
    struct cli_inspect_outcome o = {0};
    char why[1024] = "";
    mse_err err = inspect_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_inspect_cmd, argc, argv, err, a.help, why);
    err = inspect_run(&a, &o, why, sizeof why);
    inspect_print(&a, &o, err, why);
    free(o.json);
    return (int)mse_err_exit(err);
}
