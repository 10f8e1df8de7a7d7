/*
 * Fuzz the signed JSON collateral parsers: TCB info v2/v3 and QE identity
 * v2 (strict JSON load, raw-span location, field typing, level parsing and
 * matching). The first byte picks the parser; the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    struct mse_tcb_level_match m;
    if (data[0] & 1) {
        struct mse_qe_identity q;
        if (mse_qe_identity_parse(body, len, &q) == MSE_OK) {
            struct mse_report_body qe;
            memset(&qe, 0, sizeof qe);
            memcpy(qe.mr_signer, q.mrsigner, 32);
            qe.isv_prod_id = q.isvprodid;
            qe.isv_svn = data[0];
            (void)mse_qe_identity_match(&q, &qe, &m);
            mse_qe_identity_free(&q);
        }
    } else {
        struct mse_tcb_info t;
        if (mse_tcb_info_parse(body, len, &t) == MSE_OK) {
            struct mse_pck_ext pck;
            memset(&pck, 0, sizeof pck);
            memcpy(pck.fmspc, t.fmspc, 6);
            memcpy(pck.pce_id, t.pce_id, 2);
            memset(pck.comp_svn, data[0], 16);
            pck.pcesvn = data[0];
            (void)mse_tcb_info_match(&t, &pck, &m);
            mse_tcb_info_free(&t);
        }
    }
    size_t off, n;
    (void)mse_json_member_span(body, len, "tcbInfo", &off, &n);
    return 0;
}
