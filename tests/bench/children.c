/*
 * Child processes: how they are started and read, and the small modes that
 * run in them.
 *
 *   cold     a fresh process's first answer: load the module, open a
 *            session, one trust lookup; reports when the answer came
 *   writer   another process of the same user: commits one decision per
 *            line it reads, for the cross-process workload
 *   load     fills a module's store with the N certificates and their trust
 *            (setup, not measured)
 */
#include "bench.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void
bench_data_path (const bench_env *env, unsigned n, char *out, size_t len)
{
	snprintf (out, len, "%s/data/certs-%u.bin", env->bench_dir, n);
}

/* environ with LD_PRELOAD set to preload (appended to any there is). */
static char **
env_with_preload (const char *preload, char **owned)
{
	size_t n = 0, i, j = 0;
	const char *old = getenv ("LD_PRELOAD");
	char **envp;

	while (environ[n] != NULL)
		n++;
	envp = calloc (n + 2, sizeof (char *));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strncmp (environ[i], "LD_PRELOAD=", 11) != 0)
			envp[j++] = environ[i];
	}
	if (asprintf (owned, "LD_PRELOAD=%s%s%s", preload, old ? " " : "", old ? old : "") < 0) {
		free (envp);
		return NULL;
	}
	envp[j++] = *owned;
	envp[j] = NULL;
	return envp;
}

bool
bench_spawn (bench_child *c, char *const argv[], bool with_stdin, const char *preload)
{
	posix_spawn_file_actions_t actions;
	int out[2] = { -1, -1 }, in[2] = { -1, -1 };
	char **envp = environ, *owned = NULL;
	pid_t pid;
	int err;

	memset (c, 0, sizeof (*c));
	c->in = c->out = -1;
	if (pipe2 (out, O_CLOEXEC) != 0 || (with_stdin && pipe2 (in, O_CLOEXEC) != 0)) {
		fprintf (stderr, "bench: pipe: %s\n", strerror (errno));
		goto fail;
	}
	if (preload != NULL && (envp = env_with_preload (preload, &owned)) == NULL)
		goto fail;
	posix_spawn_file_actions_init (&actions);
	posix_spawn_file_actions_adddup2 (&actions, out[1], STDOUT_FILENO);
	if (with_stdin)
		posix_spawn_file_actions_adddup2 (&actions, in[0], STDIN_FILENO);
	err = posix_spawn (&pid, argv[0], &actions, NULL, argv, envp);
	posix_spawn_file_actions_destroy (&actions);
	if (envp != environ)
		free (envp);
	free (owned);
	if (err != 0) {
		fprintf (stderr, "bench: cannot start %s: %s\n", argv[0], strerror (err));
		goto fail;
	}
	close (out[1]);
	if (with_stdin)
		close (in[0]);
	c->pid = pid;
	c->out = out[0];
	c->in = with_stdin ? in[1] : -1;
	return true;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close (out[i]);
		if (in[i] >= 0)
			close (in[i]);
	}
	return false;
}

int
bench_child_line (bench_child *c, char *line, size_t max, double timeout_s)
{
	uint64_t deadline = bench_now_ns () + (uint64_t)(timeout_s * 1e9);
	struct pollfd p = { .fd = c->out, .events = POLLIN };
	char *nl;
	size_t n;
	ssize_t got;
	int ms;

	for (;;) {
		nl = memchr (c->buf, '\n', c->len);
		if (nl != NULL) {
			n = (size_t)(nl - c->buf);
			if (n >= max)
				n = max - 1;
			memcpy (line, c->buf, n);
			line[n] = '\0';
			c->len -= (size_t)(nl - c->buf) + 1;
			memmove (c->buf, nl + 1, c->len);
			return 1;
		}
		if (c->len == sizeof (c->buf))
			c->len = 0; /* an overlong line: dropped */
		uint64_t now = bench_now_ns ();
		if (now >= deadline)
			return -1;
		ms = (int)((deadline - now) / 1000000) + 1;
		if (poll (&p, 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		got = read (c->out, c->buf + c->len, sizeof (c->buf) - c->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		c->len += (size_t)got;
	}
}

int
bench_child_end (bench_child *c, bool kill_it)
{
	int status = 0;

	if (c->pid <= 0)
		return -1;
	if (kill_it)
		kill (c->pid, SIGKILL);
	if (c->in >= 0)
		close (c->in);
	close (c->out);
	c->in = c->out = -1;
	while (waitpid (c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* ---- cold ------------------------------------------------------------------ */

/*
 * Everything a client does before its first answer: load and initialize the
 * module, find the slot, open a session, one trust lookup. The parent times
 * from spawn to the "ok" line; t_main lets it tell process start from the
 * module's share.
 */
int
bench_cold_main (const bench_env *env, bench_module_id id, unsigned n, const char *issuer_hex,
		 const char *serial_hex)
{
	uint64_t t_main = bench_now_ns (), marks[2], t_session;
	unsigned char buf[2048];
	CK_SESSION_HANDLE s;
	bench_module m;
	bench_answer a;
	bench_cert c;
	char err[512];
	size_t ilen, slen;
	CK_RV rv;

	memset (&c, 0, sizeof (c));
	ilen = bench_hex_decode (issuer_hex, buf, 1024);
	slen = bench_hex_decode (serial_hex, buf + ilen, sizeof (buf) - ilen);
	if (ilen == 0 || slen == 0) {
		printf ("fail bad arguments\n");
		return 2;
	}
	c.der = buf;
	c.h.issuer_off = 0;
	c.h.issuer_len = (uint16_t)ilen;
	c.h.serial_off = (uint16_t)ilen;
	c.h.serial_len = (uint16_t)slen;

	bench_module_setup (&m, id, env->bench_dir, env->tf_so, n);
	if (!bench_module_load (&m, err, sizeof (err), marks)) {
		printf ("fail %s\n", err);
		return 1;
	}
	rv = bench_open_session (&m, false, &s);
	t_session = bench_now_ns ();
	if (rv == CKR_OK)
		rv = bench_trust_lookup (&m, s, &c, &a);
	if (rv != CKR_OK) {
		printf ("fail %s\n", bench_ckr (rv));
		return 1;
	}
	/* When main started, the library was loaded, C_Initialize and C_OpenSession returned. */
	printf ("ok %lu %llu %llu %llu %llu\n", a.found, (unsigned long long)t_main,
		(unsigned long long)marks[0], (unsigned long long)marks[1],
		(unsigned long long)t_session);
	fflush (stdout);
	bench_module_unload (&m);
	return 0;
}

/* ---- writer ---------------------------------------------------------------- */

static bool
keep_extras (void *ctx, unsigned index, const bench_file_hdr *hdr)
{
	return index >= hdr->stored;
}

/*
 * Reads "go K" lines: commits the decision for extra certificate K and
 * answers "done T" with the time C_CreateObject returned, or "fail WHY".
 */
int
bench_writer_main (const bench_env *env, bench_module_id id, unsigned n)
{
	char path[4096], err[512], line[128];
	CK_SESSION_HANDLE s;
	bench_module m;
	bench_data data;
	unsigned k;
	CK_RV rv;

	bench_data_path (env, n, path, sizeof (path));
	if (!bench_data_read (path, keep_extras, NULL, &data)) {
		printf ("fail cannot read %s\n", path);
		return 1;
	}
	bench_module_setup (&m, id, env->bench_dir, env->tf_so, n);
	if (!bench_module_load (&m, err, sizeof (err), NULL)) {
		printf ("fail %s\n", err);
		return 1;
	}
	rv = bench_open_session (&m, true, &s);
	if (rv != CKR_OK) {
		printf ("fail C_OpenSession: %s\n", bench_ckr (rv));
		return 1;
	}
	printf ("ready\n");
	fflush (stdout);
	while (fgets (line, sizeof (line), stdin) != NULL) {
		if (sscanf (line, "go %u", &k) != 1 || k >= data.count) {
			printf ("fail bad command\n");
			fflush (stdout);
			continue;
		}
		rv = bench_create_decision (&m, s, &data.certs[k]);
		if (rv != CKR_OK)
			printf ("fail %s\n", bench_ckr (rv));
		else
			printf ("done %llu\n", (unsigned long long)bench_now_ns ());
		fflush (stdout);
	}
	bench_module_unload (&m);
	bench_data_free (&data);
	return 0;
}

/* ---- load ------------------------------------------------------------------ */

static bool
keep_stored (void *ctx, unsigned index, const bench_file_hdr *hdr)
{
	return index < hdr->stored;
}

/* Batches of this many certificates, when the module has batches. */
#define LOAD_BATCH 10000

/*
 * Stores every certificate with its trust, as certutil -A would, into the
 * store at dir. Run with fsync disabled (nosync.so): this is setup, and
 * the write workloads are measured with real fsync elsewhere.
 */
int
bench_load_main (const bench_env *env, bench_module_id id, unsigned n, const char *dir)
{
	char path[4096], err[512];
	uint64_t t0 = bench_now_ns ();
	CK_SESSION_HANDLE s;
	bench_module m;
	bench_data data;
	size_t i;
	CK_RV rv = CKR_OK;
	bool batch;

	bench_data_path (env, n, path, sizeof (path));
	if (!bench_data_read (path, keep_stored, NULL, &data)) {
		printf ("fail cannot read %s\n", path);
		return 1;
	}
	bench_module_setup (&m, id, env->bench_dir, env->tf_so, n);
	bench_module_set_dir (&m, dir);
	if (!bench_module_load (&m, err, sizeof (err), NULL)) {
		printf ("fail %s\n", err);
		return 1;
	}
	rv = bench_open_session (&m, true, &s);
	if (rv != CKR_OK) {
		printf ("fail C_OpenSession: %s\n", bench_ckr (rv));
		return 1;
	}
	batch = m.begin_batch != NULL;
	for (i = 0; i < data.count && rv == CKR_OK; i++) {
		if (batch && i % LOAD_BATCH == 0)
			rv = m.begin_batch (s);
		if (rv == CKR_OK)
			rv = bench_create_decision (&m, s, &data.certs[i]);
		if (rv == CKR_OK && batch && (i % LOAD_BATCH == LOAD_BATCH - 1 || i + 1 == data.count))
			rv = m.commit_batch (s);
		if (i % 1000 == 999) {
			printf ("tick %zu\n", i + 1);
			fflush (stdout);
		}
	}
	if (rv != CKR_OK) {
		printf ("fail certificate %zu: %s\n", i, bench_ckr (rv));
		return 1;
	}
	printf ("loaded %zu %.3f %s\n", data.count, (double)(bench_now_ns () - t0) / 1e9,
		batch ? "batches" : "one-by-one");
	fflush (stdout);
	bench_module_unload (&m);
	bench_data_free (&data);
	return 0;
}
