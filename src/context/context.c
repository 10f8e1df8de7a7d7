/*
 * mse contexts (see context.h and docs/formats/context.md): the mse-cli v2.0
 * context TOML plus mse's [runtime] section; load, save (atomic, 0600),
 * and the code fingerprint computed from a context and the plain code.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/manifest.h>
#include <mse/measure.h>
#include <mse/toml.h>

#include "context/context.h"
#include "measure/pyfloat.h"
#include "measure/runtime.h"
#include "util/util.h"



void mse_context_free(struct mse_context *c)
{
    if (!c)
        return;
    free(c->version);
    free(c->name);
    free(c->project);
    free(c->docker);
    free(c->python_application);
    free(c->tests);
    free(c->tests_cmd);
    for (size_t k = 0; k < c->ntests_requirements; k++)
        free(c->tests_requirements[k]);
    free(c->tests_requirements);
    free(c->ssl_app_certificate);
    free(c->instance_id);
    free(c->config_domain_name);
    free(c->expires_at);
    free(c->ssl_certificate_origin);
    for (size_t k = 0; k < c->nnonces; k++)
        free(c->nonces[k].path);
    free(c->nonces);
    mse_toml_free(c->runtime);
    mse_toml_free(c->doc);
    mse_wipe(c, sizeof *c);
}

/* Optional string field: copied (NUL-free) or left NULL; wrong type is an error. */
static mse_err get_str(const struct mse_toml *t, const char *key, bool required, char **out,
                       char *errbuf, size_t errlen, const char *section)
{
    struct mse_toml *v = mse_toml_get(t, key);
    *out = NULL;
    if (!v) {
        MSE_ENSURE(!required, mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [%s] %s is missing",
                                  section, key));
        return MSE_OK;
    }
    MSE_ENSURE(v->type == MSE_TOML_STRING && strlen(v->s) == v->slen,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [%s] %s is not a string", section,
                   key));
    *out = strdup(v->s);
    MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

/* A value of n bytes in hex (2n digits); v may be NULL (missing). */
static mse_err hex_value(const struct mse_toml *v, uint8_t *out, size_t n, char *errbuf,
                         size_t errlen, const char *section, const char *key)
{
    MSE_ENSURE(v && v->type == MSE_TOML_STRING && v->slen == 2 * n &&
                   mse_hex_decode(v->s, v->slen, out, n) == MSE_OK,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [%s] %s must be %zu hex digits",
                   section, key, 2 * n));
    return MSE_OK;
}

static mse_err get_hex(const struct mse_toml *t, const char *key, uint8_t *out, size_t n,
                       char *errbuf, size_t errlen, const char *section)
{
    return hex_value(mse_toml_get(t, key), out, n, errbuf, errlen, section, key);
}

mse_err mse_context_add_nonce(struct mse_context *c, const char *path,
                              const uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    /* Grown by half again, not by one: a code tree adds its files one by one. */
    if (c->nnonces == c->cap_nonces) {
        MSE_ENSURE(c->cap_nonces < SIZE_MAX / 2 / sizeof *c->nonces, MSE_ERR_LIMIT);
        size_t cap = c->cap_nonces < 16 ? 16 : c->cap_nonces + c->cap_nonces / 2;
        struct mse_context_nonce *nv = realloc(c->nonces, cap * sizeof *nv);
        MSE_ENSURE(nv != NULL, MSE_ERR_NOMEM);
        c->nonces = nv;
        c->cap_nonces = cap;
    }
    struct mse_context_nonce *e = &c->nonces[c->nnonces];
    e->path = strdup(path);
    MSE_ENSURE(e->path != NULL, MSE_ERR_NOMEM);
    memcpy(e->nonce, nonce, MSE_CODE_NONCE_BYTES);
    e->has_encrypted_sha256 = false;
    c->nnonces++;
    return MSE_OK;
}

mse_err mse_context_set_nonce(struct mse_context *c, const char *path,
                              const uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    for (size_t k = 0; k < c->nnonces; k++) {
        if (strcmp(c->nonces[k].path, path) == 0) {
            memcpy(c->nonces[k].nonce, nonce, MSE_CODE_NONCE_BYTES);
            c->nonces[k].has_encrypted_sha256 = false; /* another nonce, another file */
            return MSE_OK;
        }
    }
    return mse_context_add_nonce(c, path, nonce);
}

/* The entry of path, looked for at position hint first (the tables are written in one order). */
static struct mse_context_nonce *nonce_entry(const struct mse_context *c, const char *path,
                                             size_t hint)
{
    if (hint < c->nnonces && strcmp(c->nonces[hint].path, path) == 0)
        return &c->nonces[hint];
    for (size_t k = 0; k < c->nnonces; k++)
        if (strcmp(c->nonces[k].path, path) == 0)
            return &c->nonces[k];
    return NULL;
}

mse_err mse_context_set_encrypted_sha256(struct mse_context *c, const char *path,
                                         const uint8_t sha256[32])
{
    struct mse_context_nonce *e = nonce_entry(c, path, c->nnonces - 1);
    MSE_ENSURE(e != NULL, MSE_ERR_ARG);
    memcpy(e->encrypted_sha256, sha256, 32);
    e->has_encrypted_sha256 = true;
    return MSE_OK;
}

const uint8_t *mse_context_nonce(const struct mse_context *c, const char *path)
{
    for (size_t k = 0; k < c->nnonces; k++)
        if (strcmp(c->nonces[k].path, path) == 0)
            return c->nonces[k].nonce;
    return NULL;
}

static mse_err parse_fields(struct mse_context *c, char *errbuf, size_t errlen)
{
    const struct mse_toml *doc = c->doc, *cfg, *inst, *rt;
    MSE_TRY(get_str(doc, "version", true, &c->version, errbuf, errlen, "top"));
    MSE_ENSURE(strncmp(c->version, "2.", 2) == 0,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: version %s is not 2.x", c->version));
    cfg = mse_toml_get_type(doc, "config", MSE_TOML_TABLE);
    MSE_ENSURE(cfg, mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [config] is missing"));
    MSE_TRY(get_str(cfg, "name", true, &c->name, errbuf, errlen, "config"));
    MSE_TRY(get_str(cfg, "project", false, &c->project, errbuf, errlen, "config"));
    MSE_TRY(get_str(cfg, "docker", false, &c->docker, errbuf, errlen, "config"));
    MSE_TRY(get_str(cfg, "python_application", false, &c->python_application, errbuf, errlen,
                    "config"));
    MSE_TRY(get_str(cfg, "tests", false, &c->tests, errbuf, errlen, "config"));
    MSE_TRY(get_str(cfg, "tests_cmd", false, &c->tests_cmd, errbuf, errlen, "config"));
    MSE_TRY(get_str(cfg, "ssl_app_certificate", false, &c->ssl_app_certificate, errbuf, errlen,
                    "config"));
    struct mse_toml *req = mse_toml_get(cfg, "tests_requirements");
    if (req) {
        MSE_ENSURE(req->type == MSE_TOML_ARRAY,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: tests_requirements not a list"));
        c->tests_requirements = calloc(req->n ? req->n : 1, sizeof *c->tests_requirements);
        MSE_ENSURE(c->tests_requirements != NULL, MSE_ERR_NOMEM);
        for (size_t k = 0; k < req->n; k++) {
            MSE_ENSURE(req->items[k]->type == MSE_TOML_STRING,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                           "context: tests_requirements holds a non-string"));
            c->tests_requirements[k] = strdup(req->items[k]->s);
            MSE_ENSURE(c->tests_requirements[k] != NULL, MSE_ERR_NOMEM);
            c->ntests_requirements++;
        }
    }
    if (mse_toml_get(cfg, "code_secret_key")) {
        MSE_TRY(get_hex(cfg, "code_secret_key", c->code_secret_key, 32, errbuf, errlen, "config"));
        c->has_key = true;
    }
    inst = mse_toml_get(doc, "instance");
    if (inst) {
        MSE_ENSURE(inst->type == MSE_TOML_TABLE,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [instance] is not a table"));
        c->has_instance = true;
        MSE_TRY(get_str(inst, "id", true, &c->instance_id, errbuf, errlen, "instance"));
        MSE_ENSURE(mse_context_uuid_ok(c->instance_id),
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [instance] id is not a UUID"));
        MSE_TRY(get_str(inst, "config_domain_name", false, &c->config_domain_name, errbuf, errlen,
                        "instance"));
        MSE_TRY(get_str(inst, "expires_at", false, &c->expires_at, errbuf, errlen, "instance"));
        MSE_TRY(get_str(inst, "ssl_certificate_origin", false, &c->ssl_certificate_origin, errbuf,
                        errlen, "instance"));
        struct mse_toml *size = mse_toml_get(inst, "enclave_size");
        if (size) {
            MSE_ENSURE(size->type == MSE_TOML_INT && size->i > 0,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                           "context: [instance] enclave_size is not a positive integer"));
            c->enclave_size = size->i;
        }
        struct mse_toml *nonces = mse_toml_get(inst, "nonces");
        if (nonces) {
            MSE_ENSURE(nonces->type == MSE_TOML_TABLE,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [instance.nonces] not a table"));
            /* Sized once, entries read in place: the parser already refused duplicate
             * keys, and a lookup or duplicate scan per key would cost n^2/2 steps
             * (2 M for 2,000 code files) before any code is hashed. */
            MSE_ENSURE(nonces->n < SIZE_MAX / sizeof *c->nonces, MSE_ERR_LIMIT);
            struct mse_context_nonce *nv =
                realloc(c->nonces, (c->nnonces + nonces->n + 1) * sizeof *nv);
            MSE_ENSURE(nv != NULL, MSE_ERR_NOMEM);
            c->nonces = nv;
            c->cap_nonces = c->nnonces + nonces->n + 1;
            for (size_t k = 0; k < nonces->n; k++) {
                const struct mse_toml_kv *kv = &nonces->kv[k];
                struct mse_context_nonce *e = &c->nonces[c->nnonces];
                MSE_ENSURE(strlen(kv->key) == kv->klen && kv->klen > 0,
                           mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: bad nonce path"));
                MSE_TRY(hex_value(kv->val, e->nonce, sizeof e->nonce, errbuf, errlen,
                                  "instance.nonces", kv->key));
                e->path = strdup(kv->key);
                MSE_ENSURE(e->path != NULL, MSE_ERR_NOMEM);
                e->has_encrypted_sha256 = false;
                c->nnonces++;
            }
        }
        struct mse_toml *sums = mse_toml_get(inst, "encrypted_sha256");
        if (sums) {
            MSE_ENSURE(sums->type == MSE_TOML_TABLE,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                               "context: [instance.encrypted_sha256] not a table"));
            for (size_t k = 0; k < sums->n; k++) {
                const struct mse_toml_kv *kv = &sums->kv[k];
                struct mse_context_nonce *e = nonce_entry(c, kv->key, k);
                MSE_ENSURE(e != NULL && strlen(kv->key) == kv->klen,
                           mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                                   "context: [instance.encrypted_sha256] names %s, which has no "
                                   "nonce",
                                   kv->key));
                MSE_TRY(hex_value(kv->val, e->encrypted_sha256, 32, errbuf, errlen,
                                  "instance.encrypted_sha256", kv->key));
                e->has_encrypted_sha256 = true;
            }
        }
    }
    rt = mse_toml_get(doc, "runtime");
    if (rt) {
        MSE_ENSURE(rt->type == MSE_TOML_TABLE,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [runtime] is not a table"));
        /* An older mse named the template and libpal by path: kept as read, never used. */
        if (!mse_toml_get(rt, "template")) {
            c->runtime_by_path = true;
            return MSE_OK;
        }
        char why[256] = "";
        if (mse_runtime_check(rt, false, why, sizeof why) != MSE_OK)
            return mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context [runtime]: %s", why);
        c->runtime = mse_toml_clone(rt);
        MSE_ENSURE(c->runtime != NULL, MSE_ERR_NOMEM);
        c->has_runtime = true;
    }
    return MSE_OK;
}

mse_err mse_context_parse(const uint8_t *data, size_t len, struct mse_context *c, char *errbuf,
                          size_t errlen)
{
    size_t line = 0;
    memset(c, 0, sizeof *c);
    mse_err err = mse_toml_parse(data, len, &c->doc, &line);
    if (err != MSE_OK)
        return mse_say(errbuf, errlen, err, "context is not valid TOML (line %zu)", line);
    err = parse_fields(c, errbuf, errlen);
    if (err != MSE_OK)
        mse_context_free(c);
    return err;
}

static mse_err sub_table(struct mse_toml *t, const char *key, struct mse_toml **out)
{
    struct mse_toml *v = mse_toml_get(t, key);
    if (!v || v->type != MSE_TOML_TABLE)
        MSE_TRY(mse_toml_set(t, key, mse_toml_new(MSE_TOML_TABLE)));
    *out = mse_toml_get(t, key);
    return MSE_OK;
}

static mse_err put_str(struct mse_toml *t, const char *key, const char *v)
{
    if (!v)
        return MSE_OK;
    return mse_toml_set(t, key, mse_toml_new_string(v, strlen(v)));
}

static mse_err put_hex(struct mse_toml *t, const char *key, const uint8_t *b, size_t n)
{
    char hex[2 * 32 + 1];
    mse_hex_encode(b, n, hex);
    mse_err err = mse_toml_set(t, key, mse_toml_new_string(hex, 2 * n));
    mse_wipe(hex, sizeof hex);
    return err;
}

mse_err mse_context_serialize(const struct mse_context *c, char **out, size_t *len)
{
    mse_err err = MSE_OK;
    struct mse_toml *doc = c->doc ? mse_toml_clone(c->doc) : mse_toml_new(MSE_TOML_TABLE);
    struct mse_toml *cfg, *inst, *nonces, *rt;
    MSE_ENSURE(doc != NULL, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(put_str(doc, "version", c->version ? c->version : "2.0"));
    MSE_CHECK_OUT(sub_table(doc, "config", &cfg));
    MSE_CHECK_OUT(put_str(cfg, "name", c->name));
    MSE_CHECK_OUT(put_str(cfg, "project", c->project));
    MSE_CHECK_OUT(put_str(cfg, "docker", c->docker));
    MSE_CHECK_OUT(put_str(cfg, "python_application", c->python_application));
    MSE_CHECK_OUT(put_str(cfg, "tests", c->tests));
    MSE_CHECK_OUT(put_str(cfg, "tests_cmd", c->tests_cmd));
    if (c->tests_requirements) {
        struct mse_toml *req = mse_toml_new(MSE_TOML_ARRAY);
        MSE_CHECK_OUT(mse_toml_set(cfg, "tests_requirements", req));
        for (size_t k = 0; k < c->ntests_requirements; k++)
            MSE_CHECK_OUT(mse_toml_push(req, mse_toml_new_string(c->tests_requirements[k],
                                                                 strlen(c->tests_requirements[k]))));
    }
    if (c->has_key)
        MSE_CHECK_OUT(put_hex(cfg, "code_secret_key", c->code_secret_key, 32));
    MSE_CHECK_OUT(put_str(cfg, "ssl_app_certificate", c->ssl_app_certificate));
    if (c->has_instance) {
        MSE_CHECK_OUT(sub_table(doc, "instance", &inst));
        MSE_CHECK_OUT(put_str(inst, "id", c->instance_id));
        MSE_CHECK_OUT(put_str(inst, "config_domain_name", c->config_domain_name));
        if (c->enclave_size)
            MSE_CHECK_OUT(mse_toml_set(inst, "enclave_size", mse_toml_new_int(c->enclave_size)));
        MSE_CHECK_OUT(put_str(inst, "expires_at", c->expires_at));
        MSE_CHECK_OUT(put_str(inst, "ssl_certificate_origin", c->ssl_certificate_origin));
        /* Rebuilt from the struct so removed nonces disappear. */
        MSE_CHECK_OUT(mse_toml_set(inst, "nonces", mse_toml_new(MSE_TOML_TABLE)));
        nonces = mse_toml_get(inst, "nonces");
        for (size_t k = 0; k < c->nnonces; k++)
            MSE_CHECK_OUT(put_hex(nonces, c->nonces[k].path, c->nonces[k].nonce,
                                  MSE_CODE_NONCE_BYTES));
        bool any_sum = false;
        for (size_t k = 0; k < c->nnonces && !any_sum; k++)
            any_sum = c->nonces[k].has_encrypted_sha256;
        if (any_sum || mse_toml_get(inst, "encrypted_sha256")) {
            struct mse_toml *sums;
            MSE_CHECK_OUT(mse_toml_set(inst, "encrypted_sha256", mse_toml_new(MSE_TOML_TABLE)));
            sums = mse_toml_get(inst, "encrypted_sha256");
            for (size_t k = 0; k < c->nnonces; k++)
                if (c->nonces[k].has_encrypted_sha256)
                    MSE_CHECK_OUT(put_hex(sums, c->nonces[k].path,
                                          c->nonces[k].encrypted_sha256, 32));
        }
    }
    if (c->has_runtime) {
        rt = mse_toml_clone(c->runtime);
        MSE_ENSURE_OUT(rt != NULL, MSE_ERR_NOMEM);
        MSE_CHECK_OUT(mse_toml_set(doc, "runtime", rt));
    }
    MSE_CHECK_OUT(mse_toml_write_ex(doc, mse_py_float_repr, out, len));
out:
    mse_toml_free(doc);
    return err;
}

mse_err mse_context_load(const char *path, struct mse_context *c, char *errbuf, size_t errlen)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(c, 0, sizeof *c);
    mse_err err = mse_file_read(path, MSE_CONTEXT_LIMIT, &data, &len);
    if (err != MSE_OK)
        return mse_say(errbuf, errlen, err, "%s: %s", path, mse_err_str(err));
    err = mse_context_parse(data, len, c, errbuf, errlen);
    mse_wipe(data, len);
    free(data);
    return err;
}

mse_err mse_context_save(const char *path, const struct mse_context *c)
{
    char *buf = NULL;
    size_t len = 0;
    MSE_TRY(mse_mkdir_parents(path));
    MSE_TRY(mse_context_serialize(c, &buf, &len));
    /* A context that could not be read back is not written. */
    mse_err err = len <= MSE_CONTEXT_LIMIT ? mse_file_write_atomic(path, buf, len, 0600)
                                           : MSE_ERR_LIMIT;
    mse_wipe(buf, len);
    free(buf);
    return err;
}

mse_err mse_context_dir(char *buf, size_t len)
{
    const char *conf = getenv("MSE_CONF_PATH");
    int n;
    if (conf && *conf) {
        n = snprintf(buf, len, "%s/context", conf);
    } else {
        const char *home = getenv("HOME");
        MSE_ENSURE(home && *home, MSE_ERR_ARG_MISSING);
        n = snprintf(buf, len, "%s/.config/mse/context", home);
    }
    MSE_ENSURE(n > 0 && (size_t)n < len, MSE_ERR_BUFFER_TOO_SMALL);
    return MSE_OK;
}

bool mse_context_uuid_ok(const char *s)
{
    static const int groups[5] = {8, 4, 4, 4, 12};
    size_t i = 0;
    for (int g = 0; g < 5; g++) {
        for (int k = 0; k < groups[g]; k++, i++) {
            char ch = s[i];
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
                return false;
        }
        if (g < 4 && s[i++] != '-')
            return false;
    }
    return s[i] == '\0';
}

mse_err mse_context_path(const char *uuid, char *buf, size_t len)
{
    char dir[PATH_MAX];
    /* The UUID becomes a path component: refuse anything that could climb out. */
    MSE_ENSURE(uuid && mse_context_uuid_ok(uuid), MSE_ERR_ARG);
    MSE_TRY(mse_context_dir(dir, sizeof dir));
    int n = snprintf(buf, len, "%s/%s/%s", dir, uuid, MSE_CONTEXT_FILE);
    MSE_ENSURE(n > 0 && (size_t)n < len, MSE_ERR_BUFFER_TOO_SMALL);
    return MSE_OK;
}

/* ---- fingerprint ---- */

struct known_list {
    struct mse_known_file *v;
    char **paths; /* owned copies of v[k].path */
    size_t n, cap;
};

static void known_free(struct known_list *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->paths[i]);
    free(k->paths);
    free(k->v);
}

/* dir ["/" rel] suffix, whose SHA-256 is hex (64 lowercase digits). */
static mse_err known_add_hex(struct known_list *k, const char *dir, const char *rel,
                             const char *suffix, const char hex[65])
{
    if (k->n == k->cap) {
        /* Doubled, not grown by one: a code tree adds thousands, after its hashing. */
        size_t ncap = k->cap ? 2 * k->cap : 64;
        struct mse_known_file *nv = realloc(k->v, ncap * sizeof *nv);
        MSE_ENSURE(nv != NULL, MSE_ERR_NOMEM);
        k->v = nv;
        char **np = realloc(k->paths, ncap * sizeof *np);
        MSE_ENSURE(np != NULL, MSE_ERR_NOMEM);
        k->paths = np;
        k->cap = ncap;
    }
    /* dir "/" rel suffix, put together by hand: asprintf took most of the time of this
     * loop, which runs once per code file after the hashing. */
    size_t dl = strlen(dir), rl = rel ? strlen(rel) : 0, sl = strlen(suffix);
    MSE_ENSURE(dl < SIZE_MAX / 4 && rl < SIZE_MAX / 4 && sl < SIZE_MAX / 4, MSE_ERR_LIMIT);
    char *path = malloc(dl + (rel ? 1 + rl : 0) + sl + 1);
    MSE_ENSURE(path != NULL, MSE_ERR_NOMEM);
    memcpy(path, dir, dl);
    if (rel) {
        path[dl] = '/';
        memcpy(path + dl + 1, rel, rl);
    }
    memcpy(path + dl + (rel ? 1 + rl : 0), suffix, sl + 1);
    k->paths[k->n] = path;
    k->v[k->n].path = path;
    memcpy(k->v[k->n].sha256, hex, sizeof k->v[k->n].sha256);
    k->n++;
    return MSE_OK;
}

static mse_err known_add(struct known_list *k, const char *dir, const char *rel,
                         const char *suffix, const uint8_t md[32])
{
    char hex[65];
    mse_hex_encode(md, 32, hex);
    return known_add_hex(k, dir, rel, suffix, hex);
}

/*
 * Files encrypted and hashed by several threads: the code is re-encrypted at
 * each verification (XSalsa20-Poly1305, then SHA-256 of the result), which on
 * one core takes about twice the time of hashing the plain bytes. Workers take
 * the next file from a shared counter, so a thread that cannot start only
 * leaves more files to the others; each file's hash goes to its own slot, so
 * the result does not depend on which thread did what.
 */
#define HASH_THREADS_MAX 8

struct hash_queue {
    const uint8_t *key;
    const bool *stop;       /* NULL, or set by another thread: take no more files */
    const char *code_dir;
    char **paths;
    const struct mse_context_nonce **entries; /* entries[i]: the context's entry of paths[i] */
    size_t n;
    size_t next;            /* the next file to take (atomic) */
    uint8_t (*mds)[32];
};

struct hash_worker {
    pthread_t thread;
    struct hash_queue *q;
    mse_err err;        /* this worker's first failure, at file index failed */
    size_t failed;
    char why[256];
};

static void *hash_files(void *arg)
{
    struct hash_worker *w = arg;
    struct hash_queue *q = w->q;
    struct mse_code_scratch scratch = {0};
    /* code_dir "/" path, the directory copied once (snprintf per file cost more than opening
     * it). */
    char full[PATH_MAX];
    size_t dl = strlen(q->code_dir);
    bool fits = dl + 1 < sizeof full;
    if (fits) {
        memcpy(full, q->code_dir, dl);
        full[dl++] = '/';
    }
    for (;;) {
        size_t i = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED);
        if (i >= q->n)
            break;
        if (q->stop && __atomic_load_n(q->stop, __ATOMIC_RELAXED)) {
            w->err = MSE_ERR_INTERNAL;
            w->failed = i;
            snprintf(w->why, sizeof w->why, "fingerprint stopped");
            break;
        }
        size_t pl = strlen(q->paths[i]);
        bool room = fits && pl < sizeof full - dl;
        if (room)
            memcpy(full + dl, q->paths[i], pl + 1);
        w->err = room ? mse_code_encrypted_sha256(q->key, q->entries[i]->nonce, full, &scratch,
                                                   q->mds[i])
                      : MSE_ERR_LIMIT;
        if (w->err != MSE_OK) {
            w->failed = i;
            snprintf(w->why, sizeof w->why, "%s/%s: %s", q->code_dir, q->paths[i],
                     mse_err_str(w->err));
            break;
        }
    }
    mse_code_scratch_free(&scratch);
    return NULL;
}

static int cmp_nonce_paths(const void *a, const void *b)
{
    const struct mse_context_nonce *const *x = a, *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

/*
 * The context's entry (nonce) of every listed file, by one sort and a binary
 * search each (a scan per file would be n^2/2 string compares). A file the
 * owner did not encrypt has no nonce: this is not the code the context was
 * made for.
 */
static mse_err entries_of(const struct mse_context *c, char **paths, size_t n,
                          const struct mse_context_nonce **out, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    /* mse context new records the nonces in the listing's order: then the nonce of file i
     * is entry i, found without a sort (the parser refused duplicate paths). */
    bool same_order = c->nnonces == n;
    for (size_t i = 0; same_order && i < n; i++)
        same_order = strcmp(c->nonces[i].path, paths[i]) == 0;
    if (same_order) {
        for (size_t i = 0; i < n; i++)
            out[i] = &c->nonces[i];
        return MSE_OK;
    }
    const struct mse_context_nonce **sorted =
        malloc((c->nnonces ? c->nnonces : 1) * sizeof *sorted);
    MSE_ENSURE(sorted != NULL, MSE_ERR_NOMEM);
    for (size_t k = 0; k < c->nnonces; k++)
        sorted[k] = &c->nonces[k];
    if (c->nnonces)
        qsort(sorted, c->nnonces, sizeof *sorted, cmp_nonce_paths);
    for (size_t i = 0; i < n; i++) {
        struct mse_context_nonce probe = {.path = paths[i]};
        const struct mse_context_nonce *pp = &probe, *const *hit = NULL;
        if (c->nnonces)
            hit = bsearch(&pp, sorted, c->nnonces, sizeof *sorted, cmp_nonce_paths);
        MSE_ENSURE_OUT(hit != NULL,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                               "context has no nonce for code file %s (not the code this "
                               "context was made for)",
                               paths[i]));
        out[i] = *hit;
    }
out:
    free(sorted);
    return err;
}

static mse_err encrypt_all(const struct mse_context *c, const char *code_dir, char **paths,
                           const struct mse_context_nonce **entries, size_t n, const bool *stop,
                           uint8_t (*mds)[32], char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    struct hash_queue q = {.key = c->code_secret_key, .stop = stop, .code_dir = code_dir,
                           .paths = paths, .entries = entries, .n = n, .mds = mds};
    struct hash_worker w[HASH_THREADS_MAX];
    bool running[HASH_THREADS_MAX] = {false};
    /* A thread per CPU this process may run on (taskset, cgroup cpusets), no more
     * threads than files. */
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                             : sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (size_t)cpus;
    if (nt > n)
        nt = n ? n : 1;
    for (size_t t = 0; t < nt; t++) {
        w[t] = (struct hash_worker){.q = &q};
        running[t] = t > 0 && mse_thread_start(&w[t].thread, hash_files, &w[t]) == 0;
    }
    hash_files(&w[0]); /* this thread is worker 0 */
    for (size_t t = 1; t < nt; t++)
        if (running[t])
            pthread_join(w[t].thread, NULL);
    /* Report the failure of the lowest file index, as a one-thread walk would. */
    const struct hash_worker *first = NULL;
    for (size_t t = 0; t < nt; t++)
        if (w[t].err != MSE_OK && (!first || w[t].failed < first->failed))
            first = &w[t];
    if (first)
        err = mse_say(errbuf, errlen, first->err, "%s", first->why);
    return err;
}

/*
 * The code's listing (mse_code_list), made on a thread of its own while the
 * context is read: both come before the first file can be hashed.
 */
struct code_listing {
    const char *dir;
    char **paths; /* NULL once deployment_files() has taken them */
    size_t n;
    mse_err err;
    char why[512];
};

static void *list_code(void *arg)
{
    struct code_listing *l = arg;
    l->err = mse_code_list(l->dir, &l->paths, &l->n, l->why, sizeof l->why);
    return NULL;
}

/* What a caller computing the fingerprint beside other work hears of it. */
struct fingerprint_watch {
    const bool *stop;
    void (*hashed)(void *);
    void *hashed_arg;
};

/*
 * One measurement of the runtime over a list of files: the real one, over the
 * hashes of the user's code, or the claimed one, over the hashes the context's
 * [instance.encrypted_sha256] records. The claimed one runs beside the
 * hashing (the measurement of a 2 GB enclave is about a third of the time of
 * hashing 100 MB of code, and cannot start before the manifest is known); its
 * result is used only when its list of files equals the real list, entry for
 * entry, so it is then the real measurement computed earlier.
 */
struct measure_job {
    const struct mse_toml *rt;
    const char *runtime_dir;
    bool want_manifest;
    struct known_list k;
    pthread_t thread;
    bool running;
    uint8_t mrenclave[32];
    char *manifest;
    size_t manifest_len;
    bool measured; /* err and the results are set */
    mse_err err;
    char why[512];
};

static void measure_job_run(struct measure_job *j, char *errbuf, size_t errlen)
{
    struct mse_runtime_path path = {0};
    j->err = mse_runtime_path_init(&path, j->runtime_dir);
    if (j->err == MSE_OK)
        j->err = mse_runtime_fingerprint(j->rt, &path, j->k.v, j->k.n, j->mrenclave,
                                         j->want_manifest ? &j->manifest : NULL,
                                         &j->manifest_len, errbuf, errlen);
    mse_runtime_path_free(&path);
    j->measured = true;
}

static void *measure_aside(void *arg)
{
    struct measure_job *j = arg;
    measure_job_run(j, j->why, sizeof j->why);
    return NULL;
}

static void measure_job_free(struct measure_job *j)
{
    if (j->running)
        pthread_join(j->thread, NULL);
    known_free(&j->k);
    free(j->manifest);
}

static bool known_equal(const struct known_list *x, const struct known_list *y)
{
    if (x->n != y->n)
        return false;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->v[i].path, y->v[i].path) != 0 || strcmp(x->v[i].sha256, y->v[i].sha256) != 0)
            return false;
    return true;
}

/*
 * The claimed measurement, started when the context claims the hash of every
 * listed file (contexts of mse context new do); otherwise nothing is started.
 */
static void start_claimed(const struct mse_context *c, const char *mount, char **paths,
                          const struct mse_context_nonce **entries, size_t n,
                          const struct known_list *before, struct measure_job *claimed)
{
    if (!claimed || n != c->nnonces)
        return;
    for (size_t i = 0; i < n; i++)
        if (!entries[i]->has_encrypted_sha256)
            return;
    for (size_t i = 0; i < before->n; i++)
        if (known_add_hex(&claimed->k, before->paths[i], NULL, "", before->v[i].sha256) != MSE_OK)
            return;
    for (size_t i = 0; i < n; i++)
        if (known_add(&claimed->k, mount, paths[i], ".enc", entries[i]->encrypted_sha256) !=
            MSE_OK)
            return;
    claimed->running = mse_thread_start(&claimed->thread, measure_aside, claimed) == 0;
}

/*
 * The files only the deployment knows: the encrypted code, and the owner's chain in owner
 * mode. The code is listed here, or taken from listing (made beforehand; its error, if
 * any, is reported where listing here would have reported it). claimed (may be NULL) is
 * started beside the hashing when the context claims every file's hash.
 */
static mse_err deployment_files(const struct mse_context *c, const char *code_dir,
                                struct code_listing *listing,
                                const struct fingerprint_watch *watch, struct known_list *k,
                                struct measure_job *claimed, struct mse_code_diff *diff,
                                char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    char **paths = NULL;
    size_t n = 0;
    uint8_t md[32];
    uint8_t(*mds)[32] = NULL;
    const struct mse_context_nonce **entries = NULL;
    const char *mount = mse_runtime_value(c->runtime, "code_dir");
    const char *mode = mse_runtime_value(c->runtime, "mode");
    MSE_ENSURE(mount, mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [runtime] has no code_dir"));
    if (mode && strcmp(mode, "owner") == 0) {
        const char *chain = mse_runtime_value(c->runtime, "owner_cert");
        MSE_ENSURE(chain && c->ssl_app_certificate,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                           "owner mode needs [config] ssl_app_certificate and [runtime] owner_cert"));
        MSE_ENSURE(EVP_Digest(c->ssl_app_certificate, strlen(c->ssl_app_certificate), md, NULL,
                              EVP_sha256(), NULL) == 1,
                   MSE_ERR_CRYPTO);
        MSE_TRY(known_add(k, chain, NULL, "", md));
    }
    if (listing) {
        if (listing->err != MSE_OK)
            return listing->why[0] ? mse_say(errbuf, errlen, listing->err, "%s", listing->why)
                                   : listing->err;
        paths = listing->paths;
        n = listing->n;
        listing->paths = NULL;
        listing->n = 0;
    } else {
        MSE_TRY(mse_code_list(code_dir, &paths, &n, errbuf, errlen));
    }
    mds = calloc(n ? n : 1, sizeof *mds);
    entries = malloc((n ? n : 1) * sizeof *entries);
    MSE_ENSURE_OUT(mds != NULL && entries != NULL, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(entries_of(c, paths, n, entries, errbuf, errlen));
    start_claimed(c, mount, paths, entries, n, k, claimed);
    if (claimed && claimed->running && watch && watch->hashed)
        /* No measurement is left for after the hashing: the caller's work is better done
         * beside it than after it. */
        watch->hashed(watch->hashed_arg);
    err = encrypt_all(c, code_dir, paths, entries, n, watch ? watch->stop : NULL, mds, errbuf,
                      errlen);
    for (size_t i = 0; err == MSE_OK && i < n; i++)
        err = known_add(k, mount, paths[i], ".enc", mds[i]);
    MSE_CHECK_OUT(err);
    for (size_t i = 0; diff && i < n; i++) {
        if (!entries[i]->has_encrypted_sha256 ||
            memcmp(mds[i], entries[i]->encrypted_sha256, 32) == 0)
            continue;
        if (diff->n++ == 0)
            snprintf(diff->first, sizeof diff->first, "%s", paths[i]);
    }
    /* Every file the owner encrypted must be there: a missing one is another app. */
    MSE_ENSURE_OUT(n == c->nnonces,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                           "%s holds %zu code file(s), the context was made for %zu", code_dir, n,
                           c->nnonces));
out:
    free(mds);
    free(entries);
    mse_code_list_free(paths, n);
    return err;
}

/* What a context without a usable [runtime] lacks, in one line. */
static mse_err no_runtime(const struct mse_context *c, char *errbuf, size_t errlen)
{
    if (c->runtime_by_path)
        return mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                       "context [runtime] names its template and libpal by paths on the owner's "
                       "machine (made by an older mse): it lacks the template text, the runtime "
                       "lock and the deployment values; the owner must make a new context with "
                       "mse context new");
    if (c->docker)
        return mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                       "context has no [runtime] section: it was made by mse-cli for the Docker "
                       "image %s, which mse cannot measure without Docker; it lacks the manifest "
                       "template, the runtime lock and libpal's sha256 (see "
                       "docs/formats/context.md)",
                       c->docker);
    return mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                   "context has no [runtime] section (manifest template, runtime lock, libpal "
                   "sha256): see docs/formats/context.md");
}


static mse_err fingerprint(const struct mse_context *c, const char *code_dir,
                           const char *runtime_dir, struct code_listing *listing,
                           const struct fingerprint_watch *watch, uint8_t mrenclave[32],
                           char **manifest_sgx, size_t *manifest_sgx_len,
                           struct mse_code_diff *diff, char *errbuf, size_t errlen)
{
    if (diff)
        *diff = (struct mse_code_diff){0};
    if (!c->has_runtime)
        return no_runtime(c, errbuf, errlen);
    MSE_ENSURE(c->has_key,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context has no [config] code_secret_key"));
    struct measure_job real = {.rt = c->runtime, .runtime_dir = runtime_dir,
                               .want_manifest = manifest_sgx != NULL};
    struct measure_job claimed = real;
    mse_err err = deployment_files(c, code_dir, listing, watch, &real.k, &claimed, diff, errbuf,
                                   errlen);
    /* Told already when the claimed measurement started (it is joined only below). */
    if (err == MSE_OK && !claimed.running && watch && watch->hashed)
        watch->hashed(watch->hashed_arg);
    if (claimed.running) {
        pthread_join(claimed.thread, NULL);
        claimed.running = false;
    }
    struct measure_job *done = &real;
    if (err == MSE_OK) {
        if (claimed.measured && claimed.err == MSE_OK && known_equal(&claimed.k, &real.k))
            done = &claimed; /* the same input: the same measurement, already made */
        else
            measure_job_run(&real, errbuf, errlen);
        err = done->err;
    }
    if (err == MSE_OK) {
        memcpy(mrenclave, done->mrenclave, 32);
        if (manifest_sgx) {
            *manifest_sgx = done->manifest;
            *manifest_sgx_len = done->manifest_len;
            done->manifest = NULL;
        }
    }
    if (err != MSE_OK && diff)
        *diff = (struct mse_code_diff){0};
    measure_job_free(&claimed);
    measure_job_free(&real);
    return err;
}

mse_err mse_fingerprint_context(const struct mse_context *c, const char *code_dir,
                                const char *runtime_dir, uint8_t mrenclave[32],
                                char **manifest_sgx, size_t *manifest_sgx_len,
                                struct mse_code_diff *diff, char *errbuf, size_t errlen)
{
    return fingerprint(c, code_dir, runtime_dir, NULL, NULL, mrenclave, manifest_sgx,
                       manifest_sgx_len, diff, errbuf, errlen);
}

mse_err mse_fingerprint_from_context(const char *context_path, const char *code_dir,
                                     const bool *stop, void (*hashed)(void *), void *hashed_arg,
                                     uint8_t mrenclave[32], struct mse_code_diff *diff,
                                     char *errbuf, size_t errlen)
{
    const struct fingerprint_watch watch = {stop, hashed, hashed_arg};
    struct mse_context c;
    struct code_listing listing = {.dir = code_dir};
    pthread_t lister;
    bool listed_aside = mse_thread_start(&lister, list_code, &listing) == 0;
    mse_err err = mse_context_load(context_path, &c, errbuf, errlen);
    if (listed_aside)
        pthread_join(lister, NULL);
    if (err == MSE_OK) {
        err = fingerprint(&c, code_dir, NULL, listed_aside ? &listing : NULL, &watch, mrenclave,
                          NULL, NULL, diff, errbuf, errlen);
        mse_context_free(&c);
    }
    mse_code_list_free(listing.paths, listing.n);
    return err;
}
