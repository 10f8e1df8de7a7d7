/*
 * Test-only helpers: cmocka includes, data files, temporary directories and
 * child processes, and asserting shortcuts over the simulator's certificate
 * maker (src/sim, the one fake DCAP world). Nothing here is linked into mse
 * itself.
 */
#ifndef MSE_TESTLIB_H
#define MSE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first. */
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sim/sim.h"

/* Read tests/data/<name> (aborts the test if missing). Caller frees. */
uint8_t *mse_test_data(const char *name, size_t *len);
/* Read any path (aborts the test if missing). Caller frees. */
uint8_t *mse_test_file(const char *path, size_t *len);
/* Write len bytes to dir/name (name may hold '/': its directories must exist), failing the test
 * on any error. A plain write, not mse_file_write_atomic: test files need no fsync. */
void mse_test_write(const char *dir, const char *name, const void *data, size_t len);
/* Create a fresh temporary directory; returns a malloc'd path. */
char *mse_test_tmpdir(void);
/* rm -rf a directory made by mse_test_tmpdir. */
void mse_test_rmtree(const char *path);
/* Path of a built binary (MSE_BUILD_DIR/<rel>), malloc'd. */
char *mse_test_bin(const char *rel);

/*
 * The simulator's makers (sim_x509.c), failing the test instead of returning
 * an error. Results are the caller's (EVP_PKEY_free, X509_free, X509_CRL_free, free).
 */
EVP_PKEY *mse_test_key(void);
/*
 * A certificate with Intel's names (O=Intel Corporation) for `cn`, issued by
 * issuer/issuer_key (NULL: self-signed), valid [nb, na), a CA without
 * pathLenConstraint or an end entity. Other shapes: mse_sim_cert_make.
 */
X509 *mse_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
                    int64_t na, bool ca, long serial);
X509_CRL *mse_test_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                       const long *revoked, size_t nrevoked);
uint8_t *mse_test_cert_der(X509 *x, size_t *len);
char *mse_test_cert_pem(X509 *x);
uint8_t *mse_test_crl_der(X509_CRL *crl, size_t *len);
char *mse_test_crl_pem(X509_CRL *crl);
/* Hex (lowercase) of the raw r||s signature over text, as Intel's collateral carries it. */
void mse_test_sign_hex(EVP_PKEY *key, const char *text, size_t len, char out[129]);

#endif
