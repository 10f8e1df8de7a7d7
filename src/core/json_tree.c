/*
 * Intel's signed JSON collateral (TCB info, QE identity), held as one array
 * of values in document order instead of jansson's tree of allocations.
 *
 * What is accepted, and every error, is jansson's (json_loadb with
 * JSON_REJECT_DUPLICATES, through mse_json_load_strict): the text is first
 * read here, but only in a plain subset whose meaning under jansson is not
 * in doubt: ASCII strings without escapes, integers of at most 18 digits,
 * true/false/null, objects of at most FAST_MEMBERS distinct keys, nesting at
 * most FAST_DEPTH deep, top-level object. Anything else (an escape, a byte
 * outside ASCII, a real number, a repeated key, any syntax error) stops that
 * reading, and jansson then parses the text as before: its error is the
 * answer, or its tree is copied into the array. So the two parsers cannot
 * disagree: the subset is read only where jansson gives the same values.
 *
 * Why: Intel's TCB info is ~11 KB of small objects (16 SVN components per
 * TCB level in v3); jansson made a hash table and several allocations for
 * each, about 1.2 M instructions per verification of the 5.8 M that are not
 * ECDSA (issue 13).
 *
 * Layout: a value is followed by its children; an object's children are
 * key, value, key, value...; `size` counts a value's nodes with its own, so
 * the next sibling of v is v + v->size. Strings live NUL-terminated in one
 * buffer no larger than the text (an escape never decodes longer than it is
 * written).
 */
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>

#include "dcap.h"

#define FAST_DEPTH 32   /* jansson's own limit is 2048 */
#define FAST_MEMBERS 32 /* repeated keys are looked for by comparing with each earlier key */
#define FAST_DIGITS 18  /* always within jansson's json_int_t (long long) */

/* The subset reading stops: not an answer, jansson decides. */
#define UNSURE MSE_ERR_JSON

struct jparse {
    struct mse_rd rd;
    struct mse_jdoc *doc;
};

void mse_jdoc_free(struct mse_jdoc *d)
{
    free(d->v);
    free(d->strings);
    memset(d, 0, sizeof *d);
}

/* A new value at the end of the array; its index in *at (the array may move). */
static mse_err push(struct mse_jdoc *d, enum mse_jtype type, size_t *at)
{
    if (d->n == d->cap) {
        size_t cap = d->cap != 0 ? 2 * d->cap : 256;
        MSE_ENSURE(cap <= UINT32_MAX, MSE_ERR_LIMIT);
        struct mse_jval *v = realloc(d->v, cap * sizeof *v);
        MSE_ENSURE(v != NULL, MSE_ERR_NOMEM);
        d->v = v;
        d->cap = cap;
    }
    *at = d->n++;
    memset(&d->v[*at], 0, sizeof d->v[*at]);
    d->v[*at].type = (uint8_t)type;
    d->v[*at].size = 1;
    return MSE_OK;
}

/* The next byte, not consumed; 0 at the end (never a token of the subset). */
static uint8_t peek(const struct mse_rd *rd)
{
    struct mse_rd t = *rd;
    uint8_t c;
    return mse_rd_u8(&t, &c) == MSE_OK ? c : 0;
}

/* After the opening quote: printable ASCII up to the closing quote. */
static mse_err fast_string(struct jparse *p)
{
    struct mse_jdoc *d = p->doc;
    size_t at, start = d->used;
    uint8_t c;
    /* Room for every byte left and a NUL (always: see the file comment), checked once here. */
    MSE_ENSURE(d->used + mse_rd_left(&p->rd) <= d->strings_cap, MSE_ERR_INTERNAL);
    MSE_TRY(push(d, MSE_JSON_STRING, &at));
    for (;;) {
        MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
        if (c == '"')
            break;
        /* Escapes, control bytes (refused by jansson) and UTF-8 are jansson's to read. */
        MSE_ENSURE(c >= 0x20 && c < 0x80 && c != '\\', UNSURE);
        d->strings[d->used++] = (char)c;
    }
    d->strings[d->used++] = '\0';
    d->v[at].str = d->strings + start;
    d->v[at].len = (uint32_t)(d->used - start - 1);
    return MSE_OK;
}

/*
 * -?(0|[1-9][0-9]*); c is its first byte. What follows (a fraction, an
 * exponent, a letter) must be the enclosing object's or array's ',' '}' ']',
 * which the caller checks: so a real number stops the reading there.
 */
static mse_err fast_integer(struct jparse *p, uint8_t c)
{
    size_t at, digits = 0;
    int64_t v = 0;
    bool neg = c == '-';
    if (neg)
        MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
    MSE_ENSURE(c >= '0' && c <= '9', UNSURE);
    for (;;) {
        MSE_ENSURE(++digits <= FAST_DIGITS, UNSURE);
        v = v * 10 + (c - '0');
        c = peek(&p->rd);
        if (c < '0' || c > '9')
            break;
        /* A leading zero followed by digits is refused by jansson. */
        MSE_ENSURE(v != 0, UNSURE);
        MSE_TRY_AS(mse_rd_skip(&p->rd, 1), UNSURE);
    }
    MSE_TRY(push(p->doc, MSE_JSON_INTEGER, &at));
    p->doc->v[at].integer = neg ? -v : v;
    return MSE_OK;
}

/* The rest of true/false/null; what follows must be the enclosing , } ] (the caller checks). */
static mse_err fast_literal(struct jparse *p, const char *rest, enum mse_jtype type)
{
    size_t at, n = strlen(rest);
    const uint8_t *word;
    MSE_TRY_AS(mse_rd_bytes(&p->rd, n, &word), UNSURE);
    MSE_ENSURE(memcmp(word, rest, n) == 0, UNSURE);
    return push(p->doc, type, &at);
}

static mse_err fast_value(struct jparse *p, size_t depth);

/* Whether the key just read (node at `key`) is one of the object's earlier keys. */
static bool repeated_key(const struct mse_jdoc *d, size_t obj, size_t count, size_t key)
{
    size_t k = obj + 1;
    for (size_t i = 0; i < count; i++) {
        if (d->v[k].len == d->v[key].len && memcmp(d->v[k].str, d->v[key].str, d->v[k].len) == 0)
            return true;
        k += 1 + d->v[k + 1].size;
    }
    return false;
}

static mse_err fast_object(struct jparse *p, size_t depth)
{
    struct mse_jdoc *d = p->doc;
    size_t at, count = 0;
    uint8_t c;
    MSE_TRY(push(d, MSE_JSON_OBJECT, &at));
    mse_json_skip_ws(&p->rd);
    if (peek(&p->rd) == '}') {
        MSE_TRY_AS(mse_rd_skip(&p->rd, 1), UNSURE);
    } else {
        for (;;) {
            MSE_ENSURE(count < FAST_MEMBERS, UNSURE);
            mse_json_skip_ws(&p->rd);
            MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
            MSE_ENSURE(c == '"', UNSURE);
            size_t key = d->n;
            MSE_TRY(fast_string(p));
            /* jansson reports the repeated key itself (MSE_ERR_JSON_DUPLICATE_KEY). */
            MSE_ENSURE(!repeated_key(d, at, count, key), UNSURE);
            mse_json_skip_ws(&p->rd);
            MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
            MSE_ENSURE(c == ':', UNSURE);
            MSE_TRY(fast_value(p, depth + 1));
            count++;
            mse_json_skip_ws(&p->rd);
            MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
            if (c == '}')
                break;
            MSE_ENSURE(c == ',', UNSURE);
        }
    }
    d->v[at].count = (uint32_t)count;
    d->v[at].size = (uint32_t)(d->n - at);
    return MSE_OK;
}

static mse_err fast_array(struct jparse *p, size_t depth)
{
    struct mse_jdoc *d = p->doc;
    size_t at, count = 0;
    uint8_t c;
    MSE_TRY(push(d, MSE_JSON_ARRAY, &at));
    mse_json_skip_ws(&p->rd);
    if (peek(&p->rd) == ']') {
        MSE_TRY_AS(mse_rd_skip(&p->rd, 1), UNSURE);
    } else {
        for (;;) {
            MSE_TRY(fast_value(p, depth + 1));
            count++;
            mse_json_skip_ws(&p->rd);
            MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
            if (c == ']')
                break;
            MSE_ENSURE(c == ',', UNSURE);
        }
    }
    MSE_ENSURE(count <= UINT32_MAX, MSE_ERR_LIMIT);
    d->v[at].count = (uint32_t)count;
    d->v[at].size = (uint32_t)(d->n - at);
    return MSE_OK;
}

static mse_err fast_value(struct jparse *p, size_t depth)
{
    uint8_t c;
    MSE_ENSURE(depth <= FAST_DEPTH, UNSURE);
    mse_json_skip_ws(&p->rd);
    MSE_TRY_AS(mse_rd_u8(&p->rd, &c), UNSURE);
    switch (c) {
    case '{': return fast_object(p, depth);
    case '[': return fast_array(p, depth);
    case '"': return fast_string(p);
    case 't': return fast_literal(p, "rue", MSE_JSON_TRUE);
    case 'f': return fast_literal(p, "alse", MSE_JSON_FALSE);
    case 'n': return fast_literal(p, "ull", MSE_JSON_NULL);
    default: return fast_integer(p, c);
    }
}

/* ---- jansson's tree, copied ------------------------------------------------- */

static mse_err copy_string(struct mse_jdoc *d, const char *s, size_t len)
{
    size_t at;
    /* Never short (decoded strings are no longer than their text), but checked all the same. */
    MSE_ENSURE(len < d->strings_cap && d->used <= d->strings_cap - len - 1, MSE_ERR_INTERNAL);
    MSE_TRY(push(d, MSE_JSON_STRING, &at));
    memcpy(d->strings + d->used, s, len);
    d->strings[d->used + len] = '\0';
    d->v[at].str = d->strings + d->used;
    d->v[at].len = (uint32_t)len;
    d->used += len + 1;
    return MSE_OK;
}

/* Recursion as deep as jansson's own parse of the same text (at most 2048). */
static mse_err copy_value(struct mse_jdoc *d, json_t *j)
{
    size_t at;
    const char *key;
    json_t *member;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        MSE_TRY(push(d, MSE_JSON_OBJECT, &at));
        json_object_foreach (j, key, member) {
            /* jansson refuses NUL in keys, so the key's length is its strlen. */
            MSE_TRY(copy_string(d, key, strlen(key)));
            MSE_TRY(copy_value(d, member));
        }
        d->v[at].count = (uint32_t)json_object_size(j);
        break;
    case JSON_ARRAY:
        MSE_TRY(push(d, MSE_JSON_ARRAY, &at));
        for (size_t i = 0; i < json_array_size(j); i++)
            MSE_TRY(copy_value(d, json_array_get(j, i)));
        d->v[at].count = (uint32_t)json_array_size(j);
        break;
    case JSON_STRING: return copy_string(d, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        MSE_TRY(push(d, MSE_JSON_INTEGER, &at));
        d->v[at].integer = json_integer_value(j);
        return MSE_OK;
    case JSON_REAL: return push(d, MSE_JSON_REAL, &at);
    case JSON_TRUE: return push(d, MSE_JSON_TRUE, &at);
    case JSON_FALSE: return push(d, MSE_JSON_FALSE, &at);
    default: return push(d, MSE_JSON_NULL, &at);
    }
    d->v[at].size = (uint32_t)(d->n - at);
    return MSE_OK;
}

static mse_err parse_with_jansson(const uint8_t *text, size_t len, struct mse_jdoc *d)
{
    json_t *j = NULL;
    d->n = 0;
    d->used = 0;
    MSE_TRY(mse_json_load_strict(text, len, &j));
    mse_err err = copy_value(d, j);
    json_decref(j);
    return err;
}

mse_err mse_jdoc_parse(const uint8_t *text, size_t len, struct mse_jdoc *out)
{
    struct jparse p = {.doc = out};
    mse_err err;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(text != NULL, MSE_ERR_JSON);
    MSE_ENSURE(len <= MSE_COLLATERAL_JSON_MAX, MSE_ERR_LIMIT);
    out->strings_cap = len + 1;
    out->strings = malloc(out->strings_cap);
    MSE_ENSURE(out->strings != NULL, MSE_ERR_NOMEM);
    mse_rd_init(&p.rd, text, len);
    mse_json_skip_ws(&p.rd);
    /* jansson also takes a top-level array; only objects are read here. */
    err = peek(&p.rd) == '{' ? fast_value(&p, 1) : UNSURE;
    if (err == MSE_OK) {
        mse_json_skip_ws(&p.rd);
        err = mse_rd_left(&p.rd) == 0 ? MSE_OK : UNSURE;
    }
    if (err == UNSURE)
        err = parse_with_jansson(text, len, out);
    if (err != MSE_OK)
        mse_jdoc_free(out);
    return err;
}

/* ---- reading ----------------------------------------------------------------- */

const struct mse_jval *mse_jval_member(const struct mse_jval *obj, const char *key)
{
    if (obj == NULL || obj->type != MSE_JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    const struct mse_jval *k = obj + 1;
    for (uint32_t i = 0; i < obj->count; i++) {
        if (k->len == n && memcmp(k->str, key, n) == 0)
            return k + 1;
        k += 1 + k[1].size;
    }
    return NULL;
}

const struct mse_jval *mse_jval_element(const struct mse_jval *arr, size_t i)
{
    if (arr == NULL || arr->type != MSE_JSON_ARRAY || i >= arr->count)
        return NULL;
    const struct mse_jval *e = arr + 1;
    while (i-- > 0)
        e += e->size;
    return e;
}
