/*
 * Context file writer and strict reader for the TOML subset described in
 * cli_ctxfile.h (TOML v1.0.0: basic strings, bare and quoted keys, tables).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli_ctxfile.h"
#include "util/codecrypt.h"
#include "util/util.h"

#define CTX_FILE_MAX (4u << 20)
#define CTX_STR_MAX 4096

struct nonce_entry {
    char *rel;
    char hex[MSE_CODE_NONCE_SIZE * 2 + 1];
};

struct mse_ctxfile {
    char *name, *uuid, *san, *owner_cert, *key_hex, *mrenclave_hex;
    struct nonce_entry *nonces;
    size_t nonce_count, nonce_cap;
};

mse_err mse_ctxfile_new(struct mse_ctxfile **out)
{
    *out = calloc(1, sizeof **out);
    MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

MSE_MUST_USE static mse_err set_str(char **dst, const char *src)
{
    if (src == NULL)
        return MSE_OK;
    char *d = strdup(src);
    MSE_ENSURE(d != NULL, MSE_ERR_NOMEM);
    free(*dst);
    *dst = d;
    return MSE_OK;
}

mse_err mse_ctxfile_set_instance(struct mse_ctxfile *c, const char *name, const char *uuid,
                                 const char *san, const uint8_t key[32], const char *owner_cert)
{
    char hex[65];
    mse_hex_encode(key, 32, hex);
    mse_err err = set_str(&c->key_hex, hex);
    mse_wipe(hex, sizeof hex);
    MSE_TRY(err);
    MSE_TRY(set_str(&c->name, name));
    MSE_TRY(set_str(&c->uuid, uuid));
    MSE_TRY(set_str(&c->san, san));
    MSE_TRY(set_str(&c->owner_cert, owner_cert));
    return MSE_OK;
}

MSE_MUST_USE static mse_err add_nonce_hex(struct mse_ctxfile *c, const char *rel, const char *hex)
{
    MSE_ENSURE(strlen(hex) == MSE_CODE_NONCE_SIZE * 2, MSE_ERR_CONTEXT);
    if (c->nonce_count == c->nonce_cap) {
        size_t ncap = c->nonce_cap ? c->nonce_cap * 2 : 16;
        struct nonce_entry *n = realloc(c->nonces, ncap * sizeof *n);
        MSE_ENSURE(n != NULL, MSE_ERR_NOMEM);
        c->nonces = n;
        c->nonce_cap = ncap;
    }
    struct nonce_entry *e = &c->nonces[c->nonce_count];
    e->rel = strdup(rel);
    MSE_ENSURE(e->rel != NULL, MSE_ERR_NOMEM);
    memcpy(e->hex, hex, sizeof e->hex);
    c->nonce_count++;
    return MSE_OK;
}

mse_err mse_ctxfile_add_nonce(struct mse_ctxfile *c, const char *rel, const uint8_t nonce[24])
{
    char hex[49];
    mse_hex_encode(nonce, 24, hex);
    return add_nonce_hex(c, rel, hex);
}

size_t mse_ctxfile_nonce_count(const struct mse_ctxfile *c)
{
    return c->nonce_count;
}

/* A TOML basic string: quote, backslash and control characters escaped. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_kv(FILE *f, const char *k, const char *v)
{
    if (v == NULL)
        return;
    fprintf(f, "%s = ", k);
    put_str(f, v);
    fputc('\n', f);
}

mse_err mse_ctxfile_write(const struct mse_ctxfile *c, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    MSE_ENSURE(f != NULL, MSE_ERR_NOMEM);
    fprintf(f, "# mse context: keep private (it holds the code key).\nversion = \"1.0\"\n\n"
               "[config]\n");
    put_kv(f, "name", c->name);
    put_kv(f, "code_secret_key", c->key_hex);
    fprintf(f, "\n[instance]\n");
    put_kv(f, "id", c->uuid);
    put_kv(f, "san", c->san);
    put_kv(f, "owner_cert", c->owner_cert);
    put_kv(f, "mrenclave", c->mrenclave_hex);
    fprintf(f, "\n[instance.nonces]\n");
    for (size_t i = 0; i < c->nonce_count; i++) {
        put_str(f, c->nonces[i].rel);
        fprintf(f, " = \"%s\"\n", c->nonces[i].hex);
    }
    if (fclose(f) != 0) {
        free(buf);
        return MSE_ERR_NOMEM;
    }
    mse_err err = mse_file_write_atomic(path, buf, len, 0600);
    mse_wipe(buf, len);
    free(buf);
    return err;
}

/* Parse a basic string at *p (on the opening quote); result in out (cap CTX_STR_MAX). */
MSE_MUST_USE static mse_err get_str(const char **p, char *out)
{
    const char *s = *p;
    size_t n = 0;
    MSE_ENSURE(*s == '"', MSE_ERR_CONTEXT);
    s++;
    while (*s != '"') {
        MSE_ENSURE(*s != '\0' && *s != '\n' && n + 1 < CTX_STR_MAX, MSE_ERR_CONTEXT);
        char ch = *s;
        if (ch == '\\') {
            s++;
            if (*s == '"' || *s == '\\') {
                ch = *s;
            } else if (*s == 'u') {
                uint8_t b[2];
                MSE_ENSURE(strlen(s) >= 5, MSE_ERR_CONTEXT);
                MSE_TRY_AS(mse_hex_decode(s + 1, 4, b, 2), MSE_ERR_CONTEXT);
                /* Only the escapes the writer emits: control characters. */
                MSE_ENSURE(b[0] == 0 && (b[1] < 0x20 || b[1] == 0x7f) && b[1] != 0,
                           MSE_ERR_CONTEXT);
                ch = (char)b[1];
                s += 4;
            } else {
                return MSE_ERR_CONTEXT;
            }
        }
        out[n++] = ch;
        s++;
    }
    out[n] = '\0';
    *p = s + 1;
    return MSE_OK;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

MSE_MUST_USE static mse_err set_once(char **dst, const char *v)
{
    MSE_ENSURE(*dst == NULL, MSE_ERR_CONTEXT); /* duplicate key */
    return set_str(dst, v);
}

MSE_MUST_USE static mse_err parse(struct mse_ctxfile *c, char *text)
{
    enum { TOP, CONFIG, INSTANCE, NONCES, OTHER } table = TOP;
    char *key = malloc(CTX_STR_MAX), *val = malloc(CTX_STR_MAX);
    mse_err err = MSE_OK;
    MSE_ENSURE_OUT(key != NULL && val != NULL, MSE_ERR_NOMEM);
    for (char *line = text; line != NULL;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        const char *p = skip_ws(line);
        if (*p == '\0' || *p == '#') {
            /* blank or comment */
        } else if (*p == '[') {
            if (strcmp(p, "[config]") == 0)
                table = CONFIG;
            else if (strcmp(p, "[instance]") == 0)
                table = INSTANCE;
            else if (strcmp(p, "[instance.nonces]") == 0)
                table = NONCES;
            else
                table = OTHER; /* tables other tools add are ignored */
        } else {
            if (*p == '"') {
                MSE_CHECK_OUT(get_str(&p, key));
            } else {
                size_t n = 0;
                while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '_' || *p == '-') {
                    MSE_ENSURE_OUT(n + 1 < CTX_STR_MAX, MSE_ERR_CONTEXT);
                    key[n++] = *p++;
                }
                MSE_ENSURE_OUT(n > 0, MSE_ERR_CONTEXT);
                key[n] = '\0';
            }
            p = skip_ws(p);
            MSE_ENSURE_OUT(*p == '=', MSE_ERR_CONTEXT);
            p = skip_ws(p + 1);
            if (table == OTHER || (table == TOP && *p != '"')) {
                /* values of tables we do not own are not interpreted */
            } else {
                MSE_CHECK_OUT(get_str(&p, val));
                p = skip_ws(p);
                MSE_ENSURE_OUT(*p == '\0' || *p == '#', MSE_ERR_CONTEXT);
                if (table == CONFIG && strcmp(key, "name") == 0)
                    MSE_CHECK_OUT(set_once(&c->name, val));
                else if (table == CONFIG && strcmp(key, "code_secret_key") == 0)
                    MSE_CHECK_OUT(set_once(&c->key_hex, val));
                else if (table == INSTANCE && strcmp(key, "id") == 0)
                    MSE_CHECK_OUT(set_once(&c->uuid, val));
                else if (table == INSTANCE && strcmp(key, "san") == 0)
                    MSE_CHECK_OUT(set_once(&c->san, val));
                else if (table == INSTANCE && strcmp(key, "owner_cert") == 0)
                    MSE_CHECK_OUT(set_once(&c->owner_cert, val));
                else if (table == INSTANCE && strcmp(key, "mrenclave") == 0)
                    MSE_CHECK_OUT(set_once(&c->mrenclave_hex, val));
                else if (table == NONCES)
                    MSE_CHECK_OUT(add_nonce_hex(c, key, val));
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    MSE_ENSURE_OUT(c->uuid != NULL && c->key_hex != NULL && strlen(c->key_hex) == 64,
                   MSE_ERR_CONTEXT);
    MSE_ENSURE_OUT(c->mrenclave_hex == NULL || strlen(c->mrenclave_hex) == 64, MSE_ERR_CONTEXT);
out:
    if (val != NULL) {
        mse_wipe(val, CTX_STR_MAX);
        free(val);
    }
    free(key);
    return err;
}

mse_err mse_ctxfile_read(const char *path, struct mse_ctxfile **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_TRY(mse_file_read(path, CTX_FILE_MAX, &data, &len));
    mse_err err = MSE_OK;
    struct mse_ctxfile *c = NULL;
    MSE_ENSURE_OUT(memchr(data, '\0', len) == NULL, MSE_ERR_CONTEXT);
    MSE_CHECK_OUT(mse_ctxfile_new(&c));
    MSE_CHECK_OUT(parse(c, (char *)data));
    *out = c;
    c = NULL;
out:
    mse_ctxfile_free(c);
    mse_wipe(data, len);
    free(data);
    return err;
}

const char *mse_ctxfile_uuid(const struct mse_ctxfile *c) { return c->uuid; }
const char *mse_ctxfile_san(const struct mse_ctxfile *c) { return c->san; }
const char *mse_ctxfile_owner_cert(const struct mse_ctxfile *c) { return c->owner_cert; }
const char *mse_ctxfile_key_hex(const struct mse_ctxfile *c) { return c->key_hex; }
const char *mse_ctxfile_mrenclave_hex(const struct mse_ctxfile *c) { return c->mrenclave_hex; }

void mse_ctxfile_free(struct mse_ctxfile *c)
{
    if (c == NULL)
        return;
    if (c->key_hex != NULL) {
        mse_wipe(c->key_hex, strlen(c->key_hex));
        free(c->key_hex);
    }
    free(c->name);
    free(c->uuid);
    free(c->san);
    free(c->owner_cert);
    free(c->mrenclave_hex);
    for (size_t i = 0; i < c->nonce_count; i++)
        free(c->nonces[i].rel);
    free(c->nonces);
    free(c);
}
