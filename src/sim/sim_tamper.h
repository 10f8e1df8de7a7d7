/*
 * The tamper cases: the verifier's negative matrix, written once.
 *
 * Each row is one way a quote, certificate, collateral item or expected
 * identity can be wrong, with the mse_err that must decide it. The table
 * (sim_tamper_cases.c) drives `mse-sim tamper` (sim_tamper.c writes one
 * evidence bundle per row and a MANIFEST line "<name>.json <MSE_ERR> <desc>"),
 * and through that MANIFEST the in-process test
 * (tests/integration/negative_matrix_test.c, mse_verify on each bundle) and
 * the CLI test (tests/integration/sim_tamper_set.sh, `mse verify --evidence`).
 * Adding a row adds the case to all three.
 */
#ifndef MSE_SIM_TAMPER_H
#define MSE_SIM_TAMPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <mse/err.h>

/* Offsets in the simulator's v3 quotes (32-byte QE auth data; include/mse/quote.h). */
enum {
    Q_SIG_LEN = 432,
    Q_SIG = 436,
    Q_ATT = Q_SIG + 64,
    Q_QE_REPORT = Q_ATT + 64,
    Q_QE_SIG = Q_QE_REPORT + 384,
    Q_AUTH_LEN = Q_QE_SIG + 64,
    Q_AUTH = Q_AUTH_LEN + 2,
    Q_CERT_TYPE = Q_AUTH + 32,
    Q_CERT_LEN = Q_CERT_TYPE + 2,
    Q_CERT_DATA = Q_CERT_LEN + 4,
    Q_MRENCLAVE = 48 + 64,
};

/* What a case changes. */
enum tamper_kind {
    T_QUOTE,        /* the quote (before the certificate embeds it) or the certificate */
    T_PKI,          /* a whole PKI of another shape, verified against its own root */
    T_COLLATERAL,   /* one collateral item, around the good certificate */
    T_IDENTITY,     /* the expected MRSIGNER / MRENCLAVE given to the verifier */
    T_NO_EXTENSION, /* a certificate without any quote (the PKI's root) */
};

enum quote_op {
    Q_NONE,
    Q_FLIP,     /* xor 0x01 at off */
    Q_TRUNCATE, /* cut to off bytes */
    Q_SET,      /* write value, width bytes little-endian, at off */
    Q_CHAIN,    /* replace the PEM chain: off certificates (2: leaf, root; 3; 4: CA twice) */
    Q_PERCENT,  /* the chain's first '-' written "%2D" (percent-encoded PEM) */
};

enum chain_ca { CA_OWN, CA_OTHER_PKI, CA_INTEL_NAMED }; /* Q_CHAIN's intermediate */

/* Certificate flags (T_QUOTE). */
#define TF_DEBUG 0x01        /* ATTRIBUTES.DEBUG set */
#define TF_UNBIND 0x02       /* REPORTDATA binds another key */
#define TF_DUAL 0x04         /* plus TCG DICE evidence with a clean quote; the edit hits the legacy one */
#define TF_CERT_EXPIRED 0x08 /* the RA-TLS certificate's notAfter a minute ago */

enum pki_edit {
    P_INTEL_NAMES,  /* Intel's names; verified against the genuine Intel root */
    P_REVOKE_PCK,
    P_REVOKE_CA,
    P_PCK_EXPIRED,  /* PCK leaf notAfter a minute ago */
    P_PCESVN,       /* PCESVN = MSE_SIM_PCESVN - value */
    P_TCB_STATUS,   /* platform level status = value (advisories unless Revoked) */
    P_QE_STATUS,    /* QE level status = value */
    P_NOT_YET_ISSUED, /* every collateral item issued in an hour */
};

enum collateral_op {
    C_FROM_OTHER,      /* item `field` from another PKI with the same names */
    C_RESIGN_TCB,      /* edit tcbInfo text from -> to, re-signed */
    C_RESIGN_QE,       /* edit enclaveIdentity text from -> to, re-signed */
    C_FLIP_TCB,        /* one byte of tcbInfo changed, signature kept */
    C_FLIP_QE,
    C_TCB_EXPIRED,     /* tcbInfo nextUpdate a minute ago, re-signed */
    C_TCB_SWAP_LEVELS, /* the first two TCB levels swapped, re-signed */
    C_TCB_DUP_LEVEL,   /* the first TCB level twice, re-signed */
    C_EXPIRED_PCK_CRL, /* PCK CRL nextUpdate a minute ago, signed by the PCK CA */
    C_GARBAGE_TCB_CERT,
};
enum collateral_field { F_ROOT_CRL, F_PCK_CRL, F_TCB_CERT };

enum identity_edit { I_MRSIGNER, I_MRENCLAVE };

struct tamper_case {
    const char *name; /* file name stem, unique */
    mse_err want;     /* the decisive error (MSE_OK: the reference) */
    const char *desc;
    enum tamper_kind kind;
    struct {
        enum quote_op op;
        size_t off;
        uint64_t value;
        int width;
        enum chain_ca ca;
        unsigned flags;
    } q;
    struct {
        enum pki_edit edit;
        int value;
    } pki;
    struct {
        enum collateral_op op;
        enum collateral_field field;
        const char *from, *to;
    } col;
    enum identity_edit identity;
    const char *extra_args; /* extra `mse verify` arguments, one per line (e.g. a tolerance) */
};

/* Edits shared by the tamper set and the in-memory world (sim_world.c). */
/*
 * Replace `from` by `to` inside the signed member ("tcbInfo",
 * "enclaveIdentity") of a PCS JSON body and re-sign it with key, so only the
 * edited value is wrong.
 */
MSE_MUST_USE mse_err mse_sim_resign_member(char **body, const char *member, const char *from,
                                           const char *to, EVP_PKEY *key);
/* "tcbEvaluationDataNumber":16 -> 17: one signed byte changed, still valid JSON. */
MSE_MUST_USE mse_err mse_sim_flip_edn(char *text);
/* The quote's certification data becomes the n PEM texts concatenated (lengths fixed up). */
MSE_MUST_USE mse_err mse_sim_quote_set_chain(uint8_t **q, size_t *len, const char *const *parts,
                                             size_t n);

extern const struct tamper_case mse_sim_tamper_cases[];
extern const size_t mse_sim_tamper_case_count;

#endif
