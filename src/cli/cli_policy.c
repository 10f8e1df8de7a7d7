/*
 * The policy options every trusting command shares (cli_policy.h): their
 * tables, the one parser that checks their values, and the resolution of
 * what they name into a struct mse_policy plus trust anchor. The three
 * checks of docs/verification.md map to the options as follows:
 *   1. genuine enclave: --trust-root, --allow-debug, --allow-tcb,
 *      --allow-expired-collateral, --at (and the collateral options);
 *   2. the operator:    --signer-key | --mrsigner, else $MSE_CONF_PATH/signers,
 *      else the built-in Cosmian signer (cli_signers.c);
 *   3. the code:        --fingerprint | --context + --code.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <mse/guard.h>
#include <mse/mse.h>

#include "cli_policy.h"
#include "context/context.h"
#include "util/util.h"

#define PEM_MAX (1u << 20)

const struct mse_opt cli_policy_options[] = {
    {"fingerprint", 0, "HEX", "expected MRENCLAVE (64 hex digits)",
     CLI_OPT_FINGERPRINT, 0, MSE_OPT_TAKE, 0},
    {"code", 0, "DIR", "the plain code: compute the expected MRENCLAVE from it and --context",
     CLI_OPT_CODE, MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, code)},
    {"signer-key", 0, "PEM", "operator's enclave signing public key (RSA-3072)",
     CLI_OPT_SIGNER_KEY, MSE_OPT_FILE,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, signer_key)},
    {"mrsigner", 0, "HEX", "operator's MRSIGNER (64 hex digits)",
     CLI_OPT_MRSIGNER, 0, MSE_OPT_TAKE, 0},
    {"trust-root", 0, "PEM", "trust anchor instead of the Intel SGX Root CA (simulator)",
     CLI_OPT_TRUST_ROOT, MSE_OPT_FILE,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, trust_root)},
    {"allow-debug", 0, NULL, "accept a debug enclave", CLI_OPT_ALLOW_DEBUG, 0,
     MSE_OPT_AT(MSE_OPT_TRUE, struct cli_policy_args, allow_debug)},
    {"allow-tcb", 0, "LIST", "also accept these TCB statuses (comma-separated)",
     CLI_OPT_ALLOW_TCB, 0, MSE_OPT_TAKE, 0},
    {"allow-expired-collateral", 0, NULL, "go on past expired collateral (reported as warnings)",
     CLI_OPT_ALLOW_EXPIRED, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct cli_policy_args, allow_expired)},
    {"isv-prod-id", 0, "N", "expected ISVPRODID of the enclave (0 to 65535)",
     CLI_OPT_ISV_PROD_ID, 0, MSE_OPT_TAKE, 0},
    {"min-isv-svn", 0, "N", "minimum ISVSVN of the enclave (0 to 65535)",
     CLI_OPT_MIN_ISV_SVN, 0, MSE_OPT_TAKE, 0},
    {"accept-advisories", 0, "LIST",
     "accept a TCB status when every advisory it carries is listed (comma-separated IDs)",
     CLI_OPT_ACCEPT_ADVISORIES, 0, MSE_OPT_TAKE, 0},
    {"policy", 0, "FILE", "the whole policy from a file (docs/formats/policy.md; --json prints it)",
     CLI_OPT_POLICY, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, policy_file)},
    {0},
};

const struct mse_opt cli_collateral_options[] = {
    {"pccs-url", 0, "URL", "PCCS / PCS base URL (else $MSE_PCCS_URL, QCNL config, Intel PCS)",
     CLI_OPT_PCCS_URL, 0, MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, pccs_url)},
    {"pccs", 0, "URL", "same as --pccs-url (earlier spelling)",
     CLI_OPT_PCCS_URL, MSE_OPT_HIDDEN,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, pccs_url)},
    {"pccs-cacert", 0, "FILE", "CA certificate of the PCCS's TLS certificate",
     CLI_OPT_PCCS_CACERT, MSE_OPT_FILE,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_policy_args, pccs_cacert)},
    {"pccs-insecure", 0, NULL, "do not validate the PCCS's TLS certificate",
     CLI_OPT_PCCS_INSECURE, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct cli_policy_args, pccs_insecure)},
    {"offline", 0, NULL, "use cached collateral only", CLI_OPT_OFFLINE, 0,
     MSE_OPT_AT(MSE_OPT_TRUE, struct cli_policy_args, offline)},
    {"no-cache", 0, NULL, "neither read nor write the collateral cache",
     CLI_OPT_NO_CACHE, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct cli_policy_args, no_cache)},
    {"timeout", 0, "SECONDS", "network timeout, 1 to 600 (default 15)",
     CLI_OPT_TIMEOUT, 0, MSE_OPT_TAKE, 0},
    {0},
};

const struct mse_opt cli_time_options[] = {
    {"at", 0, "RFC3339", "verify as of this instant (default: now)",
     CLI_OPT_AT, 0, MSE_OPT_TAKE, 0},
    {0},
};

void cli_policy_args_init(struct cli_policy_args *a)
{
    memset(a, 0, sizeof *a);
    a->timeout_ms = 15000;
}

MSE_MUST_USE static mse_err parse_allow_tcb(const char *list, uint32_t *mask, char *why,
                                            size_t why_cap)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        enum mse_tcb_status st;
        if (n == 0 || mse_tcb_status_parse(p, n, &st) != MSE_OK || st == MSE_TCB_UNKNOWN)
            return mse_say(why, why_cap, MSE_ERR_ARG,
                           "--allow-tcb: unknown TCB status '%.*s' (UpToDate, "
                           "SWHardeningNeeded, ConfigurationNeeded, "
                           "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                           "OutOfDateConfigurationNeeded)",
                           (int)n, p);
        if (st == MSE_TCB_REVOKED)
            return mse_say(why, why_cap, MSE_ERR_ARG,
                           "--allow-tcb: a revoked TCB is never accepted");
        *mask |= MSE_TCB_MASK(st);
        p += n;
        if (*p == ',')
            p++;
    }
    return MSE_OK;
}

MSE_MUST_USE static mse_err parse_advisories(const char *list, struct cli_policy_args *a,
                                             char *why, size_t why_cap)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (mse_policy_advisory_id_ok(p, n) != MSE_OK)
            return mse_say(why, why_cap, MSE_ERR_ARG,
                           "--accept-advisories: '%.*s' is not an advisory ID such as "
                           "INTEL-SA-00615",
                           (int)n, p);
        if (a->advisory_count == MSE_MAX_ADVISORIES)
            return mse_say(why, why_cap, MSE_ERR_LIMIT,
                           "--accept-advisories: more than %d advisories", MSE_MAX_ADVISORIES);
        memcpy(a->advisories[a->advisory_count], p, n);
        a->advisories[a->advisory_count][n] = '\0';
        a->advisory_count++;
        p += n;
        if (*p == ',')
            p++;
    }
    return MSE_OK;
}

mse_err cli_policy_apply(struct cli_policy_args *a, int id, const char *arg, char *why,
                         size_t why_cap)
{
    long v = 0;
    switch (id) {
    case CLI_OPT_FINGERPRINT:
        a->fingerprint_given = true;
        return mse_opt_hex("fingerprint", arg, a->fingerprint, 32, why, why_cap);
    case CLI_OPT_MRSIGNER:
        a->mrsigner_given = true;
        return mse_opt_hex("mrsigner", arg, a->mrsigner, 32, why, why_cap);
    case CLI_OPT_ALLOW_TCB: return parse_allow_tcb(arg, &a->allow_tcb, why, why_cap);
    case CLI_OPT_TIMEOUT:
        MSE_TRY(mse_opt_long("timeout", arg, 1, 600, "seconds", &v, why, why_cap));
        a->timeout_ms = v * 1000;
        return MSE_OK;
    case CLI_OPT_ISV_PROD_ID:
        MSE_TRY(mse_opt_long("isv-prod-id", arg, 0, 65535, "", &v, why, why_cap));
        a->isv_prod_id_given = true;
        a->isv_prod_id = (uint16_t)v;
        return MSE_OK;
    case CLI_OPT_MIN_ISV_SVN:
        MSE_TRY(mse_opt_long("min-isv-svn", arg, 0, 65535, "", &v, why, why_cap));
        a->min_isv_svn_given = true;
        a->min_isv_svn = (uint16_t)v;
        return MSE_OK;
    case CLI_OPT_ACCEPT_ADVISORIES: return parse_advisories(arg, a, why, why_cap);
    case CLI_OPT_AT:
        a->at_given = true;
        if (mse_time_parse(arg, strlen(arg), &a->at) != MSE_OK)
            return mse_say(why, why_cap, MSE_ERR_ARG_TIME,
                           "--at '%s' is not an RFC 3339 UTC time such as 2023-06-25T00:00:00Z",
                           arg);
        return MSE_OK;
    default:
        return mse_say(why, why_cap, MSE_ERR_INTERNAL, "option id %d is not a shared option", id);
    }
}

mse_err cli_policy_check(const struct cli_policy_args *a, char *why, size_t why_cap)
{
    /* A policy file is the whole policy: mixing it with options would make it not reproducible. */
    if (a->policy_file &&
        (a->fingerprint_given || a->code || a->signer_key || a->mrsigner_given ||
         a->allow_debug || a->allow_tcb || a->allow_expired || a->isv_prod_id_given ||
         a->min_isv_svn_given || a->advisory_count > 0))
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--policy FILE holds the whole policy: give no other policy option "
                       "(--fingerprint, --context/--code, --signer-key, --mrsigner, --allow-*, "
                       "--isv-prod-id, --min-isv-svn, --accept-advisories)");
    if (a->signer_key && a->mrsigner_given)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--signer-key and --mrsigner are mutually exclusive");
    if (a->fingerprint_given && a->code)
        return mse_say(why, why_cap, MSE_ERR_ARG_CONFLICT,
                       "--fingerprint and --code are mutually exclusive");
    if (a->code && !a->context)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--code goes with --context");
    return MSE_OK;
}

MSE_MUST_USE static mse_err read_pem_mrsigner(const char *path, uint8_t mr[32], char *why,
                                              size_t why_cap)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    mse_err err = mse_file_read(path, PEM_MAX, &pem, &len);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read signer key %s: %s", path,
                       mse_err_str(err));
    err = mse_mrsigner_from_pem(pem, len, mr);
    free(pem);
    if (err != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_ARG,
                       "%s is not an SGX enclave signing key (RSA-3072, exponent 3): %s", path,
                       mse_err_str(err));
    return MSE_OK;
}

/* $MSE_CONF_PATH (default ~/.config/mse) /signers/ *.pem, if that directory exists. */
MSE_MUST_USE static mse_err config_signers(struct cli_verify_setup *s, char *why, size_t why_cap)
{
    char dir[4096];
    const char *conf = getenv("MSE_CONF_PATH");
    const char *home = getenv("HOME");
    if (conf && *conf)
        snprintf(dir, sizeof dir, "%s/signers", conf);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.config/mse/signers", home);
    else
        return MSE_OK;
    DIR *d = opendir(dir);
    if (!d)
        return MSE_OK;
    struct dirent *e;
    mse_err err = MSE_OK;
    while ((e = readdir(d)) != NULL && err == MSE_OK) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pem") != 0)
            continue;
        if (s->policy.mrsigner_count == CLI_MAX_SIGNERS) {
            err = mse_say(why, why_cap, MSE_ERR_LIMIT, "more than %d signers in %s",
                          CLI_MAX_SIGNERS, dir);
            break;
        }
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        err = read_pem_mrsigner(path, s->signers[s->policy.mrsigner_count], why, why_cap);
        if (err == MSE_OK)
            s->policy.mrsigner_count++;
    }
    closedir(d);
    return err;
}

MSE_MUST_USE static mse_err load_trust_root(const char *path, struct cli_verify_setup *s,
                                            char *why, size_t why_cap)
{
    BIO *bio = BIO_new_file(path, "r");
    if (!bio)
        return mse_say(why, why_cap, MSE_ERR_FILE_NOT_FOUND, "cannot read trust root %s", path);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!x)
        return mse_say(why, why_cap, MSE_ERR_PEM, "%s is not a PEM certificate", path);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    if (n <= 0)
        return mse_say(why, why_cap, MSE_ERR_CRYPTO, "cannot encode %s", path);
    s->trust_root_der = malloc((size_t)n);
    if (s->trust_root_der)
        memcpy(s->trust_root_der, der, (size_t)n);
    OPENSSL_free(der);
    if (!s->trust_root_der)
        return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
    s->trust_root_len = (size_t)n;
    return MSE_OK;
}

/* Check 2: explicit options replace the configured and built-in signer list. */
MSE_MUST_USE static mse_err resolve_signers(const struct cli_policy_args *a,
                                            struct cli_verify_setup *s, char *why,
                                            size_t why_cap)
{
    if (a->signer_key) {
        MSE_TRY(read_pem_mrsigner(a->signer_key, s->signers[0], why, why_cap));
        s->policy.mrsigner_count = 1;
    } else if (a->mrsigner_given) {
        memcpy(s->signers[0], a->mrsigner, 32);
        s->policy.mrsigner_count = 1;
    } else {
        MSE_TRY(config_signers(s, why, why_cap));
        if (s->policy.mrsigner_count == 0) {
            mse_err err = mse_mrsigner_from_pem((const uint8_t *)cli_default_signer_cosmian,
                                                strlen(cli_default_signer_cosmian), s->signers[0]);
            if (err != MSE_OK)
                return mse_say(why, why_cap, err, "built-in signer key unreadable");
            s->policy.mrsigner_count = 1;
        }
    }
    s->policy.mrsigners = (const uint8_t(*)[32])s->signers;
    return MSE_OK;
}

/*
 * Check 3 from --context/--code. Re-encrypting and hashing the code is most of
 * the time of `mse verify --context --code`, so it runs on a thread of its own,
 * started before anything else is read, while the caller reads the signer keys
 * and the trust root, fetches the certificate and the collateral and verifies
 * them on the placeholder; cli_verify_setup_decide() then waits for it and
 * decides check 3 of that verdict with it (cli_verify.c).
 */
struct cli_fingerprint_task {
    pthread_t thread;
    pthread_mutex_t lock;       /* guards hashed and finished */
    pthread_cond_t changed;     /* signalled when either is set */
    bool hashed;                /* waiting for the fingerprint no longer helps it (see
                                   mse_fingerprint_from_context) */
    bool finished;              /* the thread's computation returned */
    bool running;               /* thread started and not joined yet */
    bool settled;               /* result taken into s */
    bool stop;                  /* set (atomic) when the result is no longer wanted */
    bool placeholder;           /* s->mrenclave holds random bytes until settled */
    const char *context, *code; /* the caller's arguments, alive until it frees s */
    uint8_t mrenclave[32];
    struct mse_code_diff diff;
    mse_err err;
    char reason[512];
};

static void task_tell(struct cli_fingerprint_task *t, bool *what)
{
    pthread_mutex_lock(&t->lock);
    *what = true;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

static void task_hashed(void *arg)
{
    struct cli_fingerprint_task *t = arg;
    task_tell(t, &t->hashed);
}

static void *fingerprint_task_run(void *arg)
{
    struct cli_fingerprint_task *t = arg;
    t->err = mse_fingerprint_from_context(t->context, t->code, &t->stop, task_hashed, t,
                                          t->mrenclave, &t->diff, t->reason, sizeof t->reason);
    task_tell(t, &t->finished);
    return NULL;
}

void cli_verify_setup_await_hashed(struct cli_verify_setup *s)
{
    struct cli_fingerprint_task *t = s->fingerprint_task;
    if (t == NULL || !t->running)
        return; /* nothing computed beside: settled already, or to be computed when settled */
    pthread_mutex_lock(&t->lock);
    while (!t->hashed && !t->finished)
        pthread_cond_wait(&t->changed, &t->lock);
    pthread_mutex_unlock(&t->lock);
}

mse_err cli_verify_setup_settle(struct cli_verify_setup *s, char *why, size_t why_cap)
{
    struct cli_fingerprint_task *t = s->fingerprint_task;
    if (t == NULL)
        return MSE_OK;
    if (!t->settled) {
        if (t->running)
            pthread_join(t->thread, NULL);
        else
            fingerprint_task_run(t); /* no thread could start: computed here */
        t->running = false;
        t->settled = true;
        if (t->err == MSE_OK) {
            memcpy(s->mrenclave, t->mrenclave, 32);
            s->code_diff = t->diff;
        }
    }
    if (t->err != MSE_OK)
        return mse_say(why, why_cap, t->err, "cannot compute the code fingerprint: %s",
                       t->reason[0] ? t->reason : mse_err_str(t->err));
    return MSE_OK;
}

mse_err cli_verify_setup_decide(struct cli_verify_setup *s, struct mse_verify_result *result,
                                char *why, size_t why_cap)
{
    MSE_TRY(cli_verify_setup_settle(s, why, why_cap));
    /* Evaluated again whether or not the verdict was reached on the placeholder: under the
     * same policy the policy checks come out the same. */
    if (s->fingerprint_task != NULL && result != NULL)
        mse_verify_result_repolicy(&s->policy, result);
    return MSE_OK;
}

/* Check 3: the fingerprint given, or computed from the context and the plain code. */
MSE_MUST_USE static mse_err resolve_fingerprint(const struct cli_policy_args *a,
                                                struct cli_verify_setup *s, char *why,
                                                size_t why_cap)
{
    if (a->fingerprint_given) {
        memcpy(s->mrenclave, a->fingerprint, 32);
    } else if (a->code) {
        struct cli_fingerprint_task *t = calloc(1, sizeof *t);
        if (t == NULL)
            return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
        t->context = a->context;
        t->code = a->code;
        if (pthread_mutex_init(&t->lock, NULL) != 0) {
            free(t);
            return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
        }
        if (pthread_cond_init(&t->changed, NULL) != 0) {
            pthread_mutex_destroy(&t->lock);
            free(t);
            return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
        }
        s->fingerprint_task = t;
        /* The thread first: the placeholder's RAND_bytes initialises OpenSSL, which takes
         * a few milliseconds. Without a placeholder or a thread, the setup settles the
         * fingerprint (computes it here) before it returns. */
        t->running = mse_thread_start(&t->thread, fingerprint_task_run, t) == 0;
        t->placeholder = RAND_bytes(s->mrenclave, sizeof s->mrenclave) == 1;
    } else {
        return MSE_OK;
    }
    s->fingerprint_given = true;
    s->policy.mrenclave = s->mrenclave;
    return MSE_OK;
}

/* --policy FILE: read strictly, the key at fault named. */
MSE_MUST_USE static mse_err load_policy_file(const char *path, struct cli_verify_setup *s,
                                             char *why, size_t why_cap)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char reason[512] = "";
    mse_err err = mse_file_read(path, PEM_MAX, &text, &len);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read policy %s: %s", path, mse_err_str(err));
    err = mse_policy_from_json(text, len, &s->store, &s->policy, reason, sizeof reason);
    free(text);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s is not a valid policy: %s", path,
                       reason[0] ? reason : mse_err_str(err));
    return MSE_OK;
}

mse_err cli_verify_setup_init(const struct cli_policy_args *a, int64_t now,
                              struct cli_verify_setup *s, char *why, size_t why_cap)
{
    memset(s, 0, sizeof *s);
    mse_policy_init(&s->policy);
    s->at = a->at_given ? a->at : now;
    if (a->policy_file) {
        MSE_TRY(load_policy_file(a->policy_file, s, why, why_cap));
        if (a->trust_root)
            MSE_TRY(load_trust_root(a->trust_root, s, why, why_cap));
        return MSE_OK;
    }
    s->policy.check_isv_prod_id = a->isv_prod_id_given;
    s->policy.isv_prod_id = a->isv_prod_id;
    s->policy.check_min_isv_svn = a->min_isv_svn_given;
    s->policy.min_isv_svn = a->min_isv_svn;
    for (size_t i = 0; i < a->advisory_count; i++) {
        memcpy(s->store.advisories[i], a->advisories[i], sizeof s->store.advisories[i]);
        s->store.advisory_ptrs[i] = s->store.advisories[i];
    }
    s->policy.accepted_advisories = a->advisory_count > 0 ? s->store.advisory_ptrs : NULL;
    s->policy.accepted_advisory_count = a->advisory_count;
    s->policy.allow_debug = a->allow_debug;
    s->policy.allow_expired_collateral = a->allow_expired;
    s->policy.accepted_tcb |= a->allow_tcb;
    s->at = a->at_given ? a->at : now;
    /* First, so that the fingerprint's thread works while the rest is read; a failure
     * below stops and joins it (cli_verify_setup_free), and its errors come after theirs. */
    MSE_TRY(resolve_fingerprint(a, s, why, why_cap));
    mse_err err = resolve_signers(a, s, why, why_cap);
    if (err == MSE_OK && a->trust_root)
        err = load_trust_root(a->trust_root, s, why, why_cap);
    if (err == MSE_OK && s->fingerprint_task &&
        !(s->fingerprint_task->running && s->fingerprint_task->placeholder))
        err = cli_verify_setup_settle(s, why, why_cap);
    if (err != MSE_OK)
        cli_verify_setup_free(s);
    return err;
}

void cli_verify_setup_free(struct cli_verify_setup *s)
{
    if (s->fingerprint_task && s->fingerprint_task->running) {
        /* Not settled: nobody will read the result, so it stops at the next file. */
        __atomic_store_n(&s->fingerprint_task->stop, true, __ATOMIC_RELAXED);
        pthread_join(s->fingerprint_task->thread, NULL);
    }
    if (s->fingerprint_task) {
        pthread_cond_destroy(&s->fingerprint_task->changed);
        pthread_mutex_destroy(&s->fingerprint_task->lock);
    }
    free(s->fingerprint_task);
    s->fingerprint_task = NULL;
    free(s->trust_root_der);
    s->trust_root_der = NULL;
}
