/*
 * The configuration request body (docs/cmd/mse-enclave.md, "Configuration
 * phase"): a JSON object, duplicate keys refused (jansson
 * JSON_REJECT_DUPLICATES), unknown keys refused,
 *   uuid             36 characters, compared in constant time
 *   code_secret_key  64 hex digits
 *   ssl_private_key  PEM string, present exactly in owner mode.
 * The secrets' copies jansson makes are wiped before they are freed.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>

#include "srv_int.h"

void srv_config_msg_wipe(struct srv_config_msg *m)
{
    mse_wipe(m->key, sizeof m->key);
    if (m->ssl_key_pem != NULL) {
        mse_wipe(m->ssl_key_pem, m->ssl_key_pem_len);
        free(m->ssl_key_pem);
    }
    memset(m, 0, sizeof *m);
}

/* Wipe a jansson string's storage before it is freed (it holds a secret). */
static void wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        mse_wipe((char *)json_string_value(v), json_string_length(v));
}

int srv_config_parse(const char *body, size_t len, enum srv_mode mode, const char *expected_uuid,
                     struct srv_config_msg *m, const char **why)
{
    json_error_t jerr;
    int code = 400;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v, *uuid = NULL, *hex = NULL, *pem = NULL;
    if (root == NULL) {
        *why = strstr(jerr.text, "duplicate") ? "duplicate JSON key" : "malformed JSON";
        return 400;
    }
    if (!json_is_object(root)) {
        *why = "body is not a JSON object";
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "uuid") != 0 && strcmp(key, "code_secret_key") != 0 &&
            strcmp(key, "ssl_private_key") != 0) {
            *why = "unknown field";
            goto out;
        }
    }
    uuid = json_object_get(root, "uuid");
    hex = json_object_get(root, "code_secret_key");
    pem = json_object_get(root, "ssl_private_key");
    if (!json_is_string(uuid) || !json_is_string(hex)) {
        *why = "uuid and code_secret_key must be strings";
        goto out;
    }
    if (mode == SRV_MODE_OWNER ? !json_is_string(pem) : pem != NULL) {
        *why = mode == SRV_MODE_OWNER ? "ssl_private_key (PEM) is required in owner mode"
                                              : "ssl_private_key is only for owner mode";
        goto out;
    }
    if (mse_hex_decode(json_string_value(hex), json_string_length(hex), m->key, sizeof m->key) !=
        MSE_OK) {
        *why = "code_secret_key must be 64 hex digits";
        goto out;
    }
    /* The uuid is not a key, but it gates the configuration: compare in constant time. */
    bool uuid_ok = json_string_length(uuid) == SRV_UUID_LEN &&
                   mse_ct_eq(json_string_value(uuid), expected_uuid, SRV_UUID_LEN);
    if (!uuid_ok) {
        *why = "wrong uuid";
        code = 403;
        goto out;
    }
    memcpy(m->uuid, json_string_value(uuid), SRV_UUID_LEN);
    if (pem != NULL) {
        m->ssl_key_pem_len = json_string_length(pem);
        m->ssl_key_pem = malloc(m->ssl_key_pem_len + 1);
        if (m->ssl_key_pem == NULL) {
            *why = "out of memory";
            code = 500;
            goto out;
        }
        memcpy(m->ssl_key_pem, json_string_value(pem), m->ssl_key_pem_len + 1);
    }
    code = 0;
out:
    wipe_json_string(hex);
    wipe_json_string(pem);
    json_decref(root);
    return code;
}

