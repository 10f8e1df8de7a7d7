/* Test-only complete DCAP world under a test root (see fakedcap.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <mse/bytes.h>
#include <mse/quote.h>
#include <mse/time.h>

#include "fakedcap.h"
#include "pki.h"
#include "testlib.h"

#define DAY 86400
static const char QE_MRSIGNER[] =
    "8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF";

void fakedcap_opts_default(struct fakedcap_opts *o, int64_t now)
{
    memset(o, 0, sizeof *o);
    o->now = now;
    o->tcb_status = "UpToDate";
    o->qe_status = "UpToDate";
    o->pck_comp1 = 2;
    memset(o->mrenclave, 0xe1, 32);
    memset(o->mrsigner, 0x51, 32);
}

/* ---- a tiny DER writer ---- */
struct db {
    uint8_t b[4096];
    size_t n;
};

static void db_raw(struct db *d, const void *p, size_t n)
{
    assert_true(d->n + n <= sizeof d->b);
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

static void db_tlv(struct db *d, uint8_t tag, const uint8_t *v, size_t n)
{
    uint8_t h[4] = {tag};
    size_t hn = 2;
    if (n < 0x80) {
        h[1] = (uint8_t)n;
    } else if (n < 0x100) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        hn = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hn = 4;
    }
    db_raw(d, h, hn);
    db_raw(d, v, n);
}

static void db_oid(struct db *d, const uint8_t *sub, size_t nsub)
{
    static const uint8_t arc[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    uint8_t o[16];
    memcpy(o, arc, sizeof arc);
    memcpy(o + sizeof arc, sub, nsub);
    db_tlv(d, 0x06, o, sizeof arc + nsub);
}

static void db_uint(struct db *d, uint8_t tag, unsigned v)
{
    /* Minimal two's-complement encoding of a non-negative value below 2^16. */
    uint8_t b[3];
    size_t n = 0;
    unsigned top = v >= 0x100 ? v >> 8 : v;
    if (top >= 0x80)
        b[n++] = 0;
    if (v >= 0x100)
        b[n++] = (uint8_t)(v >> 8);
    b[n++] = (uint8_t)v;
    db_tlv(d, tag, b, n);
}

/* SEQUENCE { oid, value } with value written by the caller into `val`. */
static void db_entry(struct db *d, const uint8_t *sub, size_t nsub, const struct db *val)
{
    struct db e = {.n = 0};
    db_oid(&e, sub, nsub);
    db_raw(&e, val->b, val->n);
    db_tlv(d, 0x30, e.b, e.n);
}

static void sgx_extension(struct db *out, const uint8_t comp[16], unsigned pcesvn,
                          const uint8_t fmspc[6])
{
    struct db seq = {.n = 0}, v, tcb = {.n = 0};
    uint8_t ppid[16], pceid[2] = {0, 0};
    memset(ppid, 0x77, sizeof ppid);
    v.n = 0;
    db_tlv(&v, 0x04, ppid, 16);
    db_entry(&seq, (const uint8_t[]){1}, 1, &v);
    for (unsigned i = 1; i <= 16; i++) {
        v.n = 0;
        db_uint(&v, 0x02, comp[i - 1]);
        db_entry(&tcb, (const uint8_t[]){2, (uint8_t)i}, 2, &v);
    }
    v.n = 0;
    db_uint(&v, 0x02, pcesvn);
    db_entry(&tcb, (const uint8_t[]){2, 17}, 2, &v);
    v.n = 0;
    db_tlv(&v, 0x04, comp, 16);
    db_entry(&tcb, (const uint8_t[]){2, 18}, 2, &v);
    v.n = 0;
    db_tlv(&v, 0x30, tcb.b, tcb.n);
    db_entry(&seq, (const uint8_t[]){2}, 1, &v);
    v.n = 0;
    db_tlv(&v, 0x04, pceid, 2);
    db_entry(&seq, (const uint8_t[]){3}, 1, &v);
    v.n = 0;
    db_tlv(&v, 0x04, fmspc, 6);
    db_entry(&seq, (const uint8_t[]){4}, 1, &v);
    v.n = 0;
    db_uint(&v, 0x0a, 0);
    db_entry(&seq, (const uint8_t[]){5}, 1, &v);
    out->n = 0;
    db_tlv(out, 0x30, seq.b, seq.n);
}

/* ---- little-endian quote writer ---- */
struct qb {
    uint8_t *b;
    size_t n, cap;
};

static void qb_raw(struct qb *q, const void *p, size_t n)
{
    assert_true(q->n + n <= q->cap);
    memcpy(q->b + q->n, p, n);
    q->n += n;
}

static void qb_u16(struct qb *q, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    qb_raw(q, b, 2);
}

static void qb_u32(struct qb *q, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    qb_raw(q, b, 4);
}

static void qb_u64(struct qb *q, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        uint8_t b = (uint8_t)(v >> (8 * i));
        qb_raw(q, &b, 1);
    }
}

static void report_body(uint8_t out[384], uint32_t misc, uint64_t flags, uint64_t xfrm,
                        const uint8_t mrenclave[32], const uint8_t mrsigner[32], uint16_t prodid,
                        uint16_t svn, const uint8_t rd[64])
{
    struct qb q = {out, 0, 384};
    uint8_t zero[96] = {0};
    uint8_t cpusvn[16] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    qb_raw(&q, cpusvn, 16);
    qb_u32(&q, misc);
    qb_raw(&q, zero, 12);
    qb_raw(&q, zero, 16); /* ISV ext prod id */
    qb_u64(&q, flags);
    qb_u64(&q, xfrm);
    qb_raw(&q, mrenclave, 32);
    qb_raw(&q, zero, 32);
    qb_raw(&q, mrsigner, 32);
    qb_raw(&q, zero, 32);
    qb_raw(&q, zero, 64); /* config id */
    qb_u16(&q, prodid);
    qb_u16(&q, svn);
    qb_u16(&q, 0);
    qb_raw(&q, zero, 42);
    qb_raw(&q, zero, 16); /* family id */
    qb_raw(&q, rd, 64);
    assert_int_equal(q.n, 384);
}

static void sha256(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int l = 0;
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    EVP_DigestUpdate(md, a, an);
    if (bn > 0)
        EVP_DigestUpdate(md, b, bn);
    EVP_DigestFinal_ex(md, out, &l);
    EVP_MD_CTX_free(md);
}

static void point(EVP_PKEY *k, uint8_t out[65])
{
    size_t n = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out, 65, &n), 1);
    assert_int_equal(n, 65);
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *o = malloc(na + nb + 1);
    memcpy(o, a, na);
    memcpy(o + na, b, nb + 1);
    return o;
}

static char *signed_body(EVP_PKEY *k, const char *member, const char *inner, bool flip)
{
    char sig[129];
    pki_sign_hex(k, inner, strlen(inner), sig);
    size_t n = strlen(inner) + 256;
    char *b = malloc(n);
    snprintf(b, n, "{\"%s\":%s,\"signature\":\"%s\"}", member, inner, sig);
    if (flip) {
        /* Change one digit inside the signed object (still valid JSON). */
        char *p = strstr(b, "\"tcbEvaluationDataNumber\":16");
        assert_non_null(p);
        p[27] = '7';
    }
    return b;
}

void fakedcap_build(struct fakedcap *f, const struct fakedcap_opts *o)
{
    char t1[21], t2[21], buf[8192];
    const int64_t now = o->now;
    memset(f, 0, sizeof *f);
    f->root_k = pki_key();
    f->ca_k = pki_key();
    f->leaf_k = pki_key();
    f->tcb_k = pki_key();
    f->att_k = pki_key();
    f->cert_k = pki_key();

    /* PKI */
    f->root = pki_cert("Intel SGX Root CA", f->root_k, NULL, NULL, now - 365 * DAY,
                       now + 3650 * DAY, true, 1);
    f->ca = pki_cert("Intel SGX PCK Platform CA", f->ca_k, f->root, f->root_k, now - 365 * DAY,
                     now + 3650 * DAY, true, 2);
    uint8_t comp[16], fmspc[6] = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
    memset(comp, 2, sizeof comp);
    comp[0] = o->pck_comp1;
    struct db ext;
    sgx_extension(&ext, comp, 10, fmspc);
    X509 *leaf_issuer = f->ca;
    EVP_PKEY *leaf_issuer_k = f->ca_k, *lookalike_k = NULL;
    X509 *lookalike = NULL;
    if (o->pck_wrong_issuer) {
        lookalike_k = pki_key();
        lookalike = pki_cert("Intel SGX PCK Platform CA", lookalike_k, f->root, f->root_k,
                             now - 365 * DAY, now + 3650 * DAY, true, 9);
        leaf_issuer = lookalike;
        leaf_issuer_k = lookalike_k;
    }
    f->leaf = pki_cert_ext("Intel SGX PCK Certificate", f->leaf_k, leaf_issuer, leaf_issuer_k,
                           now - 30 * DAY, o->pck_not_after ? o->pck_not_after : now + 365 * DAY,
                           false, 3, o->pck_no_extension ? NULL : "1.2.840.113741.1.13.1", ext.b,
                           ext.n);
    X509_free(lookalike);
    EVP_PKEY_free(lookalike_k);
    EVP_PKEY *tcb_issuer_k = f->root_k;
    X509 *tcb_issuer = f->root, *foreign = NULL;
    EVP_PKEY *foreign_k = NULL;
    if (o->tcb_signer_foreign) {
        foreign_k = pki_key();
        foreign = pki_cert("Intel SGX Root CA", foreign_k, NULL, NULL, now - DAY, now + DAY, true,
                           1);
        tcb_issuer = foreign;
        tcb_issuer_k = foreign_k;
    }
    f->tcb = pki_cert("Intel SGX TCB Signing", f->tcb_k, tcb_issuer, tcb_issuer_k,
                      now - 365 * DAY, now + 3650 * DAY, false, 4);
    X509_free(foreign);
    EVP_PKEY_free(foreign_k);
    f->root_der = pki_cert_der(f->root, &f->root_len);

    /* CRLs */
    long ca_serial = 2, leaf_serial = 3;
    X509_CRL *rc = pki_crl(f->root, f->root_k, now - DAY, now + 30 * DAY, &ca_serial,
                           o->pck_ca_revoked ? 1 : 0);
    EVP_PKEY *crl_k = o->pck_crl_wrong_signer ? pki_key() : NULL;
    X509_CRL *pc = pki_crl(f->ca, crl_k ? crl_k : f->ca_k, now - DAY,
                           o->pck_crl_next_update ? o->pck_crl_next_update : now + 30 * DAY,
                           &leaf_serial, o->pck_revoked ? 1 : 0);
    EVP_PKEY_free(crl_k);
    f->root_crl = pki_crl_pem(rc);
    f->pck_crl = pki_crl_pem(pc);
    X509_CRL_free(rc);
    X509_CRL_free(pc);

    /* TCB info v3: one level {2 x 16, pcesvn 10}. */
    mse_time_format(o->tcb_issue_date ? o->tcb_issue_date : now - DAY, t1);
    mse_time_format(o->tcb_next_update ? o->tcb_next_update : now + 30 * DAY, t2);
    int n = snprintf(buf, sizeof buf,
                     "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                     "\"fmspc\":\"%s\",\"pceId\":\"0000\",\"tcbType\":0,"
                     "\"tcbEvaluationDataNumber\":16,\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[",
                     t1, t2, o->tcb_fmspc_other ? "00906ED50001" : "00906ED50000");
    for (int i = 0; i < 16; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s{\"svn\":2}", i ? "," : "");
    bool up = strcmp(o->tcb_status, "UpToDate") == 0;
    snprintf(buf + n, sizeof buf - (size_t)n,
             "],\"pcesvn\":10},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"%s}]}",
             o->tcb_status, up ? "" : ",\"advisoryIDs\":[\"INTEL-SA-00001\",\"INTEL-SA-00002\"]");
    f->tcb_info = signed_body(f->tcb_k, "tcbInfo", buf, o->tcb_flip_byte);

    /* QE identity v2: one level, isvsvn 8. */
    mse_time_format(now - DAY, t1);
    mse_time_format(o->qe_next_update ? o->qe_next_update : now + 30 * DAY, t2);
    snprintf(buf, sizeof buf,
             "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"tcbEvaluationDataNumber\":16,\"miscselect\":\"00000000\","
             "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
             "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\","
             "\"isvprodid\":1,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":8},"
             "\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"%s}]}",
             t1, t2, QE_MRSIGNER, o->qe_status,
             strcmp(o->qe_status, "UpToDate") == 0 ? "" : ",\"advisoryIDs\":[\"INTEL-SA-00003\"]");
    f->qe_identity = signed_body(f->tcb_k, "enclaveIdentity", buf, false);
    char *tcb_pem = pki_cert_pem(f->tcb), *root_pem = pki_cert_pem(f->root);
    f->tcb_chain = concat(tcb_pem, root_pem);

    /* The quote. */
    uint8_t cert_pt[65], att_pt[65], rd[64] = {0}, qe_rd[64] = {0}, auth[32];
    point(f->cert_k, cert_pt);
    point(f->att_k, att_pt);
    if (o->binding_other) {
        EVP_PKEY *k = pki_key();
        uint8_t p2[65];
        point(k, p2);
        sha256(p2, 65, NULL, 0, rd);
        EVP_PKEY_free(k);
    } else {
        sha256(cert_pt, 65, NULL, 0, rd);
    }
    memset(rd + 32, 0x25, 32); /* the enclave's X25519 key */
    for (int i = 0; i < 32; i++)
        auth[i] = (uint8_t)i;
    sha256(att_pt + 1, 64, auth, sizeof auth, qe_rd);
    if (o->qe_report_data_bad)
        qe_rd[40] = 1;
    uint8_t body[384], qe_report[384], qe_mrsigner[32];
    uint64_t flags = MSE_SGX_FLAGS_INIT | MSE_SGX_FLAGS_MODE64BIT |
                     (o->debug ? MSE_SGX_FLAGS_DEBUG : 0);
    report_body(body, 0, flags, 0x3, o->mrenclave, o->mrsigner, 1, 3, rd);
    assert_int_equal(mse_hex_decode(QE_MRSIGNER, 64, qe_mrsigner, 32), MSE_OK);
    if (o->qe_mrsigner_other)
        qe_mrsigner[0] ^= 1;
    uint8_t qe_mrenclave[32];
    memset(qe_mrenclave, 0xee, 32);
    report_body(qe_report, o->qe_miscselect_other ? 1 : 0,
                0x11 | (o->qe_attributes_debug ? MSE_SGX_FLAGS_DEBUG : 0), 0xe7, qe_mrenclave,
                qe_mrsigner, o->qe_isvprodid_other ? 2 : 1, 8, qe_rd);

    struct qb q = {f->quote, 0, sizeof f->quote};
    qb_u16(&q, 3);
    qb_u16(&q, 2);
    qb_u32(&q, 0);
    qb_u16(&q, 8);
    qb_u16(&q, 10);
    uint8_t vendor[16];
    memcpy(vendor, MSE_INTEL_QE_VENDOR_ID, 16);
    if (o->qe_vendor_other)
        vendor[15] ^= 1;
    qb_raw(&q, vendor, 16);
    uint8_t user[20] = {0};
    qb_raw(&q, user, 20);
    qb_raw(&q, body, 384);
    uint8_t qsig[64], qesig[64];
    pki_sign_raw(f->att_k, f->quote, 432, qsig);
    if (o->quote_sig_bad)
        qsig[10] ^= 1;
    pki_sign_raw(f->leaf_k, qe_report, 384, qesig);
    if (o->qe_report_sig_bad)
        qesig[10] ^= 1;
    /* Certification data: the PEM chain (2, 3 or 4 certificates) and a NUL. */
    char *leaf_pem = pki_cert_pem(f->leaf), *ca_pem = pki_cert_pem(f->ca);
    char *chain = concat(leaf_pem, ca_pem), *tmp;
    int len = o->chain_len ? o->chain_len : 3;
    for (int i = 2; i < len; i++) {
        tmp = concat(chain, root_pem);
        free(chain);
        chain = tmp;
    }
    if (o->chain_garbage) {
        free(chain);
        chain = concat("-----BEGIN CERTIFICATE-----\n!!not base64!!\n", "-----END CERTIFICATE-----\n");
    }
    size_t cd_len = strlen(chain) + 1;
    uint32_t sig_len = (uint32_t)(64 + 64 + 384 + 64 + 2 + sizeof auth + 2 + 4 + cd_len);
    qb_u32(&q, sig_len);
    qb_raw(&q, qsig, 64);
    qb_raw(&q, att_pt + 1, 64);
    qb_raw(&q, qe_report, 384);
    qb_raw(&q, qesig, 64);
    qb_u16(&q, sizeof auth);
    qb_raw(&q, auth, sizeof auth);
    qb_u16(&q, 5);
    qb_u32(&q, (uint32_t)cd_len);
    qb_raw(&q, chain, cd_len);
    f->quote_len = q.n;

    /* The RA-TLS certificate: self-signed, quote in 1.2.840.113741.1337.6. */
    X509 *rc_cert = pki_cert_ext("localhost", f->cert_k, NULL, NULL, now - DAY, now + 365 * DAY,
                                 false, 77, "1.2.840.113741.1337.6", f->quote, f->quote_len);
    f->cert_der = pki_cert_der(rc_cert, &f->cert_len);
    X509_free(rc_cert);

    free(leaf_pem);
    free(ca_pem);
    free(chain);
    free(tcb_pem);
    free(root_pem);

    f->col.root_ca_crl = (struct mse_blob){(const uint8_t *)f->root_crl, strlen(f->root_crl)};
    f->col.pck_crl = (struct mse_blob){(const uint8_t *)f->pck_crl, strlen(f->pck_crl)};
    f->col.tcb_info = (struct mse_blob){(const uint8_t *)f->tcb_info, strlen(f->tcb_info)};
    f->col.tcb_info_chain = (struct mse_blob){(const uint8_t *)f->tcb_chain, strlen(f->tcb_chain)};
    f->col.qe_identity = (struct mse_blob){(const uint8_t *)f->qe_identity, strlen(f->qe_identity)};
    f->col.qe_identity_chain = f->col.tcb_info_chain;
}

void fakedcap_free(struct fakedcap *f)
{
    EVP_PKEY_free(f->root_k);
    EVP_PKEY_free(f->ca_k);
    EVP_PKEY_free(f->leaf_k);
    EVP_PKEY_free(f->tcb_k);
    EVP_PKEY_free(f->att_k);
    EVP_PKEY_free(f->cert_k);
    X509_free(f->root);
    X509_free(f->ca);
    X509_free(f->leaf);
    X509_free(f->tcb);
    free(f->root_der);
    free(f->cert_der);
    free(f->root_crl);
    free(f->pck_crl);
    free(f->tcb_info);
    free(f->qe_identity);
    free(f->tcb_chain);
}
