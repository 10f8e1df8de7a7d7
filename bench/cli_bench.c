/*
 * cli_bench: wall time of `mse verify DOMAIN` on loopback, cold (empty
 * collateral cache: four PCCS requests) and warm (cache hit), next to
 * `openssl s_client`'s bare TLS handshake to the same server, as ratios
 * (issue 4, acceptance 5). The server is a minimal OpenSSL TLS server in a
 * child process presenting a simulator RA-TLS certificate; collateral comes
 * from `mse-sim pccs serve`. Prints numbers only; never a test.
 *
 * Usage: cli_bench [BUILD_DIR]   (default: the directory above this binary)
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

extern char **environ;

#define RUNS 11

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pid_t spawn(char *const argv[], bool quiet)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* Run to completion; returns the exit status (or -1). */
static int run(char *const argv[])
{
    int st;
    pid_t pid = spawn(argv, true);
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

/* Child: accept, handshake, close; forever (bounded by alarm). */
static void tls_server(int lfd, const char *cert, const char *key)
{
    alarm(120);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        _exit(3);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1)
            SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    char build[PATH_MAX], self[PATH_MAX], work[] = "/tmp/mse-cli-bench.XXXXXX";
    char mse[PATH_MAX + 8], sim[PATH_MAX + 16], pki[64], cert[64], key[64], pp[64], root[64];
    char signer[64], out[64], cache[96], target[32], pccs[64], mre[65];
    pid_t pccs_pid = -1, tls_pid = -1;
    int rc = 1;

    if (argc > 1) {
        snprintf(build, sizeof build, "%s", argv[1]);
    } else {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return 1;
        self[n] = 0;
        snprintf(build, sizeof build, "%s", dirname(dirname(self)));
    }
    if (!mkdtemp(work))
        return 1;
    snprintf(mse, sizeof mse, "%s/mse", build);
    snprintf(sim, sizeof sim, "%s/mse-sim", build);
    snprintf(pki, sizeof pki, "%s/pki", work);
    snprintf(cert, sizeof cert, "%s/c.pem", work);
    snprintf(key, sizeof key, "%s/k.pem", work);
    snprintf(pp, sizeof pp, "%s/pp", work);
    snprintf(root, sizeof root, "%s/pki/root.pem", work);
    snprintf(signer, sizeof signer, "%s/pki/signer.pem", work);
    snprintf(out, sizeof out, "%s/out.pem", work);
    memset(mre, 'a', 64);
    mre[64] = 0;
    setenv("MSE_CONF_PATH", work, 1);
    setenv("MSE_QCNL_CONF", "/nonexistent", 1);
    unsetenv("MSE_PCCS_URL");

    char *init[] = {sim, "pki", "init", pki, NULL};
    char *ratls[] = {sim, "ratls", "--pki", pki, "--cert", cert, "--key", key, "--mrenclave", mre,
                     NULL};
    if (run(init) != 0 || run(ratls) != 0) {
        fprintf(stderr, "cli_bench: mse-sim failed (build dir %s)\n", build);
        goto out;
    }
    char *serve[] = {sim, "pccs", "serve", "--dir", pki, "--port", "0", "--port-file", pp,
                     "--max-seconds", "120", NULL};
    pccs_pid = spawn(serve, true);
    int pport = 0;
    for (int i = 0; i < 300 && pport == 0; i++) {
        FILE *f = fopen(pp, "r");
        if (f) {
            if (fscanf(f, "%d", &pport) != 1)
                pport = 0;
            fclose(f);
        }
        if (pport == 0)
            usleep(50000);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pport == 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(lfd, 16) != 0 || getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "cli_bench: could not start the servers\n");
        goto out;
    }
    tls_pid = fork();
    if (tls_pid == 0)
        tls_server(lfd, cert, key);
    close(lfd);
    snprintf(target, sizeof target, "127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(pccs, sizeof pccs, "http://127.0.0.1:%d", pport);

    char *verify[] = {mse, "verify", target, "--pccs-url", pccs, "--trust-root", root,
                      "--signer-key", signer, "--fingerprint", mre, "--output", out, "--quiet",
                      /* dialled by IP on purpose: the certificate is for localhost */
                      "--no-name-check", NULL};
    char *sclient[] = {"/usr/bin/openssl", "s_client", "-connect", target, "-brief", NULL};
    double cold[RUNS], warm[RUNS], hs[RUNS];
    for (int i = 0; i < RUNS; i++) {
        snprintf(cache, sizeof cache, "%s/cold-%d", work, i); /* a fresh, empty cache */
        setenv("XDG_CACHE_HOME", cache, 1);
        double t0 = now_ms();
        if (run(verify) != 0) {
            fprintf(stderr, "cli_bench: mse verify failed\n");
            goto out;
        }
        cold[i] = now_ms() - t0;
    }
    /* The last cold run filled this cache: every warm run hits it. */
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        if (run(verify) != 0)
            goto out;
        warm[i] = now_ms() - t0;
    }
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        if (run(sclient) != 0) {
            fprintf(stderr, "cli_bench: openssl s_client failed\n");
            goto out;
        }
        hs[i] = now_ms() - t0;
    }
    double c = median(cold, RUNS), w = median(warm, RUNS), h = median(hs, RUNS);
    printf("mse verify, cold cache (median of %d): %8.2f ms\n", RUNS, c);
    printf("mse verify, warm cache:                %8.2f ms\n", w);
    printf("openssl s_client handshake:            %8.2f ms\n", h);
    printf("ratio cold / handshake:                %8.2f\n", c / h);
    printf("ratio warm / handshake:                %8.2f\n", w / h);
    rc = 0;
out:
    if (tls_pid > 0)
        kill(tls_pid, SIGKILL), waitpid(tls_pid, NULL, 0);
    if (pccs_pid > 0)
        kill(pccs_pid, SIGTERM), waitpid(pccs_pid, NULL, 0);
    char *rm[] = {"/bin/rm", "-rf", work, NULL};
    (void)run(rm);
    return rc;
}
