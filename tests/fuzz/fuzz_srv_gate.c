/*
 * mse-enclave's first-record gate (srv_gate_check) on arbitrary first bytes
 * of a TLS connection, read prefix by prefix as they would arrive: a wait
 * always names more bytes than are queued and no more than one peek holds,
 * and once a prefix is passed or refused, every longer one is judged the
 * same (more bytes never undo a verdict).
 */
#include <stdlib.h>

#include "srv/srv_int.h"

#define PEEK_MAX (5 + 16384) /* srv_gate.c's GATE_BYTES_MAX */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = size < PEEK_MAX ? size : PEEK_MAX;
    enum srv_gate_verdict decided = SRV_GATE_WAIT;
    for (size_t at = 0; at <= len; at++) {
        /* Beyond the first 512 bytes, a sample of the prefixes and the whole input. */
        if (at > 512 && at < len && at % 61 != 0)
            continue;
        size_t need = 0;
        enum srv_gate_verdict v = srv_gate_check(data, at, &need);
        if (decided != SRV_GATE_WAIT) {
            if (v != decided)
                abort();
        } else if (v != SRV_GATE_WAIT) {
            decided = v;
        } else if (need <= at || need > PEEK_MAX) {
            abort();
        }
    }
    return 0;
}
