/* The clocks: kept out of libmse's core, which takes time as an input. */
#include <time.h>

#include "util.h"

int64_t mse_time_now(void)
{
    return (int64_t)time(NULL);
}

int64_t mse_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
