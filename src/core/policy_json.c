/*
 * The policy as a JSON document (docs/formats/policy.md): what `mse verify
 * --json` prints as "policy" and what `--policy FILE` reads back, so a
 * verification can be handed to someone else and reproduced exactly.
 *
 * Reading is strict, because this file decides what is trusted: unknown
 * keys, duplicate keys, wrong types and malformed hex are refused with the
 * key named (a misspelt "mrsigner" must not silently drop the signer
 * check). A missing key takes the default of mse_policy_init, which is the
 * strict one for every key. Writing emits every key, defaults included.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/verify.h>

#include "dcap.h"
#include "msg.h"

#define POLICY_FORMAT_VERSION 1
#define POLICY_JSON_MAX (256u * 1024)

static const char *const policy_keys[] = {
    "version",          "mrsigners",           "mrenclave",       "allow_debug",
    "allow_expired_collateral", "accepted_tcb_statuses", "accepted_advisories",
    "isv_prod_id",      "min_isv_svn",         "report_data",
};

/* ---- writing --------------------------------------------------------------- */

static void append(json_t *a, json_t *v, bool *ok)
{
    if (a == NULL || v == NULL || json_array_append_new(a, v) != 0)
        *ok = false;
}

mse_err mse_policy_to_json(const struct mse_policy *p, char **out)
{
    bool ok = true;
    *out = NULL;
    json_t *o = json_object();
    MSE_ENSURE(o != NULL, MSE_ERR_NOMEM);
    mse_json_put(o, "version", json_integer(POLICY_FORMAT_VERSION), &ok);
    json_t *signers = json_array();
    for (size_t i = 0; p->mrsigners != NULL && i < p->mrsigner_count; i++)
        append(signers, mse_json_hex(p->mrsigners[i], 32), &ok);
    mse_json_put(o, "mrsigners", signers, &ok);
    mse_json_put(o, "mrenclave", p->mrenclave ? mse_json_hex(p->mrenclave, 32) : json_null(), &ok);
    mse_json_put(o, "allow_debug", json_boolean(p->allow_debug), &ok);
    mse_json_put(o, "allow_expired_collateral", json_boolean(p->allow_expired_collateral), &ok);
    json_t *tcb = json_array();
    uint32_t accepted = p->accepted_tcb | MSE_TCB_MASK(MSE_TCB_UP_TO_DATE);
    for (unsigned s = 0; s < MSE_TCB_REVOKED; s++)
        if (accepted & MSE_TCB_MASK(s))
            append(tcb, json_string(mse_tcb_status_name((enum mse_tcb_status)s)), &ok);
    mse_json_put(o, "accepted_tcb_statuses", tcb, &ok);
    json_t *adv = json_array();
    for (size_t i = 0; p->accepted_advisories != NULL && i < p->accepted_advisory_count; i++)
        append(adv, json_string(p->accepted_advisories[i]), &ok);
    mse_json_put(o, "accepted_advisories", adv, &ok);
    mse_json_put(o, "isv_prod_id", p->check_isv_prod_id ? json_integer(p->isv_prod_id) : json_null(), &ok);
    mse_json_put(o, "min_isv_svn", p->check_min_isv_svn ? json_integer(p->min_isv_svn) : json_null(), &ok);
    mse_json_put(o, "report_data",
        p->report_data && p->report_data_len > 0 ? mse_json_hex(p->report_data, p->report_data_len)
                                                 : json_null(),
        &ok);
    char *s = ok ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    MSE_ENSURE(s != NULL, MSE_ERR_NOMEM);
    *out = s;
    return MSE_OK;
}

/* ---- reading --------------------------------------------------------------- */

/* Name the key that is wrong; every reading error is MSE_ERR_POLICY_FORMAT. */
static mse_err bad(struct mse_msg *m, const char *key, const char *what)
{
    mse_msg_member(m, key, what);
    return MSE_ERR_POLICY_FORMAT;
}

/* The array o[key], or *a = NULL when absent; not an array, or more than max items: refused. */
static mse_err optional_array(json_t *o, const char *key, size_t max, const char *too_many,
                              json_t **a, struct mse_msg *m)
{
    *a = json_object_get(o, key);
    if (*a == NULL)
        return MSE_OK;
    if (!json_is_array(*a))
        return bad(m, key, "not an array");
    if (json_array_size(*a) > max)
        return bad(m, key, too_many);
    return MSE_OK;
}

static bool known_key(const char *k)
{
    for (size_t i = 0; i < sizeof policy_keys / sizeof policy_keys[0]; i++)
        if (strcmp(k, policy_keys[i]) == 0)
            return true;
    return false;
}

static mse_err hex_field(json_t *v, const char *key, uint8_t *out, size_t min, size_t max,
                         size_t *n, struct mse_msg *m)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!json_is_string(v) || strlen(s) != len)
        return bad(m, key, "not a hex string");
    if (len % 2 != 0 || len / 2 < min || len / 2 > max ||
        mse_hex_decode_var(s, len, out, max, n) != MSE_OK)
        return bad(m, key, min == max ? "not the expected number of hex digits"
                                      : "not 1 to 64 bytes of hex");
    return MSE_OK;
}

static mse_err bool_field(json_t *o, const char *key, bool *out, struct mse_msg *m)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return MSE_OK;
    if (!json_is_boolean(v))
        return bad(m, key, "not true or false");
    *out = json_is_true(v);
    return MSE_OK;
}

/* A 16-bit value or null (= not checked). */
static mse_err u16_field(json_t *o, const char *key, bool *set, uint16_t *out, struct mse_msg *m)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return MSE_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xffff)
        return bad(m, key, "not an integer from 0 to 65535, or null");
    *set = true;
    *out = (uint16_t)json_integer_value(v);
    return MSE_OK;
}

static mse_err read_signers(json_t *o, struct mse_policy_store *st, struct mse_policy *p,
                            struct mse_msg *m)
{
    json_t *a, *v;
    size_t i, n = 0;
    MSE_TRY(optional_array(o, "mrsigners", MSE_POLICY_MAX_SIGNERS, "more than 32 signers", &a, m));
    if (a == NULL)
        return MSE_OK;
    json_array_foreach(a, i, v) MSE_TRY(hex_field(v, "mrsigners", st->mrsigners[i], 32, 32, &n, m));
    p->mrsigners = (const uint8_t(*)[32])st->mrsigners;
    p->mrsigner_count = json_array_size(a);
    return MSE_OK;
}

static mse_err read_statuses(json_t *o, struct mse_policy *p, struct mse_msg *m)
{
    json_t *a, *v;
    size_t i;
    MSE_TRY(optional_array(o, "accepted_tcb_statuses", SIZE_MAX, "too many", &a, m));
    if (a == NULL)
        return MSE_OK;
    json_array_foreach(a, i, v)
    {
        enum mse_tcb_status st;
        if (!json_is_string(v) ||
            mse_tcb_status_parse(json_string_value(v), json_string_length(v), &st) != MSE_OK ||
            st == MSE_TCB_UNKNOWN)
            return bad(m, "accepted_tcb_statuses", "not a TCB status name such as \"OutOfDate\"");
        if (st == MSE_TCB_REVOKED)
            return bad(m, "accepted_tcb_statuses", "a revoked TCB is never accepted");
        p->accepted_tcb |= MSE_TCB_MASK(st);
    }
    return MSE_OK;
}

static mse_err read_advisories(json_t *o, struct mse_policy_store *st, struct mse_policy *p,
                               struct mse_msg *m)
{
    json_t *a, *v;
    size_t i;
    MSE_TRY(optional_array(o, "accepted_advisories", MSE_MAX_ADVISORIES,
                           "more than 32 advisories", &a, m));
    if (a == NULL)
        return MSE_OK;
    json_array_foreach(a, i, v)
    {
        size_t len = json_string_length(v);
        if (!json_is_string(v) || mse_policy_advisory_id_ok(json_string_value(v), len) != MSE_OK)
            return bad(m, "accepted_advisories",
                       "not an advisory ID such as \"INTEL-SA-00615\" (letters, digits, '-')");
        memcpy(st->advisories[i], json_string_value(v), len + 1);
        st->advisory_ptrs[i] = st->advisories[i];
    }
    p->accepted_advisories = st->advisory_ptrs;
    p->accepted_advisory_count = json_array_size(a);
    return MSE_OK;
}

mse_err mse_policy_advisory_id_ok(const char *id, size_t len)
{
    /* Intel's IDs are INTEL-SA-NNNNN / INTEL-DOC-NNNNN; this bounds the shape, not the list. */
    MSE_ENSURE(len > 0 && len < sizeof ((struct mse_policy_store *)0)->advisories[0],
               MSE_ERR_ARG);
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-';
        MSE_ENSURE(ok, MSE_ERR_ARG);
    }
    return MSE_OK;
}

static mse_err read_object(json_t *o, struct mse_policy_store *st, struct mse_policy *p,
                           struct mse_msg *m)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    if (!json_is_object(o)) {
        mse_msg_str(m, "the policy is not a JSON object");
        return MSE_ERR_POLICY_FORMAT;
    }
    json_object_foreach(o, k, v)
    {
        if (!known_key(k))
            return bad(m, k, "unknown key (a misspelt key must not loosen the policy)");
    }
    v = json_object_get(o, "version");
    if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == POLICY_FORMAT_VERSION))
        return bad(m, "version", "only version 1 is known");
    MSE_TRY(read_signers(o, st, p, m));
    v = json_object_get(o, "mrenclave");
    if (v != NULL && !json_is_null(v)) {
        MSE_TRY(hex_field(v, "mrenclave", st->mrenclave, 32, 32, &n, m));
        p->mrenclave = st->mrenclave;
    }
    MSE_TRY(bool_field(o, "allow_debug", &p->allow_debug, m));
    MSE_TRY(bool_field(o, "allow_expired_collateral", &p->allow_expired_collateral, m));
    MSE_TRY(read_statuses(o, p, m));
    MSE_TRY(read_advisories(o, st, p, m));
    MSE_TRY(u16_field(o, "isv_prod_id", &p->check_isv_prod_id, &p->isv_prod_id, m));
    MSE_TRY(u16_field(o, "min_isv_svn", &p->check_min_isv_svn, &p->min_isv_svn, m));
    v = json_object_get(o, "report_data");
    if (v != NULL && !json_is_null(v)) {
        MSE_TRY(hex_field(v, "report_data", st->report_data, 1, 64, &p->report_data_len, m));
        p->report_data = st->report_data;
    }
    return MSE_OK;
}

mse_err mse_policy_from_json(const uint8_t *text, size_t len, struct mse_policy_store *store,
                             struct mse_policy *out, char *why, size_t why_len)
{
    struct mse_msg m;
    char sink[1];
    json_error_t je;
    mse_msg_init(&m, why != NULL ? why : sink, why != NULL ? why_len : sizeof sink);
    memset(store, 0, sizeof *store);
    mse_policy_init(out);
    if (len > POLICY_JSON_MAX) {
        mse_msg_str(&m, "larger than 256 KiB");
        return MSE_ERR_LIMIT;
    }
    json_t *o = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        mse_msg_str(&m, "line ");
        mse_msg_u64(&m, je.line > 0 ? (uint64_t)je.line : 0);
        mse_msg_str(&m, ", column ");
        mse_msg_u64(&m, je.column > 0 ? (uint64_t)je.column : 0);
        mse_msg_str(&m, ": ");
        mse_msg_str(&m, je.text);
        return MSE_ERR_POLICY_FORMAT;
    }
    mse_err err = read_object(o, store, out, &m);
    json_decref(o);
    if (err != MSE_OK) {
        memset(store, 0, sizeof *store);
        mse_policy_init(out);
    }
    return err;
}
