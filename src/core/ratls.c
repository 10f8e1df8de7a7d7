/*
 * RA-TLS certificates (<mse/ratls.h>): find the SGX quote and check that it
 * binds the certificate's public key.
 *
 * Carriers, as Gramine (tools/sgx/ra-tls) and MSE emit them:
 *   - OID 1.2.840.113741.1337.6: extnValue is the raw quote.
 *   - OID 2.23.133.5.4.9 (TCG DICE tagged evidence): CBOR tag 60000 over a
 *     definite array [quote: bstr, claims: bstr]; claims is a serialized CBOR
 *     map whose "pubkey-hash" value is a serialized array [alg, hash] with
 *     alg an IANA Named Information hash id (1 SHA-256, 7 SHA-384, 8 SHA-512)
 *     over the DER SubjectPublicKeyInfo. REPORTDATA[0:32] = SHA-256(claims).
 *
 * Without the binding a quote copied from a genuine enclave could be put in a
 * certificate for an attacker's key; every form below ties REPORTDATA, which
 * the quote signature covers, to the key the TLS peer proves it holds.
 */
#include <string.h>

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/ratls.h>

#define DICE_TAG_TEE_QUOTE 60000
#define IANA_HASH_SHA256 1
#define IANA_HASH_SHA384 7
#define IANA_HASH_SHA512 8
/* Refuse absurd extension sizes before asking libcbor to allocate for them. */
#define DICE_EVIDENCE_MAX (MSE_QUOTE_MAX_SIZE + 4096)

static mse_err load_cert(const uint8_t *der, size_t len, X509 **out)
{
    const unsigned char *p = der;
    MSE_ENSURE(len > 0 && len <= (1u << 20), MSE_ERR_CERT_PARSE);
    X509 *x = d2i_X509(NULL, &p, (long)len);
    MSE_ENSURE(x != NULL, MSE_ERR_CERT_PARSE);
    if (p != der + len) {
        X509_free(x);
        return MSE_ERR_CERT_PARSE; /* trailing bytes after the certificate */
    }
    *out = x;
    return MSE_OK;
}

/* Copy a CBOR definite byte string into buf at *used. */
static mse_err take_bstr(cbor_item_t *item, uint8_t *buf, size_t cap, size_t *used,
                         const uint8_t **view, size_t *view_len)
{
    MSE_ENSURE(item && cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item),
               MSE_ERR_RATLS_DICE_FORMAT);
    size_t n = cbor_bytestring_length(item);
    MSE_ENSURE(n > 0, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_ENSURE(n <= cap - *used, MSE_ERR_BUFFER_TOO_SMALL);
    memcpy(buf + *used, cbor_bytestring_handle(item), n);
    *view = buf + *used;
    *view_len = n;
    *used += n;
    return MSE_OK;
}

static mse_err parse_dice(const uint8_t *ev, size_t len, uint8_t *buf, size_t cap,
                          struct mse_ratls *out)
{
    mse_err err = MSE_OK;
    struct cbor_load_result res;
    cbor_item_t *tagged = NULL, *arr = NULL;
    size_t used = 0;

    MSE_ENSURE(len <= DICE_EVIDENCE_MAX, MSE_ERR_RATLS_DICE_FORMAT);
    tagged = cbor_load(ev, len, &res);
    MSE_ENSURE_OUT(tagged && res.error.code == CBOR_ERR_NONE && res.read == len,
                   MSE_ERR_RATLS_DICE_FORMAT);
    MSE_ENSURE_OUT(cbor_isa_tag(tagged) && cbor_tag_value(tagged) == DICE_TAG_TEE_QUOTE,
                   MSE_ERR_RATLS_DICE_FORMAT);
    arr = cbor_tag_item(tagged);
    MSE_ENSURE_OUT(arr && cbor_isa_array(arr) && cbor_array_is_definite(arr) &&
                       cbor_array_size(arr) == 2,
                   MSE_ERR_RATLS_DICE_FORMAT);
    cbor_item_t **items = cbor_array_handle(arr);
    MSE_CHECK_OUT(take_bstr(items[0], buf, cap, &used, &out->quote, &out->quote_len));
    MSE_CHECK_OUT(take_bstr(items[1], buf, cap, &used, &out->claims, &out->claims_len));
    out->carrier = MSE_RATLS_CARRIER_DICE;
out:
    if (arr)
        cbor_decref(&arr);
    if (tagged)
        cbor_decref(&tagged);
    return err;
}

mse_err mse_ratls_extract(const uint8_t *der, size_t der_len, uint8_t *buf, size_t cap,
                          struct mse_ratls *out)
{
    mse_err err = MSE_OK;
    X509 *x = NULL;
    ASN1_OBJECT *oid_quote = NULL, *oid_dice = NULL;
    const ASN1_OCTET_STRING *quote_ext = NULL, *dice_ext = NULL;

    memset(out, 0, sizeof *out);
    MSE_TRY(load_cert(der, der_len, &x));
    oid_quote = OBJ_txt2obj(MSE_OID_SGX_QUOTE, 1);
    oid_dice = OBJ_txt2obj(MSE_OID_DICE_TAGGED_EVIDENCE, 1);
    MSE_ENSURE_OUT(oid_quote && oid_dice, MSE_ERR_CRYPTO);

    int count = X509_get_ext_count(x);
    for (int i = 0; i < count; i++) {
        X509_EXTENSION *ext = X509_get_ext(x, i);
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
        const ASN1_OCTET_STRING **slot = NULL;
        if (OBJ_cmp(obj, oid_quote) == 0)
            slot = &quote_ext;
        else if (OBJ_cmp(obj, oid_dice) == 0)
            slot = &dice_ext;
        if (!slot)
            continue;
        /* Two quotes would let a verifier and a TLS library disagree on which counts. */
        MSE_ENSURE_OUT(*slot == NULL, MSE_ERR_RATLS_MULTIPLE);
        *slot = X509_EXTENSION_get_data(ext);
    }
    MSE_ENSURE_OUT(!(quote_ext && dice_ext), MSE_ERR_RATLS_MULTIPLE);
    MSE_ENSURE_OUT(quote_ext || dice_ext, MSE_ERR_RATLS_NO_QUOTE);

    if (quote_ext) {
        size_t n = (size_t)ASN1_STRING_length(quote_ext);
        MSE_ENSURE_OUT(n > 0, MSE_ERR_RATLS_NO_QUOTE);
        MSE_ENSURE_OUT(n <= cap, n > MSE_QUOTE_MAX_SIZE ? MSE_ERR_LIMIT : MSE_ERR_BUFFER_TOO_SMALL);
        memcpy(buf, ASN1_STRING_get0_data(quote_ext), n);
        out->carrier = MSE_RATLS_CARRIER_SGX_QUOTE_OID;
        out->quote = buf;
        out->quote_len = n;
    } else {
        MSE_CHECK_OUT(parse_dice(ASN1_STRING_get0_data(dice_ext),
                                 (size_t)ASN1_STRING_length(dice_ext), buf, cap, out));
    }
out:
    ASN1_OBJECT_free(oid_quote);
    ASN1_OBJECT_free(oid_dice);
    X509_free(x);
    if (err != MSE_OK)
        memset(out, 0, sizeof *out);
    return err;
}

static mse_err sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    MSE_ENSURE(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32, MSE_ERR_CRYPTO);
    return MSE_OK;
}

/* MSE form: SHA-256 of the X9.62 uncompressed point of a P-256 key. */
static mse_err mse_form_hash(EVP_PKEY *key, uint8_t out[32], bool *applicable)
{
    char group[32];
    size_t glen = 0;
    uint8_t point[65];
    size_t plen = 0;
    *applicable = false;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return MSE_OK;
    if (!EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen) ||
        strcmp(group, "prime256v1") != 0)
        return MSE_OK;
    MSE_ENSURE(EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", point, sizeof point,
                                               &plen) == 1,
               MSE_ERR_CRYPTO);
    /* Only the uncompressed form is what the enclave hashes. */
    MSE_ENSURE(plen == 65 && point[0] == 0x04, MSE_ERR_RATLS_KEY_TYPE);
    *applicable = true;
    return sha256(point, plen, out);
}

static mse_err spki_der(X509 *x, uint8_t **der, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(x), &p);
    MSE_ENSURE(n > 0 && p != NULL, MSE_ERR_CRYPTO);
    *der = p;
    *len = (size_t)n;
    return MSE_OK;
}

/* Read a CBOR unsigned integer of any width. */
static bool cbor_uint_value(cbor_item_t *item, uint64_t *out)
{
    if (!item || !cbor_isa_uint(item))
        return false;
    *out = cbor_get_int(item);
    return true;
}

/*
 * DICE: SHA-256(claims) must be REPORTDATA[0:32], and claims["pubkey-hash"]
 * must hash the SPKI. Exactly one "pubkey-hash" claim; other claims ignored.
 */
static mse_err check_dice(const struct mse_ratls *r, const uint8_t rd[64], const uint8_t *spki,
                          size_t spki_len)
{
    mse_err err = MSE_ERR_RATLS_DICE_FORMAT;
    struct cbor_load_result res;
    cbor_item_t *map = NULL, *entry = NULL;
    uint8_t digest[64];
    unsigned int dlen = 0;
    bool seen = false;

    MSE_TRY(sha256(r->claims, r->claims_len, digest));
    MSE_ENSURE(mse_ct_eq(digest, rd, 32), MSE_ERR_BINDING_MISMATCH);

    map = cbor_load(r->claims, r->claims_len, &res);
    MSE_ENSURE_OUT(map && res.error.code == CBOR_ERR_NONE && res.read == r->claims_len &&
                       cbor_isa_map(map) && cbor_map_is_definite(map),
                   MSE_ERR_RATLS_DICE_FORMAT);
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        MSE_ENSURE_OUT(k && cbor_isa_string(k) && cbor_string_is_definite(k),
                       MSE_ERR_RATLS_DICE_FORMAT);
        if (cbor_string_length(k) != 11 || memcmp(cbor_string_handle(k), "pubkey-hash", 11) != 0)
            continue;
        MSE_ENSURE_OUT(!seen, MSE_ERR_RATLS_DICE_FORMAT);
        seen = true;
        MSE_ENSURE_OUT(v && cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v),
                       MSE_ERR_RATLS_DICE_FORMAT);
        entry = cbor_load(cbor_bytestring_handle(v), cbor_bytestring_length(v), &res);
        MSE_ENSURE_OUT(entry && res.error.code == CBOR_ERR_NONE &&
                           res.read == cbor_bytestring_length(v) && cbor_isa_array(entry) &&
                           cbor_array_is_definite(entry) && cbor_array_size(entry) == 2,
                       MSE_ERR_RATLS_DICE_FORMAT);
        cbor_item_t **e = cbor_array_handle(entry);
        uint64_t alg;
        MSE_ENSURE_OUT(cbor_uint_value(e[0], &alg), MSE_ERR_RATLS_DICE_FORMAT);
        const EVP_MD *md = alg == IANA_HASH_SHA256   ? EVP_sha256()
                           : alg == IANA_HASH_SHA384 ? EVP_sha384()
                           : alg == IANA_HASH_SHA512 ? EVP_sha512()
                                                     : NULL;
        MSE_ENSURE_OUT(md != NULL, MSE_ERR_RATLS_DICE_FORMAT);
        MSE_ENSURE_OUT(e[1] && cbor_isa_bytestring(e[1]) && cbor_bytestring_is_definite(e[1]),
                       MSE_ERR_RATLS_DICE_FORMAT);
        MSE_ENSURE_OUT(EVP_Digest(spki, spki_len, digest, &dlen, md, NULL) == 1, MSE_ERR_CRYPTO);
        MSE_ENSURE_OUT(cbor_bytestring_length(e[1]) == dlen &&
                           mse_ct_eq(cbor_bytestring_handle(e[1]), digest, dlen),
                       MSE_ERR_BINDING_MISMATCH);
    }
    MSE_ENSURE_OUT(seen, MSE_ERR_RATLS_DICE_FORMAT);
    err = MSE_OK;
out:
    if (entry)
        cbor_decref(&entry);
    if (map)
        cbor_decref(&map);
    return err;
}

mse_err mse_ratls_check_binding(const uint8_t *der, size_t der_len, const struct mse_ratls *ratls,
                                const uint8_t report_data[64], enum mse_binding *form,
                                uint8_t *x25519_out)
{
    mse_err err = MSE_OK;
    X509 *x = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    uint8_t digest[32];
    bool applicable;

    *form = MSE_BINDING_NONE;
    MSE_TRY(load_cert(der, der_len, &x));
    EVP_PKEY *key = X509_get0_pubkey(x);
    MSE_ENSURE_OUT(key != NULL, MSE_ERR_RATLS_KEY_TYPE);
    int type = EVP_PKEY_get_base_id(key);
    /* Gramine makes EC keys (P-256, P-384); MSE makes P-256. Nothing else is an RA-TLS key. */
    MSE_ENSURE_OUT(type == EVP_PKEY_EC, MSE_ERR_RATLS_KEY_TYPE);
    /* A self-signed certificate whose signature fails was altered after the enclave made it. */
    MSE_ENSURE_OUT(X509_verify(x, key) == 1, MSE_ERR_CERT_SIGNATURE);
    MSE_CHECK_OUT(spki_der(x, &spki, &spki_len));

    if (ratls->carrier == MSE_RATLS_CARRIER_DICE) {
        MSE_CHECK_OUT(check_dice(ratls, report_data, spki, spki_len));
        *form = MSE_BINDING_DICE;
        goto out;
    }
    MSE_ENSURE_OUT(ratls->carrier == MSE_RATLS_CARRIER_SGX_QUOTE_OID, MSE_ERR_ARG);

    MSE_CHECK_OUT(mse_form_hash(key, digest, &applicable));
    if (applicable && mse_ct_eq(digest, report_data, 32)) {
        *form = MSE_BINDING_MSE;
        if (x25519_out)
            memcpy(x25519_out, report_data + 32, 32);
        goto out;
    }
    MSE_CHECK_OUT(sha256(spki, spki_len, digest));
    if (mse_ct_eq(digest, report_data, 32)) {
        *form = MSE_BINDING_GRAMINE;
        goto out;
    }
    err = MSE_ERR_BINDING_MISMATCH;
out:
    OPENSSL_free(spki);
    X509_free(x);
    return err;
}
