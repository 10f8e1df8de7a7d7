/* The options every curl handle of mse gets (http.h). */
#include "net/http.h"

void mse_http_setup(CURL *h, const char *url, const char *protocols, long timeout_ms,
                    curl_write_callback on_body, void *body, const char *cacert)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mse");
    if (cacert != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
}
