/*
 * What `mse trust add` checks in a certificate file before trusting it
 * (cli_trust.h): exactly one certificate (PEM or DER, nothing after it), its
 * SHA-256 for the verification record, and the properties it warns about
 * (CA:TRUE, not self-signed, no subjectAltName, outside its validity). Also
 * the nickname rule, which keeps a name from ever reading as an option.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/guard.h>
#include <mse/time.h>

#include "cli_trust.h"

bool cli_trust_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '-')))
            return false;
    }
    return true;
}

void cli_trust_cert_free(struct cli_trust_cert *c)
{
    free(c->der);
    memset(c, 0, sizeof *c);
}

static bool only_space(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

/* The exact DER bytes: PEM decoded (one CERTIFICATE block, nothing else), or the input itself. */
MSE_MUST_USE static mse_err cert_der(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len)
{
    static const char begin[] = "-----BEGIN ";
    mse_err err = MSE_OK;
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *body = NULL;
    long body_len = 0;

    *der = NULL;
    MSE_ENSURE(len > 0 && len <= CLI_TRUST_FILE_LIMIT, MSE_ERR_CERT_PARSE);
    if (!memmem(data, len, begin, sizeof begin - 1)) {
        *der = malloc(len);
        MSE_ENSURE(*der != NULL, MSE_ERR_NOMEM);
        memcpy(*der, data, len);
        *der_len = len;
        return MSE_OK;
    }
    bio = BIO_new_mem_buf(data, (int)len);
    MSE_ENSURE_OUT(bio != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(PEM_read_bio(bio, &name, &header, &body, &body_len) == 1, MSE_ERR_PEM);
    MSE_ENSURE_OUT(strcmp(name, PEM_STRING_X509) == 0 && header[0] == '\0' && body_len > 0,
                   MSE_ERR_PEM);
    /* After the block: whitespace only. A second certificate is refused, not ignored. */
    const uint8_t *rest = NULL;
    long rest_len = BIO_get_mem_data(bio, (char **)&rest);
    MSE_ENSURE_OUT(rest_len >= 0 && only_space(rest, (size_t)rest_len), MSE_ERR_TRAILING_BYTES);
    *der = malloc((size_t)body_len);
    MSE_ENSURE_OUT(*der != NULL, MSE_ERR_NOMEM);
    memcpy(*der, body, (size_t)body_len);
    *der_len = (size_t)body_len;
out:
    ERR_clear_error();
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(body);
    BIO_free(bio);
    return err;
}

static void san_text(X509 *x, char *out, size_t cap)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;
    out[0] = '\0';
    if (!gens)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char item[128] = "";
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            snprintf(item, sizeof item, "DNS:%.*s", s->length > 100 ? 100 : s->length,
                     (const char *)s->data);
        } else if (g->type == GEN_IPADD && g->d.iPAddress->length == 4) {
            const unsigned char *a = g->d.iPAddress->data;
            snprintf(item, sizeof item, "IP:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        } else if (g->type == GEN_IPADD) {
            snprintf(item, sizeof item, "IP:(IPv6)");
        } else {
            snprintf(item, sizeof item, "(other name)");
        }
        /* Printable ASCII only: the SAN comes from the server, it goes to a terminal. */
        for (char *p = item; *p; p++)
            if (*p < 0x20 || *p > 0x7e)
                *p = '?';
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", item);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    GENERAL_NAMES_free(gens);
}

/* An ASN1_TIME as RFC 3339 UTC, "" when OpenSSL cannot convert it. */
static void time_text(const ASN1_TIME *t, char out[21])
{
    struct tm tm;
    out[0] = '\0';
    if (ASN1_TIME_to_tm(t, &tm) == 1)
        mse_time_format((int64_t)timegm(&tm), out);
}

mse_err cli_trust_cert_load(const uint8_t *data, size_t len, int64_t now,
                            struct cli_trust_cert *out)
{
    mse_err err = MSE_OK;
    X509 *x = NULL;

    memset(out, 0, sizeof *out);
    MSE_CHECK_OUT(cert_der(data, len, &out->der, &out->der_len));
    const unsigned char *p = out->der;
    x = d2i_X509(NULL, &p, (long)out->der_len);
    MSE_ENSURE_OUT(x != NULL, MSE_ERR_CERT_PARSE);
    MSE_ENSURE_OUT((size_t)(p - out->der) == out->der_len, MSE_ERR_TRAILING_BYTES);
    MSE_ENSURE_OUT(EVP_Digest(out->der, out->der_len, out->sha256, NULL, EVP_sha256(), NULL) == 1,
                   MSE_ERR_CRYPTO);
    uint32_t flags = X509_get_extension_flags(x);
    MSE_ENSURE_OUT(!(flags & EXFLAG_INVALID), MSE_ERR_CERT_PARSE);
    out->is_ca = (flags & EXFLAG_BCONS) && (flags & EXFLAG_CA);
    out->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    /* RFC 5280 4.1.2.5: both bounds are inclusive. */
    out->expired = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)now) < 0;
    out->not_yet_valid = ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)now) > 0;
    time_text(X509_get0_notBefore(x), out->not_before);
    time_text(X509_get0_notAfter(x), out->not_after);
    san_text(x, out->san, sizeof out->san);
out:
    ERR_clear_error();
    X509_free(x);
    if (err != MSE_OK)
        cli_trust_cert_free(out);
    return err;
}
