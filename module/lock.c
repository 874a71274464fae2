/*
 * The module lock (lock.h). A reader adds itself to its slot, then looks for
 * a writer; a writer announces itself, then waits for every slot to empty.
 * Both steps are sequentially consistent, so of a reader and a writer that
 * come at once at least one sees the other: the reader backs off and waits
 * on the writers' mutex, or the writer waits for the reader to leave.
 */
#include "lock.h"

#include <sched.h>
#include <time.h>

/* Held by this thread: NONE, EXCLUSIVE, or the slot it reads under. */
#define HELD_NONE      (-1)
#define HELD_EXCLUSIVE (-2)

static atomic_uint next_slot;
static _Thread_local int my_slot = -1; /* none taken yet */
static _Thread_local int held = HELD_NONE;

void
tf_lock_init (tf_lock *l)
{
	int i;

	for (i = 0; i < TF_LOCK_SLOTS; i++)
		atomic_init (&l->slots[i].readers, 0);
	atomic_init (&l->writer, 0);
	pthread_mutex_init (&l->writers, NULL);
	/* After fork only the forking thread lives on, holding nothing. */
	held = HELD_NONE;
}

/* This thread's slot: threads take them in turn, so a few never share one. */
static int
slot_of_thread (void)
{
	if (my_slot < 0)
		my_slot = (int)(atomic_fetch_add_explicit (&next_slot, 1, memory_order_relaxed) %
		                TF_LOCK_SLOTS);
	return my_slot;
}

/* Readers leave within microseconds: yield first, then sleep a little. */
static void
wait_a_little (unsigned *spins)
{
	struct timespec ts = {0, 20000};

	if (++*spins < 64)
		sched_yield ();
	else
		nanosleep (&ts, NULL);
}

static void
take_shared (tf_lock *l)
{
	tf_lock_slot *s = &l->slots[slot_of_thread ()];

	for (;;) {
		atomic_fetch_add_explicit (&s->readers, 1, memory_order_seq_cst);
		if (atomic_load_explicit (&l->writer, memory_order_seq_cst) == 0)
			break;
		/* A writer holds the lock or waits for it: let it go first. */
		atomic_fetch_sub_explicit (&s->readers, 1, memory_order_release);
		pthread_mutex_lock (&l->writers);
		pthread_mutex_unlock (&l->writers);
	}
	held = (int)(s - l->slots);
}

static void
take_exclusive (tf_lock *l)
{
	unsigned spins = 0;
	int i;

	pthread_mutex_lock (&l->writers);
	atomic_store_explicit (&l->writer, 1, memory_order_seq_cst);
	for (i = 0; i < TF_LOCK_SLOTS; i++) {
		while (atomic_load_explicit (&l->slots[i].readers, memory_order_seq_cst) != 0)
			wait_a_little (&spins);
	}
	held = HELD_EXCLUSIVE;
}

void
tf_lock_take (tf_lock *l, bool exclusive)
{
	if (exclusive)
		take_exclusive (l);
	else
		take_shared (l);
}

void
tf_lock_release (tf_lock *l)
{
	int was = held;

	held = HELD_NONE;
	if (was == HELD_EXCLUSIVE) {
		atomic_store_explicit (&l->writer, 0, memory_order_release);
		pthread_mutex_unlock (&l->writers);
	} else if (was >= 0) {
		atomic_fetch_sub_explicit (&l->slots[was].readers, 1, memory_order_release);
	}
}
