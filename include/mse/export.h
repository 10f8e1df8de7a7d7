/*
 * MSE_EXTERN marks a function (or object) that a shared library of mse exports:
 * libmse (the verifier), libmse-net (TLS fetch, PCCS client, cache) and
 * libmse-measure (the Gramine measurement).
 *
 * The libraries are compiled with -fvisibility=hidden, so a declaration in
 * include/mse/ WITHOUT this macro is not part of the ABI, and a helper in
 * src/ can never leak into it. Every function declared in a header of
 * include/mse/ must carry MSE_EXTERN: the test structure_abi_exports
 * (scripts/abi-check.sh) compares the functions declared in these headers
 * with `nm -D --defined-only` of the built libraries and fails on any
 * difference either way. When you add a
 * public function, write `MSE_EXTERN` first on its declaration.
 */
#ifndef MSE_EXPORT_H
#define MSE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define MSE_EXTERN __attribute__((visibility("default")))
#else
#define MSE_EXTERN
#endif

#endif
