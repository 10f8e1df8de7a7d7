/*
 * Test-only helpers: cmocka includes, data files, temporary directories and
 * child processes. Nothing here is linked into mse itself.
 */
#ifndef MSE_TESTLIB_H
#define MSE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first. */
#include <cmocka.h>

/* Read tests/data/<name> (aborts the test if missing). Caller frees. */
uint8_t *mse_test_data(const char *name, size_t *len);
/* Read any path (aborts the test if missing). Caller frees. */
uint8_t *mse_test_file(const char *path, size_t *len);
/* Create a fresh temporary directory; returns a malloc'd path. */
char *mse_test_tmpdir(void);
/* rm -rf a directory made by mse_test_tmpdir. */
void mse_test_rmtree(const char *path);
/* Path of a built binary (MSE_BUILD_DIR/<rel>), malloc'd. */
char *mse_test_bin(const char *rel);

#endif
