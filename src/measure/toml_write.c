/*
 * TOML writer reproducing tomli-w 1.0.0 `dumps(obj)` byte for byte (see
 * <mse/toml.h>). Gramine 1.9 writes the expanded manifest with it, and
 * MRENCLAVE covers those exact bytes, so the layout rules below are tomli-w's:
 *  - a table prints its "plain" values first, in insertion order, then its
 *    sub-tables, each preceded by an empty line unless nothing was printed;
 *  - a table's [header] is printed when it has plain values or has no
 *    sub-tables (so [a] holding only [a.b] gets no header of its own);
 *  - a non-empty array whose items are all tables becomes [[name]] sections
 *    unless every item, rendered as "    { k = v, ... }," fits in 100
 *    characters (code points) with no newline; then it stays an inline array;
 *  - arrays print one item per line, indented 4 spaces per nesting level,
 *    with a trailing comma; "[]" when empty; inline tables "{ k = v }", "{}";
 *    values inside an inline table restart at nesting level 0;
 *  - keys stay bare when made only of A-Za-z0-9_- (and non-empty), else they
 *    are basic strings; strings are basic strings escaping " \ \b \n \f \r
 *    compactly and other controls (not tab) as \u00XX (lowercase hex);
 *  - datetimes print as Python's str(): "1979-05-27 07:32:00+00:00",
 *    microseconds (6 digits) only when non-zero.
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/toml.h>

#include "toml_buf.h"

#define INDENT "    "
#define MAX_LINE 100

static mse_err put_uint(struct mse_toml_buf *b, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    char out[24];
    for (int k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    return mse_toml_buf_put(b, out, (size_t)n);
}

static mse_err put_int(struct mse_toml_buf *b, int64_t v)
{
    if (v < 0) {
        MSE_TRY(mse_toml_buf_str(b, "-"));
        return put_uint(b, (uint64_t)0 - (uint64_t)v, 1);
    }
    return put_uint(b, (uint64_t)v, 1);
}

static mse_err put_string(struct mse_toml_buf *b, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    MSE_TRY(mse_toml_buf_str(b, "\""));
    size_t start = 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        const char *esc = NULL;
        char u[7];
        /* The usual byte first, in one test: written as it is. */
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == 0x08)
            esc = "\\b";
        else if (c == 0x0a)
            esc = "\\n";
        else if (c == 0x0c)
            esc = "\\f";
        else if (c == 0x0d)
            esc = "\\r";
        else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hexd[c >> 4];
            u[5] = hexd[c & 15];
            u[6] = '\0';
            esc = u;
        }
        if (!esc)
            continue;
        MSE_TRY(mse_toml_buf_put(b, s + start, k - start));
        MSE_TRY(mse_toml_buf_str(b, esc));
        start = k + 1;
    }
    MSE_TRY(mse_toml_buf_put(b, s + start, len - start));
    return mse_toml_buf_str(b, "\"");
}

static mse_err put_key(struct mse_toml_buf *b, const char *k, size_t klen)
{
    bool bare = klen > 0;
    for (size_t i = 0; i < klen && bare; i++) {
        char c = k[i];
        bare = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    }
    if (bare)
        return mse_toml_buf_put(b, k, klen);
    return put_string(b, k, klen);
}

static mse_err put_datetime(struct mse_toml_buf *b, const struct mse_toml_datetime *dt)
{
    if (dt->kind != MSE_TOML_DT_TIME) {
        MSE_TRY(put_uint(b, (uint64_t)dt->year, 4));
        MSE_TRY(mse_toml_buf_str(b, "-"));
        MSE_TRY(put_uint(b, (uint64_t)dt->month, 2));
        MSE_TRY(mse_toml_buf_str(b, "-"));
        MSE_TRY(put_uint(b, (uint64_t)dt->day, 2));
        if (dt->kind == MSE_TOML_DT_DATE)
            return MSE_OK;
        MSE_TRY(mse_toml_buf_str(b, " "));
    }
    MSE_TRY(put_uint(b, (uint64_t)dt->hour, 2));
    MSE_TRY(mse_toml_buf_str(b, ":"));
    MSE_TRY(put_uint(b, (uint64_t)dt->minute, 2));
    MSE_TRY(mse_toml_buf_str(b, ":"));
    MSE_TRY(put_uint(b, (uint64_t)dt->second, 2));
    if (dt->micro) {
        MSE_TRY(mse_toml_buf_str(b, "."));
        MSE_TRY(put_uint(b, (uint64_t)dt->micro, 6));
    }
    if (dt->kind == MSE_TOML_DT_OFFSET) {
        int off = dt->offset_min;
        MSE_TRY(mse_toml_buf_str(b, off < 0 ? "-" : "+"));
        if (off < 0)
            off = -off;
        MSE_TRY(put_uint(b, (uint64_t)(off / 60), 2));
        MSE_TRY(mse_toml_buf_str(b, ":"));
        MSE_TRY(put_uint(b, (uint64_t)(off % 60), 2));
    }
    return MSE_OK;
}

static mse_err put_literal(struct mse_toml_buf *b, const struct mse_toml *v, int nest, int depth,
                           mse_toml_float_fmt ff);

static mse_err put_inline_table(struct mse_toml_buf *b, const struct mse_toml *t, int depth,
                                mse_toml_float_fmt ff)
{
    if (t->n == 0)
        return mse_toml_buf_str(b, "{}");
    MSE_TRY(mse_toml_buf_str(b, "{ "));
    for (size_t k = 0; k < t->n; k++) {
        if (k)
            MSE_TRY(mse_toml_buf_str(b, ", "));
        MSE_TRY(put_key(b, t->kv[k].key, t->kv[k].klen));
        MSE_TRY(mse_toml_buf_str(b, " = "));
        MSE_TRY(put_literal(b, t->kv[k].val, 0, depth + 1, ff));
    }
    return mse_toml_buf_str(b, " }");
}

static mse_err put_indent(struct mse_toml_buf *b, int levels)
{
    for (int k = 0; k < levels; k++)
        MSE_TRY(mse_toml_buf_str(b, INDENT));
    return MSE_OK;
}

static mse_err put_literal(struct mse_toml_buf *b, const struct mse_toml *v, int nest, int depth,
                           mse_toml_float_fmt ff)
{
    MSE_ENSURE(depth <= 4 * MSE_TOML_MAX_DEPTH, MSE_ERR_LIMIT);
    switch (v->type) {
    case MSE_TOML_BOOL:
        return mse_toml_buf_str(b, v->b ? "true" : "false");
    case MSE_TOML_INT:
        return put_int(b, v->i);
    case MSE_TOML_DATETIME:
        return put_datetime(b, &v->dt);
    case MSE_TOML_STRING:
        return put_string(b, v->s, v->slen);
    case MSE_TOML_TABLE:
        return put_inline_table(b, v, depth, ff);
    case MSE_TOML_ARRAY:
        if (v->n == 0)
            return mse_toml_buf_str(b, "[]");
        MSE_TRY(mse_toml_buf_str(b, "[\n"));
        for (size_t k = 0; k < v->n; k++) {
            if (k)
                MSE_TRY(mse_toml_buf_str(b, ",\n"));
            MSE_TRY(put_indent(b, nest + 1));
            MSE_TRY(put_literal(b, v->items[k], nest + 1, depth + 1, ff));
        }
        MSE_TRY(mse_toml_buf_str(b, ",\n"));
        MSE_TRY(put_indent(b, nest));
        return mse_toml_buf_str(b, "]");
    case MSE_TOML_FLOAT: {
        /* tomli-w prints Python's str(float); the caller supplies that formatting. */
        char tmp[64];
        MSE_ENSURE(ff != NULL, MSE_ERR_UNSUPPORTED);
        size_t n = ff(v->f, tmp, sizeof tmp);
        MSE_ENSURE(n > 0 && n < sizeof tmp, MSE_ERR_UNSUPPORTED);
        return mse_toml_buf_put(b, tmp, n);
    }
    default:
        return MSE_ERR_UNSUPPORTED;
    }
}

/* tomli-w's is_suitable_inline_table(): "    {...}," within 100 code points, one line. */
static mse_err suitable_inline(const struct mse_toml *t, int depth, mse_toml_float_fmt ff, bool *ok)
{
    struct mse_toml_buf b = {0};
    mse_err err = put_inline_table(&b, t, depth, ff);
    if (err == MSE_OK) {
        size_t chars = 5; /* indent and comma */
        bool newline = false;
        for (size_t k = 0; k < b.n; k++) {
            if ((b.p[k] & 0xc0) != 0x80)
                chars++;
            if (b.p[k] == '\n')
                newline = true;
        }
        *ok = chars <= MAX_LINE && !newline;
    }
    mse_toml_buf_free(&b);
    return err;
}

static bool all_tables(const struct mse_toml *v)
{
    if (v->type != MSE_TOML_ARRAY || v->n == 0)
        return false;
    for (size_t k = 0; k < v->n; k++)
        if (v->items[k]->type != MSE_TOML_TABLE)
            return false;
    return true;
}

/* Whether table entry k is written as [[array of tables]] sections. */
static mse_err entry_is_aot(const struct mse_toml *v, int depth, mse_toml_float_fmt ff, bool *aot)
{
    *aot = false;
    if (!all_tables(v))
        return MSE_OK;
    for (size_t k = 0; k < v->n; k++) {
        bool ok;
        MSE_TRY(suitable_inline(v->items[k], depth, ff, &ok));
        if (!ok) {
            *aot = true;
            return MSE_OK;
        }
    }
    return MSE_OK;
}

static mse_err gen_table(struct mse_toml_buf *b, const struct mse_toml *t, const uint8_t *name,
                         size_t name_len, bool inside_aot, int depth, mse_toml_float_fmt ff)
{
    mse_err err = MSE_OK;
    struct mse_toml_buf sub = {0};
    bool yielded = false, has_literals = false, has_tables = false;
    MSE_ENSURE(depth <= 4 * MSE_TOML_MAX_DEPTH, MSE_ERR_LIMIT);
    for (size_t k = 0; k < t->n; k++) {
        const struct mse_toml *v = t->kv[k].val;
        bool aot;
        MSE_TRY(entry_is_aot(v, depth, ff, &aot));
        if (v->type == MSE_TOML_TABLE || aot)
            has_tables = true;
        else
            has_literals = true;
    }
    if (inside_aot || (name_len && (has_literals || !has_tables))) {
        yielded = true;
        MSE_TRY(mse_toml_buf_str(b, inside_aot ? "[[" : "["));
        MSE_TRY(mse_toml_buf_put(b, name, name_len));
        MSE_TRY(mse_toml_buf_str(b, inside_aot ? "]]\n" : "]\n"));
    }
    for (size_t k = 0; k < t->n; k++) {
        const struct mse_toml *v = t->kv[k].val;
        bool aot;
        MSE_TRY(entry_is_aot(v, depth, ff, &aot));
        if (v->type == MSE_TOML_TABLE || aot)
            continue;
        yielded = true;
        MSE_TRY(put_key(b, t->kv[k].key, t->kv[k].klen));
        MSE_TRY(mse_toml_buf_str(b, " = "));
        MSE_TRY(put_literal(b, v, 0, depth + 1, ff));
        MSE_TRY(mse_toml_buf_str(b, "\n"));
    }
    for (size_t k = 0; k < t->n; k++) {
        const struct mse_toml *v = t->kv[k].val;
        bool aot;
        MSE_CHECK_OUT(entry_is_aot(v, depth, ff, &aot));
        if (v->type != MSE_TOML_TABLE && !aot)
            continue;
        sub.n = 0;
        if (name_len) {
            MSE_CHECK_OUT(mse_toml_buf_put(&sub, name, name_len));
            MSE_CHECK_OUT(mse_toml_buf_str(&sub, "."));
        }
        MSE_CHECK_OUT(put_key(&sub, t->kv[k].key, t->kv[k].klen));
        size_t n_items = aot ? v->n : 1;
        for (size_t i = 0; i < n_items; i++) {
            if (yielded)
                MSE_CHECK_OUT(mse_toml_buf_str(b, "\n"));
            yielded = true;
            MSE_CHECK_OUT(gen_table(b, aot ? v->items[i] : v, sub.p, sub.n, aot, depth + 1, ff));
        }
    }
out:
    mse_toml_buf_free(&sub);
    return err;
}

mse_err mse_toml_write(const struct mse_toml *root, char **out, size_t *len)
{
    return mse_toml_write_ex(root, NULL, out, len);
}

mse_err mse_toml_write_ex(const struct mse_toml *root, mse_toml_float_fmt ff, char **out,
                          size_t *len)
{
    struct mse_toml_buf b = {0};
    MSE_ENSURE(root->type == MSE_TOML_TABLE, MSE_ERR_ARG);
    mse_err err = gen_table(&b, root, NULL, 0, false, 0, ff);
    if (err == MSE_OK)
        err = mse_toml_buf_put(&b, "", 1);
    if (err != MSE_OK) {
        mse_toml_buf_free(&b);
        return err;
    }
    *out = (char *)b.p;
    *len = b.n - 1;
    return MSE_OK;
}
