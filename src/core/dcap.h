/*
 * Internal interfaces of src/core, the pure verifier built as libmse (never
 * included from include/; nothing here is exported: only MSE_EXTERN
 * declarations of include/mse/ are). The room takes bytes, trust anchors,
 * a policy and a time, and returns a verdict: no files, sockets, clock,
 * environment or stdio (STYLE.md 6). One concept per file:
 *
 *   input                rd.c (the one bounded reader), der.c, pem.c, json_span.c,
 *                        cbor.c (CBOR heads, allocation-free: DICE evidence),
 *                        bytes.c (hex, base64, constant-time compare), time.c (RFC 3339)
 *   quotes               quote.c (SGX v3), quote_any.c (SGX/TDX v4/v5, display only),
 *                        quote_verify.c (the quote's signatures and bindings)
 *   certificates         x509.c (chains, validity), x509_ctx.c (the OpenSSL library
 *                        contexts they are decoded in), crl.c, pck_ext.c (SGX extension),
 *                        ecdsa.c (raw r||s, x||y), signer.c (MRSIGNER), intel_root.c
 *   RA-TLS               ratls.c (SGX carrier, key binding), ratls_tdx.c (TDX carrier)
 *   collateral           collateral_json.c (Intel's signed JSON), json_tree.c (it, parsed
 *                        into one array with jansson's verdicts), tcb_info.c,
 *                        qe_identity.c, tcb_status.c, collateral_id.c (what to fetch),
 *                        collateral.c + evidence_write.c (the evidence bundle),
 *                        collateral_dcap_qvl.c (dcap-qvl's collateral JSON)
 *   verdict              verify.c (the coordinator, mse_verify), verify_quote.c (raw
 *                        quotes, TDX), verifier.c + verifier_span.h (a reusable verifier
 *                        remembering platform checks that passed), policy.c,
 *                        policy_json.c, verify_json.c (--json)
 *   display              inspect.c (what evidence claims, unverified: mse inspect)
 *   messages and errors  msg.c (bounded text, msg.h), err.c (the <mse/err.h> table)
 *
 * Fetching certificates and collateral is src/net (libmse-net); the Gramine
 * measurement is src/measure (libmse-measure).
 * OpenSSL objects returned by these functions are owned by the caller.
 */
#ifndef MSE_CORE_DCAP_H
#define MSE_CORE_DCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/collateral.h>
#include <mse/err.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/rd.h>
#include <mse/verify.h>

/* ---- der.c ------------------------------------------------------------- */

/* One DER TLV with tag want_tag; value is its contents. MSE_ERR_DER; rd unchanged on error. */
MSE_MUST_USE mse_err mse_der_tlv(struct mse_rd *rd, uint8_t want_tag, struct mse_rd *value)
    MSE_NONNULL(1, 3);
/* The next tag without consuming it. */
MSE_MUST_USE mse_err mse_der_peek_tag(const struct mse_rd *rd, uint8_t *tag) MSE_NONNULL(1, 2);

/* ---- cbor.c ------------------------------------------------------------ */

#define MSE_CBOR_MAX_DEPTH 16
/* One CBOR item head (RFC 8949 3): major type 0-7 and its argument. */
struct mse_cbor_head {
    uint8_t major;
    uint64_t arg;    /* value, length or count; 0 when indefinite */
    bool indefinite; /* additional information 31 (strings, arrays, maps only) */
};
/* All errors are MSE_ERR_RATLS_DICE_FORMAT (the only CBOR the core reads); rd unchanged on error. */
MSE_MUST_USE mse_err mse_cbor_head(struct mse_rd *rd, struct mse_cbor_head *h) MSE_NONNULL(1, 2);
/* Skip one well-formed item, nested at most MSE_CBOR_MAX_DEPTH deep. */
MSE_MUST_USE mse_err mse_cbor_skip(struct mse_rd *rd) MSE_NONNULL(1);
/* A definite byte (major 2) or text (major 3) string: a view of its bytes. */
MSE_MUST_USE mse_err mse_cbor_string(struct mse_rd *rd, uint8_t major, const uint8_t **data,
                                     size_t *len) MSE_NONNULL(1, 3, 4);
/*
 * The head of a definite array (major 4) or map (major 5): *count elements
 * or pairs, already checked to fit in the bytes left (one byte each at least).
 */
MSE_MUST_USE mse_err mse_cbor_container(struct mse_rd *rd, uint8_t major, uint64_t *count)
    MSE_NONNULL(1, 3);

/* ---- pem.c ------------------------------------------------------------- */

/*
 * Next "-----BEGIN <label>-----" block of the reader, base64-decoded into
 * der (capacity cap). Only whitespace (and NUL bytes, which quotes use as a
 * terminator) may surround blocks; anything else is MSE_ERR_PEM. *found is
 * false at the end of the input.
 */
MSE_MUST_USE mse_err mse_pem_next(struct mse_rd *rd, const char *label, uint8_t *der, size_t cap,
                                  size_t *der_len, bool *found) MSE_NONNULL(1, 2, 3, 5, 6);
/* Whether the bytes (after leading whitespace) start a PEM block. */
bool mse_pem_sniff(const uint8_t *data, size_t len);
/*
 * Percent-decode (RFC 3986 %XX) into a fresh buffer the caller frees.
 * Inputs without '%' are copied unchanged. MSE_ERR_PEM on a bad escape.
 */
MSE_MUST_USE mse_err mse_percent_decode(const uint8_t *in, size_t len, uint8_t **out,
                                        size_t *out_len) MSE_NONNULL(3, 4);

/* ---- ecdsa.c ----------------------------------------------------------- */

/* P-256 public key from x||y (big-endian). MSE_ERR_DER if not a curve point. */
MSE_MUST_USE mse_err mse_ec_p256_key(const uint8_t xy[64], EVP_PKEY **out) MSE_NONNULL(1, 2);
/* Whether key is an EC key on P-256. */
bool mse_ec_is_p256(const EVP_PKEY *key);
/*
 * The P-256 domain parameters without a key, for building keys cheaply
 * (EVP_PKEY_dup, then EVP_PKEY_set1_encoded_public_key, which checks the
 * point is on the curve). MSE_ERR_NOMEM, MSE_ERR_CRYPTO.
 */
MSE_MUST_USE mse_err mse_ec_p256_domain(EVP_PKEY **out) MSE_NONNULL(1);
/*
 * A key with `domain`'s parameters (a key-less EVP_PKEY, such as
 * mse_ec_p256_domain's) and the encoded point, which OpenSSL decodes with
 * EC_POINT_oct2point (refusing one off the curve). MSE_ERR_DER, MSE_ERR_NOMEM.
 */
MSE_MUST_USE mse_err mse_ec_key_from_domain(const EVP_PKEY *domain, const uint8_t *point,
                                            size_t point_len, EVP_PKEY **out) MSE_NONNULL(1, 2, 4);
/*
 * *valid = whether sig (r||s, 32 bytes each, big-endian) is an ECDSA
 * signature by key over SHA-256(msg). MSE_ERR_CRYPTO only on library failure.
 */
MSE_MUST_USE mse_err mse_ecdsa_p256_verify(EVP_PKEY *key, const uint8_t *msg, size_t len,
                                           const uint8_t sig[64], bool *valid)
    MSE_NONNULL(1, 4, 5);

/* ---- x509.c ------------------------------------------------------------ */

#define MSE_CERTS_MAX 8
struct mse_certs {
    X509 *c[MSE_CERTS_MAX]; /* decoded certificates (NULL if not decoded) */
    size_t n;
    uint8_t *der;                 /* all DER encodings, back to back (owned) */
    size_t der_off[MSE_CERTS_MAX]; /* where certificate i starts in der */
    size_t der_len[MSE_CERTS_MAX];
};
void mse_certs_free(struct mse_certs *cs);

/*
 * x509_ctx.c: the library contexts made once per process (why: there). Each
 * returns NULL when they could not be made; callers then use OpenSSL's
 * default context (NULL), which gives the same verdicts. Shared, never freed:
 * the caller takes a reference (X509_up_ref) to keep the Intel root.
 */
OSSL_LIB_CTX *mse_x509_dcap_libctx(void);    /* DCAP certificates and CRLs */
OSSL_LIB_CTX *mse_x509_keyless_libctx(void); /* certificates whose key is not decoded */
X509 *mse_x509_intel_root(void);             /* the built-in anchor, decoded in dcap */
const EVP_PKEY *mse_x509_p256_domain(void);  /* mse_ec_p256_domain's parameters */
/* dcap for a key decoded there, else NULL: where its operations run without exporting it. */
OSSL_LIB_CTX *mse_x509_libctx_of(const EVP_PKEY *key);

/*
 * One DER certificate, every byte consumed, decoded in mse_x509_dcap_libctx
 * (one whose key that context does not decode: in OpenSSL's default context).
 * MSE_ERR_CERT_PARSE.
 */
MSE_MUST_USE mse_err mse_x509_from_der(const uint8_t *der, size_t len, X509 **out) MSE_NONNULL(3);
/*
 * Concatenated PEM certificates, in order, read strictly (no percent-decoding:
 * the quote's certification data is PEM as Intel's QVL reads it, so a quote
 * carrying "%2D----BEGIN" is refused). At most MSE_CERTS_MAX (MSE_ERR_LIMIT);
 * at least one (MSE_ERR_PEM). Errors: MSE_ERR_PEM, MSE_ERR_CERT_PARSE.
 */
MSE_MUST_USE mse_err mse_x509_pem_chain(const uint8_t *data, size_t len, struct mse_certs *out)
    MSE_NONNULL(3);
/*
 * The same, but only the first `decode` certificates are decoded into X509
 * (OpenSSL 3.0 spends more on decoding a certificate's public key than on
 * an ECDSA verification; a certificate only compared byte for byte need not
 * be decoded). The others are available as DER (mse_certs_der).
 */
MSE_MUST_USE mse_err mse_x509_pem_chain_partial(const uint8_t *data, size_t len, size_t decode,
                                                struct mse_certs *out) MSE_NONNULL(4);
/*
 * An issuer chain of collateral (PCS "...-Issuer-Chain" headers, RFC 3986
 * percent-encoded; plain PEM passes unchanged): percent-decoded, then read
 * as mse_x509_pem_chain_partial does. Only for collateral, never for quotes.
 */
MSE_MUST_USE mse_err mse_x509_issuer_chain_partial(const uint8_t *data, size_t len, size_t decode,
                                                   struct mse_certs *out) MSE_NONNULL(4);
/*
 * mse_x509_issuer_chain_partial decoding every certificate, except one
 * byte-equal to one of known[] (DER that mse_x509_from_der already decoded):
 * that one is not decoded again, its c[i] is NULL, its DER is there. Same
 * errors as decoding all.
 */
MSE_MUST_USE mse_err mse_x509_issuer_chain_known(const uint8_t *data, size_t len,
                                                 const struct mse_blob *known, size_t nknown,
                                                 struct mse_certs *out) MSE_NONNULL(5);
/* The DER of certificate i. */
void mse_certs_der(const struct mse_certs *cs, size_t i, const uint8_t **der, size_t *len);
/*
 * notBefore / notAfter read from DER without decoding the certificate
 * (RFC 5280 4.1: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ).
 * MSE_ERR_CERT_PARSE.
 */
MSE_MUST_USE mse_err mse_x509_der_validity(const uint8_t *der, size_t len, int64_t *not_before,
                                           int64_t *not_after) MSE_NONNULL(3, 4);
/* Byte-for-byte DER equality. */
bool mse_x509_same(X509 *a, X509 *b);
/* ASN1_TIME as UTC seconds. MSE_ERR_TIME_FORMAT. */
MSE_MUST_USE mse_err mse_asn1_time(const ASN1_TIME *t, int64_t *out) MSE_NONNULL(2);
/* notBefore / notAfter as UTC seconds. */
MSE_MUST_USE mse_err mse_x509_validity(X509 *c, int64_t *not_before, int64_t *not_after)
    MSE_NONNULL(1, 2, 3);
/* Whether the subject's commonName is exactly cn. */
bool mse_x509_subject_cn_is(X509 *c, const char *cn);
/*
 * Verify leaf <- [intermediate] <- anchor with OpenSSL's path validation
 * (signatures, issuer/subject chaining, basicConstraints and pathlen,
 * keyUsage), the anchor being the only trusted certificate. Validity
 * windows are not enforced here (`at` is unused): the coordinator reports
 * them per item (COLLATERAL_TIME). Errors:
 * MSE_ERR_PCK_CHAIN_SIGNATURE, _ISSUER, _CA; MSE_ERR_NOMEM.
 */
MSE_MUST_USE mse_err mse_x509_chain_verify(X509 *leaf, X509 *intermediate, X509 *anchor,
                                           int64_t at) MSE_NONNULL(1, 3);

/* ---- ratls.c: the RA-TLS certificate decoded once ------------------------ */

/*
 * mse_ratls_extract and mse_ratls_check_binding (<mse/ratls.h>) each decode
 * the certificate; the coordinator decodes it once (mse_ratls_load: the same
 * size limit and strictness) and passes it to these, which check exactly the
 * same things. OpenSSL 3.0 spends more on decoding a certificate than on an
 * ECDSA verification, most of it in decoding the key through its provider
 * decoders: `keyless` is a library context without key decoders (a
 * verifier's, or NULL for mse_x509_keyless_libctx), where OpenSSL leaves
 * the key undecoded; these functions never read OpenSSL's decoded key (they
 * build it from the SubjectPublicKeyInfo), so the verdicts are the same.
 */
MSE_MUST_USE mse_err mse_ratls_load(const uint8_t *der, size_t der_len, OSSL_LIB_CTX *keyless,
                                    X509 **out) MSE_NONNULL(4);
MSE_MUST_USE mse_err mse_ratls_extract_x509(X509 *x, uint8_t *buf, size_t cap,
                                            struct mse_ratls *out) MSE_NONNULL(1, 2, 4);
/*
 * p256_domain: mse_ec_p256_domain's parameters (NULL: mse_x509_p256_domain's),
 * from which a P-256 certificate key is built (cheaper than from the curve's
 * name; the same checks and verdicts).
 */
MSE_MUST_USE mse_err mse_ratls_check_binding_x509(X509 *x, const EVP_PKEY *p256_domain,
                                                  const struct mse_ratls *ratls,
                                                  const uint8_t report_data[64],
                                                  enum mse_binding *form, uint8_t *x25519_out)
    MSE_NONNULL(1, 3, 4, 5);

/* ---- crl.c ------------------------------------------------------------- */

/* Sniff DER / PEM / lowercase hex of DER and parse strictly. MSE_ERR_CRL_FORMAT. */
MSE_MUST_USE mse_err mse_crl_load(const uint8_t *data, size_t len, X509_CRL **out)
    MSE_NONNULL(3);
/* Issuer name equals issuer's subject (MSE_ERR_CRL_ISSUER), signature by its key (MSE_ERR_CRL_SIGNATURE). */
MSE_MUST_USE mse_err mse_crl_check_issuer(X509_CRL *crl, X509 *issuer) MSE_NONNULL(1, 2);
/* thisUpdate / nextUpdate (required: MSE_ERR_CRL_FORMAT). */
MSE_MUST_USE mse_err mse_crl_validity(X509_CRL *crl, int64_t *this_update, int64_t *next_update)
    MSE_NONNULL(1, 2, 3);
/* Whether cert's serial is listed (the CRL's issuer is checked by the caller). */
bool mse_crl_lists(X509_CRL *crl, X509 *cert);

/* ---- pck_ext.c --------------------------------------------------------- */

#define MSE_SGX_TYPE_STANDARD 0
#define MSE_SGX_TYPE_SCALABLE 1
#define MSE_SGX_TYPE_SCALABLE_INTEGRITY 2

struct mse_pck_ext {
    uint8_t ppid[16];
    uint8_t comp_svn[16]; /* SGXTCBComp01SVN..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pce_id[2]; /* as in the certificate (big-endian text order "0000") */
    uint8_t fmspc[6];
    uint32_t sgx_type;
    bool have_platform_instance_id;
    uint8_t platform_instance_id[16];
};

/* Parse the SGX extension of the DER value bytes (strict). MSE_ERR_PCK_EXT_FORMAT. */
MSE_MUST_USE mse_err mse_pck_ext_parse(const uint8_t *der, size_t len, struct mse_pck_ext *out)
    MSE_NONNULL(3);
/* Find the extension in a certificate (exactly once) and parse it. */
MSE_MUST_USE mse_err mse_pck_ext_from_cert(X509 *c, struct mse_pck_ext *out) MSE_NONNULL(1, 2);

/* ---- json_span.c -------------------------------------------------------- */

/* JSON whitespace (RFC 8259: space, tab, LF, CR), for json_span.c and json_tree.c. */
static inline bool mse_json_is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline void mse_json_skip_ws(struct mse_rd *rd)
{
    struct mse_rd t = *rd;
    uint8_t c;
    while (mse_rd_u8(&t, &c) == MSE_OK && mse_json_is_ws(c))
        *rd = t;
}

/*
 * The raw bytes of the value of top-level member `key` of a JSON object, as
 * they appear in the text (what Intel signs). The key must appear in the
 * text unescaped. The text must already have been validated as JSON by
 * jansson (with duplicate keys refused); this scanner only finds the span.
 * MSE_ERR_JSON if the key is absent or the text is not an object.
 */
MSE_MUST_USE mse_err mse_json_member_span(const uint8_t *text, size_t len, const char *key,
                                          size_t *off, size_t *span_len) MSE_NONNULL(1, 3, 4, 5);

/*
 * The signed envelope {"<member>":{...},"signature":"<hex>"} (either order,
 * whitespace allowed, nothing else): the raw span of the member's object and
 * of the signature's hex digits. Any other key, an escaped key spelling, a
 * repeated key or a signature string that is not plain hex: MSE_ERR_JSON.
 * The member span is not validated as JSON here: the caller parses exactly
 * that span with jansson, which refuses anything but one complete value.
 */
MSE_MUST_USE mse_err mse_json_signed_envelope(const uint8_t *text, size_t len, const char *member,
                                              size_t *span_off, size_t *span_len, size_t *sig_off,
                                              size_t *sig_len) MSE_NONNULL(1, 3, 4, 5, 6, 7);

/* ---- json_tree.c: Intel's signed JSON, read into one array ---------------- */

enum mse_jtype {
    MSE_JSON_OBJECT,
    MSE_JSON_ARRAY,
    MSE_JSON_STRING,
    MSE_JSON_INTEGER,
    MSE_JSON_REAL, /* kept as a type only: no Intel field is a real number */
    MSE_JSON_TRUE,
    MSE_JSON_FALSE,
    MSE_JSON_NULL,
};

/* One value; its children follow it (an object's as key, value, key, value...). */
struct mse_jval {
    uint8_t type;   /* enum mse_jtype */
    uint32_t size;  /* values in this one's subtree, itself included: v + v->size is the next */
    uint32_t count; /* object: members; array: elements */
    uint32_t len;   /* string: bytes, without the NUL that ends str */
    union {
        const char *str; /* string: NUL-terminated, no NUL inside (jansson refuses \u0000) */
        int64_t integer;
    };
};

struct mse_jdoc {
    struct mse_jval *v; /* v[0] is the top-level value (owned) */
    size_t n, cap;      /* values used, allocated */
    char *strings;      /* every string of the document (owned) */
    size_t used, strings_cap;
};

/*
 * Parse JSON text with exactly mse_json_load_strict's verdicts and values
 * (MSE_ERR_JSON, MSE_ERR_JSON_DUPLICATE_KEY, MSE_ERR_LIMIT; MSE_ERR_NOMEM).
 * Free with mse_jdoc_free (also safe after a failure).
 */
MSE_MUST_USE mse_err mse_jdoc_parse(const uint8_t *text, size_t len, struct mse_jdoc *out)
    MSE_NONNULL(3);
void mse_jdoc_free(struct mse_jdoc *d) MSE_NONNULL(1);
/* The value of member `key` of obj; NULL when obj is not an object or has no such key. */
const struct mse_jval *mse_jval_member(const struct mse_jval *obj, const char *key)
    MSE_NONNULL(2);
/* Element i of arr; NULL when arr is not an array or is shorter. */
const struct mse_jval *mse_jval_element(const struct mse_jval *arr, size_t i);

/* ---- tcb_info.c / qe_identity.c ------------------------------------------ */

#define MSE_COLLATERAL_JSON_MAX (1u << 20) /* 1 MiB: real TCB info is ~10 KiB */

struct mse_tcb_level_match {
    enum mse_tcb_status status;
    char tcb_date[32];
    char advisories[MSE_MAX_ADVISORIES][24];
    size_t advisory_count;
};

struct mse_tcb_info {
    int version; /* 2 or 3 */
    int64_t issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    uint32_t tcb_evaluation_data_number;
    struct mse_jdoc doc;   /* the signed "tcbInfo" object, parsed from its raw span (owned) */
    uint8_t signature[64]; /* r||s */
    const uint8_t *signed_data; /* view into the caller's body: raw "tcbInfo" value */
    size_t signed_len;
};

/* Parse the body {"tcbInfo":{...},"signature":"..."}: MSE_ERR_TCB_INFO_FORMAT, _VERSION, MSE_ERR_JSON*. */
MSE_MUST_USE mse_err mse_tcb_info_parse(const uint8_t *body, size_t len, struct mse_tcb_info *out)
    MSE_NONNULL(1, 3);
void mse_tcb_info_free(struct mse_tcb_info *t);
/* Signature by the TCB signing key over the raw tcbInfo bytes: MSE_ERR_TCB_INFO_SIGNATURE. */
MSE_MUST_USE mse_err mse_tcb_info_verify_signature(const struct mse_tcb_info *t, EVP_PKEY *key)
    MSE_NONNULL(1, 2);
/*
 * FMSPC and PCE-ID match (MSE_ERR_TCB_INFO_FMSPC_MISMATCH, _PCEID_MISMATCH),
 * then the first level whose 16 component SVNs and PCESVN are <= the PCK's
 * (MSE_ERR_TCB_NOT_SUPPORTED if none).
 */
MSE_MUST_USE mse_err mse_tcb_info_match(const struct mse_tcb_info *t, const struct mse_pck_ext *pck,
                                        struct mse_tcb_level_match *out) MSE_NONNULL(1, 2, 3);

struct mse_qe_identity {
    int64_t issue_date, next_update;
    uint32_t tcb_evaluation_data_number;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    struct mse_jdoc doc; /* the signed "enclaveIdentity" object (owned) */
    uint8_t signature[64];
    const uint8_t *signed_data;
    size_t signed_len;
};

MSE_MUST_USE mse_err mse_qe_identity_parse(const uint8_t *body, size_t len,
                                           struct mse_qe_identity *out) MSE_NONNULL(1, 3);
void mse_qe_identity_free(struct mse_qe_identity *q);
MSE_MUST_USE mse_err mse_qe_identity_verify_signature(const struct mse_qe_identity *q,
                                                      EVP_PKEY *key) MSE_NONNULL(1, 2);
/*
 * QE report against the identity: MRSIGNER, ISVPRODID, MISCSELECT and
 * ATTRIBUTES under their masks (MSE_ERR_QE_IDENTITY_*), then the QE TCB
 * level for its ISVSVN (MSE_ERR_QE_TCB_NOT_SUPPORTED).
 */
MSE_MUST_USE mse_err mse_qe_identity_match(const struct mse_qe_identity *q,
                                           const struct mse_report_body *qe_report,
                                           struct mse_tcb_level_match *out) MSE_NONNULL(1, 2, 3);

/* ---- collateral_json.c: helpers shared by tcb_info.c and qe_identity.c ---- */

/*
 * Load JSON text strictly (JSON_REJECT_DUPLICATES, no NUL bytes, size
 * limit). MSE_ERR_JSON, MSE_ERR_JSON_DUPLICATE_KEY, MSE_ERR_LIMIT.
 */
MSE_MUST_USE mse_err mse_json_load_strict(const uint8_t *text, size_t len, json_t **out)
    MSE_NONNULL(3);
/*
 * The signed body {"<member>":{...},"signature":"<128 hex>"}: exactly these
 * two keys. Returns the signed object parsed from its own raw span (so
 * fields come from the signed bytes; mse_jdoc_parse, its v[0] an object),
 * the span, and the signature. `fmt` is the format error to report.
 */
MSE_MUST_USE mse_err mse_collateral_signed_body(const uint8_t *body, size_t len, const char *member,
                                                mse_err fmt, struct mse_jdoc *signed_doc,
                                                const uint8_t **span, size_t *span_len,
                                                uint8_t sig[64]) MSE_NONNULL(1, 3, 5, 6, 7, 8);
/* Required fields of an object; each returns `fmt` when absent or mistyped. */
MSE_MUST_USE mse_err mse_json_field_hex(const struct mse_jval *o, const char *key, uint8_t *out,
                                        size_t n, mse_err fmt);
MSE_MUST_USE mse_err mse_json_field_uint(const struct mse_jval *o, const char *key, uint32_t max,
                                         uint32_t *out, mse_err fmt);
MSE_MUST_USE mse_err mse_json_field_time(const struct mse_jval *o, const char *key, int64_t *out,
                                         mse_err fmt);
MSE_MUST_USE mse_err mse_json_field_str(const struct mse_jval *o, const char *key,
                                        const char **out, mse_err fmt);
/*
 * The status, date and advisory IDs of a TCB level object into out;
 * `allowed` is a MSE_TCB_MASK set of statuses valid in this model.
 */
MSE_MUST_USE mse_err mse_tcb_level_parse(const struct mse_jval *level, uint32_t allowed,
                                         struct mse_tcb_level_match *out, mse_err fmt);
/* Combined status, as QVL's convergeTcbStatusWithQeTcbStatus. */
enum mse_tcb_status mse_tcb_status_converge(enum mse_tcb_status platform, enum mse_tcb_status qe);

/* ---- collateral.c: bump allocation in a caller's buffer (also collateral_dcap_qvl.c) ---- */

struct mse_arena {
    uint8_t *buf;
    size_t cap, used; /* bytes in buf, bytes handed out */
};
/* n bytes of the buffer at *out; MSE_ERR_BUFFER_TOO_SMALL when they do not fit. */
MSE_MUST_USE mse_err mse_arena_take(struct mse_arena *a, size_t n, uint8_t **out);

/* ---- verify_json.c: writing helpers shared with policy_json.c ------------ */

/* Up to 64 bytes as a lowercase hex JSON string; NULL when longer or out of memory. */
json_t *mse_json_hex(const uint8_t *b, size_t n);
/* o[k] = v (taken over); clears *ok when v is NULL or the set fails, so one check ends a build. */
void mse_json_put(json_t *o, const char *k, json_t *v, bool *ok);

/* ---- quote_verify.c ------------------------------------------------------ */

/* QE report signed by the PCK leaf key: MSE_ERR_QE_REPORT_SIGNATURE. */
MSE_MUST_USE mse_err mse_quote_verify_qe_report(const struct mse_quote *q, EVP_PKEY *pck_key)
    MSE_NONNULL(1);
/* QE REPORTDATA = SHA-256(attestation key || QE auth data) || 0^32: MSE_ERR_QE_REPORT_DATA. */
MSE_MUST_USE mse_err mse_quote_verify_qe_report_data(const struct mse_quote *q) MSE_NONNULL(1);
/* header || body signed by the attestation key: MSE_ERR_QUOTE_SIGNATURE. */
MSE_MUST_USE mse_err mse_quote_verify_signature(const struct mse_quote *q) MSE_NONNULL(1);
/*
 * The same with att_key, the quote's attestation key already decoded by the
 * caller from q->att_public_key (exactly those bytes), or NULL to decode it.
 */
MSE_MUST_USE mse_err mse_quote_verify_signature_by(const struct mse_quote *q, EVP_PKEY *att_key)
    MSE_NONNULL(1);

/* ---- policy.c ------------------------------------------------------------ */

/* Fill checks TCB_STATUS, DEBUG, MRSIGNER, MRENCLAVE and ISV from verified fields. */
void mse_policy_evaluate(const struct mse_policy *p, struct mse_verify_result *r)
    MSE_NONNULL(1, 2);

/* ---- verify.c / verify_quote.c: raw quotes and the TDX carrier ----------------- */

struct mse_msg;
struct mse_ratls;
/* CERT check of a raw quote: no certificate (not applicable); the quote is taken as given. */
MSE_MUST_USE mse_err mse_verify_raw_quote_cert(const uint8_t *quote, size_t len,
                                               struct mse_ratls *ratls, struct mse_msg *m,
                                               bool *not_applicable);
/* BINDING check of a raw quote: REPORTDATA against the policy's expected value, if any. */
MSE_MUST_USE mse_err mse_verify_raw_quote_binding(const struct mse_policy *p,
                                                  const struct mse_quote *q,
                                                  struct mse_verify_result *r, struct mse_msg *m,
                                                  bool *not_applicable);
/*
 * A certificate without an SGX quote: MSE_ERR_QUOTE_TDX when it carries a TDX
 * quote (extension 1.2.840.113741.1337.8), else MSE_ERR_RATLS_NO_QUOTE.
 */
MSE_MUST_USE mse_err mse_verify_tdx_carrier(const uint8_t *der, size_t len, struct mse_msg *m);

#endif
