/*
 * mse contexts: the mse-cli v2.0 context file (TOML) plus a [runtime]
 * section holding the enclave runtime (template, lock, values), stored as
 * $MSE_CONF_PATH/context/<uuid>/context.mse (default ~/.config/mse/),
 * mode 0600 (it holds code_secret_key), written atomically.
 * Format: docs/formats/context.md.
 */
#ifndef MSE_UTIL_CONTEXT_H
#define MSE_UTIL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/toml.h>

#include "codecrypt/codecrypt.h"

#define MSE_CONTEXT_FILE "context.mse"
/* The largest context read or written: the TOML reader's own limit. About 80,000 code files
 * with paths of 40 bytes (a nonce and a claimed hash each). */
#define MSE_CONTEXT_LIMIT MSE_TOML_MAX_INPUT

struct mse_context_nonce {
    char *path;                          /* relative to the code dir, '/' separators */
    uint8_t nonce[MSE_CODE_NONCE_BYTES];
    /* [instance.encrypted_sha256]: SHA-256 of <path>.enc as mse context new wrote it. A
     * claim of the owner's, never a result: the fingerprint hashes the code itself. */
    bool has_encrypted_sha256;
    uint8_t encrypted_sha256[32];
};

struct mse_context {
    char *version;                       /* "2.0" */
    /* [config] */
    char *name;                          /* app name */
    char *project;
    char *docker;                        /* image the enclave runs (mse-cli) */
    char *python_application;            /* "module:app" */
    char *tests, *tests_cmd;             /* optional */
    char **tests_requirements;           /* optional list */
    size_t ntests_requirements;
    uint8_t code_secret_key[MSE_CODE_KEY_BYTES];
    bool has_key;
    char *ssl_app_certificate;           /* optional PEM chain */
    /* [instance] */
    bool has_instance;
    char *instance_id;                   /* UUID; also the directory name */
    char *config_domain_name;
    int64_t enclave_size;                /* GB, as mse-cli writes it */
    char *expires_at;                    /* as written ("2022-11-18 16:22:11.516125") */
    char *ssl_certificate_origin;        /* "owner", "operator", "self" */
    struct mse_context_nonce *nonces;    /* [instance.nonces], file order */
    size_t nnonces, cap_nonces;          /* entries used, allocated */
    /* [runtime] (mse): the whole runtime (src/measure/runtime.h) */
    bool has_runtime;                    /* a [runtime] mse can compute a fingerprint from */
    bool runtime_by_path;                /* an older [runtime] naming files on the owner's machine */
    struct mse_toml *runtime;            /* the [runtime] table when has_runtime (owned) */
    /* The file as parsed: keys mse does not know survive a rewrite. */
    struct mse_toml *doc;
};

/* Parse context TOML. Errors: MSE_ERR_TOML, MSE_ERR_CONTEXT (reason in errbuf). */
MSE_MUST_USE mse_err mse_context_parse(const uint8_t *data, size_t len, struct mse_context *ctx,
                                       char *errbuf, size_t errlen);
/* Serialize (tomli-w layout); *out malloc'd; the caller wipes it (it holds the key). */
MSE_MUST_USE mse_err mse_context_serialize(const struct mse_context *ctx, char **out,
                                           size_t *len);
MSE_MUST_USE mse_err mse_context_load(const char *path, struct mse_context *ctx, char *errbuf,
                                      size_t errlen);
/* Atomic write, mode 0600; parent directories created 0700. */
MSE_MUST_USE mse_err mse_context_save(const char *path, const struct mse_context *ctx);
/* Frees every field and wipes the key. */
void mse_context_free(struct mse_context *ctx);

/* Add or replace the nonce of a relative path. */
MSE_MUST_USE mse_err mse_context_set_nonce(struct mse_context *ctx, const char *path,
                                           const uint8_t nonce[MSE_CODE_NONCE_BYTES]);
/* The nonce of a relative path, or NULL. */
/* The nonce of a path the context has none for yet (a code listing's paths are distinct): no
 * search, so recording a whole tree costs no n^2/2 string compares. */
MSE_MUST_USE mse_err mse_context_add_nonce(struct mse_context *ctx, const char *path,
                                           const uint8_t nonce[MSE_CODE_NONCE_BYTES]);
const uint8_t *mse_context_nonce(const struct mse_context *ctx, const char *path);
/* Records the SHA-256 of <path>.enc; path must have a nonce (MSE_ERR_ARG otherwise). */
MSE_MUST_USE mse_err mse_context_set_encrypted_sha256(struct mse_context *ctx, const char *path,
                                                      const uint8_t sha256[32]);

/* "$MSE_CONF_PATH/context" or "$HOME/.config/mse/context". */
MSE_MUST_USE mse_err mse_context_dir(char *buf, size_t len);
/* "<context dir>/<uuid>/context.mse"; MSE_ERR_ARG unless uuid is a canonical UUID. */
MSE_MUST_USE mse_err mse_context_path(const char *uuid, char *buf, size_t len);
/* Whether s is a canonical 8-4-4-4-12 hex UUID. */
bool mse_context_uuid_ok(const char *s);

/*
 * The code files whose encrypted form differs from the hash the context
 * claims for it ([instance.encrypted_sha256]): how many, and the first in the
 * code's order, relative to the code directory. Set by a fingerprint that
 * succeeds (zero when the context claims no hash): it explains a fingerprint
 * that is not the owner's.
 */
struct mse_code_diff {
    size_t n;
    char first[256];
};

/*
 * The code fingerprint (MRENCLAVE) from a context and the plain code:
 * encrypt the code with the context's key and nonces, and measure the
 * context's runtime (src/measure/runtime.h) with the encrypted files' hashes;
 * libpal is found by its SHA-256 in the runtime path (runtime_dir first, may
 * be NULL). A one-line reason is left in errbuf on error; a context without a
 * usable [runtime] says what it lacks.
 * stop may be NULL. When the caller computes this on a thread of its own, it
 * may set *stop (__atomic_store_n) to give up: the code files not yet taken
 * are left and MSE_ERR_INTERNAL ("fingerprint stopped") comes back.
 * hashed (may be NULL) is called once with hashed_arg, on this thread, when
 * the caller's own CPU work no longer delays the fingerprint by more than it
 * takes: once every code file is hashed, before the manifest is written and
 * the enclave measured (about 30 ms of one core for a 2 GB enclave); or, when
 * the context claims every file's hash and the measurement runs beside the
 * hashing (docs/formats/context.md), as soon as the hashing starts. Not
 * called when the computation fails before.
 * diff (may be NULL): see struct mse_code_diff.
 */
MSE_MUST_USE mse_err mse_fingerprint_from_context(const char *context_path, const char *code_dir,
                                                  const bool *stop, void (*hashed)(void *),
                                                  void *hashed_arg, uint8_t mrenclave[32],
                                                  struct mse_code_diff *diff, char *errbuf,
                                                  size_t errlen);

/*
 * The same from an already loaded context; if manifest_sgx is not NULL it
 * receives the expanded manifest (malloc'd, *manifest_sgx_len bytes).
 */
MSE_MUST_USE mse_err mse_fingerprint_context(const struct mse_context *ctx, const char *code_dir,
                                             const char *runtime_dir, uint8_t mrenclave[32],
                                             char **manifest_sgx, size_t *manifest_sgx_len,
                                             struct mse_code_diff *diff, char *errbuf,
                                             size_t errlen);

#endif
