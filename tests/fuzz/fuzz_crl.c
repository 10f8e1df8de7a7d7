/* Fuzz CRL sniffing (DER / PEM / hex of DER) and the strict PEM chain reader. */
#include <stddef.h>
#include <stdint.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509_CRL *crl = NULL;
    if (mse_crl_load(data, size, &crl) == MSE_OK) {
        int64_t a, b;
        (void)mse_crl_validity(crl, &a, &b);
        X509_CRL_free(crl);
    }
    struct mse_certs cs = {0};
    if (mse_x509_pem_chain(data, size, &cs) == MSE_OK)
        mse_certs_free(&cs);
    return 0;
}
