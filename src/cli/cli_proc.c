/*
 * Child processes for the CLI: posix_spawn with an argv array (no shell),
 * captured output with a size limit and a deadline, process groups that can
 * be ended as a whole. See cli_proc.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mse/guard.h>

#include "cli_proc.h"
#include "util/util.h"

extern char **environ;

void cli_proc_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int decode_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 255;
}

/*
 * Children start with default signal dispositions and an empty mask, whatever
 * the parent (mse demo blocks or catches SIGINT/SIGTERM) has set.
 */
static int attr_init(posix_spawnattr_t *attr, short extra_flags)
{
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawnattr_init(attr) != 0)
        return -1;
    if (posix_spawnattr_setsigmask(attr, &none) != 0 ||
        posix_spawnattr_setsigdefault(attr, &all) != 0 ||
        posix_spawnattr_setflags(attr, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                               extra_flags)) != 0) {
        posix_spawnattr_destroy(attr);
        return -1;
    }
    return 0;
}

mse_err cli_proc_capture(char *const argv[], size_t limit, int timeout_ms, int *status,
                         char **out, size_t *out_len)
{
    mse_err err = MSE_OK;
    int fds[2] = {-1, -1};
    pid_t pid = -1;
    char *buf = NULL;
    size_t used = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int have_fa = 0, have_attr = 0;

    *status = -1;
    *out = NULL;
    *out_len = 0;
    buf = malloc(limit + 1);
    MSE_ENSURE_OUT(buf != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(pipe2(fds, O_CLOEXEC) == 0, MSE_ERR_IO);
    MSE_ENSURE_OUT(posix_spawn_file_actions_init(&fa) == 0, MSE_ERR_IO);
    have_fa = 1;
    MSE_ENSURE_OUT(posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) ==
                       0,
                   MSE_ERR_IO);
    MSE_ENSURE_OUT(posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) == 0, MSE_ERR_IO);
    MSE_ENSURE_OUT(posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO) == 0, MSE_ERR_IO);
    /* A session of its own: no controlling terminal, so a tool that would open
     * /dev/tty to prompt (certutil asking for a database password) fails at once. */
    MSE_ENSURE_OUT(attr_init(&attr, POSIX_SPAWN_SETSID) == 0, MSE_ERR_IO);
    have_attr = 1;
    int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    if (rc != 0) {
        pid = -1;
        MSE_GOTO_OUT(rc == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO);
    }
    close(fds[1]);
    fds[1] = -1;

    /* Read until EOF or the deadline; keep at most `limit` bytes. */
    int64_t deadline = mse_monotonic_ms() + timeout_ms;
    int timed_out = 0;
    for (;;) {
        int64_t left = deadline - mse_monotonic_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno == EINTR)
            continue;
        MSE_ENSURE_OUT(n >= 0, MSE_ERR_IO);
        if (n == 0)
            continue;
        char chunk[4096];
        ssize_t r = read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (take > limit - used)
            take = limit - used;
        memcpy(buf + used, chunk, take);
        used += take;
    }
    if (timed_out)
        kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    *status = decode_status(wstatus);
    buf[used] = '\0';
    MSE_ENSURE_OUT(!timed_out, MSE_ERR_IO);
    *out = buf;
    *out_len = used;
    buf = NULL;
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (have_fa)
        posix_spawn_file_actions_destroy(&fa);
    if (have_attr)
        posix_spawnattr_destroy(&attr);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free(buf);
    return err;
}

mse_err cli_proc_start(char *const argv[], const char *log_path, pid_t *pid)
{
    mse_err err = MSE_OK;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int have_fa = 0, have_attr = 0;

    *pid = -1;
    MSE_ENSURE_OUT(posix_spawn_file_actions_init(&fa) == 0, MSE_ERR_IO);
    have_fa = 1;
    MSE_ENSURE_OUT(posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) ==
                       0,
                   MSE_ERR_IO);
    if (log_path) {
        MSE_ENSURE_OUT(posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path,
                                                        O_WRONLY | O_CREAT | O_APPEND, 0600) == 0,
                       MSE_ERR_IO);
        MSE_ENSURE_OUT(posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO) == 0,
                       MSE_ERR_IO);
    }
    /* Its own process group (pgid = pid): one kill(-pid) ends it and anything it starts. */
    MSE_ENSURE_OUT(attr_init(&attr, POSIX_SPAWN_SETPGROUP) == 0, MSE_ERR_IO);
    have_attr = 1;
    MSE_ENSURE_OUT(posix_spawnattr_setpgroup(&attr, 0) == 0, MSE_ERR_IO);
    int rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
    if (rc != 0) {
        *pid = -1;
        MSE_GOTO_OUT(rc == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO);
    }
out:
    if (have_fa)
        posix_spawn_file_actions_destroy(&fa);
    if (have_attr)
        posix_spawnattr_destroy(&attr);
    return err;
}

int cli_proc_alive(pid_t pid, int *status)
{
    int wstatus = 0;
    if (pid <= 0)
        return 0;
    pid_t r = waitpid(pid, &wstatus, WNOHANG);
    if (r == 0)
        return 1;
    if (r == pid && status)
        *status = decode_status(wstatus);
    return 0;
}

int cli_proc_stop(pid_t pid, int grace_ms)
{
    int wstatus = 0;
    if (pid <= 0)
        return -1;
    kill(-pid, SIGTERM);
    for (int waited = 0; waited <= grace_ms; waited += 20) {
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) {
            /* The leader is gone; anything left in its group goes too. */
            kill(-pid, SIGKILL);
            return decode_status(wstatus);
        }
        if (r < 0 && errno != EINTR)
            return -1;
        cli_proc_sleep_ms(20);
    }
    kill(-pid, SIGKILL);
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return decode_status(wstatus);
}
