/* The clock: kept out of libmse's core, which takes time as an input. */
#include <time.h>

#include "util.h"

int64_t mse_time_now(void)
{
    return (int64_t)time(NULL);
}
