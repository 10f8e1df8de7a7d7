/* Whole-file reads with a limit and crash-safe atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mse/guard.h>

#include "util.h"

mse_err mse_file_read(const char *path, size_t limit, uint8_t **data, size_t *len)
{
    mse_err err = MSE_OK;
    uint8_t *buf = NULL;
    size_t used = 0, cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO;
    for (;;) {
        if (cap - used < 4096 + 1) {
            size_t ncap = cap ? cap * 2 : 8192;
            MSE_ENSURE_OUT(ncap <= limit + 4097 || cap < limit + 1, MSE_ERR_LIMIT);
            uint8_t *nbuf = realloc(buf, ncap);
            MSE_ENSURE_OUT(nbuf != NULL, MSE_ERR_NOMEM);
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        MSE_ENSURE_OUT(n >= 0, MSE_ERR_IO);
        if (n == 0)
            break;
        used += (size_t)n;
        MSE_ENSURE_OUT(used <= limit, MSE_ERR_LIMIT);
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return err;
}

static mse_err write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        MSE_ENSURE(n > 0, MSE_ERR_FILE_WRITE);
        p += n;
        len -= (size_t)n;
    }
    return MSE_OK;
}

mse_err mse_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    mse_err err = MSE_OK;
    char tmp[PATH_MAX];
    char dir[PATH_MAX];
    struct stat st;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof tmp, MSE_ERR_ARG);
    /*
     * Replace only regular files: renaming over a device, a FIFO or a symbolic
     * link would destroy it (`--output /dev/null` must not replace the device)
     * or write somewhere the caller did not name.
     */
    MSE_ENSURE(lstat(path, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode), MSE_ERR_FILE_WRITE);
    int fd = mkstemp(tmp);
    MSE_ENSURE(fd >= 0, MSE_ERR_FILE_WRITE);
    MSE_ENSURE_OUT(fchmod(fd, (mode_t)mode) == 0, MSE_ERR_FILE_WRITE);
    MSE_CHECK_OUT(write_all(fd, data, len));
    MSE_ENSURE_OUT(fsync(fd) == 0, MSE_ERR_FILE_WRITE);
    MSE_ENSURE_OUT(close(fd) == 0, MSE_ERR_FILE_WRITE);
    fd = -1;
    MSE_ENSURE_OUT(rename(tmp, path) == 0, MSE_ERR_FILE_WRITE);
    /* Make the rename itself durable. */
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return MSE_OK;
out:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return err;
}
