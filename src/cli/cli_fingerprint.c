/*
 * mse fingerprint: compute the MRENCLAVE ("code fingerprint") of a Gramine
 * 1.9 enclave without Docker or SGX. Three inputs (docs/cmd/mse-fingerprint.md):
 *   --manifest-sgx FILE --libpal ELF       measure an expanded manifest
 *   --manifest FILE --libpal ELF [--root DIR] [--write-manifest-sgx FILE]
 *                                          expand like gramine-sgx-sign, then measure
 *   --context FILE --code DIR [--runtime DIR] [--write-manifest-sgx FILE]
 *                                          a context and the plain code
 * Shaped parse -> run -> print: the run function prints nothing and returns
 * the error with its reason; the MRENCLAVE is printed in hex on the last
 * line (or as JSON with --json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/measure.h>

#include "cli.h"
#include "context/context.h"
#include "measure/manifest_expand.h"
#include "util/opt.h"
#include "util/util.h"

#define MANIFEST_LIMIT (16u << 20)
#define ELF_LIMIT (256u << 20)

enum fp_opt {
    F_MANIFEST_SGX = 1, F_MANIFEST, F_LIBPAL, F_ROOT, F_WRITE, F_LIBOS, F_CONTEXT, F_CODE,
    F_RUNTIME, F_JSON, F_QUIET,
};

struct fp_args {
    struct cli_out out;
    bool help;
    const char *manifest_sgx, *manifest, *libpal, *root, *write, *libos;
    const char *context, *code, *runtime;
};

static const struct mse_opt fingerprint_options[] = {
    {"manifest-sgx", 0, "FILE", "an expanded manifest (what Gramine measures)", F_MANIFEST_SGX,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, manifest_sgx)},
    {"manifest", 0, "FILE", "a user manifest, expanded like gramine-sgx-sign", F_MANIFEST,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, manifest)},
    {"libpal", 0, "ELF", "Gramine's SGX libpal.so (with --manifest-sgx or --manifest)", F_LIBPAL,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, libpal)},
    {"root", 0, "DIR", "resolve absolute file: URIs inside DIR (chroot; with --manifest)", F_ROOT,
     MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, root)},
    {"write-manifest-sgx", 0, "FILE", "also write the expanded manifest", F_WRITE, MSE_OPT_FILE,
     MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, write)},
    {"libos", 0, "URI", "loader.entrypoint.uri default (file:...; with --manifest)", F_LIBOS, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, libos)},
    {"context", 0, "FILE", "an mse context (its [runtime] gives template, lock and values)",
     F_CONTEXT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, context)},
    {"code", 0, "DIR", "the app's plain code (with --context)", F_CODE, MSE_OPT_DIR,
     MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, code)},
    {"runtime", 0, "DIR", "look for the runtime's libpal here first (with --context)", F_RUNTIME,
     MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct fp_args, runtime)},
    CLI_OPT_JSON(struct fp_args, F_JSON, "print a JSON object"),
    CLI_OPT_QUIET(struct fp_args, F_QUIET, 'q', "print the MRENCLAVE only"),
    {0},
};

static const struct mse_opt *const fingerprint_tables[] = {fingerprint_options, NULL};
static const char *const fingerprint_synopsis[] = {
    "--manifest-sgx FILE --libpal ELF [--json]",
    "--manifest FILE --libpal ELF [--root DIR] [--write-manifest-sgx FILE] [--libos URI] [--json]",
    "--context FILE --code DIR [--runtime DIR] [--write-manifest-sgx FILE] [--json]",
    NULL,
};

const struct mse_opt_cmd cli_fingerprint_cmd = {
    .name = "mse fingerprint",
    .summary = "compute the MRENCLAVE of a Gramine 1.9 enclave, bit-exact with gramine-sgx-sign",
    .synopsis = fingerprint_synopsis,
    .description =
        "Measures an expanded manifest, or a user manifest expanded as gramine-sgx-sign does,\n"
        "with Gramine's libpal; or computes the fingerprint an mse context promises for the\n"
        "plain code: the runtime the context records is rendered, expanded with the lock's\n"
        "hashes and the re-encrypted code's, and measured with the libpal found by its\n"
        "SHA-256. The MRENCLAVE is printed in hex on the last line.",
    .tables = fingerprint_tables,
};

struct fp_result {
    uint8_t mrenclave[32];
    bool have_attrs;
    struct mse_enclave_attrs attrs;
    char *manifest_sgx; /* the measured manifest (malloc'd) */
    size_t manifest_sgx_len;
    struct mse_code_diff diff; /* --context: code files not as the context claims */
};

/* Which options go with which input: a conflict is named, never ignored. */
MSE_MUST_USE static mse_err fp_check(const struct fp_args *a, char *why, size_t cap)
{
    int modes = !!a->manifest_sgx + !!a->manifest + !!a->context;
    if (modes != 1)
        return mse_say(why, cap, modes ? MSE_ERR_ARG_CONFLICT : MSE_ERR_ARG_MISSING,
                       "give exactly one of --manifest-sgx, --manifest, --context");
    if (a->context) {
        if (!a->code)
            return mse_say(why, cap, MSE_ERR_ARG_MISSING, "--context needs --code DIR");
        if (a->libpal || a->root || a->libos)
            return mse_say(why, cap, MSE_ERR_ARG_CONFLICT,
                           "--context takes --code DIR (the runtime comes from the context)");
        return MSE_OK;
    }
    if (a->code || a->runtime)
        return mse_say(why, cap, MSE_ERR_ARG_CONFLICT, "--code and --runtime go with --context");
    if (!a->libpal)
        return mse_say(why, cap, MSE_ERR_ARG_MISSING, "--libpal ELF is required");
    if (a->manifest_sgx && (a->root || a->write || a->libos))
        return mse_say(why, cap, MSE_ERR_ARG_CONFLICT,
                       "--root, --write-manifest-sgx and --libos go with --manifest");
    return MSE_OK;
}

MSE_MUST_USE static mse_err fp_parse(int argc, char **argv, struct fp_args *a, char *why,
                                     size_t cap)
{
    memset(a, 0, sizeof *a);
    cli_out_init(&a->out);
    MSE_TRY(mse_opt_parse(&cli_fingerprint_cmd, argc, argv, NULL, a, NULL, 0, &a->help, why,
                          cap));
    if (a->help)
        return MSE_OK;
    return fp_check(a, why, cap);
}

MSE_MUST_USE static mse_err run_context(const struct fp_args *a, struct fp_result *r, char *why,
                                        size_t cap)
{
    struct mse_context ctx;
    MSE_TRY(mse_context_load(a->context, &ctx, why, cap));
    mse_err err = mse_fingerprint_context(&ctx, a->code, a->runtime, r->mrenclave,
                                          &r->manifest_sgx, &r->manifest_sgx_len, &r->diff, why,
                                          cap);
    mse_context_free(&ctx);
    return err;
}

MSE_MUST_USE static mse_err run_manifest(const struct fp_args *a, struct fp_result *r, char *why,
                                         size_t cap)
{
    uint8_t *manifest = NULL, *elf = NULL;
    size_t manifest_len = 0, elf_len = 0;
    const char *in = a->manifest_sgx ? a->manifest_sgx : a->manifest;
    mse_err err = mse_file_read(in, MANIFEST_LIMIT, &manifest, &manifest_len);
    if (err != MSE_OK)
        return mse_say(why, cap, err, "%s: %s", in, mse_err_str(err));
    err = mse_file_read(a->libpal, ELF_LIMIT, &elf, &elf_len);
    if (err != MSE_OK) {
        free(manifest);
        return mse_say(why, cap, err, "%s: %s", a->libpal, mse_err_str(err));
    }
    if (a->manifest) {
        struct mse_expand_opts eo = {.root = a->root, .default_libos = a->libos};
        err = mse_manifest_expand(manifest, manifest_len, &eo, &r->manifest_sgx,
                                  &r->manifest_sgx_len, why, cap);
        free(manifest);
        if (err != MSE_OK) {
            char detail[512];
            snprintf(detail, sizeof detail, "%s", why[0] ? why : mse_err_str(err));
            err = mse_say(why, cap, err, "%s: %s", a->manifest, detail);
        }
    } else {
        r->manifest_sgx = (char *)manifest;
        r->manifest_sgx_len = manifest_len;
    }
    if (err == MSE_OK) {
        err = mse_measure_manifest_sgx((const uint8_t *)r->manifest_sgx, r->manifest_sgx_len, elf,
                                       elf_len, r->mrenclave, &r->attrs);
        if (err != MSE_OK)
            err = mse_say(why, cap, err, "cannot measure: %s", mse_err_str(err));
        r->have_attrs = err == MSE_OK;
    }
    free(elf);
    return err;
}

/* The measurement; prints nothing. */
MSE_MUST_USE static mse_err fp_run(const struct fp_args *a, struct fp_result *r, char *why,
                                   size_t cap)
{
    memset(r, 0, sizeof *r);
    MSE_TRY(a->context ? run_context(a, r, why, cap) : run_manifest(a, r, why, cap));
    if (a->write) {
        mse_err err = mse_file_write_atomic(a->write, r->manifest_sgx, r->manifest_sgx_len, 0644);
        if (err != MSE_OK)
            return mse_say(why, cap, err, "%s: %s", a->write, mse_err_str(err));
    }
    return MSE_OK;
}

static void fp_print(const struct fp_args *a, const struct fp_result *r)
{
    char hex[65], mhex[65] = "";
    uint8_t md[32];
    const struct mse_enclave_attrs *at = r->have_attrs ? &r->attrs : NULL;
    mse_hex_encode(r->mrenclave, 32, hex);
    if (r->diff.n > 0) {
        char what[512];
        cli_code_diff_say(&r->diff, what, sizeof what);
        cli_out_warn(&a->out, "%s", what);
    }
    if (r->manifest_sgx &&
        EVP_Digest(r->manifest_sgx, r->manifest_sgx_len, md, NULL, EVP_sha256(), NULL) == 1)
        mse_hex_encode(md, 32, mhex);
    if (a->out.json) {
        printf("{\"mrenclave\": \"%s\"", hex);
        if (at)
            printf(", \"enclave_size\": %llu, \"max_threads\": %llu, \"edmm\": %s",
                   (unsigned long long)at->enclave_size, (unsigned long long)at->max_threads,
                   at->edmm ? "true" : "false");
        if (mhex[0])
            printf(", \"manifest_sgx_sha256\": \"%s\"", mhex);
        printf("}\n");
        return;
    }
    if (at && !a->out.quiet)
        printf("enclave size: %#llx\nmax threads:  %llu\nedmm:         %s\n",
               (unsigned long long)at->enclave_size, (unsigned long long)at->max_threads,
               at->edmm ? "true" : "false");
    if (mhex[0] && !a->out.quiet)
        printf("manifest.sgx sha256: %s\n", mhex);
    printf("%s\n", hex);
}

int cli_fingerprint_main(int argc, char **argv)
{
    struct fp_args a;
    struct fp_result r;
    char why[1024] = "";
    mse_err err = fp_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_fingerprint_cmd, argc, argv, err, a.help, why);
    err = fp_run(&a, &r, why, sizeof why);
    if (err == MSE_OK)
        fp_print(&a, &r);
    free(r.manifest_sgx);
    if (err != MSE_OK)
        return cli_out_report_failure(&a.out, &cli_fingerprint_cmd, err, why[0] ? why : mse_err_str(err));
    return MSE_EXIT_OK;
}
