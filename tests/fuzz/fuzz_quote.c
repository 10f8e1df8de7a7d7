/* libFuzzer: the SGX quote v3 parser must refuse or accept any bytes without UB. */
#include <stdint.h>
#include <string.h>

#include <mse/quote.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_quote q;
    if (mse_quote_parse(data, size, &q) == MSE_OK) {
        /* Views must lie inside the input. */
        if (q.cert_data < data || q.cert_data + q.cert_data_len > data + size ||
            q.qe_auth_data < data || q.qe_auth_data + q.qe_auth_len > data + size ||
            q.total_len != size)
            __builtin_trap();
    }
    return 0;
}
