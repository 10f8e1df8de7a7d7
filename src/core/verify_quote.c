/*
 * Raw quotes and TDX certificates in the verifier (<mse/verify.h>).
 *
 * A raw quote (Intel QVL's sample app, Phala's dcap-qvl, a quote captured by
 * hand) goes through exactly the checks of an RA-TLS certificate, run by the
 * same driver (verify.c), with two differences:
 *   - CERT is not applicable: there is no certificate;
 *   - BINDING cannot bind a certificate key. What a raw quote proves is that
 *     this enclave produced this REPORTDATA; tying that to a channel, a key
 *     or a nonce is the caller's protocol. With an expected REPORTDATA in the
 *     policy the check compares it (a replayed or substituted quote carries
 *     other REPORTDATA); without one the check is NOT_APPLICABLE and says in
 *     words that nothing binds the quote to a channel. It runs where the
 *     certificate binding runs, before the signature checks, as the binding
 *     does: the decisive code then names the REPORTDATA, and the signatures
 *     still have to pass for a verdict of success.
 *
 * A TDX quote (v4/v5, TEE type 0x81) is recognised in both places a user may
 * bring it, a certificate extension 1.2.840.113741.1337.8 or a quote in the
 * SGX extension, and refused as MSE_ERR_QUOTE_TDX: not verified yet.
 */
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/ratls.h>
#include <mse/verify.h>

#include "dcap.h"
#include "msg.h"
#include "verifier_span.h"

mse_err mse_verify_quote_drive(const struct mse_verify_quote_input *in,
                               const struct mse_policy *policy, struct mse_verify_result *result,
                               struct mse_verifier *memory)
{
    const struct mse_verify_input cert_in = {
        .cert_der = NULL,
        .cert_len = 0,
        .collateral = in->collateral,
        .trust_root_der = in->trust_root_der,
        .trust_root_len = in->trust_root_len,
        .at = in->at,
    };
    /* An empty quote still gets a verdict (QUOTE: truncated), not a caller error. */
    static const uint8_t empty[1];
    return mse_verify_drive(&cert_in, in->quote != NULL ? in->quote : empty,
                            in->quote != NULL ? in->quote_len : 0, policy, result, memory);
}

mse_err mse_verify_quote(const struct mse_verify_quote_input *in, const struct mse_policy *policy,
                         struct mse_verify_result *result)
{
    return mse_verify_quote_drive(in, policy, result, NULL);
}

mse_err mse_verify_raw_quote_cert(const uint8_t *quote, size_t len, struct mse_ratls *ratls,
                                  struct mse_msg *m, bool *not_applicable)
{
    memset(ratls, 0, sizeof *ratls);
    ratls->carrier = MSE_RATLS_CARRIER_NONE;
    ratls->quote = quote;
    ratls->quote_len = len;
    *not_applicable = true;
    mse_msg_str(m, "a raw quote was given: no certificate");
    return MSE_OK;
}

mse_err mse_verify_raw_quote_binding(const struct mse_policy *p, const struct mse_quote *q,
                                     struct mse_verify_result *r, struct mse_msg *m,
                                     bool *not_applicable)
{
    const uint8_t *rd = q->body.report_data;
    r->binding = MSE_BINDING_NONE;
    if (p->report_data == NULL || p->report_data_len == 0) {
        *not_applicable = true;
        mse_msg_str(m, "no certificate key, and no expected REPORTDATA given: nothing binds "
                       "the quote to a channel (REPORTDATA ");
        mse_msg_hex(m, rd, 64);
        mse_msg_str(m, ")");
        return MSE_OK;
    }
    MSE_ENSURE(p->report_data_len <= 64, MSE_ERR_ARG);
    bool whole = p->report_data_len == 64;
    if (!mse_ct_eq(rd, p->report_data, p->report_data_len)) {
        mse_msg_str(m, "REPORTDATA ");
        mse_msg_hex(m, rd, 64);
        mse_msg_str(m, whole ? " differs from the expected " : " does not start with the expected ");
        mse_msg_hex(m, p->report_data, p->report_data_len);
        return MSE_ERR_POLICY_REPORT_DATA;
    }
    r->binding = MSE_BINDING_REPORT_DATA;
    mse_msg_str(m, whole ? "REPORTDATA is the expected value" : "REPORTDATA starts with the expected ");
    if (!whole) {
        mse_msg_u64(m, p->report_data_len);
        mse_msg_str(m, " bytes");
    }
    return MSE_OK;
}

mse_err mse_verify_tdx_carrier(const uint8_t *der, size_t len, struct mse_msg *m)
{
    const uint8_t *quote = NULL;
    size_t quote_len = 0;
    bool found = false;
    if (mse_cert_tdx_quote(der, len, &quote, &quote_len, &found) != MSE_OK || !found)
        return MSE_ERR_RATLS_NO_QUOTE;
    mse_msg_str(m, "the certificate carries a TDX quote (extension " MSE_OID_TDX_QUOTE
                   "); use mse inspect to read it");
    return MSE_ERR_QUOTE_TDX;
}
