/*
 * mse error codes: one stable enum for the library, the CLI and the servers.
 *
 * Values are grouped by range and never renumbered or reused; a retired value
 * leaves a gap. Ranges:
 *   0        ok
 *   1xx      usage (bad arguments from the caller)
 *   2xx      parse (untrusted bytes that are not what they claim to be)
 *   3xx      crypto and chain (signatures, certificate chains, CRLs)
 *   4xx      collateral, TCB and policy verdicts
 *   5xx      I/O: files, network, PCCS, servers
 *
 * Each entry names the exit class the `mse` command maps it to (see
 * docs/exit-codes.md). Name, exit class and message come from the single list
 * below, so a value cannot exist without its text (tests/unit/err_test.c).
 */
#ifndef MSE_ERR_H
#define MSE_ERR_H

#include <mse/export.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MSE_MUST_USE __attribute__((warn_unused_result))
#define MSE_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define MSE_MUST_USE
#define MSE_NONNULL(...)
#endif

/*
 * Exit classes of the `mse` command. A process exit code is the class value.
 * Documented in docs/exit-codes.md; never renumbered.
 */
enum mse_exit {
    MSE_EXIT_OK = 0,
    MSE_EXIT_INTERNAL = 1,       /* bug or resource exhaustion */
    MSE_EXIT_USAGE = 2,          /* bad command line */
    MSE_EXIT_FORMAT = 3,         /* input bytes malformed (quote, cert, collateral) */
    MSE_EXIT_NOT_GENUINE = 10,   /* check 1: DCAP chain, signature or identity failed */
    MSE_EXIT_COLLATERAL = 11,    /* check 1: collateral or the certificate expired or not yet valid */
    MSE_EXIT_TCB = 12,           /* check 1: TCB status not accepted by policy */
    MSE_EXIT_BINDING = 13,       /* certificate key not bound to the quote */
    MSE_EXIT_DEBUG = 14,         /* debug enclave refused */
    MSE_EXIT_SIGNER = 15,        /* check 2: MRSIGNER is not the operator's */
    MSE_EXIT_FINGERPRINT = 16,   /* check 3: MRENCLAVE is not the owner's code */
    MSE_EXIT_NO_ENCLAVE = 17,    /* server certificate carries no quote */
    MSE_EXIT_TDX = 18,           /* a TDX quote: recognised, not verified yet */
    MSE_EXIT_NETWORK = 20,       /* could not reach the app server */
    MSE_EXIT_PCCS = 21,          /* could not obtain collateral */
    MSE_EXIT_IO = 22,            /* local file error */
};

/* X(NAME, value, exit class, message) */
#define MSE_ERR_LIST(X)                                                                        \
    X(MSE_OK, 0, OK, "success")                                                                \
    /* 1xx usage */                                                                            \
    X(MSE_ERR_ARG, 100, USAGE, "invalid argument")                                             \
    X(MSE_ERR_ARG_HEX, 101, USAGE, "argument is not the expected number of hex digits")        \
    X(MSE_ERR_ARG_TIME, 102, USAGE, "time is not an RFC 3339 UTC instant")                     \
    X(MSE_ERR_ARG_CONFLICT, 103, USAGE, "mutually exclusive options given together")           \
    X(MSE_ERR_ARG_MISSING, 104, USAGE, "a required argument is missing")                       \
    X(MSE_ERR_UNSUPPORTED, 105, USAGE, "not supported")                                        \
    X(MSE_ERR_BUFFER_TOO_SMALL, 106, INTERNAL, "output buffer too small")                      \
    X(MSE_ERR_NOMEM, 107, INTERNAL, "out of memory")                                           \
    X(MSE_ERR_INTERNAL, 108, INTERNAL, "internal error")                                       \
    X(MSE_ERR_LIMIT, 109, FORMAT, "input exceeds a size limit")                                \
    X(MSE_ERR_UNVERIFIED_CERT, 110, USAGE,                                                     \
      "certificate has no matching record of a successful mse verify")                         \
    /* 2xx parse: generic reader */                                                            \
    X(MSE_ERR_TRUNCATED, 200, FORMAT, "input truncated")                                       \
    X(MSE_ERR_TRAILING_BYTES, 201, FORMAT, "unexpected bytes after the end of the structure")  \
    X(MSE_ERR_HEX, 202, FORMAT, "malformed hex")                                               \
    X(MSE_ERR_BASE64, 203, FORMAT, "malformed base64")                                         \
    X(MSE_ERR_PEM, 204, FORMAT, "malformed PEM")                                               \
    X(MSE_ERR_DER, 205, FORMAT, "malformed DER")                                               \
    X(MSE_ERR_JSON, 206, FORMAT, "malformed JSON")                                             \
    X(MSE_ERR_JSON_DUPLICATE_KEY, 207, FORMAT, "JSON object has a duplicate key")              \
    X(MSE_ERR_JSON_FIELD, 208, FORMAT, "JSON field missing or of the wrong type")              \
    X(MSE_ERR_TIME_FORMAT, 209, FORMAT, "malformed timestamp")                                 \
    /* 2xx parse: quote (210-239) */                                                           \
    X(MSE_ERR_QUOTE_TRUNCATED, 210, FORMAT, "quote truncated")                                 \
    X(MSE_ERR_QUOTE_VERSION, 211, FORMAT, "unsupported quote version")                         \
    X(MSE_ERR_QUOTE_KEY_TYPE, 212, FORMAT, "unsupported attestation key type")                 \
    X(MSE_ERR_QUOTE_TEE_TYPE, 213, FORMAT, "unsupported TEE type")                             \
    X(MSE_ERR_QUOTE_CERT_DATA_TYPE, 214, FORMAT, "unsupported QE certification data type")    \
    X(MSE_ERR_QUOTE_LENGTH, 215, FORMAT, "quote length field inconsistent")                    \
    X(MSE_ERR_QUOTE_TRAILING, 216, FORMAT, "bytes after the end of the quote")                 \
    X(MSE_ERR_QUOTE_QE_VENDOR, 217, NOT_GENUINE, "QE vendor ID is not Intel's")                \
    X(MSE_ERR_QUOTE_PCK_CHAIN_FORMAT, 218, FORMAT, "PCK chain in the quote is malformed")      \
    X(MSE_ERR_QUOTE_PCK_CHAIN_LENGTH, 219, NOT_GENUINE,                                        \
      "PCK chain in the quote is not exactly leaf, intermediate and root")                     \
    X(MSE_ERR_QUOTE_TDX, 220, TDX, "TDX quote: not supported yet")                             \
    /* 2xx parse: RA-TLS certificate (240-259) */                                              \
    X(MSE_ERR_CERT_PARSE, 240, FORMAT, "certificate is not valid X.509")                       \
    X(MSE_ERR_RATLS_NO_QUOTE, 241, NO_ENCLAVE, "certificate carries no SGX quote extension")   \
    X(MSE_ERR_RATLS_MULTIPLE, 242, FORMAT, "certificate carries more than one quote extension") \
    X(MSE_ERR_RATLS_DICE_FORMAT, 243, FORMAT, "TCG DICE tagged evidence is malformed")         \
    X(MSE_ERR_RATLS_KEY_TYPE, 244, BINDING, "certificate public key type not supported")       \
    /* 2xx parse: collateral (260-289) */                                                      \
    X(MSE_ERR_TCB_INFO_FORMAT, 260, FORMAT, "TCB info is malformed")                           \
    X(MSE_ERR_TCB_INFO_VERSION, 261, FORMAT, "unsupported TCB info version")                   \
    X(MSE_ERR_QE_IDENTITY_FORMAT, 262, FORMAT, "QE identity is malformed")                     \
    X(MSE_ERR_QE_IDENTITY_VERSION, 263, FORMAT, "unsupported QE identity version")             \
    X(MSE_ERR_CRL_FORMAT, 264, FORMAT, "CRL is malformed")                                     \
    X(MSE_ERR_EVIDENCE_FORMAT, 265, FORMAT, "evidence bundle is malformed")                    \
    X(MSE_ERR_PCK_EXT_FORMAT, 266, FORMAT, "PCK certificate SGX extensions are malformed")     \
    X(MSE_ERR_CHAIN_FORMAT, 267, FORMAT, "issuer chain is malformed")                          \
    X(MSE_ERR_COLLATERAL_MISSING, 268, PCCS, "a required collateral item is missing")          \
    X(MSE_ERR_COLLATERAL_PCK_MISMATCH, 269, NOT_GENUINE,                                       \
      "PCK certificate chain given as collateral differs from the quote's")                    \
    /* 2xx parse: manifest, TOML, ELF, context (290-299 and 600-649) */                        \
    X(MSE_ERR_TOML, 290, FORMAT, "malformed TOML")                                             \
    X(MSE_ERR_MANIFEST, 291, FORMAT, "manifest is invalid")                                    \
    X(MSE_ERR_ELF, 292, FORMAT, "ELF file is malformed or unsupported")                        \
    X(MSE_ERR_CONTEXT, 293, FORMAT, "context file is invalid")                                 \
    X(MSE_ERR_POLICY_FORMAT, 294, FORMAT, "policy file is invalid")                            \
    X(MSE_ERR_TEMPLATE, 295, FORMAT, "manifest template is invalid or uses an unset variable") \
    X(MSE_ERR_RUNTIME, 296, FORMAT,                                                            \
      "runtime definition is invalid or does not cover a trusted file")                        \
    /* 3xx crypto and chains */                                                                \
    X(MSE_ERR_CRYPTO, 300, INTERNAL, "cryptographic library failure")                          \
    X(MSE_ERR_PCK_CHAIN_SIGNATURE, 301, NOT_GENUINE, "PCK certificate chain signature invalid") \
    X(MSE_ERR_PCK_CHAIN_ISSUER, 302, NOT_GENUINE, "PCK certificate issuer does not match")     \
    X(MSE_ERR_PCK_CHAIN_CA, 303, NOT_GENUINE, "PCK chain CA constraints violated")             \
    X(MSE_ERR_ROOT_UNTRUSTED, 304, NOT_GENUINE, "root CA is not the trusted SGX root")         \
    X(MSE_ERR_PCK_REVOKED, 305, NOT_GENUINE, "PCK certificate revoked")                        \
    X(MSE_ERR_PCK_CA_REVOKED, 306, NOT_GENUINE, "PCK CA certificate revoked")                  \
    X(MSE_ERR_CRL_ISSUER, 307, NOT_GENUINE, "CRL issuer does not match")                       \
    X(MSE_ERR_CRL_SIGNATURE, 308, NOT_GENUINE, "CRL signature invalid")                        \
    X(MSE_ERR_TCB_SIGNING_CHAIN, 309, NOT_GENUINE, "TCB signing certificate chain invalid")    \
    X(MSE_ERR_TCB_INFO_SIGNATURE, 310, NOT_GENUINE, "TCB info signature invalid")              \
    X(MSE_ERR_QE_IDENTITY_SIGNATURE, 311, NOT_GENUINE, "QE identity signature invalid")        \
    X(MSE_ERR_QE_REPORT_SIGNATURE, 312, NOT_GENUINE, "QE report signature invalid")            \
    X(MSE_ERR_QE_REPORT_DATA, 313, NOT_GENUINE,                                                \
      "QE report data does not bind the attestation key")                                      \
    X(MSE_ERR_QUOTE_SIGNATURE, 314, NOT_GENUINE, "quote signature invalid")                    \
    X(MSE_ERR_BINDING_MISMATCH, 315, BINDING,                                                  \
      "certificate public key is not bound by the quote report data")                          \
    X(MSE_ERR_CERT_SIGNATURE, 316, BINDING, "certificate self-signature invalid")              \
    X(MSE_ERR_PCK_CHAIN_VALIDITY, 317, COLLATERAL, "PCK chain certificate not valid at this time") \
    X(MSE_ERR_CRL_MISSING, 318, NOT_GENUINE, "no CRL for a certificate in the chain")          \
    /* 4xx collateral and TCB */                                                               \
    X(MSE_ERR_COLLATERAL_EXPIRED, 400, COLLATERAL, "collateral expired")                       \
    X(MSE_ERR_COLLATERAL_NOT_YET_VALID, 401, COLLATERAL, "collateral not yet valid")           \
    X(MSE_ERR_CRL_EXPIRED, 402, COLLATERAL, "CRL expired")                                     \
    X(MSE_ERR_TCB_INFO_EXPIRED, 403, COLLATERAL, "TCB info expired")                           \
    X(MSE_ERR_QE_IDENTITY_EXPIRED, 404, COLLATERAL, "QE identity expired")                     \
    X(MSE_ERR_RATLS_CERT_VALIDITY, 405, COLLATERAL,                                            \
      "RA-TLS certificate expired or not yet valid")                                           \
    X(MSE_ERR_TCB_INFO_FMSPC_MISMATCH, 410, NOT_GENUINE, "TCB info FMSPC differs from the PCK's") \
    X(MSE_ERR_TCB_INFO_PCEID_MISMATCH, 411, NOT_GENUINE, "TCB info PCE ID differs from the PCK's") \
    X(MSE_ERR_TCB_NOT_SUPPORTED, 412, NOT_GENUINE, "no TCB level matches this platform")       \
    X(MSE_ERR_TCB_STATUS, 413, TCB, "TCB status not accepted by policy")                       \
    X(MSE_ERR_TCB_REVOKED, 414, NOT_GENUINE, "platform TCB is revoked")                        \
    X(MSE_ERR_QE_IDENTITY_MRSIGNER, 420, NOT_GENUINE, "QE MRSIGNER differs from QE identity")  \
    X(MSE_ERR_QE_IDENTITY_ISVPRODID, 421, NOT_GENUINE, "QE ISVPRODID differs from QE identity") \
    X(MSE_ERR_QE_IDENTITY_MISCSELECT, 422, NOT_GENUINE, "QE MISCSELECT differs from QE identity") \
    X(MSE_ERR_QE_IDENTITY_ATTRIBUTES, 423, NOT_GENUINE, "QE ATTRIBUTES differ from QE identity") \
    X(MSE_ERR_QE_TCB_NOT_SUPPORTED, 424, NOT_GENUINE, "QE ISVSVN matches no QE TCB level")     \
    X(MSE_ERR_QE_TCB_REVOKED, 425, NOT_GENUINE, "QE TCB is revoked")                           \
    X(MSE_ERR_QE_TCB_STATUS, 426, TCB, "QE TCB status not accepted by policy")                 \
    /* 4xx policy after DCAP */                                                                \
    X(MSE_ERR_POLICY_DEBUG, 450, DEBUG, "enclave runs in debug mode")                          \
    X(MSE_ERR_POLICY_MRSIGNER, 451, SIGNER, "MRSIGNER is not the expected operator's")         \
    X(MSE_ERR_POLICY_MRENCLAVE, 452, FINGERPRINT, "MRENCLAVE differs from the code fingerprint") \
    X(MSE_ERR_POLICY_ISVPRODID, 453, NOT_GENUINE, "ISVPRODID differs from the expected value") \
    X(MSE_ERR_POLICY_ISVSVN, 454, NOT_GENUINE, "ISVSVN below the required minimum")            \
    X(MSE_ERR_POLICY_REPORT_DATA, 455, BINDING, "REPORTDATA differs from the expected value")   \
    /* 46x the certificate and the target the user named */                                   \
    X(MSE_ERR_CERT_NAME_MISMATCH, 460, BINDING,                                                \
      "certificate names (subjectAltName) do not cover the host")                              \
    /* 5xx I/O */                                                                              \
    X(MSE_ERR_IO, 500, IO, "I/O error")                                                        \
    X(MSE_ERR_FILE_NOT_FOUND, 501, IO, "file not found")                                       \
    X(MSE_ERR_FILE_WRITE, 502, IO, "could not write file")                                     \
    X(MSE_ERR_RUNTIME_FILE, 503, IO, "no runtime file with the SHA-256 the runtime pins")      \
    X(MSE_ERR_NET_RESOLVE, 510, NETWORK, "could not resolve host")                             \
    X(MSE_ERR_NET_CONNECT, 511, NETWORK, "could not connect")                                  \
    X(MSE_ERR_NET_TIMEOUT, 512, NETWORK, "connection timed out")                               \
    X(MSE_ERR_NET_TLS, 513, NETWORK, "TLS handshake failed")                                   \
    X(MSE_ERR_NET_NO_CERT, 514, NETWORK, "server presented no certificate")                    \
    X(MSE_ERR_PCCS_UNREACHABLE, 520, PCCS, "PCCS unreachable")                                 \
    X(MSE_ERR_PCCS_TIMEOUT, 521, PCCS, "PCCS request timed out")                               \
    X(MSE_ERR_PCCS_HTTP, 522, PCCS, "PCCS answered with an HTTP error")                        \
    X(MSE_ERR_PCCS_TLS, 523, PCCS, "PCCS TLS certificate not trusted")                         \
    X(MSE_ERR_PCCS_BODY, 524, PCCS, "PCCS answer malformed")                                   \
    X(MSE_ERR_PCCS_NOT_FOUND, 525, PCCS, "PCCS has no collateral for this platform")           \
    X(MSE_ERR_CACHE_MISS, 526, PCCS, "collateral not in the offline cache")                    \
    X(MSE_ERR_SERVER, 540, IO, "server error")                                                 \
    X(MSE_ERR_CONFIG_REFUSED, 541, IO, "configuration refused by the server")

enum mse_err {
#define MSE_ERR_ENUM_(name, value, exit_class, msg) name = value,
    MSE_ERR_LIST(MSE_ERR_ENUM_)
#undef MSE_ERR_ENUM_
};
typedef enum mse_err mse_err;

/* Stable symbolic name ("MSE_ERR_PCK_REVOKED"); "MSE_ERR_UNKNOWN" for an unlisted value. */
MSE_EXTERN const char *mse_err_name(mse_err err);
/* One-line human message; never NULL. */
MSE_EXTERN const char *mse_err_str(mse_err err);
/* Process exit code of the `mse` command for this error. */
MSE_EXTERN enum mse_exit mse_err_exit(mse_err err);
/* Whether err is a listed value (used by tests and by callers validating input). */
MSE_EXTERN int mse_err_known(int value);

#ifdef __cplusplus
}
#endif
#endif
