/*
 * The files `mse-sim pki init DIR` writes at the top of DIR, named once:
 * the simulator writes and reads them by these names (sim_pki.c,
 * sim_evidence.c) and `mse demo` finds the trust root and the signer key by
 * them (src/cli/cli_demo.c). docs/cmd/mse-sim.md lists what each holds;
 * DIR/pccs has its own layout (pccs.h).
 */
#ifndef MSE_SIM_FILES_H
#define MSE_SIM_FILES_H

#define MSE_SIM_ROOT_CERT "root.pem" /* the test SGX root CA: mse verify --trust-root */
#define MSE_SIM_ROOT_KEY "root.key"
#define MSE_SIM_PCK_CA_CERT "pck-ca.pem"
#define MSE_SIM_PCK_CA_KEY "pck-ca.key"
#define MSE_SIM_PCK_CERT "pck.pem"
#define MSE_SIM_PCK_KEY "pck.key"
#define MSE_SIM_TCB_SIGNING_CERT "tcb-signing.pem"
#define MSE_SIM_TCB_SIGNING_KEY "tcb-signing.key"
#define MSE_SIM_QE_ATTESTATION_KEY "qe-attestation.key"
#define MSE_SIM_QE_REPORT_SIG "qe-report.sig" /* the QE report signature by the PCK key, raw r||s, made once at init */
#define MSE_SIM_SIGNER_KEY "signer.key"
#define MSE_SIM_SIGNER_PUB "signer.pem" /* the enclave signer's public key: --signer-key */
/* CRLs: written as <base>.der and <base>.pem. */
#define MSE_SIM_ROOT_CRL "root-ca-crl"
#define MSE_SIM_PCK_CRL "pck-crl"
#define MSE_SIM_TCB_INFO "tcb-info.json"
#define MSE_SIM_QE_IDENTITY "qe-identity.json"
#define MSE_SIM_README "README.txt"

#endif
