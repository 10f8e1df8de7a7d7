/*
 * libFuzzer target: the configuration server's answer as `mse configure`
 * reads it (cli_configure_parse_response), arbitrary bytes up to the end of
 * the connection. A parse either fails with MSE_ERR_SERVER or gives a status
 * of three digits and a one-line, control-free, NUL-terminated message that
 * fits its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_configure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[64];
    int status = -1;
    memset(msg, 'x', sizeof msg);
    mse_err err = cli_configure_parse_response(data, size, &status, msg, sizeof msg);
    if (err != MSE_OK) {
        if (err != MSE_ERR_SERVER)
            abort();
        return 0;
    }
    if (status < 0 || status > 999)
        abort();
    size_t n = strnlen(msg, sizeof msg);
    if (n == sizeof msg)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] == 0x7f)
            abort();
    return 0;
}
