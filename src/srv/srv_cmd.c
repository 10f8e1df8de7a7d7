/* mse-enclave's option table (see srv_cmd.h); docs/cmd/mse-enclave.md lists the same options. */
#include "srv_cmd.h"

static const struct mse_opt attestation_options[] = {
    {"mode", 0, "MODE", "zero-trust, owner or untrusted-ssl (required)", SRV_O_MODE, 0},
    {"provider", 0, "P", "quote provider: gramine (default) or sim", SRV_O_PROVIDER, 0},
    {"attestation-root", 0, "DIR", "Gramine attestation files (default /dev/attestation)",
     SRV_O_ATT_ROOT, MSE_OPT_DIR},
    {"sim-pki", 0, "DIR", "simulator PKI (mse-sim pki init), with --provider sim", SRV_O_SIM_PKI,
     MSE_OPT_DIR},
    {"sim-mrenclave", 0, "HEX", "override the measured MRENCLAVE (negative tests only)",
     SRV_O_SIM_MRENCLAVE, 0},
    {"runtime", 0, "DIR", "with --provider sim: the runtime to measure (docs/formats/runtime.md)",
     SRV_O_RUNTIME, MSE_OPT_DIR},
    {"sim-mrsigner", 0, "HEX", "simulated MRSIGNER (default: the PKI's signer)",
     SRV_O_SIM_MRSIGNER, 0},
    {"sim-debug", 0, NULL, "simulate a debug enclave", SRV_O_SIM_DEBUG, 0},
    {"san", 0, "NAME", "DNS name or IP address of the app (required)", SRV_O_SAN, 0},
    {"subject", 0, "RFC4514", "certificate subject (default CN=<san>)", SRV_O_SUBJECT, 0},
    {"expiration", 0, "T", "RFC 3339 UTC instant or a number of days (default 365)",
     SRV_O_EXPIRATION, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt listen_options[] = {
    {"host", 0, "ADDR", "listen address (default 127.0.0.1)", SRV_O_HOST, 0},
    {"port", 0, "N", "listen port (default 443; 0: ephemeral)", SRV_O_PORT, 0},
    {"port-file", 0, "FILE", "write the bound port to FILE once listening", SRV_O_PORT_FILE,
     MSE_OPT_FILE},
    {"ssl-cert", 0, "PEM", "owner: the owner's chain; untrusted-ssl: the operator's chain",
     SRV_O_SSL_CERT, MSE_OPT_FILE},
    {"ssl-key", 0, "PEM", "untrusted-ssl: the operator's key (none: plain HTTP)", SRV_O_SSL_KEY,
     MSE_OPT_FILE},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt app_options[] = {
    {"uuid", 0, "UUID", "the app's uuid; enables the configuration phase", SRV_O_UUID, 0},
    {"code-dir", 0, "DIR", "encrypted code (P.enc files)", SRV_O_CODE_DIR, MSE_OPT_DIR},
    {"app-dir", 0, "DIR", "where the code is decrypted and the app runs", SRV_O_APP_DIR,
     MSE_OPT_DIR},
    {"app-cmd", 0, "CMD", "app command line (run with /bin/sh -c in --app-dir)", SRV_O_APP_CMD,
     0},
    {"app-port", 0, "N", "port the app listens on at 127.0.0.1", SRV_O_APP_PORT, 0},
    /* Refused with its reason (libevent 2.1 has no UNIX-socket HTTP client). */
    {"app-socket", 0, "PATH", "not supported by this build", SRV_O_APP_SOCKET, MSE_OPT_HIDDEN},
    {"hello", 0, NULL, "serve the built-in hello app instead", SRV_O_HELLO, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt limit_options[] = {
    {"timeout", 0, "S", "client read/write idle timeout (default 30)", SRV_O_TIMEOUT, 0},
    {"request-deadline", 0, "S",
     "first request of a connection complete within S (default 60)", SRV_O_DEADLINE, 0},
    {"upstream-timeout", 0, "S", "app response timeout, 504 after (default 60)", SRV_O_UP_TIMEOUT,
     0},
    {"max-body", 0, "BYTES", "request body limit in the app phase (default 16 MiB)",
     SRV_O_MAX_BODY, 0},
    {"max-connections", 0, "N",
     "client connections held at once; the rest wait (default 1024)", SRV_O_MAX_CONNS, 0},
    {"max-seconds", 0, "N", "stop after N seconds", SRV_O_MAX_SECONDS, 0},
    {"version", 0, NULL, "print the version and exit", SRV_O_VERSION, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt *const enclave_tables[] = {
    attestation_options, listen_options, app_options, limit_options, NULL,
};

static const char *const enclave_synopsis[] = {
    "--mode zero-trust|owner|untrusted-ssl --san NAME [options]",
    NULL,
};

const struct mse_opt_cmd srv_enclave_cmd = {
    .name = "mse-enclave",
    .summary = "the server an MSE app runs behind inside an SGX enclave",
    .synopsis = enclave_synopsis,
    .description =
        "Makes the enclave's RA-TLS certificate, receives the app owner's secrets in a\n"
        "one-shot configuration phase (--uuid, --code-dir), decrypts the code into\n"
        "--app-dir, starts the app and serves it over HTTPS (or plain HTTP behind the\n"
        "operator's proxy), reverse-proxying to it. Paths and ports are checked at start.",
    .tables = enclave_tables,
};
