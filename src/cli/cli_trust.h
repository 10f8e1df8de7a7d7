/*
 * mse trust add|remove|list (docs/cmd/mse-trust.md), in parts:
 *   cli_trust.c        the command: parse -> run -> print (cli.h);
 *   cli_trust_cert.c   the nickname rule and the certificate checks;
 *   cli_record.c       the verification record mse verify writes;
 *   cli_nss.c          the NSS database, through certutil;
 *   cli_trust_marks.c  which NSS entries mse added.
 */
#ifndef MSE_CLI_TRUST_H
#define MSE_CLI_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#include "cli.h"
#include "cli_nss.h"
#include "cli_record.h"
#include "cli_trust_marks.h"

/* Largest certificate or record file `mse trust` reads. */
#define CLI_TRUST_FILE_LIMIT (1u << 20)

/*
 * An NSS nickname `mse trust` accepts: 1 to 64 characters from [A-Za-z0-9._-],
 * starting with a letter or digit (never "-", so it can never read as an
 * option to certutil even by mistake).
 */
bool cli_trust_name_ok(const char *name);

/* A certificate file as `mse trust add` sees it. */
struct cli_trust_cert {
    uint8_t *der;        /* the certificate's exact DER bytes (malloc'd) */
    size_t der_len;
    uint8_t sha256[32];  /* SHA-256 of der: what the verification record names */
    bool is_ca;          /* BasicConstraints cA = TRUE */
    bool self_signed;    /* subject == issuer */
    bool expired;        /* notAfter is in the past (checked against `now`) */
    bool not_yet_valid;  /* notBefore is in the future */
    char not_before[21]; /* notBefore, RFC 3339 UTC ("" if it cannot be converted) */
    char not_after[21];  /* notAfter, likewise */
    char san[512];       /* "DNS:localhost, IP:127.0.0.1" or "" when there is no SAN */
};

/*
 * Parse one certificate from `data`: PEM holding exactly one CERTIFICATE
 * block (nothing but whitespace around it), or raw DER with no trailing byte.
 * `now` is UTC seconds for the validity flags. Errors: MSE_ERR_PEM,
 * MSE_ERR_CERT_PARSE, MSE_ERR_TRAILING_BYTES (a second certificate or extra
 * bytes), MSE_ERR_NOMEM, MSE_ERR_CRYPTO. Free with cli_trust_cert_free.
 */
MSE_MUST_USE mse_err cli_trust_cert_load(const uint8_t *data, size_t len, int64_t now,
                                         struct cli_trust_cert *out);
void cli_trust_cert_free(struct cli_trust_cert *c);

extern const struct mse_opt_cmd cli_trust_cmd, cli_trust_add_cmd, cli_trust_remove_cmd,
    cli_trust_list_cmd;

enum cli_trust_action { CLI_TRUST_ADD, CLI_TRUST_REMOVE, CLI_TRUST_LIST };

/* The command line of `mse trust ACTION`, checked. */
struct cli_trust_args {
    enum cli_trust_action action;
    const struct mse_opt_cmd *cmd; /* the action's command (help, usage errors) */
    struct cli_out out;            /* --json (list) */
    const char *cert;              /* add: the certificate file */
    const char *name;              /* add: --name; remove: NAME */
    const char *nssdb;             /* --nssdb DIR, or NULL for $HOME/.pki/nssdb */
    bool force;
    bool help;
};

/* What running it produced, for the print function. */
struct cli_trust_outcome {
    struct cli_nssdb db;
    int lock_fd;                   /* cli_nssdb_lock while add or remove runs, else -1 */
    struct cli_notes notes;        /* warnings, in order */
    /* add */
    char sha256[65];               /* the certificate's, hex */
    bool record_ok;                /* a matching record of a successful mse verify */
    struct cli_record record;
    bool created;                  /* the database was created */
    int replaced;                  /* certificates that were under the name before */
    bool trusted;
    char san[512];
    /* remove */
    int removed;
    /* list (malloc'd; free with cli_trust_outcome_free) */
    struct cli_trust_marks *marks;
    char *listing;                 /* certutil -L */
};

MSE_MUST_USE mse_err cli_trust_parse(int argc, char **argv, struct cli_trust_args *a, char *why,
                                     size_t why_cap);
MSE_MUST_USE mse_err cli_trust_run(const struct cli_trust_args *a, int64_t now,
                                   struct cli_trust_outcome *o, char *why, size_t why_cap);
void cli_trust_print(const struct cli_trust_args *a, const struct cli_trust_outcome *o,
                     mse_err err, const char *why);
void cli_trust_outcome_free(struct cli_trust_outcome *o);

#endif
