/*
 * The man pages of the mse programs, each written from the option tables of
 * the commands it documents (mse-gendoc writes them at build time; the docs
 * test compares each page's tables with its docs/cmd page).
 */
#include "pages.h"

static const struct mse_opt *const no_tables[] = {NULL};

static const char *const mse_synopsis[] = {"COMMAND [options]", "--version", "--help", NULL};
static const struct mse_opt_cmd mse_cmd = {
    .name = "mse",
    .summary = "trust, or refuse, a web service that claims to run in an SGX enclave",
    .synopsis = mse_synopsis,
    .description = "Each command has its own page, mse-COMMAND(1).\n"
                   "`mse home verify` and `mse cloud verify` are `mse verify`.",
    .tables = no_tables,
};

static const char *const sim_synopsis[] = {"COMMAND [options]", "COMMAND --help", "--version",
                                           NULL};
static const struct mse_opt_cmd sim_cmd = {
    .name = "mse-sim",
    .summary = "an Intel SGX DCAP simulator for tests and demos (never for production)",
    .synopsis = sim_synopsis,
    .description = "Makes a simulated Intel PKI, quotes, RA-TLS certificates and evidence bundles,\n"
                   "tampered variants of them, and serves a simulated PCCS; docs/cmd/mse-sim.md\n"
                   "describes them. " SIM_TEST_ONLY,
    .tables = no_tables,
};

static const struct mse_opt_cmd *const mse_page[] = {&mse_cmd, NULL};
static const struct mse_opt_cmd *const verify_page[] = {&cli_verify_cmd, NULL};
static const struct mse_opt_cmd *const inspect_page[] = {&cli_inspect_cmd, NULL};
static const struct mse_opt_cmd *const fingerprint_page[] = {&cli_fingerprint_cmd, NULL};
static const struct mse_opt_cmd *const configure_page[] = {&cli_configure_cmd, NULL};
static const struct mse_opt_cmd *const context_page[] = {&cli_context_cmd, NULL};
static const struct mse_opt_cmd *const context_new_page[] = {&cli_context_new_cmd, NULL};
static const struct mse_opt_cmd *const trust_page[] = {
    &cli_trust_cmd, &cli_trust_add_cmd, &cli_trust_remove_cmd, &cli_trust_list_cmd, NULL};
static const struct mse_opt_cmd *const demo_page[] = {&cli_demo_cmd, NULL};
static const struct mse_opt_cmd *const sim_page[] = {&sim_cmd, NULL};
static const struct mse_opt_cmd *const enclave_page[] = {&srv_enclave_cmd, NULL};

const struct mse_opt_page gendoc_pages[] = {
    {"mse", 1, "trust, or refuse, a web service that claims to run in an SGX enclave", mse_page,
     "mse-verify(1), mse-inspect(1), mse-fingerprint(1), mse-context(1), "
     "mse-configure(1), "
     "mse-trust(1), mse-demo(1), mse-sim(1), mse-enclave(8)",
     NULL, gendoc_environment, cli_commands, false},
    {"mse-verify", 1, "verify an app's RA-TLS certificate and save it", verify_page,
     "mse-fingerprint(1), mse-trust(1), mse-configure(1), mse-sim(1)", "docs/cmd/mse-verify.md",
     gendoc_environment, NULL, false},
    {"mse-inspect", 1, "show what a certificate, quote or evidence claims (unverified)",
     inspect_page, "mse-verify(1)", "docs/cmd/mse-inspect.md", gendoc_environment, NULL, false},
    {"mse-fingerprint", 1, "compute the MRENCLAVE of an app", fingerprint_page,
     "mse-verify(1), mse-context-new(1)", "docs/cmd/mse-fingerprint.md", gendoc_environment, NULL, false},
    {"mse-configure", 1, "verify an enclave, then send it the app's secrets", configure_page,
     "mse-context(1), mse-verify(1), mse-enclave(8)", "docs/cmd/mse-configure.md",
     gendoc_environment, NULL, false},
    {"mse-context", 1, "list, show, export or remove app contexts", context_page,
     "mse-context-new(1), mse-configure(1), mse-fingerprint(1)", "docs/cmd/mse-context.md",
     gendoc_environment, NULL, false},
    {"mse-context-new", 1, "make an app context and the encrypted code to ship to the operator",
     context_new_page, "mse-context(1), mse-fingerprint(1), mse-configure(1), mse-enclave(8)",
     "docs/cmd/mse-context-new.md", gendoc_environment, NULL, false},
    {"mse-trust", 1, "add a verified certificate to the browser's NSS store", trust_page,
     "mse-verify(1), certutil(1)", "docs/cmd/mse-trust.md", gendoc_environment, NULL, false},
    {"mse-demo", 1, "run the whole zero-trust flow on the simulator", demo_page,
     "mse(1), mse-sim(1), mse-enclave(8)", "docs/cmd/mse-demo.md", gendoc_environment, NULL, false},
    {"mse-sim", 1, "an Intel SGX DCAP simulator for tests and demos", sim_page,
     "mse-verify(1), mse-demo(1)", "docs/cmd/mse-sim.md", gendoc_environment, mse_sim_commands,
     true},
    {"mse-enclave", 8, "the server an MSE app runs behind inside an SGX enclave", enclave_page,
     "mse-configure(1), mse-context(1), mse-verify(1)", "docs/cmd/mse-enclave.md",
     gendoc_environment, NULL, false},
    {0},
};

const struct gendoc_command_doc gendoc_command_docs[] = {
    {&mse_sim_pccs_serve_cmd, "docs/cmd/mse-sim-pccs.md"},
    {NULL, NULL},
};

/* Every command of the mse program, for its completions. */
const struct mse_opt_cmd *const gendoc_mse_cmds[] = {
    &mse_cmd,
    &cli_verify_cmd,
    &cli_inspect_cmd,
    &cli_fingerprint_cmd,
    &cli_context_cmd,
    &cli_context_new_cmd,
    &cli_configure_cmd,
    &cli_trust_cmd,
    &cli_trust_add_cmd,
    &cli_trust_remove_cmd,
    &cli_trust_list_cmd,
    &cli_demo_cmd,
    NULL,
};
