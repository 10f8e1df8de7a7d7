#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mse/bytes.h>

#include "testlib.h"
#include "util/util.h"

uint8_t *mse_test_file(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    if (mse_file_read(path, 512u << 20, &data, len) != MSE_OK) {
        fprintf(stderr, "test data missing: %s\n", path);
        fail();
    }
    return data;
}

void mse_test_write(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        fail();
    }
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

uint8_t *mse_test_data(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", MSE_TEST_DATA, name);
    return mse_test_file(path, len);
}

char *mse_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/mse-test-XXXXXX", base && *base ? base : "/tmp") < 0)
        fail();
    if (!mkdtemp(path))
        fail();
    return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void mse_test_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *mse_test_bin(const char *rel)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", MSE_BUILD_DIR, rel) < 0)
        fail();
    return path;
}

EVP_PKEY *mse_test_key(void)
{
    EVP_PKEY *k = NULL;
    assert_int_equal(mse_sim_key(&k), MSE_OK);
    return k;
}

X509 *mse_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
                    int64_t na, bool ca, long serial)
{
    const struct mse_sim_cert_spec s = {.cn = cn, .intel_names = true, .key = key,
                                        .issuer = issuer, .issuer_key = issuer_key,
                                        .not_before = nb, .not_after = na, .ca = ca,
                                        .path_len = -1, .serial = serial};
    X509 *x = NULL;
    assert_int_equal(mse_sim_cert_make(&s, &x), MSE_OK);
    return x;
}

X509_CRL *mse_test_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                       const long *revoked, size_t nrevoked)
{
    X509_CRL *crl = NULL;
    assert_int_equal(
        mse_sim_crl_make(issuer, key, this_update, next_update, revoked, nrevoked, &crl), MSE_OK);
    return crl;
}

uint8_t *mse_test_cert_der(X509 *x, size_t *len)
{
    uint8_t *der = NULL;
    assert_int_equal(mse_sim_cert_der(x, &der, len), MSE_OK);
    return der;
}

char *mse_test_cert_pem(X509 *x)
{
    char *pem = NULL;
    assert_int_equal(mse_sim_cert_pem(x, &pem), MSE_OK);
    return pem;
}

uint8_t *mse_test_crl_der(X509_CRL *crl, size_t *len)
{
    uint8_t *der = NULL;
    assert_int_equal(mse_sim_crl_der(crl, &der, len), MSE_OK);
    return der;
}

char *mse_test_crl_pem(X509_CRL *crl)
{
    char *pem = NULL;
    assert_int_equal(mse_sim_crl_pem(crl, &pem), MSE_OK);
    return pem;
}

void mse_test_sign_hex(EVP_PKEY *key, const char *text, size_t len, char out[129])
{
    uint8_t sig[64];
    assert_int_equal(mse_sim_sign_raw(key, text, len, sig), MSE_OK);
    mse_hex_encode(sig, 64, out);
}
