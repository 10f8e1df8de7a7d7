/*
 * TOML: what tomli accepts is accepted, what it refuses is refused (cases
 * below were checked against Python 3.11's tomllib, i.e. tomli 2.0), and the
 * writer prints what tomli-w 1.0.0 prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/toml.h>

#include "testlib.h"
#include "measure/pyfloat.h"

static struct mse_toml *parse_ok(const char *s)
{
    struct mse_toml *t = NULL;
    size_t line = 0;
    mse_err err = mse_toml_parse(s, strlen(s), &t, &line);
    if (err != MSE_OK)
        fprintf(stderr, "unexpected refusal (line %zu): %s\n", line, s);
    assert_int_equal(err, MSE_OK);
    return t;
}

static char *roundtrip(const char *s)
{
    struct mse_toml *t = parse_ok(s);
    char *out;
    size_t len;
    assert_int_equal(mse_toml_write(t, &out, &len), MSE_OK);
    assert_int_equal(strlen(out), len);
    mse_toml_free(t);
    return out;
}

static void test_refusals(void **state)
{
    static const char *bad[] = {
        "a = 1\na = 2\n",                 /* duplicate key */
        "\"\" = 1\n\"\" = 2\n",             /* duplicate empty key (was UB: memcmp on NULL) */
        "'' = 1\n[x]\n'' = 2\n[x]\n",      /* empty keys, table twice */
        "[a]\n[a]\n",                     /* table twice */
        "[a]\nb = 1\n[a.b]\n",            /* table over a value */
        "a.b = 1\n[a]\n",                 /* header over a dotted-key table */
        "[a]\nb.c = 1\n[a.b]\n",          /* same, one level down */
        "[a.b]\n[a]\nb.c = 1\n",          /* dotted key into an explicit table */
        "a = {b = 1}\na.c = 2\n",         /* inline tables are closed */
        "a = {b = 1}\n[a.c]\n",
        "a = [1]\n[[a]]\n",               /* static arrays are closed */
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "a = {b = 1, b = 2}\n",
        "a = {b = 1,}\n",                 /* no trailing comma in inline tables */
        "a = {b = 1\n}\n",                /* no newline in inline tables */
        "a = \"\\x\"\n",                  /* invalid escape */
        "a = \"\\uD800\"\n",              /* surrogate */
        "a = \"\\U00110000\"\n",
        "a = \"tab\x01\"\n",              /* control character */
        "a = 'x\x7f'\n",
        "# comment \x01\n",
        "a = \"x\ry\"\n",                 /* bare CR */
        "a = 1\rb = 2\n",
        "a = \"unterminated\n",
        "a = '''x''",
        "a = 01\n",                       /* leading zero */
        "a = 1__0\n",
        "a = _1\n",
        "a = 0x\n",
        "a = +0x1\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1e\n",
        "a = 9223372036854775808\n",      /* past int64: tomli has bignums, TOML 1.0 lets us refuse */
        "a = -9223372036854775809\n",
        "a = 0x8000000000000000\n",
        "a = 1979-02-29\n",               /* not a leap year */
        "a = 0000-01-01\n",
        "a = 1979-05-27T25:00:00\n",
        "a = 1979-05-27T07:32\n",
        "a = true false\n",
        "a = tru\n",
        "a =\n",
        "= 1\n",
        "a b = 1\n",
        "[a\n",
        "[[a]\n",
        "[ [a]]\n",
        "a.'' .= 1\n",
        ("\xef\xbb\xbf" "a = 1\n"),        /* byte order mark */
        "a = \"\xc3\x28\"\n",             /* invalid UTF-8 */
        "a = \"\xed\xa0\x80\"\n",         /* encoded surrogate */
        "a = \"\xc0\xaf\"\n",             /* overlong */
        "a = [1 2]\n",
        "a = [,]\n",
        "a = \"\"\"\\ x\n\"\"\"\n",       /* line-ending backslash followed by text */
        "x = 1 # ok\ny = 2 z\n",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct mse_toml *t = NULL;
        mse_err err = mse_toml_parse(bad[k], strlen(bad[k]), &t, NULL);
        if (err == MSE_OK)
            fprintf(stderr, "accepted: %s\n", bad[k]);
        assert_int_not_equal(err, MSE_OK);
        assert_null(t);
    }
}

static void test_accepts(void **state)
{
    struct mse_toml *t = parse_ok(
        "a.b.c = 1\n"
        "a.b.d = 2\n"
        "[x.y.z]\n"
        "[x]\n"                            /* implicit table may be declared later */
        "k = \"\\u00e9\\U0001F600\\t\"\n"
        "[[arr]]\n"
        "n = 1\n"
        "[arr.sub]\n"
        "m = 2\n"
        "[[arr]]\n"
        "sub.m = 3\n"                      /* a fresh element: dotted key allowed again */
        "[t]\r\n"
        "h = 0xff\n"
        "o = 0o17\n"
        "b = 0b11\n"
        "d = -9_223_372_036_854_775_808\n"
        "f = 6.02e+23\n"
        "i = -inf\n"
        "s = '''\nraw\\n'''\n"
        "m = \"\"\"\\\n   trimmed \"\"\"\"\n"
        "dt = 1979-05-27 07:32:00.9999999-07:00\n"
        "lt = 07:32:00\n");
    struct mse_toml *x = mse_toml_get(t, "x");
    assert_string_equal(mse_toml_get(x, "k")->s, "\xc3\xa9\xf0\x9f\x98\x80\t");
    struct mse_toml *arr = mse_toml_get(t, "arr");
    assert_int_equal(arr->type, MSE_TOML_ARRAY);
    assert_int_equal(arr->n, 2);
    struct mse_toml *tt = mse_toml_get(t, "t");
    assert_int_equal(mse_toml_get(tt, "h")->i, 255);
    assert_int_equal(mse_toml_get(tt, "o")->i, 15);
    assert_int_equal(mse_toml_get(tt, "b")->i, 3);
    assert_true(mse_toml_get(tt, "d")->i == INT64_MIN);
    assert_true(isinf(mse_toml_get(tt, "i")->f));
    assert_string_equal(mse_toml_get(tt, "s")->s, "raw\\n");
    assert_string_equal(mse_toml_get(tt, "m")->s, "trimmed \"");
    struct mse_toml *dt = mse_toml_get(tt, "dt");
    assert_int_equal(dt->dt.kind, MSE_TOML_DT_OFFSET);
    assert_int_equal(dt->dt.micro, 999999);
    assert_int_equal(dt->dt.offset_min, -420);
    assert_int_equal(mse_toml_get(tt, "lt")->dt.kind, MSE_TOML_DT_TIME);
    mse_toml_free(t);
    /* \u0000 survives as a byte of the value */
    t = parse_ok("a = \"x\\u0000y\"\n");
    assert_int_equal(mse_toml_get(t, "a")->slen, 3);
    mse_toml_free(t);
}

static void test_writer_layout(void **state)
{
    /* Values first, then sub-tables; no [a] header for a table holding only tables. */
    char *out = roundtrip("[a.b]\nx = 1\n[c]\ny = 2\n");
    assert_string_equal(out, "[a.b]\nx = 1\n\n[c]\ny = 2\n");
    free(out);
    out = roundtrip("t.v = 1\ntop = [1, [2]]\n\"k y\" = {}\n[e]\n");
    /* An empty table is a table, not an inline {}. */
    assert_string_equal(out, "top = [\n    1,\n    [\n        2,\n    ],\n]\n\n"
                             "[t]\nv = 1\n\n[\"k y\"]\n\n[e]\n");
    free(out);
    /* An array of tables stays inline while each item fits in 100 columns. */
    out = roundtrip("m = [{ p = \"/lib\", u = \"file:x\" }]\n");
    assert_string_equal(out, "m = [\n    { p = \"/lib\", u = \"file:x\" },\n]\n");
    free(out);
    char big[256];
    snprintf(big, sizeof big, "m = [{ k = \"%0*d\" }]\n", 86, 0); /* 15 + 86 = 101 columns */
    out = roundtrip(big);
    assert_non_null(strstr(out, "[[m]]\nk = \""));
    free(out);
    snprintf(big, sizeof big, "m = [{ k = \"%0*d\" }]\n", 85, 0); /* exactly 100 */
    out = roundtrip(big);
    assert_non_null(strstr(out, "m = [\n    { k = "));
    free(out);
    /* Escapes as tomli-w: compact ones, \u00XX for other controls, tab and UTF-8 kept. */
    out = roundtrip("s = \"\\b\\t\\n\\f\\r\\\"\\\\\\u0001\\u007f\\u00e9\"\n");
    assert_string_equal(out, "s = \"\\b\t\\n\\f\\r\\\"\\\\\\u0001\\u007f\xc3\xa9\"\n");
    free(out);
    /* Datetimes as Python's str(). */
    out = roundtrip("a = 1979-05-27T07:32:00Z\nb = 1979-05-27t07:32:00.5\nc = 07:32:00.000001\n");
    assert_string_equal(out, "a = 1979-05-27 07:32:00+00:00\nb = 1979-05-27 07:32:00.500000\n"
                             "c = 07:32:00.000001\n");
    free(out);
}

static void test_roundtrip_stable(void **state)
{
    /* Writer output parses back to the same output (a fixed point). */
    const char *src = "x = [{a = 1}, 2, \"s\"]\n[[p.q]]\nr = {s.t = [[]]}\n[u]\n'v w' = 0x10\n";
    char *one = roundtrip(src);
    char *two = roundtrip(one);
    assert_string_equal(one, two);
    free(one);
    free(two);
}

static void test_floats(void **state)
{
    /* The pure writer cannot format floats; with Python's repr supplied it prints them as tomli-w. */
    struct mse_toml *t = parse_ok("f = [1.5, 1e16, 1e-5, 2.0, -0.0, 1_0.25, inf, nan, 0.1]\n");
    char *out = NULL;
    size_t len;
    assert_int_equal(mse_toml_write(t, &out, &len), MSE_ERR_UNSUPPORTED);
    assert_null(out);
    assert_int_equal(mse_toml_write_ex(t, mse_py_float_repr, &out, &len), MSE_OK);
    assert_string_equal(out, "f = [\n    1.5,\n    1e+16,\n    1e-05,\n    2.0,\n    -0.0,\n"
                             "    10.25,\n    inf,\n    nan,\n    0.1,\n]\n");
    free(out);
    mse_toml_free(t);
}

static void test_depth_limit(void **state)
{
    char deep[400];
    size_t n = 0;
    for (int k = 0; k < 100; k++)
        deep[n++] = '[';
    deep[n] = '\0';
    char doc[512];
    snprintf(doc, sizeof doc, "a = %s\n", deep);
    struct mse_toml *t = NULL;
    assert_int_equal(mse_toml_parse(doc, strlen(doc), &t, NULL), MSE_ERR_LIMIT);
}

/* Large tables go through the parser's key index: every duplicate is still
 * found (the first key, one in the middle, the last, across the index's
 * growth), in plain, dotted, header and inline-table form, on the right line. */
static void test_large_tables(void **state)
{
    enum { N = 3000 };
    size_t cap = N * 40 + 256, n;
    char *doc = malloc(cap);
    assert_non_null(doc);
    static const int dup_of[] = {0, 1, 1499, N - 1};
    for (size_t d = 0; d < sizeof dup_of / sizeof dup_of[0]; d++) {
        n = (size_t)snprintf(doc, cap, "[t]\n");
        for (int k = 0; k < N; k++)
            n += (size_t)snprintf(doc + n, cap - n, "\"d%03d/f%04d.py\" = %d\n", k / 20, k, k);
        n += (size_t)snprintf(doc + n, cap - n, "\"d%03d/f%04d.py\" = 0\n", dup_of[d] / 20,
                              dup_of[d]);
        struct mse_toml *t = NULL;
        size_t line = 0;
        assert_int_equal(mse_toml_parse(doc, n, &t, &line), MSE_ERR_TOML);
        assert_int_equal(line, N + 2);
        assert_null(t);
    }
    /* Without the duplicate: every key is there, in order, with its value. */
    n = (size_t)snprintf(doc, cap, "[t]\n");
    for (int k = 0; k < N; k++)
        n += (size_t)snprintf(doc + n, cap - n, "\"d%03d/f%04d.py\" = %d\n", k / 20, k, k);
    struct mse_toml *t = NULL;
    assert_int_equal(mse_toml_parse(doc, n, &t, NULL), MSE_OK);
    const struct mse_toml *tab = mse_toml_get_type(t, "t", MSE_TOML_TABLE);
    assert_non_null(tab);
    assert_int_equal(tab->n, N);
    for (int k = 0; k < N; k += 7) {
        char key[32];
        snprintf(key, sizeof key, "d%03d/f%04d.py", k / 20, k);
        assert_string_equal(tab->kv[k].key, key);
        assert_int_equal(mse_toml_get_type(tab, key, MSE_TOML_INT)->i, k);
    }
    mse_toml_free(t);
    /* The same key in two tables is two keys; a dotted key, a header and an
     * inline table meeting an existing key are refused. */
    static const char *ok[] = {"[a]\nk = 1\n[b]\nk = 1\n", "a.k = 1\nb.k = 2\nk = 3\n"};
    static const char *bad[] = {"a.k = 1\n[a]\n", "[a]\nk = 1\n[a.k]\n",
                                "x = {a = 1, b = 2, a = 3}\n", "[a]\n[b]\n[a]\n"};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(mse_toml_parse(ok[k], strlen(ok[k]), &t, NULL), MSE_OK);
        mse_toml_free(t);
    }
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(mse_toml_parse(bad[k], strlen(bad[k]), &t, NULL), MSE_ERR_TOML);
    free(doc);
}

static void test_builders(void **state)
{
    struct mse_toml *t = mse_toml_new(MSE_TOML_TABLE);
    assert_int_equal(mse_toml_set(t, "b", mse_toml_new_int(1)), MSE_OK);
    assert_int_equal(mse_toml_set(t, "a", mse_toml_new_bool(true)), MSE_OK);
    assert_int_equal(mse_toml_set(t, "b", mse_toml_new_string("x", 1)), MSE_OK); /* keeps place */
    char *out;
    size_t len;
    assert_int_equal(mse_toml_write(t, &out, &len), MSE_OK);
    assert_string_equal(out, "b = \"x\"\na = true\n");
    free(out);
    struct mse_toml *c = mse_toml_clone(t);
    assert_int_equal(mse_toml_write(c, &out, &len), MSE_OK);
    assert_string_equal(out, "b = \"x\"\na = true\n");
    free(out);
    mse_toml_free(c);
    mse_toml_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_writer_layout),  cmocka_unit_test(test_roundtrip_stable),
        cmocka_unit_test(test_floats), cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_builders),   cmocka_unit_test(test_large_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
