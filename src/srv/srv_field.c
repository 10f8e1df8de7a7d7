/*
 * The field-line and framing rules every request evhttp read is held to
 * before anything else sees it (dispatch, srv.c: 400 or 501), and every
 * response head of the app before a byte of it reaches the client
 * (srv_proxy.c: 502), and the one definition of a token that the hello
 * loop's reader (srv_head.c) and the proxy share:
 *
 *   field-line = field-name ":" OWS field-value OWS       (RFC 9112 5)
 *   field-name = token = 1*tchar                          (RFC 9110 5.1, 5.6.2)
 *   tchar      = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *                "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 *   field-vchar = VCHAR / obs-text                        (RFC 9110 5.5)
 *
 * evhttp (libevent 2.1) keeps whatever precedes a line's first colon as the
 * name: "Transfer-Encoding : chunked" becomes a field named
 * "Transfer-Encoding " (with the space) that evhttp itself ignores, while a
 * front proxy or the app that trims names reads it as the framing, a body
 * boundary the two sides place differently (request smuggling). RFC 9112
 * 5.1: a server MUST reject whitespace between a field name and the colon
 * with 400; any other name that is not a token is refused the same way. A
 * control character in a value (RFC 9110 5.5: invalid; CR, LF and NUL
 * dangerous) is refused too: only HTAB is whitespace within a value.
 *
 * What evhttp makes invisible here, so that no check can see it: a bare LF
 * ends a line like CRLF (RFC 9112 2.2 lets a recipient do so); an obs-fold
 * is joined to the value with one SP (RFC 9112 5.2 lets a server do so); a
 * NUL in a value ends it (the rest of the line is dropped: what reaches an
 * endpoint or the app is the part before it). evhttp refuses itself, with
 * its own 400, a NUL or a CR in a name and a bare CR in a value; it drops
 * the trailer fields of a chunked body. obs-text (bytes 0x80 to 0xff) is
 * valid in a value and passes.
 *
 * evhttp reads the app's response heads with the same line reader, so the
 * same holds for them: bare LF, obs-fold and NUL as above, and a NUL or a CR
 * in a name, a bare CR in a value, or a continuation line before any field
 * fail the upstream request in evhttp itself (the proxy's generic 502, "the
 * app is unreachable"), before this rule is asked.
 */
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <mse/rd.h>

#include "srv_int.h"

#define HTAB 0x09
#define DEL 0x7f

bool srv_tchar(uint8_t c)
{
    static const char other[] = "!#$%&'*+-.^_`|~";
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && memchr(other, c, sizeof other - 1) != NULL;
}

bool srv_token(const void *name, size_t len)
{
    struct mse_rd rd;
    uint8_t c;
    mse_rd_init(&rd, name, len);
    while (mse_rd_u8(&rd, &c) == MSE_OK)
        if (!srv_tchar(c))
            return false;
    return len > 0;
}

bool srv_field_value_valid(const void *value, size_t len)
{
    struct mse_rd rd;
    uint8_t c;
    mse_rd_init(&rd, value, len);
    while (mse_rd_u8(&rd, &c) == MSE_OK)
        if ((c < 0x20 && c != HTAB) || c == DEL)
            return false;
    return true;
}

const char *srv_fields_refusal(struct evhttp_request *req)
{
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (!srv_token(kv->key, strlen(kv->key)))
            return "field name not a token";
        if (!srv_field_value_valid(kv->value, strlen(kv->value)))
            return "control character in a field value";
    }
    return NULL;
}

/*
 * Message framing that two HTTP implementations can read differently (RFC
 * 9112 6.1, 6.3). evhttp takes the first of several Content-Length fields,
 * lets chunked win over Content-Length, and reads a request whose transfer
 * coding is not exactly "chunked" as one without a body, its body then
 * parsed as the next request. The operator's proxy in front or the app
 * behind may choose otherwise and see a request boundary where this server
 * sees none: a smuggled request. The app's responses pass the same way to
 * the client and the operator's proxy, with the app's Content-Length: there,
 * two of them or one beside a transfer coding would place the end of the
 * body somewhere evhttp did not (RFC 9112 6.3: a proxy answers 502).
 */
int srv_framing_refusal(struct evhttp_request *req, const char **why)
{
    size_t lengths = 0, codings = 0;
    const char *coding = NULL;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (strcasecmp(kv->key, "Content-Length") == 0) {
            lengths++;
        } else if (strcasecmp(kv->key, "Transfer-Encoding") == 0) {
            codings++;
            coding = kv->value;
        }
    }
    if (lengths > 1) {
        *why = "more than one Content-Length";
        return 400;
    }
    if (lengths > 0 && codings > 0) {
        *why = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    if (codings > 1 || (coding != NULL && strcasecmp(coding, "chunked") != 0)) {
        *why = "transfer coding other than chunked";
        return 501;
    }
    return 0;
}
