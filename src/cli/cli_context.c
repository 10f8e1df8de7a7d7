/* mse context: placeholder until its issue lands; `mse context new` is dispatched already. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "context_new.h"

int mse_cli_context(int argc, char **argv)
{
    struct mse_out o;
    mse_out_init(&o);
    if (argc >= 2 && strcmp(argv[1], "new") == 0)
        return mse_cli_context_new(argc - 1, argv + 1);
    return mse_out_error(&o, MSE_ERR_UNSUPPORTED, "mse context: not yet supported");
}
