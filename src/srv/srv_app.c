/*
 * The app process: started with /bin/sh -c in the app directory, in its own
 * process group so that stopping it reaches every process it spawned.
 * MSE_APP_PORT tells it where to listen (127.0.0.1 only).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mse/guard.h>

#include "srv_int.h"

#define STOP_GRACE_MS 2000

mse_err srv_app_start(struct srv *s)
{
    const struct srv_config *c = s->cfg;
    char port[8];
    MSE_ENSURE(c->app_cmd != NULL && c->app_dir != NULL, MSE_ERR_ARG_MISSING);
    snprintf(port, sizeof port, "%u", (unsigned)c->app_port);
    fflush(stderr);
    pid_t pid = fork();
    MSE_ENSURE(pid >= 0, MSE_ERR_INTERNAL);
    if (pid == 0) {
        /* Child: own process group, app directory, default signal handling. */
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (chdir(c->app_dir) != 0) {
            fprintf(stderr, "mse-enclave: cannot enter %s: %s\n", c->app_dir, strerror(errno));
            _exit(127);
        }
        setenv("MSE_APP_PORT", port, 1);
        setenv("MSE_APP_HOST", "127.0.0.1", 1);
        execl("/bin/sh", "sh", "-c", c->app_cmd, (char *)NULL);
        _exit(127);
    }
    /* Also from the parent, so a kill right after fork reaches the group. */
    setpgid(pid, pid);
    s->app_pid = pid;
    s->app_pgid = pid;
    srv_log("app started (pid %d) on 127.0.0.1:%s: %s", (int)pid, port, c->app_cmd);
    return MSE_OK;
}

void srv_app_reap(struct srv *s)
{
    int status = 0;
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
        if (r != s->app_pid)
            continue;
        s->app_pid = 0;
        if (WIFEXITED(status))
            srv_log("the app exited with status %d; requests now get 502", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            srv_log("the app was killed by signal %d; requests now get 502", WTERMSIG(status));
    }
}

void srv_app_stop(struct srv *s)
{
    if (s->app_pgid <= 0)
        return;
    pid_t pgid = s->app_pgid, pid = s->app_pid;
    s->app_pgid = 0;
    s->app_pid = 0;
    kill(-pgid, SIGTERM);
    for (int waited = 0; pid > 0 && waited < STOP_GRACE_MS; waited += 50) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            pid = 0;
            break;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Whatever is left of the group (the leader after the grace period, its children). */
    kill(-pgid, SIGKILL);
    if (pid > 0) {
        (void)waitpid(pid, NULL, 0);
        srv_log("app killed after %d ms", STOP_GRACE_MS);
    } else {
        srv_log("app stopped");
    }
}
