/*
 * What every HTTP(S) request of mse sets on its curl handle, written once
 * (the PCCS fetch, the RA-TLS certificate fetch of `mse verify`, `mse demo`'s
 * call to the app).
 */
#ifndef MSE_NET_HTTP_H
#define MSE_NET_HTTP_H

#include "net/curl_api.h"

/*
 * Only `protocols` ("https", or "http,https" for a PCCS the user named);
 * no redirects: a Location header must not move a request to a host the user
 * did not name; no signals (curl may run in a worker thread); timeout_ms
 * bounds the whole transfer and the connection; the body goes to
 * on_body(..., body); cacert, when not NULL, replaces the default CA file.
 * The caller adds what is its own (headers, pinning) and performs.
 */
void mse_http_setup(const struct mse_curl *cu, CURL *h, const char *url, const char *protocols,
                    long timeout_ms, curl_write_callback on_body, void *body,
                    const char *cacert);

#endif
