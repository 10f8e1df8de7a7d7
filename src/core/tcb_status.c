/*
 * TCB statuses of Intel's TCB info (v2/v3) and enclave identity (v2) models
 * (Intel PCS API v4 documentation, "tcbStatus"), and how a platform status
 * and a QE status combine into one, as the Intel Quote Verification Library
 * does (QuoteVerifier.cpp, convergeTcbStatusWithQeTcbStatus).
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/verify.h>

#include "dcap.h"

static const char *const names[MSE_TCB_STATUS_COUNT] = {
    [MSE_TCB_UP_TO_DATE] = "UpToDate",
    [MSE_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [MSE_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [MSE_TCB_OUT_OF_DATE] = "OutOfDate",
    [MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [MSE_TCB_REVOKED] = "Revoked",
    [MSE_TCB_UNKNOWN] = "Unknown",
};

const char *mse_tcb_status_name(enum mse_tcb_status s)
{
    if ((unsigned)s >= MSE_TCB_STATUS_COUNT)
        return "Unknown";
    return names[s];
}

mse_err mse_tcb_status_parse(const char *name, size_t len, enum mse_tcb_status *out)
{
    MSE_ENSURE(name != NULL && out != NULL, MSE_ERR_ARG);
    /* "Unknown" is not a status Intel issues: only the seven real ones parse. */
    for (unsigned i = 0; i < MSE_TCB_UNKNOWN; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
            *out = (enum mse_tcb_status)i;
            return MSE_OK;
        }
    }
    return MSE_ERR_ARG;
}

/*
 * A QE that is OutOfDate makes an otherwise current platform OutOfDate (and
 * a configuration-needing one OutOfDateConfigurationNeeded); a revoked QE
 * makes everything Revoked. Otherwise the platform status stands.
 */
enum mse_tcb_status mse_tcb_status_converge(enum mse_tcb_status platform, enum mse_tcb_status qe)
{
    if (qe == MSE_TCB_REVOKED || platform == MSE_TCB_REVOKED)
        return MSE_TCB_REVOKED;
    if (qe == MSE_TCB_OUT_OF_DATE) {
        switch (platform) {
        case MSE_TCB_UP_TO_DATE:
        case MSE_TCB_SW_HARDENING_NEEDED:
            return MSE_TCB_OUT_OF_DATE;
        case MSE_TCB_CONFIGURATION_NEEDED:
        case MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
            return MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
        default:
            break;
        }
    }
    if (qe == MSE_TCB_UNKNOWN)
        return MSE_TCB_UNKNOWN;
    return platform;
}
