/*
 * The writer, the reader, the threads and the fault shell: every decision
 * goes through one function (step) that writes the intent, makes the one
 * PKCS#11 call, and acknowledges it only when the call returned CKR_OK.
 */
#include "stress.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	const pool *p;
	ledger *l;
	CK_SESSION_HANDLE s;
	uint64_t rng;
	size_t first, count; /* the certificates this actor may write */
	bool quiet;          /* a failed call is the caller's to report */
	bool keep;           /* never remove a record: no search of another process loses one */
} actor;

/* The one call that takes a certificate from one state to the next. */
static CK_RV
call_for (CK_SESSION_HANDLE s, const pool_cert *c, state from, state to)
{
	if (from == ST_ABSENT && to == ST_CERT)
		return p11_create_cert (s, c);
	if (from == ST_BLOCK && to == ST_DISTRUST)
		return p11_create_cert (s, c); /* a distrusted certificate arrives */
	if ((from == ST_ABSENT && to == ST_BLOCK) ||
	    (state_has_cert (from) && state_has_cert (to) && state_has_trust (to)))
		return p11_create_trust (s, c, to); /* certutil -A step 3, or -M */
	if (state_has_trust (from) && (to == ST_CERT || (from == ST_BLOCK && to == ST_ABSENT)))
		return p11_destroy_trust (s, c);
	if (state_has_cert (from) && to == ST_ABSENT)
		return p11_destroy_cert (s, c); /* the record and its views go */
	die ("no call takes %s to %s", state_name (from), state_name (to));
}

static CK_RV
step (actor *a, size_t idx, state to)
{
	state from = a->l->expect[idx];
	CK_RV rv;

	ledger_intent (a->l, idx, to);
	rv = call_for (a->s, &a->p->certs[idx], from, to);
	ledger_answer (a->l, rv);
	if (rv != CKR_OK && !a->quiet)
		fprintf (stderr, "tf-stress: call %lu, %s from %s to %s, failed: %s\n", a->l->seq,
		         a->p->certs[idx].label, state_name (from), state_name (to),
		         p11_rv_name (rv));
	return rv;
}

static state
random_kind (actor *a, state except)
{
	static const state kinds[] = {ST_CA, ST_PEER, ST_DISTRUST};
	state k;

	do
		k = kinds[rng_below (&a->rng, 3)];
	while (k == except);
	return k;
}

/*
 * One decision about certificate idx, as a person makes it with certutil:
 * accept or reject (certificate, then trust), change the trust (-M), take
 * it back (-D: trust, then certificate), or distrust by issuer + serial.
 */
static CK_RV
decide (actor *a, size_t idx)
{
	unsigned r = (unsigned)rng_below (&a->rng, 100);
	state cur = a->l->expect[idx];
	CK_RV rv = CKR_OK;

	switch (cur) {
	case ST_ABSENT:
		if (r >= 85)
			return step (a, idx, ST_BLOCK);
		rv = step (a, idx, ST_CERT);
		if (rv == CKR_OK && r < 77)
			rv = step (a, idx, random_kind (a, ST_BAD));
		return rv;
	case ST_CERT:
		return step (a, idx, r < 60 || a->keep ? random_kind (a, ST_BAD) : ST_ABSENT);
	case ST_CA:
	case ST_PEER:
	case ST_DISTRUST:
		if (r < 45)
			return step (a, idx, random_kind (a, cur));
		if (a->keep || r >= 80)
			return step (a, idx, a->keep || r < 90 ? ST_CERT : ST_ABSENT);
		rv = step (a, idx, ST_CERT);
		return rv == CKR_OK ? step (a, idx, ST_ABSENT) : rv;
	case ST_BLOCK:
		return step (a, idx, r < 50 && !a->keep ? ST_ABSENT : ST_DISTRUST);
	default:
		die ("certificate %zu is in no state", idx);
	}
}

static uint64_t
seed_from (const char *arg)
{
	uint64_t seed;

	if (arg != NULL)
		seed = strtoull (arg, NULL, 0);
	else
		seed = (uint64_t)time (NULL) ^ ((uint64_t)getpid () << 32) ^ (uint64_t)clock ();
	return seed != 0 ? seed : 1;
}

static CK_SESSION_HANDLE
open_session (const char *label, bool rw)
{
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	CK_RV rv;

	if (!p11_slot (label, &slot))
		die ("no slot \"%s\"", label);
	rv = p11->C_OpenSession (slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL,
	                         &s);
	if (rv != CKR_OK)
		die ("C_OpenSession on \"%s\": %s", label, p11_rv_name (rv));
	return s;
}

/* ---- write ----------------------------------------------------------------- */

/*
 * tf-stress write MODULE POOL LOG [--first I] [--count N] [--decisions K]
 *                 [--seed S] [--params P] [--keep]
 * Makes K decisions (0: until killed) about certificates I .. I+N-1, each
 * call acknowledged in LOG after it returned CKR_OK. A failed call stops it
 * with status 1. --keep never removes a record (no certificate is taken
 * back), so that what another process found is never gone when it reads it.
 */
int
mode_write (int argc, char **argv)
{
	const char *params = NULL, *seed_arg = NULL;
	unsigned long decisions = 0, done, acks_before;
	ledger l;
	actor a;
	pool p;
	int i;

	if (argc < 4)
		die ("usage: tf-stress write MODULE POOL LOG [--first I] [--count N] "
		     "[--decisions K] [--seed S] [--params P] [--keep]");
	pool_load (argv[2], &p);
	memset (&a, 0, sizeof (a));
	a.count = p.n;
	for (i = 4; i < argc; i++) {
		if (strcmp (argv[i], "--keep") == 0)
			a.keep = true;
		else if (i + 1 == argc)
			die ("unknown option, or one without its value: %s", argv[i]);
		else if (strcmp (argv[i], "--first") == 0)
			a.first = strtoul (argv[++i], NULL, 10);
		else if (strcmp (argv[i], "--count") == 0)
			a.count = strtoul (argv[++i], NULL, 10);
		else if (strcmp (argv[i], "--decisions") == 0)
			decisions = strtoul (argv[++i], NULL, 10);
		else if (strcmp (argv[i], "--seed") == 0)
			seed_arg = argv[++i];
		else if (strcmp (argv[i], "--params") == 0)
			params = argv[++i];
		else
			die ("unknown option %s", argv[i]);
	}
	if (a.count == 0 || a.first + a.count > p.n)
		die ("certificates %zu .. %zu are not all in the pool of %zu", a.first,
		     a.first + a.count, p.n);
	ledger_open (&l, argv[3], p.n, true);
	if (l.pending)
		die ("%s: call %lu was never answered: run tf-stress check first", argv[3],
		     l.p_seq);
	a.p = &p;
	a.l = &l;
	a.rng = seed_from (seed_arg);

	acks_before = l.acks;
	p11_load (argv[1], params);
	a.s = open_session (TOKEN_PERSISTENT, true);
	for (done = 0; decisions == 0 || done < decisions; done++) {
		if (decide (&a, a.first + rng_below (&a.rng, a.count)) != CKR_OK)
			return 1;
	}
	p11->C_CloseSession (a.s);
	p11_unload ();
	printf ("made %lu decisions: %lu calls acknowledged\n", done, l.acks - acks_before);
	ledger_close (&l);
	return 0;
}

/* ---- read ------------------------------------------------------------------ */

typedef struct {
	unsigned long passes, objects, vanished, problems;
} read_counts;

static void problem (read_counts *n, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
problem (read_counts *n, const char *fmt, ...)
{
	va_list va;

	n->problems++;
	if (n->problems > 20)
		return;
	fputs ("FAIL: reader: ", stderr);
	va_start (va, fmt);
	vfprintf (stderr, fmt, va);
	va_end (va);
	fputc ('\n', stderr);
}

/* Reads one object of a class and checks that it is whole. */
static void
read_object (CK_SESSION_HANDLE s, const pool *p, CK_OBJECT_HANDLE h, bool is_cert, read_counts *n)
{
	blob issuer = {0}, serial = {0}, value = {0}, label = {0}, sha1 = {0}, md5 = {0};
	CK_ULONG v[4];
	CK_ATTRIBUTE purposes[] = {
	    {NSS_CKA_TRUST_SERVER_AUTH, &v[0], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CLIENT_AUTH, &v[1], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CODE_SIGNING, &v[2], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_EMAIL, &v[3], sizeof (CK_ULONG)},
	};
	const CK_ULONG *want;
	const pool_cert *c;
	long idx;
	CK_RV rv;
	int k;

	rv = p11_get_blob (s, h, CKA_ISSUER, &issuer);
	if (rv == CKR_OK)
		rv = p11_get_blob (s, h, CKA_SERIAL_NUMBER, &serial);
	if (rv == CKR_OK && is_cert)
		rv = p11_get_blob (s, h, CKA_VALUE, &value);
	if (rv == CKR_OK && is_cert)
		rv = p11_get_blob (s, h, CKA_LABEL, &label);
	if (rv == CKR_OK && !is_cert)
		rv = p11->C_GetAttributeValue (s, h, purposes, 4);
	if (rv == CKR_OK && !is_cert)
		rv = p11_get_blob (s, h, NSS_CKA_CERT_SHA1_HASH, &sha1);
	if (rv == CKR_OK && !is_cert)
		rv = p11_get_blob (s, h, NSS_CKA_CERT_MD5_HASH, &md5);
	/* Removed by another process, and seen at this process's last search. */
	if (rv == CKR_OBJECT_HANDLE_INVALID) {
		n->vanished++;
		goto out;
	}
	if (rv != CKR_OK) {
		problem (n, "reading object %lu: %s", (unsigned long)h, p11_rv_name (rv));
		goto out;
	}
	n->objects++;
	idx = pool_find (p, issuer.data, issuer.len, serial.data, serial.len);
	if (idx < 0) {
		problem (n, "object %lu has an issuer and serial no writer used", (unsigned long)h);
		goto out;
	}
	c = &p->certs[idx];
	if (is_cert) {
		if (!blob_equal (&value, c->der.data, c->der.len) ||
		    !blob_equal (&label, c->label, strlen (c->label)))
			problem (n, "%s: the certificate's value or label is not its own",
			         c->label);
		goto out;
	}
	for (k = ST_CA; k <= ST_DISTRUST; k++) {
		want = state_nss_trust ((state)k);
		if (memcmp (v, want, sizeof (v)) == 0)
			break;
	}
	if (k > ST_DISTRUST) {
		problem (n, "%s: trust values %#lx %#lx %#lx %#lx are no decision", c->label,
		         (unsigned long)v[0], (unsigned long)v[1], (unsigned long)v[2],
		         (unsigned long)v[3]);
		goto out;
	}
	/* Either both hashes, right, or none and distrust (a block by issuer + serial). */
	if (sha1.len == 0 && md5.len == 0 && k == ST_DISTRUST)
		goto out;
	if (!blob_equal (&sha1, c->sha1, sizeof (c->sha1)) ||
	    !blob_equal (&md5, c->md5, sizeof (c->md5)))
		problem (n, "%s: trust (%s) with %zu and %zu bytes of hash, not the certificate's",
		         c->label, state_name ((state)k), sha1.len, md5.len);
out:
	blob_free (&issuer);
	blob_free (&serial);
	blob_free (&value);
	blob_free (&label);
	blob_free (&sha1);
	blob_free (&md5);
}

/* One pass over every certificate and trust object of the token. */
static void
read_pass (CK_SESSION_HANDLE s, const pool *p, read_counts *n)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_CERTIFICATE, NSS_CKO_TRUST};
	CK_OBJECT_CLASS klass;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_CLASS, &klass, sizeof (klass)},
	};
	CK_OBJECT_HANDLE *all;
	CK_ULONG count, i;
	size_t k;
	CK_RV rv;

	for (k = 0; k < 2; k++) {
		klass = classes[k];
		rv = p11_find_all (s, tmpl, 2, &all, &count);
		if (rv != CKR_OK) {
			problem (n, "searching class %#lx: %s", (unsigned long)klass,
			         p11_rv_name (rv));
			continue;
		}
		for (i = 0; i < count; i++)
			read_object (s, p, all[i], klass == CKO_CERTIFICATE, n);
		free (all);
	}
	n->passes++;
}

/*
 * tf-stress read MODULE POOL STOPFILE
 * Reads every certificate and trust object, over and over, until STOPFILE
 * exists; each must be whole. Status 1 when one was not.
 */
int
mode_read (int argc, char **argv)
{
	CK_SESSION_HANDLE s;
	read_counts n = {0};
	pool p;

	if (argc != 4)
		die ("usage: tf-stress read MODULE POOL STOPFILE");
	pool_load (argv[2], &p);
	p11_load (argv[1], NULL);
	s = open_session (TOKEN_PERSISTENT, false);
	do
		read_pass (s, &p, &n);
	while (access (argv[3], F_OK) != 0);
	read_pass (s, &p, &n);
	p11->C_CloseSession (s);
	p11_unload ();
	printf ("read %lu passes: %lu objects whole, %lu removed between search and read, %lu "
	        "not whole\n",
	        n.passes, n.objects, n.vanished, n.problems);
	return n.problems == 0 ? 0 : 1;
}

/* ---- threads --------------------------------------------------------------- */

typedef struct {
	actor a;
	ledger l;
	CK_SLOT_ID slot;
	unsigned long ops;
	unsigned long decisions, searches, checks;
	int failed;
	pthread_t thread;
	int index;
} worker;

static void worker_fail (worker *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
worker_fail (worker *w, const char *fmt, ...)
{
	va_list va;

	w->failed = 1;
	fprintf (stderr, "FAIL: thread %d: ", w->index);
	va_start (va, fmt);
	vfprintf (stderr, fmt, va);
	va_end (va);
	fputc ('\n', stderr);
}

/* Its own certificate idx shows exactly what this thread last made it. */
static void
worker_verify (worker *w, size_t idx)
{
	char why[200];
	state st;
	CK_RV rv;

	st = p11_state (w->a.s, w->a.p, idx, why, sizeof (why), &rv);
	if (st != w->l.expect[idx])
		worker_fail (w, "%s shows %s (%s), but the thread made it %s",
		             w->a.p->certs[idx].label, state_name (st), why,
		             state_name (w->l.expect[idx]));
	w->checks++;
}

/* A search over everything, reading what it finds; other threads' objects may go meanwhile. */
static void
worker_search (worker *w)
{
	CK_OBJECT_CLASS klass = w->searches % 2 ? CKO_CERTIFICATE : NSS_CKO_TRUST;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof (klass)}};
	CK_OBJECT_HANDLE found[8];
	CK_ULONG n, i;
	blob b;
	CK_RV rv;

	rv = p11->C_FindObjectsInit (w->a.s, tmpl, 1);
	while (rv == CKR_OK) {
		rv = p11->C_FindObjects (w->a.s, found, 8, &n);
		if (rv != CKR_OK || n == 0)
			break;
		for (i = 0; i < n; i++) {
			rv = p11_get_blob (w->a.s, found[i], CKA_ISSUER, &b);
			blob_free (&b);
			if (rv == CKR_OBJECT_HANDLE_INVALID)
				rv = CKR_OK;
			if (rv != CKR_OK)
				break;
		}
	}
	if (rv != CKR_OK)
		worker_fail (w, "searching: %s", p11_rv_name (rv));
	p11->C_FindObjectsFinal (w->a.s);
	w->searches++;
}

static void *
worker_run (void *arg)
{
	worker *w = arg;
	CK_SESSION_HANDLE extra;
	unsigned long i;
	size_t idx;
	CK_RV rv;

	rv = p11->C_OpenSession (w->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &w->a.s);
	if (rv != CKR_OK) {
		worker_fail (w, "C_OpenSession: %s", p11_rv_name (rv));
		return NULL;
	}
	for (i = 0; i < w->ops && !w->failed; i++) {
		idx = w->a.first + rng_below (&w->a.rng, w->a.count);
		switch (rng_below (&w->a.rng, 8)) {
		case 0:
		case 1:
		case 2:
		case 3:
			if (decide (&w->a, idx) != CKR_OK)
				worker_fail (w, "a decision about %s failed (see above)",
				             w->a.p->certs[idx].label);
			else
				worker_verify (w, idx);
			w->decisions++;
			break;
		case 4:
		case 5:
			worker_search (w);
			break;
		case 6:
			worker_verify (w, idx);
			break;
		default:
			/* Sessions come and go while others search. */
			rv = p11->C_OpenSession (w->slot, CKF_SERIAL_SESSION, NULL, NULL, &extra);
			if (rv == CKR_OK)
				rv = p11->C_CloseSession (extra);
			if (rv != CKR_OK)
				worker_fail (w, "an extra session: %s", p11_rv_name (rv));
			break;
		}
	}
	p11->C_CloseSession (w->a.s);
	return NULL;
}

/*
 * tf-stress threads MODULE POOL LOGPREFIX [--threads T] [--ops N] [--seed S]
 *                   [--count C]
 * T threads (default 8), each with its own session and its own slice of the
 * first C certificates of the pool (default: all), mix decisions, searches
 * over everything and checks of their own certificates. Thread k's ledger is
 * LOGPREFIX.k, for tf-stress check.
 */
int
mode_threads (int argc, char **argv)
{
	const char *seed_arg = NULL;
	unsigned long ops = 200, decisions = 0, searches = 0, checks = 0;
	size_t count = 0;
	char path[4096];
	worker *workers;
	int threads = 8, failed = 0, i;
	uint64_t seed;
	CK_SLOT_ID slot;
	pool p;

	if (argc < 4)
		die ("usage: tf-stress threads MODULE POOL LOGPREFIX [--threads T] [--ops N] "
		     "[--seed S] [--count C]");
	for (i = 4; i + 1 < argc; i += 2) {
		if (strcmp (argv[i], "--count") == 0)
			count = strtoul (argv[i + 1], NULL, 10);
		else if (strcmp (argv[i], "--threads") == 0)
			threads = atoi (argv[i + 1]);
		else if (strcmp (argv[i], "--ops") == 0)
			ops = strtoul (argv[i + 1], NULL, 10);
		else if (strcmp (argv[i], "--seed") == 0)
			seed_arg = argv[i + 1];
		else
			die ("unknown option %s", argv[i]);
	}
	pool_load (argv[2], &p);
	if (count == 0 || count > p.n)
		count = p.n;
	if (threads < 1 || (size_t)threads > count)
		die ("%d threads for %zu certificates", threads, count);
	seed = seed_from (seed_arg);
	p11_load (argv[1], NULL);
	if (!p11_slot (TOKEN_PERSISTENT, &slot))
		die ("no slot \"%s\"", TOKEN_PERSISTENT);
	workers = calloc ((size_t)threads, sizeof (worker));
	if (workers == NULL)
		die ("out of memory");
	for (i = 0; i < threads; i++) {
		worker *w = &workers[i];

		snprintf (path, sizeof (path), "%s.%d", argv[3], i);
		ledger_open (&w->l, path, p.n, true);
		if (w->l.pending)
			die ("%s: call %lu was never answered", path, w->l.p_seq);
		w->index = i;
		w->slot = slot;
		w->ops = ops;
		w->a.p = &p;
		w->a.l = &w->l;
		w->a.count = count / (size_t)threads;
		w->a.first = (size_t)i * w->a.count;
		w->a.rng = seed + (uint64_t)i * 0x9E3779B97F4A7C15ULL;
		if (w->a.rng == 0)
			w->a.rng = 1;
	}
	for (i = 0; i < threads; i++) {
		if (pthread_create (&workers[i].thread, NULL, worker_run, &workers[i]) != 0)
			die ("cannot start thread %d", i);
	}
	for (i = 0; i < threads; i++) {
		pthread_join (workers[i].thread, NULL);
		failed |= workers[i].failed;
		decisions += workers[i].decisions;
		searches += workers[i].searches;
		checks += workers[i].checks;
		ledger_close (&workers[i].l);
	}
	free (workers);
	p11_unload ();
	printf ("%d threads: %lu decisions, %lu searches, %lu checks of their own certificates\n",
	        threads, decisions, searches, checks);
	return failed ? 1 : 0;
}

/* ---- shell ----------------------------------------------------------------- */

/*
 * tf-stress shell MODULE POOL LOG [--params P]
 * One module, loaded once, driven a command at a time from standard input so
 * that a test can break the store between commands. It first answers
 * "init CKR_..." for C_Initialize (and ends there unless CKR_OK), then one
 * line per command:
 *   add IDX STATE	certificate, then trust (STATE cert|ca|peer|distrust|block)
 *			-> ok | fail CKR_...
 *   go IDX STATE	the one call from where IDX is to STATE -> ok | fail CKR_...
 *   del IDX		trust, then certificate -> ok | fail CKR_...
 *   state IDX		-> state NAME | bad REASON | error CKR_...
 *   count		certificates in the token -> count N | error CKR_...
 *   info		-> info present=0|1 write-protected=0|1 | error CKR_...
 *   limit BYTES|none	RLIMIT_FSIZE for this process, SIGXFSZ ignored -> ok
 *   fill IDX STATE	add IDX, IDX+1, ... until a call fails
 *			-> filled N CKR_... (N decisions made whole)
 * Every call is in LOG, as the writer's are.
 */
static void answer (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
answer (const char *fmt, ...)
{
	va_list va;

	va_start (va, fmt);
	vprintf (fmt, va);
	va_end (va);
	putchar ('\n');
	fflush (stdout);
}

/* The calls that take idx to target through the decisions a person makes. */
static CK_RV
shell_add (actor *a, size_t idx, state target)
{
	CK_RV rv;

	if (target == ST_BLOCK)
		return step (a, idx, ST_BLOCK);
	rv = step (a, idx, ST_CERT);
	if (rv == CKR_OK && target != ST_CERT)
		rv = step (a, idx, target);
	return rv;
}

static CK_RV
shell_del (actor *a, size_t idx)
{
	state cur = a->l->expect[idx];
	CK_RV rv = CKR_OK;

	if (state_has_cert (cur) && state_has_trust (cur))
		rv = step (a, idx, ST_CERT);
	if (rv == CKR_OK && cur != ST_ABSENT)
		rv = step (a, idx, ST_ABSENT);
	return rv;
}

int
mode_shell (int argc, char **argv)
{
	const char *params = NULL;
	char line[512], cmd[32], arg1[64], arg2[64], why[200];
	unsigned long filled;
	struct rlimit lim;
	CK_TOKEN_INFO info;
	CK_SLOT_ID slot;
	bool write_cmd;
	size_t idx = 0;
	state st = ST_BAD;
	ledger l;
	actor a;
	pool p;
	CK_RV rv;
	int n;

	if (argc < 4)
		die ("usage: tf-stress shell MODULE POOL LOG [--params P]");
	if (argc == 6 && strcmp (argv[4], "--params") == 0)
		params = argv[5];
	pool_load (argv[2], &p);
	ledger_open (&l, argv[3], p.n, true);
	if (l.pending)
		die ("%s: call %lu was never answered: run tf-stress check first", argv[3],
		     l.p_seq);
	memset (&a, 0, sizeof (a));
	a.p = &p;
	a.l = &l;
	a.quiet = true;
	a.count = p.n;
	setvbuf (stdout, NULL, _IOLBF, 0);
	rv = p11_try_load (argv[1], params);
	answer ("init %s", p11_rv_name (rv));
	if (rv != CKR_OK)
		return 0;
	if (!p11_slot (TOKEN_PERSISTENT, &slot))
		die ("no slot \"%s\"", TOKEN_PERSISTENT);

	while (fgets (line, sizeof (line), stdin) != NULL) {
		arg1[0] = arg2[0] = '\0';
		n = sscanf (line, "%31s %63s %63s", cmd, arg1, arg2);
		if (n < 1)
			continue;
		if (strcmp (cmd, "quit") == 0)
			break;
		if (strcmp (cmd, "limit") == 0) {
			/* A write past the limit then fails with EFBIG instead of killing us. */
			signal (SIGXFSZ, SIG_IGN);
			if (getrlimit (RLIMIT_FSIZE, &lim) != 0) {
				answer ("fail getrlimit");
				continue;
			}
			lim.rlim_cur =
			    strcmp (arg1, "none") == 0 ? lim.rlim_max : strtoull (arg1, NULL, 10);
			answer (setrlimit (RLIMIT_FSIZE, &lim) == 0 ? "ok" : "fail setrlimit");
			continue;
		}
		if (n >= 2) {
			idx = strtoul (arg1, NULL, 10);
			if (idx >= p.n) {
				answer ("fail no certificate %zu", idx);
				continue;
			}
		}
		if (n >= 3) {
			st = state_parse (arg2);
			if (st == ST_BAD || (st == ST_ABSENT && strcmp (cmd, "go") != 0)) {
				answer ("fail no state %s", arg2);
				continue;
			}
		}
		write_cmd = strcmp (cmd, "add") == 0 || strcmp (cmd, "go") == 0 ||
		            strcmp (cmd, "del") == 0 || strcmp (cmd, "fill") == 0;
		if (strcmp (cmd, "info") == 0) {
			rv = p11->C_GetTokenInfo (slot, &info);
			if (rv == CKR_TOKEN_NOT_PRESENT)
				answer ("info present=0 write-protected=0");
			else if (rv != CKR_OK)
				answer ("error %s", p11_rv_name (rv));
			else
				answer ("info present=1 write-protected=%d",
				        (info.flags & CKF_WRITE_PROTECTED) != 0);
			continue;
		}
		/* A session per command, as certutil opens one per step. */
		rv = p11->C_OpenSession (
		    slot, CKF_SERIAL_SESSION | (write_cmd ? CKF_RW_SESSION : 0), NULL, NULL, &a.s);
		if (rv != CKR_OK) {
			answer ("%s %s", write_cmd ? "fail" : "error", p11_rv_name (rv));
			continue;
		}
		if (strcmp (cmd, "add") == 0 && n == 3) {
			rv = shell_add (&a, idx, st);
			answer (rv == CKR_OK ? "ok" : "fail %s", p11_rv_name (rv));
		} else if (strcmp (cmd, "go") == 0 && n == 3) {
			rv = step (&a, idx, st);
			answer (rv == CKR_OK ? "ok" : "fail %s", p11_rv_name (rv));
		} else if (strcmp (cmd, "del") == 0 && n == 2) {
			rv = shell_del (&a, idx);
			answer (rv == CKR_OK ? "ok" : "fail %s", p11_rv_name (rv));
		} else if (strcmp (cmd, "fill") == 0 && n == 3) {
			for (filled = 0, rv = CKR_OK; rv == CKR_OK && idx < p.n; idx++) {
				if (l.expect[idx] != ST_ABSENT)
					continue;
				rv = shell_add (&a, idx, st);
				filled += rv == CKR_OK;
			}
			answer ("filled %lu %s", filled, p11_rv_name (rv));
		} else if (strcmp (cmd, "state") == 0 && n == 2) {
			st = p11_state (a.s, &p, idx, why, sizeof (why), &rv);
			if (rv != CKR_OK)
				answer ("error %s", p11_rv_name (rv));
			else if (st == ST_BAD)
				answer ("bad %s", why);
			else
				answer ("state %s", state_name (st));
		} else if (strcmp (cmd, "count") == 0) {
			CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
			CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof (klass)}};
			CK_OBJECT_HANDLE *all;
			CK_ULONG count;

			rv = p11_find_all (a.s, tmpl, 1, &all, &count);
			free (all);
			if (rv != CKR_OK)
				answer ("error %s", p11_rv_name (rv));
			else
				answer ("count %lu", (unsigned long)count);
		} else {
			answer ("fail unknown command: %s", cmd);
		}
		p11->C_CloseSession (a.s);
	}
	p11_unload ();
	ledger_close (&l);
	return 0;
}
