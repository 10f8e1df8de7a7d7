/*
 * The DOMAIN argument: parsing (host, host:port, [v6]:port, https URL) and
 * whether a certificate is for its host (RFC 6125 section 6, SAN only).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

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

/* Append "TYPE:value" to out, the untrusted value made printable; false when out is full. */
static bool append_name(char *out, size_t cap, size_t *used, const char *type,
                        const unsigned char *v, size_t len)
{
    char item[96];
    size_t n = (size_t)snprintf(item, sizeof item, "%s%s:", *used ? ", " : "", type);
    for (size_t i = 0; i < len && n + 4 < sizeof item; i++)
        item[n++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
    if (len > 0 && n + 4 >= sizeof item)
        n += (size_t)snprintf(item + n, sizeof item - n, "...");
    item[n] = 0;
    if (*used + n + 5 >= cap) {
        if (*used + 5 < cap)
            *used += (size_t)snprintf(out + *used, cap - *used, ", ...");
        return false;
    }
    memcpy(out + *used, item, n + 1);
    *used += n;
    return true;
}

/* "DNS:a, IP:10.0.0.1" from the certificate's subjectAltName, for the refusal message. */
static void describe_names(X509 *x, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        bool more = true;
        if (g->type == GEN_DNS) {
            more = append_name(out, cap, &used, "DNS", ASN1_STRING_get0_data(g->d.dNSName),
                               (size_t)ASN1_STRING_length(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            char ip[INET6_ADDRSTRLEN] = "?";
            int len = ASN1_STRING_length(g->d.iPAddress);
            const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
            if (len == 4 || len == 16)
                inet_ntop(len == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
            more = append_name(out, cap, &used, "IP", (const unsigned char *)ip, strlen(ip));
        }
        if (!more)
            break;
    }
    GENERAL_NAMES_free(gens);
    if (used == 0)
        snprintf(out, cap, "no DNS name or IP address (no usable subjectAltName)");
}

mse_err mse_cert_check_host(const uint8_t *der, size_t der_len, const char *host, char *names,
                            size_t names_cap)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    MSE_ENSURE(x != NULL, MSE_ERR_CERT_PARSE);
    if (p != der + der_len) {
        X509_free(x);
        return MSE_ERR_CERT_PARSE;
    }
    uint8_t addr[16];
    int ok;
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        ok = X509_check_ip_asc(x, host, 0);
    else
        ok = X509_check_host(x, host, 0,
                             X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                 X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                             NULL);
    if (ok != 1 && names && names_cap)
        describe_names(x, names, names_cap);
    X509_free(x);
    return ok == 1 ? MSE_OK : MSE_ERR_CERT_NAME_MISMATCH;
}
