/*
 * libFuzzer target: the DOMAIN argument of mse verify / mse configure
 * (mse_endpoint_parse) and the name check of a certificate against the host
 * it yields (mse_cert_check_host). A parsed endpoint has a non-empty host of
 * allowed characters and a decimal port in 1..65535; the name check answers
 * a match or a mismatch, never anything else, for any host string.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A certificate with DNS, wildcard and IP names, made once. */
static uint8_t *cert_der;
static int cert_len;

static void make_cert(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"app.example", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_subject_alt_name, "DNS:app.example,DNS:*.apps.example,IP:127.0.0.1,IP:::1");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key, EVP_sha256());
    cert_len = i2d_X509(x, &cert_der);
    X509_free(x);
    EVP_PKEY_free(key);
    if (cert_len <= 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cert_der)
        make_cert();
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    struct mse_endpoint ep;
    if (mse_endpoint_parse(s, &ep) == MSE_OK) {
        size_t h = strlen(ep.host), p = strlen(ep.port);
        if (h == 0 || h >= sizeof ep.host || p == 0 || p > 5 || strspn(ep.port, "0123456789") != p)
            abort();
        long port = strtol(ep.port, NULL, 10);
        if (port < 1 || port > 65535)
            abort();
        char names[128];
        mse_err err = mse_cert_check_host(cert_der, (size_t)cert_len, ep.host, names, sizeof names);
        if (err != MSE_OK && (err != MSE_ERR_CERT_NAME_MISMATCH || strlen(names) >= sizeof names))
            abort();
    }
    /* Any string as a host, even one the parser refuses. */
    mse_err err = mse_cert_check_host(cert_der, (size_t)cert_len, s, NULL, 0);
    if (err != MSE_OK && err != MSE_ERR_CERT_NAME_MISMATCH)
        abort();
    free(s);
    return 0;
}
