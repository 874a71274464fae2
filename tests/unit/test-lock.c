/*
 * The module lock (lock.h): readers together, a writer alone, a waiting
 * writer ahead of new readers, and a lock usable again in a forked child.
 */
#include "unit.h"

#include "lock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static tf_lock the_lock;

/* A writer keeps a == b; a reader that ever sees them differ found a writer beside it. */
static long a, b;
static atomic_long torn, inside, most_inside;

static void *
reader (void *arg)
{
	long n, seen;
	int i;

	(void)arg;
	/* Bounded, not until the writers end: valgrind runs one thread at a time. */
	for (i = 0; i < 5000; i++) {
		tf_lock_take (&the_lock, false);
		n = atomic_fetch_add (&inside, 1) + 1;
		seen = atomic_load (&most_inside);
		while (n > seen && !atomic_compare_exchange_weak (&most_inside, &seen, n))
			;
		if (a != b)
			atomic_fetch_add (&torn, 1);
		atomic_fetch_sub (&inside, 1);
		tf_lock_release (&the_lock);
	}
	return NULL;
}

static void *
writer (void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 200; i++) {
		tf_lock_take (&the_lock, true);
		/* Alone: no reader inside, and the pair is torn for a while. */
		if (atomic_load (&inside) != 0)
			atomic_fetch_add (&torn, 1);
		a++;
		sched_yield ();
		b++;
		tf_lock_release (&the_lock);
	}
	return NULL;
}

static void
test_readers_and_writers (void **state)
{
	pthread_t r[4], w[2];
	int i;

	(void)state;
	tf_lock_init (&the_lock);
	a = b = 0;
	for (i = 0; i < 4; i++)
		assert_int_equal (pthread_create (&r[i], NULL, reader, NULL), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal (pthread_create (&w[i], NULL, writer, NULL), 0);
	for (i = 0; i < 2; i++)
		pthread_join (w[i], NULL);
	for (i = 0; i < 4; i++)
		pthread_join (r[i], NULL);
	assert_int_equal (atomic_load (&torn), 0);
	assert_int_equal (a, 400);
	assert_int_equal (b, 400);
}

static void *
hold_shared (void *arg)
{
	atomic_int *step = arg;

	tf_lock_take (&the_lock, false);
	atomic_store (step, 1);
	while (atomic_load (step) != 2)
		sched_yield ();
	tf_lock_release (&the_lock);
	return NULL;
}

static void
test_readers_share (void **state)
{
	atomic_int step = 0;
	pthread_t t;

	(void)state;
	tf_lock_init (&the_lock);
	assert_int_equal (pthread_create (&t, NULL, hold_shared, &step), 0);
	while (atomic_load (&step) != 1)
		sched_yield ();
	/* Another thread reads: this one gets in beside it. */
	tf_lock_take (&the_lock, false);
	tf_lock_release (&the_lock);
	atomic_store (&step, 2);
	pthread_join (t, NULL);
}

static atomic_int order[3], order_n;

static void *
late_reader (void *arg)
{
	(void)arg;
	tf_lock_take (&the_lock, false);
	order[atomic_fetch_add (&order_n, 1)] = 'r';
	tf_lock_release (&the_lock);
	return NULL;
}

static void *
late_writer (void *arg)
{
	(void)arg;
	tf_lock_take (&the_lock, true);
	order[atomic_fetch_add (&order_n, 1)] = 'w';
	tf_lock_release (&the_lock);
	return NULL;
}

static void
test_waiting_writer_goes_first (void **state)
{
	pthread_t w, r;

	(void)state;
	tf_lock_init (&the_lock);
	atomic_store (&order_n, 0);
	tf_lock_take (&the_lock, false);
	assert_int_equal (pthread_create (&w, NULL, late_writer, NULL), 0);
	/* The writer has announced itself once the flag is up. */
	while (atomic_load (&the_lock.writer) == 0)
		sched_yield ();
	assert_int_equal (pthread_create (&r, NULL, late_reader, NULL), 0);
	usleep (20000);
	/* Neither got in past this thread's shared hold. */
	assert_int_equal (atomic_load (&order_n), 0);
	tf_lock_release (&the_lock);
	pthread_join (w, NULL);
	pthread_join (r, NULL);
	assert_int_equal (atomic_load (&order_n), 2);
	assert_int_equal (order[0], 'w');
	assert_int_equal (order[1], 'r');
}

static void
test_after_fork (void **state)
{
	int status;
	pid_t pid;

	(void)state;
	tf_lock_init (&the_lock);
	tf_lock_take (&the_lock, false);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		/* The child starts over, as the module does in its fork handler. */
		tf_lock_init (&the_lock);
		tf_lock_take (&the_lock, true);
		tf_lock_release (&the_lock);
		_exit (0);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
	tf_lock_release (&the_lock);
	/* Released: a writer gets it at once. */
	tf_lock_take (&the_lock, true);
	tf_lock_release (&the_lock);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test (test_readers_and_writers),
	    cmocka_unit_test (test_readers_share),
	    cmocka_unit_test (test_waiting_writer_goes_first),
	    cmocka_unit_test (test_after_fork),
	};

	/* A lock that never lets go would hang make check: past a minute, fail instead. */
	alarm (60);
	return cmocka_run_group_tests (tests, NULL, NULL);
}
