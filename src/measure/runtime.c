/*
 * A runtime (runtime.h): its shape, its deployment values, and its
 * MRENCLAVE from the template, the lock, extra known files and libpal.
 * Pure: nothing here reads a file.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/manifest.h>
#include <mse/measure.h>
#include <mse/toml.h>

#include "measure/runtime.h"
#include "measure/template.h"
#include "util/util.h"

#define MAX_VALUES 64
#define MAX_FILES 4096

static const char *const deployment_names[] = {"mode",     "san",     "subject",
                                               "uuid",     "app_cmd", "app_port"};

/* Inserted as is between the quotes of a TOML basic string: nothing that would end or escape it. */
static bool value_ok(const char *s, size_t len)
{
    if (strlen(s) != len || !mse_toml_utf8_valid(s, len))
        return false;
    for (size_t k = 0; k < len; k++) {
        unsigned char ch = (unsigned char)s[k];
        if (ch == '"' || ch == '\\' || ch < 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

static bool hex64_ok(const struct mse_toml *v)
{
    if (!v || v->type != MSE_TOML_STRING || v->slen != 64)
        return false;
    for (size_t k = 0; k < 64; k++)
        if (!((v->s[k] >= '0' && v->s[k] <= '9') || (v->s[k] >= 'a' && v->s[k] <= 'f')))
            return false;
    return true;
}

/* "file:" + an absolute path already in PurePosixPath form, so it is its own lookup key. */
static bool lock_uri_ok(const struct mse_toml *v)
{
    if (!v || v->type != MSE_TOML_STRING || !value_ok(v->s, v->slen) || v->slen < 7 ||
        strncmp(v->s, "file:/", 6) != 0)
        return false;
    const char *p = v->s + 5;
    size_t n = v->slen - 5;
    return p[n - 1] != '/' && !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") &&
           !(n >= 2 && strcmp(p + n - 2, "/.") == 0) && !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static mse_err check_files(const struct mse_toml *files, char *errbuf, size_t errlen)
{
    MSE_ENSURE(files && files->type == MSE_TOML_ARRAY && files->n <= MAX_FILES,
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: [[files]] is missing"));
    for (size_t k = 0; k < files->n; k++) {
        const struct mse_toml *f = files->items[k];
        MSE_ENSURE(f->type == MSE_TOML_TABLE && f->n == 2 && lock_uri_ok(mse_toml_get(f, "uri")) &&
                       hex64_ok(mse_toml_get(f, "sha256")),
                   mse_say(errbuf, errlen, MSE_ERR_RUNTIME,
                           "runtime: files entry %zu must be { uri = \"file:/absolute/path\", "
                           "sha256 = 64 lowercase hex digits }",
                           k + 1));
    }
    return MSE_OK;
}

mse_err mse_runtime_check(const struct mse_toml *rt, bool lock_only, char *errbuf, size_t errlen)
{
    MSE_ENSURE(rt && rt->type == MSE_TOML_TABLE,
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime is not a table"));
    const struct mse_toml *name = mse_toml_get_type(rt, "name", MSE_TOML_STRING);
    MSE_ENSURE(name && value_ok(name->s, name->slen),
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: name is missing"));
    MSE_ENSURE(hex64_ok(mse_toml_get(rt, "libpal_sha256")),
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME,
                       "runtime: libpal_sha256 must be 64 lowercase hex digits"));
    const struct mse_toml *values = mse_toml_get_type(rt, "values", MSE_TOML_TABLE);
    MSE_ENSURE(values && values->n <= MAX_VALUES,
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: [values] is missing"));
    for (size_t k = 0; k < values->n; k++) {
        const struct mse_toml_kv *kv = &values->kv[k];
        MSE_ENSURE(kv->val->type == MSE_TOML_STRING && value_ok(kv->val->s, kv->val->slen) &&
                       strlen(kv->key) == kv->klen,
                   mse_say(errbuf, errlen, MSE_ERR_RUNTIME,
                           "runtime: value %s must be a string without '\"', '\\' or control "
                           "characters",
                           kv->key));
    }
    MSE_TRY(check_files(mse_toml_get(rt, "files"), errbuf, errlen));
    if (lock_only)
        return MSE_OK;
    const struct mse_toml *tpl = mse_toml_get_type(rt, "template", MSE_TOML_STRING);
    MSE_ENSURE(tpl && strlen(tpl->s) == tpl->slen && tpl->slen <= MSE_RUNTIME_TEMPLATE_LIMIT,
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: template is missing"));
    for (size_t k = 0; k < sizeof deployment_names / sizeof deployment_names[0]; k++)
        MSE_ENSURE(mse_toml_get_type(values, deployment_names[k], MSE_TOML_STRING),
                   mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: deployment value %s is missing",
                           deployment_names[k]));
    return MSE_OK;
}

const char *mse_runtime_value(const struct mse_toml *rt, const char *name)
{
    const struct mse_toml *v = mse_toml_get_type(mse_toml_get(rt, "values"), name, MSE_TOML_STRING);
    return v ? v->s : NULL;
}

mse_err mse_runtime_set_deployment(struct mse_toml *rt, const struct mse_runtime_deployment *d,
                                   char *errbuf, size_t errlen)
{
    const char *v[] = {d->mode, d->san, d->subject, d->uuid, d->app_cmd, d->app_port};
    struct mse_toml *values = mse_toml_get_type(rt, "values", MSE_TOML_TABLE);
    MSE_ENSURE(values, mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: [values] is missing"));
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        const char *s = v[k] ? v[k] : "";
        MSE_ENSURE(value_ok(s, strlen(s)),
                   mse_say(errbuf, errlen, MSE_ERR_ARG,
                           "%s must not hold '\"', '\\' or control characters (the manifest "
                           "template inserts it in a TOML string)",
                           deployment_names[k]));
        MSE_TRY(mse_toml_set(values, deployment_names[k], mse_toml_new_string(s, strlen(s))));
    }
    return MSE_OK;
}

/* The lock's files and the extra ones, as one known-hash table (paths borrowed from rt and extra). */
static mse_err known_table(const struct mse_toml *rt, const struct mse_known_file *extra,
                           size_t nextra, struct mse_known_file **out, size_t *n)
{
    const struct mse_toml *files = mse_toml_get(rt, "files");
    struct mse_known_file *v = calloc(files->n + nextra + 1, sizeof *v);
    MSE_ENSURE(v != NULL, MSE_ERR_NOMEM);
    for (size_t k = 0; k < files->n; k++) {
        v[k].path = mse_toml_get(files->items[k], "uri")->s + 5;
        memcpy(v[k].sha256, mse_toml_get(files->items[k], "sha256")->s, 65);
    }
    if (nextra)
        memcpy(v + files->n, extra, nextra * sizeof *v);
    *out = v;
    *n = files->n + nextra;
    return MSE_OK;
}

static mse_err render_template(const struct mse_toml *rt, char **out, size_t *out_len,
                               char *errbuf, size_t errlen)
{
    const struct mse_toml *values = mse_toml_get(rt, "values");
    const struct mse_toml *tpl = mse_toml_get(rt, "template");
    struct mse_template_var vars[MAX_VALUES];
    for (size_t k = 0; k < values->n; k++)
        vars[k] = (struct mse_template_var){values->kv[k].key, values->kv[k].val->s};
    return mse_template_render(tpl->s, tpl->slen, vars, values->n, out, out_len, errbuf, errlen);
}

/*
 * The enclave attributes Gramine reads: those a parse of the written manifest
 * gives (gramine-sgx-sign measures from the manifest.sgx it reads back).
 */
struct attrs_read {
    const char *manifest;
    size_t len;
    struct mse_enclave_attrs attrs;
    mse_err err;
};

static void *read_attrs(void *arg)
{
    struct attrs_read *r = arg;
    struct mse_toml *root = NULL;
    r->err = mse_toml_parse(r->manifest, r->len, &root, NULL);
    if (r->err == MSE_OK)
        r->err = mse_manifest_attrs(root, &r->attrs);
    mse_toml_free(root);
    return NULL;
}

static bool same_attrs(const struct mse_enclave_attrs *a, const struct mse_enclave_attrs *b)
{
    return a->enclave_size == b->enclave_size && a->max_threads == b->max_threads &&
           a->edmm == b->edmm;
}

/*
 * mse_measure_manifest_sgx() of the expanded manifest, with its parse (a few
 * milliseconds for thousands of code files) on a second thread while the
 * enclave is measured with the attributes of the tree that was written. Those
 * are the ones the parse gives back, and if they ever were not, the enclave is
 * measured again with the parsed ones: the result is always the parsed ones'.
 */
static mse_err measure_expanded(const char *expanded, size_t expanded_len,
                                const struct mse_enclave_attrs *written, const uint8_t *libpal,
                                size_t libpal_len, uint8_t mrenclave[32])
{
    struct attrs_read r = {.manifest = expanded, .len = expanded_len};
    pthread_t thread;
    bool threaded = mse_thread_start(&thread, read_attrs, &r) == 0;
    if (!threaded)
        read_attrs(&r);
    mse_err err = mse_measure_enclave(written, (const uint8_t *)expanded, expanded_len, libpal,
                                      libpal_len, mrenclave);
    if (threaded)
        pthread_join(thread, NULL);
    MSE_TRY(r.err);
    if (err == MSE_OK && !same_attrs(&r.attrs, written))
        err = mse_measure_enclave(&r.attrs, (const uint8_t *)expanded, expanded_len, libpal,
                                  libpal_len, mrenclave);
    return err;
}

mse_err mse_runtime_measure(const struct mse_toml *rt, const struct mse_known_file *extra,
                            size_t nextra, const uint8_t *libpal, size_t libpal_len,
                            uint8_t mrenclave[32], char **manifest_sgx, size_t *manifest_sgx_len,
                            char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    uint8_t md[32];
    char hex[65], *rendered = NULL, *expanded = NULL, libos[4096];
    size_t rendered_len = 0, expanded_len = 0, nknown = 0;
    struct mse_enclave_attrs attrs;
    struct mse_known_file *known = NULL;
    MSE_TRY(mse_runtime_check(rt, false, errbuf, errlen));
    MSE_ENSURE(EVP_Digest(libpal, libpal_len, md, NULL, EVP_sha256(), NULL) == 1, MSE_ERR_CRYPTO);
    mse_hex_encode(md, 32, hex);
    MSE_ENSURE(strcmp(hex, mse_toml_get(rt, "libpal_sha256")->s) == 0,
               mse_say(errbuf, errlen, MSE_ERR_RUNTIME_FILE,
                       "libpal has sha256 %s, the runtime pins %s", hex,
                       mse_toml_get(rt, "libpal_sha256")->s));
    const char *libos_path = mse_runtime_value(rt, "gramine.libos");
    MSE_ENSURE(libos_path == NULL || strlen(libos_path) < sizeof libos - 5, MSE_ERR_LIMIT);
    snprintf(libos, sizeof libos, "file:%s", libos_path ? libos_path : "");
    MSE_CHECK_OUT(known_table(rt, extra, nextra, &known, &nknown));
    MSE_CHECK_OUT(render_template(rt, &rendered, &rendered_len, errbuf, errlen));
    struct mse_expand_opts opts = {.default_libos = libos_path ? libos : NULL, .known = known,
                                   .nknown = nknown, .known_only = true, .attrs = &attrs};
    MSE_CHECK_OUT(mse_manifest_expand((const uint8_t *)rendered, rendered_len, &opts, &expanded,
                                      &expanded_len, errbuf, errlen));
    err = measure_expanded(expanded, expanded_len, &attrs, libpal, libpal_len, mrenclave);
    if (err != MSE_OK)
        MSE_GOTO_OUT(mse_say(errbuf, errlen, err, "cannot measure the rendered manifest: %s",
                             mse_err_str(err)));
    if (manifest_sgx) {
        *manifest_sgx = expanded;
        *manifest_sgx_len = expanded_len;
        expanded = NULL;
    }
out:
    free(known);
    free(rendered);
    free(expanded);
    return err;
}
