/*
 * LD_PRELOAD shim for tests/integration/exit_codes_json.sh: jansson out of
 * memory. json_dumps returns NULL, as jansson does when an allocation fails, so
 * mse reaches its MSE_ERR_NOMEM paths (class INTERNAL, exit 1) deterministically,
 * and the error object itself is printed by cli_json_error's no-memory fallback.
 * Test only; never installed.
 */
#include <stddef.h>

#include <jansson.h>

/* Exported despite the project's -fvisibility=hidden: it must interpose jansson's. */
__attribute__((visibility("default"))) char *json_dumps(const json_t *json, size_t flags)
{
    (void)json;
    (void)flags;
    return NULL;
}
