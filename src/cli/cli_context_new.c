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
#include <getopt.h>
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
#include "util/util.h"

#define OWNER_CERT_MAX (1u << 20)

/* A fresh random nonce per file, recorded in the context. */
static mse_err new_nonce(void *arg, const char *relpath, uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    struct mse_context *ctx = arg;
    randombytes_buf(nonce, MSE_CODE_NONCE_BYTES);
    return mse_context_set_nonce(ctx, relpath, nonce);
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

static void usage(FILE *f)
{
    fprintf(f, "usage: mse context new --code DIR --name NAME --san NAME [options]\n"
               "\n"
               "  --code DIR                the app's plain code directory\n"
               "  --name NAME               app name\n"
               "  --san NAME                DNS name or IP address the app is served on\n"
               "  --owner-cert PEM          app owner trust: the owner's certificate chain\n"
               "  --out-code DIR            encrypted code to ship (default NAME.code.enc)\n"
               "  --out FILE                context file (default "
               "$MSE_CONF_PATH/context/<uuid>/context.mse)\n"
               "  --app-cmd CMD             the app's command line in the enclave (default: the\n"
               "                            built-in hello app)\n"
               "  --app-port N              the port the app listens on (with --app-cmd)\n"
               "  --runtime DIR             the runtime to record (default: the first runtime\n"
               "                            directory of the runtime path, docs/formats/runtime.md)\n");
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
    err = mse_code_encrypt_dir(code, tmp.path, ctx->code_secret_key, new_nonce, ctx, why,
                               sizeof why);
    if (err != MSE_OK) {
        err = mse_say(errbuf, errlen, err, "encrypting %s: %s", code, why);
        goto out;
    }
    err = mse_context_save(out, ctx);
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

int cli_context_new_main(int argc, char **argv)
{
    struct cli_out o;
    cli_out_init(&o);
    const char *code = NULL, *name = NULL, *san = NULL, *owner_cert = NULL, *out_code = NULL,
               *out = NULL, *app_cmd = NULL, *app_port = NULL, *runtime_dir = NULL;
    static const struct option longopts[] = {
        {"code", required_argument, NULL, 'c'},
        {"name", required_argument, NULL, 'n'},
        {"san", required_argument, NULL, 's'},
        {"owner-cert", required_argument, NULL, 'O'},
        {"out-code", required_argument, NULL, 'e'},
        {"out", required_argument, NULL, 'o'},
        {"app-cmd", required_argument, NULL, 'a'},
        {"app-port", required_argument, NULL, 'p'},
        {"runtime", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': code = optarg; break;
        case 'n': name = optarg; break;
        case 's': san = optarg; break;
        case 'O': owner_cert = optarg; break;
        case 'e': out_code = optarg; break;
        case 'o': out = optarg; break;
        case 'a': app_cmd = optarg; break;
        case 'p': app_port = optarg; break;
        case 'r': runtime_dir = optarg; break;
        case 'h': usage(stdout); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc || code == NULL || name == NULL || san == NULL ||
        (app_cmd == NULL) != (app_port == NULL)) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return cli_out_error(&o, MSE_ERR_ARG, "--name: letters, digits, '-', '_', '.' only");
    if (app_port && !port_ok(app_port))
        return cli_out_error(&o, MSE_ERR_ARG, "--app-port: a port number, 1-65535");
    if (app_cmd && !*app_cmd)
        return cli_out_error(&o, MSE_ERR_ARG, "--app-cmd: an empty command line");
    if (sodium_init() < 0)
        return cli_out_error(&o, MSE_ERR_CRYPTO, "libsodium");

    struct mse_context ctx;
    memset(&ctx, 0, sizeof ctx);
    char uuid[37], path[4096], def_code[4096], errbuf[256] = "";
    int rc = MSE_EXIT_OK;
    mse_err err = MSE_OK;
    uuid_v4(uuid);
    if (out == NULL) {
        err = mse_context_path(uuid, path, sizeof path);
        if (err != MSE_OK) {
            rc = cli_out_error(&o, err, "context directory");
            goto done;
        }
        out = path;
    }
    struct stat sb;
    if (stat(out, &sb) == 0) {
        rc = cli_out_error(&o, MSE_ERR_ARG, "%s exists: not replaced", out);
        goto done;
    }
    if (out_code == NULL) {
        snprintf(def_code, sizeof def_code, "%s.code.enc", name);
        out_code = def_code;
    }
    /* A fresh output directory: never mix the files of two contexts. */
    if (stat(out_code, &sb) == 0) {
        rc = cli_out_error(&o, MSE_ERR_ARG, "%s exists (it must not)", out_code);
        goto done;
    }

    err = dup_str(&ctx.version, "2.0");
    if (err == MSE_OK)
        err = dup_str(&ctx.name, name);
    if (err == MSE_OK)
        err = dup_str(&ctx.instance_id, uuid);
    if (err == MSE_OK)
        err = dup_str(&ctx.config_domain_name, san);
    if (err == MSE_OK)
        err = dup_str(&ctx.ssl_certificate_origin, owner_cert ? "owner" : "self");
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "context");
        goto done;
    }
    ctx.has_instance = true;
    if (owner_cert != NULL) {
        err = read_owner_cert(owner_cert, &ctx.ssl_app_certificate);
        if (err != MSE_OK) {
            rc = cli_out_error(&o, err, "--owner-cert %s", owner_cert);
            goto done;
        }
    }
    char subject[600];
    if (snprintf(subject, sizeof subject, "CN=%s", san) >= (int)sizeof subject) {
        rc = cli_out_error(&o, MSE_ERR_ARG, "--san too long");
        goto done;
    }
    const struct mse_runtime_deployment dep = {
        .mode = owner_cert ? "owner" : "zero-trust", .san = san, .subject = subject,
        .uuid = uuid, .app_cmd = app_cmd ? app_cmd : "", .app_port = app_port ? app_port : ""};
    err = record_runtime(&ctx, runtime_dir, &dep, errbuf, sizeof errbuf);
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "runtime: %s", errbuf);
        goto done;
    }
    randombytes_buf(ctx.code_secret_key, sizeof ctx.code_secret_key);
    ctx.has_key = true;

    err = write_outputs(code, out_code, out, &ctx, errbuf, sizeof errbuf);
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "%s (nothing was left behind)", errbuf);
        goto done;
    }
    if (!o.quiet) {
        uint8_t mr[32];
        char hex[65];
        printf("context:        %s (keep it private: it holds the code key)\n", out);
        printf("uuid:           %s\n", uuid);
        printf("encrypted code: %s (%zu file(s); ship it and the uuid to the operator)\n",
               out_code, ctx.nnonces);
        printf("runtime:        %s (recorded in the context)\n",
               mse_toml_get(ctx.runtime, "name")->s);
        /* The fingerprint users will compute from the context and the plain code. */
        if (mse_fingerprint_context(&ctx, code, runtime_dir, mr, NULL, NULL, errbuf,
                                    sizeof errbuf) == MSE_OK) {
            mse_hex_encode(mr, 32, hex);
            printf("fingerprint:    %s\n", hex);
        } else {
            cli_out_warn(&o, "fingerprint not computed here: %s", errbuf);
        }
    }
done:
    mse_context_free(&ctx);
    return rc;
}
