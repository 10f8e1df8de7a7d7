/* Whole-file reads with a limit and crash-safe atomic writes of files and directories. */
#define _GNU_SOURCE /* renameat2 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "util.h"

mse_err mse_buf_grow(struct mse_buf *b, size_t want, size_t limit)
{
    if (want <= b->cap)
        return MSE_OK;
    MSE_ENSURE(want <= limit || want - limit <= 1, MSE_ERR_LIMIT);
    size_t ncap = want < 4096 ? 4096 : want;
    if (b->cap && ncap / 2 < b->cap)
        ncap = b->cap <= SIZE_MAX / 2 ? b->cap * 2 : SIZE_MAX;
    if (ncap - 1 > limit)
        ncap = limit + 1;
    uint8_t *nb = malloc(ncap);
    MSE_ENSURE(nb != NULL, MSE_ERR_NOMEM);
    if (b->data) {
        memcpy(nb, b->data, b->cap);
        mse_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = nb;
    b->cap = ncap;
    return MSE_OK;
}

void mse_buf_free(struct mse_buf *b)
{
    if (b->data)
        mse_wipe(b->data, b->cap);
    free(b->data);
    *b = (struct mse_buf){0};
}

mse_err mse_fd_read_into(int fd, size_t limit, struct mse_buf *b, size_t *len)
{
    size_t used = 0;
    for (;;) {
        /* Never a read of 0 bytes: that would look like the end. */
        if (used == b->cap)
            MSE_TRY(mse_buf_grow(b, used + 1, limit));
        ssize_t n = read(fd, b->data + used, b->cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        MSE_ENSURE(n >= 0, MSE_ERR_IO);
        if (n == 0)
            break;
        used += (size_t)n;
        MSE_ENSURE(used <= limit, MSE_ERR_LIMIT);
    }
    *len = used;
    return MSE_OK;
}

mse_err mse_fd_read_all(int fd, const struct stat *st, size_t limit, uint8_t **data,
                        size_t *len)
{
    mse_err err = MSE_OK;
    struct mse_buf b = {0};
    size_t used = 0;
    /* A regular file is read into a buffer of its size (plus the terminator); pipes and
     * files whose size says nothing (/proc) grow as they are read. */
    if (S_ISREG(st->st_mode) && st->st_size > 0) {
        MSE_ENSURE_OUT((uint64_t)st->st_size <= limit, MSE_ERR_LIMIT);
        MSE_CHECK_OUT(mse_buf_grow(&b, (size_t)st->st_size + 1, limit));
    }
    MSE_CHECK_OUT(mse_fd_read_into(fd, limit, &b, &used));
    b.data[used] = '\0';
    *data = b.data;
    *len = used;
    b = (struct mse_buf){0};
out:
    mse_buf_free(&b);
    return err;
}

mse_err mse_file_read(const char *path, size_t limit, uint8_t **data, size_t *len)
{
    mse_err err = MSE_OK;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO;
    MSE_ENSURE_OUT(fstat(fd, &st) == 0, MSE_ERR_IO);
    err = mse_fd_read_all(fd, &st, limit, data, len);
out:
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

/*
 * Temporary files of interrupted writes.
 *
 * A writer names its temporary file "<target>.tmp.XXXXXX" (mkstemp's six
 * characters) and holds an exclusive flock(2) on it from creation until the
 * rename. A process killed in between (kill -9, power loss) leaves the file
 * behind, but the kernel drops its lock; so a later writer may remove every
 * such file it can lock, and never one a live writer is still filling (two
 * `mse verify` runs share a cache directory).
 */
#define TMP_INFIX ".tmp."
#define TMP_SUFFIX_LEN 6 /* mkstemp's XXXXXX */

static bool is_tmp_name(const char *name, const char *prefix)
{
    size_t n = strlen(name), p = prefix ? strlen(prefix) : 0, infix = strlen(TMP_INFIX);
    if (n < p + infix + TMP_SUFFIX_LEN || n - TMP_SUFFIX_LEN - infix < (prefix ? p : 1))
        return false;
    if (prefix && (strncmp(name, prefix, p) != 0 || n != p + infix + TMP_SUFFIX_LEN))
        return false;
    if (strncmp(name + n - TMP_SUFFIX_LEN - infix, TMP_INFIX, infix) != 0)
        return false;
    for (size_t i = n - TMP_SUFFIX_LEN; i < n; i++)
        if (!isalnum((unsigned char)name[i]))
            return false;
    return true;
}

/* Remove the entry `name` of dfd and, for a directory, all it holds; links are not followed. */
static int remove_entry(int dfd, const char *name, int depth)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0);
    /* Bounded: a temporary code directory is never this deep. */
    if (depth > 64)
        return -1;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            (void)remove_entry(dirfd(d), e->d_name, depth + 1);
    closedir(d);
    return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Remove one left-over temporary file or directory if no live writer holds it. */
static void remove_if_abandoned(int dfd, const char *name)
{
    struct stat st, now;
    /* O_NONBLOCK: a FIFO planted under such a name must not hang the open. */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
        st.st_uid == geteuid() && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
        now.st_ino == st.st_ino)
        (void)remove_entry(dfd, name, 0);
    close(fd);
}

void mse_file_sweep_tmp(const char *dir, const char *prefix)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *e;
    /* Bounded: a directory of any size is read once; only matching names cost a syscall. */
    while ((e = readdir(d)) != NULL)
        if (is_tmp_name(e->d_name, prefix))
            remove_if_abandoned(dfd, e->d_name);
    closedir(d);
}

/* Split path into its directory ("." when none) and its last component. */
static mse_err split_path(const char *path, char dir[PATH_MAX], const char **base)
{
    int n = snprintf(dir, PATH_MAX, "%s", path);
    MSE_ENSURE(n > 0 && n < PATH_MAX, MSE_ERR_ARG);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        *base = path;
        snprintf(dir, PATH_MAX, ".");
    } else {
        *base = path + (slash - dir) + 1;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    MSE_ENSURE(**base != '\0', MSE_ERR_ARG);
    return MSE_OK;
}

/*
 * Create and lock a fresh temporary file. The lock is taken after mkstemp, so
 * a sweeper may have removed the name in between: then the locked inode is
 * unlinked (no links left) and another name is tried.
 */
static mse_err create_locked_tmp(char tmp[PATH_MAX], const char *path, int *out)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        int n = snprintf(tmp, PATH_MAX, "%s" TMP_INFIX "XXXXXX", path);
        MSE_ENSURE(n > 0 && n < PATH_MAX, MSE_ERR_ARG);
        int fd = mkstemp(tmp);
        MSE_ENSURE(fd >= 0, MSE_ERR_FILE_WRITE);
        struct stat st;
        if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            *out = fd;
            return MSE_OK;
        }
        close(fd);
    }
    return MSE_ERR_FILE_WRITE;
}

/* A file's next contents, written and synced under a locked temporary name. */
struct staged {
    char path[PATH_MAX]; /* the target */
    char tmp[PATH_MAX];  /* the temporary file beside it */
    char dir[PATH_MAX];  /* their directory, fsynced after the rename */
    int fd;              /* open and locked until committed or discarded; -1 when not */
};

static void discard(struct staged *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        unlink(s->tmp);
        s->fd = -1;
    }
}

static mse_err stage(struct staged *s, const char *path, const void *data, size_t len,
                     unsigned mode)
{
    mse_err err = MSE_OK;
    const char *base;
    struct stat st;
    s->fd = -1;
    int n = snprintf(s->path, sizeof s->path, "%s", path);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof s->path, MSE_ERR_ARG);
    MSE_TRY(split_path(path, s->dir, &base));
    /*
     * Replace only regular files: renaming over a device, a FIFO or a symbolic
     * link would destroy it (`--output /dev/null` must not replace the device)
     * or write somewhere the caller did not name.
     */
    MSE_ENSURE(lstat(path, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode), MSE_ERR_FILE_WRITE);
    /* Whatever an interrupted earlier write of this file left behind goes now. */
    mse_file_sweep_tmp(s->dir, base);
    MSE_TRY(create_locked_tmp(s->tmp, path, &s->fd));
    MSE_ENSURE_OUT(fchmod(s->fd, (mode_t)mode) == 0, MSE_ERR_FILE_WRITE);
    MSE_CHECK_OUT(write_all(s->fd, data, len));
    MSE_ENSURE_OUT(fsync(s->fd) == 0, MSE_ERR_FILE_WRITE);
    return MSE_OK;
out:
    discard(s);
    return err;
}

static mse_err commit(struct staged *s)
{
    /* Renamed while still locked, so no sweeper takes it for abandoned. */
    if (rename(s->tmp, s->path) != 0) {
        discard(s);
        return MSE_ERR_FILE_WRITE;
    }
    close(s->fd);
    s->fd = -1;
    /* Make the rename itself durable. */
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return MSE_OK;
}

mse_err mse_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    struct staged s;
    MSE_TRY(stage(&s, path, data, len, mode));
    return commit(&s);
}

mse_err mse_file_write_with_record(const char *path, const void *data, size_t len,
                                   const char *record_path, const void *record,
                                   size_t record_len, unsigned mode)
{
    mse_err err = MSE_OK;
    struct staged file = {.fd = -1}, rec = {.fd = -1};
    /* Both new contents are complete on disk before anything visible changes. */
    MSE_CHECK_OUT(stage(&file, path, data, len, mode));
    MSE_CHECK_OUT(stage(&rec, record_path, record, record_len, mode));
    /*
     * The old record goes first, the new one comes last: in between (and if
     * the process dies there) the file has no record, which readers treat as
     * "not verified", never as a record about another file.
     */
    MSE_ENSURE_OUT(unlink(record_path) == 0 || errno == ENOENT, MSE_ERR_FILE_WRITE);
    MSE_CHECK_OUT(commit(&file));
    MSE_CHECK_OUT(commit(&rec));
out:
    discard(&file);
    discard(&rec);
    return err;
}

mse_err mse_dir_temp_create(const char *target, struct mse_dir_temp *t)
{
    t->fd = -1;
    int n = snprintf(t->target, sizeof t->target, "%s", target);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof t->target, MSE_ERR_ARG);
    n = snprintf(t->path, sizeof t->path, "%s" TMP_INFIX "XXXXXX", target);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof t->path, MSE_ERR_ARG);
    for (int attempt = 0; attempt < 8; attempt++) {
        snprintf(t->path, sizeof t->path, "%s" TMP_INFIX "XXXXXX", target);
        MSE_ENSURE(mkdtemp(t->path) != NULL, MSE_ERR_FILE_WRITE);
        int fd = open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        /* As for files: a sweeper may have taken the name before the lock. */
        if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            t->fd = fd;
            return MSE_OK;
        }
        if (fd >= 0)
            close(fd);
    }
    return MSE_ERR_FILE_WRITE;
}

mse_err mse_dir_temp_commit(struct mse_dir_temp *t)
{
    char dir[PATH_MAX];
    const char *base;
    MSE_ENSURE(t->fd >= 0, MSE_ERR_ARG);
    MSE_TRY(split_path(t->target, dir, &base));
    /* Never over an existing directory: that would mix two outputs. */
    MSE_ENSURE(renameat2(AT_FDCWD, t->path, AT_FDCWD, t->target, RENAME_NOREPLACE) == 0,
               MSE_ERR_FILE_WRITE);
    close(t->fd);
    t->fd = -1;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return MSE_OK;
}

void mse_dir_temp_discard(struct mse_dir_temp *t)
{
    if (t->fd < 0)
        return;
    (void)remove_entry(AT_FDCWD, t->path, 0);
    close(t->fd);
    t->fd = -1;
}

mse_err mse_mkdir_parents(const char *path)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s", path);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof tmp, MSE_ERR_LIMIT);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        MSE_ENSURE(mkdir(tmp, 0700) == 0 || errno == EEXIST, MSE_ERR_FILE_WRITE);
        *p = '/';
    }
    return MSE_OK;
}
