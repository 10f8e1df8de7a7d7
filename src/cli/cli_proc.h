/*
 * Child processes for `mse trust` (NSS's certutil) and `mse demo` (the
 * simulator, the enclave server, `mse verify`). Programs are started with
 * posix_spawn and an argv array: never through a shell, so no argument is
 * ever re-parsed.
 */
#ifndef MSE_CLI_PROC_H
#define MSE_CLI_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include <mse/err.h>

/*
 * Run argv (argv[0] looked up in PATH; argv NULL-terminated) in a new session
 * (no controlling terminal) with stdin from /dev/null, so a tool that would
 * prompt fails instead of waiting for an answer, and with stdout
 * and stderr captured together into *out (malloc'd, NUL-terminated, at most
 * `limit` bytes kept; the rest is read and dropped). The child is killed if it
 * runs longer than `timeout_ms`.
 * *status is the exit code, or 128 + signal number if it was killed.
 * Errors: MSE_ERR_FILE_NOT_FOUND (no such program), MSE_ERR_IO (spawn or pipe
 * failure, or the timeout: then *status is 128 + SIGKILL), MSE_ERR_NOMEM.
 */
MSE_MUST_USE mse_err cli_proc_capture(char *const argv[], size_t limit, int timeout_ms,
                                      int *status, char **out, size_t *out_len);

/*
 * Start argv (argv[0] is a path, not searched) in a new process group of its
 * own, with stdin from /dev/null and stdout and stderr appended to `log_path`
 * (or inherited when log_path is NULL). The group id equals *pid, so the
 * whole group can be ended with cli_proc_stop.
 */
MSE_MUST_USE mse_err cli_proc_start(char *const argv[], const char *log_path, pid_t *pid);

/*
 * End a process group started by cli_proc_start: SIGTERM to the group, wait up
 * to `grace_ms` for the leader, then SIGKILL to the group, then reap the
 * leader. Safe to call with pid <= 0 (does nothing). Returns the leader's
 * wait status as cli_proc_capture's *status does, or -1 if it was already
 * reaped.
 */
int cli_proc_stop(pid_t pid, int grace_ms);

/* Whether the process is still running (not yet exited); reaps it if it has exited,
 * storing its status (as above) in *status when status is not NULL. */
int cli_proc_alive(pid_t pid, int *status);

/* Sleep for ms milliseconds; returns early if a signal arrives (the caller re-checks). */
void cli_proc_sleep_ms(int ms);

#endif
