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
 * _CERT_DATA_TYPE, _LENGTH, _TRAILING, MSE_ERR_LIMIT. On error *q is zeroed.
 * Does not verify anything.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_quote_parse(const uint8_t *buf, size_t len, struct mse_quote *q)
    MSE_NONNULL(1, 3);

/* Parse one 384-byte report body (used for the QE report and by tests). */
MSE_EXTERN MSE_MUST_USE mse_err mse_report_body_parse(const uint8_t *buf, size_t len,
                                           struct mse_report_body *out) MSE_NONNULL(1, 3);

#endif
