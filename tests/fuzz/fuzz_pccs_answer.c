/*
 * libFuzzer target: one PCCS answer as mse_pccs_fetch receives it from
 * libcurl (src/net/pccs_answer.c). The first byte picks the item, the second
 * the HTTP status; then header lines up to an empty line, then the body in
 * chunks of a size the third byte picks. Every answer must end in MSE_OK or
 * a PCCS-class error with a printable one-line reason; an accepted answer
 * must be the kind of item asked for and carry its issuer chain.
 */
#include <stdlib.h>
#include <string.h>

#include "net/pccs_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = {200, 200, 200, 200, 404, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct mse_pccs_answer a = {.id = (enum mse_pccs_item_id)(data[0] % MSE_PCCS_ITEM_COUNT)};
    long status = statuses[data[1] % (sizeof statuses / sizeof statuses[0])];
    size_t chunk = (size_t)data[2] + 1;
    const char *p = (const char *)data + 3, *end = (const char *)data + size;
    /* Header lines, each with its line end, as libcurl passes them. */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        bool blank = len <= 2 && (p[0] == '\n' || p[0] == '\r');
        if (!mse_pccs_answer_header(&a, p, len))
            abort(); /* only out of memory may fail */
        p += len;
        if (blank)
            break;
    }
    while (p < end) {
        size_t len = (size_t)(end - p) < chunk ? (size_t)(end - p) : chunk;
        if (!mse_pccs_answer_body(&a, p, len))
            break;
        p += len;
    }
    char why[512] = "";
    mse_err err = mse_pccs_answer_check(&a, status, "http://pccs.fuzz/x", data[1] & 1 ? 1 : -1,
                                        1790000000, why, sizeof why);
    if (err != MSE_OK && (mse_err_exit(err) != MSE_EXIT_PCCS || why[0] == 0))
        abort();
    for (const char *c = why; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            abort();
    if (err == MSE_OK) {
        int64_t nb, na;
        if (status != 200 || a.body_len == 0 || a.chain_bad ||
            (mse_pccs_chain_header(a.id) && !a.chain))
            abort();
        if (mse_collateral_window((enum mse_collateral_kind)a.id, a.body, a.body_len, &nb, &na) !=
            MSE_OK)
            abort();
    }
    (void)mse_pccs_retry_after_seconds(a.retry_after, 1790000000);
    mse_pccs_answer_reset(&a);
    return 0;
}
