/*
 * The configuration request body: accepted forms per mode, every refusal
 * with its HTTP status, the key decoded, the owner PEM copied.
 */
#include <stdio.h>
#include <string.h>

#include "srv/srv_int.h"
#include "testlib.h"

#define UUID "6ebc0242-3d2f-4e81-b135-7b2cf911df14"
#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static int parse(const char *body, enum srv_mode mode, struct srv_config_msg *m, const char **why)
{
    memset(m, 0, sizeof *m);
    return srv_config_parse(body, strlen(body), mode, UUID, m, why);
}

static void test_accepted(void **state)
{
    struct srv_config_msg m;
    const char *why = "";
    assert_int_equal(parse("{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\"}",
                           SRV_MODE_ZERO_TRUST, &m, &why),
                     0);
    assert_string_equal(m.uuid, UUID);
    for (int i = 0; i < 32; i++)
        assert_int_equal(m.key[i], i);
    assert_null(m.ssl_key_pem);
    srv_config_msg_wipe(&m);
    uint8_t zero[32] = {0};
    assert_memory_equal(m.key, zero, 32);

    assert_int_equal(parse("{\"code_secret_key\":\"" KEY "\",\"uuid\":\"" UUID
                           "\",\"ssl_private_key\":\"-----BEGIN PRIVATE KEY-----\\nAA\\n\"}",
                           SRV_MODE_OWNER, &m, &why),
                     0);
    assert_non_null(m.ssl_key_pem);
    assert_string_equal(m.ssl_key_pem, "-----BEGIN PRIVATE KEY-----\nAA\n");
    srv_config_msg_wipe(&m);
    assert_null(m.ssl_key_pem);
}

static void test_refused(void **state)
{
    static const struct {
        const char *body;
        enum srv_mode mode;
        int code;
    } cases[] = {
        {"", SRV_MODE_ZERO_TRUST, 400},
        {"{bad", SRV_MODE_ZERO_TRUST, 400},
        {"[]", SRV_MODE_ZERO_TRUST, 400},
        {"\"x\"", SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\"}",
         SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\",\"extra\":1}", SRV_MODE_ZERO_TRUST,
         400},
        {"{\"uuid\":\"" UUID "\"}", SRV_MODE_ZERO_TRUST, 400},
        {"{\"code_secret_key\":\"" KEY "\"}", SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":1,\"code_secret_key\":\"" KEY "\"}", SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "0\"}", SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"zz\"}", SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\",\"ssl_private_key\":\"x\"}",
         SRV_MODE_ZERO_TRUST, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\"}", SRV_MODE_OWNER, 400},
        {"{\"uuid\":\"" UUID "\",\"code_secret_key\":\"" KEY "\",\"ssl_private_key\":null}",
         SRV_MODE_OWNER, 400},
        /* an embedded NUL is not even JSON jansson accepts (no JSON_ALLOW_NUL) */
        {"{\"uuid\":\"6ebc0242-3d2f-4e81-b135-7b2cf911df1\\u0000\",\"code_secret_key\":\"" KEY
         "\"}",
         SRV_MODE_ZERO_TRUST, 400},
        /* wrong uuid: other value, other length, other case */
        {"{\"uuid\":\"00000000-0000-4000-8000-000000000000\",\"code_secret_key\":\"" KEY "\"}",
         SRV_MODE_ZERO_TRUST, 403},
        {"{\"uuid\":\"" UUID "0\",\"code_secret_key\":\"" KEY "\"}", SRV_MODE_ZERO_TRUST, 403},
        {"{\"uuid\":\"6EBC0242-3D2F-4E81-B135-7B2CF911DF14\",\"code_secret_key\":\"" KEY "\"}",
         SRV_MODE_ZERO_TRUST, 403},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct srv_config_msg m;
        const char *why = NULL;
        int code = parse(cases[i].body, cases[i].mode, &m, &why);
        if (code != cases[i].code)
            fail_msg("case %zu: %d, expected %d (%s)", i, code, cases[i].code, why ? why : "");
        assert_non_null(why);
        srv_config_msg_wipe(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
