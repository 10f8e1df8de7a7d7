/*
 * Fuzz the evidence bundle decoder (mse_evidence_parse) and what consumes
 * its output first: the CRL sniffer/loader and the PEM chain reader.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <mse/collateral.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 18];
    struct mse_evidence ev;
    if (mse_evidence_parse(data, size, buf, sizeof buf, &ev) != MSE_OK)
        return 0;
    X509_CRL *crl = NULL;
    if (mse_crl_load(ev.collateral.root_ca_crl.data, ev.collateral.root_ca_crl.len, &crl) ==
        MSE_OK)
        X509_CRL_free(crl);
    crl = NULL;
    if (mse_crl_load(ev.collateral.pck_crl.data, ev.collateral.pck_crl.len, &crl) == MSE_OK)
        X509_CRL_free(crl);
    struct mse_certs cs = {0};
    if (mse_x509_pem_chain(ev.collateral.tcb_info_chain.data, ev.collateral.tcb_info_chain.len,
                           &cs) == MSE_OK)
        mse_certs_free(&cs);
    struct mse_tcb_info t;
    if (mse_tcb_info_parse(ev.collateral.tcb_info.data, ev.collateral.tcb_info.len, &t) == MSE_OK)
        mse_tcb_info_free(&t);
    return 0;
}
