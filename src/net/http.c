/* The options every curl handle of mse gets (http.h). */
#include "net/http.h"

void mse_http_setup(const struct mse_curl *cu, CURL *h, const char *url, const char *protocols,
                    long timeout_ms, curl_write_callback on_body, void *body,
                    const char *cacert)
{
    cu->easy_setopt(h, CURLOPT_URL, url);
    cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    cu->easy_setopt(h, CURLOPT_WRITEDATA, body);
    cu->easy_setopt(h, CURLOPT_USERAGENT, "mse");
    if (cacert != NULL)
        cu->easy_setopt(h, CURLOPT_CAINFO, cacert);
}
