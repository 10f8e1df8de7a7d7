/* Names, messages and exit classes of enum mse_err, from the one list in <mse/err.h>. */
#include <mse/err.h>

const char *mse_err_name(mse_err err)
{
    switch (err) {
#define MSE_ERR_NAME_(name, value, exit_class, msg)                                                \
    case name:                                                                                     \
        return #name;
        MSE_ERR_LIST(MSE_ERR_NAME_)
#undef MSE_ERR_NAME_
    }
    return "MSE_ERR_UNKNOWN";
}

const char *mse_err_str(mse_err err)
{
    switch (err) {
#define MSE_ERR_STR_(name, value, exit_class, msg)                                                 \
    case name:                                                                                     \
        return msg;
        MSE_ERR_LIST(MSE_ERR_STR_)
#undef MSE_ERR_STR_
    }
    return "unknown error";
}

enum mse_exit mse_err_exit(mse_err err)
{
    switch (err) {
#define MSE_ERR_EXIT_(name, value, exit_class, msg)                                                \
    case name:                                                                                     \
        return MSE_EXIT_##exit_class;
        MSE_ERR_LIST(MSE_ERR_EXIT_)
#undef MSE_ERR_EXIT_
    }
    return MSE_EXIT_INTERNAL;
}

int mse_err_known(int value)
{
    switch (value) {
#define MSE_ERR_KNOWN_(name, v, exit_class, msg) case v:
        MSE_ERR_LIST(MSE_ERR_KNOWN_)
#undef MSE_ERR_KNOWN_
        return 1;
    default:
        return 0;
    }
}
