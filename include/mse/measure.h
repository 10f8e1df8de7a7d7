/*
 * SGX enclave measurement (MRENCLAVE) of a Gramine 1.9 enclave, computed
 * from the expanded manifest (the *.manifest.sgx bytes) and the libpal ELF.
 *
 * MRENCLAVE is SHA-256 over the 64-byte records the Intel SDM (vol. 3D,
 * "ECREATE", "EADD", "EEXTEND") defines, in the order Gramine's signer
 * (python/graminelibos/sgx_sign.py, v1.9) adds pages:
 *   "ECREATE\0" || u32 SSAFRAMESIZE (pages) || u64 SIZE || 44 zero bytes
 *   "EADD\0\0\0\0" || u64 page offset || u64 SECINFO.FLAGS || 40 zero bytes
 *   "EEXTEND\0" || u64 offset || 48 zero bytes, then the 256 bytes measured
 * Layout, from the top of the enclave down: manifest (+ NUL), SSA frames,
 * TCS pages, TLS pages, per-thread stacks, per-thread signal stacks, then
 * libpal's PT_LOAD segments; below that the heap ("free") pages, which are
 * EADDed but not EEXTENDed, and are left out entirely with EDMM.
 *
 * Everything here is pure: bytes in, 32 bytes out.
 */
#ifndef MSE_MEASURE_H
#define MSE_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#define MSE_ELF_MAX_LOAD 64

/* One PT_LOAD program header. */
struct mse_elf_load {
    uint64_t offset; /* p_offset: file offset of the segment */
    uint64_t vaddr;  /* p_vaddr */
    uint64_t filesz; /* p_filesz: bytes taken from the file */
    uint64_t memsz;  /* p_memsz: bytes in memory (rest zero) */
    uint32_t flags;  /* p_flags: PF_X 1, PF_W 2, PF_R 4 */
};

struct mse_elf {
    uint64_t entry; /* e_entry */
    size_t nload;
    struct mse_elf_load load[MSE_ELF_MAX_LOAD];
};

/*
 * Parse an ELF64 little-endian file's header and PT_LOAD program headers.
 * Every header and every segment's file bytes are bounds-checked against len.
 * MSE_ERR_ELF on anything malformed or unsupported (ELF32, big endian, no
 * PT_LOAD, more than MSE_ELF_MAX_LOAD segments).
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_elf_parse(const uint8_t *elf, size_t len, struct mse_elf *out)
    MSE_NONNULL(3);

/* The three manifest values the measurement depends on. */
struct mse_enclave_attrs {
    uint64_t enclave_size; /* sgx.enclave_size, bytes */
    uint64_t max_threads;  /* sgx.max_threads */
    bool edmm;             /* sgx.edmm_enable (Python truthiness) */
};

/*
 * MRENCLAVE of the enclave Gramine builds from `manifest` (the exact bytes of
 * the .manifest.sgx file; a NUL is appended in enclave memory, as Gramine
 * does) with the given attributes and libpal ELF bytes.
 * Errors: MSE_ERR_ELF, MSE_ERR_MANIFEST (layout does not fit: "Enclave size
 * is not large enough" and the like), MSE_ERR_CRYPTO, MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_measure_enclave(const struct mse_enclave_attrs *attrs,
                                         const uint8_t *manifest, size_t manifest_len,
                                         const uint8_t *elf, size_t elf_len,
                                         uint8_t mrenclave[32]) MSE_NONNULL(1, 6);

/*
 * The whole measurement step of gramine-sgx-sign: parse the .manifest.sgx
 * TOML, apply Gramine's defaults to read the attributes (see
 * mse_manifest_attrs in <mse/manifest.h>), then mse_measure_enclave().
 * attrs_out may be NULL.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_measure_manifest_sgx(const uint8_t *manifest, size_t manifest_len,
                                              const uint8_t *elf, size_t elf_len,
                                              uint8_t mrenclave[32],
                                              struct mse_enclave_attrs *attrs_out)
    MSE_NONNULL(5);

#endif
