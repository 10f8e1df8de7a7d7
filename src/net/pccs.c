/*
 * PCCS / Intel PCS API v4 client (Intel "Provisioning Certification Service
 * for ECDSA Attestation" API v4): the four verification collateral requests
 * in parallel with libcurl multi, each response's body kept as raw bytes (the
 * core sniffs CRL encodings) and its issuer-chain header kept as sent.
 *
 * Collateral is signed by Intel, so transport security only protects
 * availability and privacy; still, PCCS TLS is validated by default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/net.h>

#include "net/http.h"
#include "net/pccs_answer.h"
#include "util/util.h"

static const char *const item_names[MSE_PCCS_ITEM_COUNT] = {"TCB info", "QE identity",
                                                            "PCK CRL", "Root CA CRL"};

const char *mse_pccs_item_name(enum mse_pccs_item_id id)
{
    return (unsigned)id < MSE_PCCS_ITEM_COUNT ? item_names[id] : "?";
}

struct transfer {
    CURL *h;
    char url[1024];
    struct mse_pccs_answer a;
    long waited_s; /* >= 0: the one retry after a 429 was made, after this wait */
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;
    return mse_pccs_answer_body(&t->a, data, len) ? len : 0; /* 0 aborts the transfer */
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;
    return mse_pccs_answer_header(&t->a, data, len) ? len : 0;
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

static mse_err transfer_error(const struct mse_curl *cu, CURLcode rc, const struct transfer *t,
                             char *errbuf, size_t errlen)
{
    const char *what = item_names[t->a.id];
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return mse_say(errbuf, errlen, MSE_ERR_PCCS_TIMEOUT, "PCCS request for %s timed out (%s)",
                       what, t->url);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
        return mse_say(errbuf, errlen, MSE_ERR_PCCS_TLS,
                       "PCCS TLS failed for %s (%s): %s; use --pccs-cacert FILE for a PCCS with "
                       "its own certificate",
                       what, t->url, cu->easy_strerror(rc));
    case CURLE_WRITE_ERROR:
        if (t->a.body_over)
            return mse_say(errbuf, errlen, MSE_ERR_LIMIT,
                           "PCCS answer for %s exceeds %u bytes (%s)", what, MSE_PCCS_BODY_MAX,
                           t->url);
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return mse_say(errbuf, errlen, MSE_ERR_PCCS_BODY,
                       "PCCS answer for %s was cut short (%s): %s", what, t->url,
                       cu->easy_strerror(rc));
    default:
        break;
    }
    return mse_say(errbuf, errlen, MSE_ERR_PCCS_UNREACHABLE, "cannot reach PCCS for %s (%s): %s",
                   what, t->url, cu->easy_strerror(rc));
}

/* Run the added transfers to completion; results[id] gets each one's outcome. */
static mse_err run_all(const struct mse_curl *cu, CURLM *multi,
                       CURLcode results[MSE_PCCS_ITEM_COUNT])
{
    int running = 1;
    while (running) {
        MSE_ENSURE(cu->multi_perform(multi, &running) == CURLM_OK, MSE_ERR_INTERNAL);
        if (running)
            MSE_ENSURE(cu->multi_poll(multi, NULL, 0, 200, NULL) == CURLM_OK, MSE_ERR_INTERNAL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = cu->multi_info_read(multi, &left)) != NULL) {
        struct transfer *tr = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
        results[tr->a.id] = msg->data.result;
    }
    return MSE_OK;
}

/*
 * HTTP 429 (rate limited, as Intel's PCS and busy PCCSs answer) with a
 * Retry-After that fits before the deadline: wait that long once, then ask
 * again for those items only. Returns the retry mask (0: nothing to retry).
 */
static unsigned plan_retry(const struct mse_curl *cu, struct transfer t[MSE_PCCS_ITEM_COUNT],
                           const CURLcode results[MSE_PCCS_ITEM_COUNT], int64_t deadline,
                           long *wait_s)
{
    unsigned mask = 0;
    *wait_s = 0;
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        long status = 0;
        if (!t[i].h || t[i].waited_s >= 0 || results[i] != CURLE_OK)
            continue;
        cu->easy_getinfo(t[i].h, CURLINFO_RESPONSE_CODE, &status);
        long s = mse_pccs_retry_after_seconds(t[i].a.retry_after, mse_time_now());
        /* The wait plus a second for the answer itself must fit in the time left. */
        if (status != 429 || s < 0 || mse_monotonic_ms() + s * 1000 + 1000 > deadline)
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
    const struct mse_curl *cu = NULL;
    MSE_TRY(mse_curl_api(&cu, errbuf, errlen));
    multi = cu->multi_init();
    MSE_ENSURE(multi != NULL, MSE_ERR_NOMEM);
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : 15000;
    int64_t deadline = mse_monotonic_ms() + timeout;

    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (!(want & (1u << i)))
            continue;
        t[i].a.id = (enum mse_pccs_item_id)i;
        t[i].waited_s = -1;
        MSE_CHECK_OUT(make_url(o, id, t[i].a.id, t[i].url, sizeof t[i].url));
        CURL *h = t[i].h = cu->easy_init();
        MSE_ENSURE_OUT(h != NULL, MSE_ERR_NOMEM);
        mse_http_setup(cu, h, t[i].url, "http,https", timeout, on_body, &t[i], o->cacert);
        cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        cu->easy_setopt(h, CURLOPT_HEADERDATA, &t[i]);
        cu->easy_setopt(h, CURLOPT_PRIVATE, &t[i]);
        if (o->insecure) {
            cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        MSE_ENSURE_OUT(cu->multi_add_handle(multi, h) == CURLM_OK, MSE_ERR_INTERNAL);
        (*requests)++;
    }

    /* Report the first failing item in request order, so messages are stable. */
    CURLcode results[MSE_PCCS_ITEM_COUNT];
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
        results[i] = CURLE_OK;
    MSE_CHECK_OUT(run_all(cu, multi, results));
    long wait_s;
    unsigned again = plan_retry(cu, t, results, deadline, &wait_s);
    if (again) {
        sleep_ms(wait_s * 1000);
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
            if (!(again & (1u << i)))
                continue;
            cu->multi_remove_handle(multi, t[i].h);
            mse_pccs_answer_reset(&t[i].a);
            t[i].waited_s = wait_s;
            long left = (long)(deadline - mse_monotonic_ms());
            cu->easy_setopt(t[i].h, CURLOPT_TIMEOUT_MS, left > 1 ? left : 1L);
            MSE_ENSURE_OUT(cu->multi_add_handle(multi, t[i].h) == CURLM_OK, MSE_ERR_INTERNAL);
            (*requests)++;
        }
        MSE_CHECK_OUT(run_all(cu, multi, results));
    }
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (!t[i].h)
            continue;
        if (results[i] != CURLE_OK)
            MSE_GOTO_OUT(transfer_error(cu, results[i], &t[i], errbuf, errlen));
        long status = 0;
        cu->easy_getinfo(t[i].h, CURLINFO_RESPONSE_CODE, &status);
        MSE_CHECK_OUT(mse_pccs_answer_check(&t[i].a, status, t[i].url, t[i].waited_s,
                                            mse_time_now(), errbuf, errlen));
    }
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        items[i].body = t[i].a.body;
        items[i].body_len = t[i].a.body_len;
        items[i].chain = t[i].a.chain;
        items[i].chain_len = t[i].a.chain_len;
        t[i].a.body = NULL;
        t[i].a.chain = NULL;
    }
out:
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        if (t[i].h) {
            cu->multi_remove_handle(multi, t[i].h);
            cu->easy_cleanup(t[i].h);
        }
        mse_pccs_answer_reset(&t[i].a);
    }
    cu->multi_cleanup(multi);
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
