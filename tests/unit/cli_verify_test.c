/*
 * mse verify and mse configure through their parse and run functions
 * (src/cli/cli_verify.c, cli_configure.c): usage errors with their codes and
 * one-line reasons, and verdicts on the genuine Intel-signed evidence, with
 * the certificate saved only on success. No output is printed by run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_configure.h"
#include "cli/cli_verify.h"
#include "testlib.h"

#define EVIDENCE MSE_TEST_DATA "/real/mse-home-evidence.json"
#define SIGNER MSE_TEST_DATA "/real/cosmian-mse-signer.pem"
#define AT_2023 1687651200 /* 2023-06-25T00:00:00Z */

static int argc_of(char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return n;
}

static void expect_verify_usage(char **argv, mse_err code, const char *reason)
{
    struct cli_verify_args a;
    char why[256] = "";
    assert_int_equal(cli_verify_parse(argc_of(argv), argv, &a, why, sizeof why), code);
    assert_int_equal(mse_err_exit(code), MSE_EXIT_USAGE);
    assert_string_equal(why, reason);
}

static void test_verify_usage(void **state)
{
    (void)state;
    char *none[] = {"verify", NULL};
    expect_verify_usage(none, MSE_ERR_ARG_MISSING,
                        "give a DOMAIN, --cert FILE, --evidence FILE or --quote FILE");
    char *both[] = {"verify", "example.com", "--evidence", "e.json", NULL};
    expect_verify_usage(both, MSE_ERR_ARG_CONFLICT,
                        "give one of DOMAIN, --cert FILE, --evidence FILE, --quote FILE");
    char *qc[] = {"verify", "--quote", "q.dat", "--cert", "c.pem", NULL};
    expect_verify_usage(qc, MSE_ERR_ARG_CONFLICT,
                        "give one of DOMAIN, --cert FILE, --evidence FILE, --quote FILE");
    char *col[] = {"verify", "--cert", "c.pem", "--collateral", "dir", NULL};
    expect_verify_usage(col, MSE_ERR_ARG_MISSING,
                        "--collateral, --report-data and --report-data-prefix go with --quote "
                        "(a certificate's REPORTDATA binds its key)");
    char *rd2[] = {"verify", "--quote", "q.dat", "--report-data-prefix", "ab",
                   "--report-data-prefix", "cd", NULL};
    expect_verify_usage(rd2, MSE_ERR_ARG_CONFLICT,
                        "--report-data and --report-data-prefix are mutually exclusive");
    char *rdodd[] = {"verify", "--quote", "q.dat", "--report-data-prefix", "abc", NULL};
    expect_verify_usage(rdodd, MSE_ERR_ARG_HEX,
                        "--report-data-prefix needs 2 to 128 hex digits, an even number");
    char *rp[] = {"verify", "--cert", "c.pem", "--ratls-path", "/x", NULL};
    expect_verify_usage(rp, MSE_ERR_ARG_MISSING, "--ratls-path goes with a DOMAIN");
    char *ca[] = {"verify", "a.example", "--cacert", "ca.pem", NULL};
    expect_verify_usage(ca, MSE_ERR_ARG_MISSING, "--cacert goes with --ratls-path");
    char *se[] = {"verify", "--quote", "q.dat", "--save-evidence", "e.json", NULL};
    expect_verify_usage(se, MSE_ERR_ARG_CONFLICT,
                        "--save-evidence needs a certificate: an evidence bundle holds one");
    char *pol[] = {"verify", "a.example", "--policy", "p.json", "--allow-debug", NULL};
    expect_verify_usage(pol, MSE_ERR_ARG_CONFLICT,
                        "--policy FILE holds the whole policy: give no other policy option "
                        "(--fingerprint, --context/--code, --signer-key, --mrsigner, --allow-*, "
                        "--isv-prod-id, --min-isv-svn, --accept-advisories)");
    char *isv[] = {"verify", "a.example", "--isv-prod-id", "70000", NULL};
    expect_verify_usage(isv, MSE_ERR_ARG, "--isv-prod-id takes 0 to 65535 (got '70000')");
    char *adv[] = {"verify", "a.example", "--accept-advisories", "INTEL-SA-1,bad id", NULL};
    expect_verify_usage(adv, MSE_ERR_ARG,
                        "--accept-advisories: 'bad id' is not an advisory ID such as "
                        "INTEL-SA-00615");
    char *fp[] = {"verify", "example.com", "--fingerprint", "abc", NULL};
    expect_verify_usage(fp, MSE_ERR_ARG_HEX, "--fingerprint needs 64 hex digits (got 3)");
    char *two[] = {"verify", "a.example", "b.example", NULL};
    expect_verify_usage(two, MSE_ERR_ARG, "unexpected argument 'b.example'");
    char *ctx[] = {"verify", "a.example", "--context", "c.mse", NULL};
    expect_verify_usage(ctx, MSE_ERR_ARG_MISSING, "--context and --code go together");
    char *signers[] = {"verify", "a.example", "--signer-key", "k.pem", "--mrsigner",
                       "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5", NULL};
    expect_verify_usage(signers, MSE_ERR_ARG_CONFLICT,
                        "--signer-key and --mrsigner are mutually exclusive");
    char *at[] = {"verify", "a.example", "--at", "yesterday", NULL};
    expect_verify_usage(at, MSE_ERR_ARG_TIME,
                        "--at 'yesterday' is not an RFC 3339 UTC time such as 2023-06-25T00:00:00Z");
    char *tcb[] = {"verify", "a.example", "--allow-tcb", "Revoked", NULL};
    expect_verify_usage(tcb, MSE_ERR_ARG, "--allow-tcb: a revoked TCB is never accepted");
    char *timeout[] = {"verify", "a.example", "--timeout", "0", NULL};
    expect_verify_usage(timeout, MSE_ERR_ARG, "--timeout takes 1 to 600 seconds (got '0')");
    char *host[] = {"verify", "https://", NULL};
    expect_verify_usage(host, MSE_ERR_ARG, "'https://' is not a host, host:port or https:// URL");

    struct cli_verify_args a;
    char why[256] = "";
    char *help[] = {"verify", "--fingerprint", "abc", "--help", NULL};
    assert_int_equal(cli_verify_parse(argc_of(help), help, &a, why, sizeof why), MSE_ERR_ARG_HEX);
    char *help2[] = {"verify", "--help", "--fingerprint", "abc", NULL};
    assert_int_equal(cli_verify_parse(argc_of(help2), help2, &a, why, sizeof why), MSE_OK);
    assert_true(a.help);
}

/* Run `mse verify --evidence` (the real bundle) with extra options, output in dir. */
static mse_err run_evidence(const char *dir, char **extra, struct cli_verify_outcome *o,
                            char *why, size_t why_cap)
{
    char out[4096];
    snprintf(out, sizeof out, "%s/cert.pem", dir);
    char *argv[16] = {"verify", "--evidence", EVIDENCE, "--signer-key", SIGNER, "--output", out};
    int argc = 7;
    for (int i = 0; extra[i] && argc < 15; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    struct cli_verify_args a;
    assert_int_equal(cli_verify_parse(argc, argv, &a, why, why_cap), MSE_OK);
    return cli_verify_run(&a, AT_2023, NULL, o, why, why_cap);
}

static bool exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void test_verify_evidence(void **state)
{
    (void)state;
    char *dir = mse_test_tmpdir();
    struct cli_verify_outcome *o = calloc(1, sizeof *o);
    char why[1024] = "";
    /* Strict: the PCK CRL expired on 2023-06-15; the verdict refuses, nothing saved. */
    char *strict[] = {NULL};
    assert_int_equal(run_evidence(dir, strict, o, why, sizeof why), MSE_ERR_CRL_EXPIRED);
    assert_true(o->ran);
    assert_false(o->saved);
    assert_false(o->result.ok);
    assert_false(exists(dir, "cert.pem") || exists(dir, "cert.pem.verify.json"));
    /* Tolerated expiry: the real TCB status (OutOfDate) is decisive. */
    char *tolerated[] = {"--allow-expired-collateral", NULL};
    assert_int_equal(run_evidence(dir, tolerated, o, why, sizeof why), MSE_ERR_TCB_STATUS);
    assert_false(exists(dir, "cert.pem"));
    /* Accepted: saved with its record. */
    char *accepted[] = {"--allow-expired-collateral", "--allow-tcb", "OutOfDate", NULL};
    assert_int_equal(run_evidence(dir, accepted, o, why, sizeof why), MSE_OK);
    assert_true(o->ran && o->saved && o->result.ok);
    assert_true(exists(dir, "cert.pem") && exists(dir, "cert.pem.verify.json"));
    /* The wrong fingerprint: refused by check 3. */
    char *fp[] = {"--allow-expired-collateral", "--allow-tcb", "OutOfDate", "--fingerprint",
                  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", NULL};
    assert_int_equal(run_evidence(dir, fp, o, why, sizeof why), MSE_ERR_POLICY_MRENCLAVE);
    free(o);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_verify_unreadable(void **state)
{
    (void)state;
    struct cli_verify_outcome *o = calloc(1, sizeof *o);
    struct cli_verify_args a;
    char why[1024] = "";
    char *argv[] = {"verify", "--evidence", "/nonexistent/e.json", NULL};
    assert_int_equal(cli_verify_parse(3, argv, &a, why, sizeof why), MSE_OK);
    assert_int_equal(cli_verify_run(&a, AT_2023, NULL, o, why, sizeof why),
                     MSE_ERR_FILE_NOT_FOUND);
    assert_true(o->started);
    assert_false(o->ran);
    assert_non_null(strstr(why, "cannot read /nonexistent/e.json"));
    /* A signer key that is not one: refused before any input is gathered. */
    char *bad[] = {"verify", "--evidence", EVIDENCE, "--signer-key", EVIDENCE, NULL};
    assert_int_equal(cli_verify_parse(5, bad, &a, why, sizeof why), MSE_OK);
    assert_int_equal(cli_verify_run(&a, AT_2023, NULL, o, why, sizeof why), MSE_ERR_ARG);
    assert_false(o->started);
    free(o);
}

static void test_configure_usage(void **state)
{
    (void)state;
    struct cli_configure_args a;
    char why[256] = "";
    char *no_ctx[] = {"configure", "x", NULL};
    assert_int_equal(cli_configure_parse(2, no_ctx, &a, why, sizeof why), MSE_ERR_ARG_MISSING);
    assert_string_equal(why, "--context FILE|UUID is required");
    char *no_domain[] = {"configure", "--context", "c.mse", NULL};
    assert_int_equal(cli_configure_parse(3, no_domain, &a, why, sizeof why), MSE_ERR_ARG_MISSING);
    assert_string_equal(why, "give the DOMAIN to configure");
    char *port[] = {"configure", "x", "--context", "c.mse", "--port", "70000", NULL};
    assert_int_equal(cli_configure_parse(6, port, &a, why, sizeof why), MSE_ERR_ARG);
    assert_string_equal(why, "--port takes 1 to 65535 (got '70000')");
    char *both[] = {"configure", "x", "--context", "c.mse", "--code", "d", "--fingerprint",
                    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", NULL};
    assert_int_equal(cli_configure_parse(8, both, &a, why, sizeof why), MSE_ERR_ARG_CONFLICT);
    /* --connect dials elsewhere; the certificate must still name DOMAIN. */
    char *dial[] = {"configure", "app.example:8443", "--context", "c.mse", "--connect",
                    "127.0.0.1", "--pccs", "http://127.0.0.1:1", NULL};
    assert_int_equal(cli_configure_parse(8, dial, &a, why, sizeof why), MSE_OK);
    assert_string_equal(a.domain, "app.example");
    assert_string_equal(a.dial.host, "127.0.0.1");
    assert_string_equal(a.dial.port, "8443");
    assert_string_equal(a.policy.pccs_url, "http://127.0.0.1:1");
}

static void test_configure_local_first(void **state)
{
    (void)state;
    /* A missing context fails in step 1: no connection is attempted (port 1 would refuse). */
    struct cli_configure_args a;
    struct cli_configure_outcome *o = calloc(1, sizeof *o);
    char why[1024] = "";
    char *argv[] = {"configure", "127.0.0.1:1", "--context", "/nonexistent/c.mse", NULL};
    assert_int_equal(cli_configure_parse(4, argv, &a, why, sizeof why), MSE_OK);
    mse_err err = cli_configure_run(&a, AT_2023, NULL, o, why, sizeof why);
    assert_int_equal(err, MSE_ERR_FILE_NOT_FOUND);
    assert_non_null(strstr(why, "--context /nonexistent/c.mse"));
    assert_false(o->verify_ran || o->verified || o->configured);
    free(o);
}

/* The configuration server's answer as mse configure shows it: status, one line, no trailing blank. */
static void test_configure_response(void **state)
{
    (void)state;
    char msg[128];
    int status = 0;
    static const char conflict[] = "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
                                   "\r\n{\"status\":409,\"message\":\"already configured\"}\n";
    assert_int_equal(cli_configure_parse_response((const uint8_t *)conflict, sizeof conflict - 1,
                                                  &status, msg, sizeof msg),
                     MSE_OK);
    assert_int_equal(status, 409);
    assert_string_equal(msg, "{\"status\":409,\"message\":\"already configured\"}");
    static const char lines[] = "HTTP/1.0 200 OK\r\n\r\none\r\ntwo\x7f\r\n \t\r\n";
    assert_int_equal(cli_configure_parse_response((const uint8_t *)lines, sizeof lines - 1,
                                                  &status, msg, sizeof msg),
                     MSE_OK);
    assert_int_equal(status, 200);
    assert_string_equal(msg, "one  two");
    static const char *const refused[] = {"", "HTTP/1.1", "HTTPS/1.1 200 OK\r\n\r\n",
                                          "HTTP/1.1  200\r\n\r\n", "HTTP/1.1 2x0\r\n\r\n"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(cli_configure_parse_response((const uint8_t *)refused[i],
                                                      strlen(refused[i]), &status, msg,
                                                      sizeof msg),
                         MSE_ERR_SERVER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_usage),
        cmocka_unit_test(test_verify_evidence),
        cmocka_unit_test(test_verify_unreadable),
        cmocka_unit_test(test_configure_usage),
        cmocka_unit_test(test_configure_local_first),
        cmocka_unit_test(test_configure_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
