/* Parsing of the DOMAIN argument: host, host:port, [v6]:port, https URL. */
#include <arpa/inet.h>
#include <string.h>

#include <mse/guard.h>
#include <mse/net.h>

static bool host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == ':';
}

mse_err mse_endpoint_parse(const char *target, struct mse_endpoint *ep)
{
    const char *s = target, *host, *host_end, *port = NULL;
    size_t port_len = 0;
    memset(ep, 0, sizeof *ep);
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    MSE_ENSURE(strstr(s, "://") == NULL, MSE_ERR_ARG); /* http:// and others: no TLS to verify */
    const char *end = s + strcspn(s, "/?#");
    if (*s == '[') {
        host = s + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        MSE_ENSURE(host_end != NULL, MSE_ERR_ARG);
        if (host_end + 1 < end) {
            MSE_ENSURE(host_end[1] == ':', MSE_ERR_ARG);
            port = host_end + 2;
        }
    } else {
        host = s;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        host_end = colon ? colon : end;
        if (colon)
            port = colon + 1;
    }
    if (port) {
        port_len = (size_t)(end - port);
        MSE_ENSURE(port_len >= 1 && port_len <= 5, MSE_ERR_ARG);
        unsigned v = 0;
        for (size_t i = 0; i < port_len; i++) {
            MSE_ENSURE(port[i] >= '0' && port[i] <= '9', MSE_ERR_ARG);
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        MSE_ENSURE(v >= 1 && v <= 65535, MSE_ERR_ARG);
        memcpy(ep->port, port, port_len);
    } else {
        memcpy(ep->port, "443", 4);
    }
    size_t hlen = (size_t)(host_end - host);
    MSE_ENSURE(hlen >= 1 && hlen < sizeof ep->host, MSE_ERR_ARG);
    for (size_t i = 0; i < hlen; i++)
        MSE_ENSURE(host_char_ok(host[i]), MSE_ERR_ARG);
    memcpy(ep->host, host, hlen);
    /* A colon left in an unbracketed host means an IPv6 literal without brackets. */
    uint8_t addr[16];
    ep->host_is_ip = inet_pton(AF_INET, ep->host, addr) == 1 || inet_pton(AF_INET6, ep->host, addr) == 1;
    MSE_ENSURE(ep->host_is_ip || strchr(ep->host, ':') == NULL, MSE_ERR_ARG);
    return MSE_OK;
}
