/*
 * Every environment variable the mse programs read (getenv in src/), written
 * into each man page's ENVIRONMENT section; docs/environment.md must list
 * the same names (tests/unit/opt_docs_test.c, tests/docs/environment.sh).
 */
#include "pages.h"

const struct mse_opt_env gendoc_environment[] = {
    {"MSE_PCCS_URL", "mse verify, mse configure",
     "PCCS or Intel PCS base URL when --pccs-url is not given; takes precedence over "
     "MSE_QCNL_CONF. Unset or empty: the QCNL configuration, else Intel PCS"},
    {"MSE_QCNL_CONF", "mse verify, mse configure",
     "the Intel QCNL configuration file whose pccs_url (and use_secure_cert) are used when "
     "neither --pccs-url nor MSE_PCCS_URL is set (default /etc/sgx_default_qcnl.conf; if it "
     "cannot be read, Intel PCS)"},
    {"MSE_DEBUG_REQUESTS", "mse verify",
     "when set, print the number of PCCS requests made to standard error after an online "
     "verification (tests use it to check the collateral cache)"},
    {"MSE_CONF_PATH", "mse verify, mse configure, mse context",
     "the mse configuration directory: app contexts in MSE_CONF_PATH/context and operator "
     "signer keys in MSE_CONF_PATH/signers (default $HOME/.config/mse)"},
    {"MSE_RUNTIME_PATH", "mse fingerprint, mse context new, mse configure, mse-sim",
     "colon-separated directories searched for the enclave runtime files (template, lock, "
     "libpal): after --runtime DIR, before share/mse/runtime beside the installed program"},
    {"XDG_CACHE_HOME", "mse verify, mse configure",
     "the collateral cache lives in XDG_CACHE_HOME/mse when it is an absolute path (default "
     "$HOME/.cache/mse)"},
    {"HOME", "mse",
     "the default for MSE_CONF_PATH, the collateral cache and the NSS database of mse trust "
     "($HOME/.pki/nssdb; without HOME, the password database's home directory)"},
    {"TMPDIR", "mse trust, mse demo", "where temporary directories are made (default /tmp)"},
    {"NO_COLOR", "mse", "when set and not empty, no colours even on a terminal"},
    {NULL, NULL, NULL},
};
