/*
 * libFuzzer: the SGX quote v3 parser must refuse or accept any bytes without
 * UB, and whatever it accepts must agree with a plain fixed-offset reading of
 * the Intel layout (the same table as tests/unit/quote_layout_test.c):
 * a differential check between two readings of the spec.
 */
#include <stdint.h>
#include <string.h>

#include <mse/quote.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_quote q;
    mse_err err = mse_quote_parse(data, size, &q);
    if (err != MSE_OK) {
        if (q.version != 0 || q.cert_data != NULL || q.total_len != 0)
            __builtin_trap(); /* zeroed on error */
        return 0;
    }
    /* Views must lie inside the input. */
    if (q.cert_data < data || q.cert_data + q.cert_data_len > data + size ||
        q.qe_auth_data < data || q.qe_auth_data + q.qe_auth_len > data + size ||
        q.total_len != size)
        __builtin_trap();
    /* The fixed-offset reading: accepted input is at least the minimum size. */
    if (size < MSE_QUOTE_MIN_SIZE || le(data, 2) != 3 || le(data + 2, 2) != 2 ||
        le(data + 4, 4) != 0 || le(data + 432, 4) != size - 436)
        __builtin_trap();
    size_t auth = le(data + 1012, 2);
    if (q.qe_auth_len != auth || q.qe_auth_data != data + 1014 || auth + 1020 > size ||
        le(data + 1014 + auth, 2) != 5 || le(data + 1016 + auth, 4) != q.cert_data_len ||
        q.cert_data != data + 1020 + auth || 1020 + auth + q.cert_data_len != size)
        __builtin_trap();
    if (memcmp(q.body.mr_enclave, data + 48 + 64, 32) != 0 ||
        memcmp(q.body.mr_signer, data + 48 + 128, 32) != 0 ||
        memcmp(q.body.report_data, data + 48 + 320, 64) != 0 ||
        q.body.isv_prod_id != le(data + 48 + 256, 2) || q.body.isv_svn != le(data + 48 + 258, 2) ||
        q.body.attributes_flags != ((uint64_t)le(data + 96, 4) | (uint64_t)le(data + 100, 4) << 32) ||
        memcmp(q.att_public_key, data + 500, 64) != 0 ||
        memcmp(q.qe_report.mr_signer, data + 564 + 128, 32) != 0 ||
        memcmp(q.qe_report_signature, data + 948, 64) != 0)
        __builtin_trap();
    return 0;
}
