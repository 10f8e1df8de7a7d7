/*
 * The libcurl functions mse calls, taken from libcurl.so.4 the first time one
 * is needed instead of being linked. Loading libcurl and what Debian's build
 * of it pulls in (GnuTLS, Kerberos, LDAP, SSH, RTMP: 30 libraries) costs about
 * 4 ms at every process start, more than most runs of mse spend on their own
 * work, and most runs never speak HTTP (verification from the collateral
 * cache, evidence files, fingerprints, contexts).
 */
#ifndef MSE_NET_CURL_API_H
#define MSE_NET_CURL_API_H

#include <stddef.h>

#include <curl/curl.h>

#include <mse/err.h>

/* The soname of the OpenSSL flavour of libcurl (Debian package libcurl4). */
#define MSE_CURL_SONAME "libcurl.so.4"

/* Each member has the type of the function curl.h declares under its name. */
struct mse_curl {
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_multi_init) *multi_init;
    __typeof__(curl_multi_add_handle) *multi_add_handle;
    __typeof__(curl_multi_remove_handle) *multi_remove_handle;
    __typeof__(curl_multi_perform) *multi_perform;
    __typeof__(curl_multi_poll) *multi_poll;
    __typeof__(curl_multi_info_read) *multi_info_read;
    __typeof__(curl_multi_cleanup) *multi_cleanup;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
    __typeof__(curl_getdate) *getdate;
};

/*
 * *api: the functions, libcurl loaded and curl_global_init() run once per
 * process (thread-safe; the library stays loaded until exit). When libcurl
 * cannot be loaded: MSE_ERR_INTERNAL, *api NULL and why says what the dynamic
 * loader said, every time it is asked.
 */
MSE_MUST_USE mse_err mse_curl_api(const struct mse_curl **api, char *why, size_t why_cap);

#endif
