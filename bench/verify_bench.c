/*
 * bench/verify: how close a complete offline verification of the real
 * evidence is to the bare cryptography it needs.
 *
 * Prints, in one run:
 *  - the median in-process time of mse_verify() on the real evidence bundle
 *    (every check on, expired collateral tolerated so all checks run);
 *  - the median time of the 10 ECDSA-P256 verifications such a verification
 *    needs (RA-TLS self-signature, PCK leaf and PCK CA certificates, Root CA
 *    CRL, PCK CRL, TCB signing certificate, TCB info, QE identity, QE report,
 *    quote), measured as 10 verifications of the real quote signature;
 *  - their ratio (target <= 1.3);
 *  - the median whole-process wall time of `mse verify --evidence` (target
 *    <= 10 ms), when the mse command in the build supports it.
 * Usage: verify_bench [evidence.json [path/to/mse]]. Never a test.
 */
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/verify.h>

#include "dcap.h"
#include "util/util.h"

extern char **environ;

#define RUNS 201
#define AT 1687651200 /* 2023-06-25T00:00:00Z */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    char def[4096], mse_def[4096];
    char src[4096];
    snprintf(src, sizeof src, "%s", __FILE__);
    snprintf(def, sizeof def, "%s/../tests/data/real/mse-home-evidence.json", dirname(src));
    snprintf(mse_def, sizeof mse_def, "%s", "src/mse");
    const char *path = argc > 1 ? argv[1] : def;
    const char *mse_bin = argc > 2 ? argv[2] : mse_def;

    uint8_t *json = NULL;
    size_t len = 0;
    if (mse_file_read(path, 1u << 24, &json, &len) != MSE_OK) {
        fprintf(stderr, "verify_bench: cannot read %s\n", path);
        return 1;
    }
    static uint8_t buf[1 << 20];
    struct mse_evidence ev;
    if (mse_evidence_parse(json, len, buf, sizeof buf, &ev) != MSE_OK) {
        fprintf(stderr, "verify_bench: bad evidence\n");
        return 1;
    }
    struct mse_policy pol;
    mse_policy_init(&pol);
    pol.allow_expired_collateral = true;
    pol.accepted_tcb = ~0u;
    struct mse_verify_input in = {ev.ratls_cert.data, ev.ratls_cert.len, &ev.collateral, NULL, 0,
                                  AT};
    static struct mse_verify_result r;
    static double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        double a = now_us();
        if (mse_verify(&in, &pol, &r) != MSE_OK || !r.ok) {
            fprintf(stderr, "verify_bench: verification did not pass: %s\n", r.message);
            return 1;
        }
        t[i] = now_us() - a;
    }
    double full = median(t, RUNS);

    /* The bare cryptography: the quote's own signature, 10 times per run. */
    static uint8_t qbuf[MSE_QUOTE_MAX_SIZE];
    struct mse_ratls ratls;
    struct mse_quote q;
    EVP_PKEY *ak = NULL;
    if (mse_ratls_extract(ev.ratls_cert.data, ev.ratls_cert.len, qbuf, sizeof qbuf, &ratls) !=
            MSE_OK ||
        mse_quote_parse(ratls.quote, ratls.quote_len, &q) != MSE_OK ||
        mse_ec_p256_key(q.att_public_key, &ak) != MSE_OK) {
        fprintf(stderr, "verify_bench: cannot extract the quote\n");
        return 1;
    }
    for (int i = 0; i < RUNS; i++) {
        double a = now_us();
        for (int k = 0; k < 10; k++) {
            bool valid = false;
            if (mse_ecdsa_p256_verify(ak, q.signed_data, q.signed_len, q.quote_signature, &valid) !=
                    MSE_OK ||
                !valid)
                return 1;
        }
        t[i] = now_us() - a;
    }
    double ecdsa = median(t, RUNS);
    EVP_PKEY_free(ak);

    printf("verify (in-process, median of %d): %8.1f us\n", RUNS, full);
    printf("10 x ECDSA-P256 verify (median):    %8.1f us\n", ecdsa);
    printf("ratio:                              %8.2f  (target <= 1.30)\n", full / ecdsa);

    /* Whole process: mse verify --evidence, if the command supports it. */
    char *args[] = {(char *)mse_bin, "verify",  "--evidence", (char *)path, "--at",
                    "2023-06-25T00:00:00Z", "--allow-expired-collateral", "--allow-tcb",
                    "OutOfDate", "--output", "/dev/null", NULL};
    int n = 0;
    for (int i = 0; i < 51; i++) {
        pid_t pid;
        int st = 0;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
        double a = now_us();
        int rc = posix_spawn(&pid, mse_bin, &fa, NULL, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            break;
        t[n++] = now_us() - a;
    }
    if (n == 51)
        printf("mse verify --evidence (wall, median of 51): %6.2f ms  (target <= 10 ms)\n",
               median(t, (size_t)n) / 1000.0);
    else
        printf("mse verify --evidence: not measured (%s missing or refused)\n", mse_bin);
    free(json);
    return 0;
}
