/*
 * Gramine 1.9 manifest rules that do not touch the filesystem
 * (python/graminelibos/manifest.py Manifest.__init__, and parse_size /
 * the attribute reads of sgx_sign.py). The expansion of trusted files, which
 * reads files and directories, lives in the CLI helpers (src/util/).
 */
#ifndef MSE_MANIFEST_H
#define MSE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/measure.h>
#include <mse/toml.h>

/* Where Debian's gramine package installs the LibOS (loader.entrypoint default). */
#define MSE_GRAMINE_DEFAULT_LIBOS "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"

/*
 * sgx_sign.py parse_size(): optional K/M/G suffix, then Python int(s, 0)
 * (sign, 0x/0o/0b prefixes, single underscores between digits, surrounding
 * whitespace). Refuses values <= 0 or past 2^63 (MSE_ERR_MANIFEST).
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_manifest_parse_size(const char *s, size_t len, uint64_t *out)
    MSE_NONNULL(1, 3);

/*
 * Manifest.__init__ in place: insert the sgx defaults (trusted_files = [],
 * max_threads = 4, isvprodid = 0, isvsvn = 0, remote_attestation = "none",
 * debug/enable_stats/edmm_enable = false, enclave_size "256M" or "1024G"
 * with EDMM, use_exinfo = false, cpu_features avx/avx512/amx "unspecified",
 * mpx/pkru "disabled"), turn each trusted_files string into { uri = ... },
 * and give loader.entrypoint a uri (default_libos_uri, e.g.
 * "file:" MSE_GRAMINE_DEFAULT_LIBOS) when it has none.
 * *entry_to_hash is set to the loader.entrypoint table when it still lacks
 * sha256 (the caller hashes the file and sets it), else NULL.
 * MSE_ERR_MANIFEST when a value has a type Gramine cannot handle.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_manifest_defaults(struct mse_toml *root, const char *default_libos_uri,
                                           struct mse_toml **entry_to_hash) MSE_NONNULL(1, 2);

/*
 * Apply the defaults (to `root`, in place) and read enclave_size,
 * max_threads and edmm_enable as sgx_sign.py does.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_manifest_attrs(struct mse_toml *root, struct mse_enclave_attrs *out)
    MSE_NONNULL(1, 2);

/* Python truthiness of a TOML value (bool(x)). */
MSE_EXTERN bool mse_manifest_truthy(const struct mse_toml *v);

#endif
