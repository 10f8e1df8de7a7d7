/*
 * mse-enclave: the server an MSE app runs behind inside the enclave.
 *
 * Phases (docs/cmd/mse-enclave.md):
 *   configuration  HTTPS on the RA-TLS certificate; exactly one valid
 *                  POST /.well-known/mse/configure {uuid, code_secret_key,
 *                  ssl_private_key (owner mode)} is accepted; the code is then
 *                  decrypted into the app directory and the app started.
 *   app            HTTPS on the RA-TLS certificate (zero trust), on the
 *                  owner's certificate and the key received (owner), or on the
 *                  operator's certificate or plain HTTP (untrusted-ssl);
 *                  requests go to the built-in hello app or are
 *                  reverse-proxied to the app over HTTP/1.1 on loopback.
 * In every phase GET /.well-known/mse/ratls.pem returns the RA-TLS certificate.
 */
#ifndef MSE_SRV_H
#define MSE_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/err.h>

#define SRV_PATH_RATLS "/.well-known/mse/ratls.pem"
#define SRV_PATH_CONFIGURE "/.well-known/mse/configure"
#define SRV_UUID_LEN 36
#define SRV_CONFIG_BODY_MAX (64 * 1024) /* bytes of a configuration request */
#define SRV_DEFAULT_MAX_CONNECTIONS 1024 /* client connections held at once */
#define SRV_HELLO_BODY "Hello from the enclave!\n"

enum srv_mode {
    SRV_MODE_ZERO_TRUST,
    SRV_MODE_OWNER,
    SRV_MODE_UNTRUSTED_SSL,
};

struct srv_config {
    enum srv_mode mode;
    const char *host;      /* listen address, e.g. "127.0.0.1" */
    uint16_t port;         /* 0: ephemeral */
    const char *port_file; /* if set, the bound port is written there */
    const char *uuid;      /* expected configuration uuid (NULL: no configuration phase) */
    const char *code_dir;  /* encrypted code directory (P.enc files) */
    const char *app_dir;   /* where the code is decrypted and the app runs */
    const char *app_cmd;   /* app command line (run with /bin/sh -c), NULL with hello */
    uint16_t app_port;     /* the app listens on 127.0.0.1:app_port */
    bool hello;            /* built-in hello app instead of an upstream */
    const char *ssl_cert;  /* owner: owner's chain PEM; untrusted-ssl: operator's chain */
    const char *ssl_key;   /* untrusted-ssl: operator's key PEM (NULL: plain HTTP) */
    int max_seconds;       /* stop after this long (0: never) */
    int timeout;           /* client read/write timeout, seconds */
    int request_deadline;  /* a new connection must deliver a complete request within this */
    int upstream_timeout;  /* upstream response timeout, seconds (504 after) */
    size_t max_body;       /* app-phase request body limit, bytes */
    size_t max_headers;    /* request header block limit, bytes */
    size_t max_connections; /* client connections held at once (0: derived from RLIMIT_NOFILE) */
    EVP_PKEY *ratls_key;   /* borrowed */
    X509 *ratls_cert;      /* borrowed */
};

/* Run until SIGTERM/SIGINT or max_seconds. Returns an exit code (enum mse_exit). */
int srv_run(const struct srv_config *cfg);

/* "2026-11-23T01:02:03Z mse-enclave: ..." on stderr. */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
