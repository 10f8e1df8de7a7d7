/*
 * The SGX extension of PCK certificates, OID 1.2.840.113741.1.13.1 (Intel
 * "SGX PCK Certificate and Certificate Revocation List Profile
 * Specification", section 1.5 "Intel SGX PCK Certificate: SGX Extensions").
 *
 *   SGXExtensions ::= SEQUENCE OF SEQUENCE { oid OBJECT IDENTIFIER, value ANY }
 *     .1  PPID                 OCTET STRING (16)
 *     .2  TCB                  SEQUENCE of 18 { oid .2.N, value }:
 *                                .2.1-.2.16 SGXTCBCompNNSVN INTEGER (0..255)
 *                                .2.17      PCESVN INTEGER (0..65535)
 *                                .2.18      CPUSVN OCTET STRING (16)
 *     .3  PCE-ID               OCTET STRING (2)
 *     .4  FMSPC                OCTET STRING (6)
 *     .5  SGX Type             ENUMERATED (0 standard, 1 scalable, 2 scalable+integrity)
 *     .6  PlatformInstanceID   OCTET STRING (16)      Platform CA leaves only
 *     .7  Configuration        SEQUENCE { ... BOOLEAN } Platform CA leaves only
 *
 * The values decide the TCB level (hence the TCB status) and which TCB info
 * applies, so they are parsed strictly through the bounds-checked reader:
 * DER definite minimal lengths, each entry at most once, all mandatory
 * entries present, no unknown entries, no trailing bytes. A lenient parser
 * here would let two tools derive different TCB statuses from one PCK.
 */
#include <string.h>

#include <openssl/objects.h>

#include <mse/guard.h>

#include "dcap.h"

#define F MSE_ERR_PCK_EXT_FORMAT

/* DER of 1.2.840.113741.1.13.1 (content bytes of the OBJECT IDENTIFIER). */
static const uint8_t sgx_arc[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* One DER TLV (der.c), errors reported as the extension's format error. */
static mse_err der_tlv(struct mse_rd *rd, uint8_t want_tag, struct mse_rd *value)
{
    MSE_TRY_AS(mse_der_tlv(rd, want_tag, value), F);
    return MSE_OK;
}

/* A non-negative DER INTEGER <= max (minimal encoding). */
static mse_err der_uint(struct mse_rd *rd, uint8_t tag, uint32_t max, uint32_t *out)
{
    struct mse_rd v;
    uint8_t b;
    uint32_t x = 0;
    size_t n;
    MSE_TRY(der_tlv(rd, tag, &v));
    n = mse_rd_left(&v);
    MSE_ENSURE(n >= 1 && n <= 4, F);
    for (size_t i = 0; i < n; i++) {
        MSE_TRY_AS(mse_rd_u8(&v, &b), F);
        if (i == 0)
            MSE_ENSURE(!(b & 0x80), F); /* negative */
        if (i == 1 && x == 0)
            MSE_ENSURE(b & 0x80, F); /* redundant leading zero */
        x = (x << 8) | b;
    }
    MSE_ENSURE(x <= max, F);
    *out = x;
    return MSE_OK;
}

static mse_err der_octets(struct mse_rd *rd, uint8_t *out, size_t n)
{
    struct mse_rd v;
    MSE_TRY(der_tlv(rd, 0x04, &v));
    MSE_ENSURE(mse_rd_left(&v) == n, F);
    MSE_TRY_AS(mse_rd_copy(&v, out, n), F);
    return MSE_OK;
}

/*
 * Read an OID that must be sgx_arc followed by exactly `depth` single-byte
 * arcs (all SGX sub-arcs are < 128); returns them in arcs[].
 */
static mse_err sgx_oid(struct mse_rd *rd, size_t depth, uint8_t arcs[2])
{
    struct mse_rd v;
    const uint8_t *p;
    MSE_TRY(der_tlv(rd, 0x06, &v));
    MSE_ENSURE(mse_rd_left(&v) == sizeof sgx_arc + depth, F);
    MSE_TRY_AS(mse_rd_bytes(&v, sizeof sgx_arc, &p), F);
    MSE_ENSURE(memcmp(p, sgx_arc, sizeof sgx_arc) == 0, F);
    for (size_t i = 0; i < depth; i++) {
        MSE_TRY_AS(mse_rd_u8(&v, &arcs[i]), F);
        MSE_ENSURE(arcs[i] >= 1 && arcs[i] < 0x80, F);
    }
    return MSE_OK;
}

static mse_err parse_tcb(struct mse_rd *rd, struct mse_pck_ext *out)
{
    struct mse_rd seq;
    uint32_t seen = 0;
    MSE_TRY(der_tlv(rd, 0x30, &seq));
    while (mse_rd_left(&seq) > 0) {
        struct mse_rd entry;
        uint8_t arcs[2];
        uint32_t v;
        MSE_TRY(der_tlv(&seq, 0x30, &entry));
        MSE_TRY(sgx_oid(&entry, 2, arcs));
        MSE_ENSURE(arcs[0] == 2 && arcs[1] >= 1 && arcs[1] <= 18, F);
        MSE_ENSURE(!(seen & (1u << arcs[1])), F);
        seen |= 1u << arcs[1];
        if (arcs[1] <= 16) {
            MSE_TRY(der_uint(&entry, 0x02, 255, &v));
            out->comp_svn[arcs[1] - 1] = (uint8_t)v;
        } else if (arcs[1] == 17) {
            MSE_TRY(der_uint(&entry, 0x02, 65535, &v));
            out->pcesvn = (uint16_t)v;
        } else {
            MSE_TRY(der_octets(&entry, out->cpusvn, 16));
        }
        MSE_TRY_AS(mse_rd_end(&entry), F);
    }
    /* All 18 entries (bits 1..18). */
    MSE_ENSURE(seen == 0x7fffeu, F);
    return MSE_OK;
}

mse_err mse_pck_ext_parse(const uint8_t *der, size_t len, struct mse_pck_ext *out)
{
    struct mse_rd rd, seq;
    uint32_t seen = 0;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(der != NULL, F);
    mse_rd_init(&rd, der, len);
    MSE_TRY(der_tlv(&rd, 0x30, &seq));
    MSE_TRY_AS(mse_rd_end(&rd), F);
    while (mse_rd_left(&seq) > 0) {
        struct mse_rd entry, v;
        uint8_t arcs[2];
        uint32_t u;
        MSE_TRY(der_tlv(&seq, 0x30, &entry));
        MSE_TRY(sgx_oid(&entry, 1, arcs));
        MSE_ENSURE(arcs[0] >= 1 && arcs[0] <= 7, F);
        MSE_ENSURE(!(seen & (1u << arcs[0])), F);
        seen |= 1u << arcs[0];
        switch (arcs[0]) {
        case 1:
            MSE_TRY(der_octets(&entry, out->ppid, 16));
            break;
        case 2:
            MSE_TRY(parse_tcb(&entry, out));
            break;
        case 3:
            MSE_TRY(der_octets(&entry, out->pce_id, 2));
            break;
        case 4:
            MSE_TRY(der_octets(&entry, out->fmspc, 6));
            break;
        case 5:
            MSE_TRY(der_uint(&entry, 0x0a, MSE_SGX_TYPE_SCALABLE_INTEGRITY, &u));
            out->sgx_type = u;
            break;
        case 6:
            MSE_TRY(der_octets(&entry, out->platform_instance_id, 16));
            out->have_platform_instance_id = true;
            break;
        case 7:
            /* Configuration: well-formed SEQUENCE; its flags do not affect the verdict. */
            MSE_TRY(der_tlv(&entry, 0x30, &v));
            break;
        }
        MSE_TRY_AS(mse_rd_end(&entry), F);
    }
    /* PPID, TCB, PCE-ID, FMSPC and SGX Type are mandatory (bits 1..5). */
    MSE_ENSURE((seen & 0x3e) == 0x3e, F);
    return MSE_OK;
}

mse_err mse_pck_ext_from_cert(X509 *c, struct mse_pck_ext *out)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    MSE_ENSURE(oid != NULL, MSE_ERR_NOMEM);
    int idx = X509_get_ext_by_OBJ(c, oid, -1);
    int again = idx >= 0 ? X509_get_ext_by_OBJ(c, oid, idx) : -1;
    ASN1_OBJECT_free(oid);
    MSE_ENSURE(idx >= 0, F);
    MSE_ENSURE(again < 0, F); /* present twice: which one would count? */
    const ASN1_OCTET_STRING *val = X509_EXTENSION_get_data(X509_get_ext(c, idx));
    MSE_ENSURE(val != NULL, F);
    return mse_pck_ext_parse(ASN1_STRING_get0_data(val), (size_t)ASN1_STRING_length(val), out);
}
