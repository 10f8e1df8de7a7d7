/*
 * mse-enclave's configuration request body (srv_config_parse) on arbitrary
 * bytes, in both configuration modes: a status or success, never a crash;
 * on success the uuid is the expected one.
 */
#include <stdlib.h>
#include <string.h>

#include "srv/srv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char uuid[] = "6ebc0242-3d2f-4e81-b135-7b2cf911df14";
    for (int mode = 0; mode < 2; mode++) {
        struct srv_config_msg m;
        const char *why = NULL;
        memset(&m, 0, sizeof m);
        int code = srv_config_parse((const char *)data, size,
                                    mode ? SRV_MODE_OWNER : SRV_MODE_ZERO_TRUST, uuid, &m, &why);
        if (code == 0 && strcmp(m.uuid, uuid) != 0)
            abort();
        if (code != 0 && why == NULL)
            abort();
        srv_config_msg_wipe(&m);
    }
    return 0;
}
