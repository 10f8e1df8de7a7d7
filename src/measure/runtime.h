/*
 * An enclave runtime: what both the enclave side and the user need to
 * compute one MRENCLAVE (docs/formats/runtime.md).
 *
 * A runtime is a TOML table:
 *   name, gramine       what it is ("mse-sim", "1.9")
 *   libpal_sha256       Gramine's SGX libpal.so (the only runtime file the
 *                       measurement reads: its PT_LOAD segments are EEXTENDed)
 *   template            the manifest template's text (template.h's language)
 *   [values]            every template variable, as strings: the runtime's
 *                       own (gramine.libos, gramine.runtimedir(), arch_libdir,
 *                       mse_enclave, code_dir, owner_cert, log_level,
 *                       enclave_size, max_threads) and the deployment's
 *                       (mode, san, subject, uuid, app_cmd, app_port)
 *   [[files]]           the lock: uri + sha256 of each runtime file the
 *                       template trusts (the LibOS among them)
 * A runtime directory holds runtime.lock (the table without template and
 * deployment values), the template file and libpal.so. A context's [runtime]
 * table is the whole runtime, deployment values included, so a user with the
 * context, the plain code and libpal (found by SHA-256) needs nothing else.
 */
#ifndef MSE_MEASURE_RUNTIME_H
#define MSE_MEASURE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/toml.h>

#include "measure/manifest_expand.h"

#define MSE_RUNTIME_LOCK_FILE "runtime.lock"
#define MSE_RUNTIME_TEMPLATE_FILE "mse-enclave.manifest.template"
#define MSE_RUNTIME_LIBPAL_FILE "libpal.so"
#define MSE_RUNTIME_PATH_ENV "MSE_RUNTIME_PATH"
#define MSE_RUNTIME_PATH_MAX 16
#define MSE_RUNTIME_FILE_LIMIT (256u << 20)
#define MSE_RUNTIME_TEMPLATE_LIMIT (1u << 20)

/* The deployment values, as mse-enclave's command line and the context name them. */
struct mse_runtime_deployment {
    const char *mode;     /* zero-trust | owner | untrusted-ssl */
    const char *san;
    const char *subject;  /* RFC 4514 */
    const char *uuid;
    const char *app_cmd;  /* "" for the built-in hello app */
    const char *app_port; /* "" with the hello app */
};

/*
 * Check the shape of a runtime table (a lock when lock_only: no template and
 * no deployment values needed). Every value must be a string a template may
 * insert inside a TOML basic string: UTF-8, no '"', '\' or control bytes.
 */
MSE_MUST_USE mse_err mse_runtime_check(const struct mse_toml *rt, bool lock_only, char *errbuf,
                                       size_t errlen);

/* Record the deployment values in rt's [values] (checked as above). */
MSE_MUST_USE mse_err mse_runtime_set_deployment(struct mse_toml *rt,
                                                const struct mse_runtime_deployment *d,
                                                char *errbuf, size_t errlen);

/* A string value of rt's [values], or NULL. */
const char *mse_runtime_value(const struct mse_toml *rt, const char *name);

/*
 * MRENCLAVE of the runtime for the given extra known files (the encrypted
 * code, the owner chain): render the template with [values], expand it with
 * the lock's hashes and the extra ones only (no file read), measure it with
 * libpal (whose SHA-256 must be libpal_sha256). manifest_sgx may be NULL.
 */
MSE_MUST_USE mse_err mse_runtime_measure(const struct mse_toml *rt,
                                         const struct mse_known_file *extra, size_t nextra,
                                         const uint8_t *libpal, size_t libpal_len,
                                         uint8_t mrenclave[32], char **manifest_sgx,
                                         size_t *manifest_sgx_len, char *errbuf, size_t errlen);

/* ---- runtime files on this machine (these functions read files) ---- */

/*
 * Where runtime files are looked for, in order: extra_dir (an option, may be
 * NULL), the directories of $MSE_RUNTIME_PATH (':'-separated),
 * ../share/mse/runtime/ beside the running program (an installed tree,
 * wherever it was moved), the build tree's runtime/ and the configured
 * install prefix's share/mse/runtime/.
 */
struct mse_runtime_path {
    char *dirs[MSE_RUNTIME_PATH_MAX];
    size_t n;
};
MSE_MUST_USE mse_err mse_runtime_path_init(struct mse_runtime_path *p, const char *extra_dir);
void mse_runtime_path_free(struct mse_runtime_path *p);

/*
 * The runtime of the first directory of the path that holds a runtime.lock:
 * the lock with the template's text added as `template`. *rt is the caller's.
 */
MSE_MUST_USE mse_err mse_runtime_load(const struct mse_runtime_path *p, struct mse_toml **rt,
                                      char *errbuf, size_t errlen);

/*
 * The file with this SHA-256 (hex) from the path: `name` in each directory
 * first, then any other regular file there. MSE_ERR_RUNTIME_FILE naming the
 * file, the hash and the directories searched when none matches.
 */
MSE_MUST_USE mse_err mse_runtime_find_file(const struct mse_runtime_path *p, const char *name,
                                           const char *sha256_hex, uint8_t **data, size_t *len,
                                           char *errbuf, size_t errlen);

/* mse_runtime_measure with libpal found by its hash in the path. */
MSE_MUST_USE mse_err mse_runtime_fingerprint(const struct mse_toml *rt,
                                             const struct mse_runtime_path *p,
                                             const struct mse_known_file *extra, size_t nextra,
                                             uint8_t mrenclave[32], char **manifest_sgx,
                                             size_t *manifest_sgx_len, char *errbuf,
                                             size_t errlen);

#endif
