/*
 * The raw-quote tamper list (issue 12, acceptance 2), written once: each case
 * changes the real quote or the QVL-layout collateral made from the real MSE
 * evidence (tests/data/real/qvl) and names the code it must be refused with.
 * tests/unit/verify_quote_test.c runs it through the library,
 * tests/integration/verify_quote_cli_test.c through `mse verify --quote`.
 */
#ifndef MSE_TEST_QVL_CASES_H
#define MSE_TEST_QVL_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/* The time and policy at which the untampered real quote verifies. */
#define QVL_AT "2023-06-25T00:00:00Z"
#define QVL_ALLOW_TCB "OutOfDate"

struct qvl_file {
    const char *name; /* QVL file name, or "quote.dat" */
    uint8_t *data;
    size_t len;
};

#define QVL_MAX_FILES 10
struct qvl_set {
    struct qvl_file files[QVL_MAX_FILES];
    size_t count;
};

struct qvl_case {
    const char *name;
    mse_err expect;
    bool with_report_data; /* verify with the untampered quote's REPORTDATA as expected */
    void (*apply)(struct qvl_set *s);
};

extern const struct qvl_case qvl_cases[];
extern const size_t qvl_case_count;

/* The real quote and tests/data/real/qvl/ (all files). */
void qvl_set_load(struct qvl_set *s);
void qvl_set_free(struct qvl_set *s);
struct qvl_file *qvl_file(struct qvl_set *s, const char *name);
/* Write the set as dir/quote.dat and dir/collateral/<files>. */
void qvl_set_write(const struct qvl_set *s, const char *dir);
/* REPORTDATA of the real quote, as 128 hex digits. */
void qvl_report_data_hex(char out[129]);

#endif
