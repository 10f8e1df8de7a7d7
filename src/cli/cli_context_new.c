/*
 * mse context new: the app owner's side of a deployment (docs/cmd/mse-context-new.md).
 *
 * Creates a context (uuid v4, a fresh code_secret_key, one random nonce per
 * code file, the instance parameters) and the encrypted code directory to
 * ship to the operator (docs/formats/code-encryption.md). The context holds
 * the code key: it is written with mode 0600 and never leaves the owner.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli.h"
#include "cli_ctxfile.h"
#include "context_new.h"
#include "util/codecrypt.h"
#include "util/util.h"

#define CONTEXT_MAX (4u << 20)

struct new_state {
    const char *out_code;
    uint8_t key[MSE_CODE_KEY_SIZE];
    struct mse_ctxfile *ctx;
};

MSE_MUST_USE static mse_err mkdirs_for(const char *root, const char *rel)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_LIMIT);
    for (size_t i = strlen(root) + 1; path[i] != '\0'; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return MSE_ERR_FILE_WRITE;
        path[i] = '/';
    }
    return MSE_OK;
}

/* Encrypt one code file under a fresh nonce, recorded in the context. */
MSE_MUST_USE static mse_err encrypt_one(void *arg, const char *rel, const char *full)
{
    struct new_state *st = arg;
    mse_err err = MSE_OK;
    uint8_t *plain = NULL, *enc = NULL;
    size_t plain_len = 0, enc_len = 0;
    uint8_t nonce[MSE_CODE_NONCE_SIZE];
    char out[4096];
    int n = snprintf(out, sizeof out, "%s/%s.enc", st->out_code, rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof out, MSE_ERR_LIMIT);
    randombytes_buf(nonce, sizeof nonce);
    MSE_CHECK_OUT(mse_file_read(full, MSE_CODE_FILE_MAX, &plain, &plain_len));
    MSE_CHECK_OUT(mse_code_encrypt(st->key, nonce, plain, plain_len, &enc, &enc_len));
    MSE_CHECK_OUT(mkdirs_for(st->out_code, rel));
    MSE_CHECK_OUT(mse_file_write_atomic(out, enc, enc_len, 0644));
    MSE_CHECK_OUT(mse_ctxfile_add_nonce(st->ctx, rel, nonce));
out:
    if (plain != NULL) {
        mse_wipe(plain, plain_len);
        free(plain);
    }
    free(enc);
    return err;
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
               "  --code DIR          the app's plain code directory\n"
               "  --name NAME         app name\n"
               "  --san NAME          DNS name or IP address the app is served on\n"
               "  --owner-cert PEM    app owner trust: the owner's certificate chain\n"
               "  --out-code DIR      encrypted code directory to ship (default NAME.code.enc)\n"
               "  --out FILE          context file (default NAME.context.toml)\n"
               "  --force             overwrite an existing context file\n");
}

/* The owner chain must parse now, not at configuration time. */
MSE_MUST_USE static mse_err check_owner_cert(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_TRY(mse_file_read(path, 1u << 20, &data, &len));
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    free(data);
    MSE_ENSURE(x != NULL, MSE_ERR_PEM);
    X509_free(x);
    return MSE_OK;
}

int mse_cli_context_new(int argc, char **argv)
{
    struct mse_out o;
    mse_out_init(&o);
    const char *code = NULL, *name = NULL, *san = NULL, *owner_cert = NULL, *out_code = NULL,
               *out = NULL;
    int force = 0;
    static const struct option longopts[] = {
        {"code", required_argument, NULL, 'c'},   {"name", required_argument, NULL, 'n'},
        {"san", required_argument, NULL, 's'},    {"owner-cert", required_argument, NULL, 'O'},
        {"out-code", required_argument, NULL, 'e'}, {"out", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},        {"help", no_argument, NULL, 'h'},
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
        case 'f': force = 1; break;
        case 'h': usage(stdout); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc || code == NULL || name == NULL || san == NULL) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return mse_out_error(&o, MSE_ERR_ARG, "--name: letters, digits, '-', '_', '.' only");
    char def_code[4096], def_out[4096];
    if (out_code == NULL) {
        snprintf(def_code, sizeof def_code, "%s.code.enc", name);
        out_code = def_code;
    }
    if (out == NULL) {
        snprintf(def_out, sizeof def_out, "%s.context.toml", name);
        out = def_out;
    }
    struct stat sb;
    if (!force && stat(out, &sb) == 0)
        return mse_out_error(&o, MSE_ERR_ARG, "%s exists (use --force to replace it)", out);
    if (owner_cert != NULL) {
        mse_err e = check_owner_cert(owner_cert);
        if (e != MSE_OK)
            return mse_out_error(&o, e, "--owner-cert %s", owner_cert);
    }
    if (sodium_init() < 0)
        return mse_out_error(&o, MSE_ERR_CRYPTO, "libsodium");
    /* A fresh, empty output directory: never mix files of two contexts. */
    if (mkdir(out_code, 0755) != 0)
        return mse_out_error(&o, MSE_ERR_FILE_WRITE, "cannot create %s: %s (it must not exist)",
                             out_code, strerror(errno));

    struct new_state st;
    memset(&st, 0, sizeof st);
    st.out_code = out_code;
    randombytes_buf(st.key, sizeof st.key);
    char uuid[37];
    uuid_v4(uuid);
    mse_err err = mse_ctxfile_new(&st.ctx);
    if (err == MSE_OK)
        err = mse_ctxfile_set_instance(st.ctx, name, uuid, san, st.key, owner_cert);
    if (err == MSE_OK)
        err = mse_code_walk(code, encrypt_one, &st);
    if (err == MSE_OK)
        err = mse_ctxfile_write(st.ctx, out);
    mse_wipe(st.key, sizeof st.key);
    size_t files = st.ctx ? mse_ctxfile_nonce_count(st.ctx) : 0;
    mse_ctxfile_free(st.ctx);
    if (err != MSE_OK)
        return mse_out_error(&o, err, "mse context new: %s was left incomplete; remove it",
                             out_code);
    if (!o.quiet) {
        printf("context:        %s (keep it private: it holds the code key)\n", out);
        printf("uuid:           %s\n", uuid);
        printf("encrypted code: %s (%zu file(s); ship it to the operator)\n", out_code, files);
    }
    return MSE_EXIT_OK;
}
