/*
 * A verification result as one JSON object (the `mse verify --json`
 * output; keys documented in docs/cmd/mse-verify.md and
 * docs/verification.md). Identity fields are present only once the quote
 * parsed; TCB fields only once evaluated. Key order is stable.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "dcap.h"

json_t *mse_json_hex(const uint8_t *b, size_t n)
{
    char buf[129];
    if (n > 64)
        return NULL;
    mse_hex_encode(b, n, buf);
    return json_string(buf);
}

static json_t *time_str(int64_t t)
{
    char buf[21];
    mse_time_format(t, buf);
    return json_string(buf);
}

/* json_object_set_new that records allocation failure. */
void mse_json_put(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, k, v) != 0)
        *ok = false;
}

static json_t *checks_json(const struct mse_verify_result *r, bool *ok)
{
    json_t *checks = json_object();
    if (checks == NULL) {
        *ok = false;
        return NULL;
    }
    for (int id = 0; id < MSE_CHECK_COUNT; id++) {
        const struct mse_check_result *c = &r->checks[id];
        json_t *o = json_object();
        if (o == NULL) {
            *ok = false;
            break;
        }
        mse_json_put(o, "outcome", json_string(mse_outcome_name(c->outcome)), ok);
        mse_json_put(o, "title", json_string(mse_check_title((enum mse_check_id)id)), ok);
        if (c->err != MSE_OK)
            mse_json_put(o, "code", json_string(mse_err_name(c->err)), ok);
        if (c->detail[0] != '\0')
            mse_json_put(o, "detail", json_string(c->detail), ok);
        mse_json_put(checks, mse_check_key((enum mse_check_id)id), o, ok);
    }
    return checks;
}

mse_err mse_verify_result_json(const struct mse_verify_result *r, char **out)
{
    bool ok = true;
    *out = NULL;
    json_t *o = json_object();
    MSE_ENSURE(o != NULL, MSE_ERR_NOMEM);
    mse_json_put(o, "verdict", json_string(r->ok ? "ok" : "refused"), &ok);
    mse_json_put(o, "checks", checks_json(r, &ok), &ok);
    mse_json_put(o, "tcb_status", json_string(mse_tcb_status_name(r->tcb_status)), &ok);
    mse_json_put(o, "platform_tcb_status", json_string(mse_tcb_status_name(r->platform_tcb_status)), &ok);
    mse_json_put(o, "qe_tcb_status", json_string(mse_tcb_status_name(r->qe_tcb_status)), &ok);
    if (r->tcb_date[0] != '\0')
        mse_json_put(o, "tcb_date", json_string(r->tcb_date), &ok);
    json_t *adv = json_array();
    for (size_t i = 0; adv != NULL && i < r->advisory_count && i < MSE_MAX_ADVISORIES; i++)
        if (json_array_append_new(adv, json_string(r->advisories[i])) != 0)
            ok = false;
    mse_json_put(o, "advisories", adv, &ok);
    if (r->have_quote) {
        mse_json_put(o, "mrenclave", mse_json_hex(r->enclave.mr_enclave, 32), &ok);
        mse_json_put(o, "mrsigner", mse_json_hex(r->enclave.mr_signer, 32), &ok);
        mse_json_put(o, "isv_prod_id", json_integer(r->enclave.isv_prod_id), &ok);
        mse_json_put(o, "isv_svn", json_integer(r->enclave.isv_svn), &ok);
        mse_json_put(o, "debug", json_boolean(r->debug), &ok);
    } else {
        mse_json_put(o, "mrenclave", json_null(), &ok);
        mse_json_put(o, "mrsigner", json_null(), &ok);
        mse_json_put(o, "isv_prod_id", json_null(), &ok);
        mse_json_put(o, "isv_svn", json_null(), &ok);
        mse_json_put(o, "debug", json_null(), &ok);
    }
    mse_json_put(o, "binding", json_string(mse_binding_name(r->binding)), &ok);
    if (r->binding == MSE_BINDING_MSE)
        mse_json_put(o, "x25519_public_key", mse_json_hex(r->x25519_public_key, 32), &ok);
    if (r->checks[MSE_CHECK_PCK_CHAIN].outcome == MSE_OUTCOME_PASS) {
        mse_json_put(o, "fmspc", mse_json_hex(r->fmspc, 6), &ok);
        mse_json_put(o, "pce_id", json_integer(r->pce_id), &ok);
        mse_json_put(o, "pck_pcesvn", json_integer(r->pck_pcesvn), &ok);
        mse_json_put(o, "pck_cpusvn", mse_json_hex(r->pck_cpusvn, 16), &ok);
    }
    json_t *val = json_array();
    for (size_t i = 0; val != NULL && i < r->validity_count && i < MSE_MAX_VALIDITY_ITEMS; i++) {
        const struct mse_validity_item *it = &r->validity[i];
        json_t *e = json_object();
        if (e == NULL) {
            ok = false;
            break;
        }
        mse_json_put(e, "name", json_string(it->name), &ok);
        mse_json_put(e, "not_before", time_str(it->not_before), &ok);
        mse_json_put(e, "not_after", time_str(it->not_after), &ok);
        mse_json_put(e, "valid", json_boolean(it->valid), &ok);
        if (json_array_append_new(val, e) != 0)
            ok = false;
    }
    mse_json_put(o, "validity", val, &ok);
    if (r->ok) {
        mse_json_put(o, "error", json_null(), &ok);
    } else {
        json_t *e = json_object();
        if (e != NULL) {
            mse_json_put(e, "code", json_string(mse_err_name(r->err)), &ok);
            mse_json_put(e, "value", json_integer(r->err), &ok);
            mse_json_put(e, "message", json_string(r->message), &ok);
        }
        mse_json_put(o, "error", e, &ok);
    }
    char *s = ok ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    MSE_ENSURE(s != NULL, MSE_ERR_NOMEM);
    *out = s;
    return MSE_OK;
}
