/*
 * The negative matrix on a complete test DCAP world (the simulator's, in
 * memory: mse_sim_world_make in src/sim/sim_world.c): one genuine baseline
 * that passes, then one tampered variant per case, each refused with its own
 * stable code at its own check. The simulator's tamper set drives the same
 * codes through the whole `mse` command.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/verify.h>

#include "sim/sim.h"
#include "testlib.h"

#define NOW 1780000000 /* 2026-05-28 */

struct outcome {
    bool ok;
    mse_err err;
    enum mse_check_id failed; /* first FAIL check, or MSE_CHECK_COUNT */
    struct mse_verify_result r;
};

/* The world of o, failing the test if the simulator cannot make it. */
static void world_make(const struct mse_sim_world_opts *o, struct mse_sim_world *w)
{
    assert_int_equal(mse_sim_world_make(o, w), MSE_OK);
}

/*
 * Defaults as in the test's policy: everything genuine and UpToDate at now,
 * non-UpToDate TCB levels carrying two advisories.
 */
static void opts_default(struct mse_sim_world_opts *o, int64_t now)
{
    mse_sim_world_opts_default(o, now);
    o->pki.advisories = "INTEL-SA-00001,INTEL-SA-00002";
}

static void run(const struct mse_sim_world_opts *o, const struct mse_policy *p, int64_t at,
                struct outcome *out)
{
    struct mse_sim_world f;
    world_make(o, &f);
    struct mse_verify_input in = {f.cert_der, f.cert_len, &f.col, f.root_der, f.root_len, at};
    assert_int_equal(mse_verify(&in, p, &out->r), MSE_OK);
    out->ok = out->r.ok;
    out->err = out->r.err;
    out->failed = MSE_CHECK_COUNT;
    for (int i = 0; i < MSE_CHECK_COUNT; i++)
        if (out->r.checks[i].outcome == MSE_OUTCOME_FAIL) {
            out->failed = (enum mse_check_id)i;
            break;
        }
    mse_sim_world_free(&f);
}

static struct outcome *o_res;

static void expect(const struct mse_sim_world_opts *o, const struct mse_policy *p, mse_err code,
                   enum mse_check_id check)
{
    run(o, p, NOW, o_res);
    if (o_res->err != code || o_res->failed != check)
        fail_msg("expected %s at %s, got %s at %s: %s", mse_err_name(code), mse_check_key(check),
                 mse_err_name(o_res->err), mse_check_key(o_res->failed), o_res->r.message);
}

static void policy(struct mse_policy *p, uint8_t (*signer)[32], uint8_t *mrenclave)
{
    mse_policy_init(p);
    memset(signer[0], 0x51, 32);
    memset(mrenclave, 0xe1, 32);
    p->mrsigners = (const uint8_t(*)[32])signer;
    p->mrsigner_count = 1;
    p->mrenclave = mrenclave;
}

static void test_baseline(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);
    opts_default(&o, NOW);
    run(&o, &p, NOW, o_res);
    if (!o_res->ok)
        fail_msg("baseline refused: %s", o_res->r.message);
    for (int i = 0; i < MSE_CHECK_COUNT; i++)
        assert_int_equal(o_res->r.checks[i].outcome, i == MSE_CHECK_ISV ? MSE_OUTCOME_SKIPPED
                                                                        : MSE_OUTCOME_PASS);
    assert_int_equal(o_res->r.tcb_status, MSE_TCB_UP_TO_DATE);
    assert_int_equal(o_res->r.binding, MSE_BINDING_MSE);
    assert_int_equal(o_res->r.validity_count, 9);
}

static void test_pki_and_crls(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);

    opts_default(&o, NOW);
    o.faults.pck_issuer_lookalike = true;
    expect(&o, &p, MSE_ERR_PCK_CHAIN_ISSUER, MSE_CHECK_PCK_CHAIN);

    opts_default(&o, NOW);
    o.chain_len = 2;
    expect(&o, &p, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH, MSE_CHECK_PCK_CHAIN);
    o.chain_len = 4;
    expect(&o, &p, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH, MSE_CHECK_PCK_CHAIN);

    opts_default(&o, NOW);
    o.chain_garbage = true;
    expect(&o, &p, MSE_ERR_QUOTE_PCK_CHAIN_FORMAT, MSE_CHECK_PCK_CHAIN);

    opts_default(&o, NOW);
    o.faults.pck_no_extension = true;
    expect(&o, &p, MSE_ERR_PCK_EXT_FORMAT, MSE_CHECK_PCK_CHAIN);

    opts_default(&o, NOW);
    o.pki.revoke_pck_ca = true;
    expect(&o, &p, MSE_ERR_PCK_CA_REVOKED, MSE_CHECK_ROOT_CA_CRL);

    opts_default(&o, NOW);
    o.pki.revoke_pck = true;
    expect(&o, &p, MSE_ERR_PCK_REVOKED, MSE_CHECK_PCK_CRL);

    opts_default(&o, NOW);
    o.faults.pck_crl_other_signer = true;
    expect(&o, &p, MSE_ERR_CRL_SIGNATURE, MSE_CHECK_PCK_CRL);

    opts_default(&o, NOW);
    o.faults.tcb_signer_foreign = true;
    expect(&o, &p, MSE_ERR_TCB_SIGNING_CHAIN, MSE_CHECK_TCB_INFO);

    /* A forged root with the same names as the anchor. */
    struct mse_sim_world a, b;
    opts_default(&o, NOW);
    world_make(&o, &a);
    world_make(&o, &b);
    struct mse_verify_input in = {a.cert_der, a.cert_len, &a.col, b.root_der, b.root_len, NOW};
    assert_int_equal(mse_verify(&in, &p, &o_res->r), MSE_OK);
    assert_int_equal(o_res->r.err, MSE_ERR_ROOT_UNTRUSTED);
    /* ...and the genuine Intel anchor (the default) refuses the test PKI the same way. */
    in.trust_root_der = NULL;
    assert_int_equal(mse_verify(&in, &p, &o_res->r), MSE_OK);
    assert_int_equal(o_res->r.err, MSE_ERR_ROOT_UNTRUSTED);
    mse_sim_world_free(&a);
    mse_sim_world_free(&b);
}

static void test_tcb_info(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);

    opts_default(&o, NOW);
    o.tcb_info_byte_flipped = true;
    expect(&o, &p, MSE_ERR_TCB_INFO_SIGNATURE, MSE_CHECK_TCB_INFO);

    opts_default(&o, NOW);
    o.tcb_info_fmspc_other = true;
    expect(&o, &p, MSE_ERR_TCB_INFO_FMSPC_MISMATCH, MSE_CHECK_TCB_INFO);

    opts_default(&o, NOW);
    o.faults.pck_tcb_below = true;
    expect(&o, &p, MSE_ERR_TCB_NOT_SUPPORTED, MSE_CHECK_TCB_INFO);

    /* Each status: refused by default, accepted when listed (Revoked never). */
    static const struct {
        const char *name;
        enum mse_tcb_status s;
    } st[] = {
        {"SWHardeningNeeded", MSE_TCB_SW_HARDENING_NEEDED},
        {"ConfigurationNeeded", MSE_TCB_CONFIGURATION_NEEDED},
        {"ConfigurationAndSWHardeningNeeded", MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED},
        {"OutOfDate", MSE_TCB_OUT_OF_DATE},
        {"OutOfDateConfigurationNeeded", MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        opts_default(&o, NOW);
        o.pki.tcb_status = st[i].s;
        expect(&o, &p, MSE_ERR_TCB_STATUS, MSE_CHECK_TCB_STATUS);
        assert_non_null(strstr(o_res->r.message, st[i].name));
        assert_non_null(strstr(o_res->r.message, "INTEL-SA-00001"));
        struct mse_policy q = p;
        q.accepted_tcb |= MSE_TCB_MASK(st[i].s);
        run(&o, &q, NOW, o_res);
        assert_true(o_res->ok);
        assert_int_equal(o_res->r.checks[MSE_CHECK_TCB_STATUS].outcome, MSE_OUTCOME_WARN);
        assert_int_equal(o_res->r.advisory_count, 2);
    }
    opts_default(&o, NOW);
    o.pki.tcb_status = MSE_TCB_REVOKED;
    struct mse_policy all = p;
    all.accepted_tcb = ~0u;
    expect(&o, &all, MSE_ERR_TCB_REVOKED, MSE_CHECK_TCB_STATUS);
}

static void test_qe(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);

    opts_default(&o, NOW);
    o.qe_mrsigner_other = true;
    expect(&o, &p, MSE_ERR_QE_IDENTITY_MRSIGNER, MSE_CHECK_QE_IDENTITY);
    opts_default(&o, NOW);
    o.qe_isvprodid_other = true;
    expect(&o, &p, MSE_ERR_QE_IDENTITY_ISVPRODID, MSE_CHECK_QE_IDENTITY);
    opts_default(&o, NOW);
    o.qe_attributes_debug = true;
    expect(&o, &p, MSE_ERR_QE_IDENTITY_ATTRIBUTES, MSE_CHECK_QE_IDENTITY);
    opts_default(&o, NOW);
    o.qe_miscselect_other = true;
    expect(&o, &p, MSE_ERR_QE_IDENTITY_MISCSELECT, MSE_CHECK_QE_IDENTITY);

    /* An OutOfDate QE makes an UpToDate platform OutOfDate: the QE is named. */
    opts_default(&o, NOW);
    o.pki.qe_tcb_status = MSE_TCB_OUT_OF_DATE;
    expect(&o, &p, MSE_ERR_QE_TCB_STATUS, MSE_CHECK_TCB_STATUS);
    assert_int_equal(o_res->r.tcb_status, MSE_TCB_OUT_OF_DATE);
    assert_int_equal(o_res->r.platform_tcb_status, MSE_TCB_UP_TO_DATE);
    opts_default(&o, NOW);
    o.pki.qe_tcb_status = MSE_TCB_REVOKED;
    expect(&o, &p, MSE_ERR_QE_TCB_REVOKED, MSE_CHECK_TCB_STATUS);

    opts_default(&o, NOW);
    o.qe_report_sig_flipped = true;
    expect(&o, &p, MSE_ERR_QE_REPORT_SIGNATURE, MSE_CHECK_QE_REPORT);
    opts_default(&o, NOW);
    o.qe_report_data_padding = true;
    expect(&o, &p, MSE_ERR_QE_REPORT_DATA, MSE_CHECK_QE_REPORT_DATA);
    opts_default(&o, NOW);
    o.quote_sig_flipped = true;
    expect(&o, &p, MSE_ERR_QUOTE_SIGNATURE, MSE_CHECK_QUOTE_SIGNATURE);
    opts_default(&o, NOW);
    o.qe_vendor_other = true;
    expect(&o, &p, MSE_ERR_QUOTE_QE_VENDOR, MSE_CHECK_QUOTE);
}

static void test_enclave_policy(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);

    opts_default(&o, NOW);
    o.binding_other = true;
    expect(&o, &p, MSE_ERR_BINDING_MISMATCH, MSE_CHECK_BINDING);

    opts_default(&o, NOW);
    o.enclave.debug = true;
    expect(&o, &p, MSE_ERR_POLICY_DEBUG, MSE_CHECK_DEBUG);
    struct mse_policy dbg = p;
    dbg.allow_debug = true;
    run(&o, &dbg, NOW, o_res);
    assert_true(o_res->ok);
    assert_int_equal(o_res->r.checks[MSE_CHECK_DEBUG].outcome, MSE_OUTCOME_WARN);

    opts_default(&o, NOW);
    o.enclave.mrsigner[0] ^= 1;
    expect(&o, &p, MSE_ERR_POLICY_MRSIGNER, MSE_CHECK_MRSIGNER);
    opts_default(&o, NOW);
    o.enclave.mrenclave[31] ^= 1;
    expect(&o, &p, MSE_ERR_POLICY_MRENCLAVE, MSE_CHECK_MRENCLAVE);
}

static void test_freshness(void **state)
{
    struct mse_sim_world_opts o;
    struct mse_policy p;
    uint8_t signer[1][32], mre[32];
    policy(&p, signer, mre);

    /* Expired PCK: one second either side of notAfter. */
    opts_default(&o, NOW);
    o.pki.pck_not_after = NOW + 1;
    run(&o, &p, NOW, o_res);
    assert_true(o_res->ok);
    o.pki.pck_not_after = NOW;
    expect(&o, &p, MSE_ERR_PCK_CHAIN_VALIDITY, MSE_CHECK_COLLATERAL_TIME);
    assert_non_null(strstr(o_res->r.message, "PCK certificate expired: notAfter"));

    opts_default(&o, NOW);
    o.pki.pck_crl_next = NOW + 1;
    run(&o, &p, NOW, o_res);
    assert_true(o_res->ok);
    o.pki.pck_crl_next = NOW - 1;
    expect(&o, &p, MSE_ERR_CRL_EXPIRED, MSE_CHECK_COLLATERAL_TIME);

    opts_default(&o, NOW);
    o.pki.tcb_info_next = NOW;
    expect(&o, &p, MSE_ERR_TCB_INFO_EXPIRED, MSE_CHECK_COLLATERAL_TIME);
    opts_default(&o, NOW);
    o.pki.tcb_info_issue = NOW + 1;
    expect(&o, &p, MSE_ERR_COLLATERAL_NOT_YET_VALID, MSE_CHECK_COLLATERAL_TIME);
    assert_non_null(strstr(o_res->r.message, "TCB info not yet valid: issueDate"));

    opts_default(&o, NOW);
    o.pki.qe_identity_next = NOW - 60;
    expect(&o, &p, MSE_ERR_QE_IDENTITY_EXPIRED, MSE_CHECK_COLLATERAL_TIME);
    /* Tolerated: WARN, and the verdict comes from the rest. */
    struct mse_policy tol = p;
    tol.allow_expired_collateral = true;
    run(&o, &tol, NOW, o_res);
    assert_true(o_res->ok);
    assert_int_equal(o_res->r.checks[MSE_CHECK_COLLATERAL_TIME].outcome, MSE_OUTCOME_WARN);
    assert_int_equal(o_res->r.checks[MSE_CHECK_COLLATERAL_TIME].err, MSE_ERR_QE_IDENTITY_EXPIRED);

    /* A forgery that is also expired is named as a forgery. */
    opts_default(&o, NOW);
    o.tcb_info_byte_flipped = true;
    o.pki.tcb_info_next = NOW - 1;
    expect(&o, &p, MSE_ERR_TCB_INFO_SIGNATURE, MSE_CHECK_TCB_INFO);
}

static int setup(void **state)
{
    o_res = calloc(1, sizeof *o_res);
    return o_res == NULL;
}

static int teardown(void **state)
{
    free(o_res);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline),     cmocka_unit_test(test_pki_and_crls),
        cmocka_unit_test(test_tcb_info),     cmocka_unit_test(test_qe),
        cmocka_unit_test(test_enclave_policy), cmocka_unit_test(test_freshness),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
