/*
 * The first-record gate of a TLS connection (RFC 8446 5.1 record layer,
 * 4 handshake header).
 *
 * OpenSSL starts a handshake as soon as a byte arrives: it takes its record
 * buffer (about 17 KiB) and its handshake message buffer (21 KiB allocated,
 * 16 KiB of it zero-filled), and keeps both for as long as the client takes
 * to complete its first record. A client sending a record header and nothing
 * more held about 48 KiB of the server's heap per connection; with the
 * connection cap that is 48 MiB any client can pin until the deadline.
 *
 * So the connection's bufferevent does not read until the client's whole
 * first record waits in the kernel's receive queue. The gate wakes on the
 * first byte: clients send their ClientHello in one segment, so that wake-up
 * finds it whole and the gate costs no more system calls than a read would.
 * A first record that is still short sets SO_RCVLOWAT, which makes epoll
 * report the socket only once that many bytes are queued: the 5-byte record
 * header, then the record it announces. The wait costs the kernel's
 * socket buffer and no heap here (the gate's event lives in the connection
 * record, made at start); the first-request deadline still applies, and the
 * client's idle timeout runs from accept until the first record is in.
 *
 * The first record must be a handshake record of at most 2^14 bytes (5.1:
 * larger is a record_overflow) that starts a ClientHello of at most 2^14
 * bytes. Common clients (OpenSSL, BoringSSL, NSS, rustls, Go) send the whole
 * ClientHello in that record. Some split it over several handshake records
 * on purpose (5.1 lets a message be fragmented), such as tools that hide the
 * server name from a censor's middlebox: then every record of it must be
 * queued too, all within one peek (GATE_BYTES_MAX) and at most
 * GATE_RECORDS_MAX of them, before OpenSSL reads any. Reading the first
 * fragment, OpenSSL zero-fills a buffer of the size the ClientHello
 * announces (up to 128 KiB) and would hold it while the rest trickles in;
 * here the rest is in already and the size is at most 2^14. Another
 * handshake message, a record of another type between the fragments, or
 * anything larger is refused. Anything that is not a handshake record is
 * handed to OpenSSL at once, which refuses it without waiting (a plain HTTP
 * request on the TLS port, for instance).
 *
 * Most clients send their ClientHello right after the TCP handshake, so it is
 * often queued already when the connection is adopted: it is judged there,
 * by the same check, and a first record that passes costs no gate at all (no
 * low-water mark set and reset, no event added and deleted, no bufferevent
 * disabled and enabled, no wake-up). Anything else is gated as described.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>

#include <mse/guard.h>
#include <mse/rd.h>

#include "srv_int.h"

#define TLS_RECORD_HEADER 5
#define TLS_HANDSHAKE_HEADER 4
#define TLS_CONTENT_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_PLAINTEXT_MAX 16384 /* 2^14, RFC 8446 5.1 */
/* All the records of a ClientHello fit in what one record may take, and they are few:
 * clients that fragment it use a handful, and each record can cost a wake-up here. */
#define GATE_BYTES_MAX (TLS_RECORD_HEADER + TLS_PLAINTEXT_MAX)
#define GATE_RECORDS_MAX 32

enum srv_gate_verdict srv_gate_check(const uint8_t *bytes, size_t queued, size_t *need)
{
    struct mse_rd rd;
    size_t seen = 0;  /* ClientHello bytes (its header included) in the records read */
    size_t hello = 0; /* the ClientHello's size, its 4-byte header included */
    mse_rd_init(&rd, bytes, queued);
    *need = TLS_RECORD_HEADER;
    for (size_t records = 0; records < GATE_RECORDS_MAX; records++) {
        size_t at = queued - mse_rd_left(&rd);
        uint8_t type = 0;
        uint16_t version = 0, record_len = 0;
        if (mse_rd_u8(&rd, &type) != MSE_OK)
            return SRV_GATE_WAIT;
        /* Not a handshake: OpenSSL refuses it at once. Between fragments: 5.1 forbids it. */
        if (type != TLS_CONTENT_HANDSHAKE)
            return records == 0 ? SRV_GATE_PASS : SRV_GATE_REFUSE;
        if (mse_rd_u16be(&rd, &version) != MSE_OK || mse_rd_u16be(&rd, &record_len) != MSE_OK)
            return SRV_GATE_WAIT;
        /* The first record holds the handshake header (type and size); 5.1: no empty
         * handshake fragment, none over 2^14. */
        size_t least = records == 0 ? TLS_HANDSHAKE_HEADER : 1;
        if (record_len > TLS_PLAINTEXT_MAX || record_len < least)
            return SRV_GATE_REFUSE;
        *need = at + TLS_RECORD_HEADER + record_len;
        if (*need > GATE_BYTES_MAX)
            return SRV_GATE_REFUSE;
        if (queued < *need)
            return SRV_GATE_WAIT;
        if (records == 0) {
            uint8_t msg_type = 0, len_hi = 0;
            uint16_t len_lo = 0;
            if (mse_rd_u8(&rd, &msg_type) != MSE_OK || mse_rd_u8(&rd, &len_hi) != MSE_OK ||
                mse_rd_u16be(&rd, &len_lo) != MSE_OK)
                return SRV_GATE_REFUSE; /* not reached: the record is queued whole */
            hello = TLS_HANDSHAKE_HEADER + (((size_t)len_hi << 16) | len_lo);
            if (msg_type != TLS_CLIENT_HELLO || hello > TLS_PLAINTEXT_MAX)
                return SRV_GATE_REFUSE;
            record_len -= TLS_HANDSHAKE_HEADER;
            seen = TLS_HANDSHAKE_HEADER;
        }
        if (mse_rd_skip(&rd, record_len) != MSE_OK)
            return SRV_GATE_REFUSE; /* not reached: the record is queued whole */
        seen += record_len;
        if (seen >= hello)
            return SRV_GATE_PASS;
        /* The rest needs one more record at least: no wake-up before that much is in. */
        *need += TLS_RECORD_HEADER + (hello - seen);
        if (*need > GATE_BYTES_MAX)
            return SRV_GATE_REFUSE;
    }
    return SRV_GATE_REFUSE;
}

/* The number of bytes epoll waits for before reporting the socket readable. */
static void set_lowat(evutil_socket_t fd, size_t bytes)
{
    int v = (int)bytes;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v);
}

void srv_gate_open(struct srv_conn *c)
{
    if (!c->gated)
        return;
    c->gated = false;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0 && c->gate_need > 0)
        set_lowat(fd, 1);
    /* The gate and the bufferevent wait for the same event (EV_READ) on the same
     * socket: enabled before the gate goes, the socket's registration with epoll
     * never changes, and the switch costs no epoll_ctl. */
    bufferevent_enable(c->bev, EV_READ);
    event_del(c->gate);
    /* What the gate saw (the first record, or the end of the stream) is there to read:
     * the bufferevent's read event runs in this turn of the loop, not after one more
     * epoll_wait (as srv_write_now does for writes). */
    event_active(&c->bev->ev_read, EV_READ, 1);
}

/* What the socket's receive queue holds now, read without taking it. */
enum queue_state {
    QUEUE_EMPTY, /* nothing yet */
    QUEUE_ENDED, /* end of stream or an error: the bufferevent is to see it */
    QUEUE_BYTES, /* *verdict is srv_gate_check's on the queued bytes */
};

/*
 * One peek as long as the longest first flight that can pass: a TCP peek
 * copies all that is queued up to its length, so the bytes it returns are
 * the queued count srv_gate_check compares with the records' lengths (when it
 * fills the buffer, more may wait, but no flight that passes is longer). No
 * second system call (SIOCINQ) to count them. The copy is of what the client
 * sent, at most once per low-water mark reached. (TCP urgent data stops a
 * read at its mark: such a client can look short of bytes, and is dropped like
 * one that closed.)
 */
static enum queue_state peek_queue(evutil_socket_t fd, enum srv_gate_verdict *verdict,
                                   size_t *need)
{
    uint8_t queue[GATE_BYTES_MAX];
    ssize_t got = recv(fd, queue, sizeof queue, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return QUEUE_EMPTY;
    if (got <= 0)
        return QUEUE_ENDED;
    *verdict = srv_gate_check(queue, (size_t)got, need);
    return QUEUE_BYTES;
}

static void gate_readable(evutil_socket_t fd, short events, void *arg)
{
    struct srv_conn *c = arg;
    if (events & EV_TIMEOUT) {
        /* The client's idle timeout (--timeout) passed before its first record was in:
         * what the bufferevent's read timeout would have done. */
        srv_conn_drop_gated(c, false);
        return;
    }
    enum srv_gate_verdict verdict = SRV_GATE_WAIT;
    size_t need = 0;
    switch (peek_queue(fd, &verdict, &need)) {
    case QUEUE_EMPTY:
        return;
    case QUEUE_ENDED:
        /* The bufferevent sees it and evhttp frees the connection. */
        srv_gate_open(c);
        return;
    case QUEUE_BYTES:
        break;
    }
    switch (verdict) {
    case SRV_GATE_PASS:
        srv_gate_open(c);
        return;
    case SRV_GATE_REFUSE:
        srv_conn_drop_gated(c, true);
        return;
    case SRV_GATE_WAIT:
        /* Reported readable with fewer bytes than the low-water mark asks for: the
         * client closed its side (epoll reports that whatever the mark), so the record
         * can never be completed. Waiting on would report it again at once, forever. */
        if (need <= c->gate_need) {
            srv_conn_drop_gated(c, false);
            return;
        }
        c->gate_need = need;
        set_lowat(fd, need);
        return;
    }
}

void srv_gate_close(struct srv_conn *c)
{
    if (!c->gated)
        return;
    c->gated = false;
    event_del(c->gate);
}

mse_err srv_gate_start(struct srv *s, struct srv_conn *c)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    MSE_ENSURE(fd >= 0, MSE_ERR_INTERNAL);
    /* The whole first record is in already and passes: the bufferevent reads it as it
     * is. A refusal, a wait or the end of the stream take the gate's path. */
    enum srv_gate_verdict verdict = SRV_GATE_WAIT;
    size_t need = 0;
    if (peek_queue(fd, &verdict, &need) == QUEUE_BYTES && verdict == SRV_GATE_PASS) {
        s->gate_skips++;
        return MSE_OK;
    }
    MSE_ENSURE(event_assign(c->gate, s->base, fd, EV_READ | EV_PERSIST, gate_readable, c) == 0,
               MSE_ERR_INTERNAL);
    c->gate_need = 0; /* the kernel's default mark: the first byte */
    bufferevent_disable(c->bev, EV_READ);
    /* The bufferevent's read timeout does not run while it is not reading: the
     * client's idle timeout runs here instead, from accept to the whole first record. */
    struct timeval idle = {s->cfg->timeout, 0};
    MSE_ENSURE(event_add(c->gate, s->cfg->timeout > 0 ? &idle : NULL) == 0, MSE_ERR_INTERNAL);
    c->gated = true;
    return MSE_OK;
}
