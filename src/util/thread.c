/*
 * Starting a helper thread on a CPU its maker is not using (util.h).
 *
 * Why: mse's helper threads (the fingerprint beside the network work, the
 * code listing beside the context read, the hashing workers, the manifest
 * parse beside the measurement) are made by a thread that goes on working at
 * once. On the machines measured (Linux 6.x guests, 2 CPUs), such a thread
 * often waited on its maker's CPU for a scheduler tick (up to about 3.5 ms)
 * before the idle CPU took it: two 6 ms jobs took 9 ms on average and 12 at
 * worst, the same started on the other CPU 6.1 ms. So the thread is created
 * allowed only on the CPUs other than its maker's current one, and widens
 * that back to the process's whole set as its first act: from then on it,
 * and every thread it makes, runs anywhere, as with plain pthread_create.
 * Only where a thread starts changes, never what runs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "util.h"

struct start {
    void *(*fn)(void *);
    void *arg;
    cpu_set_t all; /* the CPUs the process may run on */
};

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    /* If widening fails the thread still runs, on the other CPUs only: only slower. */
    (void)pthread_setaffinity_np(pthread_self(), sizeof s.all, &s.all);
    return s.fn(s.arg);
}

int mse_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    struct start *s = malloc(sizeof *s);
    pthread_attr_t attr;
    cpu_set_t others;
    int here = sched_getcpu();
    if (s == NULL || here < 0 || sched_getaffinity(0, sizeof s->all, &s->all) != 0 ||
        here >= CPU_SETSIZE || !CPU_ISSET(here, &s->all) || CPU_COUNT(&s->all) < 2) {
        free(s);
        return pthread_create(thread, NULL, fn, arg);
    }
    s->fn = fn;
    s->arg = arg;
    others = s->all;
    CPU_CLR(here, &others);
    if (pthread_attr_init(&attr) != 0) {
        free(s);
        return pthread_create(thread, NULL, fn, arg);
    }
    int rc = pthread_attr_setaffinity_np(&attr, sizeof others, &others);
    if (rc == 0)
        rc = pthread_create(thread, &attr, trampoline, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(s);
        return pthread_create(thread, NULL, fn, arg);
    }
    return 0;
}
