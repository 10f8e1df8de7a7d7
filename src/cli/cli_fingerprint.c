/* mse fingerprint: placeholder until its issue lands. */
#include <stdio.h>

#include "cli.h"

int mse_cli_fingerprint(int argc, char **argv)
{
    struct mse_out o;
    mse_out_init(&o);
    return mse_out_error(&o, MSE_ERR_UNSUPPORTED, "mse fingerprint: not yet supported");
}
