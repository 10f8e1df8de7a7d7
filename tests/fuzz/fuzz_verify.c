/*
 * Fuzz the whole offline verification: an evidence bundle in, mse_verify at
 * a fixed time with every check on (expired collateral tolerated so the
 * later checks run too), the result rendered as JSON. Nothing may crash,
 * leak or read out of bounds whatever the bundle holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <mse/collateral.h>
#include <mse/verify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 18];
    static struct mse_verify_result r;
    struct mse_evidence ev;
    struct mse_policy p;
    if (mse_evidence_parse(data, size, buf, sizeof buf, &ev) != MSE_OK)
        return 0;
    mse_policy_init(&p);
    p.allow_expired_collateral = true;
    struct mse_verify_input in = {ev.ratls_cert.data, ev.ratls_cert.len, &ev.collateral, NULL, 0,
                                  1687651200};
    if (mse_verify(&in, &p, &r) == MSE_OK) {
        char *json = NULL;
        if (mse_verify_result_json(&r, &json) == MSE_OK)
            free(json);
    }
    return 0;
}
