/* mse demo: placeholder until its issue lands. */
#include <stdio.h>

#include "cli.h"

int mse_cli_demo(int argc, char **argv)
{
    struct mse_out o;
    mse_out_init(&o);
    return mse_out_error(&o, MSE_ERR_UNSUPPORTED, "mse demo: not yet supported");
}
