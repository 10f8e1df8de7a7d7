/*
 * The verification coordinator: RA-TLS certificate -> quote -> Intel DCAP
 * (the algorithm of Intel's Quote Verification Library, QVL:
 * PckCertVerifier, PckCrlVerifier, TCBInfoVerifier, EnclaveIdentityV2,
 * QuoteVerifier) against one pinned anchor -> collateral freshness at T ->
 * the mse policy. The checks and their order are MSE_CHECK_LIST in
 * <mse/verify.h>; docs/verification.md gives each one's spec source, the
 * attack it stops and its error codes.
 *
 * Decisive failure (what result->err names), by design:
 *  1. The cryptographic/structural checks CERT .. QUOTE_SIGNATURE run in
 *     list order and stop at the first failure, which is decisive: later
 *     checks depend on what earlier ones established (e.g. TCB info is only
 *     meaningful for a PCK whose chain verified). They run whatever T is,
 *     with validity windows merely recorded, so a forged or tampered item is
 *     reported as such even when it is also expired.
 *  2. Only when all of them passed is freshness judged, COLLATERAL_TIME then
 *     CERT_TIME, the first failing one decisive. COLLATERAL_TIME: every
 *     collateral certificate, CRL, TCB info and QE identity must be valid at
 *     T (not_before <= T < not_after, the same half-open window for all). An
 *     invalid item refuses, naming every invalid item and its date. The
 *     policy may tolerate items past their END only (then WARN, still
 *     named): reviewers, tolerated staleness means revocations and TCB
 *     recoveries published after the items' nextUpdate are unseen. An item
 *     not yet valid at T is never tolerated: T before an item's issue means
 *     a wrong clock or a date-shifted replay, not staleness.
 *     CERT_TIME: the RA-TLS certificate's own window, never tolerated (it is
 *     the server's certificate, which TLS clients will refuse afterwards).
 *  3. Then the policy checks (TCB status, debug, MRSIGNER, MRENCLAVE, ISV)
 *     are all evaluated and reported; the first failing one is decisive.
 * A check that did not run is NOT_RUN; result->ok needs no FAIL anywhere.
 *
 * Pure: no clock, files or printing. Resource failures (allocation, OpenSSL
 * internal errors) are returned as the function's error, never as a
 * verdict about the certificate.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "dcap.h"
#include "msg.h"
#include "verifier_span.h"

struct vctx {
    const struct mse_verify_input *in;
    const uint8_t *raw_quote; /* mse_verify_quote: the quote given without a certificate */
    size_t raw_quote_len;
    const struct mse_policy *policy;
    bool not_applicable; /* set by a check that had nothing to check in this input */
    struct mse_verify_result *r;
    X509 *anchor;
    const uint8_t *anchor_der; /* the anchor as given (compared byte for byte) */
    size_t anchor_len;
    bool intel_anchor; /* the anchor is the built-in Intel SGX Root CA */
    uint8_t *qbuf; /* the quote copied out of the certificate */
    X509 *ratls_cert; /* the RA-TLS certificate, decoded once */
    struct mse_ratls ratls;
    struct mse_quote quote;
    struct mse_quote legacy; /* a dual-form certificate's other quote (ratls.legacy_quote) */
    struct mse_certs pck; /* leaf, CA, root from the quote */
    struct mse_pck_ext ext;
    X509_CRL *root_crl, *pck_crl;
    X509 *tcb_signer;
    struct mse_tcb_info tcb;
    struct mse_qe_identity qe;
    struct mse_tcb_level_match platform_level, qe_level;
    struct mse_msg m; /* detail of the running check */
    unsigned char item_kind[MSE_MAX_VALIDITY_ITEMS]; /* enum item_kind of result->validity[i] */
    struct mse_verifier *memory; /* remembers platform spans; NULL for mse_verify */
    size_t span_first_item;      /* result->validity_count when the platform span began */
};

/* ---- validity items ------------------------------------------------------ */

/* What kind of item a validity window belongs to: its field names and expiry code. */
enum item_kind {
    ITEM_PCK_CHAIN_CERT, /* PCK leaf, PCK CA, root */
    ITEM_OTHER_CERT,     /* TCB signing certificate */
    ITEM_RATLS_CERT,     /* the certificate under verification: CERT_TIME, not collateral */
    ITEM_CRL,
    ITEM_TCB_INFO,
    ITEM_QE_IDENTITY,
};

static const struct {
    const char *not_before, *not_after;
    mse_err expired;
} item_kinds[] = {
    [ITEM_PCK_CHAIN_CERT] = {"notBefore", "notAfter", MSE_ERR_PCK_CHAIN_VALIDITY},
    [ITEM_OTHER_CERT] = {"notBefore", "notAfter", MSE_ERR_COLLATERAL_EXPIRED},
    [ITEM_RATLS_CERT] = {"notBefore", "notAfter", MSE_ERR_RATLS_CERT_VALIDITY},
    [ITEM_CRL] = {"thisUpdate", "nextUpdate", MSE_ERR_CRL_EXPIRED},
    [ITEM_TCB_INFO] = {"issueDate", "nextUpdate", MSE_ERR_TCB_INFO_EXPIRED},
    [ITEM_QE_IDENTITY] = {"issueDate", "nextUpdate", MSE_ERR_QE_IDENTITY_EXPIRED},
};

static void add_validity(struct vctx *v, const char *name, enum item_kind kind, int64_t nb,
                         int64_t na)
{
    struct mse_verify_result *r = v->r;
    if (r->validity_count >= MSE_MAX_VALIDITY_ITEMS)
        return;
    v->item_kind[r->validity_count] = kind;
    struct mse_validity_item *it = &r->validity[r->validity_count++];
    size_t n = strlen(name);
    if (n >= sizeof it->name)
        n = sizeof it->name - 1;
    memcpy(it->name, name, n);
    it->name[n] = '\0';
    it->not_before = nb;
    it->not_after = na;
    it->valid = nb <= v->in->at && v->in->at < na;
}

static mse_err add_cert_validity(struct vctx *v, const char *name, enum item_kind kind, X509 *c)
{
    int64_t nb, na;
    MSE_TRY_AS(mse_x509_validity(c, &nb, &na), MSE_ERR_CERT_PARSE);
    add_validity(v, name, kind, nb, na);
    return MSE_OK;
}

/* ---- the DCAP checks, one function each ------------------------------------ */

static mse_err check_cert(struct vctx *v)
{
    const struct mse_verify_input *in = v->in;
    if (v->raw_quote != NULL)
        return mse_verify_raw_quote_cert(v->raw_quote, v->raw_quote_len, &v->ratls, &v->m,
                                         &v->not_applicable);
    MSE_ENSURE(in->cert_der != NULL && in->cert_len > 0, MSE_ERR_CERT_PARSE);
    MSE_TRY(mse_ratls_load(in->cert_der, in->cert_len,
                           v->memory != NULL ? mse_verifier_keyless(v->memory) : NULL,
                           &v->ratls_cert));
    mse_err e = mse_ratls_extract_x509(v->ratls_cert, v->qbuf, MSE_RATLS_BUF_SIZE, &v->ratls);
    if (e == MSE_ERR_RATLS_NO_QUOTE)
        e = mse_verify_tdx_carrier(in->cert_der, in->cert_len, &v->m);
    MSE_TRY(e);
    int64_t nb, na;
    MSE_TRY(mse_x509_der_validity(in->cert_der, in->cert_len, &nb, &na));
    add_validity(v, "RA-TLS certificate", ITEM_RATLS_CERT, nb, na);
    mse_msg_str(&v->m, v->ratls.carrier == MSE_RATLS_CARRIER_DICE
                           ? "quote found in TCG DICE tagged evidence"
                           : "quote found in extension 1.2.840.113741.1337.6");
    return MSE_OK;
}

static mse_err check_quote(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    MSE_TRY(mse_quote_parse(v->ratls.quote, v->ratls.quote_len, &v->quote));
    if (v->ratls.legacy_quote != NULL)
        MSE_TRY_AS(mse_quote_parse(v->ratls.legacy_quote, v->ratls.legacy_quote_len, &v->legacy),
                   MSE_ERR_RATLS_MULTIPLE);
    r->have_quote = true;
    r->enclave = v->quote.body;
    r->enclave.raw = NULL; /* the quote buffer does not outlive mse_verify */
    r->debug = (v->quote.body.attributes_flags & MSE_SGX_FLAGS_DEBUG) != 0;
    /* QVL: only quotes from Intel's QE are verifiable against Intel's collateral. */
    if (memcmp(v->quote.qe_vendor_id, MSE_INTEL_QE_VENDOR_ID, 16) != 0) {
        mse_msg_str(&v->m, "QE vendor ID ");
        mse_msg_hex(&v->m, v->quote.qe_vendor_id, 16);
        mse_msg_str(&v->m, " is not Intel's");
        return MSE_ERR_QUOTE_QE_VENDOR;
    }
    mse_msg_str(&v->m, "SGX ECDSA-P256 quote v3, ");
    mse_msg_u64(&v->m, v->quote.total_len);
    mse_msg_str(&v->m, " bytes");
    return MSE_OK;
}

static mse_err check_binding(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    if (v->raw_quote != NULL)
        return mse_verify_raw_quote_binding(v->policy, &v->quote, r, &v->m, &v->not_applicable);
    /* A verifier keeps the P-256 parameters, from which the certificate's key is built faster. */
    const EVP_PKEY *domain = v->memory != NULL ? mse_verifier_p256_domain(v->memory) : NULL;
    MSE_TRY(mse_ratls_check_binding_x509(v->ratls_cert, domain, &v->ratls,
                                         v->quote.body.report_data, &r->binding,
                                         r->x25519_public_key));
    if (v->ratls.legacy_quote != NULL) {
        /* The legacy carrier binds the same key its own way (MSE or Gramine form). */
        struct mse_ratls legacy = {.carrier = MSE_RATLS_CARRIER_SGX_QUOTE_OID};
        enum mse_binding form;
        mse_err e = mse_ratls_check_binding_x509(v->ratls_cert, domain, &legacy,
                                                 v->legacy.body.report_data, &form, NULL);
        if (e != MSE_OK) {
            mse_msg_str(&v->m, "the legacy quote beside the DICE evidence does not bind the "
                               "certificate key");
            return e;
        }
    }
    mse_msg_str(&v->m, "certificate key bound by REPORTDATA (");
    mse_msg_str(&v->m, mse_binding_name(r->binding));
    mse_msg_str(&v->m, " form)");
    return MSE_OK;
}

/* Byte-for-byte equality with the trust anchor. */
static bool der_is_anchor(const struct vctx *v, const uint8_t *der, size_t len)
{
    return der != NULL && len == v->anchor_len && memcmp(der, v->anchor_der, len) == 0;
}

static const char CN_PCK_LEAF[] = "Intel SGX PCK Certificate";
static const char CN_PCK_PLATFORM[] = "Intel SGX PCK Platform CA";
static const char CN_PCK_PROCESSOR[] = "Intel SGX PCK Processor CA";
static const char CN_TCB_SIGNING[] = "Intel SGX TCB Signing";

/*
 * What went wrong in mse_x509_chain_verify, without naming a chain: its
 * codes are the PCK chain's, and the TCB signing chain reports its own.
 */
static const char *chain_failure(mse_err e)
{
    switch (e) {
    case MSE_ERR_PCK_CHAIN_SIGNATURE: return "a signature does not verify";
    case MSE_ERR_PCK_CHAIN_ISSUER: return "an issuer does not match the next certificate's subject";
    case MSE_ERR_PCK_CHAIN_CA: return "CA constraints (basicConstraints, keyUsage) violated";
    default: return mse_err_str(e);
    }
}

static mse_err check_pck_chain(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    /* Leaf and CA are decoded; the root is only compared with the anchor, byte for byte. */
    mse_err e = mse_x509_pem_chain_partial(v->quote.cert_data, v->quote.cert_data_len, 2, &v->pck);
    if (e == MSE_ERR_NOMEM)
        return e;
    if (e == MSE_ERR_LIMIT) {
        mse_msg_str(&v->m, "more than 8 certificates in the quote's PCK chain");
        return MSE_ERR_QUOTE_PCK_CHAIN_LENGTH;
    }
    if (e != MSE_OK) {
        mse_msg_str(&v->m, "the quote's certification data is not a PEM certificate chain");
        return MSE_ERR_QUOTE_PCK_CHAIN_FORMAT;
    }
    /* Exactly leaf, PCK CA, root: anything else is not the DCAP profile. */
    if (v->pck.n != 3) {
        mse_msg_str(&v->m, "the quote's PCK chain has ");
        mse_msg_u64(&v->m, v->pck.n);
        mse_msg_str(&v->m, " certificates, expected 3 (leaf, PCK CA, root)");
        return MSE_ERR_QUOTE_PCK_CHAIN_LENGTH;
    }
    X509 *leaf = v->pck.c[0], *ca = v->pck.c[1];
    const uint8_t *root_der;
    size_t root_len;
    int64_t nb, na;
    mse_certs_der(&v->pck, 2, &root_der, &root_len);
    MSE_TRY(add_cert_validity(v, "PCK certificate", ITEM_PCK_CHAIN_CERT, leaf));
    MSE_TRY(add_cert_validity(v, "PCK CA certificate", ITEM_PCK_CHAIN_CERT, ca));
    MSE_TRY(mse_x509_der_validity(root_der, root_len, &nb, &na));
    add_validity(v, "root CA certificate", ITEM_PCK_CHAIN_CERT, nb, na);
    /* A root carrying Intel's names but another key is the classic forgery. */
    if (!der_is_anchor(v, root_der, root_len)) {
        mse_msg_str(&v->m, "the quote's root certificate is not the trusted anchor");
        return MSE_ERR_ROOT_UNTRUSTED;
    }
    /*
     * Intel's profile names (QVL PckCertVerifier). Under another, explicitly
     * given anchor (a test PKI) naming is that anchor owner's business; the
     * structure (CA flags, chaining, byte-equal root) is enforced regardless.
     */
    if (v->intel_anchor &&
        (!mse_x509_subject_cn_is(leaf, CN_PCK_LEAF) ||
         !(mse_x509_subject_cn_is(ca, CN_PCK_PLATFORM) ||
           mse_x509_subject_cn_is(ca, CN_PCK_PROCESSOR)))) {
        mse_msg_str(&v->m, "subject names are not those of an Intel PCK chain");
        return MSE_ERR_PCK_CHAIN_ISSUER;
    }
    mse_err ce = mse_x509_chain_verify(leaf, ca, v->anchor, v->in->at);
    if (ce != MSE_OK) {
        mse_msg_str(&v->m, "PCK chain does not verify to the trusted root: ");
        mse_msg_str(&v->m, chain_failure(ce));
        return ce;
    }
    e = mse_pck_ext_from_cert(leaf, &v->ext);
    if (e != MSE_OK) {
        mse_msg_str(&v->m, "PCK certificate SGX extension (1.2.840.113741.1.13.1) missing or malformed");
        return e;
    }
    memcpy(r->fmspc, v->ext.fmspc, 6);
    r->pce_id = (uint16_t)(v->ext.pce_id[0] << 8 | v->ext.pce_id[1]);
    memcpy(r->pck_cpusvn, v->ext.cpusvn, 16);
    r->pck_pcesvn = v->ext.pcesvn;
    mse_msg_str(&v->m, "PCK chain verifies to the trusted root; FMSPC ");
    mse_msg_hex(&v->m, v->ext.fmspc, 6);
    mse_msg_str(&v->m, ", PCESVN ");
    mse_msg_u64(&v->m, v->ext.pcesvn);
    return MSE_OK;
}

static mse_err load_crl(struct vctx *v, const struct mse_blob *b, const char *name, X509_CRL **out)
{
    if (b->data == NULL || b->len == 0) {
        mse_msg_str(&v->m, name);
        mse_msg_str(&v->m, " missing");
        return MSE_ERR_CRL_MISSING;
    }
    mse_err e = mse_crl_load(b->data, b->len, out);
    if (e != MSE_OK) {
        mse_msg_str(&v->m, name);
        mse_msg_str(&v->m, " is not a DER, PEM or hex-encoded CRL");
        return e;
    }
    int64_t tu, nu;
    MSE_TRY(mse_crl_validity(*out, &tu, &nu));
    add_validity(v, name, ITEM_CRL, tu, nu);
    return MSE_OK;
}

static mse_err crl_issuer(struct vctx *v, X509_CRL *crl, X509 *issuer, const char *name,
                          const char *issuer_name)
{
    mse_err e = mse_crl_check_issuer(crl, issuer);
    if (e != MSE_OK) {
        mse_msg_str(&v->m, name);
        mse_msg_str(&v->m, e == MSE_ERR_CRL_ISSUER ? " is not issued by the " : " signature does not verify with the ");
        mse_msg_str(&v->m, issuer_name);
    }
    return e;
}

static mse_err check_root_crl(struct vctx *v)
{
    MSE_TRY(load_crl(v, &v->in->collateral->root_ca_crl, "Root CA CRL", &v->root_crl));
    MSE_TRY(crl_issuer(v, v->root_crl, v->anchor, "Root CA CRL", "trusted root"));
    if (mse_crl_lists(v->root_crl, v->pck.c[1])) {
        mse_msg_str(&v->m, "the PCK CA certificate is revoked by the Root CA CRL");
        return MSE_ERR_PCK_CA_REVOKED;
    }
    mse_msg_str(&v->m, "signed by the trusted root; PCK CA not revoked");
    return MSE_OK;
}

/*
 * Whether the first certificate of ch is `ca` (mse_x509_same). Not decoded
 * by mse_x509_pem_chain_known, it is byte-equal to known[0] (ca's own DER)
 * or to known[1] (the anchor's DER, decoded as `anchor`).
 */
static bool chain_starts_with(const struct mse_certs *ch, const struct mse_blob known[2],
                              X509 *anchor, X509 *ca)
{
    const uint8_t *der;
    size_t len;
    if (ch->c[0] != NULL)
        return mse_x509_same(ch->c[0], ca);
    mse_certs_der(ch, 0, &der, &len);
    if (len == known[0].len && memcmp(der, known[0].data, len) == 0)
        return true;
    return mse_x509_same(anchor, ca);
}

static mse_err check_pck_crl(struct vctx *v)
{
    const struct mse_collateral *col = v->in->collateral;
    MSE_TRY(load_crl(v, &col->pck_crl, "PCK CRL", &v->pck_crl));
    MSE_TRY(crl_issuer(v, v->pck_crl, v->pck.c[1], "PCK CRL", "PCK CA of the quote"));
    /* An issuer chain sent alongside must name the same CA (it adds no trust of its own). */
    if (col->pck_crl_chain.data != NULL && col->pck_crl_chain.len > 0) {
        struct mse_certs ch = {0};
        /* PCCS sends the PCK CA and the root: both already decoded, so not decoded again. */
        struct mse_blob known[2] = {{NULL, 0}, {v->anchor_der, v->anchor_len}};
        mse_certs_der(&v->pck, 1, &known[0].data, &known[0].len);
        mse_err e = mse_x509_issuer_chain_known(col->pck_crl_chain.data, col->pck_crl_chain.len,
                                                known, 2, &ch);
        bool same = e == MSE_OK && chain_starts_with(&ch, known, v->anchor, v->pck.c[1]);
        mse_certs_free(&ch);
        if (e == MSE_ERR_NOMEM)
            return e;
        if (!same) {
            mse_msg_str(&v->m, "the PCK CRL issuer chain does not start with the quote's PCK CA");
            return e == MSE_OK ? MSE_ERR_CRL_ISSUER : MSE_ERR_CHAIN_FORMAT;
        }
    }
    if (mse_crl_lists(v->pck_crl, v->pck.c[0])) {
        mse_msg_str(&v->m, "the PCK certificate is revoked by the PCK CRL");
        return MSE_ERR_PCK_REVOKED;
    }
    mse_msg_str(&v->m, "signed by the PCK CA; PCK certificate not revoked");
    return MSE_OK;
}

/*
 * The TCB signing certificate from an issuer chain (signer [+ root]):
 * chained to the anchor, named as Intel's, not revoked by the Root CA CRL.
 */
static mse_err load_tcb_signer(struct vctx *v, const struct mse_blob *chain, X509 **out)
{
    struct mse_certs ch = {0};
    mse_err err = MSE_OK;
    *out = NULL;
    if (chain->data == NULL || chain->len == 0) {
        mse_msg_str(&v->m, "TCB signing certificate missing");
        return MSE_ERR_COLLATERAL_MISSING;
    }
    err = mse_x509_issuer_chain_partial(chain->data, chain->len, 1, &ch);
    if (err != MSE_OK) {
        mse_msg_str(&v->m, "TCB signing issuer chain is not PEM certificates");
        return err == MSE_ERR_NOMEM ? err : MSE_ERR_CHAIN_FORMAT;
    }
    if (ch.n > 2) {
        mse_msg_str(&v->m, "TCB signing issuer chain has more than signer and root");
        MSE_GOTO_OUT(MSE_ERR_CHAIN_FORMAT);
    }
    const uint8_t *root_der;
    size_t root_len;
    mse_certs_der(&ch, 1, &root_der, &root_len);
    if (ch.n == 2 && !der_is_anchor(v, root_der, root_len)) {
        mse_msg_str(&v->m, "TCB signing issuer chain ends in a root that is not the trusted anchor");
        MSE_GOTO_OUT(MSE_ERR_TCB_SIGNING_CHAIN);
    }
    /* Another Intel-issued certificate (a PCK CA) must not pass for the TCB signer. */
    if (v->intel_anchor && !mse_x509_subject_cn_is(ch.c[0], CN_TCB_SIGNING)) {
        mse_msg_str(&v->m, "TCB signing certificate is not named Intel SGX TCB Signing");
        MSE_GOTO_OUT(MSE_ERR_TCB_SIGNING_CHAIN);
    }
    err = mse_x509_chain_verify(ch.c[0], NULL, v->anchor, v->in->at);
    if (err != MSE_OK) {
        mse_msg_str(&v->m, "TCB signing certificate does not verify to the trusted root: ");
        mse_msg_str(&v->m, chain_failure(err));
        MSE_GOTO_OUT(err == MSE_ERR_NOMEM ? err : MSE_ERR_TCB_SIGNING_CHAIN);
    }
    if (mse_crl_lists(v->root_crl, ch.c[0])) {
        mse_msg_str(&v->m, "TCB signing certificate is revoked by the Root CA CRL");
        MSE_GOTO_OUT(MSE_ERR_TCB_SIGNING_CHAIN);
    }
    *out = ch.c[0];
    ch.c[0] = NULL;
out:
    mse_certs_free(&ch);
    return err;
}

static void merge_advisories(struct mse_verify_result *r, const struct mse_tcb_level_match *l)
{
    for (size_t i = 0; i < l->advisory_count; i++) {
        bool dup = false;
        for (size_t j = 0; j < r->advisory_count && !dup; j++)
            dup = strcmp(r->advisories[j], l->advisories[i]) == 0;
        if (!dup && r->advisory_count < MSE_MAX_ADVISORIES)
            memcpy(r->advisories[r->advisory_count++], l->advisories[i],
                   sizeof r->advisories[0]);
    }
}

static mse_err check_tcb_info(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    const struct mse_collateral *col = v->in->collateral;
    MSE_TRY(load_tcb_signer(v, &col->tcb_info_chain, &v->tcb_signer));
    MSE_TRY(add_cert_validity(v, "TCB signing certificate", ITEM_OTHER_CERT, v->tcb_signer));
    if (col->tcb_info.data == NULL || col->tcb_info.len == 0) {
        mse_msg_str(&v->m, "TCB info missing");
        return MSE_ERR_COLLATERAL_MISSING;
    }
    mse_err e = mse_tcb_info_parse(col->tcb_info.data, col->tcb_info.len, &v->tcb);
    if (e != MSE_OK) {
        mse_msg_str(&v->m, "TCB info is not a valid SGX TCB info v2/v3 body");
        return e;
    }
    add_validity(v, "TCB info", ITEM_TCB_INFO, v->tcb.issue_date, v->tcb.next_update);
    e = mse_tcb_info_verify_signature(&v->tcb, X509_get0_pubkey(v->tcb_signer));
    if (e != MSE_OK) {
        mse_msg_str(&v->m, "TCB info signature does not verify with the TCB signing key");
        return e;
    }
    e = mse_tcb_info_match(&v->tcb, &v->ext, &v->platform_level);
    if (e == MSE_ERR_TCB_INFO_FMSPC_MISMATCH) {
        mse_msg_str(&v->m, "TCB info is for FMSPC ");
        mse_msg_hex(&v->m, v->tcb.fmspc, 6);
        mse_msg_str(&v->m, ", the PCK's is ");
        mse_msg_hex(&v->m, v->ext.fmspc, 6);
        return e;
    }
    if (e == MSE_ERR_TCB_INFO_PCEID_MISMATCH) {
        mse_msg_str(&v->m, "TCB info is for PCE ID ");
        mse_msg_hex(&v->m, v->tcb.pce_id, 2);
        mse_msg_str(&v->m, ", the PCK's is ");
        mse_msg_hex(&v->m, v->ext.pce_id, 2);
        return e;
    }
    if (e == MSE_ERR_TCB_NOT_SUPPORTED) {
        mse_msg_str(&v->m, "no TCB level of the TCB info matches the PCK's TCB (PCESVN ");
        mse_msg_u64(&v->m, v->ext.pcesvn);
        mse_msg_str(&v->m, ")");
        return e;
    }
    MSE_TRY(e);
    r->platform_tcb_status = v->platform_level.status;
    memcpy(r->tcb_date, v->platform_level.tcb_date, sizeof r->tcb_date);
    merge_advisories(r, &v->platform_level);
    mse_msg_str(&v->m, "signed by Intel; platform TCB level ");
    mse_msg_str(&v->m, v->platform_level.tcb_date);
    mse_msg_str(&v->m, ": ");
    mse_msg_str(&v->m, mse_tcb_status_name(v->platform_level.status));
    return MSE_OK;
}

static mse_err check_qe_identity(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    const struct mse_collateral *col = v->in->collateral;
    X509 *signer = v->tcb_signer, *own = NULL;
    mse_err e;
    /*
     * A separate issuer chain is verified like the TCB info's; an absent one
     * means the same signer, and so does the same bytes (PCCS sends the same
     * chain with both): load_tcb_signer would only repeat, on the same bytes,
     * what it did for the TCB info.
     */
    if (col->qe_identity_chain.data != NULL && col->qe_identity_chain.len > 0 &&
        !(col->qe_identity_chain.len == col->tcb_info_chain.len &&
          (col->qe_identity_chain.data == col->tcb_info_chain.data ||
           memcmp(col->qe_identity_chain.data, col->tcb_info_chain.data,
                  col->tcb_info_chain.len) == 0))) {
        MSE_TRY(load_tcb_signer(v, &col->qe_identity_chain, &own));
        if (!mse_x509_same(own, v->tcb_signer)) {
            e = add_cert_validity(v, "QE identity signing certificate", ITEM_OTHER_CERT, own);
            if (e != MSE_OK) {
                X509_free(own);
                return e;
            }
        }
        signer = own;
    }
    if (col->qe_identity.data == NULL || col->qe_identity.len == 0) {
        X509_free(own);
        mse_msg_str(&v->m, "QE identity missing");
        return MSE_ERR_COLLATERAL_MISSING;
    }
    e = mse_qe_identity_parse(col->qe_identity.data, col->qe_identity.len, &v->qe);
    if (e != MSE_OK) {
        X509_free(own);
        mse_msg_str(&v->m, "QE identity is not a valid QE identity v2 body");
        return e;
    }
    add_validity(v, "QE identity", ITEM_QE_IDENTITY, v->qe.issue_date, v->qe.next_update);
    e = mse_qe_identity_verify_signature(&v->qe, X509_get0_pubkey(signer));
    X509_free(own);
    if (e != MSE_OK) {
        mse_msg_str(&v->m, "QE identity signature does not verify with the TCB signing key");
        return e;
    }
    const struct mse_report_body *qr = &v->quote.qe_report;
    e = mse_qe_identity_match(&v->qe, qr, &v->qe_level);
    switch (e) {
    case MSE_OK:
        break;
    case MSE_ERR_QE_IDENTITY_MRSIGNER:
        mse_msg_str(&v->m, "QE MRSIGNER ");
        mse_msg_hex(&v->m, qr->mr_signer, 32);
        mse_msg_str(&v->m, " is not the QE identity's ");
        mse_msg_hex(&v->m, v->qe.mrsigner, 32);
        return e;
    case MSE_ERR_QE_IDENTITY_ISVPRODID:
        mse_msg_str(&v->m, "QE ISVPRODID ");
        mse_msg_u64(&v->m, qr->isv_prod_id);
        mse_msg_str(&v->m, " is not the QE identity's ");
        mse_msg_u64(&v->m, v->qe.isvprodid);
        return e;
    case MSE_ERR_QE_IDENTITY_MISCSELECT:
        mse_msg_str(&v->m, "QE MISCSELECT differs from the QE identity under its mask");
        return e;
    case MSE_ERR_QE_IDENTITY_ATTRIBUTES:
        mse_msg_str(&v->m, "QE ATTRIBUTES differ from the QE identity under its mask");
        return e;
    case MSE_ERR_QE_TCB_NOT_SUPPORTED:
        mse_msg_str(&v->m, "QE ISVSVN ");
        mse_msg_u64(&v->m, qr->isv_svn);
        mse_msg_str(&v->m, " is below every QE TCB level");
        return e;
    default:
        return e;
    }
    r->qe_tcb_status = v->qe_level.status;
    merge_advisories(r, &v->qe_level);
    mse_msg_str(&v->m, "QE matches Intel's QE identity; QE ISVSVN ");
    mse_msg_u64(&v->m, qr->isv_svn);
    mse_msg_str(&v->m, ": ");
    mse_msg_str(&v->m, mse_tcb_status_name(v->qe_level.status));
    return MSE_OK;
}

static mse_err check_qe_report(struct vctx *v)
{
    mse_err e = mse_quote_verify_qe_report(&v->quote, X509_get0_pubkey(v->pck.c[0]));
    mse_msg_str(&v->m, e == MSE_OK ? "QE report signed by the PCK key"
                                   : "the QE report is not signed by the PCK certificate's key");
    return e;
}

static mse_err check_qe_report_data(struct vctx *v)
{
    /* Without this, any key could be passed off as attested by the QE. */
    mse_err e = mse_quote_verify_qe_report_data(&v->quote);
    mse_msg_str(&v->m, e == MSE_OK
                           ? "QE REPORTDATA binds the attestation key"
                           : "QE REPORTDATA is not SHA-256(attestation key || QE auth data) || zeros");
    return e;
}

static mse_err check_quote_signature(struct vctx *v)
{
    /* A verifier keeps the platform's attestation key decoded (the same on every quote). */
    EVP_PKEY *ak = v->memory != NULL ? mse_verifier_att_key(v->memory, v->quote.att_public_key)
                                     : NULL;
    mse_err e = mse_quote_verify_signature_by(&v->quote, ak);
    if (e == MSE_OK && v->ratls.legacy_quote != NULL) {
        /* Same attestation key (mse_ratls_extract compared it): its own signature. */
        e = mse_quote_verify_signature(&v->legacy);
        if (e != MSE_OK) {
            mse_msg_str(&v->m, "the legacy quote beside the DICE evidence is not signed by the "
                               "attestation key");
            return e;
        }
        mse_msg_str(&v->m, "both quotes (DICE and legacy) signed by the attested key");
        return MSE_OK;
    }
    mse_msg_str(&v->m, e == MSE_OK ? "header and report body signed by the attested key"
                                   : "the quote is not signed by the attestation key");
    return e;
}

/* ---- freshness --------------------------------------------------------- */

/* "<name> expired: <field> <date>" or "<name> not yet valid: <field> <date>". */
static void say_invalid(struct mse_msg *m, const struct vctx *v, size_t i)
{
    const struct mse_validity_item *it = &v->r->validity[i];
    enum item_kind kind = (enum item_kind)v->item_kind[i];
    bool expired = v->in->at >= it->not_after;
    mse_msg_str(m, it->name);
    mse_msg_str(m, expired ? " expired: " : " not yet valid: ");
    mse_msg_str(m, expired ? item_kinds[kind].not_after : item_kinds[kind].not_before);
    mse_msg_str(m, " ");
    mse_msg_time(m, expired ? it->not_after : it->not_before);
}

static mse_err check_collateral_time(struct vctx *v, const struct mse_policy *p)
{
    struct mse_verify_result *r = v->r;
    struct mse_check_result *c = &r->checks[MSE_CHECK_COLLATERAL_TIME];
    struct mse_msg m;
    size_t bad = 0, future = 0, items = 0;
    mse_err code = MSE_OK;
    int64_t at = v->in->at;
    mse_msg_init(&m, c->detail, sizeof c->detail);
    for (size_t i = 0; i < r->validity_count; i++) {
        const struct mse_validity_item *it = &r->validity[i];
        enum item_kind kind = (enum item_kind)v->item_kind[i];
        if (kind == ITEM_RATLS_CERT)
            continue;
        items++;
        if (it->valid)
            continue;
        bool expired = at >= it->not_after;
        future += !expired;
        mse_err ic = expired ? item_kinds[kind].expired : MSE_ERR_COLLATERAL_NOT_YET_VALID;
        code = bad == 0 ? ic : (code == ic ? code : MSE_ERR_COLLATERAL_EXPIRED);
        mse_msg_str(&m, bad == 0 ? "" : "; ");
        say_invalid(&m, v, i);
        bad++;
    }
    if (bad == 0) {
        c->outcome = MSE_OUTCOME_PASS;
        mse_msg_str(&m, "all ");
        mse_msg_u64(&m, items);
        mse_msg_str(&m, " items valid at ");
        mse_msg_time(&m, at);
        return MSE_OK;
    }
    if (bad > 1 && future == bad)
        code = MSE_ERR_COLLATERAL_NOT_YET_VALID;
    if (p->allow_expired_collateral && future == 0) {
        c->err = code;
        c->outcome = MSE_OUTCOME_WARN;
        mse_msg_str(&m, " (tolerated by policy)");
        return MSE_OK;
    }
    /* The policy tolerates expiry only: what it cannot tolerate decides. */
    if (p->allow_expired_collateral) {
        code = MSE_ERR_COLLATERAL_NOT_YET_VALID;
        mse_msg_str(&m, " (items not yet valid are never tolerated)");
    }
    c->err = code;
    c->outcome = MSE_OUTCOME_FAIL;
    return code;
}

/* The RA-TLS certificate's own window: never tolerated by the collateral policy. */
static mse_err check_cert_time(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    struct mse_check_result *c = &r->checks[MSE_CHECK_CERT_TIME];
    struct mse_msg m;
    mse_msg_init(&m, c->detail, sizeof c->detail);
    for (size_t i = 0; i < r->validity_count; i++) {
        if (v->item_kind[i] != ITEM_RATLS_CERT)
            continue;
        if (!r->validity[i].valid) {
            say_invalid(&m, v, i);
            c->outcome = MSE_OUTCOME_FAIL;
            c->err = MSE_ERR_RATLS_CERT_VALIDITY;
            return c->err;
        }
        mse_msg_str(&m, "valid at ");
        mse_msg_time(&m, v->in->at);
        c->outcome = MSE_OUTCOME_PASS;
        return MSE_OK;
    }
    /* A raw quote (mse_verify_quote) comes without a certificate. */
    mse_msg_str(&m, "no certificate: a quote verified on its own");
    c->outcome = MSE_OUTCOME_NOT_APPLICABLE;
    return MSE_OK;
}

/* ---- the platform span, remembered by a verifier (verifier_span.h) ------ */

/*
 * Checks PCK_CHAIN .. QE_REPORT read only the parts below and the anchor,
 * and write only what struct mse_span holds. A verifier (verifier.c) keeps
 * a span that passed, keyed by these exact bytes and its validity window,
 * and the driver replays it instead of running the span again. So: a check
 * after the span must not read what the span's checks left in vctx (the
 * PCK chain, CRLs, TCB signer, parsed collateral), and a check added inside
 * the span must put whatever it reads among the parts and whatever it
 * writes into struct mse_span.
 */
static void span_parts(const struct vctx *v, struct mse_blob parts[MSE_SPAN_PARTS])
{
    const struct mse_collateral *c = v->in->collateral;
    const struct mse_quote *q = &v->quote;
    size_t i = 0;
    parts[i++] = (struct mse_blob){q->signed_data, MSE_QUOTE_HEADER_SIZE};
    parts[i++] = (struct mse_blob){q->cert_data, q->cert_data_len};
    parts[i++] = (struct mse_blob){q->qe_report.raw, MSE_REPORT_BODY_SIZE};
    parts[i++] = (struct mse_blob){q->qe_report_signature, sizeof q->qe_report_signature};
    parts[i++] = c->root_ca_crl;
    parts[i++] = c->pck_crl;
    parts[i++] = c->pck_crl_chain;
    parts[i++] = c->tcb_info;
    parts[i++] = c->tcb_info_chain;
    parts[i++] = c->qe_identity;
    parts[i++] = c->qe_identity_chain;
}

static void span_remember(struct vctx *v)
{
    const struct mse_verify_result *r = v->r;
    struct mse_span *s = calloc(1, sizeof *s);
    struct mse_blob parts[MSE_SPAN_PARTS];
    if (s == NULL)
        return; /* best effort: the next verification runs the span again */
    memcpy(s->checks, &r->checks[MSE_SPAN_FIRST], sizeof s->checks);
    for (size_t i = v->span_first_item; i < r->validity_count; i++) {
        s->validity[s->validity_count] = r->validity[i];
        s->kind[s->validity_count++] = v->item_kind[i];
    }
    memcpy(s->fmspc, r->fmspc, sizeof s->fmspc);
    s->pce_id = r->pce_id;
    memcpy(s->pck_cpusvn, r->pck_cpusvn, sizeof s->pck_cpusvn);
    s->pck_pcesvn = r->pck_pcesvn;
    s->platform_tcb_status = r->platform_tcb_status;
    s->qe_tcb_status = r->qe_tcb_status;
    memcpy(s->tcb_date, r->tcb_date, sizeof s->tcb_date);
    memcpy(s->advisories, r->advisories, sizeof s->advisories);
    s->advisory_count = r->advisory_count;
    span_parts(v, parts);
    mse_verifier_remember(v->memory, parts, v->in->at, s);
    free(s);
}

/* Replay a remembered span: the result the span's checks would write. */
static bool span_recall(struct vctx *v)
{
    struct mse_verify_result *r = v->r;
    struct mse_blob parts[MSE_SPAN_PARTS];
    span_parts(v, parts);
    const struct mse_span *s = mse_verifier_recall(v->memory, parts, v->in->at);
    if (s == NULL)
        return false;
    memcpy(&r->checks[MSE_SPAN_FIRST], s->checks, sizeof s->checks);
    for (size_t i = 0; i < s->validity_count; i++)
        add_validity(v, s->validity[i].name, (enum item_kind)s->kind[i],
                     s->validity[i].not_before, s->validity[i].not_after);
    memcpy(r->fmspc, s->fmspc, sizeof r->fmspc);
    r->pce_id = s->pce_id;
    memcpy(r->pck_cpusvn, s->pck_cpusvn, sizeof r->pck_cpusvn);
    r->pck_pcesvn = s->pck_pcesvn;
    r->platform_tcb_status = s->platform_tcb_status;
    r->qe_tcb_status = s->qe_tcb_status;
    memcpy(r->tcb_date, s->tcb_date, sizeof r->tcb_date);
    memcpy(r->advisories, s->advisories, sizeof r->advisories);
    r->advisory_count = s->advisory_count;
    return true;
}

/* ---- driver ------------------------------------------------------------ */

typedef mse_err (*check_fn)(struct vctx *);

static const check_fn dcap_checks[] = {
    [MSE_CHECK_CERT] = check_cert,
    [MSE_CHECK_QUOTE] = check_quote,
    [MSE_CHECK_BINDING] = check_binding,
    [MSE_CHECK_PCK_CHAIN] = check_pck_chain,
    [MSE_CHECK_ROOT_CA_CRL] = check_root_crl,
    [MSE_CHECK_PCK_CRL] = check_pck_crl,
    [MSE_CHECK_TCB_INFO] = check_tcb_info,
    [MSE_CHECK_QE_IDENTITY] = check_qe_identity,
    [MSE_CHECK_QE_REPORT] = check_qe_report,
    [MSE_CHECK_QE_REPORT_DATA] = check_qe_report_data,
    [MSE_CHECK_QUOTE_SIGNATURE] = check_quote_signature,
};

static bool resource_error(mse_err e)
{
    return e == MSE_ERR_NOMEM || e == MSE_ERR_CRYPTO || e == MSE_ERR_INTERNAL ||
           e == MSE_ERR_BUFFER_TOO_SMALL;
}

static void decide(struct mse_verify_result *r, enum mse_check_id id, mse_err e)
{
    struct mse_msg m;
    r->ok = false;
    r->err = e;
    mse_msg_init(&m, r->message, sizeof r->message);
    mse_msg_str(&m, mse_check_title(id));
    mse_msg_str(&m, ": ");
    if (r->checks[id].detail[0] != '\0')
        mse_msg_str(&m, r->checks[id].detail);
    else
        mse_msg_str(&m, mse_err_str(e));
}

/* Step 3 of the coordinator: the policy checks, evaluated on the verified fields alone. */
static void policy_decide(const struct mse_policy *policy, struct mse_verify_result *r)
{
    r->ok = true;
    r->err = MSE_OK;
    r->message[0] = '\0';
    mse_policy_evaluate(policy, r);
    for (int id = MSE_CHECK_TCB_STATUS; id < MSE_CHECK_COUNT; id++) {
        if (r->checks[id].outcome == MSE_OUTCOME_FAIL) {
            decide(r, (enum mse_check_id)id, r->checks[id].err);
            break;
        }
    }
}

void mse_verify_result_repolicy(const struct mse_policy *policy, struct mse_verify_result *r)
{
    /* Every policy check reports an outcome when step 3 runs, TCB_STATUS first: NOT_RUN
     * means a DCAP or freshness check decided, which no policy changes. */
    if (r->checks[MSE_CHECK_TCB_STATUS].outcome == MSE_OUTCOME_NOT_RUN)
        return;
    policy_decide(policy, r);
}

static void vctx_free(struct vctx *v)
{
    free(v->qbuf);
    X509_free(v->ratls_cert);
    X509_free(v->anchor);
    mse_certs_free(&v->pck);
    X509_CRL_free(v->root_crl);
    X509_CRL_free(v->pck_crl);
    X509_free(v->tcb_signer);
    mse_tcb_info_free(&v->tcb);
    mse_qe_identity_free(&v->qe);
    ERR_clear_error();
}

/* The built-in Intel root is decoded once per process (x509_ctx.c); another anchor here. */
static mse_err decode_anchor(const uint8_t *der, size_t len, bool intel_anchor, X509 **out)
{
    X509 *decoded = intel_anchor ? mse_x509_intel_root() : NULL;
    if (decoded != NULL) {
        MSE_ENSURE(X509_up_ref(decoded) == 1, MSE_ERR_CRYPTO);
        *out = decoded;
        return MSE_OK;
    }
    /* A bad anchor is the caller's mistake, not a verdict on the certificate. */
    MSE_ENSURE(mse_x509_from_der(der, len, out) == MSE_OK, MSE_ERR_ARG);
    return MSE_OK;
}

mse_err mse_verify(const struct mse_verify_input *in, const struct mse_policy *policy,
                   struct mse_verify_result *r)
{
    return mse_verify_drive(in, NULL, 0, policy, r, NULL);
}

mse_err mse_verify_drive(const struct mse_verify_input *in, const uint8_t *raw_quote,
                         size_t raw_quote_len, const struct mse_policy *policy,
                         struct mse_verify_result *r, struct mse_verifier *memory)
{
    mse_err err = MSE_OK;
    struct vctx v;
    const uint8_t *anchor_der;
    size_t anchor_len;
    static const struct mse_collateral no_collateral;
    struct mse_verify_input input = *in;

    memset(r, 0, sizeof *r);
    memset(&v, 0, sizeof v);
    r->tcb_status = r->platform_tcb_status = r->qe_tcb_status = MSE_TCB_UNKNOWN;
    if (input.collateral == NULL)
        input.collateral = &no_collateral;
    v.in = &input;
    v.r = r;
    v.raw_quote = raw_quote;
    v.raw_quote_len = raw_quote_len;
    v.policy = policy;

    v.memory = memory;
    anchor_der = in->trust_root_der;
    anchor_len = in->trust_root_len;
    if (memory != NULL) {
        /* Decoded once, when the verifier was made (mse_verifier_verify checked it is this one). */
        v.anchor = mse_verifier_anchor(memory, &anchor_der, &anchor_len);
        MSE_ENSURE_OUT(X509_up_ref(v.anchor) == 1, MSE_ERR_CRYPTO);
    } else if (anchor_der == NULL) {
        anchor_der = mse_intel_root_ca_der(&anchor_len);
    }
    v.anchor_der = anchor_der;
    v.anchor_len = anchor_len;
    {
        size_t il;
        const uint8_t *intel = mse_intel_root_ca_der(&il);
        v.intel_anchor = anchor_len == il && memcmp(anchor_der, intel, il) == 0;
    }
    if (v.anchor == NULL)
        MSE_CHECK_OUT(decode_anchor(anchor_der, anchor_len, v.intel_anchor, &v.anchor));
    v.qbuf = malloc(MSE_RATLS_BUF_SIZE);
    MSE_ENSURE_OUT(v.qbuf != NULL, MSE_ERR_NOMEM);

    /* 1. DCAP, cryptographic and structural: first failure decides. */
    for (int id = MSE_CHECK_CERT; id <= MSE_CHECK_QUOTE_SIGNATURE; id++) {
        if (id == MSE_SPAN_FIRST) {
            v.span_first_item = r->validity_count;
            if (v.memory != NULL && span_recall(&v)) {
                id = MSE_SPAN_LAST;
                continue;
            }
        }
        struct mse_check_result *c = &r->checks[id];
        mse_msg_init(&v.m, c->detail, sizeof c->detail);
        mse_err e = dcap_checks[id](&v);
        if (resource_error(e))
            MSE_GOTO_OUT(e);
        if (e != MSE_OK) {
            c->outcome = MSE_OUTCOME_FAIL;
            c->err = e;
            decide(r, (enum mse_check_id)id, e);
            goto out;
        }
        c->outcome = v.not_applicable ? MSE_OUTCOME_NOT_APPLICABLE : MSE_OUTCOME_PASS;
        v.not_applicable = false;
        if (id == MSE_SPAN_LAST && v.memory != NULL)
            span_remember(&v);
    }
    r->tcb_status = mse_tcb_status_converge(r->platform_tcb_status, r->qe_tcb_status);

    /* 2. Freshness, decisive once the cryptography holds: both reported, the first failure decides. */
    mse_err te = check_collateral_time(&v, policy);
    mse_err ce = check_cert_time(&v);
    if (te != MSE_OK || ce != MSE_OK) {
        struct mse_msg m;
        enum mse_check_id id = te != MSE_OK ? MSE_CHECK_COLLATERAL_TIME : MSE_CHECK_CERT_TIME;
        r->ok = false;
        r->err = te != MSE_OK ? te : ce;
        mse_msg_init(&m, r->message, sizeof r->message);
        mse_msg_str(&m, id == MSE_CHECK_CERT_TIME ? "RA-TLS certificate not valid at "
                                                  : "collateral not valid at ");
        mse_msg_time(&m, input.at);
        mse_msg_str(&m, ": ");
        mse_msg_str(&m, r->checks[id].detail);
        goto out;
    }

    /* 3. Policy: every check evaluated and reported, the first failure decides. */
    policy_decide(policy, r);
out:
    vctx_free(&v);
    if (err != MSE_OK) {
        r->ok = false;
        r->err = err;
    }
    return err;
}
