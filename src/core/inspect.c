/*
 * What a certificate, a quote or an evidence bundle claims, as JSON, without
 * verifying anything (`mse inspect`; the "notice" member says so in words,
 * because a display of MRENCLAVE looks like a verdict and is not one).
 *
 * Inputs are recognised by shape: a JSON object is an evidence bundle
 * (docs/formats/evidence.md), "-----BEGIN CERTIFICATE" a PEM certificate, a
 * DER SEQUENCE that parses as X.509 a DER certificate, anything else a raw
 * quote. Quotes of every layout mse_quote_any_parse knows are shown (SGX v3,
 * SGX/TDX v4 and v5), TDX ones with their TD report. A parse error stops
 * with its code and the offset and field where it happened (*where).
 *
 * Like every parser here, bytes are read only through mse_rd_* (via the
 * quote and DER readers) and OpenSSL's decoders; nothing is trusted.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/guard.h>
#include <mse/inspect.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "dcap.h"

#define NOTICE                                                                                     \
    "nothing here is verified: these are the claims as written; run mse verify to check them"

struct jb {
    bool ok; /* false once an allocation failed */
};

static void put(struct jb *b, json_t *o, const char *k, json_t *v)
{
    if (o == NULL || v == NULL || json_object_set_new(o, k, v) != 0)
        b->ok = false;
}

static json_t *hex(const uint8_t *p, size_t n)
{
    char buf[2 * 64 + 1];
    if (n > 64)
        return NULL;
    mse_hex_encode(p, n, buf);
    return json_string(buf);
}

static json_t *hex_u64(uint64_t v)
{
    char buf[19] = "0x";
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        buf[2 + i] = d[(v >> (60 - 4 * i)) & 0xf];
    buf[18] = '\0';
    return json_string(buf);
}

static json_t *when(int64_t t)
{
    char buf[21];
    mse_time_format(t, buf);
    return json_string(buf);
}

/*
 * What TCB info and QE identity both carry: when they were issued, when the
 * next one is due, and which TCB evaluation they belong to.
 */
static void put_validity(struct jb *b, json_t *o, int64_t issue_date, int64_t next_update,
                         uint32_t tcb_evaluation_data_number)
{
    put(b, o, "issue_date", when(issue_date));
    put(b, o, "next_update", when(next_update));
    put(b, o, "tcb_evaluation_data_number", json_integer(tcb_evaluation_data_number));
}

static json_t *name_text(const X509_NAME *n)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL;
    json_t *s = NULL;
    if (bio == NULL)
        return NULL;
    if (X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253) >= 0) {
        long len = BIO_get_mem_data(bio, &p);
        s = json_stringn(p != NULL ? p : "", len > 0 ? (size_t)len : 0);
    }
    BIO_free(bio);
    return s;
}

/* ---- report bodies ------------------------------------------------------- */

static json_t *sgx_report(struct jb *b, const struct mse_report_body *r)
{
    json_t *o = json_object();
    put(b, o, "mrenclave", hex(r->mr_enclave, 32));
    put(b, o, "mrsigner", hex(r->mr_signer, 32));
    put(b, o, "isv_prod_id", json_integer(r->isv_prod_id));
    put(b, o, "isv_svn", json_integer(r->isv_svn));
    put(b, o, "attributes_flags", hex_u64(r->attributes_flags));
    put(b, o, "debug", json_boolean((r->attributes_flags & MSE_SGX_FLAGS_DEBUG) != 0));
    put(b, o, "attributes_xfrm", hex_u64(r->attributes_xfrm));
    put(b, o, "misc_select", json_integer(r->misc_select));
    put(b, o, "cpu_svn", hex(r->cpu_svn, 16));
    put(b, o, "config_svn", json_integer(r->config_svn));
    put(b, o, "config_id", hex(r->config_id, 64));
    put(b, o, "isv_ext_prod_id", hex(r->isv_ext_prod_id, 16));
    put(b, o, "isv_family_id", hex(r->isv_family_id, 16));
    put(b, o, "report_data", hex(r->report_data, 64));
    return o;
}

static json_t *td_report(struct jb *b, const struct mse_td_report *t)
{
    static const char *const rtmr_keys[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    json_t *o = json_object();
    put(b, o, "mr_td", hex(t->mr_td, 48));
    for (int i = 0; i < 4; i++)
        put(b, o, rtmr_keys[i], hex(t->rtmr[i], 48));
    put(b, o, "report_data", hex(t->report_data, 64));
    put(b, o, "td_attributes", hex_u64(t->td_attributes));
    put(b, o, "debug", json_boolean((t->td_attributes & MSE_TD_ATTRIBUTES_DEBUG) != 0));
    put(b, o, "xfam", hex_u64(t->xfam));
    put(b, o, "mr_config_id", hex(t->mr_config_id, 48));
    put(b, o, "mr_owner", hex(t->mr_owner, 48));
    put(b, o, "mr_owner_config", hex(t->mr_owner_config, 48));
    put(b, o, "tee_tcb_svn", hex(t->tee_tcb_svn, 16));
    put(b, o, "mr_seam", hex(t->mr_seam, 48));
    put(b, o, "mr_signer_seam", hex(t->mr_signer_seam, 48));
    put(b, o, "seam_attributes", hex_u64(t->seam_attributes));
    if (t->is_td15) {
        put(b, o, "tee_tcb_svn2", hex(t->tee_tcb_svn2, 16));
        put(b, o, "mr_service_td", hex(t->mr_service_td, 48));
    }
    return o;
}

/* ---- the PCK chain in the certification data ------------------------------ */

static json_t *pck_json(struct jb *b, X509 *leaf, X509 *ca)
{
    struct mse_pck_ext ext;
    json_t *o = json_object();
    if (mse_pck_ext_from_cert(leaf, &ext) != MSE_OK) {
        put(b, o, "error", json_string("PCK certificate SGX extension missing or malformed"));
        return o;
    }
    put(b, o, "fmspc", hex(ext.fmspc, 6));
    put(b, o, "pce_id", hex(ext.pce_id, 2));
    put(b, o, "pcesvn", json_integer(ext.pcesvn));
    put(b, o, "cpusvn", hex(ext.cpusvn, 16));
    json_t *comps = json_array();
    for (int i = 0; i < 16; i++)
        if (comps == NULL || json_array_append_new(comps, json_integer(ext.comp_svn[i])) != 0)
            b->ok = false;
    put(b, o, "tcb_components", comps);
    put(b, o, "sgx_type", json_integer(ext.sgx_type));
    if (ca != NULL)
        put(b, o, "issuing_ca",
            json_string(mse_x509_subject_cn_is(ca, "Intel SGX PCK Processor CA") ? "processor"
                        : mse_x509_subject_cn_is(ca, "Intel SGX PCK Platform CA") ? "platform"
                                                                                    : "other"));
    return o;
}

static json_t *chain_json(struct jb *b, const uint8_t *pem, size_t len, json_t **pck)
{
    struct mse_certs cs = {0};
    json_t *a = json_array();
    *pck = NULL;
    if (mse_x509_pem_chain(pem, len, &cs) != MSE_OK) {
        json_decref(a);
        return json_string("the certification data is not a PEM certificate chain");
    }
    for (size_t i = 0; i < cs.n; i++) {
        json_t *c = json_object();
        int64_t nb = 0, na = 0;
        put(b, c, "subject", name_text(X509_get_subject_name(cs.c[i])));
        put(b, c, "issuer", name_text(X509_get_issuer_name(cs.c[i])));
        if (mse_x509_validity(cs.c[i], &nb, &na) == MSE_OK) {
            put(b, c, "not_before", when(nb));
            put(b, c, "not_after", when(na));
        }
        if (a == NULL || json_array_append_new(a, c) != 0)
            b->ok = false;
    }
    if (cs.n >= 1)
        *pck = pck_json(b, cs.c[0], cs.n >= 2 ? cs.c[1] : NULL);
    mse_certs_free(&cs);
    return a;
}

/* ---- quotes ---------------------------------------------------------------- */

static json_t *quote_json(struct jb *b, const struct mse_quote_any *q)
{
    json_t *o = json_object(), *pck = NULL;
    bool intel = memcmp(q->qe_vendor_id, MSE_INTEL_QE_VENDOR_ID, 16) == 0;
    put(b, o, "version", json_integer(q->version));
    put(b, o, "tee", json_string(q->tee_type == MSE_QUOTE_TEE_TDX ? "TDX" : "SGX"));
    put(b, o, "attestation_key_type", json_string("ECDSA-P256"));
    put(b, o, "size", json_integer((json_int_t)q->total_len));
    if (q->version == MSE_QUOTE_VERSION_3) {
        put(b, o, "qe_svn", json_integer(q->qe_svn));
        put(b, o, "pce_svn", json_integer(q->pce_svn));
    }
    put(b, o, "qe_vendor_id", hex(q->qe_vendor_id, 16));
    put(b, o, "qe_vendor", json_string(intel ? "Intel" : "not Intel"));
    put(b, o, "user_data", hex(q->user_data, 20));
    if (q->is_td)
        put(b, o, "td_report", td_report(b, &q->td));
    else
        put(b, o, "report", sgx_report(b, &q->sgx));
    json_t *qe = sgx_report(b, &q->qe_report);
    put(b, qe, "signature", hex(q->qe_report_signature, 64));
    put(b, o, "qe_report", qe);
    put(b, o, "qe_auth_data_size", json_integer((json_int_t)q->qe_auth_len));
    put(b, o, "attestation_key", hex(q->att_public_key, 64));
    put(b, o, "signature", hex(q->quote_signature, 64));
    put(b, o, "certification_data_type", json_integer(q->cert_data_type));
    put(b, o, "pck_chain", chain_json(b, q->cert_data, q->cert_data_len, &pck));
    if (pck != NULL)
        put(b, o, "pck", pck);
    return o;
}

/* ---- certificates ---------------------------------------------------------- */

static mse_err cert_json(struct jb *b, const uint8_t *der, size_t len, json_t *top,
                         struct mse_parse_where *where)
{
    X509 *x = NULL;
    struct mse_ratls ratls;
    struct mse_quote_any q;
    const uint8_t *quote = NULL;
    size_t quote_len = 0;
    const char *carrier = NULL;
    mse_err err = MSE_OK;
    uint8_t *qbuf = malloc(MSE_QUOTE_MAX_SIZE + 8192);
    json_t *c = json_object();
    MSE_ENSURE_OUT(qbuf != NULL, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(mse_x509_from_der(der, len, &x));
    put(b, c, "subject", name_text(X509_get_subject_name(x)));
    put(b, c, "issuer", name_text(X509_get_issuer_name(x)));
    int64_t nb = 0, na = 0;
    if (mse_x509_validity(x, &nb, &na) == MSE_OK) {
        put(b, c, "not_before", when(nb));
        put(b, c, "not_after", when(na));
    }
    err = mse_ratls_extract(der, len, qbuf, MSE_QUOTE_MAX_SIZE + 8192, &ratls);
    if (err == MSE_OK) {
        quote = ratls.quote;
        quote_len = ratls.quote_len;
        carrier = ratls.carrier == MSE_RATLS_CARRIER_DICE ? "TCG DICE tagged evidence (2.23.133.5.4.9)"
                                                          : "SGX quote extension (" MSE_OID_SGX_QUOTE ")";
    } else if (err == MSE_ERR_RATLS_NO_QUOTE) {
        bool found = false;
        err = mse_cert_tdx_quote(der, len, &quote, &quote_len, &found);
        MSE_CHECK_OUT(err);
        carrier = found ? "TDX quote extension (" MSE_OID_TDX_QUOTE ")" : NULL;
    } else {
        goto out;
    }
    put(b, c, "quote_carrier", carrier != NULL ? json_string(carrier) : json_null());
    put(b, top, "certificate", c);
    c = NULL;
    if (quote == NULL) {
        put(b, top, "key_binding", json_string("none: the certificate carries no quote"));
        goto out;
    }
    MSE_CHECK_OUT(mse_quote_any_parse(quote, quote_len, &q, where));
    if (!q.is_td) {
        /* Which form binds the key, tried as the verifier tries it (the report data is a claim). */
        enum mse_binding form = MSE_BINDING_NONE;
        uint8_t x25519[32];
        mse_err be = ratls.carrier != MSE_RATLS_CARRIER_NONE
                         ? mse_ratls_check_binding(der, len, &ratls, q.sgx.report_data, &form,
                                                   x25519)
                         : MSE_ERR_BINDING_MISMATCH;
        if (be == MSE_OK) {
            put(b, top, "key_binding", json_string(mse_binding_name(form)));
        } else {
            json_t *s = json_string("none");
            put(b, top, "key_binding", s);
            put(b, top, "key_binding_error", json_string(mse_err_name(be)));
        }
    } else {
        put(b, top, "key_binding", json_string("not read: TDX binding forms are not supported yet"));
    }
    put(b, top, "quote", quote_json(b, &q));
out:
    json_decref(c);
    X509_free(x);
    free(qbuf);
    return err;
}

/* ---- evidence bundles ------------------------------------------------------ */

static json_t *collateral_json(struct jb *b, const struct mse_collateral *col)
{
    json_t *o = json_object();
    struct mse_tcb_info t = {0};
    struct mse_qe_identity qe = {0};
    if (mse_tcb_info_parse(col->tcb_info.data, col->tcb_info.len, &t) == MSE_OK) {
        json_t *ti = json_object();
        put(b, ti, "version", json_integer(t.version));
        put(b, ti, "fmspc", hex(t.fmspc, 6));
        put(b, ti, "pce_id", hex(t.pce_id, 2));
        put_validity(b, ti, t.issue_date, t.next_update, t.tcb_evaluation_data_number);
        put(b, o, "tcb_info", ti);
    } else {
        put(b, o, "tcb_info", json_string("malformed"));
    }
    if (mse_qe_identity_parse(col->qe_identity.data, col->qe_identity.len, &qe) == MSE_OK) {
        json_t *qi = json_object();
        put(b, qi, "mrsigner", hex(qe.mrsigner, 32));
        put(b, qi, "isv_prod_id", json_integer(qe.isvprodid));
        put_validity(b, qi, qe.issue_date, qe.next_update, qe.tcb_evaluation_data_number);
        put(b, o, "qe_identity", qi);
    } else {
        put(b, o, "qe_identity", json_string("malformed"));
    }
    mse_tcb_info_free(&t);
    mse_qe_identity_free(&qe);
    return o;
}

/* ---- entry ---------------------------------------------------------------- */

static bool looks_like_der_cert(const uint8_t *data, size_t len)
{
    X509 *x = NULL;
    if (len < 2 || data[0] != 0x30 || mse_x509_from_der(data, len, &x) != MSE_OK)
        return false;
    X509_free(x);
    return true;
}

static bool starts_with_brace(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')
            continue;
        return data[i] == '{';
    }
    return false;
}

mse_err mse_inspect_json(const uint8_t *data, size_t len, char **out,
                         struct mse_parse_where *where)
{
    mse_err err = MSE_OK;
    struct jb b = {.ok = true};
    struct mse_parse_where ignored;
    uint8_t *buf = NULL;
    json_t *top = json_object();
    *out = NULL;
    if (where == NULL)
        where = &ignored;
    where->offset = 0;
    where->field = NULL;
    MSE_ENSURE(top != NULL, MSE_ERR_NOMEM);
    put(&b, top, "notice", json_string(NOTICE));
    if (starts_with_brace(data, len)) {
        struct mse_evidence ev;
        size_t cap = len + 4096;
        buf = malloc(cap);
        MSE_ENSURE_OUT(buf != NULL, MSE_ERR_NOMEM);
        err = mse_evidence_parse(data, len, buf, cap, &ev);
        if (err != MSE_OK) {
            where->field = "evidence bundle";
            goto out;
        }
        put(&b, top, "kind", json_string("evidence"));
        MSE_CHECK_OUT(cert_json(&b, ev.ratls_cert.data, ev.ratls_cert.len, top, where));
        put(&b, top, "collateral", collateral_json(&b, &ev.collateral));
    } else if (mse_pem_sniff(data, len)) {
        struct mse_rd rd;
        size_t der_len = 0;
        bool found = false;
        buf = malloc(len + 1);
        MSE_ENSURE_OUT(buf != NULL, MSE_ERR_NOMEM);
        mse_rd_init(&rd, data, len);
        err = mse_pem_next(&rd, "CERTIFICATE", buf, len + 1, &der_len, &found);
        if (err != MSE_OK || !found) {
            where->field = "PEM certificate";
            MSE_GOTO_OUT(err != MSE_OK ? err : MSE_ERR_PEM);
        }
        put(&b, top, "kind", json_string("certificate"));
        MSE_CHECK_OUT(cert_json(&b, buf, der_len, top, where));
    } else if (looks_like_der_cert(data, len)) {
        put(&b, top, "kind", json_string("certificate"));
        MSE_CHECK_OUT(cert_json(&b, data, len, top, where));
    } else {
        struct mse_quote_any q;
        MSE_CHECK_OUT(mse_quote_any_parse(data, len, &q, where));
        put(&b, top, "kind", json_string("quote"));
        put(&b, top, "quote", quote_json(&b, &q));
    }
    MSE_ENSURE_OUT(b.ok, MSE_ERR_NOMEM);
    *out = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    MSE_ENSURE_OUT(*out != NULL, MSE_ERR_NOMEM);
out:
    free(buf);
    json_decref(top);
    return err;
}
