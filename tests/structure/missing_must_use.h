/* Fixture for scripts/mustuse-check.sh: the check must reject this header. */
#include <mse/err.h>
MSE_MUST_USE mse_err fixture_checked(int x);
mse_err fixture_unchecked(int x);
