/* libFuzzer: RA-TLS extraction and binding on arbitrary certificate bytes. */
#include <stdint.h>
#include <string.h>

#include <mse/quote.h>
#include <mse/ratls.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[MSE_QUOTE_MAX_SIZE + 4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    uint8_t x25519[32];
    if (mse_ratls_extract(data, size, buf, sizeof buf, &r) != MSE_OK) {
        if (r.carrier != MSE_RATLS_CARRIER_NONE || r.quote != NULL)
            __builtin_trap(); /* zeroed on error */
        return 0;
    }
    /* Views must lie inside the caller's buffer. */
    if (r.quote < buf || r.quote_len > sizeof buf || r.quote + r.quote_len > buf + sizeof buf)
        __builtin_trap();
    if (r.claims && (r.claims < buf || r.claims + r.claims_len > buf + sizeof buf))
        __builtin_trap();
    uint8_t report_data[64] = {0};
    if (mse_quote_parse(r.quote, r.quote_len, &q) == MSE_OK)
        memcpy(report_data, q.body.report_data, 64);
    if (mse_ratls_check_binding(data, size, &r, report_data, &form, x25519) == MSE_OK &&
        form == MSE_BINDING_NONE)
        __builtin_trap();
    return 0;
}
