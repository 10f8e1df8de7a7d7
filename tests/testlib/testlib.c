#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "util/util.h"

uint8_t *mse_test_file(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    if (mse_file_read(path, 512u << 20, &data, len) != MSE_OK) {
        fprintf(stderr, "test data missing: %s\n", path);
        fail();
    }
    return data;
}

uint8_t *mse_test_data(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", MSE_TEST_DATA, name);
    return mse_test_file(path, len);
}

char *mse_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/mse-test-XXXXXX", base && *base ? base : "/tmp") < 0)
        fail();
    if (!mkdtemp(path))
        fail();
    return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void mse_test_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *mse_test_bin(const char *rel)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", MSE_BUILD_DIR, rel) < 0)
        fail();
    return path;
}
