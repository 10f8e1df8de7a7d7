/*
 * The mse policy, applied after DCAP verification has established what the
 * quote genuinely says. It reads only the verified result fields, never raw
 * bytes (STYLE.md, "parse, verify, then decide").
 *
 *   TCB_STATUS  combined platform+QE status accepted (default: UpToDate
 *               only). Other statuses are opt-in and then reported as WARN
 *               with their advisories; Revoked is never acceptable. A status
 *               may also be opted in by its advisories (MarbleRun's
 *               accepted advisories): when every advisory of the matched
 *               levels has been assessed and listed. A status with no
 *               advisory at all is never accepted that way: an empty list
 *               of reasons is not an assessment.
 *   DEBUG       a debug enclave's memory is readable by the host: refused
 *               unless explicitly allowed (then WARN).
 *   MRSIGNER    the enclave is signed by (one of) the operator's key(s).
 *   MRENCLAVE   the enclave runs exactly the expected code. Without an
 *               expected fingerprint the check is SKIPPED and says so: the
 *               caller then trusts any code the signer signed.
 *   ISV         ISVPRODID equality and a minimum ISVSVN (rollback to an
 *               older, vulnerable enclave version).
 */
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/verify.h>

#include "dcap.h"
#include "msg.h"

static const char *const check_keys[] = {
#define MSE_CHECK_KEY_(id, key, title) key,
    MSE_CHECK_LIST(MSE_CHECK_KEY_)
#undef MSE_CHECK_KEY_
};
static const char *const check_titles[] = {
#define MSE_CHECK_TITLE_(id, key, title) title,
    MSE_CHECK_LIST(MSE_CHECK_TITLE_)
#undef MSE_CHECK_TITLE_
};

const char *mse_check_key(enum mse_check_id id)
{
    return (unsigned)id < MSE_CHECK_COUNT ? check_keys[id] : "unknown";
}

const char *mse_check_title(enum mse_check_id id)
{
    return (unsigned)id < MSE_CHECK_COUNT ? check_titles[id] : "unknown check";
}

const char *mse_outcome_name(enum mse_outcome o)
{
    switch (o) {
    case MSE_OUTCOME_NOT_RUN:
        return "not_run";
    case MSE_OUTCOME_PASS:
        return "pass";
    case MSE_OUTCOME_FAIL:
        return "fail";
    case MSE_OUTCOME_WARN:
        return "warn";
    case MSE_OUTCOME_SKIPPED:
        return "skipped";
    case MSE_OUTCOME_NOT_APPLICABLE:
        return "not_applicable";
    }
    return "unknown";
}

const char *mse_binding_name(enum mse_binding b)
{
    switch (b) {
    case MSE_BINDING_NONE:
        return "none";
    case MSE_BINDING_MSE:
        return "mse";
    case MSE_BINDING_GRAMINE:
        return "gramine";
    case MSE_BINDING_DICE:
        return "dice";
    case MSE_BINDING_REPORT_DATA:
        return "report_data";
    }
    return "unknown";
}

void mse_policy_init(struct mse_policy *p)
{
    memset(p, 0, sizeof *p);
    p->accepted_tcb = MSE_TCB_MASK(MSE_TCB_UP_TO_DATE);
}

static void set(struct mse_check_result *c, enum mse_outcome o, mse_err e, struct mse_msg *m,
                const char *text)
{
    c->outcome = o;
    c->err = e;
    mse_msg_init(m, c->detail, sizeof c->detail);
    if (text != NULL)
        mse_msg_str(m, text);
}

static void advisories(struct mse_msg *m, const struct mse_verify_result *r)
{
    if (r->advisory_count == 0)
        return;
    mse_msg_str(m, " (advisories ");
    for (size_t i = 0; i < r->advisory_count; i++) {
        if (i > 0)
            mse_msg_str(m, ", ");
        mse_msg_str(m, r->advisories[i]);
    }
    mse_msg_str(m, ")");
}

static bool advisory_listed(const struct mse_policy *p, const char *id)
{
    for (size_t i = 0; i < p->accepted_advisory_count; i++)
        if (p->accepted_advisories[i] != NULL && strcmp(p->accepted_advisories[i], id) == 0)
            return true;
    return false;
}

static bool advisories_all_accepted(const struct mse_policy *p, const struct mse_verify_result *r)
{
    if (p->accepted_advisory_count == 0 || r->advisory_count == 0)
        return false;
    for (size_t i = 0; i < r->advisory_count; i++)
        if (!advisory_listed(p, r->advisories[i]))
            return false;
    return true;
}

static void policy_tcb(const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_check_result *c = &r->checks[MSE_CHECK_TCB_STATUS];
    struct mse_msg m;
    uint32_t accepted = p->accepted_tcb | MSE_TCB_MASK(MSE_TCB_UP_TO_DATE);
    const char *name = mse_tcb_status_name(r->tcb_status);
    if (r->tcb_status == MSE_TCB_REVOKED || r->tcb_status >= MSE_TCB_UNKNOWN) {
        /* Revoked keys or microcode prove nothing: no policy may accept them. */
        mse_err e = r->qe_tcb_status == MSE_TCB_REVOKED ? MSE_ERR_QE_TCB_REVOKED
                                                        : MSE_ERR_TCB_REVOKED;
        set(c, MSE_OUTCOME_FAIL, e, &m, "TCB status ");
        mse_msg_str(&m, name);
        mse_msg_str(&m, r->qe_tcb_status == MSE_TCB_REVOKED ? " (quoting enclave revoked)"
                                                            : " (platform)");
        mse_msg_str(&m, ": never accepted");
        advisories(&m, r);
        return;
    }
    if (!(accepted & MSE_TCB_MASK(r->tcb_status)) && advisories_all_accepted(p, r)) {
        set(c, MSE_OUTCOME_WARN, MSE_OK, &m, "TCB status ");
        mse_msg_str(&m, name);
        mse_msg_str(&m, " accepted by policy: every advisory is accepted");
        advisories(&m, r);
        return;
    }
    if (accepted & MSE_TCB_MASK(r->tcb_status)) {
        bool up = r->tcb_status == MSE_TCB_UP_TO_DATE;
        set(c, up ? MSE_OUTCOME_PASS : MSE_OUTCOME_WARN, MSE_OK, &m, "TCB status ");
        mse_msg_str(&m, name);
        if (!up)
            mse_msg_str(&m, " accepted by policy");
        advisories(&m, r);
        return;
    }
    /* Which side made it unacceptable: the platform's own status, or the QE's downgrade. */
    bool qe_caused = (accepted & MSE_TCB_MASK(r->platform_tcb_status)) != 0;
    set(c, MSE_OUTCOME_FAIL, qe_caused ? MSE_ERR_QE_TCB_STATUS : MSE_ERR_TCB_STATUS, &m,
        "TCB status ");
    mse_msg_str(&m, name);
    if (qe_caused) {
        mse_msg_str(&m, " (platform ");
        mse_msg_str(&m, mse_tcb_status_name(r->platform_tcb_status));
        mse_msg_str(&m, ", quoting enclave ");
        mse_msg_str(&m, mse_tcb_status_name(r->qe_tcb_status));
        mse_msg_str(&m, ")");
    }
    mse_msg_str(&m, " is not accepted by policy");
    advisories(&m, r);
    for (size_t i = 0, n = 0; p->accepted_advisory_count > 0 && i < r->advisory_count; i++) {
        if (advisory_listed(p, r->advisories[i]))
            continue;
        mse_msg_str(&m, n++ == 0 ? "; not in the accepted advisories: " : ", ");
        mse_msg_str(&m, r->advisories[i]);
    }
    mse_msg_str(&m, "; accepted:");
    for (unsigned s = 0; s < MSE_TCB_UNKNOWN; s++) {
        if (accepted & MSE_TCB_MASK(s)) {
            mse_msg_str(&m, " ");
            mse_msg_str(&m, mse_tcb_status_name((enum mse_tcb_status)s));
        }
    }
}

static void policy_debug(const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_check_result *c = &r->checks[MSE_CHECK_DEBUG];
    struct mse_msg m;
    if (!r->debug)
        set(c, MSE_OUTCOME_PASS, MSE_OK, &m, "production enclave (DEBUG attribute clear)");
    else if (p->allow_debug)
        set(c, MSE_OUTCOME_WARN, MSE_OK, &m,
            "debug enclave accepted by policy: its memory is readable by the host");
    else
        set(c, MSE_OUTCOME_FAIL, MSE_ERR_POLICY_DEBUG, &m,
            "enclave runs in debug mode: its memory is readable by the host");
}

static void policy_mrsigner(const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_check_result *c = &r->checks[MSE_CHECK_MRSIGNER];
    struct mse_msg m;
    if (p->mrsigner_count == 0 || p->mrsigners == NULL) {
        set(c, MSE_OUTCOME_SKIPPED, MSE_OK, &m, "no expected MRSIGNER given");
        return;
    }
    for (size_t i = 0; i < p->mrsigner_count; i++) {
        if (mse_ct_eq(p->mrsigners[i], r->enclave.mr_signer, 32)) {
            set(c, MSE_OUTCOME_PASS, MSE_OK, &m, "MRSIGNER ");
            mse_msg_hex(&m, r->enclave.mr_signer, 32);
            return;
        }
    }
    set(c, MSE_OUTCOME_FAIL, MSE_ERR_POLICY_MRSIGNER, &m, "MRSIGNER ");
    mse_msg_hex(&m, r->enclave.mr_signer, 32);
    mse_msg_str(&m, p->mrsigner_count == 1 ? " is not the expected " : " is none of the ");
    if (p->mrsigner_count == 1)
        mse_msg_hex(&m, p->mrsigners[0], 32);
    else {
        mse_msg_u64(&m, p->mrsigner_count);
        mse_msg_str(&m, " expected signers");
    }
}

static void policy_mrenclave(const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_check_result *c = &r->checks[MSE_CHECK_MRENCLAVE];
    struct mse_msg m;
    if (p->mrenclave == NULL) {
        set(c, MSE_OUTCOME_SKIPPED, MSE_OK, &m,
            "warning: no fingerprint given, any code signed by the signer is accepted (MRENCLAVE ");
        mse_msg_hex(&m, r->enclave.mr_enclave, 32);
        mse_msg_str(&m, ")");
        return;
    }
    if (mse_ct_eq(p->mrenclave, r->enclave.mr_enclave, 32)) {
        set(c, MSE_OUTCOME_PASS, MSE_OK, &m, "MRENCLAVE ");
        mse_msg_hex(&m, r->enclave.mr_enclave, 32);
        return;
    }
    set(c, MSE_OUTCOME_FAIL, MSE_ERR_POLICY_MRENCLAVE, &m, "MRENCLAVE ");
    mse_msg_hex(&m, r->enclave.mr_enclave, 32);
    mse_msg_str(&m, " differs from the expected fingerprint ");
    mse_msg_hex(&m, p->mrenclave, 32);
}

static void policy_isv(const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_check_result *c = &r->checks[MSE_CHECK_ISV];
    struct mse_msg m;
    if (!p->check_isv_prod_id && !p->check_min_isv_svn) {
        set(c, MSE_OUTCOME_SKIPPED, MSE_OK, &m, "no ISVPRODID or minimum ISVSVN given");
        return;
    }
    if (p->check_isv_prod_id && r->enclave.isv_prod_id != p->isv_prod_id) {
        set(c, MSE_OUTCOME_FAIL, MSE_ERR_POLICY_ISVPRODID, &m, "ISVPRODID ");
        mse_msg_u64(&m, r->enclave.isv_prod_id);
        mse_msg_str(&m, " differs from the expected ");
        mse_msg_u64(&m, p->isv_prod_id);
        return;
    }
    if (p->check_min_isv_svn && r->enclave.isv_svn < p->min_isv_svn) {
        set(c, MSE_OUTCOME_FAIL, MSE_ERR_POLICY_ISVSVN, &m, "ISVSVN ");
        mse_msg_u64(&m, r->enclave.isv_svn);
        mse_msg_str(&m, " is below the required minimum ");
        mse_msg_u64(&m, p->min_isv_svn);
        return;
    }
    set(c, MSE_OUTCOME_PASS, MSE_OK, &m, "ISVPRODID ");
    mse_msg_u64(&m, r->enclave.isv_prod_id);
    mse_msg_str(&m, ", ISVSVN ");
    mse_msg_u64(&m, r->enclave.isv_svn);
}

void mse_policy_evaluate(const struct mse_policy *p, struct mse_verify_result *r)
{
    policy_tcb(p, r);
    policy_debug(p, r);
    policy_mrsigner(p, r);
    policy_mrenclave(p, r);
    policy_isv(p, r);
}
