/*
 * One module's measurements at one N, in a process of its own (so that its
 * peak memory is that module's), on a store that already holds the N
 * certificates. Reads come first, on exactly N; writes after them.
 *
 * Repeated workloads run until BENCH_BUDGET seconds (or a sample cap) have
 * passed, after an unmeasured pass over the sample; each sample is one
 * operation as its client issues it (ops.c), timed with CLOCK_MONOTONIC.
 *
 * This kind of machine (a VM with two vCPUs) has spells of seconds in which
 * the same code runs at half speed. A lookup's samples are taken in three
 * rounds, and the median reported is the lowest round's, with all three
 * named; thread counts take turns in short slices, so that a slow spell
 * falls on each alike.
 */
#include "bench.h"
#include "report.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SAMPLE_MAX     4096   /* stored certificates the lookups ask about */
#define OPS_MAX	       100000 /* samples per read workload */
#define ROUNDS	       3   /* rounds of a lookup workload; the best median counts */
#define SLICES	       6   /* turns each thread count takes */
#define COLD_MAX       30
#define DECISIONS_MAX  300
#define CROSS_MAX      30
#define BULK_COUNT     2000 /* certificates in one bulk import */
#define BULK_ROUNDS    3    /* imports, one after the other, for a module with batches */

/* Which extras each write workload uses (data.h: BENCH_EXTRAS of them). */
#define EXTRA_BULK     0
#define EXTRA_DECISION (EXTRA_BULK + BULK_ROUNDS * BULK_COUNT)
#define EXTRA_CROSS    (EXTRA_DECISION + 500)
#define EXTRA_SESSION  (EXTRA_CROSS + 499)
_Static_assert (EXTRA_SESSION < BENCH_EXTRAS && DECISIONS_MAX < 500 && CROSS_MAX < 499,
		"the write workloads need extras of their own");

typedef struct {
	const bench_env *env;
	bench_module m;
	bench_data sample; /* stored certificates, then the extras */
	size_t nstored;	   /* how many of sample are stored ones */
	unsigned *order;   /* a shuffled order of the stored ones */
	CK_SESSION_HANDLE ro, rw;
} ctx;

/*
 * About SAMPLE_MAX of the stored certificates, picked by a hash of their
 * place in the file, and every extra. Not every k-th: renewal groups follow
 * a pattern in the file, and a stride in step with it chose certificates
 * with fewer siblings at one N than at another (a search by subject found
 * 2.0 at 100,000, 2.4 at 10,000, 2.6 at 150), so sizes were not compared
 * on the same work.
 */
static bool
keep_sample (void *data, unsigned index, const bench_file_hdr *hdr)
{
	unsigned stride = hdr->stored > SAMPLE_MAX ? hdr->stored / SAMPLE_MAX : 1;
	uint64_t h = index * 0x9e3779b97f4a7c15ull;

	(void)data;
	if (index >= hdr->stored)
		return true;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h % stride == 0;
}

static uint64_t
xorshift (uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static bench_cert *
extra (ctx *x, unsigned k)
{
	return &x->sample.certs[x->nstored + k];
}

static double
secs_since (uint64_t t0)
{
	return (double)(bench_now_ns () - t0) / 1e9;
}

static void
emit_samples (const char *key, bench_samples *s, const char *note)
{
	double median, p99;

	bench_samples_summary (s, &median, &p99);
	bench_emit ("ok %s %zu %.1f %.1f %s", key, s->n, median, p99, note);
}

/* ---- cold start ------------------------------------------------------------ */

/* Cold-start samples: the whole, and its steps. */
typedef struct {
	bench_samples total;
	bench_samples phase[5]; /* process start, dlopen, C_Initialize, C_OpenSession, lookup */
	unsigned wrong;
} cold_samples;

/* t: main, library loaded, C_Initialize returned, session open, answer. */
static void
cold_add (cold_samples *cs, uint64_t t_spawn, const unsigned long long t[5], unsigned long found)
{
	unsigned i;

	if (found != 1)
		cs->wrong++;
	bench_samples_add (&cs->total, (double)(t[4] - t_spawn));
	bench_samples_add (&cs->phase[0], (double)(t[0] - t_spawn));
	for (i = 1; i < 5; i++)
		bench_samples_add (&cs->phase[i], (double)(t[i] - t[i - 1]));
}

static void
cold_emit (cold_samples *cs)
{
	double median, p99, m[5];
	char note[240];
	unsigned i;

	for (i = 0; i < 5; i++) {
		bench_samples_summary (&cs->phase[i], &m[i], &p99);
		bench_samples_free (&cs->phase[i]);
	}
	snprintf (note, sizeof (note),
		  "medians: process start %.2f ms, dlopen %.2f ms, C_Initialize %.2f ms, "
		  "C_OpenSession %.2f ms, first lookup %.2f ms%s",
		  m[0] / 1e6, m[1] / 1e6, m[2] / 1e6, m[3] / 1e6, m[4] / 1e6,
		  cs->wrong ? "; WRONG ANSWERS" : "");
	bench_samples_summary (&cs->total, &median, &p99);
	bench_emit ("ok cold %zu %.1f %.1f %s", cs->total.n, median, p99, note);
	bench_samples_free (&cs->total);
}

/*
 * More fresh processes of this program's "cold" mode, each timed from spawn
 * to its answer, while the store still holds N. This process was the first
 * sample; the others follow only when a start is quick enough to repeat.
 */
static void
cold_children (ctx *x, cold_samples *cs)
{
	char issuer[2 * 1024 + 1], serial[2 * 64 + 1], nbuf[16], line[256];
	unsigned long long t[5];
	uint64_t t0 = bench_now_ns (), t_spawn;
	unsigned long found;
	bench_child c;
	bench_cert *q;
	unsigned reps;
	int got;

	snprintf (nbuf, sizeof (nbuf), "%u", x->m.n);
	for (reps = 1; reps < COLD_MAX; reps++) {
		if (secs_since (t0) > 3 * x->env->budget && reps >= 10)
			break;
		q = &x->sample.certs[x->order[reps % x->nstored]];
		bench_hex_encode (BENCH_ISSUER (q), q->h.issuer_len, issuer);
		bench_hex_encode (BENCH_SERIAL (q), q->h.serial_len, serial);
		char *argv[] = { (char *)x->env->self, "cold", (char *)bench_module_names[x->m.id],
				 nbuf, issuer, serial, NULL };
		t_spawn = bench_now_ns ();
		if (!bench_spawn (&c, argv, false, NULL))
			return;
		got = bench_child_line (&c, line, sizeof (line), 0.9 * x->env->start_timeout);
		t[4] = bench_now_ns ();
		bench_child_end (&c, got < 0);
		if (got <= 0 || sscanf (line, "ok %lu %llu %llu %llu %llu", &found, &t[0], &t[1],
					&t[2], &t[3]) != 5) {
			bench_emit ("info a cold-start child %s",
				    got < 0 ? "did not answer in time" : "failed");
			return;
		}
		cold_add (cs, t_spawn, t, found);
		bench_emit ("tick");
	}
}

/* ---- repeated reads ----------------------------------------------------------- */

typedef CK_RV (*lookup_fn) (bench_module *, CK_SESSION_HANDLE, const bench_cert *,
			    bench_answer *);

/* Reads every byte of c an operation sends or checks its answer against. */
static unsigned
touch_query (const bench_cert *c)
{
	const volatile unsigned char *der = c->der;
	const volatile unsigned char *h = (const unsigned char *)&c->h;
	unsigned sum = 0;
	size_t k;

	for (k = 0; k < c->h.der_len; k += 32)
		sum += der[k];
	for (k = 0; k < sizeof (c->h); k += 32)
		sum += h[k];
	return sum + (unsigned char)c->label[0] + (unsigned char)c->label[c->h.label_len];
}

static volatile unsigned sink;

static void
repeat_lookup (ctx *x, const char *key, lookup_fn fn)
{
	bench_samples s = { 0 }, round = { 0 };
	unsigned long wrong = 0, i, k;
	double medians[ROUNDS], median, p99, best;
	uint64_t t0, a, b;
	bench_answer ans;
	char note[200];
	bench_cert *q;
	unsigned r;
	CK_RV rv;

	bench_emit ("begin %s", key);
	/*
	 * One pass over the sample first: the store's records for it are
	 * then loaded, and what is measured is the module answering from
	 * memory, as it does once a client has asked about a certificate.
	 */
	for (i = 0; i < x->nstored; i++) {
		rv = fn (&x->m, x->ro, &x->sample.certs[x->order[i]], &ans);
		if (rv != CKR_OK) {
			bench_emit ("fail %s %s", key, bench_ckr (rv));
			return;
		}
		if (i % 64 == 0)
			bench_emit ("tick");
	}
	i = 0;
	for (r = 0; r < ROUNDS; r++) {
		t0 = bench_now_ns ();
		for (k = 0; k < OPS_MAX / ROUNDS &&
			    (k < 10 || secs_since (t0) < x->env->budget / ROUNDS);
		     k++, i++) {
			q = &x->sample.certs[x->order[i % x->nstored]];
			/*
			 * The query's bytes, which a client has at hand (NSS
			 * has just decoded the certificate it asks about), and
			 * which this program compares the answer with: in the
			 * cache before the clock starts, so that only the
			 * module's memory counts, at 100,000 as at 150.
			 */
			sink += touch_query (q);
			a = bench_now_ns ();
			rv = fn (&x->m, x->ro, q, &ans);
			b = bench_now_ns ();
			if (rv != CKR_OK) {
				bench_emit ("fail %s %s", key, bench_ckr (rv));
				goto out;
			}
			if (!ans.right)
				wrong++;
			bench_samples_add (&s, (double)(b - a));
			bench_samples_add (&round, (double)(b - a));
			if (k % 256 == 0)
				bench_emit ("tick");
		}
		bench_samples_summary (&round, &medians[r], &p99);
		round.n = 0;
	}
	bench_samples_summary (&s, &median, &p99);
	(void)median;
	best = medians[0];
	for (r = 1; r < ROUNDS; r++)
		best = medians[r] < best ? medians[r] : best;
	if (wrong)
		snprintf (note, sizeof (note), "WRONG ANSWERS: %lu of %zu", wrong, s.n);
	else
		snprintf (note, sizeof (note), "medians of the rounds %.0f / %.0f / %.0f ns",
			  medians[0], medians[1], medians[2]);
	bench_emit ("ok %s %zu %.1f %.1f %s", key, s.n, best, p99, note);
out:
	bench_samples_free (&s);
	bench_samples_free (&round);
}

/* Every certificate with value and label; a sample is one pass's time per certificate. */
static void
enumerate (ctx *x)
{
	bench_samples s = { 0 };
	uint64_t t0, a, b;
	bench_answer ans;
	unsigned reps = 0, wrong = 0;
	char note[160];
	CK_RV rv;

	bench_emit ("begin enum");
	t0 = bench_now_ns ();
	while (reps < 50) {
		a = bench_now_ns ();
		rv = bench_enumerate (&x->m, x->ro, &ans);
		b = bench_now_ns ();
		if (rv != CKR_OK) {
			bench_emit ("fail enum %s", bench_ckr (rv));
			return;
		}
		if (ans.found != x->m.n)
			wrong++;
		bench_samples_add (&s, (double)(b - a) / (double)(ans.found ? ans.found : 1));
		reps++;
		bench_emit ("tick");
		if (secs_since (t0) > 2 * x->env->budget && reps >= 3)
			break;
	}
	if (wrong)
		snprintf (note, sizeof (note), "WRONG COUNT: %lu listed of %u", ans.found, x->m.n);
	else
		note[0] = '\0';
	emit_samples ("enum", &s, note);
	bench_samples_free (&s);
}

/*
 * This process's CPU time so far, and its context switches: voluntary ones
 * are waits (a lock, a sleep), involuntary ones preemptions by other
 * processes. Together they tell a module that serialises its readers from a
 * machine with no core to spare.
 */
typedef struct {
	double cpu;
	long waits, preemptions;
} usage;

static usage
usage_now (void)
{
	struct rusage ru;
	usage u = { 0, 0, 0 };

	if (getrusage (RUSAGE_SELF, &ru) != 0)
		return u;
	u.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	u.waits = ru.ru_nvcsw;
	u.preemptions = ru.ru_nivcsw;
	return u;
}

/* ---- threads ------------------------------------------------------------------ */

/*
 * A worker's own cache line: the workers of one run sit side by side, and
 * one thread's writes to a line another thread reads would slow both down
 * by what the bench does, not the module.
 */
typedef struct {
	_Alignas (64) ctx *x;
	CK_SESSION_HANDLE s;
	unsigned start;
	atomic_bool *go, *stop;
	unsigned long ops, wrong;
	CK_RV rv;
} worker;

/* Counts in locals while the clock runs; the worker's fields are written once, at the end. */
static void *
worker_main (void *arg)
{
	worker *w = arg;
	const ctx *x = w->x;
	CK_SESSION_HANDLE s = w->s;
	unsigned long ops = 0, wrong = 0;
	unsigned i = w->start;
	bench_answer ans;
	CK_RV rv = CKR_OK;

	while (!atomic_load (w->go))
		;
	while (!atomic_load_explicit (w->stop, memory_order_relaxed)) {
		rv = bench_trust_lookup ((bench_module *)&x->m, s,
					 &x->sample.certs[x->order[i++ % x->nstored]], &ans);
		if (rv != CKR_OK)
			break;
		if (!ans.right)
			wrong++;
		ops++;
	}
	w->ops = ops;
	w->wrong = wrong;
	w->rv = rv;
	return NULL;
}

/* One thread count's sessions, and what its slices added up to. */
typedef struct {
	unsigned n;
	const char *key;
	worker w[4];
	double elapsed, cpu;
	long waits, preemptions;
	unsigned long ops, wrong;
	CK_RV rv;
} thread_run;

/* Opens run's sessions, each with one unmeasured lookup. false when one fails. */
static bool
thread_sessions (ctx *x, thread_run *run)
{
	bench_answer ans;
	unsigned i;
	CK_RV rv;

	for (i = 0; i < run->n; i++) {
		run->w[i].x = x;
		run->w[i].start = i * (unsigned)(x->nstored / run->n);
		rv = bench_open_session (&x->m, false, &run->w[i].s);
		/*
		 * One lookup before the clock starts: p11-kit-trust checks
		 * every file again at a session's first search, which is not
		 * what this workload measures.
		 */
		if (rv == CKR_OK)
			rv = bench_trust_lookup (&x->m, run->w[i].s, &x->sample.certs[x->order[0]],
						 &ans);
		if (rv != CKR_OK) {
			bench_emit ("fail %s opening a session: %s", run->key, bench_ckr (rv));
			return false;
		}
	}
	return true;
}

/* run's threads doing trust lookups for secs seconds; false when one could not start. */
static bool
thread_slice (thread_run *run, double secs)
{
	atomic_bool go = false, stop = false;
	pthread_t t[4];
	unsigned i, started = 0;
	uint64_t t0;
	usage u0, u;

	for (i = 0; i < run->n; i++) {
		run->w[i].go = &go;
		run->w[i].stop = &stop;
		run->w[i].ops = 0;
		run->w[i].wrong = 0;
		if (pthread_create (&t[i], NULL, worker_main, &run->w[i]) != 0)
			break;
		started++;
	}
	t0 = bench_now_ns ();
	u0 = usage_now ();
	atomic_store (&go, true);
	if (started == run->n) {
		while (secs_since (t0) < secs)
			usleep (20000);
	}
	atomic_store (&stop, true);
	for (i = 0; i < started; i++)
		pthread_join (t[i], NULL);
	u = usage_now ();
	run->elapsed += secs_since (t0);
	run->cpu += u.cpu - u0.cpu;
	run->waits += u.waits - u0.waits;
	run->preemptions += u.preemptions - u0.preemptions;
	for (i = 0; i < started; i++) {
		run->ops += run->w[i].ops;
		run->wrong += run->w[i].wrong;
		if (run->w[i].rv != CKR_OK)
			run->rv = run->w[i].rv;
	}
	return started == run->n;
}

/*
 * Trust lookups from 1, 2 and 4 threads, each with its own session: the
 * three take turns in SLICES slices of the budget each, and a rate is the
 * lookups of all its slices over their time.
 */
static void
threads (ctx *x)
{
	thread_run runs[3] = {
		{ .n = 1, .key = "threads1" },
		{ .n = 2, .key = "threads2" },
		{ .n = 4, .key = "threads4" },
	};
	unsigned i, k;
	char note[160];
	bool ok = true;

	for (k = 0; k < 3 && ok; k++)
		ok = thread_sessions (x, &runs[k]);
	for (i = 0; i < SLICES && ok; i++) {
		for (k = 0; k < 3 && ok; k++) {
			bench_emit ("begin %s", runs[k].key);
			ok = thread_slice (&runs[k], x->env->budget / SLICES);
			if (!ok)
				bench_emit ("fail %s cannot start a thread", runs[k].key);
			else if (runs[k].rv != CKR_OK)
				bench_emit ("fail %s %s", runs[k].key, bench_ckr (runs[k].rv));
			ok = ok && runs[k].rv == CKR_OK;
		}
	}
	for (k = 0; k < 3; k++) {
		for (i = 0; i < runs[k].n; i++) {
			if (runs[k].w[i].s != 0)
				x->m.f->C_CloseSession (runs[k].w[i].s);
		}
	}
	if (!ok)
		return;
	for (k = 0; k < 3; k++) {
		/*
		 * A rate counts the time other processes had the cores: the
		 * CPU time this process got, per thread, goes where a p99
		 * would be, and the note says whether the threads waited or
		 * were preempted.
		 */
		snprintf (note, sizeof (note), "waits %.0f/s, preemptions %.0f/s%s",
			  (double)runs[k].waits / runs[k].elapsed,
			  (double)runs[k].preemptions / runs[k].elapsed,
			  runs[k].wrong ? "; WRONG ANSWERS" : "");
		bench_emit ("begin %s", runs[k].key);
		bench_emit ("ok %s %lu %.1f %.1f %s", runs[k].key, runs[k].ops,
			    (double)runs[k].ops / runs[k].elapsed,
			    100 * runs[k].cpu / runs[k].elapsed / runs[k].n, note);
	}
}

/* ---- writes ------------------------------------------------------------------- */

static void
session_objects (ctx *x)
{
	bench_samples s = { 0 };
	uint64_t t0, a, b;
	unsigned long i;
	CK_RV rv;

	bench_emit ("begin session");
	t0 = bench_now_ns ();
	for (i = 0; i < OPS_MAX && (i < 10 || secs_since (t0) < x->env->budget); i++) {
		a = bench_now_ns ();
		rv = bench_session_object (&x->m, x->rw, extra (x, EXTRA_SESSION));
		b = bench_now_ns ();
		if (rv != CKR_OK) {
			bench_emit (x->m.id == BENCH_P11KIT ? "na session %s" : "fail session %s",
				    bench_ckr (rv));
			bench_samples_free (&s);
			return;
		}
		bench_samples_add (&s, (double)(b - a));
		if (i % 256 == 0)
			bench_emit ("tick");
	}
	emit_samples ("session", &s, "");
	bench_samples_free (&s);
}

static void
decisions (ctx *x)
{
	bench_samples s = { 0 };
	uint64_t t0, a, b;
	unsigned i;
	CK_RV rv;

	bench_emit ("begin decision");
	if (x->m.id == BENCH_P11KIT) {
		/* certutil's way first, to say what p11-kit-trust makes of it. */
		rv = bench_create_nss_trust (&x->m, x->rw, extra (x, EXTRA_DECISION + DECISIONS_MAX));
		bench_emit ("info answers certutil's CKO_NSS_TRUST create with %s",
			    bench_ckr (rv));
	}
	t0 = bench_now_ns ();
	for (i = 0; i < DECISIONS_MAX && (i < 3 || secs_since (t0) < 2 * x->env->budget); i++) {
		a = bench_now_ns ();
		rv = bench_create_decision (&x->m, x->rw, extra (x, EXTRA_DECISION + i));
		b = bench_now_ns ();
		if (rv != CKR_OK) {
			bench_emit ("fail decision %s", bench_ckr (rv));
			bench_samples_free (&s);
			return;
		}
		bench_samples_add (&s, (double)(b - a));
		bench_emit ("tick");
	}
	emit_samples ("decision", &s, "");
	bench_samples_free (&s);
}

/*
 * BULK_COUNT new certificates with trust in one go: a batch, for a module
 * that has them, else consecutive creates, stopped past ten budgets. The
 * seconds it took, and how many it stored (*done); false when it failed.
 */
static bool
bulk_once (ctx *x, unsigned first, unsigned *done, double *secs)
{
	uint64_t t0;
	unsigned i;
	bool batch = x->m.begin_batch != NULL;
	CK_RV rv = CKR_OK;

	t0 = bench_now_ns ();
	if (batch)
		rv = x->m.begin_batch (x->rw);
	for (i = 0; rv == CKR_OK && i < BULK_COUNT; i++) {
		rv = bench_create_decision (&x->m, x->rw, extra (x, first + i));
		if (i % 64 == 0)
			bench_emit ("tick");
		if (!batch && secs_since (t0) > 10 * x->env->budget)
			break;
	}
	if (rv == CKR_OK && batch)
		rv = x->m.commit_batch (x->rw);
	*secs = secs_since (t0);
	*done = i;
	if (rv != CKR_OK)
		bench_emit ("fail bulk %s", bench_ckr (rv));
	return rv == CKR_OK;
}

/*
 * A module with batches imports BULK_ROUNDS batches, one after the other,
 * into the same store; the median batch's rate is reported and every
 * batch's time named (one of them may be the store's own housekeeping).
 * The others get one round: consecutive creates take minutes there.
 */
static void
bulk_import (ctx *x)
{
	bench_samples s = { 0 };
	double secs[BULK_ROUNDS], median, p99, total = 0;
	unsigned done = 0, r, rounds = x->m.begin_batch != NULL ? BULK_ROUNDS : 1;
	char note[240], *p = note, *end = note + sizeof (note);

	bench_emit ("begin bulk");
	for (r = 0; r < rounds; r++) {
		if (!bulk_once (x, EXTRA_BULK + r * BULK_COUNT, &done, &secs[r]) ||
		    !bench_samples_add (&s, secs[r])) {
			bench_samples_free (&s);
			return;
		}
		total += secs[r];
	}
	bench_samples_summary (&s, &median, &p99);
	bench_samples_free (&s);
	if (rounds > 1) {
		p += snprintf (p, (size_t)(end - p),
			       "%u batches of %u, one after the other (Vendor trustfolder "
			       "C_BeginBatch ... C_CommitBatch):",
			       rounds, BULK_COUNT);
		for (r = 0; r < rounds && p < end; r++)
			p += snprintf (p, (size_t)(end - p), "%s %.0f ms", r ? "," : "",
				       secs[r] * 1e3);
		if (p < end)
			snprintf (p, (size_t)(end - p), " (all %u: %.0f/s); the median batch's rate",
				  rounds, rounds * BULK_COUNT / total);
	} else {
		snprintf (note, sizeof (note), "%u of %u by consecutive C_CreateObject, %.1f s%s",
			  done, BULK_COUNT, secs[0],
			  done < BULK_COUNT ? " (stopped at the time limit)" : "");
	}
	bench_emit ("ok bulk %u %.1f 0 %s", done, (double)done / median, note);
}

/*
 * Another process commits a decision; this one, with its session open all
 * along, searches right after the commit returned. A sample is the time from
 * the other process's C_CreateObject returning to this search answering; the
 * search must find the new trust.
 */
static void
cross_process (ctx *x)
{
	bench_samples s = { 0 };
	unsigned i, unseen = 0;
	unsigned long long t_done;
	char nbuf[16], line[256], note[200];
	bench_answer ans;
	CK_SESSION_HANDLE fresh;
	bench_child w;
	uint64_t t0;
	int got;
	CK_RV rv;

	bench_emit ("begin cross");
	snprintf (nbuf, sizeof (nbuf), "%u", x->m.n);
	char *argv[] = { (char *)x->env->self, "writer", (char *)bench_module_names[x->m.id], nbuf,
			 NULL };
	if (!bench_spawn (&w, argv, true, NULL)) {
		bench_emit ("fail cross cannot start the writer");
		return;
	}
	got = bench_child_line (&w, line, sizeof (line), 0.9 * x->env->timeout);
	if (got <= 0 || strcmp (line, "ready") != 0) {
		bench_emit ("fail cross the writer %s", got < 0 ? "did not start in time" : line);
		bench_child_end (&w, true);
		return;
	}
	bench_emit ("tick");
	t0 = bench_now_ns ();
	for (i = 0; i < CROSS_MAX && (i < 5 || secs_since (t0) < 2 * x->env->budget); i++) {
		dprintf (w.in, "go %u\n", EXTRA_CROSS + i); /* the writer holds the extras only */
		got = bench_child_line (&w, line, sizeof (line), 0.9 * x->env->timeout);
		if (got <= 0 || sscanf (line, "done %llu", &t_done) != 1) {
			bench_emit ("fail cross the writer: %s", got < 0 ? "no answer" : line);
			bench_child_end (&w, true);
			bench_samples_free (&s);
			return;
		}
		rv = bench_trust_lookup (&x->m, x->ro, extra (x, EXTRA_CROSS + i), &ans);
		bench_samples_add (&s, (double)(bench_now_ns () - t_done));
		if (rv != CKR_OK || ans.found == 0)
			unseen++;
		bench_emit ("tick");
	}
	bench_child_end (&w, false);
	snprintf (note, sizeof (note), "seen at the next search: %u of %zu", (unsigned)s.n - unseen,
		  s.n);
	if (unseen > 0 && bench_open_session (&x->m, false, &fresh) == CKR_OK) {
		/* Never, or only in a session opened after the commit? */
		rv = bench_trust_lookup (&x->m, fresh, extra (x, EXTRA_CROSS + i - 1), &ans);
		x->m.f->C_CloseSession (fresh);
		snprintf (note + strlen (note), sizeof (note) - strlen (note),
			  " NOT SEEN; a session opened after the commit %s it",
			  rv == CKR_OK && ans.found > 0 ? "sees" : "does not see");
	}
	emit_samples ("cross", &s, note);
	bench_samples_free (&s);
}

/* ---- the whole run ------------------------------------------------------------- */

static bool
prepare (ctx *x)
{
	char path[4096];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t i, j;
	unsigned tmp;

	bench_data_path (x->env, x->m.n, path, sizeof (path));
	if (!bench_data_read (path, keep_sample, NULL, &x->sample))
		return false;
	for (i = 0; i < x->sample.count && x->sample.certs[i].index < x->sample.hdr.stored; i++)
		;
	x->nstored = i;
	if (x->sample.count - x->nstored < BENCH_EXTRAS || x->nstored == 0)
		return false;
	x->order = malloc (x->nstored * sizeof (unsigned));
	if (x->order == NULL)
		return false;
	for (i = 0; i < x->nstored; i++)
		x->order[i] = (unsigned)i;
	for (i = x->nstored - 1; i > 0; i--) {
		j = xorshift (&seed) % (i + 1);
		tmp = x->order[i];
		x->order[i] = x->order[j];
		x->order[j] = tmp;
	}
	return true;
}

int
bench_measure_main (const bench_env *env, bench_module_id id, unsigned n, uint64_t t_spawn)
{
	unsigned long long t[5];
	uint64_t marks[2];
	unsigned long hwm, base, rss, rss2;
	cold_samples cs;
	bench_answer ans;
	bench_data first;
	char err[512], path[4096];
	double first_s;
	ctx x;
	CK_RV rv;

	t[0] = bench_now_ns ();
	memset (&x, 0, sizeof (x));
	memset (&cs, 0, sizeof (cs));
	x.env = env;
	bench_memory (&hwm, &base);

	/*
	 * This process is a cold start too: spawned with the store holding N,
	 * it loads the module and answers one lookup before anything else.
	 */
	bench_emit ("begin cold");
	bench_data_path (env, n, path, sizeof (path));
	if (!bench_data_read_first (path, &first)) {
		bench_emit ("stop cannot read the certificates");
		return 1;
	}
	bench_module_setup (&x.m, id, env->bench_dir, env->tf_so, n);
	if (!bench_module_load (&x.m, err, sizeof (err), marks)) {
		bench_emit ("stop %s", err);
		return 1;
	}
	t[1] = marks[0];
	t[2] = marks[1];
	rv = bench_open_session (&x.m, false, &x.ro);
	t[3] = bench_now_ns ();
	if (rv == CKR_OK)
		rv = bench_trust_lookup (&x.m, x.ro, &first.certs[0], &ans);
	t[4] = bench_now_ns ();
	if (rv == CKR_OK)
		rv = bench_open_session (&x.m, true, &x.rw);
	if (rv != CKR_OK) {
		bench_emit ("stop the first lookup: %s", bench_ckr (rv));
		return 1;
	}
	cold_add (&cs, t_spawn, t, ans.found);
	first_s = (double)(t[4] - t_spawn) / 1e9;
	bench_data_free (&first);
	bench_emit ("tick");

	/* The sample adds to this process's memory, not to the module's. */
	bench_memory (&hwm, &rss);
	if (!prepare (&x)) {
		bench_emit ("stop cannot read the certificates");
		return 1;
	}
	bench_memory (&hwm, &rss2);
	base += rss2 - rss;

	if (first_s < 5)
		cold_children (&x, &cs);
	cold_emit (&cs);

	repeat_lookup (&x, "trust", bench_trust_lookup);
	repeat_lookup (&x, "subject", bench_cert_by_subject);
	repeat_lookup (&x, "id", bench_cert_by_id);
	repeat_lookup (&x, "label", bench_cert_by_label);
	enumerate (&x);
	threads (&x);
	/* Peak memory serving N, before the writes add certificates. */
	bench_memory (&hwm, &rss);
	bench_emit ("mem %lu %lu", hwm, base);
	session_objects (&x);
	decisions (&x);
	bulk_import (&x);
	if (first_s < 20)
		cross_process (&x);
	else
		bench_emit ("na cross not measured: another process of this module needs %.0f s "
			    "to start",
			    first_s);

	bench_memory (&hwm, &rss);
	bench_emit ("info peak memory after the writes too (up to %u certificates more): %.1f MB",
		    BULK_ROUNDS * BULK_COUNT + DECISIONS_MAX + CROSS_MAX, hwm / 1024.0);
	bench_module_unload (&x.m);
	bench_data_free (&x.sample);
	free (x.order);
	return 0;
}

/* ---- flat: two sizes side by side ------------------------------------------------ */

#define FLAT_ROUNDS_MIN 8
#define FLAT_ROUNDS_MAX 200
#define FLAT_OPS	4096 /* measured lookups per size per round */

/* ops lookups cycling through x's sample from *next; their times into s when s is not NULL. */
static bool
flat_pass (ctx *x, lookup_fn fn, unsigned long ops, unsigned long *next, bench_samples *s)
{
	bench_answer ans;
	uint64_t a, b;
	bench_cert *q;
	unsigned long k;

	for (k = 0; k < ops; k++, (*next)++) {
		q = &x->sample.certs[x->order[*next % x->nstored]];
		sink += touch_query (q);
		a = bench_now_ns ();
		if (fn (&x->m, x->ro, q, &ans) != CKR_OK || !ans.right)
			return false;
		b = bench_now_ns ();
		if (s != NULL)
			bench_samples_add (s, (double)(b - a));
	}
	return true;
}

/* The median of s's samples (sorts them). */
static double
median_of (bench_samples *s)
{
	double median, p99;

	bench_samples_summary (s, &median, &p99);
	return median;
}

/*
 * The same module twice in one process (two copies of the library, so two
 * instances), one over a store of n_small certificates, one over n_large,
 * taking turns: rounds of, per size, a warm pass and FLAT_OPS measured
 * lookups, for two budgets (at least FLAT_ROUNDS_MIN rounds). A round
 * takes some milliseconds, so a slow spell of the machine falls on both
 * sizes of a round alike; the growth is the median over the rounds of the
 * large size's median over the small one's, and a spell that takes some of
 * the rounds leaves it alone. Prints "flat KEY SMALL LARGE GROWTH ROUNDS"
 * per lookup workload, SMALL and LARGE the medians of the rounds' medians.
 */
int
bench_flat_main (const bench_env *env, unsigned n_small, unsigned n_large, const char *so_large)
{
	static const struct {
		const char *key;
		lookup_fn fn;
	} works[] = {
		{ "trust", bench_trust_lookup },
		{ "subject", bench_cert_by_subject },
	};
	bench_samples s = { 0 }, medians[2] = { { 0 } }, growth = { 0 };
	double m[2];
	unsigned long next[2];
	char err[512], dir[4096];
	uint64_t t0;
	ctx side[2];
	unsigned i, w, r;
	bool ok = true;

	memset (side, 0, sizeof (side));
	for (i = 0; i < 2 && ok; i++) {
		side[i].env = env;
		bench_module_setup (&side[i].m, BENCH_TF, env->bench_dir,
				    i == 0 ? env->tf_so : so_large, i == 0 ? n_small : n_large);
		snprintf (dir, sizeof (dir), "%s/run/flat-%u", env->bench_dir, side[i].m.n);
		bench_module_set_dir (&side[i].m, dir);
		snprintf (err, sizeof (err), "no session, or its certificates could not be read");
		ok = bench_module_load (&side[i].m, err, sizeof (err), NULL) &&
		     bench_open_session (&side[i].m, false, &side[i].ro) == CKR_OK &&
		     prepare (&side[i]);
		if (!ok)
			bench_emit ("stop flat: %u certificates: %s", side[i].m.n, err);
	}
	for (w = 0; w < 2 && ok; w++) {
		bench_emit ("begin flat");
		t0 = bench_now_ns ();
		for (r = 0; ok && r < FLAT_ROUNDS_MAX &&
			    (r < FLAT_ROUNDS_MIN || secs_since (t0) < 2 * env->budget);
		     r++) {
			for (i = 0; i < 2 && ok; i++) {
				next[i] = 0;
				s.n = 0;
				ok = flat_pass (&side[i], works[w].fn, side[i].nstored, &next[i],
						NULL) &&
				     flat_pass (&side[i], works[w].fn, FLAT_OPS, &next[i], &s);
				m[i] = median_of (&s);
				bench_samples_add (&medians[i], m[i]);
				bench_emit ("tick");
			}
			if (ok && m[0] > 0)
				bench_samples_add (&growth, m[1] / m[0]);
		}
		if (!ok || growth.n == 0) {
			bench_emit ("stop flat: %s: an error or a wrong answer", works[w].key);
			ok = false;
			break;
		}
		bench_emit ("flat %s %.1f %.1f %.3f %zu", works[w].key, median_of (&medians[0]),
			    median_of (&medians[1]), median_of (&growth), growth.n);
		medians[0].n = medians[1].n = growth.n = 0;
	}
	bench_samples_free (&s);
	bench_samples_free (&growth);
	for (i = 0; i < 2; i++) {
		bench_samples_free (&medians[i]);
		if (side[i].m.f != NULL)
			bench_module_unload (&side[i].m);
		bench_data_free (&side[i].sample);
		free (side[i].order);
	}
	return ok ? 0 : 1;
}
