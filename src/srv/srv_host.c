/*
 * The Host field rules of RFC 9112 3.2, the one definition every path of
 * mse-enclave applies: the hello loop's own reader takes only a head with
 * exactly one valid Host (srv_head.c) and hands any other to evhttp, whose
 * requests dispatch (srv.c) refuses with 400 when srv_host_refusal says so,
 * before the configuration endpoint, the RA-TLS endpoint, the hello app or
 * the proxy to the app sees them.
 *
 *   Host       = uri-host [ ":" port ]                       (RFC 9110 7.2)
 *   uri-host   = IP-literal / IPv4address / reg-name          (RFC 3986 3.2.2)
 *   IP-literal = "[" ( IPv6address / IPvFuture ) "]"
 *   IPvFuture  = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
 *   reg-name   = *( unreserved / pct-encoded / sub-delims )
 *   port       = *DIGIT                                      (RFC 3986 3.2.3)
 *
 * IPv4address needs no rule of its own: its characters are reg-name's, and
 * "1.2.3.999" is a valid reg-name. An empty value is valid (RFC 9110 7.2: a
 * target URI without an authority). The attack stopped: a Host that the
 * operator's proxy, this server and the app read differently (userinfo
 * "x@y", a space, a path or fragment, two fields of which each picks
 * another) sends a request to another virtual host than the one checked, or
 * into the links and redirects the app builds from it.
 *
 * Not checked: what the name means (DNS length limits, a port over 65535);
 * the grammar alone.
 */
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <arpa/inet.h>

#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include <mse/rd.h>

#include "srv_int.h"

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", the longest IPv6address. */
#define IPV6_TEXT_MAX 45

static bool digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool alnum(uint8_t c)
{
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool hexdig(uint8_t c)
{
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool unreserved(uint8_t c)
{
    return alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool sub_delim(uint8_t c)
{
    static const char sub_delims[] = "!$&'()*+,;=";
    return c != 0 && memchr(sub_delims, c, sizeof sub_delims - 1) != NULL;
}

/* Optional whitespace around a field value (RFC 9110 5.5, 5.6.3). */
static bool ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool not_port_or_ows(uint8_t c)
{
    return c != ':' && !ows(c);
}

/* The next byte into *c and consumed if there is one and `want` accepts it. */
static bool take_if(struct mse_rd *rd, bool (*want)(uint8_t), uint8_t *c)
{
    struct mse_rd ahead = *rd;
    if (mse_rd_u8(&ahead, c) != MSE_OK || !want(*c))
        return false;
    *rd = ahead;
    return true;
}

/* The next byte, consumed if it is `want`. */
static bool take(struct mse_rd *rd, uint8_t want)
{
    struct mse_rd ahead = *rd;
    uint8_t c;
    if (mse_rd_u8(&ahead, &c) != MSE_OK || c != want)
        return false;
    *rd = ahead;
    return true;
}

static void skip_ows(struct mse_rd *rd)
{
    uint8_t c;
    while (take_if(rd, ows, &c))
        continue;
}

/* reg-name, up to the port's ":", whitespace or the end (none consumed). */
static bool reg_name(struct mse_rd *rd)
{
    uint8_t c, h1, h2;
    while (take_if(rd, not_port_or_ows, &c)) {
        if (c == '%') {
            if (mse_rd_u8(rd, &h1) != MSE_OK || mse_rd_u8(rd, &h2) != MSE_OK || !hexdig(h1) ||
                !hexdig(h2))
                return false;
        } else if (!unreserved(c) && !sub_delim(c)) {
            return false;
        }
    }
    return true;
}

/* IPvFuture after its "v", through the closing "]". */
static bool ipv_future(struct mse_rd *rd)
{
    uint8_t c;
    size_t version = 0, rest = 0;
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return false;
        if (c == '.')
            break;
        if (!hexdig(c))
            return false;
        version++;
    }
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return false;
        if (c == ']')
            return version > 0 && rest > 0;
        if (!unreserved(c) && !sub_delim(c) && c != ':')
            return false;
        rest++;
    }
}

/* IP-literal after its "[", through the closing "]". The IPv6 text is judged by
 * inet_pton, which reads the RFC 4291 2.2 forms that IPv6address spells out. */
static bool ip_literal(struct mse_rd *rd)
{
    uint8_t c;
    if (take(rd, 'v') || take(rd, 'V')) /* ABNF strings are case-insensitive */
        return ipv_future(rd);
    char text[IPV6_TEXT_MAX + 1];
    size_t n = 0;
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return false;
        if (c == ']')
            break;
        if (n == IPV6_TEXT_MAX || !(hexdig(c) || c == ':' || c == '.'))
            return false;
        text[n++] = (char)c;
    }
    text[n] = '\0';
    struct in6_addr addr;
    return inet_pton(AF_INET6, text, &addr) == 1;
}

bool srv_host_valid(const void *value, size_t len)
{
    struct mse_rd rd;
    uint8_t c;
    mse_rd_init(&rd, value, len);
    skip_ows(&rd);
    if (take(&rd, '[') ? !ip_literal(&rd) : !reg_name(&rd))
        return false;
    if (take(&rd, ':'))
        while (take_if(&rd, digit, &c))
            continue;
    skip_ows(&rd);
    return mse_rd_end(&rd) == MSE_OK;
}

/*
 * evhttp keeps the request's version in the request itself only
 * (event2/http_struct.h; libevent 2.1 has no accessor). It reads "HTTP/%d.%d"
 * with major at most 1: only 1.0 may come without a Host; 1.1 and any later
 * 1.x must have one (RFC 9112 2.3: a 1.x recipient reads a higher minor
 * version as 1.1), and so must the 0.x evhttp also reads.
 */
static bool host_required(const struct evhttp_request *req)
{
    return !(req->major == 1 && req->minor == 0);
}

const char *srv_host_refusal(struct evhttp_request *req)
{
    size_t hosts = 0;
    const char *value = NULL;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
    {
        if (strcasecmp(kv->key, "Host") == 0) {
            hosts++;
            value = kv->value;
        }
    }
    if (hosts > 1)
        return "more than one Host";
    if (hosts == 0)
        return host_required(req) ? "no Host in an HTTP/1.1 request" : NULL;
    if (!srv_host_valid(value, strlen(value)))
        return "invalid Host";
    return NULL;
}
