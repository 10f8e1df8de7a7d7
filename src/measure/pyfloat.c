/*
 * Python float repr (see pyfloat.h). CPython (Objects/floatobject.c,
 * Python/pystrtod.c format_float_short with mode 'r') prints the shortest
 * digit string that round-trips (David Gay's dtoa mode 0); the correctly
 * rounded p-digit value for the smallest p that reads back as f is that
 * string. Layout: decpt = position of the decimal point after the first
 * digit count; scientific when decpt <= -4 or decpt > 16.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/pyfloat.h"

size_t mse_py_float_repr(double f, char *buf, size_t cap)
{
    char tmp[64], digits[32], out[64];
    int exp10 = 0, nd = 0;
    size_t n = 0;
    if (isnan(f))
        return (size_t)snprintf(buf, cap, "nan") < cap ? 3 : 0;
    if (isinf(f)) {
        int r = snprintf(buf, cap, "%s", f < 0 ? "-inf" : "inf");
        return r > 0 && (size_t)r < cap ? (size_t)r : 0;
    }
    int neg = signbit(f) != 0;
    double a = fabs(f);
    if (a == 0.0) {
        digits[0] = '0';
        nd = 1;
        exp10 = 0;
    } else {
        for (int p = 1; p <= 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*e", p - 1, a);
            if (strtod(tmp, NULL) == a || p == 17)
                break;
        }
        /* tmp is d[.ddd]e[+-]XX */
        char *e = strchr(tmp, 'e');
        exp10 = atoi(e + 1);
        for (char *q = tmp; q < e; q++)
            if (*q != '.')
                digits[nd++] = *q;
        while (nd > 1 && digits[nd - 1] == '0')
            nd--;
    }
    digits[nd] = '\0';
    int decpt = exp10 + 1; /* value = 0.d1d2... * 10^decpt */
    if (neg)
        out[n++] = '-';
    if (decpt <= -4 || decpt > 16) {
        out[n++] = digits[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, digits + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        int r = snprintf(out + n, sizeof out - n, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        n += (size_t)r;
    } else if (decpt <= 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int k = 0; k < -decpt; k++)
            out[n++] = '0';
        memcpy(out + n, digits, (size_t)nd);
        n += (size_t)nd;
    } else if (decpt >= nd) {
        memcpy(out + n, digits, (size_t)nd);
        n += (size_t)nd;
        for (int k = 0; k < decpt - nd; k++)
            out[n++] = '0';
        out[n++] = '.';
        out[n++] = '0';
    } else {
        memcpy(out + n, digits, (size_t)decpt);
        n += (size_t)decpt;
        out[n++] = '.';
        memcpy(out + n, digits + decpt, (size_t)(nd - decpt));
        n += (size_t)(nd - decpt);
    }
    if (n + 1 > cap)
        return 0;
    memcpy(buf, out, n);
    buf[n] = '\0';
    return n;
}
