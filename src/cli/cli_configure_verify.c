/*
 * mse configure's verification of the configuration server's certificate.
 *
 * The certificate must be for the domain (SAN, RFC 6125 matching by
 * OpenSSL), then pass the whole RA-TLS verification of `mse verify`
 * (Intel DCAP against the collateral, key binding, policy and the code
 * fingerprint). Until the verifier and the collateral client are linked into
 * this build, the second step refuses: configure fails closed and sends
 * nothing rather than trusting an unverified enclave.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include <mse/guard.h>

#include "cli_configure.h"

MSE_MUST_USE static mse_err check_name(const uint8_t *der, size_t der_len, const char *domain)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    MSE_ENSURE(x != NULL, MSE_ERR_CERT_PARSE);
    unsigned char addr[16];
    int ok;
    if (inet_pton(AF_INET, domain, addr) == 1 || inet_pton(AF_INET6, domain, addr) == 1)
        ok = X509_check_ip_asc(x, domain, 0);
    else
        ok = X509_check_host(x, domain, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
    X509_free(x);
    MSE_ENSURE(ok == 1, MSE_ERR_ARG);
    return MSE_OK;
}

mse_err mse_cli_configure_verify(const uint8_t *der, size_t der_len, const struct configure_verify_opts *o,
                         char *why, size_t why_cap)
{
    if (check_name(der, der_len, o->domain) != MSE_OK) {
        snprintf(why, why_cap, "the certificate is not for %s", o->domain);
        return MSE_ERR_BINDING_MISMATCH;
    }
    snprintf(why, why_cap, "the RA-TLS verifier (mse verify) is not linked into this build");
    return MSE_ERR_UNSUPPORTED;
}
