/*
 * Enclave-side building blocks shared by mse-enclave and the simulator:
 * quote providers and RA-TLS certificate creation (the MSE format).
 *
 * MSE RA-TLS certificate: EC P-256 key made in the enclave; self-signed X.509
 * v3, ECDSA-SHA256; SAN (DNS name or IP address); subject from an RFC 4514
 * string; BasicConstraints CA:FALSE (critical); keyUsage digitalSignature;
 * extendedKeyUsage serverAuth; the quote in extension 1.2.840.113741.1337.6
 * (non-critical) with REPORTDATA = SHA-256(X9.62 uncompressed public point)
 * || the enclave's X25519 public key (zeros when none).
 */
#ifndef MSE_ATTESTER_H
#define MSE_ATTESTER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/err.h>

#include "measure/runtime.h"

/* Something that turns 64 bytes of REPORTDATA into an SGX quote. */
struct mse_quote_provider {
    const char *name; /* "gramine", "sim" */
    /* On success *quote is malloc'd (caller frees). */
    mse_err (*get_quote)(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                         size_t *quote_len);
    void (*close)(void *ctx);
    void *ctx;
};

/*
 * Gramine's /dev/attestation interface: check attestation_type is "dcap",
 * write user_report_data, read quote. `root` is "/dev/attestation" on real
 * SGX; tests point it at a directory of plain files.
 */
MSE_MUST_USE mse_err mse_quote_provider_gramine(const char *root, struct mse_quote_provider *out);
void mse_quote_provider_close(struct mse_quote_provider *qp);

struct mse_ratls_params {
    const char *subject;   /* RFC 4514, e.g. "CN=localhost,O=MyApp Company,C=FR" */
    const char *san;       /* DNS name or IP address literal */
    int64_t not_before;    /* UTC seconds */
    int64_t not_after;     /* UTC seconds */
    const uint8_t *x25519_public_key; /* 32 bytes, or NULL for zeros */
};

/*
 * Make the RA-TLS certificate. If *key is NULL a fresh P-256 key is made and
 * returned in *key (caller frees with EVP_PKEY_free); otherwise *key is used.
 * *cert receives the certificate (caller frees with X509_free).
 */
MSE_MUST_USE mse_err mse_ratls_cert_create(const struct mse_quote_provider *qp,
                                           const struct mse_ratls_params *params, EVP_PKEY **key,
                                           X509 **cert);

/* What the simulated enclave runs: its command line's values and files. */
struct mse_sim_measure_in {
    struct mse_runtime_deployment deployment; /* --mode, --san, --subject, --uuid, --app-cmd, --app-port */
    const char *code_dir;    /* --code-dir: the encrypted code (P.enc files), or NULL */
    const char *owner_chain; /* owner mode: --ssl-cert, the owner's chain; else NULL */
    const char *runtime_dir; /* --runtime: looked at first, or NULL (src/measure/runtime.h path) */
};

/*
 * MRENCLAVE of the simulated enclave, exactly as Gramine would measure the
 * runtime found in the runtime path rendered with these values, with the
 * code directory's files (hashed here) and the owner chain as trusted files.
 * MSE_ERR_RUNTIME_FILE when no runtime or no libpal with the pinned hash is
 * found; a one-line reason in errbuf on any error.
 */
MSE_MUST_USE mse_err mse_sim_measure(const struct mse_sim_measure_in *in, uint8_t mrenclave[32],
                                     char *errbuf, size_t errlen);

#endif
