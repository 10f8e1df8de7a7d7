/*
 * mse verify: decide whether to trust a web app that claims to run in an SGX
 * enclave, and save its certificate only if every check passed.
 *
 *   mse verify DOMAIN            fetch the certificate over TLS, collateral from a PCCS
 *   mse verify --evidence FILE   an mse evidence bundle (certificate + collateral), offline
 *
 * The checks themselves are libmse's mse_verify(); the policy options and the
 * collateral path are shared with other commands (cli_policy.h). This file
 * parses the command line, gathers the certificate, saves atomically and
 * prints the outcome (parse -> run -> print, cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>



#include <mse/guard.h>
#include <mse/mse.h>
#include <mse/net.h>

#include "cli_record.h"
#include "cli_verify.h"
#include "util/util.h"

#define EVIDENCE_MAX (8u << 20)

enum verify_opt { V_CONTEXT = 1, V_EVIDENCE, V_OUTPUT, V_JSON, V_QUIET };

static const struct mse_opt verify_input_options[] = {
    {"context", 0, "FILE", "with --code: the app context to compute the expected MRENCLAVE from",
     V_CONTEXT, MSE_OPT_FILE},
    {"evidence", 0, "FILE", "verify an mse evidence bundle instead of a server", V_EVIDENCE,
     MSE_OPT_FILE},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt verify_output_options[] = {
    {"output", 0, "PATH", "where to save the certificate (default ./cert.pem)", V_OUTPUT,
     MSE_OPT_FILE},
    {"json", 0, NULL, "print the result as one JSON object", V_JSON, 0},
    {"quiet", 0, NULL, "print only errors", V_QUIET, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct mse_opt *const verify_tables[] = {
    cli_policy_options, verify_input_options,  cli_time_options,
    cli_collateral_options, verify_output_options, NULL,
};

static const char *const verify_synopsis[] = {"DOMAIN [options]", "--evidence FILE [options]",
                                              NULL};

const struct mse_opt_cmd cli_verify_cmd = {
    .name = "mse verify",
    .summary = "verify an app's RA-TLS certificate and save it",
    .synopsis = verify_synopsis,
    .description =
        "Checks that DOMAIN runs in a genuine SGX enclave (Intel DCAP), that the enclave\n"
        "is the operator's (MRSIGNER) and that its code is the owner's (MRENCLAVE), then\n"
        "saves the verified certificate. DOMAIN is host, host:port, [ipv6]:port or\n"
        "https://host[:port][/path]. `mse home verify` and `mse cloud verify` are the same\n"
        "command. Exit codes: docs/exit-codes.md.",
    .tables = verify_tables,
    .see_also = "mse-fingerprint(1), mse-trust(1), mse-configure(1), mse-sim(1)",
    .man_section = 1,
};

mse_err cli_verify_parse(int argc, char **argv, struct cli_verify_args *a, char *why,
                         size_t why_cap)
{
    struct mse_opt_parser p;
    const char *arg;
    int id;
    memset(a, 0, sizeof *a);
    cli_policy_args_init(&a->policy);
    cli_out_init(&a->out);
    a->output = "./cert.pem";
    mse_opt_init(&p, &cli_verify_cmd, argc, argv);
    while ((id = mse_opt_next(&p, &arg, why, why_cap)) != MSE_OPT_DONE) {
        switch (id) {
        case MSE_OPT_ERROR: return p.error;
        case MSE_OPT_HELP: a->help = true; return MSE_OK;
        case MSE_OPT_OPERAND:
            if (a->target)
                return mse_say(why, why_cap, MSE_ERR_ARG, "unexpected argument '%s'", arg);
            a->target = arg;
            break;
        case V_CONTEXT: a->policy.context = arg; break;
        case V_EVIDENCE: a->evidence = arg; break;
        case V_OUTPUT: a->output = arg; break;
        case V_JSON: a->out.json = true; break;
        case V_QUIET: a->out.quiet = true; break;
        default: MSE_TRY(cli_policy_apply(&a->policy, id, arg, why, why_cap));
        }
    }
    if (!a->target && !a->evidence)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give a DOMAIN or --evidence FILE");
    if (a->target && a->evidence)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "give a DOMAIN or --evidence FILE, not both");
    if (a->policy.context && a->policy.fingerprint_given)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--fingerprint and --context/--code are mutually exclusive");
    if (a->policy.context && !a->policy.code)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--context and --code go together");
    MSE_TRY(cli_policy_check(&a->policy, why, why_cap));
    if (a->target && mse_endpoint_parse(a->target, &a->endpoint) != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_ARG,
                       "'%s' is not a host, host:port or https:// URL", a->target);
    return MSE_OK;
}

/* The certificate and collateral of an evidence bundle, verified offline. */
MSE_MUST_USE static mse_err verify_evidence(const struct cli_verify_args *a,
                                            const struct cli_verify_setup *s,
                                            struct cli_verify_outcome *o, uint8_t **cert,
                                            size_t *cert_len, char *why, size_t why_cap)
{
    struct mse_evidence ev;
    uint8_t *json = NULL, *buf = NULL;
    size_t json_len = 0;
    mse_err err = mse_file_read(a->evidence, EVIDENCE_MAX, &json, &json_len);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read %s: %s", a->evidence, mse_err_str(err));
    buf = malloc(EVIDENCE_MAX);
    err = buf ? mse_evidence_parse(json, json_len, buf, EVIDENCE_MAX, &ev) : MSE_ERR_NOMEM;
    if (err != MSE_OK) {
        (void)mse_say(why, why_cap, err, "%s is not a valid evidence bundle: %s", a->evidence,
                      mse_err_str(err));
        goto out;
    }
    struct mse_verify_input in = {.cert_der = ev.ratls_cert.data, .cert_len = ev.ratls_cert.len,
                                  .collateral = &ev.collateral,
                                  .trust_root_der = s->trust_root_der,
                                  .trust_root_len = s->trust_root_len, .at = s->at};
    err = mse_verify(&in, &s->policy, &o->result);
    if (err != MSE_OK) {
        (void)mse_say(why, why_cap, err, "verification could not run: %s", mse_err_str(err));
        goto out;
    }
    o->ran = true;
    *cert = malloc(ev.ratls_cert.len);
    if (*cert == NULL) {
        err = mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
        goto out;
    }
    memcpy(*cert, ev.ratls_cert.data, ev.ratls_cert.len);
    *cert_len = ev.ratls_cert.len;
out:
    free(json);
    free(buf);
    return err;
}

/* The server's certificate over TLS, its collateral from the cache or a PCCS. */
MSE_MUST_USE static mse_err verify_server(const struct cli_verify_args *a,
                                          const struct cli_verify_setup *s,
                                          cli_progress_fn progress, struct cli_verify_outcome *o,
                                          uint8_t **cert, size_t *cert_len, char *why,
                                          size_t why_cap)
{
    char reason[512] = "";
    if (progress)
        progress("Fetching the server certificate...");
    mse_err err = mse_tls_fetch_cert(&a->endpoint, (int)a->policy.timeout_ms, cert, cert_len,
                                     reason, sizeof reason);
    if (progress)
        progress("");
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s", reason[0] ? reason : mse_err_str(err));
    o->online = true;
    MSE_TRY(cli_verify_with_collateral(&a->policy, s, *cert, *cert_len, progress, &o->result,
                                       &o->info, why, why_cap));
    o->ran = true;
    return MSE_OK;
}

mse_err cli_verify_run(const struct cli_verify_args *a, int64_t now, cli_progress_fn progress,
                       struct cli_verify_outcome *o, char *why, size_t why_cap)
{
    struct cli_verify_setup s;
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    memset(o, 0, sizeof *o);
    mse_err err = cli_verify_setup_init(&a->policy, now, &s, why, why_cap);
    if (err != MSE_OK)
        goto out;
    o->started = true;
    err = a->evidence ? verify_evidence(a, &s, o, &cert, &cert_len, why, why_cap)
                      : verify_server(a, &s, progress, o, &cert, &cert_len, why, why_cap);
    if (err != MSE_OK || !o->ran)
        goto out;
    if (!o->result.ok) {
        err = o->result.err != MSE_OK ? o->result.err : MSE_ERR_INTERNAL;
        goto out;
    }
    err = cli_record_save(a->output, a->evidence ? a->evidence : a->target, cert, cert_len,
                          &o->result, s.at, why, why_cap);
    o->saved = err == MSE_OK;
out:
    free(cert);
    cli_verify_setup_free(&s);
    return err;
}

void cli_verify_print(const struct cli_verify_args *a, const struct cli_verify_outcome *o,
                      mse_err err, const char *why)
{
    const struct cli_out *out = &a->out;
    if (o->started && !out->quiet && !out->json)
        printf("Checking your app...\n");
    cli_notes_print(out, &o->info.notes);
    if (o->online && o->ran && getenv("MSE_DEBUG_REQUESTS"))
        fprintf(stderr, "pccs requests: %u\n", o->info.requests);
    if (o->ran) {
        char *js = NULL;
        if (out->json && mse_verify_result_json(&o->result, &js) == MSE_OK) {
            puts(js);
            free(js);
        }
        cli_verify_report_print(out, &o->result);
        if (o->saved) {
            if (!out->quiet && !out->json)
                printf("The verified certificate has been saved at: %s\n", a->output);
            return;
        }
        if (!o->result.ok) {
            if (out->quiet)
                fprintf(stderr, "error: %s: %s\n", mse_err_name(o->result.err), o->result.message);
            return;
        }
    }
    if (err != MSE_OK)
        cli_out_error(out, err, "%s", why[0] ? why : mse_err_str(err));
}

int cli_verify_main(int argc, char **argv)
{
    struct cli_verify_args a;
    struct cli_verify_outcome o;
    char why[1024] = "";
    mse_err err = cli_verify_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_verify_cmd, argc, argv, err, a.help, why);
    err = cli_verify_run(&a, mse_time_now(), cli_progress_for(&a.out), &o, why, sizeof why);
    cli_verify_print(&a, &o, err, why);
    return (int)mse_err_exit(err);
}
