/* mse trust: placeholder until its issue lands. */
#include <stdio.h>

#include "cli.h"

int mse_cli_trust(int argc, char **argv)
{
    struct mse_out o;
    mse_out_init(&o);
    return mse_out_error(&o, MSE_ERR_UNSUPPORTED, "mse trust: not yet supported");
}
