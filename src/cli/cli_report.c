/*
 * The human report of a verification, shared by `mse verify` and
 * `mse configure`: one line per check of docs/verification.md, the enclave's
 * identity, the TCB status with its advisories, the warnings a relaxed policy
 * earned, then the verdict with the decisive error's name.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/guard.h>
#include <mse/mse.h>

#include "cli_policy.h"

static const char *mark(const struct cli_out *out, enum mse_outcome o)
{
    switch (o) {
    case MSE_OUTCOME_PASS:
        return out->color ? "\033[32m  ok \033[0m" : "  ok ";
    case MSE_OUTCOME_FAIL:
        return out->color ? "\033[31mFAIL \033[0m" : "FAIL ";
    case MSE_OUTCOME_WARN:
        return out->color ? "\033[33mwarn \033[0m" : "warn ";
    case MSE_OUTCOME_SKIPPED:
        return "skip ";
    case MSE_OUTCOME_NOT_APPLICABLE:
        return " n/a ";
    default:
        return "  -- ";
    }
}

static void print_identity(const struct mse_verify_result *r)
{
    if (r->have_quote) {
        char hex[65];
        mse_hex_encode(r->enclave.mr_enclave, 32, hex);
        printf("  MRENCLAVE %s\n", hex);
        mse_hex_encode(r->enclave.mr_signer, 32, hex);
        printf("  MRSIGNER  %s\n", hex);
    }
    if (r->tcb_status != MSE_TCB_UNKNOWN) {
        printf("  TCB status %s", mse_tcb_status_name(r->tcb_status));
        for (size_t i = 0; i < r->advisory_count; i++)
            printf("%s%s", i ? ", " : " (advisories: ", r->advisories[i]);
        printf("%s\n", r->advisory_count ? ")" : "");
    }
}

void cli_verify_report_print(const struct cli_out *out, const struct mse_verify_result *r)
{
    if (out->quiet || out->json)
        return;
    for (int i = 0; i < MSE_CHECK_COUNT; i++) {
        const struct mse_check_result *c = &r->checks[i];
        printf("  %s %s", mark(out, c->outcome), mse_check_title((enum mse_check_id)i));
        if (c->detail[0] && c->outcome != MSE_OUTCOME_PASS)
            printf(": %s", c->detail);
        putchar('\n');
    }
    print_identity(r);
    if (r->checks[MSE_CHECK_CERT].outcome == MSE_OUTCOME_NOT_APPLICABLE &&
        r->checks[MSE_CHECK_BINDING].outcome == MSE_OUTCOME_NOT_APPLICABLE)
        cli_out_warn(out, "nothing binds this quote to a channel: it proves what an enclave "
                          "reported, not who you talk to (give --report-data or "
                          "--report-data-prefix)");
    if (r->checks[MSE_CHECK_MRENCLAVE].outcome == MSE_OUTCOME_SKIPPED)
        cli_out_warn(out, "Code fingerprint check skipped! (give --fingerprint or --context/--code)");
    if (r->checks[MSE_CHECK_COLLATERAL_TIME].outcome == MSE_OUTCOME_WARN)
        cli_out_warn(out, "expired collateral tolerated by --allow-expired-collateral: %s",
                     r->checks[MSE_CHECK_COLLATERAL_TIME].detail);
    if (r->checks[MSE_CHECK_TCB_STATUS].outcome == MSE_OUTCOME_WARN)
        cli_out_warn(out, "TCB status accepted by the policy (--allow-tcb, --accept-advisories): %s",
                     r->checks[MSE_CHECK_TCB_STATUS].detail);
    if (r->ok)
        printf("Verification: %s\n", out->color ? "\033[32msuccess\033[0m" : "success");
    else
        printf("Verification: %s\n  %s: %s\n", out->color ? "\033[31mfailure\033[0m" : "failure",
               mse_err_name(r->err), r->message);
}

mse_err cli_result_json_with_policy(const struct mse_verify_result *r, const struct mse_policy *p,
                                    char **out)
{
    char *result = NULL, *policy = NULL;
    *out = NULL;
    MSE_TRY(mse_verify_result_json(r, &result));
    mse_err err = mse_policy_to_json(p, &policy);
    json_t *o = err == MSE_OK ? json_loads(result, 0, NULL) : NULL;
    json_t *pj = err == MSE_OK ? json_loads(policy, 0, NULL) : NULL;
    free(result);
    free(policy);
    if (o == NULL || pj == NULL || json_object_set_new(o, "policy", pj) != 0) {
        json_decref(o);
        return err != MSE_OK ? err : MSE_ERR_NOMEM;
    }
    *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *out != NULL ? MSE_OK : MSE_ERR_NOMEM;
}
