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

static json_t *hex(const uint8_t *b, size_t n)
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
static void put(json_t *o, const char *k, json_t *v, bool *ok)
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
        put(o, "outcome", json_string(mse_outcome_name(c->outcome)), ok);
        put(o, "title", json_string(mse_check_title((enum mse_check_id)id)), ok);
        if (c->err != MSE_OK)
            put(o, "code", json_string(mse_err_name(c->err)), ok);
        if (c->detail[0] != '\0')
            put(o, "detail", json_string(c->detail), ok);
        put(checks, mse_check_key((enum mse_check_id)id), o, ok);
    }
    return checks;
}

mse_err mse_verify_result_json(const struct mse_verify_result *r, char **out)
{
    bool ok = true;
    *out = NULL;
    json_t *o = json_object();
    MSE_ENSURE(o != NULL, MSE_ERR_NOMEM);
    put(o, "verdict", json_string(r->ok ? "ok" : "refused"), &ok);
    put(o, "checks", checks_json(r, &ok), &ok);
    put(o, "tcb_status", json_string(mse_tcb_status_name(r->tcb_status)), &ok);
    put(o, "platform_tcb_status", json_string(mse_tcb_status_name(r->platform_tcb_status)), &ok);
    put(o, "qe_tcb_status", json_string(mse_tcb_status_name(r->qe_tcb_status)), &ok);
    if (r->tcb_date[0] != '\0')
        put(o, "tcb_date", json_string(r->tcb_date), &ok);
    json_t *adv = json_array();
    for (size_t i = 0; adv != NULL && i < r->advisory_count && i < MSE_MAX_ADVISORIES; i++)
        if (json_array_append_new(adv, json_string(r->advisories[i])) != 0)
            ok = false;
    put(o, "advisories", adv, &ok);
    if (r->have_quote) {
        put(o, "mrenclave", hex(r->enclave.mr_enclave, 32), &ok);
        put(o, "mrsigner", hex(r->enclave.mr_signer, 32), &ok);
        put(o, "isv_prod_id", json_integer(r->enclave.isv_prod_id), &ok);
        put(o, "isv_svn", json_integer(r->enclave.isv_svn), &ok);
        put(o, "debug", json_boolean(r->debug), &ok);
    } else {
        put(o, "mrenclave", json_null(), &ok);
        put(o, "mrsigner", json_null(), &ok);
        put(o, "isv_prod_id", json_null(), &ok);
        put(o, "isv_svn", json_null(), &ok);
        put(o, "debug", json_null(), &ok);
    }
    put(o, "binding", json_string(mse_binding_name(r->binding)), &ok);
    if (r->binding == MSE_BINDING_MSE)
        put(o, "x25519_public_key", hex(r->x25519_public_key, 32), &ok);
    if (r->checks[MSE_CHECK_PCK_CHAIN].outcome == MSE_OUTCOME_PASS) {
        put(o, "fmspc", hex(r->fmspc, 6), &ok);
        put(o, "pce_id", json_integer(r->pce_id), &ok);
        put(o, "pck_pcesvn", json_integer(r->pck_pcesvn), &ok);
        put(o, "pck_cpusvn", hex(r->pck_cpusvn, 16), &ok);
    }
    json_t *val = json_array();
    for (size_t i = 0; val != NULL && i < r->validity_count && i < MSE_MAX_VALIDITY_ITEMS; i++) {
        const struct mse_validity_item *it = &r->validity[i];
        json_t *e = json_object();
        if (e == NULL) {
            ok = false;
            break;
        }
        put(e, "name", json_string(it->name), &ok);
        put(e, "not_before", time_str(it->not_before), &ok);
        put(e, "not_after", time_str(it->not_after), &ok);
        put(e, "valid", json_boolean(it->valid), &ok);
        if (json_array_append_new(val, e) != 0)
            ok = false;
    }
    put(o, "validity", val, &ok);
    if (r->ok) {
        put(o, "error", json_null(), &ok);
    } else {
        json_t *e = json_object();
        if (e != NULL) {
            put(e, "code", json_string(mse_err_name(r->err)), &ok);
            put(e, "value", json_integer(r->err), &ok);
            put(e, "message", json_string(r->message), &ok);
        }
        put(o, "error", e, &ok);
    }
    char *s = ok ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    MSE_ENSURE(s != NULL, MSE_ERR_NOMEM);
    *out = s;
    return MSE_OK;
}
