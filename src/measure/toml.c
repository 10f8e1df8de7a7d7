/*
 * Strict TOML 1.0 parser with tomli 2.0 semantics (see <mse/toml.h>).
 *
 * The grammar is TOML 1.0 (https://toml.io/en/v1.0.0). Where TOML leaves room
 * or tomli has its own reading, tomli wins, because Gramine's signer parses
 * manifests with tomli and we must accept and refuse the same documents:
 *  - "\r\n" is replaced by "\n" before parsing; any other CR is refused;
 *  - the datetime, time and number grammars are tomli's regular expressions,
 *    matched as a prefix, with the value then followed by whitespace,
 *    a comment, a newline or a container delimiter;
 *  - table-definition rules are tomli's flags (EXPLICIT_NEST, FROZEN and
 *    pending dotted-key containers) kept on the nodes instead of on paths.
 *    This is equivalent because a new [[array]] element starts with no flags,
 *    which is what tomli's unset_all() does for the path.
 *
 * Input is untrusted: every byte access goes through peek(), which returns
 * -1 past the end; there is no pointer arithmetic on the input.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>
#include <mse/rd.h>
#include <mse/toml.h>

#include "measure/keyindex.h"
#include "toml_buf.h"

/* Node flags (parser bookkeeping). */
#define F_EXPLICIT 0x1u /* tomli EXPLICIT_NEST: defined by a header or finalised dotted key */
#define F_PENDING 0x2u  /* container created/used by dotted keys in the current section */
#define F_FROZEN 0x4u   /* inline table or array value: immutable, with everything below */

#define MAX_NODES (1u << 20) /* about 100 MB of nodes at most */

struct parser {
    const uint8_t *src; /* CRLF-normalised copy of the input */
    size_t len;
    size_t pos;
    struct mse_toml *root;
    struct mse_toml *cur;     /* table receiving key/values of the current section */
    struct mse_toml **pend;   /* nodes flagged F_PENDING, finalised at the next header */
    size_t npend, cappend;
    size_t nodes;
    int depth;
    struct mse_keyindex index; /* every key of every table, for p_find */
};

struct key {
    struct mse_toml_buf part[MSE_TOML_MAX_DEPTH];
    size_t n;
};

static int peek(const struct parser *p, size_t k)
{
    if (k >= p->len - p->pos || p->pos >= p->len)
        return -1;
    return p->src[p->pos + k];
}

static bool starts(const struct parser *p, const char *lit)
{
    for (size_t k = 0; lit[k]; k++)
        if (peek(p, k) != (unsigned char)lit[k])
            return false;
    return true;
}

static bool is_ctrl(int c)
{
    return (c >= 0 && c < 0x20) || c == 0x7f;
}

static bool is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hexval(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

static void skip_ws(struct parser *p)
{
    while (peek(p, 0) == ' ' || peek(p, 0) == '\t')
        p->pos++;
}

/* Comments may hold any character but controls other than tab. */
static mse_err skip_comment(struct parser *p)
{
    if (peek(p, 0) != '#')
        return MSE_OK;
    p->pos++;
    for (int c; (c = peek(p, 0)) != -1 && c != '\n'; p->pos++)
        MSE_ENSURE(!is_ctrl(c) || c == '\t', MSE_ERR_TOML);
    return MSE_OK;
}

static mse_err skip_array_ws(struct parser *p)
{
    for (;;) {
        size_t before = p->pos;
        while (peek(p, 0) == ' ' || peek(p, 0) == '\t' || peek(p, 0) == '\n')
            p->pos++;
        MSE_TRY(skip_comment(p));
        if (p->pos == before)
            return MSE_OK;
    }
}

/* ---- nodes ---- */

static struct mse_toml *node_new(struct parser *p, enum mse_toml_type t)
{
    if (p && ++p->nodes > MAX_NODES)
        return NULL;
    return mse_toml_new(t);
}

struct mse_toml *mse_toml_new(enum mse_toml_type type)
{
    struct mse_toml *v = calloc(1, sizeof *v);
    if (v)
        v->type = type;
    return v;
}

void mse_toml_free(struct mse_toml *v)
{
    if (!v)
        return;
    for (size_t k = 0; k < v->n; k++) {
        if (v->type == MSE_TOML_TABLE) {
            free(v->kv[k].key);
            mse_toml_free(v->kv[k].val);
        } else if (v->type == MSE_TOML_ARRAY) {
            mse_toml_free(v->items[k]);
        }
    }
    free(v->kv);
    free(v->items);
    free(v->s);
    free(v);
}

static struct mse_toml *table_find(const struct mse_toml *t, const void *key, size_t klen)
{
    for (size_t k = 0; k < t->n; k++)
        /* An empty key may come as a NULL pointer: memcmp(NULL, ..., 0) is undefined. */
        if (t->kv[k].klen == klen && (klen == 0 || memcmp(t->kv[k].key, key, klen) == 0))
            return t->kv[k].val;
    return NULL;
}

struct mse_toml *mse_toml_get(const struct mse_toml *table, const char *key)
{
    if (!table || table->type != MSE_TOML_TABLE)
        return NULL;
    return table_find(table, key, strlen(key));
}

struct mse_toml *mse_toml_get_type(const struct mse_toml *table, const char *key,
                                   enum mse_toml_type type)
{
    struct mse_toml *v = mse_toml_get(table, key);
    return v && v->type == type ? v : NULL;
}

static mse_err grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return MSE_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    MSE_ENSURE(ncap < SIZE_MAX / elem, MSE_ERR_LIMIT);
    void *na = realloc(*arr, ncap * elem);
    MSE_ENSURE(na != NULL, MSE_ERR_NOMEM);
    *arr = na;
    *cap = ncap;
    return MSE_OK;
}

/* Append key (klen bytes) -> val to table; takes ownership of val. */
static mse_err table_add(struct mse_toml *t, const void *key, size_t klen, struct mse_toml *val)
{
    mse_err err = MSE_OK;
    char *k = NULL;
    MSE_CHECK_OUT(grow((void **)&t->kv, &t->cap, t->n, sizeof *t->kv));
    k = malloc(klen + 1);
    MSE_ENSURE_OUT(k != NULL, MSE_ERR_NOMEM);
    if (klen)
        memcpy(k, key, klen);
    k[klen] = '\0';
    t->kv[t->n].key = k;
    t->kv[t->n].klen = klen;
    t->kv[t->n].val = val;
    t->n++;
    return MSE_OK;
out:
    mse_toml_free(val);
    return err;
}

mse_err mse_toml_set(struct mse_toml *table, const char *key, struct mse_toml *val)
{
    if (!val)
        return MSE_ERR_NOMEM;
    if (!table || table->type != MSE_TOML_TABLE) {
        mse_toml_free(val);
        return MSE_ERR_ARG;
    }
    size_t klen = strlen(key);
    for (size_t k = 0; k < table->n; k++) {
        if (table->kv[k].klen == klen && memcmp(table->kv[k].key, key, klen) == 0) {
            mse_toml_free(table->kv[k].val);
            table->kv[k].val = val;
            return MSE_OK;
        }
    }
    return table_add(table, key, klen, val);
}

mse_err mse_toml_push(struct mse_toml *array, struct mse_toml *val)
{
    mse_err err = MSE_OK;
    MSE_ENSURE(val != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(array && array->type == MSE_TOML_ARRAY, MSE_ERR_ARG);
    MSE_CHECK_OUT(grow((void **)&array->items, &array->cap, array->n, sizeof *array->items));
    array->items[array->n++] = val;
    return MSE_OK;
out:
    mse_toml_free(val);
    return err;
}

struct mse_toml *mse_toml_new_string(const char *s, size_t len)
{
    struct mse_toml *v = mse_toml_new(MSE_TOML_STRING);
    if (!v)
        return NULL;
    v->s = malloc(len + 1);
    if (!v->s) {
        free(v);
        return NULL;
    }
    if (len)
        memcpy(v->s, s, len);
    v->s[len] = '\0';
    v->slen = len;
    return v;
}

struct mse_toml *mse_toml_new_int(int64_t i)
{
    struct mse_toml *v = mse_toml_new(MSE_TOML_INT);
    if (v)
        v->i = i;
    return v;
}

struct mse_toml *mse_toml_new_bool(bool b)
{
    struct mse_toml *v = mse_toml_new(MSE_TOML_BOOL);
    if (v)
        v->b = b;
    return v;
}

static struct mse_toml *clone_depth(const struct mse_toml *v, int depth)
{
    if (depth > 4 * MSE_TOML_MAX_DEPTH)
        return NULL;
    struct mse_toml *c;
    if (v->type == MSE_TOML_STRING)
        c = mse_toml_new_string(v->s, v->slen);
    else
        c = mse_toml_new(v->type);
    if (!c)
        return NULL;
    c->i = v->i;
    c->f = v->f;
    c->b = v->b;
    c->dt = v->dt;
    for (size_t k = 0; k < v->n; k++) {
        if (v->type == MSE_TOML_ARRAY) {
            struct mse_toml *item = clone_depth(v->items[k], depth + 1);
            if (!item || mse_toml_push(c, item) != MSE_OK)
                goto fail;
        } else if (v->type == MSE_TOML_TABLE) {
            struct mse_toml *item = clone_depth(v->kv[k].val, depth + 1);
            if (!item || table_add(c, v->kv[k].key, v->kv[k].klen, item) != MSE_OK)
                goto fail;
        }
    }
    return c;
fail:
    mse_toml_free(c);
    return NULL;
}

struct mse_toml *mse_toml_clone(const struct mse_toml *v)
{
    return v ? clone_depth(v, 0) : NULL;
}

/*
 * Keys are looked up through the parser's index, not by scanning the table:
 * each new key is checked against the earlier ones (duplicates are an error),
 * which a scan makes quadratic in the size of a table (a context's
 * [instance.nonces] holds one key per code file). Every table entry made
 * while parsing goes through p_add, so the index knows them all.
 */
struct key_probe {
    const void *key;
    size_t klen;
};

static bool kv_is(void *arg, const void *owner, size_t entry)
{
    const struct key_probe *k = arg;
    const struct mse_toml_kv *kv = &((const struct mse_toml *)owner)->kv[entry];
    return kv->klen == k->klen && (k->klen == 0 || memcmp(kv->key, k->key, k->klen) == 0);
}

static struct mse_toml *p_find(struct parser *p, const struct mse_toml *t, const void *key,
                               size_t klen)
{
    struct key_probe k = {key, klen};
    size_t entry;
    if (!mse_keyindex_find(&p->index, t, mse_keyindex_hash(t, key, klen), kv_is, &k, &entry))
        return NULL;
    return t->kv[entry].val;
}

/* table_add, and the new entry indexed; takes ownership of val. */
static mse_err p_add(struct parser *p, struct mse_toml *t, const void *key, size_t klen,
                     struct mse_toml *val)
{
    mse_err err = mse_keyindex_reserve(&p->index);
    if (err != MSE_OK) {
        mse_toml_free(val);
        return err;
    }
    size_t entry = t->n;
    MSE_TRY(table_add(t, key, klen, val));
    mse_keyindex_put(&p->index, t, mse_keyindex_hash(t, key, klen), entry);
    return MSE_OK;
}

static mse_err pend_add(struct parser *p, struct mse_toml *node)
{
    if (node->flags & F_PENDING)
        return MSE_OK;
    MSE_TRY(grow((void **)&p->pend, &p->cappend, p->npend, sizeof *p->pend));
    node->flags |= F_PENDING;
    p->pend[p->npend++] = node;
    return MSE_OK;
}

static void pend_finalize(struct parser *p)
{
    for (size_t k = 0; k < p->npend; k++) {
        p->pend[k]->flags &= ~F_PENDING;
        p->pend[k]->flags |= F_EXPLICIT;
    }
    p->npend = 0;
}

/* ---- strings ---- */

/* Append the UTF-8 encoding of a Unicode scalar value. */
static mse_err put_utf8(struct mse_toml_buf *b, uint32_t cp)
{
    uint8_t e[4];
    size_t n;
    if (cp < 0x80) {
        e[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        e[0] = (uint8_t)(0xc0 | (cp >> 6));
        e[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        e[0] = (uint8_t)(0xe0 | (cp >> 12));
        e[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        e[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        e[0] = (uint8_t)(0xf0 | (cp >> 18));
        e[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        e[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        e[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return mse_toml_buf_put(b, e, n);
}

static mse_err put_byte(struct mse_toml_buf *b, int c)
{
    uint8_t u = (uint8_t)c;
    return mse_toml_buf_put(b, &u, 1);
}

/*
 * The next n input bytes, appended to b in one copy (taken through the bounded
 * reader). A manifest or a context is mostly string bodies (paths, hashes,
 * nonces): copying each run at once instead of byte by byte halves the time of
 * parsing them, which `mse fingerprint --context` does after the code is hashed.
 */
static mse_err put_run(struct parser *p, struct mse_toml_buf *b, size_t n)
{
    struct mse_rd rd;
    const uint8_t *run;
    mse_rd_init(&rd, p->src, p->len);
    MSE_TRY(mse_rd_skip(&rd, p->pos));
    MSE_TRY(mse_rd_bytes(&rd, n, &run));
    MSE_TRY(mse_toml_buf_put(b, run, n));
    p->pos += n;
    return MSE_OK;
}

/* How many bytes from pos on a string body takes as they are: neither its quote q, nor a
 * backslash in a basic string, nor a control character other than tab. */
static size_t plain_run(const struct parser *p, int q)
{
    size_t n = 0;
    for (int c; (c = peek(p, n)) != -1 && c != q && !(q == '"' && c == '\\') &&
                (!is_ctrl(c) || c == '\t');
         n++)
        ;
    return n;
}

static mse_err parse_escape(struct parser *p, struct mse_toml_buf *b, bool multiline)
{
    int e = peek(p, 1);
    if (multiline && (e == ' ' || e == '\t' || e == '\n')) {
        /* Line-ending backslash: only whitespace may follow it on its line. */
        p->pos += 1;
        skip_ws(p);
        MSE_ENSURE(peek(p, 0) == '\n' || peek(p, 0) == -1, MSE_ERR_TOML);
        while (peek(p, 0) == ' ' || peek(p, 0) == '\t' || peek(p, 0) == '\n')
            p->pos++;
        return MSE_OK;
    }
    p->pos += 2;
    switch (e) {
    case 'b': return put_byte(b, 0x08);
    case 't': return put_byte(b, 0x09);
    case 'n': return put_byte(b, 0x0a);
    case 'f': return put_byte(b, 0x0c);
    case 'r': return put_byte(b, 0x0d);
    case '"': return put_byte(b, '"');
    case '\\': return put_byte(b, '\\');
    case 'u':
    case 'U': {
        int n = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int k = 0; k < n; k++) {
            int c = peek(p, (size_t)k);
            MSE_ENSURE(is_hex(c), MSE_ERR_TOML);
            cp = (cp << 4) | (uint32_t)hexval(c);
        }
        p->pos += (size_t)n;
        /* Unicode scalar values only: no surrogates, nothing past U+10FFFF. */
        MSE_ENSURE(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff), MSE_ERR_TOML);
        return put_utf8(b, cp);
    }
    default:
        return MSE_ERR_TOML;
    }
}

/* Basic string body after the opening quote(s), up to and past the closing ones. */
static mse_err parse_basic_body(struct parser *p, struct mse_toml_buf *b, bool multiline)
{
    for (;;) {
        size_t plain = plain_run(p, '"');
        if (plain) {
            MSE_TRY(put_run(p, b, plain));
            continue;
        }
        int c = peek(p, 0);
        MSE_ENSURE(c != -1, MSE_ERR_TOML);
        if (c == '"') {
            if (!multiline) {
                p->pos++;
                return MSE_OK;
            }
            if (starts(p, "\"\"\"")) {
                p->pos += 3;
                return MSE_OK;
            }
            MSE_TRY(put_byte(b, c));
            p->pos++;
            continue;
        }
        if (c == '\\') {
            MSE_TRY(parse_escape(p, b, multiline));
            continue;
        }
        MSE_ENSURE(!is_ctrl(c) || c == '\t' || (multiline && c == '\n'), MSE_ERR_TOML);
        MSE_TRY(put_byte(b, c));
        p->pos++;
    }
}

static mse_err parse_literal_body(struct parser *p, struct mse_toml_buf *b, bool multiline)
{
    for (;;) {
        size_t plain = plain_run(p, '\'');
        if (plain) {
            MSE_TRY(put_run(p, b, plain));
            continue;
        }
        int c = peek(p, 0);
        MSE_ENSURE(c != -1, MSE_ERR_TOML);
        if (c == '\'' && (!multiline || starts(p, "'''"))) {
            p->pos += multiline ? 3 : 1;
            return MSE_OK;
        }
        MSE_ENSURE(!is_ctrl(c) || c == '\t' || (multiline && c == '\n'), MSE_ERR_TOML);
        MSE_TRY(put_byte(b, c));
        p->pos++;
    }
}

/* A string value, p at its first quote; appends the decoded bytes to b. */
static mse_err parse_string(struct parser *p, struct mse_toml_buf *b)
{
    int q = peek(p, 0);
    bool ml = q == '"' ? starts(p, "\"\"\"") : starts(p, "'''");
    if (!ml) {
        p->pos++;
        return q == '"' ? parse_basic_body(p, b, false) : parse_literal_body(p, b, false);
    }
    p->pos += 3;
    if (peek(p, 0) == '\n')
        p->pos++;
    MSE_TRY(q == '"' ? parse_basic_body(p, b, true) : parse_literal_body(p, b, true));
    /* Up to two quotes right before the closing delimiter belong to the string. */
    for (int k = 0; k < 2 && peek(p, 0) == q; k++) {
        MSE_TRY(put_byte(b, q));
        p->pos++;
    }
    return MSE_OK;
}

/* ---- keys ---- */

static mse_err parse_key_part(struct parser *p, struct mse_toml_buf *b)
{
    int c = peek(p, 0);
    b->n = 0;
    if (is_bare(c)) {
        size_t n = 0;
        while (is_bare(peek(p, n)))
            n++;
        return put_run(p, b, n);
    }
    if (c == '"') {
        p->pos++;
        return parse_basic_body(p, b, false);
    }
    if (c == '\'') {
        p->pos++;
        return parse_literal_body(p, b, false);
    }
    return MSE_ERR_TOML;
}

static mse_err parse_key(struct parser *p, struct key *k)
{
    k->n = 0;
    for (;;) {
        MSE_ENSURE(k->n < MSE_TOML_MAX_DEPTH, MSE_ERR_LIMIT);
        MSE_TRY(parse_key_part(p, &k->part[k->n]));
        k->n++;
        skip_ws(p);
        if (peek(p, 0) != '.')
            return MSE_OK;
        p->pos++;
        skip_ws(p);
    }
}

/* ---- scalars ---- */

static int digits_at(const struct parser *p, size_t at, int n)
{
    for (int k = 0; k < n; k++)
        if (!is_digit(peek(p, at + (size_t)k)))
            return -1;
    int v = 0;
    for (int k = 0; k < n; k++)
        v = v * 10 + (peek(p, at + (size_t)k) - '0');
    return v;
}

/* tomli's time regex at offset `at`: HH:MM:SS(.fraction)?; returns length or 0. */
static size_t match_time(const struct parser *p, size_t at, struct mse_toml_datetime *dt)
{
    int h = digits_at(p, at, 2), m = digits_at(p, at + 3, 2), s = digits_at(p, at + 6, 2);
    if (h < 0 || h > 23 || peek(p, at + 2) != ':' || m < 0 || m > 59 || peek(p, at + 5) != ':' ||
        s < 0 || s > 59)
        return 0;
    dt->hour = h;
    dt->minute = m;
    dt->second = s;
    dt->micro = 0;
    size_t n = 8;
    if (peek(p, at + 8) == '.' && is_digit(peek(p, at + 9))) {
        int kept = 0, micro = 0;
        n = 9;
        while (is_digit(peek(p, at + n))) {
            if (kept < 6) {
                micro = micro * 10 + (peek(p, at + n) - '0');
                kept++;
            }
            n++;
        }
        while (kept++ < 6)
            micro *= 10;
        dt->micro = micro;
    }
    return n;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

/* tomli's datetime regex; returns length matched, 0 if none; MSE_ERR_TOML via *bad. */
static size_t match_datetime(const struct parser *p, struct mse_toml_datetime *dt, bool *bad)
{
    int y = digits_at(p, 0, 4), mo = digits_at(p, 5, 2), d = digits_at(p, 8, 2);
    *bad = false;
    if (y < 0 || peek(p, 4) != '-' || mo < 1 || mo > 12 || peek(p, 7) != '-' || d < 1 || d > 31)
        return 0;
    memset(dt, 0, sizeof *dt);
    dt->kind = MSE_TOML_DT_DATE;
    dt->year = y;
    dt->month = mo;
    dt->day = d;
    size_t n = 10;
    int sep = peek(p, 10);
    if (sep == 'T' || sep == 't' || sep == ' ') {
        size_t tn = match_time(p, 11, dt);
        if (tn) {
            n = 11 + tn;
            dt->kind = MSE_TOML_DT_LOCAL;
            int z = peek(p, n);
            if (z == 'Z' || z == 'z') {
                dt->kind = MSE_TOML_DT_OFFSET;
                n++;
            } else if (z == '+' || z == '-') {
                int oh = digits_at(p, n + 1, 2), om = digits_at(p, n + 4, 2);
                if (oh >= 0 && oh <= 23 && peek(p, n + 3) == ':' && om >= 0 && om <= 59) {
                    dt->kind = MSE_TOML_DT_OFFSET;
                    dt->offset_min = (z == '-' ? -1 : 1) * (oh * 60 + om);
                    n += 6;
                }
            }
        }
    }
    *bad = !valid_date(y, mo, d);
    return n;
}

/* d(_?d)* for the digit class of `base`; returns length or 0. */
static size_t match_digits(const struct parser *p, size_t at, int base)
{
    size_t n = 0;
    for (;;) {
        int c = peek(p, at + n);
        bool ok = base == 16 ? is_hex(c) : base == 8 ? (c >= '0' && c <= '7')
                               : base == 2 ? (c == '0' || c == '1') : is_digit(c);
        if (!ok)
            return n;
        n++;
        if (peek(p, at + n) == '_') {
            int c2 = peek(p, at + n + 1);
            bool ok2 = base == 16 ? is_hex(c2) : base == 8 ? (c2 >= '0' && c2 <= '7')
                                   : base == 2 ? (c2 == '0' || c2 == '1') : is_digit(c2);
            if (!ok2)
                return n;
            n++;
        }
    }
}

static mse_err to_int(const struct parser *p, size_t at, size_t n, int base, bool neg,
                      int64_t *out)
{
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t k = 0; k < n; k++) {
        int c = peek(p, at + k);
        if (c == '_')
            continue;
        uint64_t d = (uint64_t)hexval(c);
        MSE_ENSURE(v <= (limit - d) / (uint64_t)base, MSE_ERR_TOML);
        v = v * (uint64_t)base + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return MSE_OK;
}

static mse_err parse_number(struct parser *p, struct mse_toml *v, bool *matched)
{
    *matched = false;
    int c1 = peek(p, 1);
    if (peek(p, 0) == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
        int base = c1 == 'x' ? 16 : c1 == 'o' ? 8 : 2;
        size_t n = match_digits(p, 2, base);
        if (n) {
            *matched = true;
            v->type = MSE_TOML_INT;
            MSE_TRY(to_int(p, 2, n, base, false, &v->i));
            p->pos += 2 + n;
            return MSE_OK;
        }
    }
    size_t n = 0;
    bool neg = false;
    if (peek(p, 0) == '+' || peek(p, 0) == '-') {
        neg = peek(p, 0) == '-';
        n = 1;
    }
    size_t int_start = n;
    if (peek(p, n) == '0')
        n++;
    else if (peek(p, n) >= '1' && peek(p, n) <= '9')
        n += match_digits(p, n, 10);
    else
        return MSE_OK;
    size_t int_len = n - int_start;
    bool is_float = false;
    if (peek(p, n) == '.' && is_digit(peek(p, n + 1))) {
        n += 1 + match_digits(p, n + 1, 10);
        is_float = true;
    }
    if (peek(p, n) == 'e' || peek(p, n) == 'E') {
        size_t e = n + 1;
        if (peek(p, e) == '+' || peek(p, e) == '-')
            e++;
        size_t dn = is_digit(peek(p, e)) ? match_digits(p, e, 10) : 0;
        if (dn) {
            n = e + dn;
            is_float = true;
        }
    }
    *matched = true;
    if (!is_float) {
        v->type = MSE_TOML_INT;
        MSE_TRY(to_int(p, int_start, int_len, 10, neg, &v->i));
        p->pos += n;
        return MSE_OK;
    }
    char tmp[128];
    size_t t = 0;
    for (size_t k = 0; k < n; k++) {
        int c = peek(p, k);
        if (c == '_')
            continue;
        MSE_ENSURE(t + 1 < sizeof tmp, MSE_ERR_LIMIT);
        tmp[t++] = (char)c;
    }
    tmp[t] = '\0';
    v->type = MSE_TOML_FLOAT;
    v->f = strtod(tmp, NULL); /* overflow gives +-inf, as Python's float() */
    p->pos += n;
    return MSE_OK;
}

/* ---- values ---- */

static mse_err parse_value(struct parser *p, struct mse_toml **out);

static mse_err parse_array(struct parser *p, struct mse_toml *arr)
{
    p->pos++;
    MSE_TRY(skip_array_ws(p));
    if (peek(p, 0) == ']') {
        p->pos++;
        return MSE_OK;
    }
    for (;;) {
        struct mse_toml *item = NULL;
        MSE_TRY(parse_value(p, &item));
        MSE_TRY(mse_toml_push(arr, item));
        MSE_TRY(skip_array_ws(p));
        int c = peek(p, 0);
        if (c == ']') {
            p->pos++;
            return MSE_OK;
        }
        MSE_ENSURE(c == ',', MSE_ERR_TOML);
        p->pos++;
        MSE_TRY(skip_array_ws(p));
        if (peek(p, 0) == ']') {
            p->pos++;
            return MSE_OK;
        }
    }
}

/*
 * Walk (creating plain tables) the first k->n - 1 parts of a dotted key from
 * `t`, as tomli's get_or_create_nest(access_lists=False) for inline tables.
 */
static mse_err key_value_pair(struct parser *p, struct key *k, struct mse_toml **val)
{
    MSE_TRY(parse_key(p, k));
    MSE_ENSURE(peek(p, 0) == '=', MSE_ERR_TOML);
    p->pos++;
    skip_ws(p);
    return parse_value(p, val);
}

/* The table a key part names inside nest, made when absent (dotted keys, headers). */
static mse_err child_table(struct parser *p, struct mse_toml *nest,
                           const struct mse_toml_buf *part, struct mse_toml **out)
{
    struct mse_toml *child = p_find(p, nest, part->p, part->n);
    if (!child) {
        child = node_new(p, MSE_TOML_TABLE);
        MSE_ENSURE(child != NULL, MSE_ERR_NOMEM);
        MSE_TRY(p_add(p, nest, part->p, part->n, child));
    }
    *out = child;
    return MSE_OK;
}

/*
 * A key's value under its last part in nest: a key defined twice is an
 * error (*val is then still the caller's), an inline table or array value is
 * closed to later additions. Otherwise *val is handed to p_add (NULL after).
 */
static mse_err add_last_part(struct parser *p, struct mse_toml *nest, const struct key *k,
                             struct mse_toml **val)
{
    const struct mse_toml_buf *stem = &k->part[k->n - 1];
    MSE_ENSURE(p_find(p, nest, stem->p, stem->n) == NULL, MSE_ERR_TOML);
    struct mse_toml *v = *val;
    if (v->type == MSE_TOML_TABLE || v->type == MSE_TOML_ARRAY)
        v->flags |= F_FROZEN;
    *val = NULL;
    return p_add(p, nest, stem->p, stem->n, v);
}

static mse_err parse_inline_table(struct parser *p, struct mse_toml *tab)
{
    mse_err err = MSE_OK;
    struct key *k = calloc(1, sizeof *k);
    struct mse_toml *val = NULL;
    MSE_ENSURE(k != NULL, MSE_ERR_NOMEM);
    p->pos++;
    skip_ws(p);
    if (peek(p, 0) == '}') {
        p->pos++;
        goto out;
    }
    for (;;) {
        MSE_CHECK_OUT(key_value_pair(p, k, &val));
        struct mse_toml *nest = tab;
        for (size_t i = 0; i + 1 < k->n; i++) {
            struct mse_toml *child;
            MSE_CHECK_OUT(child_table(p, nest, &k->part[i], &child));
            MSE_ENSURE_OUT(!(child->flags & F_FROZEN), MSE_ERR_TOML);
            MSE_ENSURE_OUT(child->type == MSE_TOML_TABLE, MSE_ERR_TOML);
            nest = child;
        }
        MSE_CHECK_OUT(add_last_part(p, nest, k, &val));
        skip_ws(p);
        int c = peek(p, 0);
        if (c == '}') {
            p->pos++;
            goto out;
        }
        MSE_ENSURE_OUT(c == ',', MSE_ERR_TOML);
        p->pos++;
        skip_ws(p);
    }
out:
    mse_toml_free(val);
    if (k) {
        for (size_t i = 0; i < MSE_TOML_MAX_DEPTH; i++)
            mse_toml_buf_free(&k->part[i]);
        free(k);
    }
    return err;
}

static mse_err parse_value_into(struct parser *p, struct mse_toml *v)
{
    int c = peek(p, 0);
    if (c == '"' || c == '\'') {
        struct mse_toml_buf b = {0};
        mse_err err = parse_string(p, &b);
        if (err == MSE_OK)
            err = mse_toml_buf_put(&b, "", 1); /* NUL terminator, not counted */
        if (err != MSE_OK) {
            mse_toml_buf_free(&b);
            return err;
        }
        v->type = MSE_TOML_STRING;
        v->slen = b.n - 1;
        v->s = (char *)b.p;
        return MSE_OK;
    }
    if (c == 't' && starts(p, "true")) {
        v->type = MSE_TOML_BOOL;
        v->b = true;
        p->pos += 4;
        return MSE_OK;
    }
    if (c == 'f' && starts(p, "false")) {
        v->type = MSE_TOML_BOOL;
        v->b = false;
        p->pos += 5;
        return MSE_OK;
    }
    if (c == '[') {
        v->type = MSE_TOML_ARRAY;
        return parse_array(p, v);
    }
    if (c == '{') {
        v->type = MSE_TOML_TABLE;
        return parse_inline_table(p, v);
    }
    bool bad;
    size_t n = match_datetime(p, &v->dt, &bad);
    if (n) {
        MSE_ENSURE(!bad, MSE_ERR_TOML);
        v->type = MSE_TOML_DATETIME;
        p->pos += n;
        return MSE_OK;
    }
    n = match_time(p, 0, &v->dt);
    if (n) {
        v->dt.kind = MSE_TOML_DT_TIME;
        v->type = MSE_TOML_DATETIME;
        p->pos += n;
        return MSE_OK;
    }
    bool matched;
    MSE_TRY(parse_number(p, v, &matched));
    if (matched)
        return MSE_OK;
    static const struct {
        const char *lit;
        double val;
    } special[] = {{"inf", INFINITY}, {"nan", NAN},   {"+inf", INFINITY},
                   {"-inf", -INFINITY}, {"+nan", NAN}, {"-nan", NAN}};
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
        if (starts(p, special[k].lit)) {
            v->type = MSE_TOML_FLOAT;
            v->f = special[k].val;
            p->pos += strlen(special[k].lit);
            return MSE_OK;
        }
    }
    return MSE_ERR_TOML;
}

static mse_err parse_value(struct parser *p, struct mse_toml **out)
{
    mse_err err = MSE_OK;
    MSE_ENSURE(p->depth < MSE_TOML_MAX_DEPTH, MSE_ERR_LIMIT);
    struct mse_toml *v = node_new(p, MSE_TOML_BOOL);
    MSE_ENSURE(v != NULL, p->nodes > MAX_NODES ? MSE_ERR_LIMIT : MSE_ERR_NOMEM);
    p->depth++;
    err = parse_value_into(p, v);
    p->depth--;
    if (err != MSE_OK) {
        mse_toml_free(v);
        return err;
    }
    *out = v;
    return MSE_OK;
}

/* ---- statements ---- */

static mse_err key_value_rule(struct parser *p, struct key *k)
{
    mse_err err = MSE_OK;
    struct mse_toml *val = NULL;
    MSE_CHECK_OUT(key_value_pair(p, k, &val));
    struct mse_toml *nest = p->cur;
    for (size_t i = 0; i + 1 < k->n; i++) {
        struct mse_toml *child;
        MSE_CHECK_OUT(child_table(p, nest, &k->part[i], &child));
        /* Dotted keys may not reopen a table defined by a header or in an earlier section. */
        MSE_ENSURE_OUT(!(child->flags & (F_EXPLICIT | F_FROZEN)), MSE_ERR_TOML);
        if (child->type == MSE_TOML_ARRAY && child->n > 0)
            child = child->items[child->n - 1];
        MSE_ENSURE_OUT(child->type == MSE_TOML_TABLE && !(child->flags & F_FROZEN),
                       MSE_ERR_TOML);
        MSE_CHECK_OUT(pend_add(p, child));
        nest = child;
    }
    MSE_CHECK_OUT(add_last_part(p, nest, k, &val));
out:
    mse_toml_free(val);
    return err;
}

/* Walk or create the table path of a header's first n-1 parts. */
static mse_err header_walk(struct parser *p, const struct key *k, struct mse_toml **out)
{
    struct mse_toml *nest = p->root;
    for (size_t i = 0; i + 1 < k->n; i++) {
        struct mse_toml *child;
        MSE_TRY(child_table(p, nest, &k->part[i], &child));
        MSE_ENSURE(!(child->flags & F_FROZEN), MSE_ERR_TOML);
        if (child->type == MSE_TOML_ARRAY && child->n > 0)
            child = child->items[child->n - 1];
        MSE_ENSURE(child->type == MSE_TOML_TABLE && !(child->flags & F_FROZEN), MSE_ERR_TOML);
        nest = child;
    }
    *out = nest;
    return MSE_OK;
}

static mse_err table_header(struct parser *p, struct key *k)
{
    struct mse_toml *nest, *t;
    p->pos++;
    skip_ws(p);
    MSE_TRY(parse_key(p, k));
    MSE_ENSURE(peek(p, 0) == ']', MSE_ERR_TOML);
    p->pos++;
    MSE_TRY(header_walk(p, k, &nest));
    const struct mse_toml_buf *stem = &k->part[k->n - 1];
    t = p_find(p, nest, stem->p, stem->n);
    if (!t) {
        t = node_new(p, MSE_TOML_TABLE);
        MSE_ENSURE(t != NULL, MSE_ERR_NOMEM);
        MSE_TRY(p_add(p, nest, stem->p, stem->n, t));
    }
    /* A table is declared once; not over dotted keys, an inline table or a value. */
    MSE_ENSURE(!(t->flags & (F_EXPLICIT | F_FROZEN)), MSE_ERR_TOML);
    t->flags |= F_EXPLICIT;
    if (t->type == MSE_TOML_ARRAY && t->n > 0)
        t = t->items[t->n - 1];
    MSE_ENSURE(t->type == MSE_TOML_TABLE && !(t->flags & F_FROZEN), MSE_ERR_TOML);
    p->cur = t;
    return MSE_OK;
}

static mse_err array_header(struct parser *p, struct key *k)
{
    struct mse_toml *nest, *arr, *t;
    p->pos += 2;
    skip_ws(p);
    MSE_TRY(parse_key(p, k));
    MSE_TRY(header_walk(p, k, &nest));
    const struct mse_toml_buf *stem = &k->part[k->n - 1];
    arr = p_find(p, nest, stem->p, stem->n);
    if (!arr) {
        arr = node_new(p, MSE_TOML_ARRAY);
        MSE_ENSURE(arr != NULL, MSE_ERR_NOMEM);
        MSE_TRY(p_add(p, nest, stem->p, stem->n, arr));
    }
    /* Only an array made by [[...]] grows; static arrays are frozen. */
    MSE_ENSURE(arr->type == MSE_TOML_ARRAY && !(arr->flags & F_FROZEN), MSE_ERR_TOML);
    arr->flags |= F_EXPLICIT;
    t = node_new(p, MSE_TOML_TABLE);
    MSE_ENSURE(t != NULL, MSE_ERR_NOMEM);
    MSE_TRY(mse_toml_push(arr, t));
    MSE_ENSURE(starts(p, "]]"), MSE_ERR_TOML);
    p->pos += 2;
    p->cur = t;
    return MSE_OK;
}

/* Strict UTF-8 as Python's decoder: no overlongs, surrogates or code points past U+10FFFF. */
bool mse_toml_utf8_valid(const void *data, size_t len)
{
    const uint8_t *s = data;
    size_t k = 0;
    while (k < len) {
        uint8_t c = s[k];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            k++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (n > len - k - 1)
            return false;
        for (size_t j = 1; j <= n; j++) {
            if ((s[k + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[k + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        k += n + 1;
    }
    return true;
}

static mse_err parse_document(struct parser *p, struct key *k)
{
    for (;;) {
        skip_ws(p);
        int c = peek(p, 0);
        if (c == -1)
            return MSE_OK;
        if (c == '\n') {
            p->pos++;
            continue;
        }
        if (is_bare(c) || c == '"' || c == '\'') {
            MSE_TRY(key_value_rule(p, k));
            skip_ws(p);
        } else if (c == '[') {
            pend_finalize(p);
            if (peek(p, 1) == '[')
                MSE_TRY(array_header(p, k));
            else
                MSE_TRY(table_header(p, k));
            skip_ws(p);
        } else {
            MSE_ENSURE(c == '#', MSE_ERR_TOML);
        }
        MSE_TRY(skip_comment(p));
        c = peek(p, 0);
        if (c == -1)
            return MSE_OK;
        MSE_ENSURE(c == '\n', MSE_ERR_TOML);
        p->pos++;
    }
}

static size_t line_of(const struct parser *p)
{
    size_t line = 1;
    for (size_t k = 0; k < p->pos && k < p->len; k++)
        if (p->src[k] == '\n')
            line++;
    return line;
}

mse_err mse_toml_parse(const void *src, size_t len, struct mse_toml **out, size_t *err_line)
{
    mse_err err = MSE_OK;
    struct parser p = {0};
    struct key *k = NULL;
    uint8_t *norm = NULL;
    const uint8_t *in = src;
    if (err_line)
        *err_line = 0;
    *out = NULL;
    MSE_ENSURE(len <= MSE_TOML_MAX_INPUT, MSE_ERR_LIMIT);
    MSE_ENSURE(src != NULL || len == 0, MSE_ERR_ARG);
    MSE_ENSURE(len == 0 || mse_toml_utf8_valid(in, len), MSE_ERR_TOML);
    /* tomli first replaces every CRLF with LF. */
    norm = malloc(len + 1);
    MSE_ENSURE(norm != NULL, MSE_ERR_NOMEM);
    size_t n = 0;
    if (len > 0 && memchr(in, '\r', len) == NULL) {
        memcpy(norm, in, len); /* no CR at all, the usual case: nothing to replace */
        n = len;
    } else {
        for (size_t i = 0; i < len; i++) {
            if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
                continue;
            norm[n++] = in[i];
        }
    }
    p.src = norm;
    p.len = n;
    k = calloc(1, sizeof *k);
    MSE_ENSURE_OUT(k != NULL, MSE_ERR_NOMEM);
    p.root = node_new(&p, MSE_TOML_TABLE);
    MSE_ENSURE_OUT(p.root != NULL, MSE_ERR_NOMEM);
    p.cur = p.root;
    err = parse_document(&p, k);
    if (err != MSE_OK) {
        if (err_line)
            *err_line = line_of(&p);
        goto out;
    }
    /* Bookkeeping flags are the parser's; callers see clean nodes. */
    *out = p.root;
    p.root = NULL;
out:
    mse_toml_free(p.root);
    mse_keyindex_free(&p.index);
    free(p.pend);
    if (k) {
        for (size_t i = 0; i < MSE_TOML_MAX_DEPTH; i++)
            mse_toml_buf_free(&k->part[i]);
        free(k);
    }
    free(norm);
    return err;
}
