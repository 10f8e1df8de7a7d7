/*
 * The request heads the hello app's own request loop answers (srv_fast.c):
 * a strict subset of HTTP/1.1 (RFC 9112 3, 5; RFC 9110 5.1, 5.5, 5.6.2),
 * read byte by byte through the bounded reader.
 *
 *   request-line = ("GET" / "HEAD") SP origin-form SP "HTTP/1.1" CRLF
 *   origin-form  = "/" *( pchar / "/" / "?" )     (RFC 3986 3.3, 3.4)
 *   field-line   = token ":" OWS *( VCHAR / SP / HTAB ) CRLF
 *
 * with exactly one Host field whose value is valid (srv_host_valid), no
 * Content-Length, Transfer-Encoding or Expect field (no body, nothing to
 * negotiate), a Connection field only "close" or "keep-alive", at most
 * SRV_HEAD_FIELDS_MAX fields, and a target outside /.well-known/ (the RA-TLS
 * and configuration endpoints). Anything else, including what RFC 9112
 * allows but this subset does not (bare LF, obs-fold, obs-text, HTTP/1.0,
 * absolute-form), is SRV_HEAD_OTHER: evhttp reads it from the same bytes and
 * answers or refuses it (a head without exactly one valid Host: 400 by
 * srv_host_refusal), so this reader never accepts a request that would be
 * refused.
 */
#include <string.h>
#include <strings.h>

#include <mse/rd.h>

#include "srv_int.h"

#define CR 0x0d
#define LF 0x0a
#define SP 0x20
#define HTAB 0x09

/* pchar (unreserved, pct-encoded's characters, sub-delims, ":", "@"), "/" and "?". */
static bool target_char(uint8_t c)
{
    static const char other[] = "-._~%!$&'()*+,;=:@/?";
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && memchr(other, c, sizeof other - 1) != NULL;
}

static bool value_char(uint8_t c)
{
    return (c >= 0x21 && c <= 0x7e) || c == SP || c == HTAB;
}

/* Up to cap bytes of a run kept for comparison; *len counts the whole run. */
struct run {
    char text[24];
    size_t len;
};

static void run_add(struct run *r, uint8_t c)
{
    if (r->len < sizeof r->text)
        r->text[r->len] = (char)c;
    r->len++;
}

static bool run_is(const struct run *r, const char *s)
{
    size_t n = strlen(s);
    return r->len == n && n <= sizeof r->text && strncasecmp(r->text, s, n) == 0;
}

/* The value is kept without its trailing whitespace (OWS, RFC 9110 5.5). */
static bool value_is(const struct run *r, size_t trailing_ows, const char *s)
{
    size_t n = strlen(s);
    return r->len - trailing_ows == n && n <= sizeof r->text && strncasecmp(r->text, s, n) == 0;
}

enum step {
    STEP_OK,
    STEP_SHORT, /* the bytes ended first */
    STEP_OTHER, /* not in the subset */
};

static enum step expect(struct mse_rd *rd, uint8_t want)
{
    uint8_t c;
    if (mse_rd_u8(rd, &c) != MSE_OK)
        return STEP_SHORT;
    return c == want ? STEP_OK : STEP_OTHER;
}

static enum step request_line(struct mse_rd *rd, struct srv_head *h)
{
    struct run method = {0}, target = {0};
    uint8_t c;
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return STEP_SHORT;
        if (c == SP)
            break;
        if (!srv_tchar(c) || method.len >= 8)
            return STEP_OTHER;
        run_add(&method, c);
    }
    /* Case-sensitive (RFC 9110 9.1). */
    if (method.len == 3 && memcmp(method.text, "GET", 3) == 0)
        h->head_only = false;
    else if (method.len == 4 && memcmp(method.text, "HEAD", 4) == 0)
        h->head_only = true;
    else
        return STEP_OTHER;
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return STEP_SHORT;
        if (c == SP)
            break;
        if (!target_char(c) || (target.len == 0 && c != '/'))
            return STEP_OTHER;
        run_add(&target, c);
    }
    static const char well_known[] = "/.well-known/";
    if (target.len == 0 || (target.len >= sizeof well_known - 1 &&
                            memcmp(target.text, well_known, sizeof well_known - 1) == 0))
        return STEP_OTHER;
    static const char version[] = "HTTP/1.1";
    for (size_t i = 0; i < sizeof version - 1; i++) {
        enum step st = expect(rd, (uint8_t)version[i]);
        if (st != STEP_OK)
            return st;
    }
    enum step st = expect(rd, CR);
    return st == STEP_OK ? expect(rd, LF) : st;
}

/* One field line after its first byte (first); sets *end for the empty line. */
static enum step field_line(struct mse_rd *rd, uint8_t first, struct srv_head *h, size_t *hosts)
{
    struct run name = {0}, value = {0};
    size_t trailing_ows = 0;
    uint8_t c = first;
    while (c != ':') {
        if (!srv_tchar(c))
            return STEP_OTHER; /* also whitespace before the colon (RFC 9112 5.1) */
        run_add(&name, c);
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return STEP_SHORT;
    }
    if (name.len == 0)
        return STEP_OTHER;
    /* The whole value, its whitespace included, stays readable for the Host check. */
    struct mse_rd value_start = *rd;
    size_t value_bytes = 0;
    for (;;) {
        if (mse_rd_u8(rd, &c) != MSE_OK)
            return STEP_SHORT;
        if (c == CR)
            break;
        if (!value_char(c))
            return STEP_OTHER;
        value_bytes++;
        if ((c == SP || c == HTAB) && value.len == 0)
            continue; /* leading OWS */
        trailing_ows = (c == SP || c == HTAB) ? trailing_ows + 1 : 0;
        run_add(&value, c);
    }
    enum step st = expect(rd, LF);
    if (st != STEP_OK)
        return st;
    if (run_is(&name, "host")) {
        const uint8_t *host;
        /* An invalid Host is evhttp's to read, and srv_host_refusal's to refuse. */
        if (mse_rd_bytes(&value_start, value_bytes, &host) != MSE_OK ||
            !srv_host_valid(host, value_bytes))
            return STEP_OTHER;
        (*hosts)++;
    } else if (run_is(&name, "content-length") || run_is(&name, "transfer-encoding") ||
               run_is(&name, "expect")) {
        return STEP_OTHER; /* a body or an exchange before it: evhttp's */
    } else if (run_is(&name, "connection")) {
        if (value_is(&value, trailing_ows, "close"))
            h->close = true;
        else if (!value_is(&value, trailing_ows, "keep-alive"))
            return STEP_OTHER;
    }
    return STEP_OK;
}

enum srv_head_verdict srv_head_parse(const uint8_t *buf, size_t len, size_t max,
                                     struct srv_head *h)
{
    struct mse_rd rd;
    size_t fields = 0, hosts = 0;
    bool limited = len >= max;
    mse_rd_init(&rd, buf, limited ? max : len);
    memset(h, 0, sizeof *h);
    enum step st = request_line(&rd, h);
    while (st == STEP_OK) {
        uint8_t c;
        if (mse_rd_u8(&rd, &c) != MSE_OK) {
            st = STEP_SHORT;
            break;
        }
        if (c == CR) {
            st = expect(&rd, LF);
            if (st != STEP_OK)
                break;
            if (hosts != 1)
                return SRV_HEAD_OTHER;
            h->len = (limited ? max : len) - mse_rd_left(&rd);
            return SRV_HEAD_FAST;
        }
        if (++fields > SRV_HEAD_FIELDS_MAX)
            return SRV_HEAD_OTHER;
        st = field_line(&rd, c, h, &hosts);
    }
    if (st == STEP_SHORT && !limited)
        return SRV_HEAD_MORE;
    return SRV_HEAD_OTHER; /* not in the subset, or no end within max bytes */
}
