/*
 * Collateral as Phala's dcap-qvl writes it (its QuoteCollateralV3, serialized
 * with serde_json), into the shapes the verifier reads (struct
 * mse_collateral). Members:
 *
 *   pck_crl_issuer_chain      PEM text
 *   root_ca_crl, pck_crl      bytes: DER of the CRL
 *   tcb_info_issuer_chain     PEM text
 *   tcb_info                  the JSON text of the "tcbInfo" object, exactly as signed
 *   tcb_info_signature        bytes: r||s, 64
 *   qe_identity_issuer_chain  PEM text
 *   qe_identity               the JSON text of the "enclaveIdentity" object
 *   qe_identity_signature     bytes: r||s, 64
 *   pck_certificate_chain     PEM text (optional; newer dcap-qvl)
 *
 * "bytes" are what serde_bytes gives under serde_json, an array of integers
 * 0..255; a hex string is accepted too. The signed texts are kept byte for
 * byte and put back into PCS's envelope {"tcbInfo":<text>,"signature":"<hex>"}
 * so that verification reads exactly what Intel signed. Nothing here is
 * trusted; unknown members are refused (a collateral file with a member mse
 * does not know may mean something mse would silently not check).
 */
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/guard.h>

#include "dcap.h"
#include "msg.h"

#define F MSE_ERR_JSON_FIELD

static mse_err named(struct mse_msg *m, const char *key, const char *what, mse_err e)
{
    mse_msg_member(m, key, what);
    return e;
}

static mse_err text_member(json_t *root, const char *key, bool required, struct mse_arena *o,
                           struct mse_blob *out, struct mse_msg *m)
{
    json_t *v = json_object_get(root, key);
    uint8_t *p;
    if (v == NULL && !required)
        return MSE_OK;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return named(m, key, "missing, not a string, or with a NUL byte", F);
    size_t n = json_string_length(v);
    MSE_TRY(mse_arena_take(o, n, &p));
    memcpy(p, json_string_value(v), n);
    out->data = p;
    out->len = n;
    return MSE_OK;
}

/* serde_bytes under serde_json: [0..255, ...]; or a hex string. */
static mse_err bytes_member(json_t *root, const char *key, struct mse_arena *o,
                            struct mse_blob *out, struct mse_msg *m)
{
    json_t *v = json_object_get(root, key);
    uint8_t *p;
    size_t n = 0;
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        MSE_TRY(mse_arena_take(o, len / 2 + 1, &p));
        if (mse_hex_decode_var(json_string_value(v), len, p, len / 2 + 1, &n) != MSE_OK)
            return named(m, key, "not hex", F);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *b;
        MSE_TRY(mse_arena_take(o, json_array_size(v), &p));
        json_array_foreach(v, i, b)
        {
            if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 255)
                return named(m, key, "an array element is not an integer 0..255", F);
            p[i] = (uint8_t)json_integer_value(b);
        }
        n = json_array_size(v);
    } else {
        return named(m, key, "missing, or neither an array of bytes nor a hex string", F);
    }
    if (n == 0)
        return named(m, key, "empty", F);
    out->data = p;
    out->len = n;
    return MSE_OK;
}

/* {"<member>":<text>,"signature":"<hex>"}: PCS's envelope around dcap-qvl's two parts. */
static mse_err envelope(const char *member, const struct mse_blob *text, const struct mse_blob *sig,
                        struct mse_arena *o, struct mse_blob *out, struct mse_msg *m,
                        const char *sig_key)
{
    static const char mid[] = ",\"signature\":\"";
    static const char end[] = "\"}";
    char hex[129];
    uint8_t *p;
    if (sig->len != 64)
        return named(m, sig_key, "not a 64-byte r||s signature", F);
    mse_hex_encode(sig->data, 64, hex);
    size_t head = strlen(member) + 4; /* {"member": */
    size_t n = head + text->len + (sizeof mid - 1) + 128 + (sizeof end - 1);
    MSE_TRY(mse_arena_take(o, n, &p));
    out->data = p;
    out->len = n;
    /* Build with explicit offsets into the block just taken. */
    size_t at = 0;
    p[at++] = '{';
    p[at++] = '"';
    memcpy(p + at, member, strlen(member));
    at += strlen(member);
    p[at++] = '"';
    p[at++] = ':';
    memcpy(p + at, text->data, text->len);
    at += text->len;
    memcpy(p + at, mid, sizeof mid - 1);
    at += sizeof mid - 1;
    memcpy(p + at, hex, 128);
    at += 128;
    memcpy(p + at, end, sizeof end - 1);
    return MSE_OK;
}

static const char *const known[] = {
    "pck_crl_issuer_chain", "root_ca_crl",       "pck_crl",
    "tcb_info_issuer_chain", "tcb_info",         "tcb_info_signature",
    "qe_identity_issuer_chain", "qe_identity",   "qe_identity_signature",
    "pck_certificate_chain",
};

mse_err mse_collateral_dcap_qvl_parse(const uint8_t *json, size_t len, uint8_t *buf, size_t cap,
                                      struct mse_collateral *out, struct mse_blob *pck_chain,
                                      char *why, size_t why_len)
{
    mse_err err = MSE_OK;
    struct mse_msg m;
    char sink[1];
    struct mse_arena o = {.buf = buf, .cap = cap, .used = 0};
    struct mse_blob tcb_text = {0}, tcb_sig = {0}, qe_text = {0}, qe_sig = {0};
    json_t *root = NULL;
    const char *k;
    json_t *v;

    mse_msg_init(&m, why != NULL ? why : sink, why != NULL ? why_len : sizeof sink);
    memset(out, 0, sizeof *out);
    memset(pck_chain, 0, sizeof *pck_chain);
    err = mse_json_load_strict(json, len, &root);
    if (err != MSE_OK) {
        mse_msg_str(&m, "not a JSON object with unique keys");
        return err;
    }
    MSE_ENSURE_OUT(json_is_object(root), named(&m, "(top level)", "not an object", MSE_ERR_JSON));
    json_object_foreach(root, k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
            ok = strcmp(k, known[i]) == 0;
        MSE_ENSURE_OUT(ok, named(&m, k, "not a member of dcap-qvl's collateral", F));
    }
    MSE_CHECK_OUT(text_member(root, "pck_crl_issuer_chain", true, &o, &out->pck_crl_chain, &m));
    MSE_CHECK_OUT(bytes_member(root, "root_ca_crl", &o, &out->root_ca_crl, &m));
    MSE_CHECK_OUT(bytes_member(root, "pck_crl", &o, &out->pck_crl, &m));
    MSE_CHECK_OUT(text_member(root, "tcb_info_issuer_chain", true, &o, &out->tcb_info_chain, &m));
    MSE_CHECK_OUT(text_member(root, "tcb_info", true, &o, &tcb_text, &m));
    MSE_CHECK_OUT(bytes_member(root, "tcb_info_signature", &o, &tcb_sig, &m));
    MSE_CHECK_OUT(text_member(root, "qe_identity_issuer_chain", true, &o, &out->qe_identity_chain,
                              &m));
    MSE_CHECK_OUT(text_member(root, "qe_identity", true, &o, &qe_text, &m));
    MSE_CHECK_OUT(bytes_member(root, "qe_identity_signature", &o, &qe_sig, &m));
    MSE_CHECK_OUT(text_member(root, "pck_certificate_chain", false, &o, pck_chain, &m));
    MSE_CHECK_OUT(envelope("tcbInfo", &tcb_text, &tcb_sig, &o, &out->tcb_info, &m,
                           "tcb_info_signature"));
    MSE_CHECK_OUT(envelope("enclaveIdentity", &qe_text, &qe_sig, &o, &out->qe_identity, &m,
                           "qe_identity_signature"));
out:
    json_decref(root);
    if (err != MSE_OK) {
        memset(out, 0, sizeof *out);
        memset(pck_chain, 0, sizeof *pck_chain);
    }
    return err;
}

mse_err mse_quote_pck_chain_agrees(const struct mse_quote *q, const uint8_t *pem, size_t len)
{
    struct mse_certs given = {0}, quoted = {0};
    mse_err err = mse_x509_issuer_chain_partial(pem, len, 0, &given);
    if (err != MSE_OK)
        return err == MSE_ERR_NOMEM ? err : MSE_ERR_CHAIN_FORMAT;
    err = mse_x509_pem_chain_partial(q->cert_data, q->cert_data_len, 0, &quoted);
    if (err != MSE_OK) {
        mse_certs_free(&given);
        return err == MSE_ERR_NOMEM ? err : MSE_ERR_QUOTE_PCK_CHAIN_FORMAT;
    }
    /* Leaf, CA[, root], in the quote's order, byte for byte. */
    bool same = given.n >= 2 && given.n <= quoted.n;
    for (size_t i = 0; same && i < given.n; i++) {
        const uint8_t *a, *b;
        size_t al, bl;
        mse_certs_der(&given, i, &a, &al);
        mse_certs_der(&quoted, i, &b, &bl);
        same = al == bl && memcmp(a, b, al) == 0;
    }
    mse_certs_free(&given);
    mse_certs_free(&quoted);
    return same ? MSE_OK : MSE_ERR_COLLATERAL_PCK_MISMATCH;
}
