/*
 * RA-TLS certificates (<mse/ratls.h>): find the SGX quote and check that it
 * binds the certificate's public key. Format and threat notes:
 * docs/formats/ratls.md.
 *
 * Carriers, as Gramine (tools/sgx/ra-tls) and MSE emit them:
 *   - the SGX quote OID: extnValue is the raw quote. MSE writes the proper
 *     1.2.840.113741.1337.6 (content 2A 86 48 86 F8 4D 8A 39 06). Gramine's
 *     mbedTLS writer is handed those bytes with their DER tag and length
 *     still in front, so its certificates carry the OID whose content is
 *     06 09 2A 86 48 86 F8 4D 8A 39 06 (it reads as 0.6.9.42.840.113741.1337.6);
 *     Gramine's own verifier finds either with memmem. Both are this carrier.
 *   - OID 2.23.133.5.4.9 (TCG DICE tagged evidence): CBOR tag 60000 over a
 *     definite array [quote: bstr, claims: bstr]; claims is a serialized CBOR
 *     map whose "pubkey-hash" value is a serialized array [alg, hash] with
 *     alg an IANA Named Information hash id (1 SHA-256, 7 SHA-384, 8 SHA-512)
 *     over the DER SubjectPublicKeyInfo. REPORTDATA[0:32] = SHA-256(claims).
 *
 * Gramine >= 1.8 puts both carriers in every certificate, each with its own
 * quote (the REPORTDATA differ). Like Gramine's verifier we then use the DICE
 * one, but only after checking that the two quotes describe the same enclave
 * on the same platform (header and report body equal except REPORTDATA), so
 * no other tool reading the other carrier can be shown another identity.
 *
 * Without the binding a quote copied from a genuine enclave could be put in a
 * certificate for an attacker's key; every form below ties REPORTDATA, which
 * the quote signature covers, to the key the TLS peer proves it holds.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/asn1t.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/ratls.h>

#include "dcap.h"

#define DICE_TAG_TEE_QUOTE 60000
#define IANA_HASH_SHA256 1
#define IANA_HASH_SHA384 7
#define IANA_HASH_SHA512 8
/* Refuse absurd extension sizes before asking libcbor to allocate for them. */
#define DICE_EVIDENCE_MAX (MSE_QUOTE_MAX_SIZE + 4096)
/* Header and report body up to REPORTDATA: what two carriers must agree on. */
#define QUOTE_IDENTITY_LEN (MSE_QUOTE_HEADER_SIZE + MSE_REPORT_BODY_SIZE - 64)

/* OID content octets (no tag, no length) of the carriers. */
static const uint8_t OID_SGX_QUOTE[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06};
static const uint8_t OID_SGX_QUOTE_GRAMINE[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                0xf8, 0x4d, 0x8a, 0x39, 0x06};
static const uint8_t OID_DICE[] = {0x67, 0x81, 0x05, 0x05, 0x04, 0x09};

/*
 * keyless: a library context without key decoders (a verifier's), or NULL
 * for the one made once per process (x509_ctx.c; OpenSSL's default context
 * if that could not be made). There OpenSSL leaves the certificate's key
 * undecoded: OpenSSL 3.0 spends more on decoding a key through its provider
 * decoders than on an ECDSA verification. Nothing here reads OpenSSL's
 * decoded key: cert_key builds it from the SubjectPublicKeyInfo, so every
 * context gives the same verdicts.
 */
static mse_err load_cert_in(const uint8_t *der, size_t len, OSSL_LIB_CTX *keyless, X509 **out)
{
    const unsigned char *p = der;
    MSE_ENSURE(len > 0 && len <= (1u << 20), MSE_ERR_CERT_PARSE);
    if (keyless == NULL)
        keyless = mse_x509_keyless_libctx();
    X509 *x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509), keyless, NULL);
    if (x == NULL) {
        ERR_clear_error();
        return MSE_ERR_CERT_PARSE;
    }
    if (p != der + len) {
        X509_free(x);
        return MSE_ERR_CERT_PARSE; /* trailing bytes after the certificate */
    }
    *out = x;
    return MSE_OK;
}

static mse_err load_cert(const uint8_t *der, size_t len, X509 **out)
{
    return load_cert_in(der, len, NULL, out);
}

static bool oid_is(const ASN1_OBJECT *obj, const uint8_t *content, size_t n)
{
    const unsigned char *d = OBJ_get0_data(obj);
    return d != NULL && OBJ_length(obj) == n && memcmp(d, content, n) == 0;
}

static enum mse_ratls_carrier carrier_of(const ASN1_OBJECT *obj)
{
    if (oid_is(obj, OID_SGX_QUOTE, sizeof OID_SGX_QUOTE) ||
        oid_is(obj, OID_SGX_QUOTE_GRAMINE, sizeof OID_SGX_QUOTE_GRAMINE))
        return MSE_RATLS_CARRIER_SGX_QUOTE_OID;
    if (oid_is(obj, OID_DICE, sizeof OID_DICE))
        return MSE_RATLS_CARRIER_DICE;
    return MSE_RATLS_CARRIER_NONE;
}

/* Copy a definite, non-empty CBOR byte string into buf at *used. */
static mse_err take_bstr(struct mse_rd *rd, uint8_t *buf, size_t cap, size_t *used,
                         const uint8_t **view, size_t *view_len)
{
    const uint8_t *p;
    size_t n;
    MSE_TRY(mse_cbor_string(rd, 2, &p, &n));
    MSE_ENSURE(n > 0, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_ENSURE(n <= cap - *used, MSE_ERR_BUFFER_TOO_SMALL);
    memcpy(buf + *used, p, n);
    *view = buf + *used;
    *view_len = n;
    *used += n;
    return MSE_OK;
}

/*
 * tag(60000) [quote: bstr, claims: bstr], filling the extension exactly: no
 * trailing bytes to hide things in. Read in place (src/core/cbor.c): a
 * declared length is checked against the bytes present before use, so a
 * server cannot make the verifier allocate for elements it never sent.
 */
static mse_err parse_dice(const uint8_t *ev, size_t len, uint8_t *buf, size_t cap,
                          struct mse_ratls *out)
{
    struct mse_rd rd;
    struct mse_cbor_head tag;
    uint64_t n = 0;
    size_t used = 0;

    MSE_ENSURE(len > 0 && len <= DICE_EVIDENCE_MAX, MSE_ERR_RATLS_DICE_FORMAT);
    mse_rd_init(&rd, ev, len);
    MSE_TRY(mse_cbor_head(&rd, &tag));
    MSE_ENSURE(tag.major == 6 && tag.arg == DICE_TAG_TEE_QUOTE, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_TRY(mse_cbor_container(&rd, 4, &n));
    MSE_ENSURE(n == 2, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_TRY(take_bstr(&rd, buf, cap, &used, &out->quote, &out->quote_len));
    MSE_TRY(take_bstr(&rd, buf, cap, &used, &out->claims, &out->claims_len));
    MSE_TRY_AS(mse_rd_end(&rd), MSE_ERR_RATLS_DICE_FORMAT);
    out->carrier = MSE_RATLS_CARRIER_DICE;
    return MSE_OK;
}

/*
 * Both carriers present (Gramine >= 1.8): the two quotes must be well formed
 * and be one enclave's two answers on one platform: header and report body
 * equal except REPORTDATA (which differs by design: each binds the key its
 * own way), and everything the platform vouches with equal byte for byte
 * (attestation key, QE report and its signature, QE auth data, PCK chain).
 * The verifier then checks the legacy quote's own signature and binding
 * (mse_verify), so with the DICE quote fully verified the legacy one is too:
 * no tool reading either carrier can be shown another enclave or platform.
 */
static mse_err same_enclave(const uint8_t *legacy, size_t legacy_len, const uint8_t *dice,
                            size_t dice_len)
{
    struct mse_quote a, b;
    MSE_TRY_AS(mse_quote_parse(legacy, legacy_len, &a), MSE_ERR_RATLS_MULTIPLE);
    MSE_TRY_AS(mse_quote_parse(dice, dice_len, &b), MSE_ERR_RATLS_MULTIPLE);
    /* signed_data is header || body, both 432 bytes long views into the quotes. */
    MSE_ENSURE(a.signed_len == b.signed_len && a.signed_len > QUOTE_IDENTITY_LEN,
               MSE_ERR_RATLS_MULTIPLE);
    MSE_ENSURE(mse_ct_eq(a.signed_data, b.signed_data, QUOTE_IDENTITY_LEN), MSE_ERR_RATLS_MULTIPLE);
    MSE_ENSURE(mse_ct_eq(a.att_public_key, b.att_public_key, sizeof a.att_public_key) &&
                   mse_ct_eq(a.qe_report.raw, b.qe_report.raw, MSE_REPORT_BODY_SIZE) &&
                   mse_ct_eq(a.qe_report_signature, b.qe_report_signature,
                             sizeof a.qe_report_signature),
               MSE_ERR_RATLS_MULTIPLE);
    MSE_ENSURE(a.qe_auth_len == b.qe_auth_len && a.cert_data_type == b.cert_data_type &&
                   a.cert_data_len == b.cert_data_len,
               MSE_ERR_RATLS_MULTIPLE);
    MSE_ENSURE(mse_ct_eq(a.qe_auth_data, b.qe_auth_data, a.qe_auth_len) &&
                   mse_ct_eq(a.cert_data, b.cert_data, a.cert_data_len),
               MSE_ERR_RATLS_MULTIPLE);
    return MSE_OK;
}

/* Copy the SGX quote extension's value into buf at *used. */
static mse_err take_quote_ext(const ASN1_OCTET_STRING *ext, uint8_t *buf, size_t cap,
                              size_t *used, const uint8_t **view, size_t *view_len)
{
    size_t n = (size_t)ASN1_STRING_length(ext);
    MSE_ENSURE(n > 0, MSE_ERR_RATLS_NO_QUOTE);
    MSE_ENSURE(n <= MSE_QUOTE_MAX_SIZE, MSE_ERR_LIMIT);
    MSE_ENSURE(n <= cap - *used, MSE_ERR_BUFFER_TOO_SMALL);
    memcpy(buf + *used, ASN1_STRING_get0_data(ext), n);
    *view = buf + *used;
    *view_len = n;
    *used += n;
    return MSE_OK;
}

mse_err mse_ratls_load(const uint8_t *der, size_t der_len, OSSL_LIB_CTX *keyless, X509 **out)
{
    return load_cert_in(der, der_len, keyless, out);
}

mse_err mse_ratls_extract(const uint8_t *der, size_t der_len, uint8_t *buf, size_t cap,
                          struct mse_ratls *out)
{
    X509 *x = NULL;
    memset(out, 0, sizeof *out);
    MSE_TRY(load_cert(der, der_len, &x));
    mse_err err = mse_ratls_extract_x509(x, buf, cap, out);
    X509_free(x);
    return err;
}

mse_err mse_ratls_extract_x509(X509 *x, uint8_t *buf, size_t cap, struct mse_ratls *out)
{
    mse_err err = MSE_OK;
    const ASN1_OCTET_STRING *quote_ext = NULL, *dice_ext = NULL;

    memset(out, 0, sizeof *out);

    int count = X509_get_ext_count(x);
    for (int i = 0; i < count; i++) {
        X509_EXTENSION *ext = X509_get_ext(x, i);
        enum mse_ratls_carrier c = carrier_of(X509_EXTENSION_get_object(ext));
        const ASN1_OCTET_STRING **slot = c == MSE_RATLS_CARRIER_SGX_QUOTE_OID ? &quote_ext
                                         : c == MSE_RATLS_CARRIER_DICE         ? &dice_ext
                                                                               : NULL;
        if (!slot)
            continue;
        /* Two quotes of one kind: nothing says which counts, and tools would disagree. */
        MSE_ENSURE_OUT(*slot == NULL, MSE_ERR_RATLS_MULTIPLE);
        *slot = X509_EXTENSION_get_data(ext);
    }
    MSE_ENSURE_OUT(quote_ext || dice_ext, MSE_ERR_RATLS_NO_QUOTE);

    if (dice_ext) {
        MSE_CHECK_OUT(parse_dice(ASN1_STRING_get0_data(dice_ext),
                                 (size_t)ASN1_STRING_length(dice_ext), buf, cap, out));
        MSE_ENSURE_OUT(out->quote_len <= MSE_QUOTE_MAX_SIZE, MSE_ERR_LIMIT);
        if (quote_ext) {
            size_t used = out->quote_len + out->claims_len;
            MSE_CHECK_OUT(same_enclave(ASN1_STRING_get0_data(quote_ext),
                                       (size_t)ASN1_STRING_length(quote_ext), out->quote,
                                       out->quote_len));
            MSE_CHECK_OUT(take_quote_ext(quote_ext, buf, cap, &used, &out->legacy_quote,
                                         &out->legacy_quote_len));
            out->legacy_quote_ignored = true;
        }
    } else {
        size_t used = 0;
        MSE_CHECK_OUT(take_quote_ext(quote_ext, buf, cap, &used, &out->quote, &out->quote_len));
        out->carrier = MSE_RATLS_CARRIER_SGX_QUOTE_OID;
    }
out:
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

/* A key on `group` (an OpenSSL group name) from its encoded point. */
static mse_err key_from_params(const char *group, const uint8_t *point, size_t point_len,
                               EVP_PKEY **out)
{
    mse_err err = MSE_OK;
    char name[16];
    size_t n = strlen(group);
    MSE_ENSURE(n < sizeof name, MSE_ERR_INTERNAL);
    memcpy(name, group, n + 1);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, point_len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    MSE_ENSURE(ctx != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(EVP_PKEY_fromdata_init(ctx) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1 && *out != NULL,
                   MSE_ERR_RATLS_KEY_TYPE);
out:
    EVP_PKEY_CTX_free(ctx);
    return err;
}

/*
 * The certificate's key, built from its SubjectPublicKeyInfo rather than
 * taken from OpenSSL's decoding of it (load_cert_in): RFC 5480
 * id-ecPublicKey on a named curve, and only the kinds an RA-TLS enclave
 * makes, MSE P-256 and Gramine P-384 (its verifier also takes P-256).
 * Anything else, explicit curve parameters included (RFC 5480 2.1.1 forbids
 * them in certificates), is refused before any hashing; so are a point
 * encoding other than RFC 5480's two and a point that is not on the curve
 * (both ways of building the key decode the point with
 * EC_POINT_oct2point, which checks it).
 * p256_domain: P-256 domain parameters without a key (a verifier's,
 * mse_ec_p256_domain), or NULL for the ones made once per process
 * (x509_ctx.c): a P-256 key is a copy of them given the point, which spares OpenSSL 3.0 building the curve's group again (the
 * costliest step of building the key: about a sixth of an ECDSA verification).
 */
static mse_err cert_key(X509 *x, const EVP_PKEY *p256_domain, EVP_PKEY **out, bool *p256,
                        const uint8_t **point_out, size_t *point_len_out)
{
    mse_err err = MSE_OK;
    const ASN1_OBJECT *alg = NULL, *curve_oid = NULL;
    const unsigned char *point = NULL;
    int point_len = 0, ptype = 0;
    const void *pval = NULL;
    X509_ALGOR *algor = NULL;
    *out = NULL;
    MSE_ENSURE(X509_PUBKEY_get0_param((ASN1_OBJECT **)&alg, &point, &point_len, &algor,
                                      X509_get_X509_PUBKEY(x)) == 1 &&
                   algor != NULL && point != NULL && point_len > 0,
               MSE_ERR_RATLS_KEY_TYPE);
    X509_ALGOR_get0(NULL, &ptype, &pval, algor);
    MSE_ENSURE(OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT,
               MSE_ERR_RATLS_KEY_TYPE);
    curve_oid = pval;
    int nid = OBJ_obj2nid(curve_oid);
    MSE_ENSURE(nid == NID_X9_62_prime256v1 || nid == NID_secp384r1, MSE_ERR_RATLS_KEY_TYPE);
    *p256 = nid == NID_X9_62_prime256v1;
    /*
     * RFC 5480 2.2: uncompressed (0x04) or compressed (0x02/0x03); "MUST be
     * rejected" otherwise. OpenSSL would also take the hybrid form (0x06/0x07).
     */
    MSE_ENSURE(point[0] == 0x04 || point[0] == 0x02 || point[0] == 0x03, MSE_ERR_RATLS_KEY_TYPE);
    if (p256_domain == NULL)
        p256_domain = mse_x509_p256_domain();
    if (*p256 && p256_domain != NULL) {
        err = mse_ec_key_from_domain(p256_domain, point, (size_t)point_len, out);
        if (err == MSE_ERR_DER)
            err = MSE_ERR_RATLS_KEY_TYPE;
    } else
        err = key_from_params(*p256 ? "prime256v1" : "secp384r1", point, (size_t)point_len, out);
    ERR_clear_error();
    MSE_TRY(err);
    *point_out = point;
    *point_len_out = (size_t)point_len;
    return MSE_OK;
}

/*
 * MSE form: SHA-256 of the X9.62 uncompressed point 04||X||Y of a P-256 key,
 * rebuilt from the coordinates so a compressed encoding in the certificate
 * hashes the same. `encoded` is the certificate's encoding of the key's
 * point (cert_key made the key from it): when it already is the 65-byte
 * uncompressed form, those are the bytes the rebuilt point would have.
 */
static mse_err mse_form_hash(EVP_PKEY *key, const uint8_t *encoded, size_t encoded_len,
                             uint8_t out[32])
{
    mse_err err = MSE_OK;
    BIGNUM *bx = NULL, *by = NULL;
    uint8_t point[65];
    if (encoded_len == sizeof point && encoded[0] == 0x04)
        return sha256(encoded, encoded_len, out);
    point[0] = 0x04;
    MSE_ENSURE_OUT(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
                       EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1,
                   MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(BN_bn2binpad(bx, point + 1, 32) == 32 && BN_bn2binpad(by, point + 33, 32) == 32,
                   MSE_ERR_CRYPTO);
    MSE_CHECK_OUT(sha256(point, sizeof point, out));
out:
    BN_free(bx);
    BN_free(by);
    return err;
}

/* The SubjectPublicKeyInfo exactly as the certificate encodes it (what Gramine hashes). */
static mse_err spki_der(X509 *x, uint8_t **der, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &p);
    MSE_ENSURE(n > 0 && p != NULL, MSE_ERR_CRYPTO);
    *der = p;
    *len = (size_t)n;
    return MSE_OK;
}

/*
 * The serialized "pubkey-hash" claim: [IANA hash id, hash of the DER SPKI].
 * Each byte of it is read in place: no allocation driven by what it declares.
 */
static mse_err check_pubkey_hash(const uint8_t *entry, size_t entry_len, const uint8_t *spki,
                                 size_t spki_len)
{
    struct mse_rd rd;
    struct mse_cbor_head alg;
    uint64_t n = 0;
    const uint8_t *hash;
    size_t hash_len;
    uint8_t digest[64];
    unsigned int dlen = 0;

    mse_rd_init(&rd, entry, entry_len);
    MSE_TRY(mse_cbor_container(&rd, 4, &n));
    MSE_ENSURE(n == 2, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_TRY(mse_cbor_head(&rd, &alg));
    MSE_ENSURE(alg.major == 0, MSE_ERR_RATLS_DICE_FORMAT);
    const EVP_MD *md = alg.arg == IANA_HASH_SHA256   ? EVP_sha256()
                       : alg.arg == IANA_HASH_SHA384 ? EVP_sha384()
                       : alg.arg == IANA_HASH_SHA512 ? EVP_sha512()
                                                     : NULL;
    MSE_ENSURE(md != NULL, MSE_ERR_RATLS_DICE_FORMAT);
    MSE_TRY(mse_cbor_string(&rd, 2, &hash, &hash_len));
    MSE_TRY_AS(mse_rd_end(&rd), MSE_ERR_RATLS_DICE_FORMAT);
    MSE_ENSURE(EVP_Digest(spki, spki_len, digest, &dlen, md, NULL) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE(hash_len == dlen && mse_ct_eq(hash, digest, dlen), MSE_ERR_BINDING_MISMATCH);
    return MSE_OK;
}

/*
 * DICE: SHA-256(claims) must be REPORTDATA[0:32], and claims["pubkey-hash"]
 * must hash the SPKI. Claims are a definite map with definite text keys;
 * exactly one "pubkey-hash" claim; other claims skipped (well-formed only).
 */
static mse_err check_dice(const struct mse_ratls *r, const uint8_t rd[64], const uint8_t *spki,
                          size_t spki_len)
{
    static const char KEY[] = "pubkey-hash";
    struct mse_rd claims;
    uint8_t digest[32];
    uint64_t pairs = 0;
    bool seen = false;

    MSE_TRY(sha256(r->claims, r->claims_len, digest));
    MSE_ENSURE(mse_ct_eq(digest, rd, 32), MSE_ERR_BINDING_MISMATCH);

    mse_rd_init(&claims, r->claims, r->claims_len);
    MSE_TRY(mse_cbor_container(&claims, 5, &pairs));
    for (uint64_t i = 0; i < pairs; i++) {
        const uint8_t *key, *entry;
        size_t key_len, entry_len;
        MSE_TRY(mse_cbor_string(&claims, 3, &key, &key_len));
        if (key_len != sizeof KEY - 1 || memcmp(key, KEY, key_len) != 0) {
            MSE_TRY(mse_cbor_skip(&claims));
            continue;
        }
        MSE_ENSURE(!seen, MSE_ERR_RATLS_DICE_FORMAT);
        seen = true;
        MSE_TRY(mse_cbor_string(&claims, 2, &entry, &entry_len));
        MSE_TRY(check_pubkey_hash(entry, entry_len, spki, spki_len));
    }
    MSE_TRY_AS(mse_rd_end(&claims), MSE_ERR_RATLS_DICE_FORMAT);
    MSE_ENSURE(seen, MSE_ERR_RATLS_DICE_FORMAT);
    return MSE_OK;
}

mse_err mse_ratls_check_binding(const uint8_t *der, size_t der_len, const struct mse_ratls *ratls,
                                const uint8_t report_data[64], enum mse_binding *form,
                                uint8_t *x25519_out)
{
    X509 *x = NULL;
    *form = MSE_BINDING_NONE;
    MSE_ENSURE(ratls->carrier == MSE_RATLS_CARRIER_SGX_QUOTE_OID ||
                   ratls->carrier == MSE_RATLS_CARRIER_DICE,
               MSE_ERR_ARG);
    MSE_TRY(load_cert(der, der_len, &x));
    mse_err err = mse_ratls_check_binding_x509(x, NULL, ratls, report_data, form, x25519_out);
    X509_free(x);
    return err;
}

mse_err mse_ratls_check_binding_x509(X509 *x, const EVP_PKEY *p256_domain,
                                     const struct mse_ratls *ratls,
                                     const uint8_t report_data[64], enum mse_binding *form,
                                     uint8_t *x25519_out)
{
    mse_err err = MSE_OK;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    uint8_t digest[32];
    bool p256 = false;
    EVP_PKEY *key = NULL;
    const uint8_t *point = NULL;
    size_t point_len = 0;

    *form = MSE_BINDING_NONE;
    MSE_ENSURE(ratls->carrier == MSE_RATLS_CARRIER_SGX_QUOTE_OID ||
                   ratls->carrier == MSE_RATLS_CARRIER_DICE,
               MSE_ERR_ARG);
    MSE_CHECK_OUT(cert_key(x, p256_domain, &key, &p256, &point, &point_len));
    /* A self-signed certificate whose signature fails was altered after the enclave made it. */
    MSE_ENSURE_OUT(X509_verify(x, key) == 1, MSE_ERR_CERT_SIGNATURE);
    MSE_CHECK_OUT(spki_der(x, &spki, &spki_len));

    if (ratls->carrier == MSE_RATLS_CARRIER_DICE) {
        MSE_CHECK_OUT(check_dice(ratls, report_data, spki, spki_len));
        *form = MSE_BINDING_DICE;
        goto out;
    }
    if (p256) {
        MSE_CHECK_OUT(mse_form_hash(key, point, point_len, digest));
        if (mse_ct_eq(digest, report_data, 32)) {
            *form = MSE_BINDING_MSE;
            if (x25519_out)
                memcpy(x25519_out, report_data + 32, 32);
            goto out;
        }
    }
    /* Gramine legacy: RD[0:32] = SHA-256(SPKI); Gramine leaves RD[32:64] zero and
     * its verifier never reads it, so neither do we. */
    MSE_CHECK_OUT(sha256(spki, spki_len, digest));
    MSE_ENSURE_OUT(mse_ct_eq(digest, report_data, 32), MSE_ERR_BINDING_MISMATCH);
    *form = MSE_BINDING_GRAMINE;
out:
    ERR_clear_error();
    EVP_PKEY_free(key);
    OPENSSL_free(spki);
    return err;
}
