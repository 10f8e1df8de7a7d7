/*
 * `mse-sim pki init`: a test SGX PKI and its collateral, in Intel's formats.
 *
 *   root CA (self-signed) -> PCK Processor CA -> PCK leaf (SGX extension
 *   1.2.840.113741.1.13.1 shaped as Intel's, see pck-leaf-from-processor-ca.pem)
 *   root CA -> TCB signing certificate (signs TCB info and QE identity)
 *   root CA CRL, PCK CA CRL; TCB info v3; QE identity v2
 *
 * Signatures over the TCB info / QE identity objects are ECDSA-P256-SHA256 over
 * the exact bytes of the "tcbInfo" / "enclaveIdentity" value, as 128 hex
 * digits r||s, the way Intel's PCS signs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>

#include "sim.h"
#include "sim_files.h"
#include "util/util.h"

/* Intel's production QE MRSIGNER, so simulated QE reports look like real ones. */
const uint8_t MSE_SIM_QE_MRSIGNER[32] = {
    0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
    0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};

/* The simulated platform. */
static const uint8_t SIM_FMSPC[6] = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
static const uint8_t SIM_COMP_SVN[16] = {15, 15, 2, 4, 1, 128, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0};
#define SIM_PCESVN MSE_SIM_PCESVN
#define SIM_QE_ISVSVN 8
#define PCK_SERIAL 0x5043
#define CA_SERIAL 0x4341
void mse_sim_pki_opts_default(struct mse_sim_pki_opts *o, int64_t now)
{
    memset(o, 0, sizeof *o);
    o->tcb_status = MSE_TCB_UP_TO_DATE;
    o->qe_tcb_status = MSE_TCB_UP_TO_DATE;
    o->now = now;
    o->collateral_issue = now - 3600;
    o->collateral_next = now + 30 * 86400;
    o->pck_not_after = now + 7 * 365 * 86400;
    o->ca_not_after = now + 10LL * 365 * 86400;
    o->pcesvn = SIM_PCESVN;
}

/*
 * Read the PCESVN back from our own PCK leaf (SGX extension, TCB entry
 * 1.2.840.113741.1.13.1.2.17), so quotes carry what the certificate says.
 */
static mse_err pck_pcesvn(X509 *pck, uint16_t *out)
{
    mse_err err = MSE_ERR_PCK_EXT_FORMAT;
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = oid ? X509_get_ext_by_OBJ(pck, oid, -1) : -1;
    ASN1_OBJECT_free(oid);
    MSE_ENSURE(idx >= 0, MSE_ERR_PCK_EXT_FORMAT);
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(pck, idx));
    const unsigned char *p = ASN1_STRING_get0_data(v);
    STACK_OF(ASN1_TYPE) *top = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(v));
    MSE_ENSURE(top != NULL, MSE_ERR_PCK_EXT_FORMAT);
    for (int i = 0; i < sk_ASN1_TYPE_num(top) && err != MSE_OK; i++) {
        ASN1_TYPE *pair = sk_ASN1_TYPE_value(top, i);
        if (pair->type != V_ASN1_SEQUENCE)
            continue;
        const unsigned char *q = pair->value.sequence->data;
        STACK_OF(ASN1_TYPE) *kv = d2i_ASN1_SEQUENCE_ANY(NULL, &q, pair->value.sequence->length);
        if (kv && sk_ASN1_TYPE_num(kv) == 2 && sk_ASN1_TYPE_value(kv, 1)->type == V_ASN1_SEQUENCE) {
            ASN1_STRING *tcb = sk_ASN1_TYPE_value(kv, 1)->value.sequence;
            const unsigned char *r = tcb->data;
            STACK_OF(ASN1_TYPE) *comps = d2i_ASN1_SEQUENCE_ANY(NULL, &r, tcb->length);
            for (int j = 0; comps && j < sk_ASN1_TYPE_num(comps); j++) {
                ASN1_TYPE *c = sk_ASN1_TYPE_value(comps, j);
                const unsigned char *t = c->type == V_ASN1_SEQUENCE ? c->value.sequence->data
                                                                     : NULL;
                STACK_OF(ASN1_TYPE) *e =
                    t ? d2i_ASN1_SEQUENCE_ANY(NULL, &t, c->value.sequence->length) : NULL;
                char name[64] = "";
                long val = -1;
                if (e && sk_ASN1_TYPE_num(e) == 2 &&
                    sk_ASN1_TYPE_value(e, 0)->type == V_ASN1_OBJECT &&
                    sk_ASN1_TYPE_value(e, 1)->type == V_ASN1_INTEGER) {
                    OBJ_obj2txt(name, sizeof name, sk_ASN1_TYPE_value(e, 0)->value.object, 1);
                    val = ASN1_INTEGER_get(sk_ASN1_TYPE_value(e, 1)->value.integer);
                }
                if (strcmp(name, "1.2.840.113741.1.13.1.2.17") == 0 && val >= 0 && val <= 0xffff) {
                    *out = (uint16_t)val;
                    err = MSE_OK;
                }
                sk_ASN1_TYPE_pop_free(e, ASN1_TYPE_free);
            }
            sk_ASN1_TYPE_pop_free(comps, ASN1_TYPE_free);
        }
        sk_ASN1_TYPE_pop_free(kv, ASN1_TYPE_free);
    }
    sk_ASN1_TYPE_pop_free(top, ASN1_TYPE_free);
    return err;
}


mse_err mse_sim_sign_raw(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64])
{
    mse_err err = MSE_ERR_CRYPTO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t dlen = sizeof der;
    ECDSA_SIG *s = NULL;
    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, der, &dlen, msg, len) != 1)
        goto out;
    const unsigned char *p = der;
    s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    if (!s)
        goto out;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) != 32)
        goto out;
    err = MSE_OK;
out:
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(ctx);
    return err;
}

/* ---- a minimal DER writer for the SGX extension ---------------------------- */

struct der {
    uint8_t b[1024];
    size_t n;
    bool overflow;
};

static void der_put(struct der *d, const void *p, size_t n)
{
    if (n > sizeof d->b - d->n) {
        d->overflow = true;
        return;
    }
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

static void der_tlv(struct der *d, uint8_t tag, const void *v, size_t n)
{
    uint8_t h[4] = {tag};
    size_t hn;
    if (n < 128) {
        h[1] = (uint8_t)n;
        hn = 2;
    } else if (n < 256) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        hn = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hn = 4;
    }
    der_put(d, h, hn);
    der_put(d, v, n);
}

/* OID 1.2.840.113741.1.13.1[.a[.b]] */
static void der_sgx_oid(struct der *d, int a, int b)
{
    uint8_t oid[16] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    size_t n = 9;
    if (a)
        oid[n++] = (uint8_t)a;
    if (b)
        oid[n++] = (uint8_t)b;
    der_tlv(d, 0x06, oid, n);
}

static void der_uint(struct der *d, unsigned v)
{
    /* Minimal two's complement of a value below 2^16. */
    uint8_t b[3] = {0, (uint8_t)(v >> 8), (uint8_t)v};
    size_t skip = 0;
    while (skip < 2 && b[skip] == 0 && !(b[skip + 1] & 0x80))
        skip++;
    der_tlv(d, 0x02, b + skip, 3 - skip);
}

/* SEQUENCE { OID, value } where value is already-encoded bytes. */
static void der_pair(struct der *out, int a, int b, const struct der *value)
{
    struct der s = {.n = 0};
    der_sgx_oid(&s, a, b);
    der_put(&s, value->b, value->n);
    der_tlv(out, 0x30, s.b, s.n);
    out->overflow |= s.overflow || value->overflow;
}

static mse_err sgx_extension(const uint8_t ppid[16], const uint8_t comp[16], uint16_t pcesvn,
                             struct der *out)
{
    struct der v = {.n = 0}, tcb = {.n = 0}, seq = {.n = 0};
    for (int i = 1; i <= 16; i++) {
        v.n = 0;
        der_uint(&v, comp[i - 1]);
        der_pair(&tcb, 2, i, &v);
    }
    v.n = 0;
    der_uint(&v, pcesvn);
    der_pair(&tcb, 2, 17, &v);
    v.n = 0;
    der_tlv(&v, 0x04, comp, 16); /* CPUSVN: the components in order */
    der_pair(&tcb, 2, 18, &v);

    v.n = 0;
    der_tlv(&v, 0x04, ppid, 16);
    der_pair(&seq, 1, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x30, tcb.b, tcb.n);
    der_pair(&seq, 2, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x04, "\x00\x00", 2); /* PCE-ID 0000 */
    der_pair(&seq, 3, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x04, SIM_FMSPC, 6);
    der_pair(&seq, 4, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x0a, "\x00", 1); /* SGX Type: Standard */
    der_pair(&seq, 5, 0, &v);
    out->n = 0;
    out->overflow = false;
    der_tlv(out, 0x30, seq.b, seq.n);
    MSE_ENSURE(!out->overflow && !seq.overflow && !tcb.overflow, MSE_ERR_INTERNAL);
    return MSE_OK;
}

/* ---- certificates and CRLs ------------------------------------------------- */

/*
 * A certificate of the PKI: CN "MSE Test SGX <role>" (or Intel's "Intel SGX
 * <role>"), the root with pathLenConstraint 1, the CAs below it with 0, and
 * optionally the SGX extension (PCK leaf).
 */
static mse_err make_cert(const char *role, bool intel, EVP_PKEY *key, X509 *issuer,
                         EVP_PKEY *issuer_key, int64_t nb, int64_t na, bool ca, long serial,
                         const struct der *sgx_ext, X509 **out)
{
    char cn[96];
    snprintf(cn, sizeof cn, "%s SGX %s", intel ? "Intel" : "MSE Test", role);
    struct mse_sim_cert_spec s = {.cn = cn, .intel_names = intel, .key = key, .issuer = issuer,
                                  .issuer_key = issuer_key, .not_before = nb, .not_after = na,
                                  .ca = ca, .path_len = issuer ? 0 : 1, .serial = serial};
    if (sgx_ext) {
        s.ext_oid = "1.2.840.113741.1.13.1";
        s.ext_der = sgx_ext->b;
        s.ext_len = sgx_ext->n;
    }
    return mse_sim_cert_make(&s, out);
}

static mse_err make_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                        long revoked, X509_CRL **out)
{
    return mse_sim_crl_make(issuer, key, this_update, next_update, &revoked, revoked ? 1 : 0, out);
}

/* ---- files ------------------------------------------------------------------ */

/* Write what the memory BIO holds (when `written`: every PEM write into it
 * succeeded) to dir/name, and free the BIO in every case. */
static mse_err write_bio(const char *dir, const char *name, BIO *bio, bool written, unsigned mode)
{
    char path[4096];
    char *data;
    if (!bio || !written) {
        BIO_free(bio);
        return MSE_ERR_CRYPTO;
    }
    long n = BIO_get_mem_data(bio, &data);
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    mse_err err = w > 0 && (size_t)w < sizeof path
                      ? mse_file_write_atomic(path, data, (size_t)n, mode)
                      : MSE_ERR_LIMIT;
    BIO_free(bio);
    return err;
}

static mse_err write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    MSE_ENSURE(w > 0 && (size_t)w < sizeof path, MSE_ERR_LIMIT);
    return mse_file_write_atomic(path, p, n, 0644);
}

static mse_err write_key(const char *dir, const char *name, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    return write_bio(dir, name, b, b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1,
                     0600);
}

static mse_err write_cert(const char *dir, const char *name, X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    return write_bio(dir, name, b, b && PEM_write_bio_X509(b, x) == 1, 0644);
}

static mse_err write_chain(const char *dir, const char *name, X509 *a, X509 *b2)
{
    BIO *b = BIO_new(BIO_s_mem());
    return write_bio(dir, name, b,
                     b && PEM_write_bio_X509(b, a) == 1 && PEM_write_bio_X509(b, b2) == 1, 0644);
}

static mse_err write_crl_der(const char *dir, const char *name, X509_CRL *crl)
{
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    MSE_ENSURE(n > 0, MSE_ERR_CRYPTO);
    mse_err err = write_bytes(dir, name, der, (size_t)n);
    OPENSSL_free(der);
    return err;
}

static mse_err write_crl(const char *dir, const char *base, X509_CRL *crl)
{
    char name[256];
    snprintf(name, sizeof name, "%s.der", base);
    MSE_TRY(write_crl_der(dir, name, crl));
    BIO *b = BIO_new(BIO_s_mem());
    snprintf(name, sizeof name, "%s.pem", base);
    return write_bio(dir, name, b, b && PEM_write_bio_X509_CRL(b, crl) == 1, 0644);
}

static mse_err mkdir_ok(const char *path)
{
    MSE_ENSURE(mkdir(path, 0755) == 0 || errno == EEXIST, MSE_ERR_FILE_WRITE);
    return MSE_OK;
}

/* ---- collateral JSON ---------------------------------------------------------- */

static void json_advisories(char *out, size_t cap, const char *list)
{
    size_t n = 0;
    out[0] = 0;
    if (!list || !*list)
        return;
    n += (size_t)snprintf(out + n, cap - n, ",\"advisoryIDs\":[");
    const char *p = list;
    bool first = true;
    while (*p && n < cap) {
        size_t l = strcspn(p, ",");
        n += (size_t)snprintf(out + n, cap - n, "%s\"%.*s\"", first ? "" : ",", (int)l, p);
        first = false;
        p += l;
        if (*p == ',')
            p++;
    }
    if (n < cap)
        snprintf(out + n, cap - n, "]");
}

/* {"<member>":<inner>,"signature":"<hex>"} signed over the exact inner bytes. */
static mse_err signed_body(EVP_PKEY *key, const char *member, const char *inner, char **out)
{
    uint8_t sig[64];
    char hex[129];
    MSE_TRY(mse_sim_sign_raw(key, inner, strlen(inner), sig));
    mse_hex_encode(sig, 64, hex);
    size_t cap = strlen(inner) + 256;
    *out = malloc(cap);
    MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
    snprintf(*out, cap, "{\"%s\":%s,\"signature\":\"%s\"}", member, inner, hex);
    return MSE_OK;
}

/* An item's own date, else the collateral's. */
static int64_t date_or(int64_t item, int64_t all)
{
    return item ? item : all;
}

static mse_err tcb_info_json(const struct mse_sim_pki_opts *o, EVP_PKEY *key, char **out)
{
    char issue[21], next[21], fmspc[13], comps[1024], lower[1024], adv[512];
    char inner[4096];
    size_t n = 0;
    mse_time_format(date_or(o->tcb_info_issue, o->collateral_issue), issue);
    mse_time_format(date_or(o->tcb_info_next, o->collateral_next), next);
    mse_hex_encode(SIM_FMSPC, 6, fmspc);
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(comps + n, sizeof comps - n, "%s{\"svn\":%u}", i ? "," : "",
                              SIM_COMP_SVN[i]);
    n = 0;
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(lower + n, sizeof lower - n, "%s{\"svn\":%u}", i ? "," : "",
                              SIM_COMP_SVN[i] ? SIM_COMP_SVN[i] - 1 : 0);
    const char *adv_list = o->advisories;
    if (!adv_list && o->tcb_status != MSE_TCB_UP_TO_DATE)
        adv_list = "INTEL-SA-00000";
    json_advisories(adv, sizeof adv, adv_list);
    /* The platform matches the first level; a lower, older level follows as in real TCB info. */
    snprintf(inner, sizeof inner,
             "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"fmspc\":\"%s\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":16,"
             "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%u},"
             "\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"%s\"%s},"
             "{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%u},"
             "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
             "\"advisoryIDs\":[\"INTEL-SA-00106\"]}]}",
             issue, next, fmspc, comps, SIM_PCESVN, mse_tcb_status_name(o->tcb_status), adv, lower,
             SIM_PCESVN - 1);
    return signed_body(key, "tcbInfo", inner, out);
}

static mse_err qe_identity_json(const struct mse_sim_pki_opts *o, EVP_PKEY *key, char **out)
{
    char issue[21], next[21], mrsigner[65], inner[2048], adv[128];
    mse_time_format(o->collateral_issue, issue);
    mse_time_format(date_or(o->qe_identity_next, o->collateral_next), next);
    mse_hex_encode(MSE_SIM_QE_MRSIGNER, 32, mrsigner);
    for (char *p = mrsigner; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A'); /* Intel writes hex upper-case here */
    json_advisories(adv, sizeof adv,
                    o->qe_tcb_status != MSE_TCB_UP_TO_DATE ? "INTEL-SA-00615" : NULL);
    snprintf(inner, sizeof inner,
             "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"tcbEvaluationDataNumber\":16,\"miscselect\":\"00000000\","
             "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
             "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\","
             "\"isvprodid\":%d,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%d},"
             "\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"%s\"%s},"
             "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2019-05-15T00:00:00Z\","
             "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00219\"]}]}",
             issue, next, mrsigner, MSE_SIM_QE_ISVPRODID, SIM_QE_ISVSVN,
             mse_tcb_status_name(o->qe_tcb_status), adv);
    return signed_body(key, "enclaveIdentity", inner, out);
}

static EVP_PKEY *rsa3072_e3(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *e = BN_new();
    if (ctx && e && BN_set_word(e, 3) && EVP_PKEY_keygen_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) == 1 &&
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1)
        (void)EVP_PKEY_keygen(ctx, &k);
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static const char README[] =
    "Simulated SGX DCAP platform made by `mse-sim pki init`. TEST ONLY: every key\n"
    "here is public; nothing here is trusted unless you pass --trust-root root.pem.\n"
    "\n"
    "root.pem, root.key                 test SGX root CA (the trust anchor for tests)\n"
    "pck-ca.pem, pck-ca.key             PCK Processor CA\n"
    "pck.pem, pck.key                   PCK leaf with the SGX extension (FMSPC 00906ed50000)\n"
    "tcb-signing.pem, tcb-signing.key   signs TCB info and QE identity\n"
    "qe-attestation.key                 the simulated QE's attestation key (P-256)\n"
    "qe-report.sig                      the QE report's signature by the PCK key (r||s), made once\n"
    "signer.key, signer.pem             enclave signer key pair (RSA-3072, e=3); quotes\n"
    "                                   carry its MRSIGNER by default\n"
    "root-ca-crl.der/.pem               root CA CRL\n"
    "pck-crl.der/.pem                   PCK Processor CA CRL\n"
    "tcb-info.json, qe-identity.json    signed collateral (PCS v4 bodies)\n"
    "pccs/                              what `mse-sim pccs serve --dir` serves:\n"
    "  tcb/<fmspc>.json                   GET /tcb body\n"
    "  tcb-chain.pem                      TCB signing certificate, then root (TCB-Info-\n"
    "                                     and SGX-Enclave-Identity-Issuer-Chain)\n"
    "  qe-identity.json                   GET /qe/identity body\n"
    "  pckcrl-processor.der, -chain.pem   Processor CA CRL, its issuer chain (CA, root)\n"
    "  pckcrl-platform.der, -chain.pem    Platform CA CRL, its issuer chain (CA, root);\n"
    "                                     the PCK leaf itself is issued by the Processor CA\n"
    "  rootcacrl.der                      GET /rootcacrl (root CA CRL)\n";

/* Everything `mse-sim pki init` makes, before it is written out. */
struct pki {
    EVP_PKEY *root_key, *ca_key, *plat_key, *pck_key, *tcb_key, *att_key, *signer;
    X509 *root, *ca, *plat, *pck, *tcb;
    X509_CRL *root_crl, *pck_crl, *plat_crl;
    char *tcb_json, *qe_json;
};

static void pki_free(struct pki *k)
{
    EVP_PKEY *keys[] = {k->root_key, k->ca_key, k->plat_key, k->pck_key,
                        k->tcb_key,  k->att_key, k->signer};
    X509 *certs[] = {k->root, k->ca, k->plat, k->pck, k->tcb};
    X509_CRL *crls[] = {k->root_crl, k->pck_crl, k->plat_crl};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++)
        X509_free(certs[i]);
    for (size_t i = 0; i < sizeof crls / sizeof crls[0]; i++)
        X509_CRL_free(crls[i]);
    free(k->tcb_json);
    free(k->qe_json);
}

/*
 * The PCK leaf's SGX extension (non-critical, as in Intel's PCK certificates).
 * below: the first component one less than the lower TCB level's, so the
 * platform matches no level.
 */
static mse_err pck_sgx_extension(uint16_t pcesvn, bool below, struct der *ext)
{
    uint8_t ppid[16], comp[16];
    for (int i = 0; i < 16; i++)
        ppid[i] = (uint8_t)(0xa0 + i);
    memcpy(comp, SIM_COMP_SVN, sizeof comp);
    if (below)
        comp[0] = (uint8_t)(SIM_COMP_SVN[0] - 2);
    return sgx_extension(ppid, comp, pcesvn, ext);
}

/* The keys of the PKI (the RSA signer key unless o->no_signer_key). */
static mse_err pki_keys(const struct mse_sim_pki_opts *o, struct pki *k)
{
    EVP_PKEY **ec[] = {&k->root_key, &k->ca_key, &k->plat_key, &k->pck_key, &k->tcb_key,
                       &k->att_key};
    for (size_t i = 0; i < sizeof ec / sizeof ec[0]; i++)
        MSE_TRY(mse_sim_key(ec[i]));
    if (!o->no_signer_key) {
        k->signer = rsa3072_e3();
        MSE_ENSURE(k->signer != NULL, MSE_ERR_CRYPTO);
    }
    return MSE_OK;
}

/*
 * A CA with the same names as `like` (issued by the same root) but its own
 * key: what a look-alike intermediate is. *key and *ca are the caller's.
 */
static mse_err lookalike_ca(const struct mse_sim_pki_opts *o, const struct pki *k, EVP_PKEY **key,
                            X509 **ca)
{
    MSE_TRY(mse_sim_key(key));
    return make_cert("PCK Processor CA", o->intel_names, *key, k->root, k->root_key,
                     o->now - 86400, o->ca_not_after, true, CA_SERIAL + 7, NULL, ca);
}

/* The PCK leaf, issued by the Processor CA (or by a look-alike of it). */
static mse_err pki_make_pck(const struct mse_sim_pki_opts *o, const struct mse_sim_pki_faults *f,
                            struct pki *k)
{
    struct der sgx_ext = {.n = 0};
    EVP_PKEY *other_key = NULL;
    X509 *other = NULL;
    MSE_TRY(pck_sgx_extension(o->pcesvn, f->pck_tcb_below, &sgx_ext));
    if (f->pck_issuer_lookalike)
        MSE_TRY(lookalike_ca(o, k, &other_key, &other));
    mse_err err = make_cert("PCK Certificate", o->intel_names, k->pck_key, other ? other : k->ca,
                            other ? other_key : k->ca_key, o->now - 86400, o->pck_not_after, false,
                            PCK_SERIAL, f->pck_no_extension ? NULL : &sgx_ext, &k->pck);
    X509_free(other);
    EVP_PKEY_free(other_key);
    return err;
}

/* The TCB signing certificate, issued by the root (or by another root of the same names). */
static mse_err pki_make_tcb(const struct mse_sim_pki_opts *o, const struct mse_sim_pki_faults *f,
                            struct pki *k)
{
    int64_t nb = o->now - 86400, na = o->ca_not_after;
    EVP_PKEY *other_key = NULL;
    X509 *other = NULL;
    if (f->tcb_signer_foreign) {
        MSE_TRY(mse_sim_key(&other_key));
        mse_err err = make_cert("Root CA", o->intel_names, other_key, NULL, NULL, nb, na, true, 1,
                                NULL, &other);
        if (err != MSE_OK) {
            EVP_PKEY_free(other_key);
            return err;
        }
    }
    mse_err err = make_cert("TCB Signing", o->intel_names, k->tcb_key, other ? other : k->root,
                            other ? other_key : k->root_key, nb, na, false, 0x5443, NULL, &k->tcb);
    X509_free(other);
    EVP_PKEY_free(other_key);
    return err;
}

/* The CRLs; the PCK CRL optionally signed by a key that is not its issuer's. */
static mse_err pki_make_crls(const struct mse_sim_pki_opts *o, const struct mse_sim_pki_faults *f,
                             struct pki *k)
{
    EVP_PKEY *pck_crl_key = k->ca_key, *other_key = NULL;
    if (f->pck_crl_other_signer) {
        MSE_TRY(mse_sim_key(&other_key));
        pck_crl_key = other_key;
    }
    mse_err err = make_crl(k->ca, pck_crl_key, o->collateral_issue,
                           date_or(o->pck_crl_next, o->collateral_next),
                           o->revoke_pck ? PCK_SERIAL : 0, &k->pck_crl);
    EVP_PKEY_free(other_key);
    MSE_TRY(err);
    MSE_TRY(make_crl(k->root, k->root_key, o->collateral_issue, o->collateral_next,
                     o->revoke_pck_ca ? CA_SERIAL : 0, &k->root_crl));
    return make_crl(k->plat, k->plat_key, o->collateral_issue, o->collateral_next, 0,
                    &k->plat_crl);
}

/* Keys, certificates, CRLs and signed collateral, as o asks, with faults f. */
static mse_err pki_make(const struct mse_sim_pki_opts *o, const struct mse_sim_pki_faults *f,
                        struct pki *k)
{
    int64_t nb = o->now - 86400, na = o->ca_not_after;
    bool in = o->intel_names;
    MSE_TRY(pki_keys(o, k));
    MSE_TRY(make_cert("Root CA", in, k->root_key, NULL, NULL, nb, na, true, 1, NULL, &k->root));
    MSE_TRY(make_cert("PCK Processor CA", in, k->ca_key, k->root, k->root_key, nb, na, true,
                      CA_SERIAL, NULL, &k->ca));
    /* The Platform CA exists as in Intel's PKI (its CRL is served); our leaf is the Processor CA's. */
    MSE_TRY(make_cert("PCK Platform CA", in, k->plat_key, k->root, k->root_key, nb, na, true,
                      CA_SERIAL + 1, NULL, &k->plat));
    MSE_TRY(pki_make_tcb(o, f, k));
    MSE_TRY(pki_make_pck(o, f, k));
    MSE_TRY(pki_make_crls(o, f, k));
    MSE_TRY(tcb_info_json(o, k->tcb_key, &k->tcb_json));
    MSE_TRY(qe_identity_json(o, k->tcb_key, &k->qe_json));
    return MSE_OK;
}

static mse_err write_public_key(const char *dir, const char *name, EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    return write_bio(dir, name, b, b && PEM_write_bio_PUBKEY(b, key) == 1, 0644);
}

/* The top of the directory: keys, certificates, CRLs, collateral, README.txt. */
static mse_err pki_write(const char *dir, const struct pki *k)
{
    MSE_TRY(write_key(dir, MSE_SIM_ROOT_KEY, k->root_key));
    MSE_TRY(write_key(dir, MSE_SIM_PCK_CA_KEY, k->ca_key));
    MSE_TRY(write_key(dir, MSE_SIM_PCK_KEY, k->pck_key));
    MSE_TRY(write_key(dir, MSE_SIM_TCB_SIGNING_KEY, k->tcb_key));
    MSE_TRY(write_key(dir, MSE_SIM_QE_ATTESTATION_KEY, k->att_key));
    MSE_TRY(write_key(dir, MSE_SIM_SIGNER_KEY, k->signer));
    MSE_TRY(write_public_key(dir, MSE_SIM_SIGNER_PUB, k->signer));
    MSE_TRY(write_cert(dir, MSE_SIM_ROOT_CERT, k->root));
    MSE_TRY(write_cert(dir, MSE_SIM_PCK_CA_CERT, k->ca));
    MSE_TRY(write_cert(dir, MSE_SIM_PCK_CERT, k->pck));
    MSE_TRY(write_cert(dir, MSE_SIM_TCB_SIGNING_CERT, k->tcb));
    MSE_TRY(write_crl(dir, MSE_SIM_ROOT_CRL, k->root_crl));
    MSE_TRY(write_crl(dir, MSE_SIM_PCK_CRL, k->pck_crl));
    MSE_TRY(write_bytes(dir, MSE_SIM_TCB_INFO, k->tcb_json, strlen(k->tcb_json)));
    MSE_TRY(write_bytes(dir, MSE_SIM_QE_IDENTITY, k->qe_json, strlen(k->qe_json)));
    return write_bytes(dir, MSE_SIM_README, README, sizeof README - 1);
}

/* What the PCCS server serves: DIR/pccs (see src/sim/pccs.h for the layout). */
static mse_err pki_write_pccs(const char *dir, const struct pki *k)
{
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/pccs", dir);
    MSE_TRY(mkdir_ok(sub));
    MSE_TRY(write_chain(sub, "tcb-chain.pem", k->tcb, k->root));
    MSE_TRY(write_bytes(sub, "qe-identity.json", k->qe_json, strlen(k->qe_json)));
    MSE_TRY(write_chain(sub, "pckcrl-processor-chain.pem", k->ca, k->root));
    MSE_TRY(write_chain(sub, "pckcrl-platform-chain.pem", k->plat, k->root));
    MSE_TRY(write_crl_der(sub, "pckcrl-processor.der", k->pck_crl));
    MSE_TRY(write_crl_der(sub, "pckcrl-platform.der", k->plat_crl));
    MSE_TRY(write_crl_der(sub, "rootcacrl.der", k->root_crl));
    snprintf(sub, sizeof sub, "%s/pccs/tcb", dir);
    MSE_TRY(mkdir_ok(sub));
    return write_bytes(sub, "00906ed50000.json", k->tcb_json, strlen(k->tcb_json));
}

/*
 * Intel's QE signs its report once, when it makes the attestation key: all
 * quotes of a platform carry the same QE report and signature. Made here,
 * kept in the directory, used by every load.
 */
static mse_err pki_write_qe_report_sig(const char *dir)
{
    struct mse_sim_pki made;
    MSE_TRY(mse_sim_pki_load(dir, &made));
    mse_err err = write_bytes(dir, MSE_SIM_QE_REPORT_SIG, made.qe_report_sig, sizeof made.qe_report_sig);
    mse_sim_pki_free(&made);
    return err;
}

mse_err mse_sim_pki_init(const char *dir, const struct mse_sim_pki_opts *o, char *errbuf,
                         size_t errlen)
{
    struct pki k = {0};
    /* The directory holds the signer key: without it, quotes could not name an MRSIGNER. */
    mse_err err = o->no_signer_key ? MSE_ERR_ARG : mkdir_ok(dir);
    if (err == MSE_OK)
        err = pki_make(o, &(const struct mse_sim_pki_faults){0}, &k);
    if (err == MSE_OK)
        err = pki_write(dir, &k);
    if (err == MSE_OK)
        err = pki_write_pccs(dir, &k);
    if (err == MSE_OK)
        err = pki_write_qe_report_sig(dir);
    pki_free(&k);
    if (err != MSE_OK)
        return mse_say(errbuf, errlen, err, "cannot create the test PKI in %s: %s", dir,
                       mse_err_str(err));
    return MSE_OK;
}

/* ---- loading ------------------------------------------------------------------ */

static mse_err load_file(const char *dir, const char *name, char **text)
{
    char path[4096];
    uint8_t *data;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    MSE_TRY(mse_file_read(path, 1u << 20, &data, &len));
    *text = (char *)data;
    return MSE_OK;
}

static mse_err load_key(const char *dir, const char *name, EVP_PKEY **out)
{
    char *pem;
    MSE_TRY(load_file(dir, name, &pem));
    BIO *b = BIO_new_mem_buf(pem, -1);
    *out = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    free(pem);
    MSE_ENSURE(*out != NULL, MSE_ERR_PEM);
    return MSE_OK;
}

static mse_err load_cert(const char *dir, const char *name, X509 **out, char **pem)
{
    MSE_TRY(load_file(dir, name, pem));
    BIO *b = BIO_new_mem_buf(*pem, -1);
    *out = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    MSE_ENSURE(*out != NULL, MSE_ERR_PEM);
    return MSE_OK;
}

mse_err mse_sim_pki_load(const char *dir, struct mse_sim_pki *p)
{
    mse_err err = MSE_OK;
    char *signer_pem = NULL;
    memset(p, 0, sizeof *p);
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_ROOT_KEY, &p->root_key));
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_PCK_CA_KEY, &p->ca_key));
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_PCK_KEY, &p->pck_key));
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_TCB_SIGNING_KEY, &p->tcb_key));
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_QE_ATTESTATION_KEY, &p->att_key));
    MSE_CHECK_OUT(load_key(dir, MSE_SIM_SIGNER_KEY, &p->signer_key));
    MSE_CHECK_OUT(load_cert(dir, MSE_SIM_ROOT_CERT, &p->root, &p->root_pem));
    MSE_CHECK_OUT(load_cert(dir, MSE_SIM_PCK_CA_CERT, &p->ca, &p->ca_pem));
    MSE_CHECK_OUT(load_cert(dir, MSE_SIM_PCK_CERT, &p->pck, &p->pck_pem));
    MSE_CHECK_OUT(load_cert(dir, MSE_SIM_TCB_SIGNING_CERT, &p->tcb, &p->tcb_pem));
    MSE_CHECK_OUT(load_file(dir, MSE_SIM_SIGNER_PUB, &signer_pem));
    MSE_CHECK_OUT(mse_mrsigner_from_pem((const uint8_t *)signer_pem, strlen(signer_pem),
                                        p->signer_mrsigner));
    memcpy(p->fmspc, SIM_FMSPC, 6);
    memcpy(p->cpusvn, SIM_COMP_SVN, 16);
    MSE_CHECK_OUT(pck_pcesvn(p->pck, &p->pcesvn));
    p->qe_isvsvn = SIM_QE_ISVSVN;
    MSE_CHECK_OUT(mse_sim_qe_report_sign(p));
    {
        /* The signature made at init (absent in older directories: the fresh one stays). */
        char path[4096];
        uint8_t *sig = NULL;
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s", dir, MSE_SIM_QE_REPORT_SIG);
        if (mse_file_read(path, sizeof p->qe_report_sig, &sig, &n) == MSE_OK &&
            n == sizeof p->qe_report_sig)
            memcpy(p->qe_report_sig, sig, n);
        free(sig);
    }
out:
    free(signer_pem);
    if (err != MSE_OK)
        mse_sim_pki_free(p);
    return err;
}

void mse_sim_pki_free(struct mse_sim_pki *p)
{
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->pck_key);
    EVP_PKEY_free(p->tcb_key);
    EVP_PKEY_free(p->att_key);
    EVP_PKEY_free(p->signer_key);
    X509_free(p->root);
    X509_free(p->ca);
    X509_free(p->pck);
    X509_free(p->tcb);
    free(p->root_pem);
    free(p->ca_pem);
    free(p->pck_pem);
    free(p->tcb_pem);
    memset(p, 0, sizeof *p);
}

/* ---- in memory ------------------------------------------------------------------ */

/* MRSIGNER of the signer key, as `mse_sim_pki_load` computes it from signer.pem. */
static mse_err signer_mrsigner(EVP_PKEY *signer, uint8_t out[32])
{
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    mse_err err = MSE_ERR_CRYPTO;
    if (b && PEM_write_bio_PUBKEY(b, signer) == 1) {
        long n = BIO_get_mem_data(b, &pem);
        err = mse_mrsigner_from_pem((const uint8_t *)pem, (size_t)n, out);
    }
    BIO_free(b);
    return err;
}

/* Move the keys and certificates of k into p (k keeps nothing of them). */
static mse_err pki_hand_over(struct pki *k, const struct mse_sim_pki_opts *o, struct mse_sim_pki *p)
{
    p->root_key = k->root_key, p->ca_key = k->ca_key, p->pck_key = k->pck_key;
    p->tcb_key = k->tcb_key, p->att_key = k->att_key, p->signer_key = k->signer;
    p->root = k->root, p->ca = k->ca, p->pck = k->pck, p->tcb = k->tcb;
    k->root_key = k->ca_key = k->pck_key = k->tcb_key = k->att_key = k->signer = NULL;
    k->root = k->ca = k->pck = k->tcb = NULL;
    MSE_TRY(mse_sim_cert_pem(p->root, &p->root_pem));
    MSE_TRY(mse_sim_cert_pem(p->ca, &p->ca_pem));
    MSE_TRY(mse_sim_cert_pem(p->pck, &p->pck_pem));
    MSE_TRY(mse_sim_cert_pem(p->tcb, &p->tcb_pem));
    if (p->signer_key)
        MSE_TRY(signer_mrsigner(p->signer_key, p->signer_mrsigner));
    memcpy(p->fmspc, SIM_FMSPC, 6);
    memcpy(p->cpusvn, SIM_COMP_SVN, 16);
    p->pcesvn = o->pcesvn;
    p->qe_isvsvn = SIM_QE_ISVSVN;
    return mse_sim_qe_report_sign(p);
}

/* The collateral texts of k as w's, and w->col viewing them. */
static mse_err pki_hand_over_collateral(struct pki *k, struct mse_sim_world *w)
{
    w->tcb_info = k->tcb_json, w->qe_identity = k->qe_json;
    k->tcb_json = k->qe_json = NULL;
    MSE_TRY(mse_sim_crl_pem(k->root_crl, &w->root_ca_crl));
    MSE_TRY(mse_sim_crl_pem(k->pck_crl, &w->pck_crl));
    size_t n = strlen(w->pki.tcb_pem) + strlen(w->pki.root_pem) + 1;
    w->tcb_chain = malloc(n);
    MSE_ENSURE(w->tcb_chain != NULL, MSE_ERR_NOMEM);
    snprintf(w->tcb_chain, n, "%s%s", w->pki.tcb_pem, w->pki.root_pem);
    MSE_TRY(mse_sim_cert_der(w->pki.root, &w->root_der, &w->root_len));
    w->col.root_ca_crl = (struct mse_blob){(const uint8_t *)w->root_ca_crl, strlen(w->root_ca_crl)};
    w->col.pck_crl = (struct mse_blob){(const uint8_t *)w->pck_crl, strlen(w->pck_crl)};
    w->col.tcb_info = (struct mse_blob){(const uint8_t *)w->tcb_info, strlen(w->tcb_info)};
    w->col.tcb_info_chain = (struct mse_blob){(const uint8_t *)w->tcb_chain, strlen(w->tcb_chain)};
    w->col.qe_identity = (struct mse_blob){(const uint8_t *)w->qe_identity, strlen(w->qe_identity)};
    w->col.qe_identity_chain = w->col.tcb_info_chain;
    return MSE_OK;
}

mse_err mse_sim_pki_make(const struct mse_sim_pki_opts *o, const struct mse_sim_pki_faults *faults,
                         struct mse_sim_world *w)
{
    struct pki k = {0};
    memset(w, 0, sizeof *w);
    mse_err err = pki_make(o, faults ? faults : &(const struct mse_sim_pki_faults){0}, &k);
    if (err == MSE_OK)
        err = pki_hand_over(&k, o, &w->pki);
    if (err == MSE_OK)
        err = pki_hand_over_collateral(&k, w);
    pki_free(&k);
    if (err != MSE_OK)
        mse_sim_world_free(w);
    return err;
}
