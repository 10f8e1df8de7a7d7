/*
 * A bounded text builder for human messages in the pure core, which may not
 * use <stdio.h>. Appends truncate at the capacity and always leave a NUL;
 * a message is for people, so truncation is acceptable, overflow is not.
 */
#include <string.h>

#include <mse/bytes.h>
#include <mse/time.h>

#include "msg.h"

void mse_msg_init(struct mse_msg *m, char *buf, size_t cap)
{
    m->buf = buf;
    m->cap = cap;
    m->len = 0;
    if (cap > 0)
        buf[0] = '\0';
}

void mse_msg_mem(struct mse_msg *m, const char *s, size_t n)
{
    if (m->cap == 0)
        return;
    size_t room = m->cap - 1 - m->len;
    if (n > room)
        n = room;
    memcpy(m->buf + m->len, s, n);
    m->len += n;
    m->buf[m->len] = '\0';
}

void mse_msg_str(struct mse_msg *m, const char *s)
{
    mse_msg_mem(m, s, strlen(s));
}

void mse_msg_u64(struct mse_msg *m, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    mse_msg_mem(m, tmp + i, sizeof tmp - i);
}

void mse_msg_hex(struct mse_msg *m, const uint8_t *b, size_t n)
{
    char tmp[129];
    while (n > 0) {
        size_t k = n > 64 ? 64 : n;
        mse_hex_encode(b, k, tmp);
        mse_msg_mem(m, tmp, 2 * k);
        b += k;
        n -= k;
    }
}

void mse_msg_time(struct mse_msg *m, int64_t t)
{
    char tmp[21];
    mse_time_format(t, tmp);
    mse_msg_str(m, tmp);
}

void mse_msg_member(struct mse_msg *m, const char *key, const char *what)
{
    mse_msg_str(m, "\"");
    mse_msg_str(m, key);
    mse_msg_str(m, "\": ");
    mse_msg_str(m, what);
}
