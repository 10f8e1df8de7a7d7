/*
 * One PCCS answer as it arrives (header lines and body chunks, each bounded)
 * and the judgement of the complete answer: status, issuer-chain header,
 * whether the body is the kind of collateral asked for, Retry-After. Pure:
 * no sockets, no clock (the caller passes the time), so the fuzzer and unit
 * tests drive it with arbitrary bytes. mse_pccs_fetch (pccs.c) feeds it from
 * libcurl.
 */
#ifndef MSE_PCCS_ANSWER_H
#define MSE_PCCS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/net.h>

#define MSE_PCCS_BODY_MAX (4u << 20)   /* real TCB info is ~10 KiB, CRLs a few KiB */
#define MSE_PCCS_CHAIN_MAX (64u << 10) /* an issuer-chain header: two PEM certificates */
#define MSE_PCCS_RETRY_AFTER_MAX 64    /* "120" or "Wed, 21 Oct 2026 07:28:00 GMT" */

struct mse_pccs_answer {
    enum mse_pccs_item_id id;
    uint8_t *body; /* malloc'd, NUL-terminated (not counted) */
    size_t body_len;
    size_t body_cap; /* bytes allocated at body (valid while body is not NULL) */
    uint8_t *chain; /* the issuer-chain header's value as sent (percent-encoded), or NULL */
    size_t chain_len;
    bool body_over;  /* the body passed MSE_PCCS_BODY_MAX: the transfer was aborted */
    bool chain_bad;  /* the chain header came twice or passed MSE_PCCS_CHAIN_MAX */
    char retry_after[MSE_PCCS_RETRY_AFTER_MAX + 1]; /* Retry-After as sent, "" if none */
};

/* The issuer-chain header name of an item ("TCB-Info-Issuer-Chain"), or NULL. */
const char *mse_pccs_chain_header(enum mse_pccs_item_id id);
/* Take one header line ("Name: value\r\n"). false only when out of memory. */
bool mse_pccs_answer_header(struct mse_pccs_answer *a, const char *line, size_t len);
/* Append body bytes. false when out of memory or past MSE_PCCS_BODY_MAX (body_over set). */
bool mse_pccs_answer_body(struct mse_pccs_answer *a, const char *data, size_t len);
/* Free and forget everything but the item id (before a retry, or at the end). */
void mse_pccs_answer_reset(struct mse_pccs_answer *a);
/*
 * Seconds a Retry-After value asks to wait at `now` (UTC seconds; RFC 9110
 * 10.2.3: delay-seconds or an HTTP-date), capped at 1,000,000, or -1 when
 * there is none or it is unreadable.
 */
long mse_pccs_retry_after_seconds(const char *value, int64_t now);
/*
 * Judge a complete answer with HTTP status `status` from `url`: MSE_OK for a
 * 200 whose body is the collateral asked for with its issuer chain;
 * otherwise MSE_ERR_PCCS_NOT_FOUND (404), _HTTP, _BODY, with a one-line
 * reason in why naming the item and the URL. `waited_s` >= 0 says the answer
 * came after one retry that waited that long; `now` is for an HTTP-date
 * Retry-After.
 */
MSE_MUST_USE mse_err mse_pccs_answer_check(const struct mse_pccs_answer *a, long status,
                                           const char *url, long waited_s, int64_t now,
                                           char *why, size_t why_len);

#endif
