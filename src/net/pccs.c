/*
 * PCCS / Intel PCS API v4 client (Intel "Provisioning Certification Service
 * for ECDSA Attestation" API v4): the four verification collateral requests
 * in parallel with libcurl multi, each response's body kept as raw bytes (the
 * core sniffs CRL encodings) and its issuer-chain header kept as sent.
 *
 * Collateral is signed by Intel, so transport security only protects
 * availability and privacy; still, PCCS TLS is validated by default.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/net.h>

#define BODY_MAX (4u << 20)  /* real TCB info is ~10 KiB, CRLs a few KiB */
#define HEADER_MAX (64u << 10)
#define RETRY_AFTER_TEXT_MAX 64 /* "120" or "Wed, 21 Oct 2026 07:28:00 GMT" */

static const char *const item_names[MSE_PCCS_ITEM_COUNT] = {"TCB info", "QE identity",
                                                            "PCK CRL", "Root CA CRL"};
static const char *const chain_headers[MSE_PCCS_ITEM_COUNT] = {
    "TCB-Info-Issuer-Chain", "SGX-Enclave-Identity-Issuer-Chain", "SGX-PCK-CRL-Issuer-Chain",
    NULL};

/* What each answer must be, and the words for an answer that is not it. */
static const enum mse_collateral_kind item_kinds[MSE_PCCS_ITEM_COUNT] = {
    MSE_COLLATERAL_TCB_INFO, MSE_COLLATERAL_QE_IDENTITY, MSE_COLLATERAL_PCK_CRL,
    MSE_COLLATERAL_ROOT_CA_CRL};
static const char *const item_expected[MSE_PCCS_ITEM_COUNT] = {
    "TCB info JSON", "QE identity JSON", "a CRL", "a CRL"};

const char *mse_pccs_item_name(enum mse_pccs_item_id id)
{
    return (unsigned)id < MSE_PCCS_ITEM_COUNT ? item_names[id] : "?";
}

struct transfer {
    CURL *h;
    enum mse_pccs_item_id id;
    char url[1024];
    uint8_t *body;
    size_t body_len;
    uint8_t *chain;
    size_t chain_len;
    bool overflow;
    char retry_after[RETRY_AFTER_TEXT_MAX + 1]; /* Retry-After header as sent, "" if none */
    bool retried;                               /* the one retry after a 429 was made */
    long waited_s;                              /* how long that retry waited */
};

__attribute__((format(printf, 3, 4))) static void set_err(char *buf, size_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    if (!buf || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;
    if (len > BODY_MAX - t->body_len) {
        t->overflow = true;
        return 0; /* abort the transfer */
    }
    uint8_t *nb = realloc(t->body, t->body_len + len + 1);
    if (!nb)
        return 0;
    memcpy(nb + t->body_len, data, len);
    t->body = nb;
    t->body_len += len;
    t->body[t->body_len] = 0;
    return len;
}

/* Header "Name: value" -> value without surrounding blanks, or NULL if another name. */
static const char *header_value(const char *data, size_t len, const char *name, size_t *vl)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(data, name, nl) != 0 || data[nl] != ':')
        return NULL;
    const char *v = data + nl + 1;
    *vl = len - nl - 1;
    while (*vl && (*v == ' ' || *v == '\t'))
        v++, (*vl)--;
    while (*vl && (v[*vl - 1] == '\r' || v[*vl - 1] == '\n' || v[*vl - 1] == ' '))
        (*vl)--;
    return v;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;
    size_t rl;
    const char *ra = header_value(data, len, "Retry-After", &rl);
    if (ra) {
        /* An over-long value is no delay we can read: kept empty, so no retry. */
        if (rl <= RETRY_AFTER_TEXT_MAX) {
            memcpy(t->retry_after, ra, rl);
            t->retry_after[rl] = 0;
        }
        return len;
    }
    size_t vl;
    const char *v = chain_headers[t->id] ? header_value(data, len, chain_headers[t->id], &vl)
                                         : NULL;
    if (!v)
        return len;
    if (vl > HEADER_MAX || t->chain) {
        t->overflow = true; /* a repeated chain header is ambiguous: refuse */
        return len;
    }
    t->chain = malloc(vl + 1);
    if (!t->chain)
        return 0;
    memcpy(t->chain, v, vl);
    t->chain[vl] = 0;
    t->chain_len = vl;
    return len;
}

/* base without trailing '/', with the API path added when the user gave only a host. */
static mse_err base_url(const char *url, char *out, size_t cap)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    MSE_ENSURE(n > 0, MSE_ERR_ARG);
    MSE_ENSURE(strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0, MSE_ERR_ARG);
    const char *suffix = strstr(url, "/sgx/certification/") ? "" : "/sgx/certification/v4";
    int w = snprintf(out, cap, "%.*s%s", (int)n, url, suffix);
    MSE_ENSURE(w > 0 && (size_t)w < cap, MSE_ERR_ARG);
    return MSE_OK;
}

static mse_err make_url(const struct mse_pccs_opts *o, const struct mse_collateral_id *id,
                        enum mse_pccs_item_id item, char *out, size_t cap)
{
    char base[768], fmspc[13];
    MSE_TRY(base_url(o->url, base, sizeof base));
    mse_hex_encode(id->fmspc, 6, fmspc);
    int w = -1;
    switch (item) {
    case MSE_PCCS_TCB_INFO:
        w = snprintf(out, cap, "%s/tcb?fmspc=%s", base, fmspc);
        break;
    case MSE_PCCS_QE_IDENTITY:
        w = snprintf(out, cap, "%s/qe/identity", base);
        break;
    case MSE_PCCS_PCK_CRL:
        w = snprintf(out, cap, "%s/pckcrl?ca=%s", base,
                     id->processor_ca ? "processor" : "platform");
        break;
    case MSE_PCCS_ROOT_CA_CRL:
        if (strstr(base, "api.trustedservices.intel.com"))
            w = snprintf(out, cap, "%s", MSE_INTEL_ROOT_CRL_URL);
        else
            w = snprintf(out, cap, "%s/rootcacrl", base);
        break;
    default:
        break;
    }
    MSE_ENSURE(w > 0 && (size_t)w < cap, MSE_ERR_ARG);
    return MSE_OK;
}

static mse_err curl_error(CURLcode rc, const struct transfer *t, char *errbuf, size_t errlen)
{
    const char *what = item_names[t->id];
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        set_err(errbuf, errlen, "PCCS request for %s timed out (%s)", what, t->url);
        return MSE_ERR_PCCS_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
        set_err(errbuf, errlen,
                "PCCS TLS failed for %s (%s): %s; use --pccs-cacert FILE for a PCCS with its "
                "own certificate",
                what, t->url, curl_easy_strerror(rc));
        return MSE_ERR_PCCS_TLS;
    case CURLE_WRITE_ERROR:
        if (t->overflow) {
            set_err(errbuf, errlen, "PCCS answer for %s exceeds %u bytes (%s)", what, BODY_MAX,
                    t->url);
            return MSE_ERR_LIMIT;
        }
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        set_err(errbuf, errlen, "PCCS answer for %s was cut short (%s): %s", what, t->url,
                curl_easy_strerror(rc));
        return MSE_ERR_PCCS_BODY;
    default:
        break;
    }
    set_err(errbuf, errlen, "cannot reach PCCS for %s (%s): %s", what, t->url,
            curl_easy_strerror(rc));
    return MSE_ERR_PCCS_UNREACHABLE;
}

/* A short printable excerpt of a plain-text error body. */
static void excerpt(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap && i < 200; i++)
        out[j++] = isprint(b[i]) ? (char)b[i] : ' ';
    out[j] = 0;
}

/*
 * Seconds a Retry-After value asks to wait (RFC 9110 10.2.3: delay-seconds or
 * an HTTP-date), or -1 when there is none or it is unreadable.
 */
static long retry_after_seconds(const char *v)
{
    if (!v[0])
        return -1;
    if (strspn(v, "0123456789") == strlen(v)) {
        if (strlen(v) > 6)
            return 1000000; /* beyond any timeout: no retry */
        return strtol(v, NULL, 10);
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    time_t now = time(NULL);
    return when <= now ? 0 : (long)(when - now > 1000000 ? 1000000 : when - now);
}

static mse_err check_status(const struct transfer *t, long status, char *errbuf, size_t errlen)
{
    char text[256];
    if (status == 200) {
        if (t->body_len == 0) {
            set_err(errbuf, errlen, "PCCS sent an empty %s (%s)", item_names[t->id], t->url);
            return MSE_ERR_PCCS_BODY;
        }
        if (chain_headers[t->id] && !t->chain) {
            set_err(errbuf, errlen, "PCCS answer for %s lacks the %s header (%s)",
                    item_names[t->id], chain_headers[t->id], t->url);
            return MSE_ERR_PCCS_BODY;
        }
        if (t->overflow) {
            set_err(errbuf, errlen, "PCCS answer for %s has a repeated or oversized %s header",
                    item_names[t->id], chain_headers[t->id]);
            return MSE_ERR_PCCS_BODY;
        }
        return MSE_OK;
    }
    excerpt(t->body, t->body_len, text, sizeof text);
    char retry[128] = "";
    if (status == 429 && t->retried)
        snprintf(retry, sizeof retry, " (again after waiting %ld s as Retry-After asked)",
                 t->waited_s);
    else if (status == 429 && retry_after_seconds(t->retry_after) >= 0)
        snprintf(retry, sizeof retry, " (Retry-After %s does not fit in the timeout)",
                 t->retry_after);
    set_err(errbuf, errlen, "PCCS answered HTTP %ld for %s (%s)%s%s%s", status, item_names[t->id],
            t->url, retry, text[0] ? ": " : "", text);
    return status == 404 ? MSE_ERR_PCCS_NOT_FOUND : MSE_ERR_PCCS_HTTP;
}

/*
 * An answer that is not the collateral asked for (a proxy's or captive
 * portal's page, another endpoint's item, an error text sent with 200) is a
 * PCCS failure, said as such, not a malformed-collateral verdict. The test is
 * whether the item yields the validity window it must claim; the verifier
 * still checks everything else.
 */
static mse_err check_kind(const struct transfer *t, char *errbuf, size_t errlen)
{
    int64_t nb, na;
    mse_err e = mse_collateral_window(item_kinds[t->id], t->body, t->body_len, &nb, &na);
    if (e == MSE_OK)
        return MSE_OK;
    char text[256];
    excerpt(t->body, t->body_len, text, sizeof text);
    set_err(errbuf, errlen, "PCCS answer for %s is not %s: %s (%s): %s", item_names[t->id],
            item_expected[t->id], mse_err_str(e), t->url, text);
    return MSE_ERR_PCCS_BODY;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the added transfers to completion; results[id] gets each one's outcome. */
static mse_err run_all(CURLM *multi, CURLcode results[MSE_PCCS_ITEM_COUNT])
{
    int running = 1;
    while (running) {
        MSE_ENSURE(curl_multi_perform(multi, &running) == CURLM_OK, MSE_ERR_INTERNAL);
        if (running)
            MSE_ENSURE(curl_multi_poll(multi, NULL, 0, 200, NULL) == CURLM_OK, MSE_ERR_INTERNAL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        struct transfer *tr = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
        results[tr->id] = msg->data.result;
    }
    return MSE_OK;
}

/*
 * HTTP 429 (rate limited, as Intel's PCS and busy PCCSs answer) with a
 * Retry-After that fits before the deadline: wait that long once, then ask
 * again for those items only. Returns the retry mask (0: nothing to retry).
 */
static unsigned plan_retry(struct transfer t[MSE_PCCS_ITEM_COUNT],
                           const CURLcode results[MSE_PCCS_ITEM_COUNT], int64_t deadline,
                           long *wait_s)
{
    unsigned mask = 0;
    *wait_s = 0;
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        long status = 0;
        if (!t[i].h || t[i].retried || results[i] != CURLE_OK)
            continue;
        curl_easy_getinfo(t[i].h, CURLINFO_RESPONSE_CODE, &status);
        long s = retry_after_seconds(t[i].retry_after);
        /* The wait plus a second for the answer itself must fit in the time left. */
        if (status != 429 || s < 0 || now_ms() + s * 1000 + 1000 > deadline)
            continue;
        mask |= 1u << i;
        if (s > *wait_s)
            *wait_s = s;
    }
    return mask;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

mse_err mse_pccs_fetch(const struct mse_pccs_opts *o, const struct mse_collateral_id *id,
                       unsigned want, struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                       unsigned *requests, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    struct transfer t[MSE_PCCS_ITEM_COUNT];
    CURLM *multi = NULL;
    memset(t, 0, sizeof t);
    memset(items, 0, sizeof(struct mse_pccs_item) * MSE_PCCS_ITEM_COUNT);
    *requests = 0;
    if (want == 0)
        return MSE_OK;
    MSE_ENSURE(o->url != NULL, MSE_ERR_ARG);
    multi = curl_multi_init();
    MSE_ENSURE(multi != NULL, MSE_ERR_NOMEM);
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : 15000;
    int64_t deadline = now_ms() + timeout;

    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (!(want & (1u << i)))
            continue;
        t[i].id = (enum mse_pccs_item_id)i;
        MSE_CHECK_OUT(make_url(o, id, t[i].id, t[i].url, sizeof t[i].url));
        CURL *h = t[i].h = curl_easy_init();
        MSE_ENSURE_OUT(h != NULL, MSE_ERR_NOMEM);
        curl_easy_setopt(h, CURLOPT_URL, t[i].url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t[i]);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t[i]);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "mse");
        curl_easy_setopt(h, CURLOPT_PRIVATE, &t[i]);
        if (o->cacert)
            curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
        if (o->insecure) {
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        MSE_ENSURE_OUT(curl_multi_add_handle(multi, h) == CURLM_OK, MSE_ERR_INTERNAL);
        (*requests)++;
    }

    /* Report the first failing item in request order, so messages are stable. */
    CURLcode results[MSE_PCCS_ITEM_COUNT];
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
        results[i] = CURLE_OK;
    MSE_CHECK_OUT(run_all(multi, results));
    long wait_s;
    unsigned again = plan_retry(t, results, deadline, &wait_s);
    if (again) {
        sleep_ms(wait_s * 1000);
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
            if (!(again & (1u << i)))
                continue;
            curl_multi_remove_handle(multi, t[i].h);
            free(t[i].body);
            free(t[i].chain);
            t[i].body = t[i].chain = NULL;
            t[i].body_len = t[i].chain_len = 0;
            t[i].overflow = false;
            t[i].retry_after[0] = 0;
            t[i].retried = true;
            t[i].waited_s = wait_s;
            long left = (long)(deadline - now_ms());
            curl_easy_setopt(t[i].h, CURLOPT_TIMEOUT_MS, left > 1 ? left : 1L);
            MSE_ENSURE_OUT(curl_multi_add_handle(multi, t[i].h) == CURLM_OK, MSE_ERR_INTERNAL);
            (*requests)++;
        }
        MSE_CHECK_OUT(run_all(multi, results));
    }
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (!t[i].h)
            continue;
        if (results[i] != CURLE_OK)
            MSE_GOTO_OUT(curl_error(results[i], &t[i], errbuf, errlen));
        long status = 0;
        curl_easy_getinfo(t[i].h, CURLINFO_RESPONSE_CODE, &status);
        MSE_CHECK_OUT(check_status(&t[i], status, errbuf, errlen));
        MSE_CHECK_OUT(check_kind(&t[i], errbuf, errlen));
    }
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        items[i].body = t[i].body;
        items[i].body_len = t[i].body_len;
        items[i].chain = t[i].chain;
        items[i].chain_len = t[i].chain_len;
        t[i].body = NULL;
        t[i].chain = NULL;
    }
out:
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (t[i].h) {
            curl_multi_remove_handle(multi, t[i].h);
            curl_easy_cleanup(t[i].h);
        }
        free(t[i].body);
        free(t[i].chain);
    }
    curl_multi_cleanup(multi);
    return err;
}

void mse_pccs_items_free(struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT])
{
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        free(items[i].body);
        free(items[i].chain);
        memset(&items[i], 0, sizeof items[i]);
    }
}

void mse_pccs_items_view(const struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                         struct mse_collateral *v)
{
    memset(v, 0, sizeof *v);
    v->tcb_info = (struct mse_blob){items[MSE_PCCS_TCB_INFO].body, items[MSE_PCCS_TCB_INFO].body_len};
    v->tcb_info_chain =
        (struct mse_blob){items[MSE_PCCS_TCB_INFO].chain, items[MSE_PCCS_TCB_INFO].chain_len};
    v->qe_identity =
        (struct mse_blob){items[MSE_PCCS_QE_IDENTITY].body, items[MSE_PCCS_QE_IDENTITY].body_len};
    v->qe_identity_chain = (struct mse_blob){items[MSE_PCCS_QE_IDENTITY].chain,
                                             items[MSE_PCCS_QE_IDENTITY].chain_len};
    v->pck_crl = (struct mse_blob){items[MSE_PCCS_PCK_CRL].body, items[MSE_PCCS_PCK_CRL].body_len};
    v->pck_crl_chain =
        (struct mse_blob){items[MSE_PCCS_PCK_CRL].chain, items[MSE_PCCS_PCK_CRL].chain_len};
    v->root_ca_crl =
        (struct mse_blob){items[MSE_PCCS_ROOT_CA_CRL].body, items[MSE_PCCS_ROOT_CA_CRL].body_len};
}

/* Drop // comments outside strings: Intel ships the QCNL file as JSON with comments. */
static char *strip_comments(const char *in, size_t len)
{
    char *out = malloc(len + 1);
    size_t j = 0;
    bool str = false, esc = false;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (str) {
            out[j++] = c;
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                str = false;
            continue;
        }
        if (c == '/' && i + 1 < len && in[i + 1] == '/') {
            while (i < len && in[i] != '\n')
                i++;
            out[j++] = '\n';
            continue;
        }
        if (c == '"')
            str = true;
        out[j++] = c;
    }
    out[j] = 0;
    return out;
}

mse_err mse_qcnl_parse(const char *text, size_t len, char **url, bool *secure)
{
    mse_err err = MSE_OK;
    json_error_t je;
    char *clean = strip_comments(text, len);
    MSE_ENSURE(clean != NULL, MSE_ERR_NOMEM);
    json_t *root = json_loads(clean, JSON_REJECT_DUPLICATES, &je);
    free(clean);
    MSE_ENSURE(root != NULL, MSE_ERR_JSON);
    /* Collateral comes from collateral_service when set, else from pccs_url (QCNL's rule). */
    json_t *u = json_object_get(root, "collateral_service");
    if (!json_is_string(u))
        u = json_object_get(root, "pccs_url");
    MSE_ENSURE_OUT(json_is_string(u), MSE_ERR_JSON_FIELD);
    json_t *s = json_object_get(root, "use_secure_cert");
    MSE_ENSURE_OUT(s == NULL || json_is_boolean(s), MSE_ERR_JSON_FIELD);
    *secure = s == NULL || json_is_true(s);
    *url = strdup(json_string_value(u));
    MSE_ENSURE_OUT(*url != NULL, MSE_ERR_NOMEM);
out:
    json_decref(root);
    return err;
}
