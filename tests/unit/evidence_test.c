/*
 * The mse evidence bundle: the real bundle decodes into the collateral the
 * verifier consumes (TCB info from base64-of-hex, QE identity from base64);
 * alternative encodings and malformed bundles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/collateral.h>

#include "dcap.h"
#include "testlib.h"

#define CAP (1u << 20)

static void test_real(void **state)
{
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    uint8_t *buf = malloc(CAP);
    struct mse_evidence ev;
    assert_int_equal(mse_evidence_parse(json, len, buf, CAP, &ev), MSE_OK);
    /* DER certificate. */
    assert_true(ev.ratls_cert.len > 1000);
    assert_int_equal(ev.ratls_cert.data[0], 0x30);
    /* TCB info and QE identity are now the JSON text Intel signed. */
    assert_int_equal(ev.collateral.tcb_info.len, 4290);
    assert_memory_equal(ev.collateral.tcb_info.data, "{\"tcbInfo\":{\"id\":\"SGX\"", 22);
    assert_memory_equal(ev.collateral.qe_identity.data, "{\"enclaveIdentity\":{\"id\":\"QE\"", 29);
    assert_true(mse_pem_sniff(ev.collateral.root_ca_crl.data, ev.collateral.root_ca_crl.len));
    assert_true(mse_pem_sniff(ev.collateral.pck_crl.data, ev.collateral.pck_crl.len));
    assert_ptr_equal(ev.collateral.qe_identity_chain.data, ev.collateral.tcb_info_chain.data);
    assert_true(ev.signer_pk.len > 100);
    assert_memory_equal(ev.signer_pk.data, "-----BEGIN PUBLIC KEY-----", 26);
    assert_non_null(ev.input_args.data);
    assert_memory_equal(ev.input_args.data, "{\"subject\":", 11);
    /* Too small a buffer is reported, not overrun. */
    assert_int_equal(mse_evidence_parse(json, len, buf, 1000, &ev), MSE_ERR_BUFFER_TOO_SMALL);
    free(buf);
    free(json);
}

/* Re-encode one member and parse again. */
static mse_err with_member(const char *key, json_t *value, struct mse_evidence *ev, uint8_t *buf)
{
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    json_t *root = json_loadb((const char *)json, len, 0, NULL);
    assert_non_null(root);
    if (value != NULL)
        json_object_set_new(root, key, value);
    else
        json_object_del(root, key);
    char *text = json_dumps(root, JSON_COMPACT);
    mse_err e = mse_evidence_parse((uint8_t *)text, strlen(text), buf, CAP, ev);
    free(text);
    json_decref(root);
    free(json);
    return e;
}

static void test_variants(void **state)
{
    uint8_t *buf = malloc(CAP), *buf2 = malloc(CAP);
    struct mse_evidence ev, ref;
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    assert_int_equal(mse_evidence_parse(json, len, buf2, CAP, &ref), MSE_OK);
    free(json);
    /* TCB info as base64 of the JSON text itself. */
    char *b64 = malloc(ref.collateral.tcb_info.len * 2 + 8);
    int n = EVP_EncodeBlock((unsigned char *)b64, ref.collateral.tcb_info.data,
                            (int)ref.collateral.tcb_info.len);
    b64[n] = '\0';
    assert_int_equal(with_member("tcb_info", json_string(b64), &ev, buf), MSE_OK);
    assert_int_equal(ev.collateral.tcb_info.len, ref.collateral.tcb_info.len);
    assert_memory_equal(ev.collateral.tcb_info.data, ref.collateral.tcb_info.data,
                        ref.collateral.tcb_info.len);
    free(b64);
    /* Missing and mistyped members. */
    assert_int_equal(with_member("tcb_info", NULL, &ev, buf), MSE_ERR_EVIDENCE_FORMAT);
    assert_int_equal(with_member("ratls_certificate", json_integer(1), &ev, buf),
                     MSE_ERR_EVIDENCE_FORMAT);
    assert_int_equal(with_member("qe_identity", json_string("***"), &ev, buf),
                     MSE_ERR_EVIDENCE_FORMAT);
    assert_int_equal(with_member("ratls_certificate", json_string("garbage"), &ev, buf),
                     MSE_ERR_EVIDENCE_FORMAT);
    /* Both PCK CRLs, or neither. */
    assert_int_equal(with_member("pck_processor_crl", json_string("x"), &ev, buf),
                     MSE_ERR_EVIDENCE_FORMAT);
    assert_int_equal(with_member("pck_platform_crl", NULL, &ev, buf), MSE_ERR_EVIDENCE_FORMAT);
    /* Optional members may be absent. */
    assert_int_equal(with_member("signer_pk", NULL, &ev, buf), MSE_OK);
    assert_int_equal(ev.signer_pk.len, 0);
    assert_int_equal(with_member("input_args", NULL, &ev, buf), MSE_OK);
    /* Not an object, duplicate keys, not JSON. */
    assert_int_equal(mse_evidence_parse((const uint8_t *)"[]", 2, buf, CAP, &ev),
                     MSE_ERR_EVIDENCE_FORMAT);
    assert_int_equal(mse_evidence_parse((const uint8_t *)"{\"a\":1,\"a\":2}", 13, buf, CAP, &ev),
                     MSE_ERR_JSON_DUPLICATE_KEY);
    assert_int_equal(mse_evidence_parse((const uint8_t *)"{", 1, buf, CAP, &ev), MSE_ERR_JSON);
    free(buf);
    free(buf2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real),
        cmocka_unit_test(test_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
