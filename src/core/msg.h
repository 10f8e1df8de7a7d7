/* Bounded message builder for the core (no stdio); see msg.c. */
#ifndef MSE_CORE_MSG_H
#define MSE_CORE_MSG_H

#include <stddef.h>
#include <stdint.h>

struct mse_msg {
    char *buf;
    size_t cap; /* bytes in buf, including the NUL */
    size_t len; /* characters written */
};

void mse_msg_init(struct mse_msg *m, char *buf, size_t cap);
void mse_msg_mem(struct mse_msg *m, const char *s, size_t n);
void mse_msg_str(struct mse_msg *m, const char *s);
void mse_msg_u64(struct mse_msg *m, uint64_t v);
void mse_msg_hex(struct mse_msg *m, const uint8_t *b, size_t n);
void mse_msg_time(struct mse_msg *m, int64_t t);
/* "\"<key>\": <what>": a JSON member named with what is wrong with it. */
void mse_msg_member(struct mse_msg *m, const char *key, const char *what);

#endif
