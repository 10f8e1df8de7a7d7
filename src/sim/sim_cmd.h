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

/* The text items of an evidence bundle (each malloc'd, NUL-terminated). */
struct mse_sim_evidence_parts {
    char *cert_pem;    /* the RA-TLS certificate, PEM */
    char *root_ca_crl; /* PEM */
    char *pck_crl;     /* PEM (written as pck_processor_crl) */
    char *tcb_info;    /* the /tcb body text */
    char *qe_identity; /* the /qe/identity body text */
    char *tcb_cert;    /* TCB signing certificate PEM */
    char *signer_pk;   /* enclave signer public key PEM */
};
/* Load everything but cert_pem from a PKI directory. */
MSE_MUST_USE mse_err mse_sim_evidence_parts_load(const char *pki_dir,
                                                 struct mse_sim_evidence_parts *p);
void mse_sim_evidence_parts_free(struct mse_sim_evidence_parts *p);
/* The bundle JSON (malloc'd) from parts, which may have been tampered with. */
MSE_MUST_USE mse_err mse_sim_evidence_json_parts(const struct mse_sim_evidence_parts *p,
                                                 const char *san, char **out);

/*
 * Write the tamper set into dir: one evidence bundle per case (<case>.json),
 * optionally <case>.root.pem (its own trust anchor; else dir/root.pem) and
 * <case>.args (extra `mse verify` arguments, one per line), and dir/MANIFEST
 * with one line per case: "<file> <expected MSE_ERR name> <description>".
 * `now` dates every certificate and collateral item. *count gets the number
 * of cases. Progress and failures are described in why.
 */
MSE_MUST_USE mse_err mse_sim_tamper_set(const char *dir, int64_t now, size_t *count, char *why,
                                        size_t whylen);

#endif
