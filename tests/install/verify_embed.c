/* An embedder's program: verify the real MSE evidence with libmse alone (no libcurl, no files API). */
#include <stdio.h>
#include <stdlib.h>
#include <mse/mse.h>

int main(int argc, char **argv)
{
    static uint8_t json[1 << 20], buf[1 << 20];
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    size_t len = f ? fread(json, 1, sizeof json, f) : 0;
    struct mse_evidence ev;
    if (!f || mse_evidence_parse(json, len, buf, sizeof buf, &ev) != MSE_OK)
        return 2;
    struct mse_policy pol;
    mse_policy_init(&pol);
    pol.allow_expired_collateral = true;                  /* the evidence is from 2023 */
    pol.accepted_tcb = MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE); /* that platform's real status */
    struct mse_verify_input in = {ev.ratls_cert.data, ev.ratls_cert.len, &ev.collateral, NULL, 0,
                                  1687651200 /* 2023-06-25T00:00:00Z */};
    static struct mse_verify_result r;
    if (mse_verify(&in, &pol, &r) != MSE_OK)
        return 2;
    printf("%s %s %s\n", r.ok ? "ok" : "refused", mse_err_name(r.err), mse_tcb_status_name(r.tcb_status));
    return r.ok ? 0 : 1;
}
