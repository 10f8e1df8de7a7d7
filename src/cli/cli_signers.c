/*
 * The operator signers `mse verify` trusts by default: the public keys whose
 * MRSIGNER marks an enclave as the operator's. Shipped: Cosmian's public MSE
 * enclave signer key (RSA-3072, exponent 3; MRSIGNER
 * c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5).
 * Users add or replace signers in $MSE_CONF_PATH/signers/ (docs/cmd/mse-verify.md).
 */
#include "cli_policy.h"

const char cli_default_signer_cosmian[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBoDANBgkqhkiG9w0BAQEFAAOCAY0AMIIBiAKCAYEAwJ1w0FTxi683hkxrg9fG\n"
    "SZ6AvDbfvsh52dPgrgRIB9jkIW1eJacXyuNZHznOKl+T/QaHorfNg+e6IB9Jaa80\n"
    "yeqp7lewtF7nG4CB83qSeU/GbehuYQeuTlIPvIZrrMl9DviiADOu7cCvRTVLcyj8\n"
    "1pKuWpWuUC0LVE8o6JsG8Zk89Qj653oJl+926koOAaQZ203w2fKhbXTEoyaaysbe\n"
    "2jzabuPWIFafxPiSO6p+UcXs+CzJfaZkVKBWAhHBZN5DYr+JhYqOJlb3bvsAxGuS\n"
    "4mWgxx1OGRXTJq1uHQvZOuOprUICqiYoc6UJAT5MiMOofwng498KXLl0Yg4qAYI3\n"
    "DCdYEiFC5URJzvlQzQzHV6q4mTep2YXtIUcCsiomFM3ldZVEXGtpST+qqQUKIEiC\n"
    "3nqLhX5YogqFbOm/xhE/RCgVWb7J4aSW9/+ohwwsRM7eRFTFylBv2BLcP5gl/f9P\n"
    "uMX6e9Bd/TxRj5tkk7BLfex6gdfVRWnJ1Odhht1AyyYXAgED\n"
    "-----END PUBLIC KEY-----\n"
;
