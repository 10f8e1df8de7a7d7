/*
 * SGX ECDSA quote, version 3 (Intel "SGX ECDSA Quote Library API", appendix
 * A.4 "Quote Format"). All integers are little-endian on the wire.
 *
 *   header            48  version u16, att_key_type u16, tee_type u32 (0 = SGX),
 *                         qe_svn u16, pce_svn u16, qe_vendor_id[16], user_data[20]
 *   ISV report body  384  (struct mse_report_body)
 *   sig_data_len       4
 *   signature data        quote signature[64] (r||s over header||body),
 *                         attestation public key[64] (x||y, P-256),
 *                         QE report body[384], QE report signature[64],
 *                         qe_auth_len u16, qe_auth[qe_auth_len],
 *                         cert_data_type u16 (5 = PCK chain, PEM),
 *                         cert_data_len u32, cert_data[cert_data_len]
 *
 * A parsed quote holds copies of fixed-size fields and views (pointer+length)
 * into the caller's buffer for variable ones; the views live as long as that
 * buffer.
 */
#ifndef MSE_QUOTE_H
#define MSE_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#define MSE_QUOTE_VERSION_3 3
#define MSE_QUOTE_ATT_KEY_ECDSA_P256 2
#define MSE_QUOTE_TEE_SGX 0
#define MSE_QUOTE_CERT_DATA_PCK_CHAIN 5
#define MSE_QUOTE_HEADER_SIZE 48
#define MSE_REPORT_BODY_SIZE 384
#define MSE_QUOTE_MIN_SIZE 1020 /* header, body, sig len, fixed sig data, two length fields */
#define MSE_QUOTE_MAX_SIZE (64 * 1024)

/* SGX ATTRIBUTES.FLAGS bits (Intel SDM vol. 3D, 34.7.1). */
#define MSE_SGX_FLAGS_INIT 0x01ULL
#define MSE_SGX_FLAGS_DEBUG 0x02ULL
#define MSE_SGX_FLAGS_MODE64BIT 0x04ULL
#define MSE_SGX_FLAGS_PROVISION_KEY 0x10ULL
#define MSE_SGX_FLAGS_EINITTOKEN_KEY 0x20ULL
#define MSE_SGX_FLAGS_KSS 0x80ULL

/* Intel's QE vendor ID 939A7233-F79C-4CA9-940A-0DB3957F0607 as it appears in quotes. */
extern const uint8_t MSE_INTEL_QE_VENDOR_ID[16];

/* SGX REPORT body (Intel SDM vol. 3D, 34.18.1 minus KEYID and MAC): 384 bytes. */
struct mse_report_body {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t isv_ext_prod_id[16];
    uint64_t attributes_flags; /* MSE_SGX_FLAGS_* */
    uint64_t attributes_xfrm;
    uint8_t mr_enclave[32];
    uint8_t mr_signer[32];
    uint8_t config_id[64];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
    uint16_t config_svn;
    uint8_t isv_family_id[16];
    uint8_t report_data[64];
    const uint8_t *raw; /* the 384 wire bytes (view), what the QE report signature covers */
};

struct mse_quote {
    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;
    uint16_t qe_svn;
    uint16_t pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    struct mse_report_body body; /* the ISV (application) enclave */

    const uint8_t *signed_data; /* header || body: what the quote signature covers (view) */
    size_t signed_len;          /* always 432 */

    uint8_t quote_signature[64]; /* ECDSA r||s, big-endian 32 bytes each */
    uint8_t att_public_key[64];  /* P-256 point x||y, big-endian */
    struct mse_report_body qe_report;
    uint8_t qe_report_signature[64]; /* by the PCK leaf key, r||s */
    const uint8_t *qe_auth_data;      /* view */
    size_t qe_auth_len;
    uint16_t cert_data_type;
    const uint8_t *cert_data; /* view: PEM PCK chain (leaf, CA, root) for type 5 */
    size_t cert_data_len;

    size_t total_len; /* bytes the quote occupies */
};

/*
 * Parse a v3 ECDSA-P256 quote with certification data type 5. The whole
 * buffer must be the quote (trailing bytes: MSE_ERR_QUOTE_TRAILING).
 * Errors: MSE_ERR_QUOTE_TRUNCATED, _VERSION, _KEY_TYPE, _TEE_TYPE,
 * _CERT_DATA_TYPE, _LENGTH, _TRAILING, MSE_ERR_LIMIT; MSE_ERR_QUOTE_TDX for a
 * v4/v5 quote whose TEE type is TDX (recognised, not verified yet). On error
 * *q is zeroed.
 * Does not verify anything.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_quote_parse(const uint8_t *buf, size_t len, struct mse_quote *q)
    MSE_NONNULL(1, 3);

/* Parse one 384-byte report body (used for the QE report and by tests). */
MSE_EXTERN MSE_MUST_USE mse_err mse_report_body_parse(const uint8_t *buf, size_t len,
                                           struct mse_report_body *out) MSE_NONNULL(1, 3);

/* ---- any version, for inspection: v3 (SGX), v4 (SGX or TDX), v5 (TDX 1.0/1.5, SGX) ---- */

/*
 * Intel TDX DCAP Quote Generation Library and Quote Verification Library,
 * "Quote Format" (v4) and its v5 revision. Integers little-endian.
 *
 *   v4 header  48  as v3, tee_type 0x00000081 = TDX; qe_svn/pce_svn reserved
 *   body           SGX: 384-byte report (tee_type 0); TDX: TD report 1.0, 584 bytes
 *   v5 only        body_type u16 (1 SGX, 2 TD 1.0, 3 TD 1.5), body_size u32, then the body
 *                  (TD 1.5 adds tee_tcb_svn2[16] and mrservicetd[48]: 648 bytes)
 *   sig_data_len u32, then quote signature[64], attestation key[64],
 *   certification data: type u16 (6 = QE report certification data), size u32,
 *     QE report[384], QE report signature[64], qe_auth_len u16, qe_auth,
 *     inner type u16 (5 = PCK chain), inner size u32, PEM chain.
 * v3 keeps its own layout (above): its signature data has no outer type 6.
 */
#define MSE_QUOTE_VERSION_4 4
#define MSE_QUOTE_VERSION_5 5
#define MSE_QUOTE_TEE_TDX 0x81
#define MSE_QUOTE_CERT_DATA_QE_REPORT 6
#define MSE_TD_REPORT10_SIZE 584
#define MSE_TD_REPORT15_SIZE 648
#define MSE_TD_ATTRIBUTES_DEBUG 0x01ULL /* TDATTRIBUTES.TUD.DEBUG (bit 0) */

/* TD report body (TDX module spec, TDREPORT / TDINFO), as quotes v4/v5 carry it. */
struct mse_td_report {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[48];
    uint8_t mr_signer_seam[48];
    uint64_t seam_attributes;
    uint64_t td_attributes; /* MSE_TD_ATTRIBUTES_* */
    uint64_t xfam;
    uint8_t mr_td[48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    bool is_td15;              /* the two TD 1.5 fields below are present */
    uint8_t tee_tcb_svn2[16];
    uint8_t mr_service_td[48];
};

/* Where a parse stopped: the byte offset into the input and the field being read. */
struct mse_parse_where {
    size_t offset;
    const char *field; /* static string, e.g. "header.version", "qe_auth_data"; NULL if none */
};

/* A quote of any supported version, read for display; nothing is verified. */
struct mse_quote_any {
    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;          /* MSE_QUOTE_TEE_SGX or MSE_QUOTE_TEE_TDX */
    uint16_t qe_svn, pce_svn;   /* v3 only (reserved in v4/v5) */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    uint16_t body_type;         /* v5: 1 SGX, 2 TD 1.0, 3 TD 1.5; v3/v4: 1 or 2 from tee_type */
    bool is_td;                 /* td holds the body, else sgx */
    struct mse_report_body sgx; /* .raw views the input */
    struct mse_td_report td;
    uint8_t quote_signature[64];
    uint8_t att_public_key[64];
    struct mse_report_body qe_report; /* .raw views the input */
    uint8_t qe_report_signature[64];
    const uint8_t *qe_auth_data; /* view */
    size_t qe_auth_len;
    uint16_t cert_data_type;     /* the innermost type: 5 = PEM PCK chain */
    const uint8_t *cert_data;    /* view */
    size_t cert_data_len;
    size_t total_len;
};

/*
 * Parse a quote v3, v4 or v5 (SGX or TDX body) for display. The whole buffer
 * must be the quote. Errors as mse_quote_parse (a TDX quote is NOT an error
 * here); on error *where (may be NULL) names the offset and field, and *q is
 * zeroed. Does not verify anything and does not judge the QE vendor ID.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_quote_any_parse(const uint8_t *buf, size_t len, struct mse_quote_any *q,
                                         struct mse_parse_where *where) MSE_NONNULL(1, 3);

/* The TDX RA-TLS carrier: a certificate extension whose value is a raw TDX quote. */
#define MSE_OID_TDX_QUOTE "1.2.840.113741.1337.8"
/*
 * Find extension 1.2.840.113741.1337.8 in a DER certificate: *found, and the
 * quote as a view into der (not parsed). Errors: MSE_ERR_CERT_PARSE (der is
 * not a DER certificate), MSE_ERR_RATLS_MULTIPLE (the extension twice).
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_cert_tdx_quote(const uint8_t *der, size_t len, const uint8_t **quote,
                                        size_t *quote_len, bool *found) MSE_NONNULL(1, 3, 4, 5);

#endif
