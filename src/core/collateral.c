/*
 * The mse evidence bundle (docs/formats/evidence.md), as written by MSE
 * deployments ("mse home evidence"): one JSON object
 *
 *   ratls_certificate   PEM certificate (the RA-TLS certificate)
 *   root_ca_crl         PEM, lowercase hex of DER, or base64 of DER
 *   pck_platform_crl    same (or pck_processor_crl; exactly one of them)
 *   tcb_info            base64 of the hex of the TCB info JSON text
 *                       (as the MSE tools store it), or base64 of the text
 *   qe_identity         base64 of the QE identity JSON text (or of its hex)
 *   tcb_cert            PEM: the TCB signing certificate, the signer of both
 *                       JSON items (its chain to the anchor is verified later)
 *   signer_pk           PEM RSA public key of the enclave signer (optional)
 *   input_args          object: the enclave's launch parameters (optional,
 *                       reported, not verified)
 *
 * Nothing here is trusted: this only decodes transport encodings into the
 * byte shapes the verifier consumes (struct mse_collateral). All output
 * lives in the caller's buffer; the size limit is the caller's. Unknown
 * members are ignored (they are never used), but known members must have
 * the documented type and duplicate keys are refused.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/guard.h>

#include "dcap.h"

#define E MSE_ERR_EVIDENCE_FORMAT

mse_err mse_arena_take(struct mse_arena *a, size_t n, uint8_t **out)
{
    MSE_ENSURE(n <= a->cap - a->used, MSE_ERR_BUFFER_TOO_SMALL);
    *out = a->buf + a->used;
    a->used += n;
    return MSE_OK;
}

/* Give back the unused tail of the last allocation. */
static void arena_trim(struct mse_arena *a, size_t taken, size_t used)
{
    a->used -= taken - used;
}

static mse_err copy_text(struct mse_arena *a, const char *s, size_t n, struct mse_blob *out)
{
    uint8_t *p;
    MSE_TRY(mse_arena_take(a, n, &p));
    memcpy(p, s, n);
    out->data = p;
    out->len = n;
    return MSE_OK;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static bool all_hex(const uint8_t *d, size_t n)
{
    struct mse_rd rd;
    uint8_t c;
    mse_rd_init(&rd, d, n);
    while (mse_rd_u8(&rd, &c) == MSE_OK)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return n > 0 && n % 2 == 0;
}

static mse_err get_string(json_t *root, const char *key, bool required, const char **s, size_t *n)
{
    json_t *v = json_object_get(root, key);
    *s = NULL;
    *n = 0;
    if (v == NULL || json_is_null(v)) {
        MSE_ENSURE(!required, E);
        return MSE_OK;
    }
    MSE_ENSURE(json_is_string(v), E);
    *s = json_string_value(v);
    *n = json_string_length(v);
    MSE_ENSURE(strlen(*s) == *n, E);
    return MSE_OK;
}

/* A base64 member decoded into the arena (E when it is not base64). */
static mse_err b64_member(struct mse_arena *a, const char *s, size_t n, struct mse_blob *out)
{
    uint8_t *p;
    size_t got = 0, want = n / 4 * 3 + 3;
    MSE_TRY(mse_arena_take(a, want, &p));
    mse_err err = mse_b64_decode(s, n, p, want, &got);
    arena_trim(a, want, err == MSE_OK ? got : 0);
    MSE_ENSURE(err == MSE_OK, E);
    out->data = p;
    out->len = got;
    return MSE_OK;
}

/* A CRL member: PEM or hex stays text (the CRL loader sniffs it), base64 is decoded to DER. */
static mse_err crl_member(struct mse_arena *a, const char *s, size_t n, struct mse_blob *out)
{
    if (mse_pem_sniff((const uint8_t *)s, n) || all_hex((const uint8_t *)s, n))
        return copy_text(a, s, n, out);
    return b64_member(a, s, n, out);
}

/* A JSON collateral member: base64 of the JSON text or of its hex. */
static mse_err json_member(struct mse_arena *a, const char *s, size_t n, struct mse_blob *out)
{
    struct mse_blob raw;
    MSE_TRY(b64_member(a, s, n, &raw));
    const uint8_t *p = raw.data;
    size_t got = raw.len;
    /* The MSE tools end the hex text with a newline. */
    size_t hex_len = got;
    while (hex_len > 0 && is_ws(p[hex_len - 1]))
        hex_len--;
    if (all_hex(p, hex_len)) {
        /* The MSE tools store the hex of the JSON text; decode it to the text Intel signed. */
        size_t len2 = 0;
        uint8_t *q;
        MSE_TRY(mse_arena_take(a, hex_len / 2, &q));
        MSE_TRY_AS(mse_hex_decode_var((const char *)p, hex_len, q, hex_len / 2, &len2), E);
        out->data = q;
        out->len = len2;
        return MSE_OK;
    }
    out->data = p;
    out->len = got;
    return MSE_OK;
}

mse_err mse_evidence_parse(const uint8_t *json, size_t json_len, uint8_t *buf, size_t cap,
                           struct mse_evidence *out)
{
    mse_err err = MSE_OK;
    json_t *root = NULL;
    json_error_t je;
    struct mse_arena a = {buf, cap, 0};
    const char *s;
    size_t n;
    char *args = NULL;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(json_len <= (16u << 20), MSE_ERR_LIMIT);
    root = json_loadb((const char *)json, json_len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return json_error_code(&je) == json_error_duplicate_key ? MSE_ERR_JSON_DUPLICATE_KEY
                                                                 : MSE_ERR_JSON;
    MSE_ENSURE_OUT(json_is_object(root), E);

    /* RA-TLS certificate: exactly one PEM certificate, stored as DER. */
    MSE_CHECK_OUT(get_string(root, "ratls_certificate", true, &s, &n));
    {
        struct mse_rd rd;
        uint8_t *p;
        size_t der_len = 0, more_len = 0;
        bool found = false, more = false;
        MSE_CHECK_OUT(mse_arena_take(&a, n, &p));
        mse_rd_init(&rd, s, n);
        MSE_ENSURE_OUT(mse_pem_next(&rd, "CERTIFICATE", p, n, &der_len, &found) == MSE_OK && found,
                       E);
        MSE_ENSURE_OUT(mse_pem_next(&rd, "CERTIFICATE", p + der_len, n - der_len, &more_len,
                                    &more) == MSE_OK &&
                           !more,
                       E);
        arena_trim(&a, n, der_len);
        out->ratls_cert.data = p;
        out->ratls_cert.len = der_len;
    }

    MSE_CHECK_OUT(get_string(root, "root_ca_crl", true, &s, &n));
    MSE_CHECK_OUT(crl_member(&a, s, n, &out->collateral.root_ca_crl));

    const char *plat, *proc;
    size_t plat_n, proc_n;
    MSE_CHECK_OUT(get_string(root, "pck_platform_crl", false, &plat, &plat_n));
    MSE_CHECK_OUT(get_string(root, "pck_processor_crl", false, &proc, &proc_n));
    /* Exactly one PCK CRL: which CA issued the PCK is decided by the chain, not by the bundle. */
    MSE_ENSURE_OUT((plat != NULL) != (proc != NULL), E);
    if (plat != NULL)
        MSE_CHECK_OUT(crl_member(&a, plat, plat_n, &out->collateral.pck_crl));
    else
        MSE_CHECK_OUT(crl_member(&a, proc, proc_n, &out->collateral.pck_crl));

    MSE_CHECK_OUT(get_string(root, "tcb_info", true, &s, &n));
    MSE_CHECK_OUT(json_member(&a, s, n, &out->collateral.tcb_info));
    MSE_CHECK_OUT(get_string(root, "qe_identity", true, &s, &n));
    MSE_CHECK_OUT(json_member(&a, s, n, &out->collateral.qe_identity));

    MSE_CHECK_OUT(get_string(root, "tcb_cert", true, &s, &n));
    MSE_ENSURE_OUT(mse_pem_sniff((const uint8_t *)s, n), E);
    MSE_CHECK_OUT(copy_text(&a, s, n, &out->collateral.tcb_info_chain));
    out->collateral.qe_identity_chain = out->collateral.tcb_info_chain;

    MSE_CHECK_OUT(get_string(root, "signer_pk", false, &s, &n));
    if (s != NULL)
        MSE_CHECK_OUT(copy_text(&a, s, n, &out->signer_pk));

    json_t *ia = json_object_get(root, "input_args");
    if (ia != NULL && !json_is_null(ia)) {
        MSE_ENSURE_OUT(json_is_object(ia), E);
        args = json_dumps(ia, JSON_COMPACT | JSON_PRESERVE_ORDER);
        MSE_ENSURE_OUT(args != NULL, MSE_ERR_NOMEM);
        MSE_CHECK_OUT(copy_text(&a, args, strlen(args), &out->input_args));
    }
out:
    free(args);
    json_decref(root);
    if (err != MSE_OK)
        memset(out, 0, sizeof *out);
    return err;
}
