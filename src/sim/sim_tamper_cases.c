/*
 * The tamper cases (see sim_tamper.h): one row per case, in the order the
 * set is written. A row needing another case's files comes after it
 * (pck-issuer-other-name reads forged-intel-root's PKI).
 */
#include "sim_tamper.h"

#include <mse/verify.h>

#define QUOTE(n, op_, off_, v_, w_, want_, d) \
    {.name = n, .want = want_, .desc = d, .kind = T_QUOTE, .q = {op_, off_, v_, w_, CA_OWN, 0}}
#define CERT(n, flags_, want_, d) \
    {.name = n, .want = want_, .desc = d, .kind = T_QUOTE, .q = {.op = Q_NONE, .flags = flags_}}
#define PKI(n, edit_, v_, want_, d) \
    {.name = n, .want = want_, .desc = d, .kind = T_PKI, .pki = {edit_, v_}}
#define COL(n, op_, field_, from_, to_, want_, d)                                     \
    {.name = n, .want = want_, .desc = d, .kind = T_COLLATERAL,                       \
     .col = {op_, field_, from_, to_}}
#define TRUNC(n, want_)                                                               \
    QUOTE("quote-truncated-" #n, Q_TRUNCATE, n, 0, 0, want_,                          \
          "quote cut after " #n " bytes (a field boundary)")
#define TOLERANT "--allow-expired-collateral\n"

const struct tamper_case mse_sim_tamper_cases[] = {
    CERT("good", 0, MSE_OK, "reference case (verifies with --trust-root root.pem only)"),

    /* PKI shapes. */
    PKI("forged-intel-root", P_INTEL_NAMES, 0, MSE_ERR_ROOT_UNTRUSTED,
        "test root with Intel's names, checked against the genuine Intel root"),
    PKI("revoked-pck", P_REVOKE_PCK, 0, MSE_ERR_PCK_REVOKED, "PCK leaf listed in the PCK CRL"),
    PKI("revoked-pck-ca", P_REVOKE_CA, 0, MSE_ERR_PCK_CA_REVOKED,
        "PCK CA listed in the root CA CRL"),
    PKI("expired-pck", P_PCK_EXPIRED, 0, MSE_ERR_PCK_CHAIN_VALIDITY,
        "PCK leaf notAfter one minute ago"),
    PKI("tcb-not-supported", P_PCESVN, 2, MSE_ERR_TCB_NOT_SUPPORTED,
        "PCK PCESVN below every TCB level"),
    PKI("tcb-lower-level", P_PCESVN, 1, MSE_ERR_TCB_STATUS,
        "PCK PCESVN matches only the older, OutOfDate TCB level"),
    PKI("tcb-sw-hardening-needed", P_TCB_STATUS, MSE_TCB_SW_HARDENING_NEEDED, MSE_ERR_TCB_STATUS,
        "platform TCB status SWHardeningNeeded"),
    PKI("tcb-configuration-needed", P_TCB_STATUS, MSE_TCB_CONFIGURATION_NEEDED,
        MSE_ERR_TCB_STATUS, "platform TCB status ConfigurationNeeded"),
    PKI("tcb-configuration-and-sw-hardening-needed", P_TCB_STATUS,
        MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, MSE_ERR_TCB_STATUS,
        "platform TCB status ConfigurationAndSWHardeningNeeded"),
    PKI("tcb-out-of-date", P_TCB_STATUS, MSE_TCB_OUT_OF_DATE, MSE_ERR_TCB_STATUS,
        "platform TCB status OutOfDate"),
    PKI("tcb-out-of-date-configuration-needed", P_TCB_STATUS,
        MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, MSE_ERR_TCB_STATUS,
        "platform TCB status OutOfDateConfigurationNeeded"),
    PKI("tcb-revoked", P_TCB_STATUS, MSE_TCB_REVOKED, MSE_ERR_TCB_REVOKED,
        "platform TCB status Revoked"),
    PKI("qe-tcb-out-of-date", P_QE_STATUS, MSE_TCB_OUT_OF_DATE, MSE_ERR_QE_TCB_STATUS,
        "QE TCB status OutOfDate"),
    PKI("qe-tcb-revoked", P_QE_STATUS, MSE_TCB_REVOKED, MSE_ERR_QE_TCB_REVOKED,
        "QE TCB status Revoked"),
    {.name = "collateral-not-yet-valid", .want = MSE_ERR_COLLATERAL_NOT_YET_VALID,
     .desc = "every collateral item issued in an hour, with expired collateral tolerated",
     .kind = T_PKI, .pki = {P_NOT_YET_ISSUED, 0}, .extra_args = TOLERANT},

    /* Collateral, around the good certificate. */
    COL("pck-crl-wrong-signer", C_FROM_OTHER, F_PCK_CRL, NULL, NULL, MSE_ERR_CRL_SIGNATURE,
        "PCK CRL signed by another PKI's CA of the same name"),
    COL("root-crl-wrong-signer", C_FROM_OTHER, F_ROOT_CRL, NULL, NULL, MSE_ERR_CRL_SIGNATURE,
        "root CA CRL signed by another root of the same name"),
    COL("tcb-cert-other-root", C_FROM_OTHER, F_TCB_CERT, NULL, NULL, MSE_ERR_TCB_SIGNING_CHAIN,
        "TCB signing certificate issued by another root"),
    COL("tcbinfo-byte-flipped", C_FLIP_TCB, 0, NULL, NULL, MSE_ERR_TCB_INFO_SIGNATURE,
        "one byte of the signed tcbInfo changed"),
    COL("qeidentity-byte-flipped", C_FLIP_QE, 0, NULL, NULL, MSE_ERR_QE_IDENTITY_SIGNATURE,
        "one byte of the signed enclaveIdentity changed"),
    COL("fmspc-mismatch", C_RESIGN_TCB, 0, "\"fmspc\":\"00906ed50000\"",
        "\"fmspc\":\"00906ed50001\"", MSE_ERR_TCB_INFO_FMSPC_MISMATCH,
        "TCB info for another FMSPC, properly signed"),
    COL("pceid-mismatch", C_RESIGN_TCB, 0, "\"pceId\":\"0000\"", "\"pceId\":\"0100\"",
        MSE_ERR_TCB_INFO_PCEID_MISMATCH, "TCB info for another PCE ID, properly signed"),
    COL("tcbinfo-expired", C_TCB_EXPIRED, 0, NULL, NULL, MSE_ERR_TCB_INFO_EXPIRED,
        "TCB info nextUpdate one minute ago, properly signed"),
    COL("tcb-levels-unsorted", C_TCB_SWAP_LEVELS, 0, NULL, NULL, MSE_ERR_TCB_INFO_FORMAT,
        "TCB levels not in decreasing order (first two swapped), properly signed"),
    COL("tcb-levels-duplicate", C_TCB_DUP_LEVEL, 0, NULL, NULL, MSE_ERR_TCB_INFO_FORMAT,
        "the same TCB level twice, properly signed"),
    COL("pck-crl-expired", C_EXPIRED_PCK_CRL, 0, NULL, NULL, MSE_ERR_CRL_EXPIRED,
        "PCK CRL nextUpdate one minute ago, properly signed"),
    {.name = "pck-crl-expired-tolerated", .want = MSE_OK,
     .desc = "PCK CRL nextUpdate one minute ago, expired collateral tolerated",
     .kind = T_COLLATERAL, .col = {C_EXPIRED_PCK_CRL, 0, NULL, NULL}, .extra_args = TOLERANT},
    COL("qe-mrsigner-mismatch", C_RESIGN_QE, 0, "\"mrsigner\":\"8C4F", "\"mrsigner\":\"9C4F",
        MSE_ERR_QE_IDENTITY_MRSIGNER, "QE identity names another QE MRSIGNER"),
    COL("qe-isvprodid-mismatch", C_RESIGN_QE, 0, "\"isvprodid\":1", "\"isvprodid\":2",
        MSE_ERR_QE_IDENTITY_ISVPRODID, "QE identity names ISVPRODID 2"),
    COL("qe-attributes-mismatch", C_RESIGN_QE, 0, "\"attributes\":\"11", "\"attributes\":\"13",
        MSE_ERR_QE_IDENTITY_ATTRIBUTES, "QE identity expects other ATTRIBUTES"),
    COL("qe-miscselect-mismatch", C_RESIGN_QE, 0, "\"miscselect\":\"00000000\"",
        "\"miscselect\":\"00000001\"", MSE_ERR_QE_IDENTITY_MISCSELECT,
        "QE identity expects another MISCSELECT"),
    COL("garbage-pem", C_GARBAGE_TCB_CERT, 0, NULL, NULL, MSE_ERR_CHAIN_FORMAT,
        "TCB signing certificate PEM whose body is not base64"),

    /* Quote signatures, lengths and types. */
    QUOTE("bad-qe-report-signature", Q_FLIP, Q_QE_SIG + 5, 0, 0, MSE_ERR_QE_REPORT_SIGNATURE,
          "one bit of the QE report signature flipped"),
    QUOTE("wrong-qe-report-data", Q_FLIP, Q_AUTH + 3, 0, 0, MSE_ERR_QE_REPORT_DATA,
          "QE auth data changed: the QE report data no longer binds the attestation key"),
    QUOTE("bad-quote-signature", Q_FLIP, Q_SIG + 7, 0, 0, MSE_ERR_QUOTE_SIGNATURE,
          "one bit of the quote signature flipped"),
    QUOTE("mrenclave-edited", Q_FLIP, Q_MRENCLAVE + 3, 0, 0, MSE_ERR_QUOTE_SIGNATURE,
          "MRENCLAVE changed after signing"),
    QUOTE("attestation-key-swapped", Q_FLIP, Q_ATT + 10, 0, 0, MSE_ERR_QE_REPORT_DATA,
          "attestation public key changed"),
    QUOTE("sig-data-len-max", Q_SET, Q_SIG_LEN, 0xffffffffu, 4, MSE_ERR_QUOTE_TRUNCATED,
          "signature data length 2^32-1"),
    QUOTE("sig-data-len-zero", Q_SET, Q_SIG_LEN, 0, 4, MSE_ERR_QUOTE_LENGTH,
          "signature data length 0"),
    QUOTE("qe-auth-len-max", Q_SET, Q_AUTH_LEN, 0xffff, 2, MSE_ERR_QUOTE_LENGTH,
          "QE auth data length 65535"),
    QUOTE("cert-data-len-max", Q_SET, Q_CERT_LEN, 0xffffffffu, 4, MSE_ERR_QUOTE_LENGTH,
          "certification data length 2^32-1"),
    QUOTE("quote-version-4", Q_SET, 0, 4, 2, MSE_ERR_QUOTE_VERSION, "quote version 4"),
    QUOTE("att-key-type-3", Q_SET, 2, 3, 2, MSE_ERR_QUOTE_KEY_TYPE, "attestation key type 3"),
    QUOTE("tee-type-tdx", Q_SET, 4, 0x81, 4, MSE_ERR_QUOTE_TEE_TYPE, "TEE type 0x81 (TDX)"),
    QUOTE("cert-data-type-6", Q_SET, Q_CERT_TYPE, 6, 2, MSE_ERR_QUOTE_CERT_DATA_TYPE,
          "certification data type 6"),
    QUOTE("pck-chain-2", Q_CHAIN, 2, 0, 0, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH,
          "PCK chain of 2 certificates (leaf, root)"),
    QUOTE("pck-chain-4", Q_CHAIN, 4, 0, 0, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH,
          "PCK chain of 4 certificates (CA twice)"),
    QUOTE("pck-chain-percent-encoded", Q_PERCENT, 0, 0, 0, MSE_ERR_QUOTE_PCK_CHAIN_FORMAT,
          "certification data starting %2D----BEGIN CERTIFICATE (percent-encoded PEM)"),
    {.name = "pck-ca-other-key", .want = MSE_ERR_PCK_CHAIN_ISSUER,
     .desc = "PCK chain's CA has the right name but another key (and its authority key ID names "
             "another root)",
     .kind = T_QUOTE, .q = {Q_CHAIN, 3, 0, 0, CA_OTHER_PKI, 0}},
    {.name = "pck-issuer-other-name", .want = MSE_ERR_PCK_CHAIN_ISSUER,
     .desc = "PCK leaf's issuer is not the chain CA's subject (Intel-named CA)",
     .kind = T_QUOTE, .q = {Q_CHAIN, 3, 0, 0, CA_INTEL_NAMED, 0}},

    /* Truncated at each field boundary (0: the extension is empty, so there is no quote). */
    TRUNC(0, MSE_ERR_RATLS_NO_QUOTE), TRUNC(2, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(4, MSE_ERR_QUOTE_TRUNCATED), TRUNC(8, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(10, MSE_ERR_QUOTE_TRUNCATED), TRUNC(12, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(28, MSE_ERR_QUOTE_TRUNCATED), TRUNC(48, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(432, MSE_ERR_QUOTE_TRUNCATED), TRUNC(436, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(500, MSE_ERR_QUOTE_TRUNCATED), TRUNC(564, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(948, MSE_ERR_QUOTE_TRUNCATED), TRUNC(1012, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(1014, MSE_ERR_QUOTE_TRUNCATED), TRUNC(1046, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(1048, MSE_ERR_QUOTE_TRUNCATED), TRUNC(1052, MSE_ERR_QUOTE_TRUNCATED),
    TRUNC(1062, MSE_ERR_QUOTE_TRUNCATED),

    /* The certificate around the quote. */
    CERT("key-binding-mismatch", TF_UNBIND, MSE_ERR_BINDING_MISMATCH,
         "REPORTDATA binds another key than the certificate's"),
    CERT("debug-enclave", TF_DEBUG, MSE_ERR_POLICY_DEBUG, "ATTRIBUTES.DEBUG set"),
    {.name = "debug-enclave-allowed", .want = MSE_OK,
     .desc = "ATTRIBUTES.DEBUG set, debug enclaves allowed", .kind = T_QUOTE,
     .q = {.op = Q_NONE, .flags = TF_DEBUG}, .extra_args = "--allow-debug\n"},
    {.name = "missing-extension", .want = MSE_ERR_RATLS_NO_QUOTE,
     .desc = "a certificate without the SGX quote extension", .kind = T_NO_EXTENSION},
    {.name = "ratls-cert-expired", .want = MSE_ERR_RATLS_CERT_VALIDITY,
     .desc = "RA-TLS certificate notAfter one minute ago, with expired collateral tolerated",
     .kind = T_QUOTE, .q = {.op = Q_NONE, .flags = TF_CERT_EXPIRED}, .extra_args = TOLERANT},
    CERT("dual-form", TF_DUAL, MSE_OK,
         "legacy quote extension and TCG DICE evidence, both quotes genuine (Gramine >= 1.8)"),
    {.name = "dual-form-bad-legacy-signature", .want = MSE_ERR_QUOTE_SIGNATURE,
     .desc = "two carriers, one bit of the legacy quote's signature flipped",
     .kind = T_QUOTE, .q = {Q_FLIP, Q_SIG + 7, 0, 0, CA_OWN, TF_DUAL}},
    {.name = "dual-form-legacy-other-enclave", .want = MSE_ERR_RATLS_MULTIPLE,
     .desc = "two carriers whose quotes name different MRENCLAVEs",
     .kind = T_QUOTE, .q = {Q_FLIP, Q_MRENCLAVE + 3, 0, 0, CA_OWN, TF_DUAL}},

    /* Expected identity (<case>.args replaces identity.args). */
    {.name = "mrsigner-mismatch", .want = MSE_ERR_POLICY_MRSIGNER,
     .desc = "expected MRSIGNER differs in one bit", .kind = T_IDENTITY, .identity = I_MRSIGNER},
    {.name = "mrenclave-mismatch", .want = MSE_ERR_POLICY_MRENCLAVE,
     .desc = "expected MRENCLAVE (fingerprint) differs in one bit", .kind = T_IDENTITY,
     .identity = I_MRENCLAVE},
};

const size_t mse_sim_tamper_case_count = sizeof mse_sim_tamper_cases / sizeof mse_sim_tamper_cases[0];
