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

#include <openssl/evp.h>
#include <sodium.h>

#include <mse/bytes.h>
#include <mse/measure.h>

#include "testlib.h"
#include "codecrypt/codecrypt.h"
#include "context/context.h"
#include "measure/manifest_expand.h"
#include "measure/runtime.h"
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
        "version = \"2.0\"\n[config]\nname = \"a\"\n[runtime]\ntemplate = \"x\"\n",
        /* a claimed hash for a file without a nonce; a claimed hash that is not 32 bytes */
        ("version = \"2.0\"\n[config]\nname = \"a\"\n[instance]\n"
         "id = \"d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e\"\n[instance.nonces]\n"
         "\"a\" = \"f33f4a1a1555660f9396aea7811b0ff7b0f19503a7485914\"\n"
         "[instance.encrypted_sha256]\n"
         "\"b\" = \"b5551d631851bb421bd516a9e63c8b30581ad6973319749fcb7ab721ad3220cc\"\n"),
        ("version = \"2.0\"\n[config]\nname = \"a\"\n[instance]\n"
         "id = \"d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e\"\n[instance.nonces]\n"
         "\"a\" = \"f33f4a1a1555660f9396aea7811b0ff7b0f19503a7485914\"\n"
         "[instance.encrypted_sha256]\n\"a\" = \"b5551d63\"\n"),
        "version = \"2.0\"\n[config]\nname = \"a\"\n[runtime]\ntemplate = 1\n",
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
    uint8_t nonce[24] = {1, 2, 3}, sum[32] = {9, 8, 7};
    load_real(&c);
    assert_int_equal(mse_context_set_nonce(&c, "static/style.css", nonce), MSE_OK);
    assert_int_equal(mse_context_set_encrypted_sha256(&c, "static/style.css", sum), MSE_OK);
    assert_int_equal(mse_context_set_encrypted_sha256(&c, "no/nonce.py", sum), MSE_ERR_ARG);
    assert_int_equal(mse_context_serialize(&c, &one, &l1), MSE_OK);
    assert_int_equal(mse_context_parse((uint8_t *)one, l1, &d, err, sizeof err), MSE_OK);
    assert_string_equal(d.name, c.name);
    assert_string_equal(d.ssl_app_certificate, c.ssl_app_certificate);
    assert_memory_equal(d.code_secret_key, c.code_secret_key, 32);
    assert_int_equal(d.nnonces, 2);
    assert_memory_equal(mse_context_nonce(&d, "static/style.css"), nonce, 24);
    for (size_t k = 0; k < d.nnonces; k++) {
        bool css = strcmp(d.nonces[k].path, "static/style.css") == 0;
        assert_int_equal(d.nonces[k].has_encrypted_sha256, css);
        if (css)
            assert_memory_equal(d.nonces[k].encrypted_sha256, sum, 32);
    }
    /* Keys mse does not model (docker, tests, tests_cmd) survive. */
    assert_non_null(strstr(one, "docker = \"ghcr.io/cosmian/mse-pytorch:20230104085621\""));
    assert_int_equal(mse_context_serialize(&d, &two, &l2), MSE_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(one, two, l1);
    /* A new nonce is a new file: its old hash goes. */
    nonce[0] ^= 1;
    assert_int_equal(mse_context_set_nonce(&d, "static/style.css", nonce), MSE_OK);
    for (size_t k = 0; k < d.nnonces; k++)
        assert_false(d.nonces[k].has_encrypted_sha256);
    free(one);
    free(two);
    mse_context_free(&c);
    mse_context_free(&d);
}

/* A context too large to be read back is not written (the limit is the reader's). */
static void test_save_refuses_what_cannot_be_read(void **state)
{
    char *dir = mse_test_tmpdir(), p[1024], path[4001];
    struct mse_context c;
    uint8_t nonce[24] = {7}, sum[32] = {8};
    load_real(&c);
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    /* 2,100 entries of about 8 KB (a 4,000-byte path in each of two tables): over 16 MiB. */
    for (int k = 0; k < 2100; k++) {
        snprintf(path, 12, "%010d", k);
        path[10] = 'p';
        assert_int_equal(mse_context_add_nonce(&c, path, nonce), MSE_OK);
        assert_int_equal(mse_context_set_encrypted_sha256(&c, path, sum), MSE_OK);
    }
    char *text;
    size_t len;
    assert_int_equal(mse_context_serialize(&c, &text, &len), MSE_OK);
    assert_true(len > MSE_CONTEXT_LIMIT);
    free(text);
    snprintf(p, sizeof p, "%s/ctx/context.mse", dir);
    assert_int_equal(mse_context_save(p, &c), MSE_ERR_LIMIT);
    assert_int_equal(access(p, F_OK), -1);
    /* Under the limit it is written and reads back. */
    c.nnonces = 1900;
    assert_int_equal(mse_context_save(p, &c), MSE_OK);
    struct mse_context d;
    char err[256];
    assert_int_equal(mse_context_load(p, &d, err, sizeof err), MSE_OK);
    assert_int_equal(d.nnonces, 1900);
    mse_context_free(&d);
    c.nnonces = 2100 + 1; /* the real file's own entry comes first */
    mse_context_free(&c);
    mse_test_rmtree(dir);
    free(dir);
}

/* The context claims the hash of every P.enc, as mse context new records it. */
static void claim_encrypted(struct mse_context *c, const char *enc_dir)
{
    for (size_t k = 0; k < c->nnonces; k++) {
        char p[2200];
        uint8_t *enc, md[32];
        size_t elen;
        assert_true(strlen(enc_dir) < 1024 && strlen(c->nonces[k].path) < 1024);
        snprintf(p, sizeof p, "%s/%s.enc", enc_dir, c->nonces[k].path);
        assert_int_equal(mse_file_read(p, 1 << 20, &enc, &elen), MSE_OK);
        assert_int_equal(EVP_Digest(enc, elen, md, NULL, EVP_sha256(), NULL), 1);
        assert_int_equal(mse_context_set_encrypted_sha256(c, c->nonces[k].path, md), MSE_OK);
        free(enc);
    }
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

/* The runtime's template: Gramine's language, the code as a directory of trusted files. */
static const char TEMPLATE[] =
    "libos.entrypoint = \"/usr/bin/python3\"\n"
    "loader.entrypoint.uri = \"file:{{ gramine.libos }}\"\n"
    "loader.env.DOMAIN = \"{{ san }}\"\n"
    "{% if mode == \"owner\" %}loader.env.OWNER = \"yes\"\n{% endif %}"
    "sgx.enclave_size = \"{{ enclave_size }}\"\n"
    "sgx.max_threads = 2\n"
    "sgx.trusted_files = [\n"
    "  \"file:{{ code_dir }}/\",\n"
    "]\n";

/* What gramine-manifest makes of it, and what gramine-sgx-sign expands inside a root. */
static const char DIRECT[] =
    "libos.entrypoint = \"/usr/bin/python3\"\n"
    "loader.entrypoint.uri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"\n"
    "loader.entrypoint.sha256 = \"f18ed2f5ad0dc85fd0e3a9afa314a58239334c60c6bb5e7315ce5f2abf213464\"\n"
    "loader.env.DOMAIN = \"demo.dev.cosmilink.com\"\n"
    "sgx.enclave_size = \"1G\"\n"
    "sgx.max_threads = 2\n"
    "sgx.trusted_files = [\n"
    "\"file:/opt/input/code/\"\n"
    "]\n";

/* A runtime table as mse context new records it (src/measure/runtime.h). */
static struct mse_toml *make_runtime(const uint8_t *pal, size_t pal_len)
{
    uint8_t md[32];
    char hex[65], *text = NULL, tpl[sizeof TEMPLATE * 2], *t = tpl;
    struct mse_toml *rt = NULL;
    size_t line = 0;
    crypto_hash_sha256(md, pal, pal_len);
    mse_hex_encode(md, 32, hex);
    /* the template as a TOML basic string */
    for (const char *s = TEMPLATE; *s; s++) {
        if (*s == '\n') {
            *t++ = '\\';
            *t++ = 'n';
        } else {
            if (*s == '"')
                *t++ = '\\';
            *t++ = *s;
        }
    }
    *t = '\0';
    assert_true(asprintf(&text,
                         "name = \"test\"\nlibpal_sha256 = \"%s\"\ntemplate = \"%s\"\n"
                         "[values]\n\"gramine.libos\" = "
                         "\"/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"\n"
                         "code_dir = \"/opt/input/code\"\nenclave_size = \"1G\"\n"
                         "mode = \"zero-trust\"\nsan = \"demo.dev.cosmilink.com\"\n"
                         "subject = \"CN=demo.dev.cosmilink.com\"\n"
                         "uuid = \"d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e\"\n"
                         "app_cmd = \"\"\napp_port = \"\"\n"
                         "[[files]]\nuri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"\n"
                         "sha256 = "
                         "\"f18ed2f5ad0dc85fd0e3a9afa314a58239334c60c6bb5e7315ce5f2abf213464\"\n",
                         hex, tpl) > 0);
    assert_int_equal(mse_toml_parse(text, strlen(text), &rt, &line), MSE_OK);
    free(text);
    return rt;
}

static void test_fingerprint_from_context(void **state)
{
    char *dir = mse_test_tmpdir(), p[1024], err[512];
    static const char *files[][2] = {
        {"app.py", "print('hello')\n"}, {"a.b", "x"}, {"a", "y"}, {"a-", "-"},
        {"static/style.css", "b{}"}, {"static/z/deep.txt", ""}, {"static-x", "s"},
    };
    struct mse_context c;
    size_t pal_len;
    assert_int_equal(sodium_init() >= 0, 1);
    load_real(&c);
    /* runtime: recorded in the context; libpal found by its SHA-256 in a runtime directory */
    uint8_t *pal = mse_test_data("mrenclave/v01-minimal/libpal.so", &pal_len);
    snprintf(p, sizeof p, "%s/rt", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    mse_test_write(dir, "rt/some-name.so", pal, pal_len);
    char rtdir[1024];
    snprintf(rtdir, sizeof rtdir, "%s/rt", dir);
    c.runtime = make_runtime(pal, pal_len);
    c.has_runtime = true;
    /* code, nonces, and the encrypted tree at /opt/input/code inside a root */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/code/static/z %s/root/opt/input/code/static/z", dir, dir);
    assert_int_equal(system(cmd), 0);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        uint8_t nonce[24], *enc;
        size_t elen;
        randombytes_buf(nonce, sizeof nonce);
        assert_int_equal(mse_context_set_nonce(&c, files[k][0], nonce), MSE_OK);
        snprintf(p, sizeof p, "code/%s", files[k][0]);
        mse_test_write(dir, p, files[k][1], strlen(files[k][1]));
        /* independent encryption: libsodium directly, nonce || secretbox */
        elen = 24 + crypto_secretbox_MACBYTES + strlen(files[k][1]);
        enc = malloc(elen);
        memcpy(enc, nonce, 24);
        crypto_secretbox_easy(enc + 24, (const uint8_t *)files[k][1], strlen(files[k][1]), nonce,
                              c.code_secret_key);
        snprintf(p, sizeof p, "root/opt/input/code/%s.enc", files[k][0]);
        mse_test_write(dir, p, enc, elen);
        free(enc);
    }
    /* drop the nonces mse-cli's file had: this context is for this code */
    for (size_t k = 0; k < c.nnonces;) {
        bool ours = false;
        for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
            ours = ours || strcmp(c.nonces[k].path, files[f][0]) == 0;
        if (ours) {
            k++;
            continue;
        }
        free(c.nonces[k].path);
        c.nonces[k] = c.nonces[--c.nnonces];
    }
    char code[1024];
    snprintf(code, sizeof code, "%s/code", dir);
    uint8_t mr[32], mr_direct[32], mr2[32];
    char *msgx = NULL;
    size_t msgx_len = 0;
    mse_err rc = mse_fingerprint_context(&c, code, rtdir, mr, &msgx, &msgx_len, NULL, err,
                                         sizeof err);
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

    /* Each file's nonce is found by its path whatever the context's order: in the listing's
     * order (how mse context new writes them, taken without a sort) and reversed. */
    char **listed = NULL;
    size_t nlisted = 0;
    assert_int_equal(mse_code_list(code, &listed, &nlisted, err, sizeof err), MSE_OK);
    assert_int_equal(nlisted, c.nnonces);
    for (size_t i = 0; i < nlisted; i++)
        for (size_t j = i; j < c.nnonces; j++)
            if (strcmp(c.nonces[j].path, listed[i]) == 0) {
                struct mse_context_nonce t = c.nonces[i];
                c.nonces[i] = c.nonces[j];
                c.nonces[j] = t;
            }
    for (size_t i = 0; i < nlisted; i++)
        assert_string_equal(c.nonces[i].path, listed[i]);
    mse_code_list_free(listed, nlisted);
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr2, mr, 32);
    for (size_t i = 0, j = c.nnonces - 1; i < j; i++, j--) {
        struct mse_context_nonce t = c.nonces[i];
        c.nonces[i] = c.nonces[j];
        c.nonces[j] = t;
    }
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr2, mr, 32);

    /* The same through a saved and reloaded context file. */
    snprintf(p, sizeof p, "%s/ctx/context.mse", dir);
    assert_int_equal(mse_context_save(p, &c), MSE_OK);
    struct mse_context d;
    assert_int_equal(mse_context_load(p, &d, err, sizeof err), MSE_OK);
    assert_true(d.has_runtime);
    assert_int_equal(mse_fingerprint_context(&d, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr, mr2, 32);
    mse_context_free(&d);

    /* A runtime whose libpal is nowhere in the path: one error naming the file and its hash. */
    struct mse_toml *lp = mse_toml_get(c.runtime, "libpal_sha256");
    char saved = lp->s[0];
    lp->s[0] = saved == '0' ? '1' : '0';
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_RUNTIME_FILE);
    assert_non_null(strstr(err, "libpal.so"));
    assert_non_null(strstr(err, lp->s));
    lp->s[0] = saved;
    /* Owner mode measures differently (the template's branch) and needs the owner's chain. */
    struct mse_toml *mode = mse_toml_get(mse_toml_get(c.runtime, "values"), "mode");
    free(mode->s);
    mode->s = strdup("owner");
    mode->slen = 5;
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "owner"));
    free(mode->s);
    mode->s = strdup("zero-trust");
    mode->slen = 10;
    /* A code file without a nonce is refused. */
    snprintf(p, sizeof p, "%s/code/new.py", dir);
    mse_test_write(dir, "code/new.py", "x", 1);
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "new.py"));
    unlink(p);
    /* A code file the owner encrypted that is missing is refused. */
    snprintf(p, sizeof p, "%s/code/a", dir);
    unlink(p);
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    mse_test_write(dir, "code/a", "y", 1);
    /* A symbolic link in the code is refused. */
    snprintf(p, sizeof p, "%s/code/link", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "code/link is a symbolic link"));
    unlink(p);
    /* One changed byte of code: another fingerprint. */
    mse_test_write(dir, "code/app.py", "print('hellO')\n", 15);
    rc = mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err, sizeof err);
    if (rc != MSE_OK)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, MSE_OK);
    assert_memory_not_equal(mr, mr2, 32);
    mse_test_write(dir, "code/app.py", "print('hello')\n", 15);
    /* And it still works after those refusals. */
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr, mr2, 32);

    /* The hashes a context claims only let the measurement start before the code is hashed:
     * with right claims the same fingerprint and manifest; with a wrong claim, or claims of
     * the code before a change, the fingerprint of the code as it is. */
    snprintf(p, sizeof p, "%s/root/opt/input/code", dir);
    claim_encrypted(&c, p);
    uint8_t mr3[32];
    char *msgx2 = NULL;
    size_t msgx2_len = 0;
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, &msgx2, &msgx2_len, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr, mr2, 32);
    assert_int_equal(msgx2_len, msgx_len);
    free(msgx2);
    /* ... and the files that differ from the claims are named (the first, and how many). */
    struct mse_code_diff diff;
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, &diff, err,
                                             sizeof err),
                     MSE_OK);
    assert_int_equal(diff.n, 0);
    c.nonces[1].encrypted_sha256[31] ^= 1;
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, &diff, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_equal(mr, mr2, 32);
    assert_int_equal(diff.n, 1);
    assert_string_equal(diff.first, c.nonces[1].path);
    c.nonces[1].encrypted_sha256[31] ^= 1;
    mse_test_write(dir, "code/app.py", "print('hellO')\n", 15);
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr2, NULL, NULL, &diff, err,
                                             sizeof err),
                     MSE_OK);
    assert_int_equal(diff.n, 1);
    assert_string_equal(diff.first, "app.py");
    for (size_t k = 0; k < c.nnonces; k++)
        c.nonces[k].has_encrypted_sha256 = false;
    assert_int_equal(mse_fingerprint_context(&c, code, rtdir, mr3, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_OK);
    assert_memory_not_equal(mr, mr2, 32);
    assert_memory_equal(mr2, mr3, 32);
    mse_test_write(dir, "code/app.py", "print('hello')\n", 15);
    free(pal);
    mse_context_free(&c);
    mse_test_rmtree(dir);
    free(dir);
}

/* Contexts that cannot give a fingerprint say what they lack, and still load. */
static void test_fingerprint_needs_a_runtime(void **state)
{
    struct mse_context c;
    char err[512];
    uint8_t mr[32];
    load_real(&c);
    assert_false(c.has_runtime);
    assert_int_equal(mse_fingerprint_context(&c, "/nonexistent", NULL, mr, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "Docker"));
    assert_non_null(strstr(err, "runtime lock"));
    mse_context_free(&c);
    static const char old[] =
        "version = \"2.0\"\n[config]\nname = \"x\"\n[runtime]\nlibpal = \"/home/o/libpal.so\"\n"
        "libpal_sha256 = \"00\"\nmanifest_template = \"/home/o/t\"\n";
    assert_int_equal(mse_context_parse((const uint8_t *)old, strlen(old), &c, err, sizeof err),
                     MSE_OK);
    assert_true(c.runtime_by_path);
    assert_int_equal(mse_fingerprint_context(&c, "/nonexistent", NULL, mr, NULL, NULL, NULL, err,
                                             sizeof err),
                     MSE_ERR_CONTEXT);
    assert_non_null(strstr(err, "older mse"));
    /* and it is written back as read */
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(mse_context_serialize(&c, &out, &len), MSE_OK);
    assert_non_null(strstr(out, "manifest_template = \"/home/o/t\""));
    free(out);
    mse_context_free(&c);
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
        cmocka_unit_test(test_save_refuses_what_cannot_be_read),
        cmocka_unit_test(test_killed_writer_leaves_previous_file),
        cmocka_unit_test(test_fingerprint_from_context),
        cmocka_unit_test(test_fingerprint_needs_a_runtime),
        cmocka_unit_test(test_codecrypt_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
