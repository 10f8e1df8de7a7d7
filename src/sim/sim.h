/*
 * mse-sim: a software SGX DCAP platform. Test PKI, quotes, collaterals and a
 * PCCS-compatible server, all with Intel's formats and signed by a clearly
 * marked test root ("MSE Test ..." names unless Intel's are asked for, to
 * test that a forged root with Intel's names is refused). Test-only: nothing
 * here is secret and nothing here is trusted by default. See docs/cmd/mse-sim.md.
 */
#ifndef MSE_SIM_H
#define MSE_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/collateral.h>
#include <mse/err.h>
#include <mse/verify.h>

#include "attester/attester.h"

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

/* How `mse-sim pki init` shapes the platform and its collateral. */
struct mse_sim_pki_opts {
    bool intel_names;                /* Intel's exact distinguished names (forgery tests) */
    enum mse_tcb_status tcb_status;  /* status of the TCB level the platform matches */
    const char *advisories;          /* comma-separated advisory IDs for that level, or NULL */
    enum mse_tcb_status qe_tcb_status;
    bool revoke_pck;                 /* the PCK CRL lists the PCK leaf */
    bool revoke_pck_ca;              /* the root CA CRL lists the PCK CA */
    int64_t now;                     /* certificates valid from now - 1 day */
    int64_t collateral_issue;        /* TCB info / QE identity / CRL issue time */
    int64_t collateral_next;         /* their nextUpdate */
    int64_t pck_not_after;           /* PCK leaf expiry */
    int64_t ca_not_after;            /* root, PCK CAs and TCB signing certificate expiry */
    uint16_t pcesvn;                 /* PCESVN in the PCK leaf and quotes; TCB info has
                                        levels at MSE_SIM_PCESVN and MSE_SIM_PCESVN - 1 */
    /* One item's dates instead of collateral_issue / collateral_next (0: those). */
    int64_t tcb_info_issue, tcb_info_next, qe_identity_next, pck_crl_next;
    bool no_signer_key;              /* skip the RSA signer key (in-memory worlds that
                                        give the enclave's MRSIGNER themselves) */
};
void mse_sim_pki_opts_default(struct mse_sim_pki_opts *o, int64_t now);

/* A test PKI: loaded from its directory, or made in memory (mse_sim_pki_make). */
struct mse_sim_pki {
    EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key, *signer_key;
    X509 *root, *ca, *pck, *tcb;
    char *root_pem, *ca_pem, *pck_pem, *tcb_pem;
    uint8_t fmspc[6];
    uint8_t cpusvn[16];
    uint16_t pcesvn;
    uint16_t qe_isvsvn;
    uint8_t signer_mrsigner[32];
    /*
     * The QE report and its signature by the PCK key, made once when the PKI
     * is loaded: Intel's QE signs its report when it makes the attestation
     * key, so every quote of one platform carries the same QE report.
     */
    bool have_qe_report;
    uint8_t qe_report[384];
    uint8_t qe_report_sig[64];
};

MSE_MUST_USE mse_err mse_sim_pki_init(const char *dir, const struct mse_sim_pki_opts *o,
                                      char *errbuf, size_t errlen);
MSE_MUST_USE mse_err mse_sim_pki_load(const char *dir, struct mse_sim_pki *p);
void mse_sim_pki_free(struct mse_sim_pki *p);

/* The simulated QE's identity (what the QE identity JSON describes). */
extern const uint8_t MSE_SIM_QE_MRSIGNER[32];
#define MSE_SIM_QE_ISVPRODID 1
/* The platform's default PCESVN (the TCB info's top level). */
#define MSE_SIM_PCESVN 13

/*
 * A v3 ECDSA-P256 quote for report_data: QE report signed by the PCK key,
 * QE report data binding the attestation key, quote signed by the
 * attestation key, PEM chain (leaf, CA, root) as certification data.
 * *quote is malloc'd.
 */
MSE_MUST_USE mse_err mse_sim_quote(const struct mse_sim_pki *p, const struct mse_sim_enclave *e,
                                   const uint8_t report_data[64], uint8_t **quote, size_t *len);

/*
 * A TDX quote for display and refusal tests (sim_quote.c): version 4 (TD
 * report 1.0) or 5 (TD 1.5 body), laid out as Intel's TDX quote format, with
 * recognisable TD report values (below, TD attributes DEBUG) and the QE
 * part (QE report, its signature, auth data, PCK chain) of the SGX v3 quote
 * given, wrapped in certification data type 6. Not signed over the TD
 * report: mse does not verify TDX. *quote is malloc'd.
 */
#define MSE_SIM_TDX_MRTD_BYTE 0x11
#define MSE_SIM_TDX_RTMR_BYTE(i) (0x20 + (i))
#define MSE_SIM_TDX_REPORT_DATA_BYTE 0x77
MSE_MUST_USE mse_err mse_sim_tdx_quote(int version, const uint8_t *sgx_quote, size_t sgx_len,
                                       uint8_t **quote, size_t *len);

/* Make p->qe_report and sign it (mse_sim_pki_load does; again after editing the platform). */
MSE_MUST_USE mse_err mse_sim_qe_report_sign(struct mse_sim_pki *p);

/* Raw ECDSA-P256/SHA-256 r||s signature, as Intel's formats carry them. */
MSE_MUST_USE mse_err mse_sim_sign_raw(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64]);

/*
 * Certificates and CRLs of the test PKI (sim_x509.c): the one maker behind
 * `mse-sim pki init` and the unit tests that need a certificate of a chosen
 * shape. Every object is signed ECDSA-P256-SHA256.
 */
struct mse_sim_cert_spec {
    const char *cn;        /* subject CN */
    bool intel_names;      /* O=Intel Corporation (Intel's names); else O=MSE Test */
    EVP_PKEY *key;         /* the subject's key */
    X509 *issuer;          /* NULL with issuer_key NULL: self-signed */
    EVP_PKEY *issuer_key;
    int64_t not_before, not_after; /* UTC seconds */
    bool ca;               /* CA:TRUE with keyCertSign/cRLSign, else an end entity */
    int path_len;          /* CA only: pathLenConstraint, or -1 for none */
    long serial;           /* > 0 */
    const char *ext_oid;   /* one extra non-critical extension (dotted OID), or NULL */
    const uint8_t *ext_der; /* its value, as it goes into the OCTET STRING */
    size_t ext_len;
};
/* A fresh P-256 key. */
MSE_MUST_USE mse_err mse_sim_key(EVP_PKEY **out);
MSE_MUST_USE mse_err mse_sim_cert_make(const struct mse_sim_cert_spec *s, X509 **out);
/* A CRL by issuer, signed with key, listing `revoked` (revoked at this_update). */
MSE_MUST_USE mse_err mse_sim_crl_make(X509 *issuer, EVP_PKEY *key, int64_t this_update,
                                      int64_t next_update, const long *revoked, size_t nrevoked,
                                      X509_CRL **out);
/* Encodings, malloc'd (the PEM ones NUL-terminated). */
MSE_MUST_USE mse_err mse_sim_cert_der(X509 *x, uint8_t **der, size_t *len);
MSE_MUST_USE mse_err mse_sim_cert_pem(X509 *x, char **out);
MSE_MUST_USE mse_err mse_sim_crl_der(X509_CRL *crl, uint8_t **der, size_t *len);
MSE_MUST_USE mse_err mse_sim_crl_pem(X509_CRL *crl, char **out);

/*
 * The simulated platform in memory (sim_world.c), for in-process tests of the
 * verifier: the PKI and collateral of `mse-sim pki init`, a quote and the
 * RA-TLS certificate carrying it, with knobs that each make one thing wrong
 * (the rest stays genuine, so a refusal names that one thing).
 */
struct mse_sim_pki_faults {
    bool pck_no_extension;     /* PCK leaf without the SGX extension */
    bool pck_tcb_below;        /* PCK's first TCB component below every TCB level's */
    bool pck_issuer_lookalike; /* PCK leaf signed by a CA of the same names, another key */
    bool pck_crl_other_signer; /* PCK CRL signed by another key */
    bool tcb_signer_foreign;   /* TCB signing certificate issued by another root, same names */
};

struct mse_sim_world_opts {
    struct mse_sim_pki_opts pki;
    struct mse_sim_pki_faults faults;
    struct mse_sim_enclave enclave; /* have_mrsigner must be set (no signer key is made) */
    bool tcb_info_fmspc_other;      /* TCB info for another FMSPC, properly signed */
    bool tcb_info_byte_flipped;     /* one byte of tcbInfo changed after signing */
    /* The QE report, changed and properly re-signed by the PCK key. */
    bool qe_mrsigner_other, qe_isvprodid_other, qe_attributes_debug, qe_miscselect_other;
    bool qe_report_data_padding;    /* a non-zero byte in the QE REPORTDATA's upper half */
    bool qe_vendor_other;           /* QE vendor ID not Intel's, quote properly signed */
    bool qe_report_sig_flipped, quote_sig_flipped; /* one bit of a signature */
    int chain_len;                  /* 0: 3; 2 (leaf, root) or 4 (CA twice) */
    bool chain_garbage;             /* certification data: a PEM block that is not base64 */
    bool binding_other;             /* REPORTDATA binds another key than the certificate's */
};
/*
 * Genuine and UpToDate at now, Intel's names (so a forged root looks like
 * Intel's), the enclave's MRSIGNER 51..51 and MRENCLAVE e1..e1, no signer key.
 */
void mse_sim_world_opts_default(struct mse_sim_world_opts *o, int64_t now);

struct mse_sim_world {
    struct mse_sim_pki pki;
    char *root_ca_crl, *pck_crl, *tcb_info, *qe_identity, *tcb_chain; /* PEM / JSON text */
    struct mse_collateral col; /* views of the texts above */
    uint8_t *root_der;         /* the world's root: its trust anchor */
    size_t root_len;
    uint8_t *cert_der;         /* the RA-TLS certificate */
    size_t cert_len;
};
MSE_MUST_USE mse_err mse_sim_world_make(const struct mse_sim_world_opts *o,
                                        struct mse_sim_world *w);
void mse_sim_world_free(struct mse_sim_world *w);

/*
 * The PKI and collateral of `mse-sim pki init` without the directory, with
 * faults (NULL: none): fills w->pki, the texts, col and the root (not the
 * certificate). Free with mse_sim_world_free.
 */
MSE_MUST_USE mse_err mse_sim_pki_make(const struct mse_sim_pki_opts *o,
                                      const struct mse_sim_pki_faults *faults,
                                      struct mse_sim_world *w);

#endif
