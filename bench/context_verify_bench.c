/*
 * Issue 11, acceptance 6: wall time of `mse verify DOMAIN --context --code`
 * against a simulated enclave serving that code, for the demo app (mse demo's
 * code: one 39-byte index.html) and for a 100 MB tree of 2,000 files, next to
 * the bare SHA-256 time of the same plain bytes (read from disk and hashed
 * in-process with OpenSSL, on one thread), measured in one run. Also printed:
 * `mse verify --fingerprint` on the same enclave (the verification without
 * computing the fingerprint) and `mse fingerprint --context --code` (the
 * computation without the verification). Target: --context --code within
 * 1.5x of the bare SHA-256 for the large tree.
 *
 * usage: context_verify_bench [BUILD_DIR]   (default: the directory of this program's parent)
 * The programs (mse, mse-sim, mse-enclave) are BUILD_DIR's; servers on
 * 127.0.0.1, ephemeral ports; everything is stopped and removed at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

extern char **environ;

#define RUNS 7
#define BIG_FILES 2000
#define BIG_BYTES (100u << 20)

static char bindir[2048], tmp[2048];
static pid_t servers[8];
static int nservers;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pid_t spawn(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log ? log : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* Exit status of the program; *cpu_ms (if not NULL): its user + system time, all threads. */
static int run_cpu(char *const argv[], double *cpu_ms)
{
    int st;
    struct rusage ru;
    pid_t pid = spawn(argv, NULL);
    if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
        return -1;
    if (cpu_ms)
        *cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(char *const argv[])
{
    return run_cpu(argv, NULL);
}

static double cpu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* A server with --port 0 --port-file F: started, its port read (bounded wait). */
static int start_server(char *const argv[], const char *port_file)
{
    pid_t pid = spawn(argv, NULL);
    if (pid < 0)
        return -1;
    servers[nservers++] = pid;
    for (int i = 0; i < 600; i++) {
        FILE *f = fopen(port_file, "r");
        int port = 0;
        if (f && fscanf(f, "%d", &port) == 1 && port > 0) {
            fclose(f);
            return port;
        }
        if (f)
            fclose(f);
        usleep(50000);
    }
    return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void stop_all(void)
{
    for (int k = 0; k < nservers; k++) {
        kill(servers[k], SIGTERM);
        waitpid(servers[k], NULL, 0);
    }
    nservers = 0;
    if (tmp[0])
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what)
{
    fprintf(stderr, "context_verify_bench: %s\n", what);
    stop_all();
    exit(1);
}

/* A code tree of n files totalling about `bytes` pseudo-random bytes, 20 per directory. */
static void make_tree(const char *dir, int n, size_t bytes)
{
    size_t each = bytes / (size_t)n;
    unsigned char *buf = malloc(each ? each : 1);
    unsigned x = 12345;
    if (!buf || mkdir(dir, 0700) != 0)
        die("cannot make the code tree");
    for (int k = 0; k < n; k++) {
        char sub[PATH_MAX], path[PATH_MAX + 32];
        snprintf(sub, sizeof sub, "%s/d%03d", dir, k / 20);
        mkdir(sub, 0700);
        snprintf(path, sizeof path, "%s/f%04d.py", sub, k);
        for (size_t i = 0; i < each; i++)
            buf[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, each, f) != each || fclose(f) != 0)
            die("cannot write the code tree");
    }
    free(buf);
}

/* The code `mse demo` deploys (src/cli/cli_demo.c): one page. */
static void make_demo_app(const char *dir)
{
    static const char html[] = "<html><body>mse demo app</body></html>\n";
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = NULL;
    if (mkdir(dir, 0700) != 0 || !(f = fopen(path, "wb")) ||
        fwrite(html, 1, sizeof html - 1, f) != sizeof html - 1 || fclose(f) != 0)
        die("cannot write the demo app");
}

static void load_average(char out[64])
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, 64, "%.2f %.2f %.2f", a, b, c);
    else
        snprintf(out, 64, "unknown");
    if (f)
        fclose(f);
}

static EVP_MD_CTX *sha_ctx;
static size_t sha_bytes;

static int hash_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    static unsigned char buf[1 << 16];
    if (flag != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY);
    ssize_t n;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char md[32];
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        EVP_DigestUpdate(c, buf, (size_t)n);
        sha_bytes += (size_t)n;
    }
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_DigestUpdate(sha_ctx, md, 32);
    EVP_MD_CTX_free(c);
    if (fd >= 0)
        close(fd);
    return 0;
}

/* Bare SHA-256 of every file of the tree (read from disk), once: wall ms, *cpu_ms its CPU. */
static double bare_sha_once(const char *dir, size_t *bytes, double *cpu_ms)
{
    unsigned char md[32];
    sha_ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(sha_ctx, EVP_sha256(), NULL);
    sha_bytes = 0;
    double t0 = now_ms(), c0 = cpu_now_ms();
    nftw(dir, hash_file, 16, FTW_PHYS);
    EVP_DigestFinal_ex(sha_ctx, md, NULL);
    double t = now_ms() - t0;
    *cpu_ms = cpu_now_ms() - c0;
    EVP_MD_CTX_free(sha_ctx);
    *bytes = sha_bytes;
    return t;
}

struct app {
    const char *name;
    char code[3072], ctx[PATH_MAX], enc[PATH_MAX], run[PATH_MAX], port_file[PATH_MAX];
    char uuid[40];
    int port;
};

static void uuid_of(struct app *a)
{
    char line[256];
    FILE *f = fopen(a->ctx, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "id = \"%36[0-9a-f-]\"", a->uuid) == 1)
            break;
    if (f)
        fclose(f);
    if (strlen(a->uuid) != 36)
        die("no uuid in the context");
}

static void deploy(struct app *a, const char *pki)
{
    char mse[PATH_MAX], enclave[PATH_MAX];
    snprintf(a->ctx, sizeof a->ctx, "%s/%s.mse", tmp, a->name);
    snprintf(a->enc, sizeof a->enc, "%s/%s.enc", tmp, a->name);
    snprintf(a->run, sizeof a->run, "%s/%s.run", tmp, a->name);
    snprintf(a->port_file, sizeof a->port_file, "%s/%s.port", tmp, a->name);
    snprintf(mse, sizeof mse, "%s/mse", bindir);
    snprintf(enclave, sizeof enclave, "%s/mse-enclave", bindir);
    char *ctx_new[] = {mse, "context", "new", "--code", a->code, "--name", (char *)a->name,
                       "--san", "localhost", "--out", a->ctx, "--out-code", a->enc, NULL};
    if (run(ctx_new) != 0)
        die("mse context new failed");
    uuid_of(a);
    mkdir(a->run, 0700);
    char *srv[] = {enclave, "--provider", "sim", "--sim-pki", (char *)pki, "--mode", "zero-trust",
                   "--hello", "--san", "localhost", "--uuid", a->uuid, "--code-dir", a->enc,
                   "--app-dir", a->run, "--port", "0", "--port-file", a->port_file,
                   "--max-seconds", "900", NULL};
    if ((a->port = start_server(srv, a->port_file)) < 0)
        die("mse-enclave did not start");
}

/* Wall time of one mse verify with these check-3 arguments (must succeed); *cpu_ms its CPU. */
static double verify_once(const struct app *a, const char *pccs, const char *pki, bool context,
                          const char *fp, double *cpu_ms)
{
    char mse[PATH_MAX], target[64], root[PATH_MAX], signer[PATH_MAX], out[PATH_MAX];
    snprintf(mse, sizeof mse, "%s/mse", bindir);
    snprintf(target, sizeof target, "localhost:%d", a->port);
    snprintf(root, sizeof root, "%s/root.pem", pki);
    snprintf(signer, sizeof signer, "%s/signer.pem", pki);
    snprintf(out, sizeof out, "%s/cert.pem", tmp);
    char *with_ctx[] = {mse, "verify", target, "--context", (char *)a->ctx, "--code",
                        (char *)a->code, "--pccs-url", (char *)pccs, "--trust-root", root,
                        "--signer-key", signer, "--output", out, "--quiet", NULL};
    char *with_fp[] = {mse, "verify", target, "--fingerprint", (char *)fp, "--pccs-url",
                       (char *)pccs, "--trust-root", root, "--signer-key", signer,
                       "--output", out, "--quiet", NULL};
    double t0 = now_ms();
    if (run_cpu(context ? with_ctx : with_fp, cpu_ms) != 0)
        die("mse verify failed");
    return now_ms() - t0;
}

/* Wall time of one mse fingerprint --context --code (the computation alone). */
static double fingerprint_once(const struct app *a)
{
    char mse[PATH_MAX];
    snprintf(mse, sizeof mse, "%s/mse", bindir);
    char *argv[] = {mse, "fingerprint", "--context", (char *)a->ctx, "--code", (char *)a->code,
                    NULL};
    double t0 = now_ms();
    if (run(argv) != 0)
        die("mse fingerprint failed");
    return now_ms() - t0;
}

static void fingerprint_of(const struct app *a, char fp[65])
{
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd, "'%s/mse' fingerprint --context '%s' --code '%s' | tail -1", bindir,
             a->ctx, a->code);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(fp, 65, p) || strlen(fp) != 64)
        die("mse fingerprint failed");
    pclose(p);
}

int main(int argc, char **argv)
{
    char pki[PATH_MAX], port_file[PATH_MAX], pccs[64], sim[PATH_MAX], cache[PATH_MAX];
    if (argc > 1) {
        snprintf(bindir, sizeof bindir, "%s", argv[1]);
    } else {
        ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
        bindir[n > 0 ? n : 0] = '\0';
        for (int up = 0; up < 2; up++) /* build/bench/x -> build */
            if (strrchr(bindir, '/'))
                *strrchr(bindir, '/') = '\0';
    }
    snprintf(tmp, sizeof tmp, "%s/mse-ctxbench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp))
        die("cannot make a temporary directory");
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    setenv("XDG_CACHE_HOME", cache, 1);
    snprintf(pki, sizeof pki, "%s/pki", tmp);
    snprintf(sim, sizeof sim, "%s/mse-sim", bindir);
    char *init[] = {sim, "pki", "init", pki, NULL};
    if (run(init) != 0)
        die("mse-sim pki init failed (give the build directory)");
    snprintf(port_file, sizeof port_file, "%s/pccs.port", tmp);
    char *serve[] = {sim, "pccs", "serve", "--dir", pki, "--port", "0", "--port-file", port_file,
                     "--max-seconds", "900", "--quiet", NULL};
    int pport = start_server(serve, port_file);
    if (pport < 0)
        die("the simulated PCCS did not start");
    snprintf(pccs, sizeof pccs, "http://127.0.0.1:%d", pport);

    struct app apps[2] = {{.name = "demo"}, {.name = "big"}};
    snprintf(apps[0].code, sizeof apps[0].code, "%s/demo-code", tmp);
    make_demo_app(apps[0].code);
    snprintf(apps[1].code, sizeof apps[1].code, "%s/big-code", tmp);
    make_tree(apps[1].code, BIG_FILES, BIG_BYTES);
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                             : sysconf(_SC_NPROCESSORS_ONLN);
    char load[64];
    load_average(load);
    printf("mse verify --context --code against a simulated enclave, median of %d runs\n"
           "target: ratio <= 1.5x on the 100 MB tree\n"
           "ratio = (mse verify --context --code) / (bare SHA-256 of the same plain bytes, read\n"
           "from disk, on ONE thread); mse re-encrypts and hashes the code on %ld thread(s)\n"
           "(one per CPU it may run on, at most 8 and at most one per file)\n"
           "load average before: %s\n",
           RUNS, cpus < 1 ? 1 : cpus > 8 ? 8 : cpus, load);
    printf("%-11s %5s %9s %13s %11s %14s %10s %11s %10s %9s %9s\n", "code", "files", "bytes",
           "--fingerprint", "fingerprint", "--context/code", "(cpu)", "bare sha256", "(cpu)",
           "ratio", "cpu ratio");
    for (int k = 0; k < 2; k++) {
        char fp[65];
        size_t bytes = 0;
        deploy(&apps[k], pki);
        fingerprint_of(&apps[k], fp);
        /* The tree, its encrypted copy and the enclave's files were just written: let the
         * kernel write them back before timing, so no measurement shares the machine with
         * that writeback. */
        sync();
        /* One round is each measurement once, so that all four see the same machine; the
         * median of RUNS rounds is printed for each. */
        double t_fp[RUNS], t_only[RUNS], t_ctx[RUNS], c_ctx[RUNS], t_sha[RUNS], c_sha[RUNS];
        for (int r = 0; r < RUNS; r++) {
            double unused;
            t_fp[r] = verify_once(&apps[k], pccs, pki, false, fp, &unused);
            t_only[r] = fingerprint_once(&apps[k]);
            t_ctx[r] = verify_once(&apps[k], pccs, pki, true, NULL, &c_ctx[r]);
            t_sha[r] = bare_sha_once(apps[k].code, &bytes, &c_sha[r]);
        }
        double with_fp = median(t_fp, RUNS), fp_only = median(t_only, RUNS);
        double with_ctx = median(t_ctx, RUNS), ctx_cpu = median(c_ctx, RUNS);
        double sha = median(t_sha, RUNS), sha_cpu = median(c_sha, RUNS);
        printf("%-11s %5d %9zu %10.1f ms %8.1f ms %11.1f ms %7.1f ms %8.3f ms %7.3f ms %8.2fx "
               "%8.2fx\n",
               k ? "100 MB tree" : "demo app", k ? BIG_FILES : 1, bytes, with_fp, fp_only,
               with_ctx, ctx_cpu, sha, sha_cpu, sha > 0 ? with_ctx / sha : 0.0,
               sha_cpu > 0 ? ctx_cpu / sha_cpu : 0.0);
    }
    load_average(load);
    printf("load average after: %s\n", load);
    printf("ratio: wall times (the target's); cpu ratio: user + system time of mse verify, all\n"
           "its threads, over the bare SHA-256's, which a loaded machine inflates less.\n"
           "--fingerprint: mse verify --fingerprint (the verification alone); fingerprint: mse\n"
           "fingerprint --context --code (the computation alone: context, re-encryption and\n"
           "hashing of the code, manifest, measurement of the 2 GB enclave). The demo row is\n"
           "almost all fixed cost (process, TLS, quote, the enclave's 524,288 pages), so its\n"
           "ratio is not the target's.\n");
    stop_all();
    return 0;
}
