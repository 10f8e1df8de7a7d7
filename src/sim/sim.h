/*
 * mse-sim: a software SGX DCAP platform. Test PKI, quotes, collaterals and a
 * PCCS-compatible server, all with Intel's formats and signed by a clearly
 * marked test root. See docs/cmd/mse-sim.md.
 */
#ifndef MSE_SIM_H
#define MSE_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <mse/err.h>

#include "enclave/enclave.h"

/* What the simulated enclave reports about itself. */
struct mse_sim_enclave {
    uint8_t mrenclave[32];
    bool have_mrsigner;  /* false: MRSIGNER of the PKI directory's signer key */
    uint8_t mrsigner[32];
    bool debug;          /* ATTRIBUTES.DEBUG */
    uint16_t isv_prod_id;
    uint16_t isv_svn;
};

/* A quote provider backed by the test PKI in `pki_dir` (made by `mse-sim pki init`). */
MSE_MUST_USE mse_err mse_sim_quote_provider(const char *pki_dir, const struct mse_sim_enclave *e,
                                            struct mse_quote_provider *out);

#endif
