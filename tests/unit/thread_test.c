/*
 * mse_thread_start (src/util/thread.c): the thread runs fn(arg) and its
 * result comes back through pthread_join, as with pthread_create; by the time
 * fn runs it may use every CPU the process may (the start on another CPU is
 * undone), and so may the threads it makes. With one allowed CPU it is a
 * plain pthread_create.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "testlib.h"
#include "util/util.h"

struct seen {
    int value;
    cpu_set_t mask;      /* the thread's own, from inside fn */
    cpu_set_t child;     /* that of a thread fn makes with pthread_create */
};

static void *child_fn(void *arg)
{
    struct seen *s = arg;
    sched_getaffinity(0, sizeof s->child, &s->child);
    return NULL;
}

static void *fn(void *arg)
{
    struct seen *s = arg;
    pthread_t t;
    s->value++;
    sched_getaffinity(0, sizeof s->mask, &s->mask);
    if (pthread_create(&t, NULL, child_fn, s) == 0)
        pthread_join(t, NULL);
    return &s->value;
}

static void start_and_check(const cpu_set_t *all)
{
    for (int k = 0; k < 20; k++) {
        struct seen s;
        pthread_t t;
        void *ret = NULL;
        memset(&s, 0, sizeof s);
        s.value = k;
        assert_int_equal(mse_thread_start(&t, fn, &s), 0);
        assert_int_equal(pthread_join(t, &ret), 0);
        assert_ptr_equal(ret, &s.value);
        assert_int_equal(s.value, k + 1);
        assert_true(CPU_EQUAL(&s.mask, all));
        assert_true(CPU_EQUAL(&s.child, all));
    }
}

static void test_runs_fn_on_every_cpu_allowed(void **state)
{
    cpu_set_t all;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    start_and_check(&all);
}

static void test_one_cpu_is_plain_create(void **state)
{
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    start_and_check(&one);
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_fn_on_every_cpu_allowed),
        cmocka_unit_test(test_one_cpu_is_plain_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
