/* Fuzz the strict DER parser of the PCK SGX extension (OID 1.2.840.113741.1.13.1). */
#include <stddef.h>
#include <stdint.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_pck_ext e;
    (void)mse_pck_ext_parse(data, size, &e);
    return 0;
}
