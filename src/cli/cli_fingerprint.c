/*
 * mse fingerprint: compute the MRENCLAVE ("code fingerprint") of a Gramine
 * 1.9 enclave without Docker or SGX. Three inputs (docs/cmd/mse-fingerprint.md):
 *   --manifest-sgx FILE --libpal ELF       measure an expanded manifest
 *   --manifest FILE --libpal ELF [--root DIR] [--write-manifest-sgx FILE]
 *                                          expand like gramine-sgx-sign, then measure
 *   --context FILE --code DIR [--runtime DIR]
 *                                          a context and the plain code
 * The MRENCLAVE is printed in hex on the last line (or as JSON with --json).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/measure.h>

#include "cli.h"
#include "context/context.h"
#include "measure/manifest_expand.h"
#include "util/util.h"

#define MANIFEST_LIMIT (16u << 20)
#define ELF_LIMIT (256u << 20)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mse fingerprint --manifest-sgx FILE --libpal ELF [--json]\n"
            "       mse fingerprint --manifest FILE --libpal ELF [--root DIR]\n"
            "                       [--write-manifest-sgx FILE] [--libos URI] [--json]\n"
            "       mse fingerprint --context FILE --code DIR [--runtime DIR]\n"
            "                       [--write-manifest-sgx FILE] [--json]\n"
            "\n"
            "Compute the MRENCLAVE of a Gramine 1.9 enclave, bit-exact with gramine-sgx-sign.\n"
            "  --manifest-sgx FILE        an expanded manifest (what Gramine measures)\n"
            "  --manifest FILE            a user manifest, expanded like gramine-sgx-sign\n"
            "  --libpal ELF               Gramine's SGX libpal.so\n"
            "  --root DIR                 resolve absolute file: URIs inside DIR (chroot)\n"
            "  --write-manifest-sgx FILE  also write the expanded manifest\n"
            "  --libos URI                loader.entrypoint.uri default (file:...)\n"
            "  --context FILE --code DIR  an mse context and the app's plain code\n"
            "  --runtime DIR              look for runtime files (libpal) here first\n"
            "  --json                     print a JSON object\n");
}

static void print_result(const struct cli_out *o, const uint8_t mr[32],
                         const struct mse_enclave_attrs *a, const uint8_t *msgx, size_t msgx_len)
{
    char hex[65], mhex[65] = "";
    uint8_t md[32];
    mse_hex_encode(mr, 32, hex);
    if (msgx && EVP_Digest(msgx, msgx_len, md, NULL, EVP_sha256(), NULL) == 1)
        mse_hex_encode(md, 32, mhex);
    if (o->json) {
        printf("{\"mrenclave\": \"%s\"", hex);
        if (a)
            printf(", \"enclave_size\": %llu, \"max_threads\": %llu, \"edmm\": %s",
                   (unsigned long long)a->enclave_size, (unsigned long long)a->max_threads,
                   a->edmm ? "true" : "false");
        if (mhex[0])
            printf(", \"manifest_sgx_sha256\": \"%s\"", mhex);
        printf("}\n");
        return;
    }
    if (a && !o->quiet) {
        printf("enclave size: %#llx\nmax threads:  %llu\nedmm:         %s\n",
               (unsigned long long)a->enclave_size, (unsigned long long)a->max_threads,
               a->edmm ? "true" : "false");
        if (mhex[0])
            printf("manifest.sgx sha256: %s\n", mhex);
    }
    printf("%s\n", hex);
}

int cli_fingerprint_main(int argc, char **argv)
{
    struct cli_out o;
    const char *msgx_path = NULL, *manifest_path = NULL, *libpal = NULL, *root = NULL;
    const char *write_path = NULL, *libos = NULL, *context = NULL, *code = NULL;
    const char *runtime_dir = NULL;
    uint8_t *manifest = NULL, *elf = NULL;
    char *expanded = NULL;
    size_t manifest_len = 0, elf_len = 0, expanded_len = 0;
    uint8_t mr[32];
    char errbuf[512] = "";
    struct mse_enclave_attrs attrs;
    int rc = MSE_EXIT_OK;
    mse_err err;
    static const struct option opts[] = {
        {"manifest-sgx", required_argument, NULL, 's'},
        {"manifest", required_argument, NULL, 'm'},
        {"libpal", required_argument, NULL, 'l'},
        {"root", required_argument, NULL, 'r'},
        {"write-manifest-sgx", required_argument, NULL, 'w'},
        {"libos", required_argument, NULL, 'L'},
        {"context", required_argument, NULL, 'c'},
        {"code", required_argument, NULL, 'C'},
        {"runtime", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_out_init(&o);
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "hq", opts, NULL)) != -1;) {
        switch (c) {
        case 's': msgx_path = optarg; break;
        case 'm': manifest_path = optarg; break;
        case 'l': libpal = optarg; break;
        case 'r': root = optarg; break;
        case 'w': write_path = optarg; break;
        case 'L': libos = optarg; break;
        case 'c': context = optarg; break;
        case 'C': code = optarg; break;
        case 'R': runtime_dir = optarg; break;
        case 'j': o.json = true; break;
        case 'q': o.quiet = true; break;
        case 'h': usage(stdout); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    int modes = !!msgx_path + !!manifest_path + !!context;
    if (modes != 1) {
        usage(stderr);
        return cli_out_error(&o, modes ? MSE_ERR_ARG_CONFLICT : MSE_ERR_ARG_MISSING,
                             "give exactly one of --manifest-sgx, --manifest, --context");
    }
    if (context) {
        if (!code || libpal || root || libos)
            return cli_out_error(&o, MSE_ERR_ARG,
                                 "--context takes --code DIR (the runtime comes from the context)");
        struct mse_context ctx;
        err = mse_context_load(context, &ctx, errbuf, sizeof errbuf);
        if (err == MSE_OK) {
            err = mse_fingerprint_context(&ctx, code, runtime_dir, mr, &expanded, &expanded_len,
                                          errbuf, sizeof errbuf);
            mse_context_free(&ctx);
        }
        if (err == MSE_OK && write_path &&
            (err = mse_file_write_atomic(write_path, expanded, expanded_len, 0644)) != MSE_OK)
            snprintf(errbuf, sizeof errbuf, "%s: %s", write_path, mse_err_str(err));
        if (err != MSE_OK) {
            free(expanded);
            return cli_out_error(&o, err, "%s", errbuf[0] ? errbuf : mse_err_str(err));
        }
        print_result(&o, mr, NULL, (const uint8_t *)expanded, expanded_len);
        free(expanded);
        return MSE_EXIT_OK;
    }
    if (code || runtime_dir)
        return cli_out_error(&o, MSE_ERR_ARG, "--code and --runtime go with --context");
    if (!libpal)
        return cli_out_error(&o, MSE_ERR_ARG_MISSING, "--libpal ELF is required");
    if (msgx_path && (root || write_path || libos))
        return cli_out_error(&o, MSE_ERR_ARG_CONFLICT,
                             "--root, --write-manifest-sgx and --libos go with --manifest");
    const char *in_path = msgx_path ? msgx_path : manifest_path;
    err = mse_file_read(in_path, MANIFEST_LIMIT, &manifest, &manifest_len);
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "%s: %s", in_path, mse_err_str(err));
        goto out;
    }
    err = mse_file_read(libpal, ELF_LIMIT, &elf, &elf_len);
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "%s: %s", libpal, mse_err_str(err));
        goto out;
    }
    const uint8_t *msgx = manifest;
    size_t msgx_len = manifest_len;
    if (manifest_path) {
        struct mse_expand_opts eo = {.root = root, .default_libos = libos};
        err = mse_manifest_expand(manifest, manifest_len, &eo, &expanded, &expanded_len, errbuf,
                                  sizeof errbuf);
        if (err != MSE_OK) {
            rc = cli_out_error(&o, err, "%s: %s", manifest_path,
                               errbuf[0] ? errbuf : mse_err_str(err));
            goto out;
        }
        msgx = (const uint8_t *)expanded;
        msgx_len = expanded_len;
        if (write_path) {
            err = mse_file_write_atomic(write_path, msgx, msgx_len, 0644);
            if (err != MSE_OK) {
                rc = cli_out_error(&o, err, "%s: %s", write_path, mse_err_str(err));
                goto out;
            }
        }
    }
    err = mse_measure_manifest_sgx(msgx, msgx_len, elf, elf_len, mr, &attrs);
    if (err != MSE_OK) {
        rc = cli_out_error(&o, err, "cannot measure: %s", mse_err_str(err));
        goto out;
    }
    print_result(&o, mr, &attrs, msgx, msgx_len);
out:
    free(manifest);
    free(elf);
    free(expanded);
    return rc;
}
