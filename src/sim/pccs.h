/*
 * mse-sim pccs: a PCCS-compatible collateral server for tests.
 *
 * It answers the four PCS/PCCS v4 GET endpoints a DCAP verifier needs
 * (/sgx/certification/v4/tcb, /qe/identity, /pckcrl, /rootcacrl) the way
 * Intel's PCCS 1.23 (SGXDataCenterAttestationPrimitives QuoteGeneration/pccs,
 * controllers/ and services/) answers them, serving files written by
 * `mse-sim pki init`. Fault switches make it misbehave on purpose so client
 * error paths can be tested. See docs/cmd/mse-sim-pccs.md.
 */
#ifndef MSE_SIM_PCCS_H
#define MSE_SIM_PCCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/* ---- pure helpers (pccs_codec.c) ------------------------------------------ */

/*
 * Percent-encode `len` bytes exactly as JavaScript's encodeURIComponent does
 * for UTF-8 text (PCCS passes PCS issuer chains through in that form): bytes
 * A-Z a-z 0-9 - _ . ! ~ * ' ( ) stay, every other byte becomes %XX with
 * uppercase hex. Returns a malloc'd NUL-terminated string, or NULL when out
 * of memory. (encodeURIComponent throws on lone UTF-16 surrogates; bytes have
 * no such case, so invalid UTF-8 is simply encoded byte by byte.)
 */
char *mse_sim_pccs_percent_encode(const uint8_t *in, size_t len);

/*
 * Inverse of the above (decodeURIComponent on ASCII): %XX in either case
 * becomes the byte, other bytes are copied; '+' is NOT a space. Writes a
 * malloc'd buffer (NUL-terminated, not counted in *out_len).
 * MSE_ERR_HEX on a '%' not followed by two hex digits; MSE_ERR_NOMEM.
 */
MSE_MUST_USE mse_err mse_sim_pccs_percent_decode(const char *in, size_t len, uint8_t **out,
                                                 size_t *out_len) MSE_NONNULL(3, 4);

/* Lowercase hex of `len` bytes (Node's Buffer.toString('hex')); malloc'd, NULL if out of memory. */
char *mse_sim_pccs_hex(const uint8_t *in, size_t len);

/*
 * Request parameter checks, case-insensitive like PCCS's toUpperCase():
 *   fmspc     must be 12 characters (PCCS answers 400 otherwise); *is_hex
 *             says whether all are hex digits (a 12-character non-hex FMSPC
 *             is a 404 in PCCS: no platform has it). On success with *is_hex,
 *             `lower` (13 bytes) receives the lowercase form used as file name.
 *   ca        "platform" or "processor"; *processor set accordingly.
 *   update    absent (NULL), "standard" or "early".
 *   encoding  *der is true only for "der"; anything else means hex, as in
 *             PCCS's pckcrlService (even "pem").
 *   request-id  a client's Request-ID header is echoed (as PCCS does) only if
 *             it is 1..64 characters of [0-9A-Za-z_-]; otherwise a fresh one
 *             is generated.
 * The checks return MSE_ERR_ARG on a value PCCS answers with 400.
 */
MSE_MUST_USE mse_err mse_sim_pccs_check_fmspc(const char *fmspc, bool *is_hex, char lower[13]);
MSE_MUST_USE mse_err mse_sim_pccs_check_ca(const char *ca, bool *processor) MSE_NONNULL(2);
MSE_MUST_USE mse_err mse_sim_pccs_check_update(const char *update);
bool mse_sim_pccs_encoding_is_der(const char *encoding);
bool mse_sim_pccs_request_id_ok(const char *id);

/* ---- the server (pccs_server.c) -------------------------------------------- */

/* Endpoints a fault may be limited to. */
#define MSE_SIM_PCCS_ONLY_TCB 1u
#define MSE_SIM_PCCS_ONLY_QE_IDENTITY 2u
#define MSE_SIM_PCCS_ONLY_PCKCRL 4u
#define MSE_SIM_PCCS_ONLY_ROOTCACRL 8u
#define MSE_SIM_PCCS_ONLY_ALL 15u

/* Deliberate misbehaviour, applied to every PCCS endpoint (not to /mse-sim/stats). */
struct mse_sim_pccs_faults {
    uint32_t delay_ms;   /* wait this long before answering (then apply the rest) */
    bool fail_500;       /* answer 500 "Internal server error occurred." */
    bool truncate_body;  /* 200 answers: full Content-Length, half the body, then close */
    bool wrong_chain;    /* issuer-chain header of another endpoint (well formed, wrong signer) */
    bool reset;          /* close the connection without answering */
    /* 200 answers of these endpoints carry a captive portal's HTML page (headers kept):
     * MSE_SIM_PCCS_ONLY_* bits, 0 = none */
    unsigned not_collateral;
    uint32_t too_many;   /* answer the first N counted requests 429 Too Many Requests ... */
    int32_t retry_after; /* ... with "Retry-After: <seconds>"; < 0: without the header */
};

struct mse_sim_pccs_config {
    const char *dir;          /* the pki directory or its pccs/ subdirectory (required) */
    const char *host;         /* IP literal or "localhost"; NULL = 127.0.0.1 */
    uint16_t port;            /* 0 = ephemeral (see mse_sim_pccs_port) */
    bool allow_remote;        /* permit a non-loopback host */
    const char *tls_cert;     /* PEM certificate chain: serve HTTPS (with tls_key) */
    const char *tls_key;      /* PEM private key */
    uint64_t max_requests;    /* stop after answering this many counted requests; 0 = no limit */
    uint32_t max_seconds;     /* stop after this long; 0 = no limit */
    bool quiet;               /* no per-request log line on stderr */
    struct mse_sim_pccs_faults faults;
};

struct mse_sim_pccs;

/*
 * Bind and prepare a server (nothing is served until mse_sim_pccs_run).
 * Errors: MSE_ERR_ARG (bad config, non-loopback host without allow_remote),
 * MSE_ERR_FILE_NOT_FOUND (dir), MSE_ERR_NET_TLS (cert/key), MSE_ERR_SERVER
 * (cannot bind), MSE_ERR_NOMEM. Ignores SIGPIPE process-wide (the reset fault
 * writes to a shut-down socket). On success the caller frees *out.
 */
MSE_MUST_USE mse_err mse_sim_pccs_start(const struct mse_sim_pccs_config *cfg,
                                        struct mse_sim_pccs **out) MSE_NONNULL(1, 2);
/* The bound TCP port (the real one when the config said 0). */
uint16_t mse_sim_pccs_port(const struct mse_sim_pccs *s) MSE_NONNULL(1);
/*
 * Serve until mse_sim_pccs_stop, max_requests or max_seconds. Call from one
 * thread; may be called once. With handle_signals, SIGINT and SIGTERM stop it too, and are
 * unblocked once handled: a caller may block them until then (mse-sim pccs serve does, from
 * the moment it publishes its port).
 */
MSE_MUST_USE mse_err mse_sim_pccs_run(struct mse_sim_pccs *s, bool handle_signals) MSE_NONNULL(1);
/* Ask a running server to stop; safe from any thread and from signal handlers. */
void mse_sim_pccs_stop(struct mse_sim_pccs *s) MSE_NONNULL(1);
/* Counted requests so far: every PCCS request received, whatever its answer;
 * /mse-sim/stats itself is not counted. Safe from any thread. */
uint64_t mse_sim_pccs_requests(const struct mse_sim_pccs *s) MSE_NONNULL(1);
/* Replace the fault switches (from any thread); applies to requests arriving afterwards. */
void mse_sim_pccs_set_faults(struct mse_sim_pccs *s, const struct mse_sim_pccs_faults *f)
    MSE_NONNULL(1, 2);
/* Close the listener and every connection; NULL is fine. Not while run() is executing. */
void mse_sim_pccs_free(struct mse_sim_pccs *s);

#endif
