/* mse_say: the one-line error reasons of the CLI, the servers and the simulator. */
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

mse_err mse_say(char *errbuf, size_t errlen, mse_err err, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}
