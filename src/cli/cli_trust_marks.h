/*
 * Which NSS entries `mse trust` added: a small JSON file beside the database
 * (<nssdb>/mse-trust.json, docs/formats/trust-marks.md). `mse trust list`
 * shows only these entries and `mse trust remove` refuses any other name
 * unless --force, so mse never lists or deletes certificates the user or
 * another program put in the browser's store.
 */
#ifndef MSE_CLI_TRUST_MARKS_H
#define MSE_CLI_TRUST_MARKS_H

#include <stdbool.h>
#include <stddef.h>

#include <mse/err.h>

#define CLI_MARKS_FILE "mse-trust.json"
#define CLI_MARKS_MAX 256

struct cli_trust_mark {
    char name[65];       /* the NSS nickname (cli_trust_name_ok) */
    char sha256[65];     /* hex SHA-256 of the DER mse imported */
    char added_at[21];   /* RFC 3339 UTC */
    char target[256];    /* what `mse verify` verified, "" when added with --force */
    bool forced;         /* added with --force (no matching verification record) */
};

struct cli_trust_marks {
    size_t count;
    struct cli_trust_mark items[CLI_MARKS_MAX];
};

/* Read <dir>/mse-trust.json; a missing file is an empty set. Malformed: MSE_ERR_JSON*. */
MSE_MUST_USE mse_err cli_marks_load(const char *dir, struct cli_trust_marks *m, char *why,
                                    size_t why_cap);

/* Write the set atomically (mode 0600). */
MSE_MUST_USE mse_err cli_marks_save(const char *dir, const struct cli_trust_marks *m, char *why,
                                    size_t why_cap);

/* The mark for name, or NULL. */
const struct cli_trust_mark *cli_marks_find(const struct cli_trust_marks *m, const char *name);

/* Add or replace the mark of mark->name. MSE_ERR_LIMIT when the set is full. */
MSE_MUST_USE mse_err cli_marks_put(struct cli_trust_marks *m, const struct cli_trust_mark *mark);

/* Forget name (nothing if it is not there). */
void cli_marks_drop(struct cli_trust_marks *m, const char *name);

#endif
