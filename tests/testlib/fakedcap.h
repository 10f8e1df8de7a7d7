/*
 * Test-only: a complete, self-consistent DCAP world under a test root —
 * PKI (root, PCK CA, PCK leaf with the SGX extension, TCB signer), CRLs,
 * TCB info v3, QE identity v2, an SGX quote v3 and the RA-TLS certificate
 * carrying it (MSE key binding). Knobs in struct fakedcap_opts produce each
 * tampered variant; the verifier must name each with its own code.
 * Not linked into mse; the simulator (src/sim) is the product version.
 */
#ifndef MSE_TEST_FAKEDCAP_H
#define MSE_TEST_FAKEDCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/collateral.h>

struct fakedcap_opts {
    int64_t now;             /* every item valid in [now - 30 days, now + 30 days) */
    const char *tcb_status;  /* status of the level the PCK matches ("UpToDate") */
    const char *qe_status;   /* status of the QE's level ("UpToDate") */
    uint8_t pck_comp1;       /* PCK's first TCB component (level requires 2) */
    bool tcb_fmspc_other;    /* TCB info for another FMSPC (signed) */
    bool tcb_flip_byte;      /* a byte of tcbInfo changed after signing */
    int64_t tcb_next_update; /* 0: default */
    int64_t tcb_issue_date;  /* 0: default */
    int64_t qe_next_update;  /* 0: default */
    int64_t pck_not_after;   /* 0: default */
    int64_t pck_crl_next_update; /* 0: default */
    bool pck_revoked, pck_ca_revoked;
    bool pck_crl_wrong_signer;
    bool pck_wrong_issuer;   /* leaf signed by a look-alike CA (same names, other key) */
    bool pck_no_extension;
    int chain_len;           /* 0: 3; else 2 or 4 */
    bool chain_garbage;      /* certification data is not PEM certificates */
    bool tcb_signer_foreign; /* TCB signer not issued by the root */
    bool qe_mrsigner_other, qe_isvprodid_other, qe_attributes_debug, qe_miscselect_other;
    bool qe_report_sig_bad, qe_report_data_bad, quote_sig_bad;
    bool qe_vendor_other;
    bool debug;
    bool binding_other;      /* REPORTDATA binds another key */
    uint8_t mrenclave[32], mrsigner[32];
};

struct fakedcap {
    EVP_PKEY *root_k, *ca_k, *leaf_k, *tcb_k, *att_k, *cert_k;
    X509 *root, *ca, *leaf, *tcb;
    uint8_t *root_der;
    size_t root_len;
    uint8_t quote[8192];
    size_t quote_len;
    uint8_t *cert_der;
    size_t cert_len;
    char *root_crl, *pck_crl, *tcb_info, *qe_identity, *tcb_chain;
    struct mse_collateral col;
};

/* Defaults: everything genuine and UpToDate at opts->now. */
void fakedcap_opts_default(struct fakedcap_opts *o, int64_t now);
void fakedcap_build(struct fakedcap *f, const struct fakedcap_opts *o);
void fakedcap_free(struct fakedcap *f);

#endif
