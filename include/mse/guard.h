/*
 * Early-return guards for functions that return mse_err.
 *
 * MSE_TRY(call)            pass a callee's error up unchanged.
 * MSE_TRY_AS(call, code)   pass any callee error up as `code` (e.g. a generic
 *                          MSE_ERR_TRUNCATED from the reader becomes
 *                          MSE_ERR_QUOTE_TRUNCATED).
 * MSE_ENSURE(cond, code)   return `code` unless cond holds.
 *
 * Use them only in functions declared MSE_MUST_USE that return mse_err. The
 * only other jump allowed is one `out:` cleanup label, reached with
 * MSE_GOTO_OUT_IF / MSE_GOTO_OUT setting a local `err`.
 */
#ifndef MSE_GUARD_H
#define MSE_GUARD_H

#include <mse/err.h>

#define MSE_TRY(call)                                                                              \
    do {                                                                                           \
        mse_err mse_try_err_ = (call);                                                             \
        if (mse_try_err_ != MSE_OK)                                                                \
            return mse_try_err_;                                                                   \
    } while (0)

#define MSE_TRY_AS(call, code)                                                                     \
    do {                                                                                           \
        if ((call) != MSE_OK)                                                                      \
            return (code);                                                                         \
    } while (0)

#define MSE_ENSURE(cond, code)                                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return (code);                                                                         \
    } while (0)

/* With a local `mse_err err` and an `out:` label. */
#define MSE_GOTO_OUT(code)                                                                         \
    do {                                                                                           \
        err = (code);                                                                              \
        goto out;                                                                                  \
    } while (0)

#define MSE_CHECK_OUT(call)                                                                        \
    do {                                                                                           \
        err = (call);                                                                              \
        if (err != MSE_OK)                                                                         \
            goto out;                                                                              \
    } while (0)

#define MSE_ENSURE_OUT(cond, code)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            err = (code);                                                                          \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#endif
