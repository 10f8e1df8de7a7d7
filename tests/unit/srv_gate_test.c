/*
 * The first-record gate's verdict (srv_gate.c) on the bytes a TLS client
 * sends first: a ClientHello in one handshake record or fragmented over
 * several, each queued whole before it passes; everything else that starts
 * with a handshake record refused; anything else passed to OpenSSL. Every
 * case is also read prefix by prefix, as the bytes arrive: a wait names
 * more bytes than are queued, and a pass or a refusal never changes when
 * more bytes come.
 */
#include <string.h>

#include "srv/srv_int.h"
#include "testlib.h"

#define FLIGHT_MAX (5 + 16384) /* one peek: what the gate reads at most */

struct flight {
    uint8_t b[2 * FLIGHT_MAX];
    size_t n;
};

static void put(struct flight *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

/* A record header: type, TLS 1.0 as clients write it in a ClientHello, length. */
static void record(struct flight *f, uint8_t type, size_t len)
{
    uint8_t h[5] = {type, 0x03, 0x01, (uint8_t)(len >> 8), (uint8_t)len};
    put(f, h, sizeof h);
}

/*
 * A handshake message of `type` with a body of `body` bytes, over records
 * carrying `piece` bytes of it each (the last one the rest).
 */
static void message(struct flight *f, uint8_t type, size_t body, size_t piece)
{
    uint8_t msg[20000];
    assert_true(4 + body <= sizeof msg);
    msg[0] = type;
    msg[1] = (uint8_t)(body >> 16);
    msg[2] = (uint8_t)(body >> 8);
    msg[3] = (uint8_t)body;
    for (size_t i = 0; i < body; i++)
        msg[4 + i] = (uint8_t)(i * 7 + 1);
    for (size_t off = 0; off < 4 + body; off += piece) {
        size_t k = 4 + body - off < piece ? 4 + body - off : piece;
        record(f, 22, k);
        put(f, msg + off, k);
    }
}

static enum srv_gate_verdict check(const struct flight *f, size_t len, size_t *need)
{
    *need = 0;
    return srv_gate_check(f->b, len, need);
}

/*
 * The verdict on the whole flight; on the way, every prefix: a wait for more
 * than is queued (within one peek), and once decided, decided for good.
 */
static enum srv_gate_verdict judge(const struct flight *f, size_t *need)
{
    size_t len = f->n < FLIGHT_MAX ? f->n : FLIGHT_MAX;
    enum srv_gate_verdict first = SRV_GATE_WAIT;
    size_t decided_at = 0;
    for (size_t at = 0; at <= len; at++) {
        size_t n = 0;
        enum srv_gate_verdict v = check(f, at, &n);
        if (first != SRV_GATE_WAIT) {
            if (v != first)
                fail_msg("decided at %zu bytes (%d), then %d at %zu", decided_at, first, v, at);
            continue;
        }
        if (v == SRV_GATE_WAIT) {
            if (n <= at || n > FLIGHT_MAX)
                fail_msg("at %zu bytes: waits for %zu", at, n);
        } else {
            first = v;
            decided_at = at;
        }
    }
    return check(f, len, need);
}

static void test_whole_client_hello(void **state)
{
    struct flight f = {0};
    size_t need = 0;
    message(&f, 1, 508, 512);
    assert_int_equal(f.n, 517);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
    /* Its header alone waits for the record it announces. */
    assert_int_equal(check(&f, 5, &need), SRV_GATE_WAIT);
    assert_int_equal(need, 517);
    assert_int_equal(check(&f, 0, &need), SRV_GATE_WAIT);
    assert_int_equal(need, 5);
    /* The largest: a record of 2^14 bytes holding a ClientHello of 2^14. */
    f.n = 0;
    message(&f, 1, 16384 - 4, 16384);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
}

static void test_fragmented_client_hello(void **state)
{
    struct flight f = {0};
    size_t need = 0;
    /* 512 bytes in records of 100: 6 records, the last of 12. */
    message(&f, 1, 508, 100);
    assert_int_equal(f.n, 512 + 6 * 5);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
    /* After the first record, the wait is for one more record with all the rest. */
    assert_int_equal(check(&f, 105, &need), SRV_GATE_WAIT);
    assert_int_equal(need, 105 + 5 + 412);
    /* With the second record's header in: still that much (the record ends before). */
    assert_int_equal(check(&f, 110, &need), SRV_GATE_WAIT);
    assert_int_equal(need, 210);
    /* One byte short of the last record. */
    assert_int_equal(check(&f, f.n - 1, &need), SRV_GATE_WAIT);
    assert_int_equal(need, f.n);
    /* Split inside the handshake header's size, in records of 4 bytes first. */
    f.n = 0;
    message(&f, 1, 200, 4);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE); /* 51 records */
    f.n = 0;
    message(&f, 1, 120, 4); /* 31 records */
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
}

static void test_record_count_bound(void **state)
{
    struct flight f = {0};
    size_t need = 0;
    /* 32 records pass, 33 do not. */
    message(&f, 1, 32 * 10 - 4, 10);
    assert_int_equal(f.n, 32 * 15);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
    f.n = 0;
    message(&f, 1, 33 * 10 - 4, 10);
    assert_int_equal(f.n, 33 * 15);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
}

static void test_flight_beyond_one_peek(void **state)
{
    struct flight f = {0};
    size_t need = 0;
    /* 2^14 bytes of ClientHello in two records: 5 bytes more than one peek takes. */
    message(&f, 1, 16384 - 4, 8192);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    /* Refused as soon as the first record is in: the rest cannot fit. */
    assert_int_equal(check(&f, 5 + 8192, &need), SRV_GATE_REFUSE);
    /* Five bytes less fits. */
    f.n = 0;
    message(&f, 1, 16384 - 4 - 5, 8192);
    assert_int_equal(f.n, FLIGHT_MAX);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
}

static void test_refused(void **state)
{
    struct flight f = {0};
    size_t need = 0;
    /* A ClientHello announcing more than 2^14 bytes, in records or not. */
    message(&f, 1, 16384 - 3, 100);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    assert_int_equal(check(&f, 105, &need), SRV_GATE_REFUSE);
    f.n = 0;
    uint8_t huge[] = {0x16, 0x03, 0x01, 0x00, 100, 0x01, 0x01, 0x86, 0xa0}; /* 100,000 */
    static const uint8_t rest[96];
    put(&f, huge, sizeof huge);
    put(&f, rest, sizeof rest); /* the record is whole */
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    /* Another handshake message first. */
    f.n = 0;
    message(&f, 2, 40, 100);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    /* A first record too short for the handshake header, and an empty one. */
    for (size_t len = 0; len < 4; len++) {
        f.n = 0;
        record(&f, 22, len);
        put(&f, "\x01\x00\x00", len);
        message(&f, 1, 100, 200);
        assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    }
    /* A record over 2^14 (RFC 8446 5.1: record_overflow). */
    f.n = 0;
    record(&f, 22, 16385);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
}

static void test_refused_between_fragments(void **state)
{
    struct flight f = {0}, g = {0};
    size_t need = 0;
    message(&g, 1, 300, 150); /* records of 150, 150 and 4 */
    /* A record of another type after the first fragment (5.1: no interleaving). */
    static const uint8_t types[] = {20, 21, 23, 0, 0x47};
    for (size_t i = 0; i < sizeof types; i++) {
        f.n = 0;
        put(&f, g.b, 155);
        record(&f, types[i], 10);
        put(&f, g.b, 10);
        assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    }
    /* An empty handshake fragment. */
    f.n = 0;
    put(&f, g.b, 155);
    record(&f, 22, 0);
    put(&f, g.b + 155, g.n - 155);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    /* A later fragment over 2^14. */
    f.n = 0;
    put(&f, g.b, 155);
    record(&f, 22, 16385);
    assert_int_equal(judge(&f, &need), SRV_GATE_REFUSE);
    /* The same fragments, well formed: passed. */
    assert_int_equal(judge(&g, &need), SRV_GATE_PASS);
}

static void test_passed_to_openssl(void **state)
{
    /* Not a handshake record: OpenSSL answers it at once (an alert or nothing). */
    static const char *const starts[] = {"GET / HTTP/1.1\r\n", "\x15\x03\x03\x01\x02\x02\x28",
                                         "\x17\x03\x03\x01\x01x", "\x80\x2e\x01\x03\x01"};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        struct flight f = {0};
        size_t need = 0;
        put(&f, starts[i], strlen(starts[i]));
        assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
        assert_int_equal(check(&f, 1, &need), SRV_GATE_PASS);
    }
    /* A ClientHello that ends inside its last record, something after it: OpenSSL's. */
    struct flight f = {0};
    size_t need = 0;
    uint8_t rec[5 + 4 + 20 + 7] = {22, 3, 1, 0, 4 + 20 + 7, 1, 0, 0, 20};
    put(&f, rec, sizeof rec);
    assert_int_equal(judge(&f, &need), SRV_GATE_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_client_hello),
        cmocka_unit_test(test_fragmented_client_hello),
        cmocka_unit_test(test_record_count_bound),
        cmocka_unit_test(test_flight_beyond_one_peek),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_refused_between_fragments),
        cmocka_unit_test(test_passed_to_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
