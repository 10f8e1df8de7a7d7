/*
 * RA-TLS certificate creation in the MSE format (see enclave.h).
 *
 * The certificate is self-signed X.509 v3 (RFC 5280) with an EC P-256 key and
 * ECDSA-SHA256. The SGX quote sits in extension 1.2.840.113741.1337.6
 * (non-critical) whose extnValue OCTET STRING holds the raw quote bytes, the
 * layout of certificates made by real MSE apps (checked against a production
 * certificate with openssl asn1parse). REPORTDATA binds the key:
 *   RD[0:32]  = SHA-256 of the X9.62 uncompressed public point (65 bytes)
 *   RD[32:64] = the enclave's X25519 public key, zeros when none.
 *
 * The subject is given as an RFC 4514 string, parsed strictly here: only the
 * attribute types listed below, values escaped per RFC 4514 section 2.4, no
 * hex-encoded (#...) values, RDNs in reverse order as the RFC mandates.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/ratls.h>

#include "attester.h"

#define SUBJECT_MAX 1024 /* bytes of an RFC 4514 subject string */
#define RDN_VALUE_MAX 256

/* Attribute types accepted in a subject (RFC 4514 section 3 plus common ones). */
static const struct {
    const char *name;
    int nid;
} subject_types[] = {
    {"CN", NID_commonName},
    {"O", NID_organizationName},
    {"OU", NID_organizationalUnitName},
    {"C", NID_countryName},
    {"L", NID_localityName},
    {"ST", NID_stateOrProvinceName},
    {"STREET", NID_streetAddress},
    {"DC", NID_domainComponent},
    {"UID", NID_userId},
    {"serialNumber", NID_serialNumber},
};

struct rdn_atv {
    int nid;
    bool multi; /* joined to the previous AVA with '+' */
    size_t value_len;
    unsigned char value[RDN_VALUE_MAX];
};

static bool is_rfc4514_special(char c)
{
    return c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' ||
           c == ' ' || c == '#' || c == '=';
}

/*
 * Parse one attribute type and value starting at s[*pos]; stops at an unescaped
 * ',' or '+' (left in place) or the end.
 */
MSE_MUST_USE static mse_err parse_atv(const char *s, size_t len, size_t *pos, struct rdn_atv *atv)
{
    size_t i = *pos, start = i;
    while (i < len && s[i] != '=')
        i++;
    MSE_ENSURE(i < len && i > start, MSE_ERR_ARG);
    size_t type_len = i - start;
    atv->nid = NID_undef;
    for (size_t k = 0; k < sizeof subject_types / sizeof subject_types[0]; k++)
        if (strlen(subject_types[k].name) == type_len &&
            strncasecmp(subject_types[k].name, s + start, type_len) == 0)
            atv->nid = subject_types[k].nid;
    MSE_ENSURE(atv->nid != NID_undef, MSE_ERR_ARG);
    i++; /* '=' */
    /* A leading '#' introduces a BER-encoded value: not accepted here. */
    MSE_ENSURE(i < len && s[i] != '#', MSE_ERR_ARG);
    /* Unescaped leading space is not allowed (RFC 4514 section 2.4). */
    MSE_ENSURE(s[i] != ' ', MSE_ERR_ARG);
    size_t n = 0;
    bool last_escaped_space = false;
    while (i < len && s[i] != ',' && s[i] != '+') {
        char c = s[i];
        unsigned char out;
        last_escaped_space = false;
        if (c == '\\') {
            MSE_ENSURE(i + 1 < len, MSE_ERR_ARG);
            if (is_rfc4514_special(s[i + 1])) {
                out = (unsigned char)s[i + 1];
                last_escaped_space = s[i + 1] == ' ';
                i += 2;
            } else {
                MSE_ENSURE(i + 2 < len, MSE_ERR_ARG);
                int hi = mse_hex_digit((unsigned char)s[i + 1]);
                int lo = mse_hex_digit((unsigned char)s[i + 2]);
                MSE_ENSURE(hi >= 0 && lo >= 0, MSE_ERR_ARG);
                out = (unsigned char)(hi << 4 | lo);
                i += 3;
            }
        } else {
            /* Characters RFC 4514 requires to be escaped, and control bytes. */
            MSE_ENSURE(c != '"' && c != ';' && c != '<' && c != '>' && (unsigned char)c >= 0x20 &&
                           c != 0x7f,
                       MSE_ERR_ARG);
            out = (unsigned char)c;
            i++;
        }
        MSE_ENSURE(out != 0, MSE_ERR_ARG);
        MSE_ENSURE(n < sizeof atv->value, MSE_ERR_LIMIT);
        atv->value[n++] = out;
    }
    MSE_ENSURE(n > 0, MSE_ERR_ARG);
    /* Unescaped trailing space is not allowed either. */
    MSE_ENSURE(atv->value[n - 1] != ' ' || last_escaped_space, MSE_ERR_ARG);
    atv->value_len = n;
    *pos = i;
    return MSE_OK;
}

/*
 * Build an X509_NAME from an RFC 4514 string. The string lists RDNs from the
 * last to the first (RFC 4514 section 2.1), so they are added in reverse.
 */
MSE_MUST_USE static mse_err subject_from_rfc4514(const char *s, X509_NAME **out)
{
    mse_err err = MSE_OK;
    size_t len = strlen(s), pos = 0, count = 0, cap = 0;
    struct rdn_atv *atvs = NULL;
    X509_NAME *name = NULL;

    MSE_ENSURE(len > 0, MSE_ERR_ARG);
    MSE_ENSURE(len <= SUBJECT_MAX, MSE_ERR_LIMIT);
    cap = len / 2 + 1; /* each AVA takes at least "X=v" plus a separator */
    atvs = calloc(cap, sizeof *atvs);
    MSE_ENSURE(atvs != NULL, MSE_ERR_NOMEM);
    for (;;) {
        MSE_ENSURE_OUT(count < cap, MSE_ERR_ARG);
        MSE_CHECK_OUT(parse_atv(s, len, &pos, &atvs[count]));
        count++;
        if (pos == len)
            break;
        bool plus = s[pos] == '+';
        pos++;
        MSE_ENSURE_OUT(pos < len, MSE_ERR_ARG); /* no trailing separator */
        atvs[count].multi = plus;
    }
    name = X509_NAME_new();
    MSE_ENSURE_OUT(name != NULL, MSE_ERR_NOMEM);
    /* Walk RDNs from the end; AVAs within one RDN keep their order. */
    size_t end = count;
    while (end > 0) {
        size_t begin = end - 1;
        while (begin > 0 && atvs[begin].multi)
            begin--;
        for (size_t k = begin; k < end; k++) {
            /* set = 0 starts a new RDN, -1 appends to the one just added. */
            int set = k == begin ? 0 : -1;
            MSE_ENSURE_OUT(X509_NAME_add_entry_by_NID(name, atvs[k].nid, MBSTRING_UTF8,
                                                      atvs[k].value, (int)atvs[k].value_len, -1,
                                                      set) == 1,
                           MSE_ERR_ARG);
        }
        end = begin;
    }
    *out = name;
    name = NULL;
out:
    X509_NAME_free(name);
    free(atvs);
    return err;
}

/* A DNS name: LDH labels of 1..63 bytes, at most 253 bytes, no wildcard. */
static bool dns_name_ok(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && label > 0))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && s[len - 1] != '-';
}

/* subjectAltName with one entry: an IP address if `san` is an IP literal, else a DNS name. */
MSE_MUST_USE static mse_err add_san(X509 *cert, const char *san)
{
    mse_err err = MSE_OK;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING *ip = NULL;
    ASN1_IA5STRING *dns = NULL;
    unsigned char addr[16];
    MSE_ENSURE_OUT(names != NULL && gn != NULL, MSE_ERR_NOMEM);
    int addr_len = 0;
    if (inet_pton(AF_INET, san, addr) == 1)
        addr_len = 4;
    else if (inet_pton(AF_INET6, san, addr) == 1)
        addr_len = 16;
    if (addr_len > 0) {
        ip = ASN1_OCTET_STRING_new();
        MSE_ENSURE_OUT(ip != NULL && ASN1_OCTET_STRING_set(ip, addr, addr_len) == 1,
                       MSE_ERR_NOMEM);
        GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        ip = NULL;
    } else {
        MSE_ENSURE_OUT(dns_name_ok(san), MSE_ERR_ARG);
        dns = ASN1_IA5STRING_new();
        MSE_ENSURE_OUT(dns != NULL && ASN1_STRING_set(dns, san, (int)strlen(san)) == 1,
                       MSE_ERR_NOMEM);
        GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
        dns = NULL;
    }
    MSE_ENSURE_OUT(sk_GENERAL_NAME_push(names, gn) > 0, MSE_ERR_NOMEM);
    gn = NULL;
    MSE_ENSURE_OUT(X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, 0) == 1,
                   MSE_ERR_CRYPTO);
out:
    ASN1_OCTET_STRING_free(ip);
    ASN1_IA5STRING_free(dns);
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(names);
    return err;
}

/* One extension from a constant OpenSSL config value (never user input). */
MSE_MUST_USE static mse_err add_conf_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    MSE_ENSURE(ext != NULL, MSE_ERR_CRYPTO);
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    MSE_ENSURE(ok == 1, MSE_ERR_CRYPTO);
    return MSE_OK;
}

/* The quote extension: extnValue is an OCTET STRING whose content is the raw quote. */
MSE_MUST_USE static mse_err add_quote_ext(X509 *cert, const uint8_t *quote, size_t quote_len)
{
    mse_err err = MSE_OK;
    ASN1_OBJECT *oid = OBJ_txt2obj(MSE_OID_SGX_QUOTE, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    MSE_ENSURE_OUT(oid != NULL && os != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(quote_len <= MSE_QUOTE_MAX_SIZE, MSE_ERR_LIMIT);
    MSE_ENSURE_OUT(ASN1_OCTET_STRING_set(os, quote, (int)quote_len) == 1, MSE_ERR_NOMEM);
    ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    MSE_ENSURE_OUT(ext != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_add_ext(cert, ext, -1) == 1, MSE_ERR_CRYPTO);
out:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    return err;
}

/* A random positive 16-byte serial (RFC 5280 4.1.2.2: at most 20 bytes, positive). */
MSE_MUST_USE static mse_err set_serial(X509 *cert)
{
    mse_err err = MSE_OK;
    unsigned char raw[16];
    BIGNUM *bn = NULL;
    MSE_ENSURE(RAND_bytes(raw, sizeof raw) == 1, MSE_ERR_CRYPTO);
    /* Top bit clear keeps it positive without a leading zero byte; a non-zero
     * first byte keeps it exactly 16 bytes long. */
    raw[0] &= 0x7f;
    if (raw[0] == 0)
        raw[0] = 0x01;
    bn = BN_bin2bn(raw, sizeof raw, NULL);
    MSE_ENSURE_OUT(bn != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL, MSE_ERR_CRYPTO);
out:
    BN_free(bn);
    return err;
}

/* The key must be EC on P-256 (the MSE binding hashes its 65-byte X9.62 point). */
MSE_MUST_USE static mse_err ec_point(EVP_PKEY *key, uint8_t point[65])
{
    char group[32];
    size_t len = 0;
    MSE_ENSURE(EVP_PKEY_is_a(key, "EC"), MSE_ERR_RATLS_KEY_TYPE);
    MSE_ENSURE(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                              NULL) == 1,
               MSE_ERR_RATLS_KEY_TYPE);
    MSE_ENSURE(strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0,
               MSE_ERR_RATLS_KEY_TYPE);
    /* OpenSSL encodes EC public keys uncompressed unless told otherwise; checked below. */
    MSE_ENSURE(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, 65,
                                               &len) == 1,
               MSE_ERR_CRYPTO);
    MSE_ENSURE(len == 65 && point[0] == 0x04, MSE_ERR_RATLS_KEY_TYPE);
    return MSE_OK;
}

mse_err mse_ratls_cert_create(const struct mse_quote_provider *qp,
                              const struct mse_ratls_params *params, EVP_PKEY **key, X509 **cert)
{
    mse_err err = MSE_OK;
    EVP_PKEY *k = NULL;
    X509 *c = NULL;
    X509_NAME *subject = NULL;
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    uint8_t point[65];
    uint8_t report_data[64];
    X509V3_CTX ctx;

    MSE_ENSURE(qp != NULL && qp->get_quote != NULL && params != NULL && key != NULL &&
                   cert != NULL && params->subject != NULL && params->san != NULL,
               MSE_ERR_ARG);
    MSE_ENSURE(params->not_before < params->not_after, MSE_ERR_ARG);
    *cert = NULL;

    /* Validate the cheap inputs before making a key or asking for a quote. */
    MSE_CHECK_OUT(subject_from_rfc4514(params->subject, &subject));

    if (*key != NULL) {
        k = *key;
        MSE_ENSURE_OUT(EVP_PKEY_up_ref(k) == 1, MSE_ERR_CRYPTO);
    } else {
        k = EVP_EC_gen("P-256");
        MSE_ENSURE_OUT(k != NULL, MSE_ERR_CRYPTO);
    }
    MSE_CHECK_OUT(ec_point(k, point));

    SHA256(point, sizeof point, report_data);
    if (params->x25519_public_key != NULL)
        memcpy(report_data + 32, params->x25519_public_key, 32);
    else
        memset(report_data + 32, 0, 32);
    MSE_CHECK_OUT(qp->get_quote(qp->ctx, report_data, &quote, &quote_len));

    c = X509_new();
    MSE_ENSURE_OUT(c != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_set_version(c, X509_VERSION_3) == 1, MSE_ERR_CRYPTO);
    MSE_CHECK_OUT(set_serial(c));
    MSE_ENSURE_OUT(X509_set_subject_name(c, subject) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(X509_set_issuer_name(c, subject) == 1, MSE_ERR_CRYPTO);
    /* ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after (RFC 5280 4.1.2.5). */
    MSE_ENSURE_OUT(ASN1_TIME_set(X509_getm_notBefore(c), (time_t)params->not_before) != NULL,
                   MSE_ERR_ARG);
    MSE_ENSURE_OUT(ASN1_TIME_set(X509_getm_notAfter(c), (time_t)params->not_after) != NULL,
                   MSE_ERR_ARG);
    MSE_ENSURE_OUT(X509_set_pubkey(c, k) == 1, MSE_ERR_CRYPTO);

    X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
    /* CA:FALSE: once a user pins this certificate it cannot vouch for other sites. */
    MSE_CHECK_OUT(add_conf_ext(c, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    MSE_CHECK_OUT(add_conf_ext(c, &ctx, NID_key_usage, "critical,digitalSignature"));
    MSE_CHECK_OUT(add_conf_ext(c, &ctx, NID_ext_key_usage, "serverAuth"));
    MSE_CHECK_OUT(add_conf_ext(c, &ctx, NID_subject_key_identifier, "hash"));
    MSE_CHECK_OUT(add_san(c, params->san));
    MSE_CHECK_OUT(add_quote_ext(c, quote, quote_len));

    MSE_ENSURE_OUT(X509_sign(c, k, EVP_sha256()) > 0, MSE_ERR_CRYPTO);

    if (*key == NULL) {
        *key = k;
        k = NULL;
    }
    *cert = c;
    c = NULL;
out:
    EVP_PKEY_free(k);
    X509_free(c);
    X509_NAME_free(subject);
    free(quote);
    return err;
}
