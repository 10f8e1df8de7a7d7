/*
 * libFuzzer target: the ELF64 program-header reader and the measurement of
 * its segments (small EDMM enclave so each run stays fast).
 */
#include <string.h>

#include <mse/measure.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_elf elf;
    uint8_t mr[32];
    static const uint8_t manifest[] = "sgx.edmm_enable = true\n";
    if (mse_elf_parse(data, size, &elf) != MSE_OK)
        return 0;
    struct mse_enclave_attrs a = {.enclave_size = 64u << 20, .max_threads = 1, .edmm = true};
    (void)mse_measure_enclave(&a, manifest, sizeof manifest - 1, data, size, mr);
    return 0;
}
