/* Python's str(float) (repr, "short" style) for the TOML writer. */
#ifndef MSE_UTIL_PYFLOAT_H
#define MSE_UTIL_PYFLOAT_H

#include <stddef.h>

/*
 * The shortest decimal that reads back as f, laid out as CPython's
 * float_repr_style 'short' does: fixed notation when the decimal exponent is
 * in [-4, 16), "1e+16" / "1.5e-05" style otherwise, ".0" added to integral
 * values, "inf", "-inf", "nan". Returns the length (0 if cap is too small).
 */
size_t mse_py_float_repr(double f, char *buf, size_t cap);

#endif
