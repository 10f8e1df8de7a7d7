/*
 * Test-only PKI helpers for the DCAP unit tests: P-256 keys, raw r||s
 * signatures, certificates and CRLs with chosen names, dates, serials and
 * extensions. Everything aborts the test on failure. Not linked into mse.
 */
#ifndef MSE_TEST_PKI_H
#define MSE_TEST_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

EVP_PKEY *pki_key(void);
/* Raw ECDSA-P256/SHA-256 signature r||s of msg. */
void pki_sign_raw(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64]);
/*
 * A certificate for `cn` (O=Intel Corporation... as Intel's) with `key`,
 * issued by issuer/issuer_key (NULL: self-signed), valid [nb, na), CA or
 * not. serial > 0.
 */
X509 *pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
               int64_t na, bool ca, long serial);
/* The same with one extra non-critical extension (OID text, DER value). */
X509 *pki_cert_ext(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
                   int64_t na, bool ca, long serial, const char *ext_oid, const uint8_t *ext_der,
                   size_t ext_len);
/* A CRL by issuer (signed with key) with thisUpdate/nextUpdate and revoked serials. */
X509_CRL *pki_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                  const long *revoked, size_t nrevoked);
/* DER / PEM encodings, malloc'd. */
uint8_t *pki_cert_der(X509 *c, size_t *len);
char *pki_cert_pem(X509 *c);
uint8_t *pki_crl_der(X509_CRL *c, size_t *len);
char *pki_crl_pem(X509_CRL *c);
/* Hex of the raw r||s over text, lowercase, 128 chars + NUL. */
void pki_sign_hex(EVP_PKEY *key, const char *text, size_t len, char out[129]);

#endif
