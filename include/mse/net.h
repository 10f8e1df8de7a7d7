/*
 * libmse's network layer: fetch a server's TLS certificate, keep the
 * connection for a verified exchange, and obtain DCAP collateral from a
 * PCCS / Intel PCS (API v4) with an on-disk cache.
 *
 * Nothing here decides trust: the certificate and collateral go to
 * mse_verify(). Every operation is bounded in time and size.
 */
#ifndef MSE_NET_H
#define MSE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/collateral.h>
#include <mse/err.h>

/* "host", "host:port", "[v6]:port" or "https://host[:port][/path]"; port 443 by default. */
struct mse_endpoint {
    char host[256]; /* without brackets */
    char port[6];
    bool host_is_ip; /* an IP literal: no SNI is sent */
};
MSE_EXTERN MSE_MUST_USE mse_err mse_endpoint_parse(const char *target, struct mse_endpoint *ep)
    MSE_NONNULL(1, 2);

/*
 * Whether the certificate (DER) is for `host`: a DNS name matched against its
 * subjectAltName DNS entries (RFC 6125 by OpenSSL's X509_check_host: case-
 * insensitive, a wildcard only as a whole left-most label), an IP literal
 * against its IP entries (X509_check_ip_asc). The subject CN is never used,
 * as browsers no longer use it. On a mismatch `names` (when not NULL) gets
 * what the certificate is for, printable: "DNS:localhost, IP:10.0.0.1" or
 * "no subjectAltName". Errors: MSE_ERR_CERT_NAME_MISMATCH, MSE_ERR_CERT_PARSE.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_cert_check_host(const uint8_t *der, size_t der_len, const char *host,
                                         char *names, size_t names_cap) MSE_NONNULL(1, 3);

struct mse_tls_conn;

/*
 * Connect and complete a TLS handshake (TLS 1.2+, SNI for names) WITHOUT
 * validating the server certificate: the certificate is what mse verifies
 * afterwards, against the quote it carries, not against a web PKI. Nothing
 * may be sent on the connection before that verification succeeded.
 * timeout_ms bounds name resolution, connect and handshake together. errbuf
 * gets a one-line reason. Errors: MSE_ERR_NET_RESOLVE, _CONNECT, _TIMEOUT,
 * _TLS, _NO_CERT. These functions and mse_tls_write/read/close block SIGPIPE
 * in the calling thread while OpenSSL may write (a peer reset is an error,
 * never a fatal signal) and restore the mask; dispositions are not changed.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_tls_connect(const struct mse_endpoint *ep, int timeout_ms,
                                     struct mse_tls_conn **out, char *errbuf, size_t errlen)
    MSE_NONNULL(1, 3);
/* The peer's leaf certificate, DER; view valid until mse_tls_close. */
MSE_EXTERN void mse_tls_peer_cert(const struct mse_tls_conn *c, const uint8_t **der, size_t *len);
/* Write all bytes / read up to cap bytes (0 at EOF), each bounded by timeout_ms. */
MSE_EXTERN MSE_MUST_USE mse_err mse_tls_write(struct mse_tls_conn *c, const void *buf, size_t len,
                                   int timeout_ms);
MSE_EXTERN MSE_MUST_USE mse_err mse_tls_read(struct mse_tls_conn *c, void *buf, size_t cap, size_t *got,
                                  int timeout_ms);
MSE_EXTERN void mse_tls_close(struct mse_tls_conn *c);

/* Connect, copy the leaf certificate (malloc'd DER), close. */
MSE_EXTERN MSE_MUST_USE mse_err mse_tls_fetch_cert(const struct mse_endpoint *ep, int timeout_ms,
                                        uint8_t **der, size_t *len, char *errbuf, size_t errlen)
    MSE_NONNULL(1, 3, 4);

/* Where collateral comes from and how. */
struct mse_pccs_opts {
    const char *url;    /* base, e.g. https://pccs:8081 or .../sgx/certification/v4 */
    const char *cacert; /* CA file for the PCCS TLS certificate, or NULL (system store) */
    bool insecure;      /* do not validate the PCCS TLS certificate */
    long timeout_ms;    /* for the whole parallel fetch */
};

/* The default service when nothing is configured: Intel's public PCS v4. */
#define MSE_INTEL_PCS_URL "https://api.trustedservices.intel.com/sgx/certification/v4"
/* Intel PCS has no /rootcacrl; the root CA CRL is published here. */
#define MSE_INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

/* The four collateral requests. */
enum mse_pccs_item_id {
    MSE_PCCS_TCB_INFO = 0,   /* /tcb?fmspc=  (+ TCB-Info-Issuer-Chain) */
    MSE_PCCS_QE_IDENTITY,    /* /qe/identity (+ SGX-Enclave-Identity-Issuer-Chain) */
    MSE_PCCS_PCK_CRL,        /* /pckcrl?ca=  (+ SGX-PCK-CRL-Issuer-Chain) */
    MSE_PCCS_ROOT_CA_CRL,    /* /rootcacrl */
    MSE_PCCS_ITEM_COUNT
};
MSE_EXTERN const char *mse_pccs_item_name(enum mse_pccs_item_id id);

/* One response: body bytes and the issuer-chain header (still percent-encoded). */
struct mse_pccs_item {
    uint8_t *body; /* malloc'd */
    size_t body_len;
    uint8_t *chain; /* malloc'd, or NULL when the endpoint sends none */
    size_t chain_len;
};

/*
 * Fetch the items whose bit (1u << id) is set in want, all in parallel
 * (curl multi), into items[id]. *requests counts HTTP requests made.
 * Errors (with a one-line reason in errbuf naming the item and URL):
 * MSE_ERR_PCCS_UNREACHABLE, _TIMEOUT, _TLS, _HTTP, _NOT_FOUND, _BODY, MSE_ERR_LIMIT.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_pccs_fetch(const struct mse_pccs_opts *o,
                                    const struct mse_collateral_id *id, unsigned want,
                                    struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                                    unsigned *requests, char *errbuf, size_t errlen)
    MSE_NONNULL(1, 2, 4, 5);
MSE_EXTERN void mse_pccs_items_free(struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT]);
/* Point a collateral view at the items (no copy). */
MSE_EXTERN void mse_pccs_items_view(const struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                         struct mse_collateral *view);

/*
 * The PCCS base URL from Intel's QCNL configuration text (JSON with //
 * comments, as /etc/sgx_default_qcnl.conf ships): "pccs_url" and
 * "use_secure_cert". *url is malloc'd. MSE_ERR_JSON, MSE_ERR_JSON_FIELD.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_qcnl_parse(const char *text, size_t len, char **url, bool *secure)
    MSE_NONNULL(1, 3, 4);

#endif
