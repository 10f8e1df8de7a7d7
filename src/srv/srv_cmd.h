/*
 * mse-enclave's command line, written once: the option table that drives
 * the parser (mse_enclave_main.c), --help, and the check of
 * docs/cmd/mse-enclave.md (tests/unit/enclave_opts_test.c).
 */
#ifndef MSE_SRV_CMD_H
#define MSE_SRV_CMD_H

#include <stdbool.h>

#include "srv/srv.h"
#include "util/opt.h"

/* What the command line sets: the server's configuration and how to attest. */
struct srv_enclave_opts {
    struct srv_config srv;
    const char *provider;
    const char *attestation_root;
    const char *sim_pki;
    const char *sim_mrenclave;
    const char *runtime_dir;
    const char *sim_mrsigner;
    bool sim_debug;
    const char *subject;
    const char *san;
    const char *expiration;
    const char *mode;
    const char *app_socket;
};

enum srv_opt_id {
    SRV_O_MODE = 1,
    SRV_O_PROVIDER,
    SRV_O_ATT_ROOT,
    SRV_O_SIM_PKI,
    SRV_O_SIM_MRENCLAVE,
    SRV_O_SIM_MRSIGNER,
    SRV_O_SIM_DEBUG,
    SRV_O_RUNTIME,
    SRV_O_SUBJECT,
    SRV_O_SAN,
    SRV_O_EXPIRATION,
    SRV_O_HOST,
    SRV_O_PORT,
    SRV_O_PORT_FILE,
    SRV_O_UUID,
    SRV_O_CODE_DIR,
    SRV_O_APP_DIR,
    SRV_O_APP_CMD,
    SRV_O_APP_PORT,
    SRV_O_APP_SOCKET,
    SRV_O_HELLO,
    SRV_O_SSL_CERT,
    SRV_O_SSL_KEY,
    SRV_O_TIMEOUT,
    SRV_O_DEADLINE,
    SRV_O_UP_TIMEOUT,
    SRV_O_MAX_BODY,
    SRV_O_MAX_CONNS,
    SRV_O_MAX_SECONDS,
    SRV_O_VERSION,
};

extern const struct mse_opt_cmd srv_enclave_cmd;

#endif
