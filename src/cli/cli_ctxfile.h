/*
 * The owner's context file as `mse context new` writes it and `mse configure`
 * reads it: a small TOML document (docs/cmd/mse-context-new.md).
 *
 *   version = "1.0"
 *   [config]
 *   name = "..."
 *   code_secret_key = "<64 hex>"
 *   [instance]
 *   id = "<uuid>"
 *   san = "..."
 *   owner_cert = "<path>"        (app owner trust only)
 *   mrenclave = "<64 hex>"       (optional: the code fingerprint)
 *   [instance.nonces]
 *   "<relative path>" = "<48 hex>"
 *
 * The reader accepts exactly this subset of TOML (basic strings, bare or
 * quoted keys, these tables); anything else is MSE_ERR_CONTEXT. It is kept
 * behind this small interface so the shared context API (src/util/context.h)
 * can replace it without touching the commands.
 */
#ifndef MSE_CLI_CTXFILE_H
#define MSE_CLI_CTXFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct mse_ctxfile;

MSE_MUST_USE mse_err mse_ctxfile_new(struct mse_ctxfile **out);
MSE_MUST_USE mse_err mse_ctxfile_set_instance(struct mse_ctxfile *c, const char *name,
                                              const char *uuid, const char *san,
                                              const uint8_t key[32], const char *owner_cert);
MSE_MUST_USE mse_err mse_ctxfile_add_nonce(struct mse_ctxfile *c, const char *rel,
                                           const uint8_t nonce[24]);
size_t mse_ctxfile_nonce_count(const struct mse_ctxfile *c);
/* Written atomically with mode 0600 (it holds code_secret_key). */
MSE_MUST_USE mse_err mse_ctxfile_write(const struct mse_ctxfile *c, const char *path);

MSE_MUST_USE mse_err mse_ctxfile_read(const char *path, struct mse_ctxfile **out);
/* Accessors; strings stay valid until mse_ctxfile_free. NULL when absent. */
const char *mse_ctxfile_uuid(const struct mse_ctxfile *c);
const char *mse_ctxfile_san(const struct mse_ctxfile *c);
const char *mse_ctxfile_owner_cert(const struct mse_ctxfile *c);
const char *mse_ctxfile_key_hex(const struct mse_ctxfile *c);
const char *mse_ctxfile_mrenclave_hex(const struct mse_ctxfile *c);

/* Wipes the key material and frees. NULL is fine. */
void mse_ctxfile_free(struct mse_ctxfile *c);

#endif
