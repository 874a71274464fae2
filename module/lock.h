/*
 * The module lock: many readers or one writer, where a reader writes only a
 * cache line of its own.
 *
 * A pthread rwlock keeps its reader count in one word, so every shared
 * acquisition and release is a write to a line all threads share. A trust
 * lookup is four PKCS#11 calls, each taking the lock; with two threads on
 * two cores that line moved between them eight times per lookup, and two
 * threads did 1.3 times the lookups of one over 150 certificates. Here a
 * reader counts itself in one of several padded slots (threads spread over
 * them), and only a writer reads them all.
 *
 * Writers are preferred: once a writer announces itself, new readers wait
 * for it, so a stream of lookups cannot starve a write.
 */
#ifndef TF_LOCK_H
#define TF_LOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define TF_LOCK_SLOTS 16

typedef struct {
	_Alignas(64) atomic_long readers;
} tf_lock_slot;

typedef struct {
	tf_lock_slot slots[TF_LOCK_SLOTS];
	_Alignas(64) atomic_int writer; /* a writer holds or wants the lock */
	pthread_mutex_t writers;        /* held by the writer; readers queue on it */
} tf_lock;

/* Initializes l unlocked; also after fork, whatever state l was in. */
void tf_lock_init (tf_lock *l);

/* Takes l shared (exclusive false) or exclusive. Not recursive. */
void tf_lock_take (tf_lock *l, bool exclusive);

/* Releases what this thread took with tf_lock_take. */
void tf_lock_release (tf_lock *l);

#endif /* TF_LOCK_H */
