/*
 * mse verify: decide whether to trust a web app that claims to run in an SGX
 * enclave, and save its certificate only if every check passed.
 *
 *   mse verify DOMAIN            fetch the certificate over TLS, collateral from a PCCS
 *   mse verify DOMAIN --ratls-path PATH   the RA-TLS certificate an app publishes over HTTPS
 *                                (app-owner trust, untrusted SSL)
 *   mse verify --cert FILE       a saved RA-TLS certificate, collateral from a PCCS
 *   mse verify --evidence FILE   an mse evidence bundle (certificate + collateral), offline
 *   mse verify --quote FILE      a raw quote, collateral from files (--collateral) or a PCCS
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

#include "cli_ratls_fetch.h"
#include "cli_record.h"
#include "cli_verify.h"
#include "util/collateral_files.h"
#include "util/util.h"

#define EVIDENCE_MAX (8u << 20)

enum verify_opt {
    V_CONTEXT = 1,
    V_EVIDENCE,
    V_OUTPUT,
    V_JSON,
    V_QUIET,
    V_QUOTE,
    V_COLLATERAL,
    V_REPORT_DATA,
    V_REPORT_DATA_PREFIX,
    V_CERT,
    V_RATLS_PATH,
    V_CACERT,
    V_SAVE_EVIDENCE,
    V_NO_NAME_CHECK,
};

static const struct mse_opt verify_input_options[] = {
    {"context", 0, "FILE", "with --code: the app context to compute the expected MRENCLAVE from",
     V_CONTEXT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, policy.context)},
    {"evidence", 0, "FILE", "verify an mse evidence bundle instead of a server", V_EVIDENCE,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, evidence)},
    {"cert", 0, "FILE", "verify a saved RA-TLS certificate (PEM or DER) instead of a server",
     V_CERT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, cert)},
    {"ratls-path", 0, "PATH",
     "with DOMAIN: fetch the app's RA-TLS certificate over HTTPS from PATH (owner, untrusted SSL)",
     V_RATLS_PATH, 0, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, ratls_path)},
    {"cacert", 0, "FILE", "with --ratls-path: CA of the app's HTTPS certificate (else system CAs)",
     V_CACERT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, cacert)},
    {"no-name-check", 0, NULL,
     "with DOMAIN: accept a certificate whose names do not cover DOMAIN's host (connecting by IP "
     "on purpose); the record says so",
     V_NO_NAME_CHECK, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct cli_verify_args, no_name_check)},
    {"quote", 0, "FILE", "verify a raw quote (no certificate, nothing saved)", V_QUOTE,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, quote)},
    {"collateral", 0, "PATH",
     "with --quote: collateral from a QVL sample-app directory or a dcap-qvl JSON file",
     V_COLLATERAL, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, collateral)},
    {"report-data", 0, "HEX", "with --quote: the expected REPORTDATA (128 hex digits)",
     V_REPORT_DATA, 0, MSE_OPT_TAKE, 0},
    {"report-data-prefix", 0, "HEX", "with --quote: the expected start of REPORTDATA (hex)",
     V_REPORT_DATA_PREFIX, 0, MSE_OPT_TAKE, 0},
    {0},
};

static const struct mse_opt verify_output_options[] = {
    {"output", 0, "PATH", "where to save the certificate (default ./cert.pem)", V_OUTPUT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, output)},
    {"save-evidence", 0, "FILE",
     "write the certificate and collateral verified as an evidence bundle (also on a refusal)",
     V_SAVE_EVIDENCE, MSE_OPT_FILE,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_verify_args, save_evidence)},
    CLI_OPT_JSON(struct cli_verify_args, V_JSON,
                 "print the result and the effective policy as one JSON object"),
    CLI_OPT_QUIET(struct cli_verify_args, V_QUIET, 0, "print only errors"),
    {0},
};

CLI_POLICY_ARGS_FIRST(struct cli_verify_args, policy);

static const struct mse_opt *const verify_tables[] = {
    cli_policy_options, verify_input_options,  cli_time_options,
    cli_collateral_options, verify_output_options, NULL,
};

static const char *const verify_synopsis[] = {
    "DOMAIN [options]", "DOMAIN --ratls-path PATH [--cacert FILE] [options]",
    "--cert FILE [options]", "--evidence FILE [options]",
    "--quote FILE [--collateral PATH] [--report-data HEX | --report-data-prefix HEX] [options]",
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
};

/* Exactly one thing to verify, and the options that only make sense with one of them. */
MSE_MUST_USE static mse_err check_inputs(const struct cli_verify_args *a, char *why,
                                         size_t why_cap)
{
    int sources = (a->target != NULL) + (a->evidence != NULL) + (a->cert != NULL) +
                  (a->quote != NULL);
    if (sources == 0)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING,
                       "give a DOMAIN, --cert FILE, --evidence FILE or --quote FILE");
    if (sources > 1)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "give one of DOMAIN, --cert FILE, --evidence FILE, --quote FILE");
    if (a->ratls_path && !a->target)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--ratls-path goes with a DOMAIN");
    if (a->cacert && !a->ratls_path)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--cacert goes with --ratls-path");
    if (a->no_name_check && !a->target)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--no-name-check goes with a DOMAIN");
    if (!a->quote && (a->collateral || a->report_data_len > 0))
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING,
                       "--collateral, --report-data and --report-data-prefix go with --quote "
                       "(a certificate's REPORTDATA binds its key)");
    if (a->report_data_len > 0 && a->policy.policy_file)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--policy FILE holds the whole policy, REPORTDATA included");
    if (a->quote && a->save_evidence)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--save-evidence needs a certificate: an evidence bundle holds one");
    if (a->collateral && (a->policy.pccs_url || a->policy.offline))
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--collateral replaces the PCCS: no --pccs-url or --offline with it");
    return MSE_OK;
}

/* One option of mse verify into its options struct (mse_opt_take_fn). */
MSE_MUST_USE static mse_err verify_take(void *ctx, int id, const char *arg, char *why,
                                        size_t why_cap)
{
    struct cli_verify_args *a = ctx;
    switch (id) {
    case V_REPORT_DATA:
        MSE_ENSURE(a->report_data_len == 0,
                   mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                           "--report-data and --report-data-prefix are mutually exclusive"));
        MSE_TRY(mse_opt_hex("report-data", arg, a->report_data, 64, why, why_cap));
        a->report_data_len = 64;
        break;
    case V_REPORT_DATA_PREFIX:
        MSE_ENSURE(a->report_data_len == 0,
                   mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                           "--report-data and --report-data-prefix are mutually exclusive"));
        if (strlen(arg) == 0 || strlen(arg) % 2 != 0 || strlen(arg) > 128 ||
            mse_hex_decode_var(arg, strlen(arg), a->report_data, 64, &a->report_data_len) !=
                MSE_OK)
            return mse_say(why, why_cap, MSE_ERR_ARG_HEX,
                           "--report-data-prefix needs 2 to 128 hex digits, an even number");
        break;
    default: return cli_policy_apply(&a->policy, id, arg, why, why_cap);
    }
    return MSE_OK;
}

mse_err cli_verify_parse(int argc, char **argv, struct cli_verify_args *a, char *why,
                         size_t why_cap)
{
    memset(a, 0, sizeof *a);
    cli_policy_args_init(&a->policy);
    cli_out_init(&a->out);
    a->output = "./cert.pem";
    MSE_TRY(mse_opt_parse(&cli_verify_cmd, argc, argv, verify_take, a, &a->target, 1, &a->help,
                          why, why_cap));
    if (a->help)
        return MSE_OK;
    MSE_TRY(check_inputs(a, why, why_cap));
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
                                            struct cli_verify_setup *s,
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
        /* What else the user may hold: a certificate or a raw quote has its own option. */
        bool json_text = json_len > 0 && (json[0] == '{' || json[0] == ' ' || json[0] == '\n');
        err = mse_say(why, why_cap, err, "%s is not a valid evidence bundle: %s%s", a->evidence,
                      mse_err_str(err),
                      json_text ? ""
                                : " (a raw quote? use --quote FILE; a certificate? --cert FILE; "
                                  "mse inspect FILE shows what it is)");
        goto out;
    }
    struct mse_verify_input in = {.cert_der = ev.ratls_cert.data, .cert_len = ev.ratls_cert.len,
                                  .collateral = &ev.collateral,
                                  .trust_root_der = s->trust_root_der,
                                  .trust_root_len = s->trust_root_len, .at = s->at};
    cli_verify_setup_await_hashed(s);
    err = mse_verify(&in, &s->policy, &o->result);
    if (err != MSE_OK) {
        err = mse_say(why, why_cap, err, "verification could not run: %s", mse_err_str(err));
        goto out;
    }
    o->ran = true;
    if (a->save_evidence) {
        /* The bundle verified is the evidence: kept byte for byte. */
        o->info.evidence = malloc(json_len + 1);
        if (o->info.evidence != NULL) {
            memcpy(o->info.evidence, json, json_len);
            o->info.evidence[json_len] = '\0';
        }
    }
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
                                          struct cli_verify_setup *s,
                                          cli_progress_fn progress, struct cli_verify_outcome *o,
                                          uint8_t **cert, size_t *cert_len, char *why,
                                          size_t why_cap)
{
    char reason[512] = "";
    mse_err err;
    if (progress)
        progress("Fetching the server certificate...");
    if (a->cert)
        err = cli_cert_file_read(a->cert, cert, cert_len, reason, sizeof reason);
    else if (a->ratls_path)
        err = cli_ratls_fetch(&a->endpoint, a->ratls_path, a->cacert, a->policy.timeout_ms, cert,
                              cert_len, reason, sizeof reason);
    else
        err = mse_tls_fetch_cert(&a->endpoint, (int)a->policy.timeout_ms, cert, cert_len, reason,
                                 sizeof reason);
    if (progress)
        progress("");
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s", reason[0] ? reason : mse_err_str(err));
    /*
     * The certificate the server presented is saved for `curl --cacert` and
     * browsers, which refuse it for any host its names do not cover: refuse it
     * here, before any collateral is fetched, rather than let the user find out
     * later and far from the cause. (The RA-TLS certificate of --ratls-path or
     * --cert is not the TLS certificate of DOMAIN: not checked.)
     */
    if (!a->cert && !a->ratls_path && !a->no_name_check) {
        char names[256];
        err = mse_cert_check_host(*cert, *cert_len, a->endpoint.host, names, sizeof names);
        if (err == MSE_ERR_CERT_NAME_MISMATCH)
            return mse_say(why, why_cap, err,
                           "the certificate %s presented is for %s, not for %s: connect by a "
                           "name it is for (--no-name-check if you connect by IP on purpose)",
                           a->target, names, a->endpoint.host);
        if (err != MSE_OK)
            return mse_say(why, why_cap, err, "the certificate %s presented: %s", a->target,
                           mse_err_str(err));
    }
    o->online = true;
    o->info.capture = a->save_evidence != NULL;
    MSE_TRY(cli_verify_with_collateral(&a->policy, s, *cert, *cert_len, progress, &o->result,
                                       &o->info, why, why_cap));
    o->ran = true;
    return MSE_OK;
}

/* A raw quote: collateral from files (checked against the quote) or the cache and a PCCS. */
MSE_MUST_USE static mse_err verify_quote(const struct cli_verify_args *a,
                                         struct cli_verify_setup *s,
                                         cli_progress_fn progress, struct cli_verify_outcome *o,
                                         char *why, size_t why_cap)
{
    uint8_t *quote = NULL;
    size_t len = 0;
    struct mse_collateral_files files;
    mse_err err = mse_file_read(a->quote, MSE_QUOTE_MAX_SIZE, &quote, &len);
    memset(&files, 0, sizeof files);
    o->raw_quote = true;
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read %s: %s", a->quote, mse_err_str(err));
    if (a->collateral) {
        size_t anchor_len = s->trust_root_len;
        const uint8_t *anchor = s->trust_root_der;
        if (anchor == NULL)
            anchor = mse_intel_root_ca_der(&anchor_len);
        err = mse_collateral_files_load(a->collateral, &files, why, why_cap);
        if (err == MSE_OK) {
            char reason[768] = "";
            err = mse_collateral_files_check(&files, quote, len, anchor, anchor_len, reason,
                                             sizeof reason);
            /* Refused before the verifier ran: name the code as a verdict would. */
            if (err != MSE_OK)
                err = mse_say(why, why_cap, err, "%s: %s", mse_err_name(err), reason);
        }
        if (err == MSE_OK) {
            struct mse_verify_quote_input in = {
                .quote = quote, .quote_len = len, .collateral = &files.collateral,
                .trust_root_der = s->trust_root_der, .trust_root_len = s->trust_root_len,
                .at = s->at};
            cli_verify_setup_await_hashed(s);
            err = mse_verify_quote(&in, &s->policy, &o->result);
            if (err != MSE_OK)
                err = mse_say(why, why_cap, err, "verification could not run: %s",
                              mse_err_str(err));
        }
    } else {
        o->online = true;
        err = cli_verify_quote_with_collateral(&a->policy, s, quote, len, progress, &o->result,
                                               &o->info, why, why_cap);
    }
    o->ran = err == MSE_OK;
    mse_collateral_files_free(&files);
    free(quote);
    return err;
}

/* --save-evidence: exactly what was verified, whatever the verdict. */
MSE_MUST_USE static mse_err save_evidence(const struct cli_verify_args *a,
                                          struct cli_verify_outcome *o, char *why, size_t why_cap)
{
    if (o->info.evidence == NULL)
        return mse_say(why, why_cap, MSE_ERR_INTERNAL,
                       "the evidence verified could not be kept for --save-evidence");
    mse_err err = mse_file_write_atomic(a->save_evidence, o->info.evidence,
                                        strlen(o->info.evidence), 0644);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot write %s: %s", a->save_evidence,
                       mse_err_str(err));
    o->evidence_saved = true;
    return MSE_OK;
}

void cli_verify_outcome_free(struct cli_verify_outcome *o)
{
    free(o->json);
    free(o->info.evidence);
    o->json = NULL;
    o->info.evidence = NULL;
}

mse_err cli_verify_run(const struct cli_verify_args *a, int64_t now, cli_progress_fn progress,
                       struct cli_verify_outcome *o, char *why, size_t why_cap)
{
    struct cli_verify_setup s;
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    memset(o, 0, sizeof *o);
    memset(&s, 0, sizeof s);
    /* Where the results go, before any network work: never verify for nothing. */
    mse_err err = a->quote ? MSE_OK : cli_record_output_check(a->output, true, why, why_cap);
    if (err == MSE_OK && a->save_evidence)
        err = cli_record_output_check(a->save_evidence, false, why, why_cap);
    if (err == MSE_OK)
        err = cli_verify_setup_init(&a->policy, now, &s, why, why_cap);
    if (err != MSE_OK)
        goto out;
    o->started = true;
    if (a->quote && a->report_data_len > 0) {
        s.policy.report_data = a->report_data;
        s.policy.report_data_len = a->report_data_len;
    }
    err = a->quote      ? verify_quote(a, &s, progress, o, why, why_cap)
          : a->evidence ? verify_evidence(a, &s, o, &cert, &cert_len, why, why_cap)
                        : verify_server(a, &s, progress, o, &cert, &cert_len, why, why_cap);
    /* A fingerprint that could not be computed decides, whatever the network did; one
     * that was computed beside the verification decides check 3 of its verdict now. */
    char fwhy[1024];
    mse_err ferr = cli_verify_setup_decide(&s, o->ran ? &o->result : NULL, fwhy, sizeof fwhy);
    if (ferr != MSE_OK) {
        cli_verify_outcome_free(o);
        memset(o, 0, sizeof *o);
        snprintf(why, why_cap, "%s", fwhy);
        err = ferr;
        goto out;
    }
    if (err != MSE_OK || !o->ran)
        goto out;
    if (!o->result.ok && s.code_diff.n > 0) {
        char what[512];
        cli_code_diff_say(&s.code_diff, what, sizeof what);
        cli_note(&o->info.notes, "%s", what);
    }
    if (a->out.json && cli_result_json_with_policy(&o->result, &s.policy, &o->json) != MSE_OK)
        o->json = NULL;
    if (a->save_evidence) {
        mse_err se = save_evidence(a, o, why, why_cap);
        if (se != MSE_OK && o->result.ok) {
            err = se;
            goto out;
        }
    }
    if (!o->result.ok) {
        err = o->result.err != MSE_OK ? o->result.err : MSE_ERR_INTERNAL;
        goto out;
    }
    if (o->raw_quote)
        goto out; /* no certificate: nothing to save */
    err = cli_record_save(a->output,
                          a->evidence ? a->evidence : a->cert ? a->cert : a->target, cert,
                          cert_len, &o->result, s.at, a->no_name_check, why, why_cap);
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
    /* --json: exactly one object, the verdict or the error that decided. */
    bool verdict_decides = o->ran && (err == MSE_OK || err == o->result.err) && o->json != NULL;
    if (out->json && verdict_decides)
        puts(o->json);
    else if (out->json)
        cli_json_error(err != MSE_OK ? err : MSE_ERR_INTERNAL, why[0] ? why : mse_err_str(err));
    if (o->ran) {
        cli_verify_report_print(out, &o->result);
        if (o->evidence_saved && !out->quiet && !out->json)
            printf("The evidence verified has been saved at: %s\n", a->save_evidence);
        if (o->raw_quote && o->result.ok) {
            if (!out->quiet && !out->json)
                printf("A raw quote has no certificate: nothing was saved.\n");
            return;
        }
        if (o->saved) {
            if (!out->quiet && !out->json)
                printf("The verified certificate has been saved at: %s\n", a->output);
            return;
        }
        if (!o->result.ok) {
            /* The report was not printed: the decisive reason still reaches stderr. */
            if (out->quiet || out->json)
                fprintf(stderr, "error: %s: %s\n", mse_err_name(o->result.err), o->result.message);
            return;
        }
    }
    if (err != MSE_OK)
        cli_out_failure(out, err, why[0] ? why : mse_err_str(err));
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
    cli_verify_outcome_free(&o);
    return (int)mse_err_exit(err);
}
