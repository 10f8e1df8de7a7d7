/* libmse: verify, or refuse, a web service that claims to run in an Intel SGX enclave. */
#ifndef MSE_MSE_H
#define MSE_MSE_H

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/err.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/rd.h>
#include <mse/time.h>
#include <mse/verifier.h>
#include <mse/verify.h>

#define MSE_VERSION "0.1.0"

#endif
