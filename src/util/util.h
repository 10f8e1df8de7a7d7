/*
 * Helpers for the CLI and the servers (not part of libmse's pure core):
 * whole-file reads with a size limit, atomic writes, the clock.
 */
#ifndef MSE_UTIL_H
#define MSE_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/* Read a whole file into a malloc'd buffer (NUL-terminated, not counted in *len).
 * Refuses files larger than `limit` (MSE_ERR_LIMIT). Errors: MSE_ERR_FILE_NOT_FOUND,
 * MSE_ERR_IO, MSE_ERR_NOMEM. */
MSE_MUST_USE mse_err mse_file_read(const char *path, size_t limit, uint8_t **data, size_t *len);

/*
 * A growable byte buffer that may hold secrets (plain code, keys): growing
 * moves the contents to a new allocation and wipes the old one, which realloc
 * would leave behind unwiped. Zero-initialise; release with mse_buf_free.
 */
struct mse_buf {
    uint8_t *data;
    size_t cap;
};
/* Room for `want` bytes, keeping the contents: the first allocation is exactly `want`
 * (at least a page), later ones at least double, none past limit + 1 (MSE_ERR_LIMIT when
 * want is larger). MSE_ERR_NOMEM. */
MSE_MUST_USE mse_err mse_buf_grow(struct mse_buf *b, size_t want, size_t limit);
/* Wipe and free the buffer; it is empty (zeroed) afterwards. */
void mse_buf_free(struct mse_buf *b);

/*
 * Read fd to its end into b from offset 0, growing b as needed (so a caller
 * that sized b beforehand, e.g. from fstat, reads with no reallocation).
 * On success *len bytes were read and b->cap > *len: there is room for a
 * terminator. More than `limit` bytes is MSE_ERR_LIMIT; MSE_ERR_IO, MSE_ERR_NOMEM.
 */
MSE_MUST_USE mse_err mse_fd_read_into(int fd, size_t limit, struct mse_buf *b, size_t *len);

struct stat;
/* The rest of fd into a malloc'd buffer, NUL-terminated, as mse_file_read reads a path,
 * for a caller that opened and judged the file itself: st (fd's fstat) sizes the buffer
 * of a regular file, read then with one allocation. Same errors as mse_file_read. */
MSE_MUST_USE mse_err mse_fd_read_all(int fd, const struct stat *st, size_t limit, uint8_t **data,
                                     size_t *len);

/* Write `len` bytes to `path` atomically: a temporary file in the same
 * directory ("<path>.tmp.XXXXXX", locked with flock(2) until renamed), fsync,
 * rename over the target, fsync of the directory. The file gets `mode` (e.g.
 * 0600 for secrets, 0644 otherwise). On error the previous file, if any, is
 * untouched and no temporary file is left; temporary files of earlier writes
 * of `path` that were interrupted (killed) are removed first. */
MSE_MUST_USE mse_err mse_file_write_atomic(const char *path, const void *data, size_t len,
                                           unsigned mode);

/* Create the missing directories above `path` (mode 0700; existing ones are kept as they
 * are). MSE_ERR_LIMIT for a path over PATH_MAX, MSE_ERR_FILE_WRITE if one cannot be made. */
MSE_MUST_USE mse_err mse_mkdir_parents(const char *path);

/*
 * Replace `path` and its record `record_path` (e.g. cert.pem and
 * cert.pem.verify.json) so that a record, whenever one exists, was written
 * together with the file beside it: both are written and synced under
 * temporary names first, then the old record is removed, the file renamed
 * into place, and the record renamed last. An interruption at any point
 * leaves the old pair, the old file without a record, or the new file without
 * a record; readers must still check that the record names the file (its
 * SHA-256), as two concurrent writers can interleave. On error the file may
 * be left without a record, never with a wrong one. Errors as
 * mse_file_write_atomic.
 */
MSE_MUST_USE mse_err mse_file_write_with_record(const char *path, const void *data, size_t len,
                                                const char *record_path, const void *record,
                                                size_t record_len, unsigned mode);

/*
 * Remove the temporary files that interrupted mse_file_write_atomic calls left
 * in `dir`, and the temporary directories of interrupted mse_dir_temp users:
 * those of target `prefix` (a file name, no '/'), or of any target when
 * prefix is NULL. Only regular files and directories of this user that no
 * live writer holds locked are removed (a directory with all it holds, links
 * not followed); errors are ignored (best effort, never fatal).
 */
void mse_file_sweep_tmp(const char *dir, const char *prefix);

/*
 * A directory written under a temporary name and renamed into place once
 * complete ("<target>.tmp.XXXXXX", locked with flock(2) meanwhile): a killed
 * writer's directory is removed by mse_file_sweep_tmp like a file.
 */
struct mse_dir_temp {
    char target[4096]; /* the final name */
    char path[4096];   /* the temporary directory, written into by the caller */
    int fd;            /* holds the lock; -1 once committed or discarded */
};
/* Create the temporary directory (0700). MSE_ERR_ARG, MSE_ERR_FILE_WRITE. */
MSE_MUST_USE mse_err mse_dir_temp_create(const char *target, struct mse_dir_temp *t);
/* Rename it to its target, which must not exist. MSE_ERR_FILE_WRITE (then still discardable). */
MSE_MUST_USE mse_err mse_dir_temp_commit(struct mse_dir_temp *t);
/* Remove it and everything in it (links are not followed); nothing once committed. */
void mse_dir_temp_discard(struct mse_dir_temp *t);

/*
 * Leave a one-line reason in errbuf (when errbuf is not NULL) and return err,
 * so an error path reads `return mse_say(errbuf, errlen, MSE_ERR_X, "...", ...);`.
 */
MSE_MUST_USE mse_err mse_say(char *errbuf, size_t errlen, mse_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * pthread_create(thread, NULL, fn, arg), the thread started on a CPU other
 * than the caller's current one when the process may use more than one (a
 * made thread otherwise often waits a scheduler tick on its busy maker's CPU;
 * thread.c); it may run on all of them from its first instruction of fn on.
 * Returns pthread_create's result.
 */
int mse_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Current UTC time in seconds (the only wall-clock read in mse). */
int64_t mse_time_now(void);

/* Milliseconds on the monotonic clock, from an arbitrary origin: for deadlines and
 * intervals, which must not jump when the wall clock is set. */
int64_t mse_monotonic_ms(void);

#endif
