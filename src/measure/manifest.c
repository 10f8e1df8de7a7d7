/*
 * Gramine 1.9 manifest defaults and attribute reads (see <mse/manifest.h>).
 * Source of the rules: python/graminelibos/manifest.py (Manifest.__init__)
 * and python/graminelibos/sgx_sign.py (parse_size, get_mrenclave_and_manifest)
 * at tag v1.9. Key order matters (it is the order tomli-w writes), so every
 * default is appended exactly where Python's dict.setdefault would put it.
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/manifest.h>

bool mse_manifest_truthy(const struct mse_toml *v)
{
    switch (v->type) {
    case MSE_TOML_BOOL: return v->b;
    case MSE_TOML_INT: return v->i != 0;
    case MSE_TOML_FLOAT: return v->f != 0.0;
    case MSE_TOML_STRING: return v->slen != 0;
    case MSE_TOML_ARRAY:
    case MSE_TOML_TABLE: return v->n != 0;
    default: return true; /* dates and times */
    }
}

static bool py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           (c >= 0x1c && c <= 0x1f);
}

static int digit_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Python int(s, 0) for s[0..len), limited to int64. */
static mse_err py_int0(const char *s, size_t len, int64_t *out)
{
    size_t i = 0, e = len;
    bool neg = false;
    int base = 10;
    while (i < e && py_space(s[i]))
        i++;
    while (e > i && py_space(s[e - 1]))
        e--;
    if (i < e && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    MSE_ENSURE(i < e, MSE_ERR_MANIFEST);
    bool prefixed = false;
    if (e - i >= 2 && s[i] == '0') {
        char p = s[i + 1];
        if (p == 'x' || p == 'X')
            base = 16;
        else if (p == 'o' || p == 'O')
            base = 8;
        else if (p == 'b' || p == 'B')
            base = 2;
        if (base != 10) {
            i += 2;
            prefixed = true;
            /* int(x, 0) allows one underscore right after the prefix. */
            if (i < e && s[i] == '_')
                i++;
        }
    }
    MSE_ENSURE(i < e, MSE_ERR_MANIFEST);
    uint64_t v = 0;
    bool leading_zero = !prefixed && s[i] == '0', nonzero = false;
    for (size_t k = i; k < e; k++) {
        if (s[k] == '_') {
            /* Single underscores between digits only. */
            MSE_ENSURE(k > i && k + 1 < e && s[k + 1] != '_', MSE_ERR_MANIFEST);
            continue;
        }
        int d = digit_val(s[k]);
        MSE_ENSURE(d < base, MSE_ERR_MANIFEST);
        if (d)
            nonzero = true;
        MSE_ENSURE(v <= (UINT64_C(0x7fffffffffffffff) - (uint64_t)d) / (uint64_t)base,
                   MSE_ERR_MANIFEST);
        v = v * (uint64_t)base + (uint64_t)d;
    }
    /* Decimal literals with a leading zero must be all zeros ("00" is 0, "01" is invalid). */
    MSE_ENSURE(!(leading_zero && nonzero), MSE_ERR_MANIFEST);
    *out = neg ? -(int64_t)v : (int64_t)v;
    return MSE_OK;
}

mse_err mse_manifest_parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t scale = 1;
    if (len > 0) {
        char last = s[len - 1];
        scale = last == 'K' ? 1024 : last == 'M' ? 1024 * 1024 : last == 'G' ? 1024 * 1024 * 1024 : 1;
        if (scale != 1)
            len--;
    }
    int64_t v;
    MSE_TRY(py_int0(s, len, &v));
    MSE_ENSURE(v > 0 && (uint64_t)v <= UINT64_C(0x7fffffffffffffff) / scale, MSE_ERR_MANIFEST);
    *out = (uint64_t)v * scale;
    return MSE_OK;
}

/* dict.setdefault(key, value): returns the value now stored under key. */
static mse_err setdefault(struct mse_toml *t, const char *key, struct mse_toml *def,
                          struct mse_toml **out)
{
    struct mse_toml *cur = mse_toml_get(t, key);
    if (cur) {
        mse_toml_free(def);
        if (out)
            *out = cur;
        return MSE_OK;
    }
    MSE_TRY(mse_toml_set(t, key, def));
    if (out)
        *out = mse_toml_get(t, key);
    return MSE_OK;
}

static struct mse_toml *str(const char *s)
{
    return mse_toml_new_string(s, strlen(s));
}

mse_err mse_manifest_defaults(struct mse_toml *root, const char *default_libos_uri,
                              struct mse_toml **entry_to_hash)
{
    struct mse_toml *sgx, *cpu, *tf, *loader, *entry, *edmm;
    if (entry_to_hash)
        *entry_to_hash = NULL;
    MSE_ENSURE(root->type == MSE_TOML_TABLE, MSE_ERR_MANIFEST);
    MSE_TRY(setdefault(root, "sgx", mse_toml_new(MSE_TOML_TABLE), &sgx));
    MSE_ENSURE(sgx->type == MSE_TOML_TABLE, MSE_ERR_MANIFEST);
    MSE_TRY(setdefault(sgx, "trusted_files", mse_toml_new(MSE_TOML_ARRAY), NULL));
    MSE_TRY(setdefault(sgx, "max_threads", mse_toml_new_int(4), NULL));
    MSE_TRY(setdefault(sgx, "isvprodid", mse_toml_new_int(0), NULL));
    MSE_TRY(setdefault(sgx, "isvsvn", mse_toml_new_int(0), NULL));
    MSE_TRY(setdefault(sgx, "remote_attestation", str("none"), NULL));
    MSE_TRY(setdefault(sgx, "debug", mse_toml_new_bool(false), NULL));
    MSE_TRY(setdefault(sgx, "enable_stats", mse_toml_new_bool(false), NULL));
    MSE_TRY(setdefault(sgx, "edmm_enable", mse_toml_new_bool(false), &edmm));
    MSE_TRY(setdefault(sgx, "enclave_size", str(mse_manifest_truthy(edmm) ? "1024G" : "256M"),
                       NULL));
    MSE_TRY(setdefault(sgx, "use_exinfo", mse_toml_new_bool(false), NULL));
    MSE_TRY(setdefault(sgx, "cpu_features", mse_toml_new(MSE_TOML_TABLE), &cpu));
    MSE_ENSURE(cpu->type == MSE_TOML_TABLE, MSE_ERR_MANIFEST);
    MSE_TRY(setdefault(cpu, "avx", str("unspecified"), NULL));
    MSE_TRY(setdefault(cpu, "avx512", str("unspecified"), NULL));
    MSE_TRY(setdefault(cpu, "amx", str("unspecified"), NULL));
    MSE_TRY(setdefault(cpu, "mpx", str("disabled"), NULL));
    MSE_TRY(setdefault(cpu, "pkru", str("disabled"), NULL));

    /* trusted_files: a list of "uri" strings or tables holding a uri. */
    tf = mse_toml_get(sgx, "trusted_files");
    MSE_ENSURE(tf->type == MSE_TOML_ARRAY, MSE_ERR_MANIFEST);
    for (size_t k = 0; k < tf->n; k++) {
        struct mse_toml *item = tf->items[k];
        if (item->type == MSE_TOML_TABLE && mse_toml_get(item, "uri"))
            continue;
        MSE_ENSURE(item->type == MSE_TOML_STRING, MSE_ERR_MANIFEST);
        struct mse_toml *t = mse_toml_new(MSE_TOML_TABLE);
        MSE_ENSURE(t != NULL, MSE_ERR_NOMEM);
        tf->items[k] = t; /* t owns item from here on, even if set fails */
        MSE_TRY(mse_toml_set(t, "uri", item));
    }

    MSE_TRY(setdefault(root, "loader", mse_toml_new(MSE_TOML_TABLE), &loader));
    MSE_ENSURE(loader->type == MSE_TOML_TABLE, MSE_ERR_MANIFEST);
    MSE_TRY(setdefault(loader, "entrypoint", mse_toml_new(MSE_TOML_TABLE), &entry));
    MSE_ENSURE(entry->type == MSE_TOML_TABLE, MSE_ERR_MANIFEST);
    if (!mse_toml_get(entry, "uri"))
        MSE_TRY(mse_toml_set(entry, "uri", str(default_libos_uri)));
    if (!mse_toml_get(entry, "sha256")) {
        struct mse_toml *uri = mse_toml_get(entry, "uri");
        /* uri2path(): only file: URIs. */
        MSE_ENSURE(uri->type == MSE_TOML_STRING && uri->slen >= 5 &&
                       memcmp(uri->s, "file:", 5) == 0,
                   MSE_ERR_MANIFEST);
        if (entry_to_hash)
            *entry_to_hash = entry;
    }
    return MSE_OK;
}

mse_err mse_manifest_attrs(struct mse_toml *root, struct mse_enclave_attrs *out)
{
    MSE_TRY(mse_manifest_defaults(root, "file:" MSE_GRAMINE_DEFAULT_LIBOS, NULL));
    struct mse_toml *sgx = mse_toml_get(root, "sgx");
    struct mse_toml *size = mse_toml_get(sgx, "enclave_size");
    struct mse_toml *threads = mse_toml_get(sgx, "max_threads");
    struct mse_toml *edmm = mse_toml_get(sgx, "edmm_enable");
    MSE_ENSURE(size->type == MSE_TOML_STRING, MSE_ERR_MANIFEST);
    MSE_TRY(mse_manifest_parse_size(size->s, size->slen, &out->enclave_size));
    /* Python's range() takes an int (a bool is one). */
    if (threads->type == MSE_TOML_BOOL)
        out->max_threads = threads->b ? 1 : 0;
    else {
        MSE_ENSURE(threads->type == MSE_TOML_INT && threads->i >= 0, MSE_ERR_MANIFEST);
        out->max_threads = (uint64_t)threads->i;
    }
    out->edmm = mse_manifest_truthy(edmm);
    return MSE_OK;
}
