/*
 * mse demo: the whole zero-trust flow on one machine, without SGX hardware,
 * each step printed with what it proves.
 *
 *   1. mse-sim pki init       a simulated SGX platform: test root CA, PCK
 *                             certificates, signed collateral, enclave signer
 *   2. mse-sim pccs serve     a PCCS-compatible collateral server, 127.0.0.1
 *   3. mse context new        the owner encrypts the code, keeps its key
 *   4. mse-enclave --provider sim --mode zero-trust --hello
 *                             the app in a simulated enclave that measures the
 *                             runtime it runs, 127.0.0.1, in its configuration phase
 *   5. mse configure --context --code
 *                             verify (fingerprint computed from the context and
 *                             the code), then send the code key on that connection
 *   6. mse verify --context --code
 *                             the user's three checks, the fingerprint computed
 *                             by the user; saves the certificate
 *   7. mse verify, one byte of the plain code changed
 *                             refused as check 3 (exit 16), nothing saved
 *   8. HTTPS GET with libcurl pinned to the saved certificate
 *   9. stop everything
 *
 * The programs are the `mse-sim` and `mse-enclave` next to this `mse` binary
 * (found through /proc/self/exe: the build directory, or the install
 * prefix's bin). Each runs in a process group of its own and is ended with
 * its group on every path out, including SIGINT, SIGTERM and SIGHUP; the
 * temporary directory is removed. See docs/cmd/mse-demo.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mse/guard.h>

#include "cli.h"
#include "cli_proc.h"
#include "net/http.h"
#include "sim/sim_files.h"
#include "util/util.h"

/* Bounds: every wait in the demo ends. */
#define START_TIMEOUT_MS 20000
#define VERIFY_TIMEOUT_MS 120000
#define HTTP_TIMEOUT_S 15L
#define STOP_GRACE_MS 3000
#define BODY_LIMIT (64u << 10)
/* The servers also stop themselves after this long, should the demo be SIGKILLed. */
#define SERVER_MAX_SECONDS "600"

/* Set by the signal handler; checked at every step and in every wait loop. */
static volatile sig_atomic_t demo_stop_signal;

static void on_signal(int sig)
{
    demo_stop_signal = sig;
}

struct demo {
    char bindir[PATH_MAX];   /* directory of this mse binary */
    char self[PATH_MAX];     /* this mse binary */
    char sim[PATH_MAX];      /* mse-sim */
    char enclave[PATH_MAX];  /* mse-enclave */
    char tmp[PATH_MAX];      /* scratch directory (removed at the end) */
    char pki[PATH_MAX];      /* tmp/pki */
    char cert[PATH_MAX];     /* where mse verify saves the certificate */
    bool keep_cert;          /* --output given: cert lives outside tmp */
    pid_t pccs;              /* process group leaders, -1 when not running */
    pid_t app;
    pid_t verify;
    int pccs_port;
    int app_port;
    const struct mse_curl *curl; /* libcurl, for step 8's call to the app */
};

static void step(int n, const char *title)
{
    printf("\n%d. %s\n", n, title);
    fflush(stdout);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    fputs("   ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

MSE_MUST_USE static mse_err path_join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n > 0 && (size_t)n < cap ? MSE_OK : MSE_ERR_LIMIT;
}

/* Find the sibling programs next to /proc/self/exe. */
MSE_MUST_USE static mse_err find_programs(struct demo *d)
{
    ssize_t n = readlink("/proc/self/exe", d->self, sizeof d->self - 1);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof d->self - 1, MSE_ERR_IO);
    d->self[n] = '\0';
    memcpy(d->bindir, d->self, (size_t)n + 1);
    char *slash = strrchr(d->bindir, '/');
    MSE_ENSURE(slash != NULL, MSE_ERR_IO);
    *slash = '\0';
    MSE_TRY(path_join(d->sim, sizeof d->sim, d->bindir, "mse-sim"));
    MSE_TRY(path_join(d->enclave, sizeof d->enclave, d->bindir, "mse-enclave"));
    return MSE_OK;
}

/* Read the port a server wrote to `path` (decimal, 1..65535), waiting while `pid` runs. */
MSE_MUST_USE static mse_err wait_port(const char *path, pid_t pid, int timeout_ms, int *port)
{
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        MSE_ENSURE(!demo_stop_signal, MSE_ERR_INTERNAL);
        uint8_t *data = NULL;
        size_t len = 0;
        if (mse_file_read(path, 64, &data, &len) == MSE_OK && len > 0) {
            char *end = NULL;
            errno = 0;
            long v = strtol((const char *)data, &end, 10);
            bool ok = errno == 0 && end != (char *)data && (*end == '\0' || *end == '\n') &&
                      v > 0 && v < 65536;
            free(data);
            /* A partly written file is read again on the next round. */
            if (ok) {
                *port = (int)v;
                return MSE_OK;
            }
        } else {
            free(data);
        }
        MSE_ENSURE(cli_proc_alive(pid, NULL), MSE_ERR_SERVER);
        cli_proc_sleep_ms(50);
    }
    return MSE_ERR_NET_TIMEOUT;
}

/* Run a child to completion (bounded, interruptible). Returns its exit status or -1. */
static int run_wait(struct demo *d, char *const argv[], const char *log_path, int timeout_ms)
{
    if (cli_proc_start(argv, log_path, &d->verify) != MSE_OK)
        return -1;
    int status = -1;
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        if (demo_stop_signal)
            break;
        if (!cli_proc_alive(d->verify, &status)) {
            d->verify = -1;
            return status;
        }
        cli_proc_sleep_ms(50);
    }
    cli_proc_stop(d->verify, STOP_GRACE_MS);
    d->verify = -1;
    return -1;
}

/* Print the lines of a log that contain `only` (all lines when only is NULL). */
static void print_lines(const char *path, const char *indent, const char *only);

static void print_file(const char *path, const char *indent)
{
    print_lines(path, indent, NULL);
}

static void print_lines(const char *path, const char *indent, const char *only)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (mse_file_read(path, 1u << 20, &data, &len) != MSE_OK)
        return;
    const char *line = (const char *)data;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        if (!only || memmem(line, (size_t)n, only, strlen(only)))
            printf("%s%.*s\n", indent, n, line);
        line = end ? end + 1 : NULL;
    }
    fflush(stdout);
    free(data);
}

/* The PKI directory's file `name` (sim_files.h), which must be readable. */
MSE_MUST_USE static mse_err pki_file(const struct demo *d, const char *name, char *out, size_t cap)
{
    MSE_TRY(path_join(out, cap, d->pki, name));
    return access(out, R_OK) == 0 ? MSE_OK : MSE_ERR_FILE_NOT_FOUND;
}

struct body {
    char *data;
    size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t n = size * nmemb;
    if (n > BODY_LIMIT - b->len)
        return 0; /* larger than the demo app ever answers: abort the transfer */
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/* GET https://localhost:PORT/ trusting only the verified certificate. */
MSE_MUST_USE static mse_err call_app(const struct demo *d, long *http_code, struct body *b)
{
    mse_err err = MSE_OK;
    char url[64], resolve[64];
    struct curl_slist *res = NULL;
    snprintf(url, sizeof url, "https://localhost:%d/", d->app_port);
    snprintf(resolve, sizeof resolve, "localhost:%d:127.0.0.1", d->app_port);
    CURL *c = d->curl->easy_init();
    MSE_ENSURE(c != NULL, MSE_ERR_NOMEM);
    res = d->curl->slist_append(NULL, resolve);
    MSE_ENSURE_OUT(res != NULL, MSE_ERR_NOMEM);
    /* The saved certificate is the only trust anchor: no system CAs. */
    mse_http_setup(d->curl, c, url, "https", HTTP_TIMEOUT_S * 1000L, on_body, b, d->cert);
    d->curl->easy_setopt(c, CURLOPT_CAPATH, NULL);
    d->curl->easy_setopt(c, CURLOPT_RESOLVE, res);
    d->curl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    d->curl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    CURLcode rc = d->curl->easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "   libcurl: %s\n", d->curl->easy_strerror(rc));
        MSE_GOTO_OUT(rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR
                         ? MSE_ERR_NET_TLS
                         : MSE_ERR_NET_CONNECT);
    }
    d->curl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_code);
out:
    d->curl->slist_free_all(res);
    d->curl->easy_cleanup(c);
    return err;
}

static void stop_all(struct demo *d)
{
    if (d->verify > 0)
        cli_proc_stop(d->verify, STOP_GRACE_MS);
    if (d->app > 0)
        cli_proc_stop(d->app, STOP_GRACE_MS);
    if (d->pccs > 0)
        cli_proc_stop(d->pccs, STOP_GRACE_MS);
    d->verify = d->app = d->pccs = -1;
}

enum demo_opt { D_OUTPUT = 1, D_KEEP };

struct demo_args {
    const char *output; /* --output PATH, or NULL */
    bool keep;          /* --keep */
    bool help;
};

static const struct mse_opt demo_options[] = {
    {"output", 0, "PATH", "keep the verified certificate at PATH (and PATH.verify.json)", D_OUTPUT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct demo_args, output)},
    {"keep", 0, NULL, "keep the scratch directory (logs, test PKI) and print its path", D_KEEP, 0,
     MSE_OPT_AT(MSE_OPT_TRUE, struct demo_args, keep)},
    {0},
};
static const struct mse_opt *const demo_tables[] = {demo_options, NULL};
static const char *const demo_synopsis[] = {"[--output PATH] [--keep]", NULL};

const struct mse_opt_cmd cli_demo_cmd = {
    .name = "mse demo",
    .summary = "run the whole zero-trust flow on the simulator",
    .synopsis = demo_synopsis,
    .description =
        "Runs, on this machine and without SGX hardware, a test PKI and PCCS (mse-sim), the\n"
        "app in a simulated enclave (mse-enclave) on the simulated runtime, mse context new,\n"
        "mse configure and mse verify, then an HTTPS call pinned to the verified certificate.\n"
        "Everything it starts is stopped and its temporary directory removed. Needs\n"
        "mse-enclave and mse-sim next to mse or installed.",
    .tables = demo_tables,
};

/* The `id = "..."` line of the context file: the app's uuid (36 characters). */
MSE_MUST_USE static mse_err context_uuid(const char *path, char uuid[37])
{
    uint8_t *data = NULL;
    size_t len = 0;
    mse_err err = MSE_ERR_CONTEXT;
    MSE_TRY(mse_file_read(path, 1u << 20, &data, &len));
    const char *line = (const char *)data;
    while (line && *line) {
        if (strncmp(line, "id = \"", 6) == 0 && strlen(line) >= 6 + 36 + 1 && line[6 + 36] == '"') {
            memcpy(uuid, line + 6, 36);
            uuid[36] = '\0';
            err = MSE_OK;
            break;
        }
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    free(data);
    return err;
}

/* Paths inside the scratch directory. */
struct demo_paths {
    char log_init[PATH_MAX], log_pccs[PATH_MAX], log_ctx[PATH_MAX], log_app[PATH_MAX];
    char log_conf[PATH_MAX], log_verify[PATH_MAX];
    char pccs_port[PATH_MAX], app_port[PATH_MAX];
    char code[PATH_MAX], code_enc[PATH_MAX], context[PATH_MAX], app_dir[PATH_MAX];
    char code_changed[PATH_MAX];
    char bad_cert[PATH_MAX], root[PATH_MAX], signer[PATH_MAX];
};

MSE_MUST_USE static mse_err demo_paths(struct demo *d, struct demo_paths *p)
{
    MSE_TRY(path_join(p->log_init, sizeof p->log_init, d->tmp, "pki-init.log"));
    MSE_TRY(path_join(p->log_pccs, sizeof p->log_pccs, d->tmp, "pccs.log"));
    MSE_TRY(path_join(p->log_ctx, sizeof p->log_ctx, d->tmp, "context.log"));
    MSE_TRY(path_join(p->log_app, sizeof p->log_app, d->tmp, "enclave.log"));
    MSE_TRY(path_join(p->log_conf, sizeof p->log_conf, d->tmp, "configure.log"));
    MSE_TRY(path_join(p->log_verify, sizeof p->log_verify, d->tmp, "verify.log"));
    MSE_TRY(path_join(p->pccs_port, sizeof p->pccs_port, d->tmp, "pccs.port"));
    MSE_TRY(path_join(p->app_port, sizeof p->app_port, d->tmp, "enclave.port"));
    MSE_TRY(path_join(p->code, sizeof p->code, d->tmp, "code"));
    MSE_TRY(path_join(p->code_enc, sizeof p->code_enc, d->tmp, "code.enc"));
    MSE_TRY(path_join(p->code_changed, sizeof p->code_changed, d->tmp, "code-changed"));
    MSE_TRY(path_join(p->context, sizeof p->context, d->tmp, "mse-demo.context.toml"));
    MSE_TRY(path_join(p->app_dir, sizeof p->app_dir, d->tmp, "app"));
    MSE_TRY(path_join(p->bad_cert, sizeof p->bad_cert, d->tmp, "refused-cert.pem"));
    MSE_TRY(path_join(d->pki, sizeof d->pki, d->tmp, "pki"));
    return MSE_OK;
}

/* The owner's plain code: one page (the hello app answers instead; the code
 * shows the configuration phase delivering and decrypting it). */
MSE_MUST_USE static mse_err write_code(const struct demo_paths *p)
{
    char page[PATH_MAX];
    static const char html[] = "<html><body>mse demo app</body></html>\n";
    MSE_ENSURE(mkdir(p->code, 0700) == 0, MSE_ERR_FILE_WRITE);
    MSE_ENSURE(mkdir(p->app_dir, 0700) == 0, MSE_ERR_FILE_WRITE);
    MSE_TRY(path_join(page, sizeof page, p->code, "index.html"));
    return mse_file_write_atomic(page, html, sizeof html - 1, 0644);
}

/* Run a short-lived child; on failure show its log and say what failed. */
static int run_step(struct demo *d, const struct cli_out *o, char *const argv[], const char *log,
                    int timeout_ms, const char *what)
{
    int st = run_wait(d, argv, log, timeout_ms);
    if (st == 0)
        return MSE_EXIT_OK;
    print_file(log, "   | ");
    cli_out_error(o, MSE_ERR_SERVER, "%s failed (status %d)", what, st);
    /* Keep a failing mse's own exit class as the demo's exit code. */
    return st > 0 && st < 128 ? st : MSE_EXIT_INTERNAL;
}

/* What the steps share: paths, the URLs and targets they print and pass on. */
struct demo_run {
    struct demo *d;
    const struct cli_out *o;
    struct demo_paths p;
    char pccs_url[64], target[64], uuid[37];
    char owner_fp[65];   /* what mse context new computed */
    char enclave_fp[65]; /* what the simulated enclave measured */
};

/* A "<label> <64 hex>" line of a log, the hex into out. */
MSE_MUST_USE static mse_err log_hex(const char *path, const char *label, char out[65])
{
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_TRY(mse_file_read(path, 1u << 20, &data, &len));
    mse_err err = MSE_ERR_SERVER;
    for (const char *at = strstr((const char *)data, label); at && err != MSE_OK;
         at = strstr(at, label)) {
        at += strlen(label);
        while (*at == ' ')
            at++;
        if (strspn(at, "0123456789abcdef") >= 64) {
            memcpy(out, at, 64);
            out[64] = '\0';
            err = MSE_OK;
        }
    }
    free(data);
    return err;
}

static int step_pki(struct demo_run *r)
{
    struct demo *d = r->d;
    int rc;
    step(1, "Creating a simulated SGX platform (mse-sim pki init)");
    say("A test root CA, PCK CA and PCK certificates with Intel's SGX extensions, TCB info,");
    say("QE identity and CRLs signed the way Intel signs them, and an enclave signer key.");
    char *argv[] = {d->sim, "pki", "init", d->pki, NULL};
    if ((rc = run_step(d, r->o, argv, r->p.log_init, START_TIMEOUT_MS, "mse-sim pki init")) != 0)
        return rc;
    if (pki_file(d, MSE_SIM_ROOT_CERT, r->p.root, sizeof r->p.root) != MSE_OK ||
        pki_file(d, MSE_SIM_SIGNER_PUB, r->p.signer, sizeof r->p.signer) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_FILE_NOT_FOUND,
                             "mse-sim pki init did not leave " MSE_SIM_ROOT_CERT
                             " and " MSE_SIM_SIGNER_PUB " in %s",
                             d->pki);
    say("Done: %s", d->pki);
    return MSE_EXIT_OK;
}

static int step_pccs(struct demo_run *r)
{
    struct demo *d = r->d;
    step(2, "Starting the simulated PCCS on 127.0.0.1 (mse-sim pccs serve)");
    say("The verifier fetches TCB info, QE identity and CRLs from it, as from Intel's PCS.");
    char *argv[] = {d->sim,           "pccs",        "serve",        "--dir",
                    d->pki,           "--host",      "127.0.0.1",    "--port",
                    "0",              "--port-file", r->p.pccs_port, "--max-seconds",
                    SERVER_MAX_SECONDS, NULL};
    if (cli_proc_start(argv, r->p.log_pccs, &d->pccs) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_SERVER, "cannot start %s", d->sim);
    mse_err err = wait_port(r->p.pccs_port, d->pccs, START_TIMEOUT_MS, &d->pccs_port);
    if (err != MSE_OK) {
        print_file(r->p.log_pccs, "   | ");
        return cli_out_error(r->o, err, "the simulated PCCS did not start");
    }
    snprintf(r->pccs_url, sizeof r->pccs_url, "http://127.0.0.1:%d", d->pccs_port);
    say("Listening: %s", r->pccs_url);
    return MSE_EXIT_OK;
}

static int step_context(struct demo_run *r)
{
    struct demo *d = r->d;
    int rc;
    step(3, "The app owner encrypts the code and makes a context (mse context new)");
    say("The code travels encrypted; its key (code_secret_key) stays in the owner's context,");
    say("which also records the enclave runtime (manifest template, runtime lock, libpal hash),");
    say("so anyone with the context and the plain code can compute the code fingerprint.");
    if (write_code(&r->p) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_FILE_WRITE, "cannot write the demo code");
    char *argv[] = {d->self,   "context",    "new",         "--code",   r->p.code,
                    "--name",  "mse-demo",   "--san",       "localhost", "--out",
                    r->p.context, "--out-code", r->p.code_enc, NULL};
    if ((rc = run_step(d, r->o, argv, r->p.log_ctx, START_TIMEOUT_MS, "mse context new")) != 0)
        return rc;
    if (context_uuid(r->p.context, r->uuid) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_CONTEXT, "no app id in %s", r->p.context);
    if (log_hex(r->p.log_ctx, "fingerprint:", r->owner_fp) != MSE_OK) {
        print_file(r->p.log_ctx, "   | ");
        return cli_out_error(r->o, MSE_ERR_CONTEXT, "mse context new computed no fingerprint");
    }
    say("App id %s; encrypted code in %s", r->uuid, r->p.code_enc);
    say("Code fingerprint (MRENCLAVE) of this code in this runtime: %s", r->owner_fp);
    return MSE_EXIT_OK;
}

static int step_enclave(struct demo_run *r)
{
    struct demo *d = r->d;
    step(4, "Starting the app in a simulated enclave (mse-enclave --provider sim --mode "
            "zero-trust)");
    say("It measures itself as Gramine would (the runtime's manifest with the encrypted code's");
    say("hashes, and libpal), makes a fresh TLS key and an RA-TLS certificate whose SGX quote");
    say("binds that key to that measurement, then waits for its code key (configuration phase).");
    char *argv[] = {d->enclave,   "--provider",  "sim",          "--sim-pki",   d->pki,
                    "--mode",     "zero-trust",  "--hello",      "--san",       "localhost",
                    "--uuid",     r->uuid,       "--code-dir",   r->p.code_enc, "--app-dir",
                    r->p.app_dir, "--host",      "127.0.0.1",    "--port",      "0",
                    "--port-file", r->p.app_port, "--max-seconds", SERVER_MAX_SECONDS, NULL};
    if (cli_proc_start(argv, r->p.log_app, &d->app) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_SERVER, "cannot start %s", d->enclave);
    mse_err err = wait_port(r->p.app_port, d->app, START_TIMEOUT_MS, &d->app_port);
    if (err == MSE_OK)
        err = log_hex(r->p.log_app, "MRENCLAVE", r->enclave_fp);
    if (err != MSE_OK) {
        print_file(r->p.log_app, "   | ");
        return cli_out_error(r->o, err, "the enclave server did not start");
    }
    /* By the name the certificate is for: mse verify checks it, as curl and browsers do. */
    snprintf(r->target, sizeof r->target, "localhost:%d", d->app_port);
    say("Listening: https://localhost:%d/ (certificate for localhost)", d->app_port);
    say("The enclave measured: MRENCLAVE %s", r->enclave_fp);
    return MSE_EXIT_OK;
}

static int step_configure(struct demo_run *r)
{
    struct demo *d = r->d;
    char conf_target[64];
    int rc;
    step(5, "The owner verifies the enclave, then sends it the code key (mse configure)");
    say("mse configure runs the same checks as mse verify on the TLS connection it opened,");
    say("with the fingerprint it computes from the context and the code, and sends the key");
    say("on that same connection only if all of them pass.");
    snprintf(conf_target, sizeof conf_target, "localhost:%d", d->app_port);
    char *argv[] = {d->self,      "configure",    conf_target,    "--context",  r->p.context,
                    "--code",     r->p.code,      "--signer-key", r->p.signer, "--trust-root",
                    r->p.root,    "--pccs-url",   r->pccs_url,    "--no-cache", NULL};
    if ((rc = run_step(d, r->o, argv, r->p.log_conf, VERIFY_TIMEOUT_MS, "mse configure")) != 0)
        return rc;
    print_file(r->p.log_conf, "   | ");
    say("Configured: the enclave decrypted its code and started the app.");
    return MSE_EXIT_OK;
}

static int step_verify(struct demo_run *r)
{
    struct demo *d = r->d;
    int rc;
    step(6, "A user verifies the app before sending it anything (mse verify --context --code)");
    say("Check 1: the quote is a genuine SGX quote (chain to the root CA, CRLs, TCB, QE identity)");
    say("         and it binds the TLS key of the certificate the server presented;");
    say("Check 2: the enclave belongs to the operator (MRSIGNER = the signer key);");
    say("Check 3: the code is exactly the owner's: mse computes the fingerprint itself from the");
    say("         owner's context and the plain code (no published value, no Docker).");
    char *argv[] = {d->self,        "verify",    r->target,      "--context",  r->p.context,
                    "--code",       r->p.code,   "--pccs-url",   r->pccs_url, "--trust-root",
                    r->p.root,      "--signer-key", r->p.signer, "--output",   d->cert,
                    "--no-cache",   NULL};
    if ((rc = run_step(d, r->o, argv, r->p.log_verify, VERIFY_TIMEOUT_MS,
                       "mse verify (the demo stops here: nothing is sent to the app)")) != 0)
        return rc;
    print_file(r->p.log_verify, "   | ");
    if (access(d->cert, R_OK) != 0)
        return cli_out_error(r->o, MSE_ERR_FILE_NOT_FOUND, "mse verify succeeded but saved no %s",
                             d->cert);
    char verified[65];
    if (log_hex(r->p.log_verify, "MRENCLAVE", verified) != MSE_OK || strcmp(verified, r->owner_fp))
        return cli_out_error(r->o, MSE_ERR_INTERNAL,
                             "mse verify passed on another MRENCLAVE than the owner's fingerprint");
    say("mse verify computed the fingerprint from the context and the code: %s,", r->owner_fp);
    say("the MRENCLAVE the enclave measured and its quote carries.");
    say("Verification: success. Certificate saved: %s", d->cert);
    return MSE_EXIT_OK;
}

/* A copy of the plain code with one byte changed: what a user holding other code computes. */
MSE_MUST_USE static mse_err tampered_code(const struct demo_paths *p)
{
    char page[PATH_MAX];
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_ENSURE(mkdir(p->code_changed, 0700) == 0, MSE_ERR_FILE_WRITE);
    MSE_TRY(path_join(page, sizeof page, p->code, "index.html"));
    MSE_TRY(mse_file_read(page, 1u << 20, &data, &len));
    MSE_TRY(path_join(page, sizeof page, p->code_changed, "index.html"));
    data[len / 2] ^= 0x20; /* one byte: "mse demo app" -> "mse dEmo app" */
    mse_err err = mse_file_write_atomic(page, data, len, 0644);
    free(data);
    return err;
}

static int step_tamper(struct demo_run *r)
{
    struct demo *d = r->d;
    step(7, "The same verification with one byte of the plain code changed");
    if (tampered_code(&r->p) != MSE_OK)
        return cli_out_error(r->o, MSE_ERR_FILE_WRITE, "cannot write the changed code");
    char *argv[] = {d->self,      "verify",       r->target,         "--context",  r->p.context,
                    "--code",     r->p.code_changed, "--pccs-url",   r->pccs_url, "--trust-root",
                    r->p.root,    "--signer-key", r->p.signer,       "--output",   r->p.bad_cert,
                    "--no-cache", NULL};
    unlink(r->p.log_verify);
    int st = run_wait(d, argv, r->p.log_verify, VERIFY_TIMEOUT_MS);
    print_lines(r->p.log_verify, "   | ", "FAIL");
    print_lines(r->p.log_verify, "   | ", CLI_CODE_DIFF_END);
    print_lines(r->p.log_verify, "   | ", "Verification:");
    if (st != MSE_EXIT_FINGERPRINT)
        return cli_out_error(r->o, MSE_ERR_INTERNAL,
                             "mse verify of changed code did not refuse as check 3 (status %d)",
                             st);
    if (access(r->p.bad_cert, F_OK) == 0)
        return cli_out_error(r->o, MSE_ERR_INTERNAL, "mse verify refused but still wrote %s",
                             r->p.bad_cert);
    say("Refused (exit %d) and nothing saved: mse fails closed.", st);
    return MSE_EXIT_OK;
}

static int step_call_app(struct demo_run *r)
{
    long code = 0;
    step(8, "Calling the app over HTTPS, trusting only the verified certificate (libcurl)");
    say("Like: curl --cacert cert.pem https://localhost:PORT/ ; no other CA is accepted, so");
    say("this reaches the verified enclave or nothing.");
    struct body b = {malloc(BODY_LIMIT + 1), 0};
    if (!b.data)
        return cli_out_error(r->o, MSE_ERR_NOMEM, "out of memory");
    mse_err err = call_app(r->d, &code, &b);
    if (err != MSE_OK) {
        free(b.data);
        return cli_out_error(r->o, err, "the HTTPS call to the app failed");
    }
    b.data[b.len] = '\0';
    for (size_t i = 0; i < b.len; i++)
        if ((b.data[i] < 0x20 || b.data[i] > 0x7e) && b.data[i] != '\n')
            b.data[i] = '?';
    say("HTTP %ld. The app answered:", code);
    printf("   > %s%s", b.data, b.len && b.data[b.len - 1] == '\n' ? "" : "\n");
    free(b.data);
    if (code != 200)
        return cli_out_error(r->o, MSE_ERR_SERVER, "the app answered HTTP %ld", code);
    return MSE_EXIT_OK;
}

static int demo_run(struct demo *d, const struct cli_out *o, bool keep)
{
    static int (*const steps[])(struct demo_run *) = {
        step_pki, step_pccs, step_context, step_enclave, step_configure, step_verify,
        step_tamper, step_call_app,
    };
    struct demo_run r = {.d = d, .o = o};
    if (demo_paths(d, &r.p) != MSE_OK)
        return cli_out_error(o, MSE_ERR_LIMIT, "temporary directory path too long");
    /* The test PKI's collateral must never reach the user's collateral cache
     * (~/.cache/mse): a later real verification of a platform with the same
     * FMSPC would find it there. Every child gets a cache inside the scratch
     * directory, and mse verify runs with --no-cache besides. */
    char cache[PATH_MAX];
    if (path_join(cache, sizeof cache, d->tmp, "cache") != MSE_OK ||
        setenv("XDG_CACHE_HOME", cache, 1) != 0)
        return cli_out_error(o, MSE_ERR_INTERNAL, "cannot set XDG_CACHE_HOME");

    printf("mse demo: verify an app in a (simulated) SGX enclave before trusting it.\n"
           "No SGX hardware is used: mse-sim plays Intel's role with a test root CA that\n"
           "mse trusts only because this demo passes it explicitly (--trust-root).\n");
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        int rc = steps[k](&r);
        if (rc != MSE_EXIT_OK)
            return rc;
        if (demo_stop_signal)
            return MSE_EXIT_INTERNAL;
    }
    step(9, "Stopping the enclave server and the PCCS");
    stop_all(d);
    say("Stopped.");

    printf("\nmse demo: success.\n");
    if (d->keep_cert)
        printf("The verified certificate is at %s; to trust it in Chrome/Chromium:\n"
               "  mse trust add %s --name mse-demo\n",
               d->cert, d->cert);
    if (keep)
        printf("Logs and the test PKI are kept in %s\n", d->tmp);
    return MSE_EXIT_OK;
}

int cli_demo_main(int argc, char **argv)
{
    struct cli_out o;
    struct demo d;
    struct demo_args a = {0};
    char why[512] = "";

    cli_out_init(&o);
    memset(&d, 0, sizeof d);
    d.pccs = d.app = d.verify = -1;
    mse_err err = mse_opt_parse(&cli_demo_cmd, argc, argv, NULL, &a, NULL, 0, &a.help, why,
                                sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_demo_cmd, argc, argv, err, a.help, why);
    const char *output = a.output;
    bool keep = a.keep;
    if (find_programs(&d) != MSE_OK)
        return cli_out_error(&o, MSE_ERR_IO, "cannot locate this program (/proc/self/exe)");
    if (access(d.sim, X_OK) != 0 || access(d.enclave, X_OK) != 0)
        return cli_out_error(&o, MSE_ERR_FILE_NOT_FOUND,
                             "mse demo needs mse-sim and mse-enclave next to mse (%s): build them "
                             "(cmake --build build) first",
                             d.bindir);

    const char *base = getenv("TMPDIR");
    int n = snprintf(d.tmp, sizeof d.tmp, "%s/mse-demo-XXXXXX", base && *base ? base : "/tmp");
    if (n <= 0 || (size_t)n >= sizeof d.tmp || !mkdtemp(d.tmp))
        return cli_out_error(&o, MSE_ERR_FILE_WRITE, "cannot create a temporary directory");
    if (output) {
        n = snprintf(d.cert, sizeof d.cert, "%s", output);
        d.keep_cert = true;
    } else {
        n = snprintf(d.cert, sizeof d.cert, "%s/cert.pem", d.tmp);
    }

    /* From here on every path goes through the cleanup below. */
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);

    int rc;
    if (n <= 0 || (size_t)n >= sizeof d.cert)
        rc = cli_out_error(&o, MSE_ERR_LIMIT, "--output path too long");
    else if (mse_curl_api(&d.curl, why, sizeof why) != MSE_OK)
        rc = cli_out_error(&o, MSE_ERR_INTERNAL, "%s", why);
    else
        rc = demo_run(&d, &o, keep);

    stop_all(&d);
    if (demo_stop_signal) {
        fprintf(stderr, "\nmse demo: interrupted (signal %d); everything it started is stopped.\n",
                (int)demo_stop_signal);
        rc = 128 + (int)demo_stop_signal;
    }
    if (!keep)
        nftw(d.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else if (rc != MSE_EXIT_OK)
        fprintf(stderr, "Logs kept in %s\n", d.tmp);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return rc;
}
