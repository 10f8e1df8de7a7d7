/*
 * Acceptance 2 of the fingerprint issue: time to measure an 8 GB, 16-thread
 * Gramine enclave (vector v03), the SHA-256 throughput that implies, and the
 * ratio to this machine's OpenSSL SHA-256 speed (measured in-process over
 * 16 KiB blocks for about one second, like `openssl speed -seconds 1 sha256`).
 *
 * usage: measure_bench [VECTOR_DIR]   (default: tests/data/mrenclave/v03-8g-16t)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/measure.h>

#include "util/util.h"

#ifndef MSE_SOURCE_DIR
#define MSE_SOURCE_DIR "."
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes fed to SHA-256 when measuring: 64 per EADD/ECREATE, 320 per EEXTEND. */
static double hashed_bytes(const struct mse_enclave_attrs *a, size_t manifest_len)
{
    const double page = 4096;
    double measured_pages = 0;
    measured_pages += (double)((manifest_len + 1 + 4095) / 4096);
    measured_pages += (double)a->max_threads * (8 + 1 + 1 + 64 + 16); /* ssa tcs tls stack sig */
    double pal_pages = 4; /* the v03 ELF: 4 pages; small next to the rest */
    double total_pages = (double)a->enclave_size / page;
    double heap_pages = total_pages - measured_pages - pal_pages - 16; /* 64 KiB below MMAP_MIN */
    if (a->edmm)
        heap_pages = 0;
    return 64 + (measured_pages + pal_pages) * (64 + 16 * 320) + heap_pages * 64;
}

static double openssl_sha256_speed(void)
{
    static unsigned char block[16384];
    unsigned char md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    double t0 = now(), t;
    size_t n = 0;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    do {
        for (int k = 0; k < 256; k++)
            EVP_DigestUpdate(ctx, block, sizeof block);
        n += 256;
        t = now();
    } while (t - t0 < 1.0);
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    return (double)n * sizeof block / (t - t0);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : MSE_SOURCE_DIR "/tests/data/mrenclave/v03-8g-16t";
    char p1[1024], p2[1024], hex[65];
    uint8_t *m, *e, mr[32];
    size_t ml, el;
    struct mse_enclave_attrs a;
    snprintf(p1, sizeof p1, "%s/gramine-output/app.manifest.sgx", dir);
    snprintf(p2, sizeof p2, "%s/libpal.so", dir);
    if (mse_file_read(p1, 1u << 24, &m, &ml) != MSE_OK || mse_file_read(p2, 1u << 28, &e, &el) != MSE_OK) {
        fprintf(stderr, "cannot read %s or %s\n", p1, p2);
        return 1;
    }
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        if (mse_measure_manifest_sgx(m, ml, e, el, mr, &a) != MSE_OK) {
            fprintf(stderr, "measurement failed\n");
            return 1;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    mse_hex_encode(mr, 32, hex);
    double bytes = hashed_bytes(&a, ml);
    double ours = bytes / best, ossl = openssl_sha256_speed();
    printf("vector:               %s\n", dir);
    printf("enclave:              %llu GiB, %llu threads, edmm %s\n",
           (unsigned long long)(a.enclave_size >> 30), (unsigned long long)a.max_threads,
           a.edmm ? "on" : "off");
    printf("mrenclave:            %s\n", hex);
    printf("measure time (best of 3): %.3f s\n", best);
    printf("bytes hashed:         %.1f MB\n", bytes / 1e6);
    printf("implied SHA-256 rate: %.1f MB/s\n", ours / 1e6);
    printf("OpenSSL SHA-256 rate: %.1f MB/s (16 KiB blocks, in-process, 1 s)\n", ossl / 1e6);
    printf("ratio:                %.2f (target >= 0.5)\n", ours / ossl);
    free(m);
    free(e);
    return 0;
}
