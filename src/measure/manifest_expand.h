/*
 * gramine-sgx-sign 1.9's manifest expansion, the part that reads files:
 * loader.entrypoint hashing and sgx.trusted_files expansion (files and
 * directories, Gramine's order, SHA-256 of each, pre-hashed entries kept
 * without reading the file), optionally inside a chroot (--root), or from
 * known hashes only (no file read at all).
 */
#ifndef MSE_UTIL_MANIFEST_EXPAND_H
#define MSE_UTIL_MANIFEST_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/measure.h>

/* A file whose SHA-256 is already known (a runtime lock entry, an encrypted code file). */
struct mse_known_file {
    const char *path; /* the path of its file: URI, normalised as PurePosixPath does */
    char sha256[65];  /* 64 lowercase hex digits */
};

struct mse_expand_opts {
    const char *root;         /* chroot for absolute file: URIs (gramine-sgx-sign --chroot), or NULL */
    const char *default_libos; /* loader.entrypoint.uri default; NULL: "file:" MSE_GRAMINE_DEFAULT_LIBOS */
    /*
     * Hashes to use instead of reading the files. With known_only nothing is
     * read from this machine: a file URI must be known (MSE_ERR_RUNTIME
     * otherwise, naming it), and a directory URI expands to the known files
     * under it in Gramine's order (sorted names in each directory, depth
     * first). The user side uses this: it has hashes, not the operator's files.
     */
    const struct mse_known_file *known;
    size_t nknown;
    bool known_only;
    /*
     * Output, may be NULL: the enclave attributes of the tree that was written
     * (mse_manifest_attrs), the ones a parse of *out gives back, known before
     * that parse.
     */
    struct mse_enclave_attrs *attrs;
};

/*
 * Expand a user manifest (TOML bytes) into the .manifest.sgx bytes Gramine
 * writes. Relative paths resolve against the current directory. *out is
 * malloc'd (NUL-terminated, *out_len bytes). On error a one-line reason is
 * left in errbuf (may be NULL). Errors: MSE_ERR_TOML, MSE_ERR_MANIFEST,
 * MSE_ERR_FILE_NOT_FOUND, MSE_ERR_IO, MSE_ERR_NOMEM, MSE_ERR_UNSUPPORTED,
 * MSE_ERR_RUNTIME (known_only: a trusted file that is not known).
 */
MSE_MUST_USE mse_err mse_manifest_expand(const uint8_t *manifest, size_t len,
                                         const struct mse_expand_opts *opts, char **out,
                                         size_t *out_len, char *errbuf, size_t errlen);

/* SHA-256 of a file as 64 lowercase hex digits + NUL. */
MSE_MUST_USE mse_err mse_file_sha256_hex(const char *path, char hex[65]);

#endif
