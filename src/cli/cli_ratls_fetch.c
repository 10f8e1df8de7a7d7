/*
 * The RA-TLS certificate an app publishes when its TLS session is not the
 * enclave's (app-owner trust, untrusted SSL: docs/cmd/mse-enclave.md):
 * `mse verify DOMAIN --ratls-path /.well-known/mse/ratls.pem` fetches it
 * over HTTPS validated with the system's CAs (or --cacert), then verifies it
 * like any RA-TLS certificate.
 *
 * What this proves differs from zero trust, and the docs say so: the TLS
 * session is the owner's or operator's, so the verification shows that this
 * enclave exists and runs this code, not that the channel ends in it. The
 * HTTPS validation only keeps a network attacker from swapping the file;
 * the certificate's own quote is what is verified.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/guard.h>

#include "cli_ratls_fetch.h"
#include "net/http.h"
#include "util/util.h"

#define RATLS_PEM_MAX (1u << 20)

struct body {
    uint8_t *data;
    size_t len;
    bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    struct body *b = user;
    size_t add = size * n;
    if (add > RATLS_PEM_MAX - b->len) {
        b->too_big = true;
        return 0; /* aborts the transfer */
    }
    uint8_t *grown = realloc(b->data, b->len + add + 1);
    if (grown == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* A PEM certificate (or DER) as DER. */
MSE_MUST_USE static mse_err to_der(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len)
{
    const unsigned char *p = data;
    X509 *x = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (bio != NULL)
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x == NULL)
        x = d2i_X509(NULL, &p, (long)len);
    MSE_ENSURE(x != NULL, MSE_ERR_CERT_PARSE);
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    X509_free(x);
    MSE_ENSURE(n > 0, MSE_ERR_CERT_PARSE);
    *der = malloc((size_t)n);
    if (*der != NULL)
        memcpy(*der, d, (size_t)n);
    OPENSSL_free(d);
    MSE_ENSURE(*der != NULL, MSE_ERR_NOMEM);
    *der_len = (size_t)n;
    return MSE_OK;
}

static mse_err curl_error(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST: return MSE_ERR_NET_RESOLVE;
    case CURLE_OPERATION_TIMEDOUT: return MSE_ERR_NET_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return MSE_ERR_NET_TLS;
    default: return MSE_ERR_NET_CONNECT;
    }
}

mse_err cli_ratls_fetch(const struct mse_endpoint *ep, const char *path, const char *cacert,
                        long timeout_ms, uint8_t **der, size_t *der_len, char *why,
                        size_t why_cap)
{
    char url[1024];
    struct body b = {0};
    long status = 0;
    *der = NULL;
    *der_len = 0;
    if (path == NULL || path[0] != '/' || strpbrk(path, " \r\n#") != NULL)
        return mse_say(why, why_cap, MSE_ERR_ARG, "--ratls-path must be an absolute path such as "
                                                  "/.well-known/mse/ratls.pem");
    bool v6 = strchr(ep->host, ':') != NULL;
    if ((size_t)snprintf(url, sizeof url, "https://%s%s%s:%s%s", v6 ? "[" : "", ep->host,
                         v6 ? "]" : "", ep->port, path) >= sizeof url)
        return mse_say(why, why_cap, MSE_ERR_ARG, "URL too long");
    const struct mse_curl *cu = NULL;
    MSE_TRY(mse_curl_api(&cu, why, why_cap));
    CURL *h = cu->easy_init();
    if (h == NULL)
        return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
    mse_http_setup(cu, h, url, "https", timeout_ms, on_body, &b, cacert);
    CURLcode c = cu->easy_perform(h);
    cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    cu->easy_cleanup(h);
    mse_err err = MSE_OK;
    if (b.too_big)
        err = mse_say(why, why_cap, MSE_ERR_LIMIT, "%s: larger than 1 MiB", url);
    else if (c != CURLE_OK)
        err = mse_say(why, why_cap, curl_error(c), "%s: %s%s", url, cu->easy_strerror(c),
                      c == CURLE_PEER_FAILED_VERIFICATION
                          ? " (the server's TLS certificate is not trusted by the system CAs; "
                            "give the owner's CA with --cacert)"
                          : "");
    else if (status != 200)
        err = mse_say(why, why_cap, MSE_ERR_SERVER, "%s: HTTP %ld", url, status);
    else if (to_der(b.data, b.len, der, der_len) != MSE_OK)
        err = mse_say(why, why_cap, MSE_ERR_CERT_PARSE, "%s is not a PEM or DER certificate", url);
    free(b.data);
    return err;
}

mse_err cli_cert_file_read(const char *path, uint8_t **der, size_t *der_len, char *why,
                           size_t why_cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mse_err err = mse_file_read(path, RATLS_PEM_MAX, &data, &len);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read %s: %s", path, mse_err_str(err));
    err = to_der(data, len, der, der_len);
    free(data);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s is not a PEM or DER certificate", path);
    return MSE_OK;
}
