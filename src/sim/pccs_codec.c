/*
 * Pure helpers of the simulated PCCS: the percent-encoding of issuer-chain
 * headers (JavaScript encodeURIComponent, ECMA-262 "Encode" with the
 * unreserved set of RFC 3986 plus ! ~ * ' ( ), which is what Intel's PCS
 * emits and PCCS passes through), lowercase hex bodies (Node's
 * Buffer.toString('hex'), used by PCCS for CRLs), and the request parameter
 * rules of PCCS 1.23's controllers (tcbinfoController, pckcrlController,
 * identityController, middleware/addRequestId).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "sim/pccs.h"

static const char HEX_UPPER[] = "0123456789ABCDEF";

/* The characters encodeURIComponent leaves alone. */
static bool uri_component_unreserved(uint8_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("-_.!~*'()", c) != NULL;
}

char *mse_sim_pccs_percent_encode(const uint8_t *in, size_t len)
{
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(3 * len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (uri_component_unreserved(in[i])) {
            out[o++] = (char)in[i];
        } else {
            out[o++] = '%';
            out[o++] = HEX_UPPER[in[i] >> 4];
            out[o++] = HEX_UPPER[in[i] & 0x0f];
        }
    }
    out[o] = '\0';
    return out;
}

mse_err mse_sim_pccs_percent_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
    MSE_ENSURE(in != NULL || len == 0, MSE_ERR_ARG);
    uint8_t *buf = malloc(len + 1);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '%') {
            buf[o++] = (uint8_t)in[i];
            continue;
        }
        int hi = i + 2 < len ? mse_hex_digit((unsigned char)(in[i + 1])) : -1;
        int lo = i + 2 < len ? mse_hex_digit((unsigned char)(in[i + 2])) : -1;
        if (hi < 0 || lo < 0) {
            free(buf);
            return MSE_ERR_HEX;
        }
        buf[o++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return MSE_OK;
}

char *mse_sim_pccs_hex(const uint8_t *in, size_t len)
{
    if (len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *out = malloc(2 * len + 1);
    if (out == NULL)
        return NULL;
    if (len == 0)
        out[0] = '\0';
    else
        mse_hex_encode(in, len, out);
    return out;
}

mse_err mse_sim_pccs_check_fmspc(const char *fmspc, bool *is_hex, char lower[13])
{
    /* PCCS: `fmspc == null || fmspc.length != 12` -> 400 Invalid request parameters. */
    MSE_ENSURE(fmspc != NULL && strlen(fmspc) == 12, MSE_ERR_ARG);
    bool hex = true;
    for (size_t i = 0; i < 12; i++) {
        int d = mse_hex_digit((unsigned char)(fmspc[i]));
        if (d < 0)
            hex = false;
        else
            lower[i] = "0123456789abcdef"[d];
    }
    lower[12] = '\0';
    if (!hex)
        lower[0] = '\0'; /* never let a non-hex value reach a file name */
    *is_hex = hex;
    return MSE_OK;
}

mse_err mse_sim_pccs_check_ca(const char *ca, bool *processor)
{
    MSE_ENSURE(ca != NULL, MSE_ERR_ARG);
    if (strcasecmp(ca, "processor") == 0) {
        *processor = true;
        return MSE_OK;
    }
    MSE_ENSURE(strcasecmp(ca, "platform") == 0, MSE_ERR_ARG);
    *processor = false;
    return MSE_OK;
}

mse_err mse_sim_pccs_check_update(const char *update)
{
    /* PCCS: `req.query.update ? upper : STANDARD`, so an empty value means standard. */
    if (update == NULL || update[0] == '\0')
        return MSE_OK;
    MSE_ENSURE(strcasecmp(update, "standard") == 0 || strcasecmp(update, "early") == 0,
               MSE_ERR_ARG);
    return MSE_OK;
}

bool mse_sim_pccs_encoding_is_der(const char *encoding)
{
    return encoding != NULL && strcasecmp(encoding, "der") == 0;
}

bool mse_sim_pccs_request_id_ok(const char *id)
{
    if (id == NULL)
        return false;
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}
