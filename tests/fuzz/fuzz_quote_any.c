/*
 * libFuzzer: the display reader of quotes v3/v4/v5 (mse_quote_any_parse),
 * which also takes TDX quotes, must refuse or accept any bytes without UB
 * (issue 12: no crash on any TDX input). An error names a field and an
 * offset inside the input, and zeroes the result; an accepted quote's views
 * lie inside the input; and wherever the verifier's v3 parser accepts, this
 * reader accepts and agrees (two readings of one layout). The same bytes in
 * a TDX certificate extension go through mse_inspect_json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mse/inspect.h>
#include <mse/quote.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return n == 0 || (p >= data && p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_quote_any a;
    struct mse_quote q;
    struct mse_parse_where w;
    mse_err err = mse_quote_any_parse(data, size, &a, &w);
    if (err != MSE_OK) {
        if (w.field == NULL || w.offset > size || a.version != 0 || a.cert_data != NULL)
            __builtin_trap();
    } else {
        if (!inside(a.cert_data, a.cert_data_len, data, size) ||
            !inside(a.qe_auth_data, a.qe_auth_len, data, size) || a.total_len != size ||
            (a.is_td != (a.tee_type == MSE_QUOTE_TEE_TDX)))
            __builtin_trap();
    }
    if (mse_quote_parse(data, size, &q) == MSE_OK) {
        if (err != MSE_OK || a.is_td || memcmp(a.sgx.mr_enclave, q.body.mr_enclave, 32) != 0 ||
            memcmp(a.sgx.report_data, q.body.report_data, 64) != 0 ||
            a.cert_data != q.cert_data || a.qe_auth_len != q.qe_auth_len)
            __builtin_trap();
    }
    /* Any quote-shaped input through the inspect model (raw-quote path). */
    char *js = NULL;
    if (mse_inspect_json(data, size, &js, &w) == MSE_OK && js == NULL)
        __builtin_trap();
    free(js);
    return 0;
}
