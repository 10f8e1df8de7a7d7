/*
 * Differential: the reading of Intel's signed JSON into one array
 * (src/core/json_tree.c, mse_jdoc_parse) against jansson's strict load
 * (mse_json_load_strict), which it must equal: the same code for every
 * input and, for an accepted one, the same values (types, strings byte for
 * byte, integers, array order, object members). Any difference traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct mse_jval *v, json_t *j)
{
    const char *key;
    json_t *member;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        if (v->type != MSE_JSON_OBJECT || v->count != json_object_size(j))
            return 0;
        json_object_foreach (j, key, member) {
            const struct mse_jval *m = mse_jval_member(v, key);
            if (m == NULL || !same(m, member))
                return 0;
        }
        return 1;
    case JSON_ARRAY: {
        if (v->type != MSE_JSON_ARRAY || v->count != json_array_size(j))
            return 0;
        const struct mse_jval *e = v + 1;
        for (size_t i = 0; i < json_array_size(j); i++, e += e->size)
            if (!same(e, json_array_get(j, i)))
                return 0;
        return 1;
    }
    case JSON_STRING:
        return v->type == MSE_JSON_STRING && v->len == json_string_length(j) &&
               memcmp(v->str, json_string_value(j), v->len) == 0 && v->str[v->len] == '\0';
    case JSON_INTEGER: return v->type == MSE_JSON_INTEGER && v->integer == json_integer_value(j);
    case JSON_REAL: return v->type == MSE_JSON_REAL;
    case JSON_TRUE: return v->type == MSE_JSON_TRUE;
    case JSON_FALSE: return v->type == MSE_JSON_FALSE;
    default: return v->type == MSE_JSON_NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_jdoc doc;
    json_t *j = NULL;
    mse_err want = mse_json_load_strict(data, size, &j);
    mse_err got = mse_jdoc_parse(data, size, &doc);
    if (got != want)
        __builtin_trap();
    if (want == MSE_OK) {
        if (!same(doc.v, j) || doc.v[0].size != doc.n)
            __builtin_trap();
        json_decref(j);
    }
    mse_jdoc_free(&doc);
    return 0;
}
