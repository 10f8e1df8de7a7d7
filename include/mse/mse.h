/*
 * libmse: verify, or refuse, a web service that claims to run in an Intel SGX enclave.
 *
 * Every function declared in include/mse/ starts with MSE_EXTERN
 * (<mse/export.h>): the libraries are built with hidden visibility, so a
 * declaration without it is not exported, and the test structure_abi_exports
 * fails until it has it.
 */
#ifndef MSE_MSE_H
#define MSE_MSE_H

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/err.h>
#include <mse/inspect.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/rd.h>
#include <mse/time.h>
#include <mse/verifier.h>
#include <mse/verify.h>

#define MSE_VERSION "0.1.0"

#endif
