/*
 * The simulated PCCS's helpers on arbitrary bytes: percent-decoding never
 * reads past its input, encode/decode round-trip exactly, the parameter
 * checks never let a non-hex FMSPC through as a file name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pccs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *enc = mse_sim_pccs_percent_encode(data, size);
    if (enc == NULL)
        abort();
    uint8_t *dec = NULL;
    size_t n = 0;
    if (mse_sim_pccs_percent_decode(enc, strlen(enc), &dec, &n) != MSE_OK || n != size ||
        (size > 0 && memcmp(dec, data, size) != 0))
        abort();
    free(dec);
    free(enc);

    /* Arbitrary text as a header value or query parameter. */
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    if (mse_sim_pccs_percent_decode(text, size, &dec, &n) == MSE_OK) {
        if (n > size)
            abort();
        free(dec);
    }
    bool is_hex = false, proc = false;
    char lower[13];
    if (mse_sim_pccs_check_fmspc(text, &is_hex, lower) == MSE_OK) {
        size_t l = strlen(lower);
        if (is_hex ? l != 12 : l != 0)
            abort();
        for (size_t i = 0; i < l; i++)
            if (strchr("0123456789abcdef", lower[i]) == NULL)
                abort();
    }
    (void)mse_sim_pccs_check_ca(text, &proc);
    (void)mse_sim_pccs_check_update(text);
    (void)mse_sim_pccs_encoding_is_der(text);
    (void)mse_sim_pccs_request_id_ok(text);
    char *hex = mse_sim_pccs_hex(data, size);
    if (hex == NULL || strlen(hex) != 2 * size)
        abort();
    free(hex);
    free(text);
    return 0;
}
