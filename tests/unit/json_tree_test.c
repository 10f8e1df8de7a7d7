/*
 * json_tree.c against jansson (mse_json_load_strict), which it must equal:
 * the same code for every text, and for every accepted text the same values.
 * Texts: edge cases of each part of the grammar on both sides of the subset
 * json_tree.c reads itself (escapes, UTF-8, reals, integer lengths, leading
 * zeros, literals, repeated keys, member counts, nesting depth, trailing
 * bytes), every prefix of Intel's real TCB info and QE identity, and every
 * byte of the QE identity replaced by each of a few bytes that change the
 * grammar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/collateral.h>

#include "dcap.h"
#include "testlib.h"

static void same_value(const struct mse_jval *v, json_t *j)
{
    const char *key;
    json_t *member;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        assert_int_equal(v->type, MSE_JSON_OBJECT);
        assert_int_equal(v->count, json_object_size(j));
        json_object_foreach (j, key, member) {
            const struct mse_jval *m = mse_jval_member(v, key);
            assert_non_null(m);
            same_value(m, member);
        }
        break;
    case JSON_ARRAY: {
        assert_int_equal(v->type, MSE_JSON_ARRAY);
        assert_int_equal(v->count, json_array_size(j));
        const struct mse_jval *e = v + 1;
        for (size_t i = 0; i < json_array_size(j); i++, e += e->size) {
            assert_ptr_equal(mse_jval_element(v, i), e);
            same_value(e, json_array_get(j, i));
        }
        assert_null(mse_jval_element(v, json_array_size(j)));
        break;
    }
    case JSON_STRING:
        assert_int_equal(v->type, MSE_JSON_STRING);
        assert_int_equal(v->len, json_string_length(j));
        assert_memory_equal(v->str, json_string_value(j), v->len);
        assert_int_equal(v->str[v->len], '\0');
        break;
    case JSON_INTEGER:
        assert_int_equal(v->type, MSE_JSON_INTEGER);
        assert_true(v->integer == json_integer_value(j));
        break;
    case JSON_REAL: assert_int_equal(v->type, MSE_JSON_REAL); break;
    case JSON_TRUE: assert_int_equal(v->type, MSE_JSON_TRUE); break;
    case JSON_FALSE: assert_int_equal(v->type, MSE_JSON_FALSE); break;
    default: assert_int_equal(v->type, MSE_JSON_NULL); break;
    }
}

/* Sizes: each value's subtree ends where its parent's next child (or the parent) ends. */
static void sizes_add_up(const struct mse_jdoc *d)
{
    assert_int_equal(d->v[0].size, d->n);
    for (size_t i = 0; i < d->n; i++) {
        const struct mse_jval *v = &d->v[i];
        if (v->type != MSE_JSON_OBJECT && v->type != MSE_JSON_ARRAY) {
            assert_int_equal(v->size, 1);
            continue;
        }
        size_t children = v->type == MSE_JSON_OBJECT ? 2 * (size_t)v->count : v->count, total = 1;
        const struct mse_jval *c = v + 1;
        for (size_t k = 0; k < children; k++) {
            total += c->size;
            c += c->size;
        }
        assert_int_equal(total, v->size);
    }
}

static void agree(const uint8_t *text, size_t len)
{
    struct mse_jdoc doc;
    json_t *j = NULL;
    mse_err want = mse_json_load_strict(text, len, &j);
    mse_err got = mse_jdoc_parse(text, len, &doc);
    assert_int_equal(got, want);
    if (want == MSE_OK) {
        same_value(doc.v, j);
        sizes_add_up(&doc);
        json_decref(j);
    }
    mse_jdoc_free(&doc);
}

static void agree_str(const char *text)
{
    agree((const uint8_t *)text, strlen(text));
}

static void test_grammar_edges(void **state)
{
    static const char *const texts[] = {
        /* the subset */
        "{}", " {\t\"a\" :\n1 ,\r\"b\":[ ] } ", "{\"a\":[1,-2,0,-0,true,false,null,\"x\",{},[]]}",
        "{\"\":\"\"}", "{\"a\":{\"b\":{\"c\":[[[\"d\"]]]}}}", "{\"a\":\"~ !#$%&'()*+,-./:;<=>?@[]^_`{|}\x7f\"}",
        /* integers: 18 digits are read here, 19 and more by jansson (also when too big) */
        "{\"a\":999999999999999999}", "{\"a\":-999999999999999999}", "{\"a\":9223372036854775807}",
        "{\"a\":-9223372036854775808}", "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}",
        "{\"a\":123456789012345678901234567890}", "{\"a\":01}", "{\"a\":-01}", "{\"a\":00}",
        "{\"a\":-}", "{\"a\":-a}", "{\"a\":+1}", "{\"a\":1a}", "{\"a\":0x1}", "{\"a\":10}",
        /* reals */
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1E+3}", "{\"a\":-0.0e-7}", "{\"a\":1.}", "{\"a\":.5}",
        "{\"a\":1e}", "{\"a\":1e999}", "{\"a\":-1e999}", "{\"a\":1e-999}", "{\"a\":0.5e}",
        /* literals */
        "{\"a\":true}", "{\"a\":truex}", "{\"a\":trueX}", "{\"a\":tru}", "{\"a\":nul}",
        "{\"a\":null1}", "{\"a\":True}", "{\"a\":false,\"b\":null}", "{\"a\":nulll}",
        /* strings: escapes, control bytes, UTF-8 */
        "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"a\":\"\\u0041\\u00e9\\u20ac\"}",
        "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude00\"}",
        "{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\u00\"}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\t\"}", "{\"a\":\"\x1f\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xff\"}", "{\"a\":\"abc}", "{\"a\":\"abc\\\"}", "{\"\\u0000\":1}",
        /* keys: repeated, also under another spelling */
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"a\":1,\"b\":{\"a\":2}}",
        "{\"a\":{\"b\":1,\"b\":2}}", "{\"ab\":1,\"a\":2,\"b\":3}", "{\"a\":1,\"b\":2,\"a\":[}",
        "{\"a\":[},\"a\":1}",
        /* syntax */
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{,\"a\":1}",
        "{\"a\":1 \"b\":2}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{a:1}",
        "{'a':1}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":1}\x00", "\xef\xbb\xbf{}",
        "{\"a\":1}\n", "[]", "[1,2]", "1", "\"a\"", "null", "{\"a\":[1,2]]}", "{\"a\":{]}",
        "{\"a\":1\x00}", "{\"a\":\x0b 1}", "{\"a\":\f1}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        agree_str(texts[i]);
    /* NUL bytes inside the text (strlen would stop there). */
    agree((const uint8_t *)"{\"a\":\"\0\"}", 9);
    agree((const uint8_t *)"{\"a\":1}\0", 8);
}

/* Members either side of the 32 read here, distinct or with the last key repeating the first. */
static void test_member_counts(void **state)
{
    for (int n = 30; n <= 34; n++) {
        for (int repeat = 0; repeat < 2; repeat++) {
            char text[512];
            size_t at = 0;
            text[at++] = '{';
            for (int i = 0; i < n; i++) {
                int k = repeat && i == n - 1 ? 0 : i;
                at += (size_t)snprintf(text + at, sizeof text - at, "%s\"k%d\":%d", i ? "," : "",
                                       k, i);
            }
            text[at++] = '}';
            agree((const uint8_t *)text, at);
        }
    }
}

/* Nesting either side of the 32 levels read here and of jansson's 2048. */
static void test_depths(void **state)
{
    static const size_t depths[] = {31, 32, 33, 2046, 2047, 2048, 2049};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        for (int inner = 0; inner < 2; inner++) {
            size_t d = depths[i], at = 0;
            char *text = malloc(8 * d + 16);
            assert_non_null(text);
            /* {"a":[[...[ 1 ]...]]} with d values in all: the objects, arrays and the 1. */
            at += (size_t)sprintf(text, "{\"a\":");
            for (size_t k = 2; k < d; k++)
                text[at++] = '[';
            at += (size_t)sprintf(text + at, inner ? "1" : "{}");
            for (size_t k = 2; k < d; k++)
                text[at++] = ']';
            text[at++] = '}';
            agree((const uint8_t *)text, at);
            free(text);
        }
    }
}

struct spans {
    uint8_t *json, *buf;
    struct mse_evidence ev;
};

/* The signed object span of a real PCS body. */
static void real_span(const struct mse_blob *b, const char *member, const uint8_t **span,
                      size_t *len)
{
    size_t off, n, soff, sn;
    assert_int_equal(mse_json_signed_envelope(b->data, b->len, member, &off, &n, &soff, &sn),
                     MSE_OK);
    *span = b->data + off;
    *len = n;
}

static void load_real(struct spans *s)
{
    size_t len;
    s->json = mse_test_data("real/mse-home-evidence.json", &len);
    s->buf = malloc(1 << 20);
    assert_non_null(s->buf);
    assert_int_equal(mse_evidence_parse(s->json, len, s->buf, 1 << 20, &s->ev), MSE_OK);
}

/* Every prefix of the real TCB info and QE identity, and both bodies whole. */
static void test_real_prefixes(void **state)
{
    struct spans s;
    load_real(&s);
    const uint8_t *span;
    size_t len;
    agree(s.ev.collateral.tcb_info.data, s.ev.collateral.tcb_info.len);
    agree(s.ev.collateral.qe_identity.data, s.ev.collateral.qe_identity.len);
    real_span(&s.ev.collateral.tcb_info, "tcbInfo", &span, &len);
    for (size_t n = 0; n <= len; n++)
        agree(span, n);
    real_span(&s.ev.collateral.qe_identity, "enclaveIdentity", &span, &len);
    for (size_t n = 0; n <= len; n++)
        agree(span, n);
    free(s.json);
    free(s.buf);
}

/* Every byte of the real QE identity replaced by each byte that changes the grammar. */
static void test_real_mutations(void **state)
{
    static const uint8_t bytes[] = {'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '1',
                                    '-', '.', 'e', 'x', 't', 0x00, 0x1f, 0x7f, 0x80, 0xc3};
    struct spans s;
    load_real(&s);
    const uint8_t *span;
    size_t len;
    real_span(&s.ev.collateral.qe_identity, "enclaveIdentity", &span, &len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    for (size_t i = 0; i < len; i++) {
        for (size_t b = 0; b < sizeof bytes; b++) {
            memcpy(copy, span, len);
            copy[i] = bytes[b];
            agree(copy, len);
        }
    }
    free(copy);
    free(s.json);
    free(s.buf);
}

/* The accessors on what is not an object or an array, or is too short. */
static void test_accessors(void **state)
{
    struct mse_jdoc doc;
    const char *text = "{\"a\":[1,{\"b\":\"c\"}],\"s\":\"t\"}";
    assert_int_equal(mse_jdoc_parse((const uint8_t *)text, strlen(text), &doc), MSE_OK);
    const struct mse_jval *a = mse_jval_member(doc.v, "a");
    assert_non_null(a);
    assert_null(mse_jval_member(a, "b"));
    assert_null(mse_jval_member(NULL, "a"));
    assert_null(mse_jval_member(doc.v, "b"));
    assert_null(mse_jval_member(doc.v, "aa"));
    assert_string_equal(mse_jval_member(mse_jval_element(a, 1), "b")->str, "c");
    assert_null(mse_jval_element(a, 2));
    assert_null(mse_jval_element(doc.v, 0));
    assert_null(mse_jval_element(NULL, 0));
    assert_string_equal(mse_jval_member(doc.v, "s")->str, "t");
    mse_jdoc_free(&doc);
    /* jansson's limit, then NULL text. */
    assert_int_equal(mse_jdoc_parse((const uint8_t *)text, MSE_COLLATERAL_JSON_MAX + 1, &doc),
                     MSE_ERR_LIMIT);
    assert_int_equal(mse_jdoc_parse(NULL, 0, &doc), MSE_ERR_JSON);
    mse_jdoc_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar_edges),  cmocka_unit_test(test_member_counts),
        cmocka_unit_test(test_depths),         cmocka_unit_test(test_real_prefixes),
        cmocka_unit_test(test_real_mutations), cmocka_unit_test(test_accessors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
