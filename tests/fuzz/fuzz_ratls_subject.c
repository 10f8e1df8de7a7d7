/*
 * The RFC 4514 subject parser and SAN checks of mse_ratls_cert_create on
 * arbitrary bytes: input = subject NUL san. Only well-formed certificates
 * or an error may come out; a certificate must round-trip through the
 * verifier's RA-TLS parser and binding check.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/quote.h>
#include <mse/ratls.h>

#include "attester/attester.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mse_err fake_quote(void *ctx, const uint8_t rd[64], uint8_t **q, size_t *len)
{
    uint8_t *b = calloc(1, 1100);
    if (b == NULL)
        return MSE_ERR_NOMEM;
    memcpy(b + 368, rd, 64);
    *q = b;
    *len = 1100;
    return MSE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EVP_PKEY *key; /* one key for all runs: key generation is not under test */
    if (key == NULL)
        key = EVP_EC_gen("P-256");
    if (size > 2048 || key == NULL)
        return 0;
    char *buf = malloc(size + 2);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    const char *subject = buf;
    const char *san = buf + strlen(buf) + 1;
    if (*san == '\0')
        san = "localhost";
    struct mse_quote_provider qp = {"fuzz", fake_quote, NULL, NULL};
    struct mse_ratls_params p = {subject, san, 1700000000, 1800000000, NULL};
    EVP_PKEY *k = key;
    X509 *cert = NULL;
    if (mse_ratls_cert_create(&qp, &p, &k, &cert) == MSE_OK) {
        unsigned char *der = NULL;
        int n = i2d_X509(cert, &der);
        if (n <= 0)
            abort();
        static uint8_t qbuf[MSE_QUOTE_MAX_SIZE];
        struct mse_ratls r;
        if (mse_ratls_extract(der, (size_t)n, qbuf, sizeof qbuf, &r) != MSE_OK)
            abort();
        OPENSSL_free(der);
        X509_free(cert);
    }
    free(buf);
    return 0;
}
