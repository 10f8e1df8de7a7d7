/*
 * Contexts: the mse-cli v2.0 file reads, round trips, is saved 0600 and
 * atomically (a writer killed mid-write leaves the previous file intact), and
 * the fingerprint from context + code equals Gramine's expansion of the same
 * encrypted code as a directory.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include <mse/bytes.h>
#include <mse/measure.h>

#include "testlib.h"
#include "codecrypt/codecrypt.h"
#include "context/context.h"
#include "measure/manifest_expand.h"
#include "util/util.h"

static void load_real(struct mse_context *c)
{
    size_t len;
    char err[256];
    uint8_t *d = mse_test_data("real/mse-context-v2.toml", &len);
    assert_int_equal(mse_context_parse(d, len, c, err, sizeof err), MSE_OK);
    free(d);
}

static void test_reads_mse_cli_file(void **state)
{
    struct mse_context c;
    uint8_t key[32];
    load_real(&c);
    assert_string_equal(c.version, "2.0");
    assert_string_equal(c.name, "helloworld");
    assert_string_equal(c.project, "default");
    assert_string_equal(c.python_application, "app:app");
    assert_int_equal(c.ntests_requirements, 2);
    assert_string_equal(c.tests_requirements[1], "pytest==7.2.0");
    assert_true(c.has_key);
    assert_int_equal(mse_hex_decode("a389f8baf2e03cebd445d99f03600b29ca259faa9a3964e529c03effef206135",
                                    64, key, 32),
                     MSE_OK);
    assert_memory_equal(c.code_secret_key, key, 32);
    assert_non_null(strstr(c.ssl_app_certificate, "-----BEGIN CERTIFICATE-----\nMIIE8jCC"));
    assert_string_equal(c.instance_id, "d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e");
    assert_string_equal(c.config_domain_name, "demo.dev.cosmilink.com");
    assert_int_equal(c.enclave_size, 1);
    assert_string_equal(c.expires_at, "2022-11-18 16:22:11.516125");
    assert_string_equal(c.ssl_certificate_origin, "owner");
    assert_int_equal(c.nnonces, 1);
    assert_non_null(mse_context_nonce(&c, "app.py"));
    assert_null(mse_context_nonce(&c, "other.py"));
    assert_false(c.has_runtime);
    mse_context_free(&c);
}

static void test_refuses_bad_contexts(void **state)
{
    static const char *bad[] = {
        "version = \"1.0\"\n[config]\nname = \"a\"\n",
        "[config]\nname = \"a\"\n",
        "version = \"2.0\"\n",
        "version = \"2.0\"\n[config]\nname = 1\n",
        "version = \"2.0\"\n[config]\nname = \"a\"\ncode_secret_key = \"abcd\"\n",
        "version = \"2.0\"\n[config]\nname = \"a\"\n[instance]\nid = \"../../etc\"\n",
        ("version = \"2.0\"\n[config]\nname = \"a\"\n[instance]\n"
         "id = \"d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e\"\n[instance.nonces]\n\"a\" = \"00\"\n"),
        "version = \"2.0\"\n[config]\nname = \"a\"\n[runtime]\nlibpal = \"x\"\n",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct mse_context c;
        char err[256] = "";
        assert_int_not_equal(mse_context_parse((const uint8_t *)bad[k], strlen(bad[k]), &c, err,
                                               sizeof err),
                             MSE_OK);
        assert_true(err[0] != '\0');
    }
}

static void test_round_trip(void **state)
{
    struct mse_context c, d;
    char *one, *two, err[256];
    size_t l1, l2;
    uint8_t nonce[24] = {1, 2, 3};
    load_real(&c);
    assert_int_equal(mse_context_set_nonce(&c, "static/style.css", nonce), MSE_OK);
    assert_int_equal(mse_context_serialize(&c, &one, &l1), MSE_OK);
    assert_int_equal(mse_context_parse((uint8_t *)one, l1, &d, err, sizeof err), MSE_OK);
    assert_string_equal(d.name, c.name);
    assert_string_equal(d.ssl_app_certificate, c.ssl_app_certificate);
    assert_memory_equal(d.code_secret_key, c.code_secret_key, 32);
    assert_int_equal(d.nnonces, 2);
    assert_memory_equal(mse_context_nonce(&d, "static/style.css"), nonce, 24);
    /* Keys mse does not model (docker, tests, tests_cmd) survive. */
    assert_non_null(strstr(one, "docker = \"ghcr.io/cosmian/mse-pytorch:20230104085621\""));
    assert_int_equal(mse_context_serialize(&d, &two, &l2), MSE_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(one, two, l1);
    free(one);
    free(two);
    mse_context_free(&c);
    mse_context_free(&d);
}

static void test_save_mode_0600(void **state)
{
    char *dir = mse_test_tmpdir(), path[512], err[256];
    struct mse_context c, d;
    struct stat st;
    load_real(&c);
    assert_int_equal(setenv("MSE_CONF_PATH", dir, 1), 0);
    assert_int_equal(mse_context_path(c.instance_id, path, sizeof path), MSE_OK);
    assert_int_equal(mse_context_path("../x", path, sizeof path), MSE_ERR_ARG);
    assert_int_equal(mse_context_path(c.instance_id, path, sizeof path), MSE_OK);
    umask(022);
    assert_int_equal(mse_context_save(path, &c), MSE_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    *slash = '/';
    assert_int_equal(mse_context_load(path, &d, err, sizeof err), MSE_OK);
    assert_string_equal(d.instance_id, c.instance_id);
    mse_context_free(&c);
    mse_context_free(&d);
    mse_test_rmtree(dir);
    free(dir);
}

/* Generation g of a context: a 1 MiB certificate made only of one letter, so a torn file shows. */
static void make_gen(struct mse_context *c, unsigned g)
{
    size_t n = 1u << 20;
    free(c->ssl_app_certificate);
    c->ssl_app_certificate = malloc(n + 1);
    memset(c->ssl_app_certificate, 'A' + (int)(g % 26), n);
    c->ssl_app_certificate[n] = '\0';
}

static void test_killed_writer_leaves_previous_file(void **state)
{
    char *dir = mse_test_tmpdir(), path[512], err[256];
    struct mse_context c, d;
    load_real(&c);
    snprintf(path, sizeof path, "%s/context.mse", dir);
    make_gen(&c, 0);
    assert_int_equal(mse_context_save(path, &c), MSE_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (unsigned g = 1;; g++) { /* slow write loop until killed */
            make_gen(&c, g);
            if (mse_context_save(path, &c) != MSE_OK)
                _exit(1);
        }
    }
    /* Let it replace the file a few times, then kill it wherever it is. */
    struct stat st0, st;
    assert_int_equal(stat(path, &st0), 0);
    int changes = 0;
    for (int k = 0; k < 5000 && changes < 3; k++) {
        usleep(2000);
        if (stat(path, &st) == 0 && st.st_ino != st0.st_ino) {
            changes++;
            st0 = st;
        }
    }
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_true(changes >= 1);
    /* Whatever generation is there is whole: it parses and its blob is one letter throughout. */
    assert_int_equal(mse_context_load(path, &d, err, sizeof err), MSE_OK);
    size_t n = strlen(d.ssl_app_certificate);
    assert_int_equal(n, 1u << 20);
    for (size_t k = 1; k < n; k++)
        assert_int_equal(d.ssl_app_certificate[k], d.ssl_app_certificate[0]);
    mse_context_free(&c);
    mse_context_free(&d);
    mse_test_rmtree(dir);
    free(dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
    assert_int_equal(mse_file_write_atomic(path, data, len, 0644), MSE_OK);
}

static const char TEMPLATE[] =
    "libos.entrypoint = \"/usr/bin/python3\"\n"
    "loader.entrypoint.uri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"\n"
    "loader.entrypoint.sha256 = \"f18ed2f5ad0dc85fd0e3a9afa314a58239334c60c6bb5e7315ce5f2abf213464\"\n"
    "loader.env.APP = \"{{ python_application }}\"\n"
    "loader.env.DOMAIN = \"{{domain_name}}\"\n"
    "sgx.enclave_size = \"{{ enclave_size }}\"\n"
    "sgx.max_threads = 2\n"
    "sgx.trusted_files = [\n"
    "{{ code_trusted_files }}\n"
    "]\n";

/* The same manifest with the encrypted code as a Gramine directory URI. */
static const char DIRECT[] =
    "libos.entrypoint = \"/usr/bin/python3\"\n"
    "loader.entrypoint.uri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"\n"
    "loader.entrypoint.sha256 = \"f18ed2f5ad0dc85fd0e3a9afa314a58239334c60c6bb5e7315ce5f2abf213464\"\n"
    "loader.env.APP = \"app:app\"\n"
    "loader.env.DOMAIN = \"demo.dev.cosmilink.com\"\n"
    "sgx.enclave_size = \"1G\"\n"
    "sgx.max_threads = 2\n"
    "sgx.trusted_files = [\n"
    "\"file:/opt/input/code/\"\n"
    "]\n";

static void test_fingerprint_from_context(void **state)
{
    char *dir = mse_test_tmpdir(), p[1024], err[512];
    static const char *files[][2] = {
        {"app.py", "print('hello')\n"}, {"a.b", "x"}, {"a", "y"}, {"static/style.css", "b{}"},
        {"static/z/deep.txt", ""},
    };
    struct mse_context c;
    uint8_t md[32];
    char hex[65];
    size_t pal_len, tpl_len = strlen(TEMPLATE);
    assert_int_equal(sodium_init() >= 0, 1);
    load_real(&c);
    /* runtime: libpal and template, pinned by their SHA-256 */
    uint8_t *pal = mse_test_data("mrenclave/v01-minimal/libpal.so", &pal_len);
    snprintf(p, sizeof p, "%s/libpal.so", dir);
    write_file(p, pal, pal_len);
    c.has_runtime = true;
    c.libpal = strdup(p);
    crypto_hash_sha256(c.libpal_sha256, pal, pal_len);
    snprintf(p, sizeof p, "%s/manifest.template", dir);
    write_file(p, TEMPLATE, tpl_len);
    c.manifest_template = strdup(p);
    crypto_hash_sha256(c.manifest_template_sha256, (const uint8_t *)TEMPLATE, tpl_len);
    /* code, nonces, and the encrypted tree at /opt/input/code inside a root */
    snprintf(p, sizeof p, "%s/code/static/z", dir);
    assert_int_equal(system(NULL) != 0, 1);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/code/static/z %s/root/opt/input/code/static/z", dir, dir);
    assert_int_equal(system(cmd), 0);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        uint8_t nonce[24], *enc;
        size_t elen;
        randombytes_buf(nonce, sizeof nonce);
        assert_int_equal(mse_context_set_nonce(&c, files[k][0], nonce), MSE_OK);
        snprintf(p, sizeof p, "%s/code/%s", dir, files[k][0]);
        write_file(p, files[k][1], strlen(files[k][1]));
        /* independent encryption: libsodium directly, nonce || secretbox */
        elen = 24 + crypto_secretbox_MACBYTES + strlen(files[k][1]);
        enc = malloc(elen);
        memcpy(enc, nonce, 24);
        crypto_secretbox_easy(enc + 24, (const uint8_t *)files[k][1], strlen(files[k][1]), nonce,
                              c.code_secret_key);
        snprintf(p, sizeof p, "%s/root/opt/input/code/%s.enc", dir, files[k][0]);
        write_file(p, enc, elen);
        free(enc);
    }
    snprintf(p, sizeof p, "%s/code", dir);
    uint8_t mr[32], mr_direct[32];
    char *msgx = NULL;
    size_t msgx_len = 0;
    mse_err rc = mse_fingerprint_context(&c, p, mr, &msgx, &msgx_len, err, sizeof err);
    if (rc != MSE_OK)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, MSE_OK);
    /* Gramine's own way: expand the directory inside the root, then measure. */
    char *direct = NULL;
    size_t dlen = 0;
    snprintf(p, sizeof p, "%s/root", dir);
    struct mse_expand_opts o = {.root = p};
    assert_int_equal(mse_manifest_expand((const uint8_t *)DIRECT, strlen(DIRECT), &o, &direct,
                                         &dlen, err, sizeof err),
                     MSE_OK);
    assert_int_equal(mse_measure_manifest_sgx((uint8_t *)direct, dlen, pal, pal_len, mr_direct,
                                              NULL),
                     MSE_OK);
    assert_int_equal(msgx_len, dlen);
    assert_memory_equal(msgx, direct, dlen);
    assert_memory_equal(mr, mr_direct, 32);
    free(msgx);
    free(direct);

    /* The same through a saved context file. */
    snprintf(p, sizeof p, "%s/ctx/context.mse", dir);
    assert_int_equal(mse_context_save(p, &c), MSE_OK);
    char code[1024];
    snprintf(code, sizeof code, "%s/code", dir);
    uint8_t mr2[32];
    assert_int_equal(mse_fingerprint_from_context(p, code, mr2, err, sizeof err), MSE_OK);
    assert_memory_equal(mr, mr2, 32);

    /* A libpal that is not the pinned one is refused with both hashes named. */
    c.libpal_sha256[0] ^= 1;
    assert_int_equal(mse_fingerprint_context(&c, code, mr2, NULL, NULL, err, sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "libpal"));
    c.libpal_sha256[0] ^= 1;
    /* A code file without a nonce is refused. */
    snprintf(p, sizeof p, "%s/code/new.py", dir);
    write_file(p, "x", 1);
    assert_int_equal(mse_fingerprint_context(&c, code, mr2, NULL, NULL, err, sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "new.py"));
    unlink(p);
    /* A symbolic link in the code is refused. */
    snprintf(p, sizeof p, "%s/code/link", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(mse_fingerprint_context(&c, code, mr2, NULL, NULL, err, sizeof err),
                     MSE_ERR_CONTEXT);
    unlink(p);
    /* And it still works after those refusals. */
    assert_int_equal(mse_fingerprint_context(&c, code, mr2, NULL, NULL, err, sizeof err), MSE_OK);
    assert_memory_equal(mr, mr2, 32);
    (void)md;
    (void)hex;
    free(pal);
    mse_context_free(&c);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_codecrypt_round_trip(void **state)
{
    uint8_t key[32] = {9}, nonce[24] = {7}, other[24] = {8}, *enc, *plain;
    size_t elen, plen;
    assert_int_equal(mse_code_encrypt(key, nonce, (const uint8_t *)"secret", 6, &enc, &elen), MSE_OK);
    assert_int_equal(elen, 6 + 40);
    assert_memory_equal(enc, nonce, 24);
    assert_int_equal(mse_code_decrypt(key, enc, elen, nonce, &plain, &plen), MSE_OK);
    assert_int_equal(plen, 6);
    assert_memory_equal(plain, "secret", 6);
    free(plain);
    assert_int_equal(mse_code_decrypt(key, enc, elen, other, &plain, &plen), MSE_ERR_CONTEXT);
    enc[30] ^= 1;
    assert_int_equal(mse_code_decrypt(key, enc, elen, NULL, &plain, &plen), MSE_ERR_CRYPTO);
    assert_int_equal(mse_code_decrypt(key, enc, 39, NULL, &plain, &plen), MSE_ERR_TRUNCATED);
    free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_mse_cli_file),
        cmocka_unit_test(test_refuses_bad_contexts),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_save_mode_0600),
        cmocka_unit_test(test_killed_writer_leaves_previous_file),
        cmocka_unit_test(test_fingerprint_from_context),
        cmocka_unit_test(test_codecrypt_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
