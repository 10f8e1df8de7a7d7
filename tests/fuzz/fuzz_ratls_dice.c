/*
 * libFuzzer: the TCG DICE evidence of an RA-TLS certificate. The input is the
 * extension's value (CBOR); the harness wraps it in a certificate signed by a
 * fixed key, so extraction and then the claims walk of the binding check
 * (reached by taking REPORTDATA = SHA-256(claims)) see the fuzzer's bytes
 * rather than fail on the certificate around them.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <mse/quote.h>
#include <mse/ratls.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[MSE_QUOTE_MAX_SIZE + 4096];

static EVP_PKEY *fixed_key(void)
{
    static EVP_PKEY *key; /* test harness only: one key for the whole run */
    if (key == NULL)
        key = EVP_EC_gen("P-256");
    return key;
}

static int make_cert(const uint8_t *ev, size_t len, unsigned char **der)
{
    EVP_PKEY *key = fixed_key();
    X509 *x = X509_new();
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_OBJECT *oid = OBJ_txt2obj(MSE_OID_DICE_TAGGED_EVIDENCE, 1);
    X509_EXTENSION *ext = NULL;
    int n = -1;
    if (!key || !x || !os || !oid || ASN1_OCTET_STRING_set(os, ev, (int)len) != 1)
        goto out;
    ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    if (ext && X509_add_ext(x, ext, -1) == 1 && X509_sign(x, key, EVP_sha256()) > 0)
        n = i2d_X509(x, der);
out:
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(os);
    X509_free(x);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_ratls r;
    enum mse_binding form;
    uint8_t rd[64] = {0};
    unsigned int dl = 0;
    unsigned char *der = NULL;
    if (size > MSE_QUOTE_MAX_SIZE + 4096)
        return 0;
    int n = make_cert(data, size, &der);
    if (n <= 0)
        return 0;
    if (mse_ratls_extract(der, (size_t)n, buf, sizeof buf, &r) == MSE_OK) {
        if (r.carrier != MSE_RATLS_CARRIER_DICE || r.claims == NULL ||
            r.claims + r.claims_len > buf + sizeof buf)
            __builtin_trap();
        if (EVP_Digest(r.claims, r.claims_len, rd, &dl, EVP_sha256(), NULL) == 1 &&
            mse_ratls_check_binding(der, (size_t)n, &r, rd, &form, NULL) == MSE_OK &&
            form != MSE_BINDING_DICE)
            __builtin_trap();
    }
    OPENSSL_free(der);
    return 0;
}
