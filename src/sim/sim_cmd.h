/* Helpers behind the `mse-sim` subcommands. */
#ifndef MSE_SIM_CMD_H
#define MSE_SIM_CMD_H

#include "sim.h"

/*
 * An RA-TLS certificate from the simulated platform in pki_dir. With unbind,
 * the quote's REPORTDATA deliberately binds another key (a tamper case).
 */
MSE_MUST_USE mse_err mse_sim_make_ratls(const char *pki_dir, const struct mse_sim_enclave *e,
                                        const struct mse_ratls_params *params, bool unbind,
                                        EVP_PKEY **key, X509 **cert);
/* The evidence bundle JSON (malloc'd) for cert with pki_dir's collateral. */
MSE_MUST_USE mse_err mse_sim_evidence_json(const char *pki_dir, X509 *cert, const char *san,
                                           char **out);

#endif
