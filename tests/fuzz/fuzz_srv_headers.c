/*
 * mse-enclave's request heads on arbitrary bytes:
 *  - the hello loop's own reader (srv_head_parse), which sees a client's
 *    bytes first: never a crash; a head it takes ends with its empty line
 *    within the limit, every shorter prefix of it waits for more, and with
 *    the limit reached it never waits;
 *  - the Host value check (srv_host_valid) on the same bytes: a value it
 *    takes holds only the characters of uri-host [":" port] and the
 *    whitespace around it, never userinfo, a path, a query or a fragment;
 *  - the field lines of a request or a response as evhttp keeps them: lines
 *    "name: value" (split on LF, CR dropped, the name everything before the
 *    first colon, whitespace before it included) are added as evhttp does.
 *    The field rule (srv_fields_refusal: a client's request, 400, and the
 *    app's response head in the proxy, 502) lets the fields through iff every
 *    name is an RFC 9110 token and no value holds a control character but
 *    HTAB, judged here by a plain reading of the RFC's lists; srv_token agrees
 *    with the same reading on every name; the framing rule
 *    (srv_framing_refusal, requests and the app's responses alike) lets them
 *    through iff there is at most one Content-Length and a Transfer-Encoding
 *    only alone and exactly "chunked";
 *  - the header handling of the proxy (srv_proxy_copy_headers) on the same
 *    fields, as a client's request or an app's response brings them. Nothing
 *    hop-by-hop and nothing the Connection header names comes out; nothing
 *    comes out that did not go in; every name that comes out is a token; and
 *    when the fields passed the rule first, as both directions of the proxy
 *    ask it before copying, no value that comes out holds a control character
 *    but HTAB.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "srv/srv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const hop[] = {"Connection", "Keep-Alive", "Proxy-Connection",
                                  "Proxy-Authenticate", "Proxy-Authorization", "TE",
                                  "Trailer", "Transfer-Encoding", "Upgrade"};

static size_t count(struct evkeyvalq *h)
{
    size_t n = 0;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, h, next)
    n++;
    return n;
}

static const char token_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "!#$%&'*+-.^_`|~";

static bool plain_token(const char *name)
{
    return name[0] != '\0' && strspn(name, token_chars) == strlen(name);
}

static bool plain_value(const char *value)
{
    for (const char *p = value; *p != '\0'; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* The framing rule (srv_framing_refusal): what it lets through has at most one
 * Content-Length, and a Transfer-Encoding only alone and exactly "chunked". */
static void check_framing(struct evhttp_request *req)
{
    size_t lengths = 0, codings = 0;
    bool chunked = true;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        lengths += strcasecmp(kv->key, "Content-Length") == 0;
        if (strcasecmp(kv->key, "Transfer-Encoding") == 0) {
            codings++;
            chunked = chunked && strcasecmp(kv->value, "chunked") == 0;
        }
    }
    bool plain = lengths <= 1 && codings <= 1 && (codings == 0 || (lengths == 0 && chunked));
    const char *why = NULL;
    int status = srv_framing_refusal(req, &why);
    if ((status == 0) != plain || (status != 0 && status != 400 && status != 501) ||
        (status != 0 && why == NULL))
        abort();
}

/* The field rule against the plain reading, on every field of in; whether it passes. */
static bool check_fields(struct evhttp_request *req)
{
    bool all_valid = true;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (srv_token(kv->key, strlen(kv->key)) != plain_token(kv->key))
            abort();
        if (srv_field_value_valid(kv->value, strlen(kv->value)) != plain_value(kv->value))
            abort();
        all_valid = all_valid && plain_token(kv->key) && plain_value(kv->value);
    }
    if ((srv_fields_refusal(req) == NULL) != all_valid)
        abort();
    check_framing(req);
    return all_valid;
}

static void check_head(const uint8_t *data, size_t size)
{
    const size_t max = 2048; /* small, so that inputs reach it */
    struct srv_head h, prefix;
    enum srv_head_verdict v = srv_head_parse(data, size, max, &h);
    if (v == SRV_HEAD_MORE && size >= max)
        abort();
    if (v != SRV_HEAD_FAST)
        return;
    if (h.len < 4 || h.len > size || h.len > max || memcmp(data + h.len - 4, "\r\n\r\n", 4) != 0)
        abort();
    if (srv_head_parse(data, h.len - 1, max, &prefix) != SRV_HEAD_MORE)
        abort();
    if (h.head_only != (data[0] == 'H'))
        abort();
}

static void check_host(const uint8_t *data, size_t size)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "-._~%!$&'()*+,;=:[] \t";
    if (!srv_host_valid(data, size))
        return;
    for (size_t i = 0; i < size; i++)
        if (data[i] == 0 || strchr(allowed, data[i]) == NULL)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    check_head(data, size);
    check_host(data, size);
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    if (req == NULL) {
        free(text);
        return 0;
    }
    struct evkeyvalq *in = evhttp_request_get_input_headers(req), out;
    TAILQ_INIT(&out);
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        const char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        (void)evhttp_add_header(in, line, value); /* refuses what evhttp would */
    }
    bool passes = check_fields(req);
    srv_proxy_copy_headers(in, &out);
    if (count(&out) > count(in))
        abort();
    const char *conn = evhttp_find_header(in, "Connection");
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &out, next)
    {
        for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
            if (strcasecmp(kv->key, hop[i]) == 0)
                abort();
        if (!plain_token(kv->key))
            abort();
        if (passes && !plain_value(kv->value))
            abort();
        /* A header named alone as the whole Connection value never passes. */
        if (conn != NULL && strcasecmp(conn, kv->key) == 0)
            abort();
        bool found = false;
        struct evkeyval *src;
        TAILQ_FOREACH(src, in, next)
        if (strcmp(src->key, kv->key) == 0 && strcmp(src->value, kv->value) == 0)
            found = true;
        if (!found)
            abort();
    }
    evhttp_request_free(req);
    evhttp_clear_headers(&out);
    free(text);
    return 0;
}
