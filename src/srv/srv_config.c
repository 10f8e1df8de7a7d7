/*
 * The configuration endpoint (POST /.well-known/mse/configure), reached only
 * over the RA-TLS certificate during the configuration phase.
 *
 * Body (application/json, at most SRV_CONFIG_BODY_MAX bytes, duplicate keys
 * refused, unknown keys refused):
 *   {"uuid": "<36 chars>", "code_secret_key": "<64 hex>",
 *    "ssl_private_key": "<PEM>"}            (the last one in owner mode only)
 * Answers: 200 configured; 400 malformed or unusable; 403 wrong uuid;
 * 405 not POST; 413 too large; 415 not JSON. Anything but 200 leaves the
 * server waiting for a correct configuration, on a new connection: every
 * answer of this phase closes its own (srv.c, dispatch). Secrets are wiped
 * after use.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/rd.h>

#include "srv_int.h"
#include "codecrypt/code_install.h"

/* "application/json", optionally followed by parameters ("; charset=utf-8"). */
static bool content_type_json(struct evhttp_request *req)
{
    static const char want[] = "application/json";
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (ct == NULL)
        return false;
    struct mse_rd rd;
    const uint8_t *type;
    uint8_t next;
    mse_rd_init(&rd, ct, strlen(ct));
    if (mse_rd_bytes(&rd, sizeof want - 1, &type) != MSE_OK ||
        strncasecmp((const char *)type, want, sizeof want - 1) != 0)
        return false;
    if (mse_rd_u8(&rd, &next) != MSE_OK)
        return true;
    return next == ';' || next == ' ';
}

/*
 * Parsing the body copies its secrets into jansson's lexer buffer and string
 * values, and jansson frees those itself, on a refused body (malformed,
 * duplicate key) before srv_config_parse could wipe them: its frees wipe
 * instead. jansson's allocator is process-wide; mse-enclave uses jansson for
 * the configuration only.
 */
static void json_wipe_free(void *p)
{
    if (p != NULL)
        mse_wipe(p, malloc_usable_size(p));
    free(p);
}

void srv_config_init(void)
{
    json_set_alloc_funcs(malloc, json_wipe_free);
}

/* Wipe and empty libevent's buffer of the request body (it may hold secrets). */
static void wipe_input(struct evbuffer *in)
{
    size_t len = evbuffer_get_length(in);
    unsigned char *raw = evbuffer_pullup(in, -1);
    if (raw != NULL)
        mse_wipe(raw, len);
    evbuffer_drain(in, len);
}

/*
 * The body, copied out of libevent's buffer and that buffer wiped, whatever
 * is then answered: a refusal must not leave secrets in memory either. NULL
 * when out of memory.
 */
static char *take_body(struct evbuffer *in, size_t len)
{
    char *body = malloc(len + 1);
    if (body != NULL && evbuffer_copyout(in, body, len) == (ev_ssize_t)len) {
        body[len] = '\0';
    } else {
        free(body);
        body = NULL;
    }
    wipe_input(in);
    return body;
}

/* Owner mode: the received key must be the owner certificate's. */
static int install_owner_key(struct srv *s, const struct srv_config_msg *m, const char **why)
{
    BIO *b = BIO_new_mem_buf(m->ssl_key_pem, (int)m->ssl_key_pem_len);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (k == NULL) {
        *why = "ssl_private_key is not a PEM private key";
        return 400;
    }
    bool ok = srv_owner_ctx(s, k) == MSE_OK;
    EVP_PKEY_free(k);
    if (!ok) {
        *why = "ssl_private_key does not match the owner's certificate";
        return 400;
    }
    return 0;
}

/* After the 200 has been written: leave the configuration phase. */
static void start_app(evutil_socket_t fd, short events, void *arg)
{
    struct srv *s = arg;
    if (srv_enter_app_phase(s) != MSE_OK) {
        srv_log("error: the app could not be started; stopping");
        s->exit_code = MSE_EXIT_INTERNAL;
        event_base_loopexit(s->base, NULL);
    }
}

void srv_config_handle(struct srv *s, struct evhttp_request *req)
{
    struct srv_config_msg m;
    const char *why = "";
    int code;
    memset(&m, 0, sizeof m);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        wipe_input(in);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        srv_reply(req, 405, "Method Not Allowed",
                  s->phase == SRV_PHASE_CONFIG ? "method not allowed; POST the configuration"
                                               : "method not allowed");
        return;
    }
    if (s->phase != SRV_PHASE_CONFIG) {
        /* A configuration sent again (mse configure's advice after a lost answer)
         * carries the secrets too. */
        wipe_input(in);
        srv_reply(req, 409, "Conflict", "already configured");
        return;
    }
    size_t len = evbuffer_get_length(in);
    srv_log("configuration request: %zu body byte(s)", len);
    char *body = take_body(in, len);
    if (body == NULL) {
        srv_reply(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    if (len > SRV_CONFIG_BODY_MAX) {
        code = 413;
        why = "configuration body too large";
    } else if (!content_type_json(req)) {
        code = 415;
        why = "Content-Type must be application/json";
    } else {
        code = srv_config_parse(body, len, s->cfg->mode, s->cfg->uuid, &m, &why);
    }
    mse_wipe(body, len);
    free(body);
    if (code == 0 && s->cfg->mode == SRV_MODE_OWNER)
        code = install_owner_key(s, &m, &why);
    if (code == 0) {
        size_t files = 0;
        mse_err err = mse_code_install(m.key, s->cfg->code_dir, s->cfg->app_dir, &files);
        if (err != MSE_OK) {
            srv_log("code decryption: %s", mse_err_str(err));
            code = 400;
            why = err == MSE_ERR_CRYPTO ? "code_secret_key does not decrypt the code"
                                        : "the encrypted code could not be installed";
        } else {
            srv_log("decrypted %zu code file(s) into %s", files, s->cfg->app_dir);
        }
    }
    srv_config_msg_wipe(&m);
    if (code != 0) {
        srv_reply(req, code,
                  code == 403   ? "Forbidden"
                  : code == 413 ? "Payload Too Large"
                  : code == 415 ? "Unsupported Media Type"
                  : code == 500 ? "Internal Server Error"
                                : "Bad Request",
                  why);
        return;
    }
    /* The connection ends with this answer (dispatch: every answer of this phase does);
     * the app phase starts after it. */
    srv_reply(req, 200, "OK", "configured");
    s->phase = SRV_PHASE_APP; /* refuse any other configuration from now on (409) */
    if (event_base_once(s->base, -1, EV_TIMEOUT, start_app, s, NULL) != 0) {
        srv_log("error: cannot schedule the app phase");
        event_base_loopexit(s->base, NULL);
    }
}
