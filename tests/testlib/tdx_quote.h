/*
 * Test TDX quotes (v4, TD report 1.0; v5, TD report 1.5) laid out as Intel's
 * TDX quote format, with recognisable field values and the real quote's PCK
 * chain as certification data, and a TDX RA-TLS certificate carrying one in
 * extension 1.2.840.113741.1337.8. Not signed: mse does not verify TDX.
 */
#ifndef MSE_TEST_TDX_QUOTE_H
#define MSE_TEST_TDX_QUOTE_H

#include <stddef.h>
#include <stdint.h>

/* Field values: MRTD bytes 0x11, RTMRi bytes 0x20+i, REPORTDATA 0x77, TD attributes DEBUG. */
#define TDX_TEST_MRTD_BYTE 0x11
#define TDX_TEST_RTMR_BYTE(i) (0x20 + (i))
#define TDX_TEST_REPORT_DATA_BYTE 0x77

/* A v4 (version 4) or v5 (version 5, TD 1.5 body) TDX quote; malloc'd. */
uint8_t *tdx_test_quote(int version, size_t *len);
/* A self-signed P-256 certificate with the quote in 1.2.840.113741.1337.8 (DER, malloc'd). */
uint8_t *tdx_test_cert(const uint8_t *quote, size_t quote_len, size_t *len);
/* The same with the quote in the SGX extension 1.2.840.113741.1337.6. */
uint8_t *tdx_test_cert_in_sgx_ext(const uint8_t *quote, size_t quote_len, size_t *len);

#endif
