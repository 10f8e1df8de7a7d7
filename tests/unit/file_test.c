/*
 * Atomic writes: replace regular files only, leave nothing behind on failure.
 * Reads: the one read loop (mse_fd_read_into) with its limit, growing or pre-sized buffers.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "util/util.h"

static void test_write_and_replace(void **state)
{
    char *dir = mse_test_tmpdir();
    char path[4096];
    uint8_t *data;
    size_t len;
    struct stat st;
    snprintf(path, sizeof path, "%s/out.pem", dir);
    assert_int_equal(mse_file_write_atomic(path, "one", 3, 0600), MSE_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(mse_file_write_atomic(path, "second", 6, 0644), MSE_OK);
    assert_int_equal(mse_file_read(path, 100, &data, &len), MSE_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(data, "second", 6);
    free(data);
    assert_int_equal(mse_file_read(path, 3, &data, &len), MSE_ERR_LIMIT);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_refuses_special_files_and_links(void **state)
{
    char *dir = mse_test_tmpdir();
    char link[4096], target[4096];
    struct stat st;
    /* A device is never replaced by a regular file. */
    assert_int_equal(mse_file_write_atomic("/dev/null", "x", 1, 0644), MSE_ERR_FILE_WRITE);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* Nor is a symbolic link (which would redirect the write). */
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(mse_file_write_atomic(target, "t", 1, 0644), MSE_OK);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(mse_file_write_atomic(link, "x", 1, 0644), MSE_ERR_FILE_WRITE);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* A missing directory: error, and no temporary file left anywhere. */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nope/out.pem", dir);
    assert_int_not_equal(mse_file_write_atomic(missing, "x", 1, 0644), MSE_OK);
    mse_test_rmtree(dir);
    free(dir);
}

static void touch(const char *dir, const char *name, char path[4096])
{
    snprintf(path, 4096, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* What a kill -9 between mkstemp and rename leaves is removed by the next write of
 * that file; a temporary file a live writer holds locked, another file's, a link or a
 * FIFO named like one are left alone. */
static void test_sweeps_abandoned_temporary_files(void **state)
{
    char *dir = mse_test_tmpdir();
    char path[4096], dead[4096], live[4096], other[4096], link[4096], fifo[4096], victim[4096];
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    touch(dir, "cert.pem.tmp.Ab12Cd", dead);
    touch(dir, "cert.pem.tmp.LIVE01", live);
    touch(dir, "other.pem.tmp.x1y2z3", other);
    touch(dir, "victim", victim);
    snprintf(link, sizeof link, "%s/cert.pem.tmp.LINK01", dir);
    assert_int_equal(symlink(victim, link), 0);
    snprintf(fifo, sizeof fifo, "%s/cert.pem.tmp.FIFO01", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int held = open(live, O_RDONLY);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX), 0);

    assert_int_equal(mse_file_write_atomic(path, "new", 3, 0644), MSE_OK);
    assert_false(exists(dead));
    assert_true(exists(live));
    assert_true(exists(other));
    assert_true(exists(link) && exists(victim) && exists(fifo));

    /* Once its writer is gone (the lock is released with it), it goes too. */
    close(held);
    assert_int_equal(mse_file_write_atomic(path, "newer", 5, 0644), MSE_OK);
    assert_false(exists(live));
    assert_true(exists(other));
    /* A sweep of the whole directory takes every target's. */
    mse_file_sweep_tmp(dir, NULL);
    assert_false(exists(other));
    assert_true(exists(path) && exists(victim));

    /* Names that only look similar are not temporary files. */
    char near1[4096], near2[4096];
    touch(dir, "cert.pem.tmp.short", near1);
    touch(dir, ".tmp.ABCDEF", near2);
    mse_file_sweep_tmp(dir, NULL);
    mse_file_sweep_tmp(dir, "cert.pem");
    assert_true(exists(near1) && exists(near2));
    mse_test_rmtree(dir);
    free(dir);
}

static void expect_contents(const char *path, const char *want)
{
    uint8_t *data;
    size_t len;
    assert_int_equal(mse_file_read(path, 100, &data, &len), MSE_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    free(data);
}

/* A file and its record are replaced together; a failure before anything is visible
 * leaves the old pair, and no temporary file either way. */
static void test_write_with_record(void **state)
{
    char *dir = mse_test_tmpdir();
    char cert[4096], rec[4096], tmpname[4096];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(rec, sizeof rec, "%s/cert.pem.verify.json", dir);
    assert_int_equal(mse_file_write_with_record(cert, "A", 1, rec, "rec A", 5, 0644), MSE_OK);
    expect_contents(cert, "A");
    expect_contents(rec, "rec A");
    /* Interrupted earlier writes of either file are swept. */
    touch(dir, "cert.pem.tmp.000001", tmpname);
    touch(dir, "cert.pem.verify.json.tmp.000002", tmpname);
    assert_int_equal(mse_file_write_with_record(cert, "B", 1, rec, "rec B", 5, 0644), MSE_OK);
    expect_contents(cert, "B");
    expect_contents(rec, "rec B");
    /* The record cannot be written (its name is a directory): nothing changes. */
    char other[4096], other_rec[4096];
    snprintf(other, sizeof other, "%s/o.pem", dir);
    snprintf(other_rec, sizeof other_rec, "%s/o.pem.verify.json", dir);
    assert_int_equal(mse_file_write_atomic(other, "old", 3, 0644), MSE_OK);
    assert_int_equal(mkdir(other_rec, 0700), 0);
    assert_int_equal(mse_file_write_with_record(other, "new", 3, other_rec, "r", 1, 0644),
                     MSE_ERR_FILE_WRITE);
    expect_contents(other, "old");
    /* Only the four names remain: no temporary file. */
    int entries = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            entries++;
    closedir(d);
    assert_int_equal(entries, 4);
    mse_test_rmtree(dir);
    free(dir);
}

/* The growable buffer: exact first size, doubling after, never past limit + 1, contents kept. */
static void test_buf_grow(void **state)
{
    struct mse_buf b = {0};
    assert_int_equal(mse_buf_grow(&b, 10, 100000), MSE_OK);
    assert_int_equal(b.cap, 4096);
    memcpy(b.data, "kept", 4);
    assert_int_equal(mse_buf_grow(&b, 5000, 100000), MSE_OK);
    assert_int_equal(b.cap, 8192);
    assert_memory_equal(b.data, "kept", 4);
    assert_int_equal(mse_buf_grow(&b, 70000, 100000), MSE_OK);
    assert_int_equal(b.cap, 70000);
    assert_int_equal(mse_buf_grow(&b, 70001, 100000), MSE_OK);
    assert_int_equal(b.cap, 100001); /* doubling stops at limit + 1 */
    assert_memory_equal(b.data, "kept", 4);
    assert_int_equal(mse_buf_grow(&b, 100002, 100000), MSE_ERR_LIMIT);
    assert_int_equal(b.cap, 100001);
    mse_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

/* A file written with `len` bytes of a pattern; returns its open descriptor. */
static int pattern_file(const char *dir, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 7 + (i >> 8));
    mse_test_write(dir, "pattern", p, len);
    free(p);
    char path[4096];
    snprintf(path, sizeof path, "%s/pattern", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void test_fd_read_into(void **state)
{
    char *dir = mse_test_tmpdir();
    struct mse_buf b = {0};
    size_t len = 0;
    /* From an empty buffer, through several growths: all bytes, room for a terminator. */
    int fd = pattern_file(dir, 100000);
    assert_int_equal(mse_fd_read_into(fd, 100000, &b, &len), MSE_OK);
    close(fd);
    assert_int_equal(len, 100000);
    assert_true(b.cap > len);
    for (size_t i = 0; i < len; i += 997)
        assert_int_equal(b.data[i], (uint8_t)(i * 7 + (i >> 8)));
    /* The same buffer again, for a smaller file: read from offset 0, no growth. */
    size_t cap = b.cap;
    fd = pattern_file(dir, 3);
    assert_int_equal(mse_fd_read_into(fd, 100000, &b, &len), MSE_OK);
    close(fd);
    assert_int_equal(len, 3);
    assert_int_equal(b.cap, cap);
    assert_memory_equal(b.data, "\x00\x07\x0e", 3);
    mse_buf_free(&b);
    /* One byte past the limit is refused, also when it fits in the buffer. */
    fd = pattern_file(dir, 5001);
    assert_int_equal(mse_fd_read_into(fd, 5000, &b, &len), MSE_ERR_LIMIT);
    close(fd);
    fd = pattern_file(dir, 5001);
    assert_int_equal(mse_buf_grow(&b, 8000, 9000), MSE_OK);
    assert_int_equal(mse_fd_read_into(fd, 5000, &b, &len), MSE_ERR_LIMIT);
    close(fd);
    mse_buf_free(&b);
    /* Exactly the limit is accepted; so is an empty file. */
    fd = pattern_file(dir, 5000);
    assert_int_equal(mse_fd_read_into(fd, 5000, &b, &len), MSE_OK);
    close(fd);
    assert_int_equal(len, 5000);
    fd = pattern_file(dir, 0);
    assert_int_equal(mse_fd_read_into(fd, 5000, &b, &len), MSE_OK);
    close(fd);
    assert_int_equal(len, 0);
    mse_buf_free(&b);
    /* Not readable (a directory): an I/O error. */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(mse_fd_read_into(fd, 5000, &b, &len), MSE_ERR_IO);
    close(fd);
    mse_buf_free(&b);
    mse_test_rmtree(dir);
    free(dir);
}

/* mse_file_read of a file whose size says nothing (/proc: st_size 0) grows as it reads. */
static void test_file_read_unsized(void **state)
{
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(mse_file_read("/proc/self/status", 1 << 20, &data, &len), MSE_OK);
    assert_true(len > 0);
    assert_int_equal(data[len], '\0');
    assert_non_null(strstr((const char *)data, "Name:"));
    free(data);
    assert_int_equal(mse_file_read("/proc/self/status", 10, &data, &len), MSE_ERR_LIMIT);
}

/* The directories above a path, and only those: the last component is the caller's. */
static void test_mkdir_parents(void **state)
{
    char *dir = mse_test_tmpdir();
    char path[4096], blocker[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/a/b/c/file.enc", dir);
    assert_int_equal(mse_mkdir_parents(path), MSE_OK);
    snprintf(blocker, sizeof blocker, "%s/a/b/c", dir);
    assert_int_equal(stat(blocker, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), -1); /* not the last component */
    /* Existing directories are kept as they are. */
    assert_int_equal(chmod(blocker, 0750), 0);
    assert_int_equal(mse_mkdir_parents(path), MSE_OK);
    assert_int_equal(stat(blocker, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    /* A file where a directory must be. */
    mse_test_write(dir, "plain", "x", 1);
    snprintf(path, sizeof path, "%s/plain/sub/file", dir);
    assert_int_equal(mse_mkdir_parents(path), MSE_ERR_FILE_WRITE);
    /* Longer than PATH_MAX. */
    char *long_path = malloc(PATH_MAX + 16);
    assert_non_null(long_path);
    memset(long_path, 'a', PATH_MAX + 15);
    long_path[0] = '/';
    long_path[PATH_MAX + 15] = '\0';
    assert_int_equal(mse_mkdir_parents(long_path), MSE_ERR_LIMIT);
    free(long_path);
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_replace),
        cmocka_unit_test(test_refuses_special_files_and_links),
        cmocka_unit_test(test_sweeps_abandoned_temporary_files),
        cmocka_unit_test(test_write_with_record),
        cmocka_unit_test(test_buf_grow),
        cmocka_unit_test(test_fd_read_into),
        cmocka_unit_test(test_file_read_unsized),
        cmocka_unit_test(test_mkdir_parents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
