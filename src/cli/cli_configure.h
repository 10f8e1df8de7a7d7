/*
 * mse configure, shaped parse -> run -> print (cli.h), its run in the three
 * documented steps (docs/cmd/mse-configure.md): prepare everything locally,
 * verify the server on one connection, send the secrets on that connection.
 */
#ifndef MSE_CLI_CONFIGURE_H
#define MSE_CLI_CONFIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/net.h>

#include "cli_policy.h"

extern const struct mse_opt_cmd cli_configure_cmd;

/* The command line of `mse configure`, checked. */
struct cli_configure_args {
    struct cli_policy_args policy;
    struct cli_out out;            /* --quiet */
    const char *target;            /* DOMAIN[:PORT] as given */
    struct mse_endpoint dial;      /* where to connect (--port, --connect applied) */
    char domain[sizeof((struct mse_endpoint *)0)->host]; /* the name the certificate must be for */
    const char *context;           /* --context FILE|UUID as given */
    const char *ssl_key;           /* --ssl-key PEM, or NULL */
    const char *port;              /* --port N as given, or NULL */
    const char *connect;           /* --connect HOST as given, or NULL */
    bool help;
};

/* What running it produced, for the print function. */
struct cli_configure_outcome {
    bool verify_ran;               /* result holds the verdict on the server */
    bool verified;                 /* every check passed: the request was sent */
    bool configured;               /* the server answered 200 */
    char answer[512];              /* the server's answer body, one line */
    struct mse_verify_result result;
    struct cli_collateral_info info;
};

MSE_MUST_USE mse_err cli_configure_parse(int argc, char **argv, struct cli_configure_args *a,
                                         char *why, size_t why_cap);

/*
 * The three steps. MSE_OK when the server took the configuration; else the
 * decisive error (a refused verification: the verdict's; HTTP errors:
 * MSE_ERR_CONFIG_REFUSED) with its reason in why. Prints nothing.
 */
MSE_MUST_USE mse_err cli_configure_run(const struct cli_configure_args *a, int64_t now,
                                       cli_progress_fn progress, struct cli_configure_outcome *o,
                                       char *why, size_t why_cap);

void cli_configure_print(const struct cli_configure_args *a, const struct cli_configure_outcome *o,
                         mse_err err, const char *why);

/* The local pre-checks of the configuration server's certificate (cli_configure_verify.c). */
struct configure_verify_opts {
    const char *domain;       /* the name (or IP literal) the certificate must be for */
    const uint8_t *mrenclave; /* 32 bytes, or NULL (not checked here) */
};

/*
 * MSE_OK only if every check passed; otherwise the error and a sentence in
 * why. Must not have side effects on the configuration connection.
 */
/*
 * The configuration server's answer (untrusted bytes, up to the connection's
 * end): "HTTP/1.x NNN" -> *status, the body after the head -> msg, one line,
 * control bytes replaced by spaces, trailing spaces dropped, truncated to msg_cap. MSE_ERR_SERVER when it is not
 * an HTTP/1.x status line. (Exposed for tests/fuzz/fuzz_configure_reply.c.)
 */
MSE_MUST_USE mse_err cli_configure_parse_response(const uint8_t *buf, size_t len, int *status,
                                                  char *msg, size_t msg_cap);

MSE_MUST_USE mse_err cli_configure_precheck(const uint8_t *der, size_t der_len,
                                            const struct configure_verify_opts *o, char *why,
                                            size_t why_cap);

#endif
