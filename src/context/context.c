/*
 * mse contexts (see context.h and docs/formats/context.md): the mse-cli v2.0
 * context TOML plus mse's [runtime] section; load, save (atomic, 0600),
 * and the code fingerprint computed from a context and the plain code.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/manifest.h>
#include <mse/measure.h>
#include <mse/toml.h>

#include "context/context.h"
#include "measure/manifest_expand.h"
#include "measure/pyfloat.h"
#include "util/util.h"

#define DEFAULT_CODE_DIR "/opt/input/code"
#define LIBPAL_LIMIT (256u << 20)
#define TEMPLATE_LIMIT (4u << 20)


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
    free(c->libpal);
    free(c->manifest_template);
    free(c->code_dir);
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

static mse_err get_hex(const struct mse_toml *t, const char *key, uint8_t *out, size_t n,
                       char *errbuf, size_t errlen, const char *section)
{
    struct mse_toml *v = mse_toml_get(t, key);
    MSE_ENSURE(v && v->type == MSE_TOML_STRING && v->slen == 2 * n &&
                   mse_hex_decode(v->s, v->slen, out, n) == MSE_OK,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [%s] %s must be %zu hex digits",
                   section, key, 2 * n));
    return MSE_OK;
}

mse_err mse_context_set_nonce(struct mse_context *c, const char *path,
                              const uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    for (size_t k = 0; k < c->nnonces; k++) {
        if (strcmp(c->nonces[k].path, path) == 0) {
            memcpy(c->nonces[k].nonce, nonce, MSE_CODE_NONCE_BYTES);
            return MSE_OK;
        }
    }
    struct mse_context_nonce *nv = realloc(c->nonces, (c->nnonces + 1) * sizeof *nv);
    MSE_ENSURE(nv != NULL, MSE_ERR_NOMEM);
    c->nonces = nv;
    nv[c->nnonces].path = strdup(path);
    MSE_ENSURE(nv[c->nnonces].path != NULL, MSE_ERR_NOMEM);
    memcpy(nv[c->nnonces].nonce, nonce, MSE_CODE_NONCE_BYTES);
    c->nnonces++;
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
            for (size_t k = 0; k < nonces->n; k++) {
                uint8_t nonce[MSE_CODE_NONCE_BYTES];
                const struct mse_toml_kv *kv = &nonces->kv[k];
                MSE_ENSURE(strlen(kv->key) == kv->klen && kv->klen > 0,
                           mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: bad nonce path"));
                MSE_TRY(get_hex(nonces, kv->key, nonce, sizeof nonce, errbuf, errlen,
                                "instance.nonces"));
                MSE_TRY(mse_context_set_nonce(c, kv->key, nonce));
            }
        }
    }
    rt = mse_toml_get(doc, "runtime");
    if (rt) {
        MSE_ENSURE(rt->type == MSE_TOML_TABLE,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context: [runtime] is not a table"));
        c->has_runtime = true;
        MSE_TRY(get_str(rt, "libpal", true, &c->libpal, errbuf, errlen, "runtime"));
        MSE_TRY(get_hex(rt, "libpal_sha256", c->libpal_sha256, 32, errbuf, errlen, "runtime"));
        MSE_TRY(get_str(rt, "manifest_template", true, &c->manifest_template, errbuf, errlen,
                        "runtime"));
        MSE_TRY(get_hex(rt, "manifest_template_sha256", c->manifest_template_sha256, 32, errbuf,
                        errlen, "runtime"));
        MSE_TRY(get_str(rt, "code_dir", false, &c->code_dir, errbuf, errlen, "runtime"));
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
    }
    if (c->has_runtime) {
        MSE_CHECK_OUT(sub_table(doc, "runtime", &rt));
        MSE_CHECK_OUT(put_str(rt, "libpal", c->libpal));
        MSE_CHECK_OUT(put_hex(rt, "libpal_sha256", c->libpal_sha256, 32));
        MSE_CHECK_OUT(put_str(rt, "manifest_template", c->manifest_template));
        MSE_CHECK_OUT(put_hex(rt, "manifest_template_sha256", c->manifest_template_sha256, 32));
        MSE_CHECK_OUT(put_str(rt, "code_dir", c->code_dir));
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

static mse_err mkparents(const char *path)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s", path);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof tmp, MSE_ERR_LIMIT);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        MSE_ENSURE(mkdir(tmp, 0700) == 0 || errno == EEXIST, MSE_ERR_FILE_WRITE);
        *p = '/';
    }
    return MSE_OK;
}

mse_err mse_context_save(const char *path, const struct mse_context *c)
{
    char *buf = NULL;
    size_t len = 0;
    MSE_TRY(mkparents(path));
    MSE_TRY(mse_context_serialize(c, &buf, &len));
    mse_err err = mse_file_write_atomic(path, buf, len, 0600);
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

struct sbuf {
    char *p;
    size_t n, cap;
};

static mse_err sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n <= n) {
        size_t ncap = b->cap ? b->cap : 1024;
        while (ncap - b->n <= n) {
            MSE_ENSURE(ncap < (64u << 20), MSE_ERR_LIMIT);
            ncap *= 2;
        }
        char *np = realloc(b->p, ncap);
        MSE_ENSURE(np != NULL, MSE_ERR_NOMEM);
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return MSE_OK;
}

/* Insert a value inside a TOML basic string: escape quotes, backslashes and controls. */
static mse_err sb_put_escaped(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            MSE_TRY(sb_put(b, esc, 2));
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            MSE_TRY(sb_put(b, esc, 6));
        } else {
            MSE_TRY(sb_put(b, (const char *)&ch, 1));
        }
    }
    return MSE_OK;
}

struct var {
    const char *name;
    const char *value; /* NULL: the variable is unavailable in this context */
    bool raw;          /* inserted as TOML, not escaped */
};

/* Replace each "{{ name }}" (spaces optional) by its value; unknown names are an error. */
static mse_err render(const char *tpl, const struct var *vars, size_t nvars, struct sbuf *out,
                      char *errbuf, size_t errlen)
{
    const char *p = tpl;
    for (;;) {
        const char *open = strstr(p, "{{");
        if (!open)
            return sb_put(out, p, strlen(p));
        MSE_TRY(sb_put(out, p, (size_t)(open - p)));
        const char *close = strstr(open + 2, "}}");
        MSE_ENSURE(close, mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "template: unclosed {{"));
        const char *a = open + 2, *z = close;
        while (a < z && *a == ' ')
            a++;
        while (z > a && z[-1] == ' ')
            z--;
        size_t n = (size_t)(z - a);
        const struct var *v = NULL;
        for (size_t k = 0; k < nvars; k++)
            if (strlen(vars[k].name) == n && memcmp(vars[k].name, a, n) == 0)
                v = &vars[k];
        MSE_ENSURE(v, mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "template: unknown variable %.*s",
                          (int)n, a));
        MSE_ENSURE(v->value, mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                                 "template uses %s, which the context does not set", v->name));
        MSE_TRY(v->raw ? sb_put(out, v->value, strlen(v->value)) : sb_put_escaped(out, v->value));
        p = close + 2;
    }
}

static mse_err check_file(const char *what, const char *path, const uint8_t want[32], size_t limit,
                          uint8_t **data, size_t *len, char *errbuf, size_t errlen)
{
    uint8_t md[32];
    char have_hex[65], want_hex[65];
    mse_err err = mse_file_read(path, limit, data, len);
    if (err != MSE_OK)
        return mse_say(errbuf, errlen, err, "runtime %s %s: %s", what, path, mse_err_str(err));
    MSE_ENSURE(EVP_Digest(*data, *len, md, NULL, EVP_sha256(), NULL) == 1, MSE_ERR_CRYPTO);
    if (!mse_ct_eq(md, want, 32)) {
        mse_hex_encode(md, 32, have_hex);
        mse_hex_encode(want, 32, want_hex);
        free(*data);
        *data = NULL;
        return mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                   "runtime %s %s has sha256 %s, the context expects %s", what, path, have_hex,
                   want_hex);
    }
    return MSE_OK;
}

/* One pre-hashed trusted file line per encrypted code file, in Gramine's directory order. */
static mse_err code_entries(const struct mse_context *c, const char *code_dir, const char *mount,
                            struct sbuf *out, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    char **paths = NULL;
    size_t n = 0;
    MSE_TRY(mse_code_list(code_dir, &paths, &n, errbuf, errlen));
    MSE_TRY(sb_put(out, "", 0));
    /* Gramine sorts a directory's entries by name, so "a.txt.enc" order follows "a.txt". */
    for (size_t k = 0; k < n; k++) {
        char full[PATH_MAX], hex[65], line[PATH_MAX + 160];
        uint8_t *plain = NULL, *enc = NULL, md[32];
        size_t plen = 0, elen = 0;
        const uint8_t *nonce = mse_context_nonce(c, paths[k]);
        MSE_ENSURE_OUT(nonce, mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                                  "context has no nonce for code file %s", paths[k]));
        int fn = snprintf(full, sizeof full, "%s/%s", code_dir, paths[k]);
        MSE_ENSURE_OUT(fn > 0 && (size_t)fn < sizeof full, MSE_ERR_LIMIT);
        MSE_CHECK_OUT(mse_file_read(full, MSE_CODE_FILE_LIMIT, &plain, &plen));
        err = mse_code_encrypt(c->code_secret_key, nonce, plain, plen, &enc, &elen);
        mse_wipe(plain, plen);
        free(plain);
        if (err == MSE_OK && EVP_Digest(enc, elen, md, NULL, EVP_sha256(), NULL) != 1)
            err = MSE_ERR_CRYPTO;
        free(enc);
        MSE_CHECK_OUT(err);
        mse_hex_encode(md, 32, hex);
        MSE_CHECK_OUT(sb_put(out, "  { uri = \"file:", 16));
        MSE_CHECK_OUT(sb_put_escaped(out, mount));
        MSE_CHECK_OUT(sb_put(out, "/", 1));
        MSE_CHECK_OUT(sb_put_escaped(out, paths[k]));
        int ln = snprintf(line, sizeof line, ".enc\", sha256 = \"%s\" },\n", hex);
        MSE_CHECK_OUT(sb_put(out, line, (size_t)ln));
    }
out:
    mse_code_list_free(paths, n);
    return err;
}

mse_err mse_fingerprint_context(const struct mse_context *c, const char *code_dir,
                                uint8_t mrenclave[32], char **manifest_sgx,
                                size_t *manifest_sgx_len, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    uint8_t *libpal = NULL, *tpl = NULL;
    size_t libpal_len = 0, tpl_len = 0, expanded_len = 0;
    struct sbuf entries = {0}, rendered = {0};
    char *expanded = NULL, size_str[32] = "";
    MSE_ENSURE(c->has_runtime,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                   "context has no [runtime] section (libpal, manifest_template and their "
                   "sha256): see docs/formats/context.md"));
    MSE_ENSURE(c->has_key,
               mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "context has no [config] code_secret_key"));
    MSE_CHECK_OUT(check_file("libpal", c->libpal, c->libpal_sha256, LIBPAL_LIMIT, &libpal,
                             &libpal_len, errbuf, errlen));
    MSE_CHECK_OUT(check_file("manifest template", c->manifest_template,
                             c->manifest_template_sha256, TEMPLATE_LIMIT, &tpl, &tpl_len, errbuf,
                             errlen));
    MSE_ENSURE_OUT(strlen((const char *)tpl) == tpl_len,
                   mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "manifest template holds a NUL byte"));
    const char *mount = c->code_dir ? c->code_dir : DEFAULT_CODE_DIR;
    MSE_CHECK_OUT(code_entries(c, code_dir, mount, &entries, errbuf, errlen));
    if (c->enclave_size)
        snprintf(size_str, sizeof size_str, "%lldG", (long long)c->enclave_size);
    const struct var vars[] = {
        {"app_name", c->name, false},
        {"project", c->project, false},
        {"python_application", c->python_application, false},
        {"docker", c->docker, false},
        {"instance_id", c->instance_id, false},
        {"domain_name", c->config_domain_name, false},
        {"enclave_size", size_str[0] ? size_str : NULL, false},
        {"expires_at", c->expires_at, false},
        {"ssl_certificate_origin", c->ssl_certificate_origin, false},
        {"code_dir", mount, false},
        {"code_trusted_files", entries.p ? entries.p : "", true},
    };
    MSE_CHECK_OUT(render((const char *)tpl, vars, sizeof vars / sizeof vars[0], &rendered, errbuf,
                         errlen));
    MSE_CHECK_OUT(mse_manifest_expand((const uint8_t *)rendered.p, rendered.n, NULL, &expanded,
                                      &expanded_len, errbuf, errlen));
    err = mse_measure_manifest_sgx((const uint8_t *)expanded, expanded_len, libpal, libpal_len,
                                   mrenclave, NULL);
    if (err != MSE_OK)
        MSE_GOTO_OUT(mse_say(errbuf, errlen, err, "cannot measure the rendered manifest: %s",
                         mse_err_str(err)));
    if (manifest_sgx) {
        *manifest_sgx = expanded;
        *manifest_sgx_len = expanded_len;
        expanded = NULL;
    }
out:
    free(libpal);
    free(tpl);
    free(entries.p);
    free(rendered.p);
    free(expanded);
    return err;
}

mse_err mse_fingerprint_from_context(const char *context_path, const char *code_dir,
                                     uint8_t mrenclave[32], char *errbuf, size_t errlen)
{
    struct mse_context c;
    MSE_TRY(mse_context_load(context_path, &c, errbuf, errlen));
    mse_err err = mse_fingerprint_context(&c, code_dir, mrenclave, NULL, NULL, errbuf, errlen);
    mse_context_free(&c);
    return err;
}
