/*
 * mse context new: the app owner's side of a deployment (docs/cmd/mse-context-new.md).
 *
 * Creates a context (uuid v4, a fresh code_secret_key, one random nonce per
 * code file, the instance parameters, the runtime with this deployment's
 * values) in the context format of src/context/context.h, and the
 * encrypted code directory to ship to the
 * operator (docs/formats/code-encryption.md). The context holds the code key:
 * it is written with mode 0600 and never leaves the owner.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli.h"
#include "context_new.h"
#include "codecrypt/codecrypt.h"
#include "context/context.h"
#include "measure/runtime.h"
#include "util/opt.h"
#include "util/util.h"

#define OWNER_CERT_MAX (1u << 20)

/* A fresh random nonce per file, recorded in the context. */
static mse_err new_nonce(void *arg, const char *relpath, uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    struct mse_context *ctx = arg;
    randombytes_buf(nonce, MSE_CODE_NONCE_BYTES);
    return mse_context_add_nonce(ctx, relpath, nonce); /* the listing's paths are distinct */
}

/* The hash of each P.enc, recorded so that a user's fingerprint can name a file that differs
 * and measure the manifest while the code is still being hashed (docs/formats/context.md). */
static mse_err record_encrypted(void *arg, const char *relpath, const uint8_t sha256[32])
{
    return mse_context_set_encrypted_sha256(arg, relpath, sha256);
}

/* RFC 4122 version 4 uuid, lowercase. */
static void uuid_v4(char out[37])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    mse_hex_encode(b, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* The owner chain must parse now, not at configuration time. *pem is malloc'd. */
MSE_MUST_USE static mse_err read_owner_cert(const char *path, char **pem)
{
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_TRY(mse_file_read(path, OWNER_CERT_MAX, &data, &len));
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (x == NULL) {
        free(data);
        return MSE_ERR_PEM;
    }
    X509_free(x);
    *pem = (char *)data;
    return MSE_OK;
}

MSE_MUST_USE static mse_err dup_str(char **dst, const char *src)
{
    *dst = strdup(src);
    MSE_ENSURE(*dst != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

/* The runtime found in the runtime path, with this deployment's values, into the context. */
MSE_MUST_USE static mse_err record_runtime(struct mse_context *ctx, const char *runtime_dir,
                                           const struct mse_runtime_deployment *d, char *errbuf,
                                           size_t errlen)
{
    struct mse_runtime_path path;
    struct mse_toml *rt = NULL;
    MSE_TRY(mse_runtime_path_init(&path, runtime_dir));
    mse_err err = mse_runtime_load(&path, &rt, errbuf, errlen);
    mse_runtime_path_free(&path);
    if (err == MSE_OK)
        err = mse_runtime_set_deployment(rt, d, errbuf, errlen);
    if (err != MSE_OK) {
        mse_toml_free(rt);
        return err;
    }
    ctx->runtime = rt;
    ctx->has_runtime = true;
    return MSE_OK;
}

/*
 * Remove what killed earlier runs left: temporary code directories of this
 * output and temporary context files (they hold a code_secret_key) under the
 * context directory. Only what no live process holds locked goes.
 */
static void sweep_leftovers(const char *out_code)
{
    char dir[4096], root[4096];
    const char *slash = strrchr(out_code, '/');
    if (slash == NULL)
        mse_file_sweep_tmp(".", out_code);
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - out_code), out_code) <
             (int)sizeof dir)
        mse_file_sweep_tmp(slash == out_code ? "/" : dir, slash + 1);
    if (mse_context_dir(root, sizeof root) != MSE_OK)
        return;
    DIR *d = opendir(root);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!mse_context_uuid_ok(e->d_name))
            continue;
        if (snprintf(dir, sizeof dir, "%s/%s", root, e->d_name) < (int)sizeof dir)
            mse_file_sweep_tmp(dir, MSE_CONTEXT_FILE);
    }
    closedir(d);
}

/*
 * The encrypted code and the context, all or nothing: the code is encrypted
 * into a temporary directory, the context saved (atomically), then the
 * directory renamed into place. A failure removes what was made; SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT wait until the outputs are complete; a killed
 * run leaves only locked temporary names, removed by the next run
 * (sweep_leftovers). So no encrypted code directory ever appears without the
 * context holding its key.
 */
MSE_MUST_USE static mse_err write_outputs(const char *code, const char *out_code, const char *out,
                                          struct mse_context *ctx, char *errbuf, size_t errlen)
{
    char why[256] = "";
    struct mse_dir_temp tmp = {.fd = -1};
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    sigaddset(&stop, SIGQUIT);
    sweep_leftovers(out_code);
    sigprocmask(SIG_BLOCK, &stop, &old);
    mse_err err = mse_dir_temp_create(out_code, &tmp);
    if (err != MSE_OK) {
        err = mse_say(errbuf, errlen, err, "cannot create %s: %s", out_code, mse_err_str(err));
        goto out;
    }
    err = mse_code_encrypt_dir(code, tmp.path, ctx->code_secret_key, new_nonce, record_encrypted,
                               ctx, why, sizeof why);
    if (err != MSE_OK) {
        err = mse_say(errbuf, errlen, err, "encrypting %s: %s", code, why);
        goto out;
    }
    err = mse_context_save(out, ctx);
    if (err == MSE_ERR_LIMIT) {
        err = mse_say(errbuf, errlen, err,
                      "writing %s: the context of %zu code file(s) would be over the %u MiB a "
                      "context may hold",
                      out, ctx->nnonces, MSE_CONTEXT_LIMIT >> 20);
        goto out;
    }
    if (err != MSE_OK) {
        err = mse_say(errbuf, errlen, err, "writing %s: %s", out, mse_err_str(err));
        goto out;
    }
    err = mse_dir_temp_commit(&tmp);
    if (err != MSE_OK) {
        /* A context without its code is useless and holds a key: removed too. */
        unlink(out);
        err = mse_say(errbuf, errlen, err, "cannot create %s: %s", out_code, mse_err_str(err));
    }
out:
    mse_dir_temp_discard(&tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return err;
}

static bool port_ok(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return *s >= '1' && *s <= '9' && *end == '\0' && v >= 1 && v <= 65535;
}

enum ctx_new_opt { N_CODE = 1, N_NAME, N_SAN, N_OWNER_CERT, N_OUT_CODE, N_OUT, N_APP_CMD,
                   N_APP_PORT, N_RUNTIME };

struct ctx_new_args {
    struct cli_out out;
    bool help;
    const char *code, *name, *san, *owner_cert, *out_code, *context, *app_cmd, *app_port;
    const char *runtime;
};

static const struct mse_opt context_new_options[] = {
    {"code", 0, "DIR", "the app's plain code directory", N_CODE, MSE_OPT_DIR,
     MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, code)},
    {"name", 0, "NAME", "app name: letters, digits, '-', '_', '.'", N_NAME, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, name)},
    {"san", 0, "NAME", "DNS name or IP address the app is served on", N_SAN, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, san)},
    {"owner-cert", 0, "PEM", "app owner trust: the owner's certificate chain", N_OWNER_CERT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, owner_cert)},
    {"out-code", 0, "DIR", "encrypted code to ship (default NAME.code.enc)", N_OUT_CODE,
     MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, out_code)},
    {"out", 0, "FILE", "context file (default $MSE_CONF_PATH/context/<uuid>/context.mse)", N_OUT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, context)},
    {"app-cmd", 0, "CMD", "the app's command line in the enclave (default: the hello app)",
     N_APP_CMD, 0, MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, app_cmd)},
    {"app-port", 0, "N", "the port the app listens on (with --app-cmd)", N_APP_PORT, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, app_port)},
    {"runtime", 0, "DIR", "the runtime to record (default: the runtime path)", N_RUNTIME,
     MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct ctx_new_args, runtime)},
    {0},
};

static const struct mse_opt *const context_new_tables[] = {context_new_options, NULL};
static const char *const context_new_synopsis[] = {
    "--code DIR --name NAME --san NAME [--owner-cert PEM] [--out-code DIR] [--out FILE]",
    "--code DIR --name NAME --san NAME --app-cmd CMD --app-port N [--runtime DIR]", NULL};

const struct mse_opt_cmd cli_context_new_cmd = {
    .name = "mse context new",
    .summary = "make an app context and the encrypted code to ship to the operator",
    .synopsis = context_new_synopsis,
    .description =
        "Makes a uuid, a fresh code key and one nonce per code file, encrypts the code into\n"
        "the encrypted directory, and writes the context (mode 0600: it holds the key) with\n"
        "the enclave runtime it finds (template, lock, libpal hash) and the deployment's\n"
        "values, so the code fingerprint can be computed from the context and the plain\n"
        "code on any machine. Prints the fingerprint.",
    .tables = context_new_tables,
};

struct ctx_new_result {
    char uuid[37], path[4096], code_enc[4096];
    size_t nfiles;
    char runtime[64];
    bool have_fingerprint;
    uint8_t fingerprint[32];
    char fingerprint_why[512]; /* why there is none */
};

MSE_MUST_USE static mse_err ctx_new_check(const struct ctx_new_args *a, char *why, size_t cap)
{
    if (!a->code || !a->name || !a->san)
        return mse_say(why, cap, MSE_ERR_ARG_MISSING, "--code, --name and --san are required");
    if ((a->app_cmd == NULL) != (a->app_port == NULL))
        return mse_say(why, cap, MSE_ERR_ARG_MISSING, "--app-cmd and --app-port go together");
    for (const char *p = a->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return mse_say(why, cap, MSE_ERR_ARG, "--name: letters, digits, '-', '_', '.' only");
    if (a->app_port && !port_ok(a->app_port))
        return mse_say(why, cap, MSE_ERR_ARG, "--app-port: a port number, 1-65535");
    if (a->app_cmd && !*a->app_cmd)
        return mse_say(why, cap, MSE_ERR_ARG, "--app-cmd: an empty command line");
    return MSE_OK;
}

MSE_MUST_USE static mse_err ctx_new_parse(int argc, char **argv, struct ctx_new_args *a,
                                          char *why, size_t cap)
{
    memset(a, 0, sizeof *a);
    cli_out_init(&a->out);
    MSE_TRY(mse_opt_parse(&cli_context_new_cmd, argc, argv, NULL, a, NULL, 0, &a->help,
                          why, cap));
    if (a->help)
        return MSE_OK;
    return ctx_new_check(a, why, cap);
}

/* Where the context and the encrypted code go; neither may exist yet. */
MSE_MUST_USE static mse_err output_paths(const struct ctx_new_args *a, struct ctx_new_result *r,
                                         char *why, size_t cap)
{
    struct stat sb;
    int n;
    if (a->context)
        n = snprintf(r->path, sizeof r->path, "%s", a->context);
    else if (mse_context_path(r->uuid, r->path, sizeof r->path) == MSE_OK)
        n = 1;
    else
        return mse_say(why, cap, MSE_ERR_ARG_MISSING, "no context directory (set HOME or MSE_CONF_PATH)");
    MSE_ENSURE(n > 0 && (size_t)n < sizeof r->path, mse_say(why, cap, MSE_ERR_LIMIT, "--out too long"));
    if (stat(r->path, &sb) == 0)
        return mse_say(why, cap, MSE_ERR_ARG, "%s exists: not replaced", r->path);
    n = a->out_code ? snprintf(r->code_enc, sizeof r->code_enc, "%s", a->out_code)
                    : snprintf(r->code_enc, sizeof r->code_enc, "%s.code.enc", a->name);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof r->code_enc,
               mse_say(why, cap, MSE_ERR_LIMIT, "--out-code too long"));
    /* A fresh output directory: never mix the files of two contexts. */
    if (stat(r->code_enc, &sb) == 0)
        return mse_say(why, cap, MSE_ERR_ARG, "%s exists (it must not)", r->code_enc);
    return MSE_OK;
}

/* The context's fields before the code is encrypted: names, owner chain, runtime. */
MSE_MUST_USE static mse_err fill_context(const struct ctx_new_args *a, const char *uuid,
                                         struct mse_context *ctx, char *why, size_t cap)
{
    char subject[600];
    MSE_TRY(dup_str(&ctx->version, "2.0"));
    MSE_TRY(dup_str(&ctx->name, a->name));
    MSE_TRY(dup_str(&ctx->instance_id, uuid));
    MSE_TRY(dup_str(&ctx->config_domain_name, a->san));
    MSE_TRY(dup_str(&ctx->ssl_certificate_origin, a->owner_cert ? "owner" : "self"));
    ctx->has_instance = true;
    if (a->owner_cert != NULL) {
        mse_err err = read_owner_cert(a->owner_cert, &ctx->ssl_app_certificate);
        if (err != MSE_OK)
            return mse_say(why, cap, err, "--owner-cert %s: %s", a->owner_cert, mse_err_str(err));
    }
    int n = snprintf(subject, sizeof subject, "CN=%s", a->san);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof subject, mse_say(why, cap, MSE_ERR_ARG, "--san too long"));
    const struct mse_runtime_deployment dep = {
        .mode = a->owner_cert ? "owner" : "zero-trust", .san = a->san, .subject = subject,
        .uuid = uuid, .app_cmd = a->app_cmd ? a->app_cmd : "",
        .app_port = a->app_port ? a->app_port : ""};
    return record_runtime(ctx, a->runtime, &dep, why, cap);
}

/* Make the context and the encrypted code; prints nothing. */
MSE_MUST_USE static mse_err ctx_new_run(const struct ctx_new_args *a, struct ctx_new_result *r,
                                        char *why, size_t cap)
{
    struct mse_context ctx;
    char detail[512] = "";
    memset(&ctx, 0, sizeof ctx);
    memset(r, 0, sizeof *r);
    MSE_ENSURE(sodium_init() >= 0, mse_say(why, cap, MSE_ERR_CRYPTO, "libsodium"));
    uuid_v4(r->uuid);
    mse_err err = output_paths(a, r, why, cap);
    if (err == MSE_OK)
        err = fill_context(a, r->uuid, &ctx, why, cap);
    if (err == MSE_OK) {
        randombytes_buf(ctx.code_secret_key, sizeof ctx.code_secret_key);
        ctx.has_key = true;
        err = write_outputs(a->code, r->code_enc, r->path, &ctx, detail, sizeof detail);
        if (err != MSE_OK)
            err = mse_say(why, cap, err, "%s (nothing was left behind)", detail);
    }
    if (err == MSE_OK) {
        r->nfiles = ctx.nnonces;
        snprintf(r->runtime, sizeof r->runtime, "%s", mse_toml_get(ctx.runtime, "name")->s);
        /* The fingerprint users will compute from the context and the plain code. */
        r->have_fingerprint = mse_fingerprint_context(&ctx, a->code, a->runtime, r->fingerprint,
                                                      NULL, NULL, NULL, r->fingerprint_why,
                                                      sizeof r->fingerprint_why) == MSE_OK;
    }
    mse_context_free(&ctx);
    return err;
}

static void ctx_new_print(const struct ctx_new_args *a, const struct ctx_new_result *r)
{
    char hex[65];
    printf("context:        %s (keep it private: it holds the code key)\n", r->path);
    printf("uuid:           %s\n", r->uuid);
    printf("encrypted code: %s (%zu file(s); ship it and the uuid to the operator)\n",
           r->code_enc, r->nfiles);
    printf("runtime:        %s (recorded in the context)\n", r->runtime);
    if (r->have_fingerprint) {
        mse_hex_encode(r->fingerprint, 32, hex);
        printf("fingerprint:    %s\n", hex);
    } else {
        cli_out_warn(&a->out, "fingerprint not computed here: %s", r->fingerprint_why);
    }
}

int cli_context_new_main(int argc, char **argv)
{
    struct ctx_new_args a;
    struct ctx_new_result r;
    char why[1024] = "";
    mse_err err = ctx_new_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_context_new_cmd, argc, argv, err, a.help, why);
    err = ctx_new_run(&a, &r, why, sizeof why);
    if (err != MSE_OK)
        return cli_out_error(&a.out, err, "%s", why[0] ? why : mse_err_str(err));
    ctx_new_print(&a, &r);
    return MSE_EXIT_OK;
}
