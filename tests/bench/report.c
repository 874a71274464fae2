/*
 * The report: what the children said, the machine, the tables per N, and
 * issue 6's targets for trustfolder with how far each is met or missed.
 */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

const bench_workload_info bench_workloads[W_COUNT] = {
	[W_COLD] = { "cold", "cold start (spawn to first answer)", false },
	[W_TRUST] = { "trust", "trust lookup", false },
	[W_SUBJECT] = { "subject", "cert by subject", false },
	[W_ID] = { "id", "cert by id", false },
	[W_LABEL] = { "label", "cert by label", false },
	[W_ENUM] = { "enum", "enumerate (per certificate)", false },
	[W_THREADS1] = { "threads1", "threads: 1 (lookups/s)", true },
	[W_THREADS2] = { "threads2", "threads: 2 (lookups/s)", true },
	[W_THREADS4] = { "threads4", "threads: 4 (lookups/s)", true },
	[W_SESSION] = { "session", "session object create + destroy", false },
	[W_DECISION] = { "decision", "one decision (durable)", false },
	[W_BULK] = { "bulk", "bulk import (certificates/s)", true },
	[W_CROSS] = { "cross", "cross-process: commit to next search", false },
	[W_MEMORY] = { "mem", "peak memory (VmHWM)", false },
};

static const char *const module_titles[BENCH_NMODULES] = {
	[BENCH_TF] = "trustfolder",
	[BENCH_SOFTOKN] = "softokn",
	[BENCH_P11KIT] = "p11-kit-trust",
};

int
bench_workload_find (const char *key)
{
	int i;

	for (i = 0; i < W_COUNT; i++) {
		if (strcmp (bench_workloads[i].key, key) == 0)
			return i;
	}
	return -1;
}

void
bench_emit (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	vprintf (fmt, ap);
	va_end (ap);
	putchar ('\n');
	fflush (stdout);
}

/* The rest of line after n space-separated words. */
static const char *
after_words (const char *line, int n)
{
	while (n-- > 0) {
		line = strchr (line, ' ');
		if (line == NULL)
			return "";
		line++;
	}
	return line;
}

void
bench_apply_line (bench_module_results *res, const char *line, int *current)
{
	char word[32], key[32];
	bench_result *r;
	unsigned long n, hwm, base;
	double median, p99;
	int w;

	if (sscanf (line, "%31s", word) != 1)
		return;
	if (strcmp (word, "info") == 0) {
		if (res->ninfo < (int)(sizeof (res->info) / sizeof (res->info[0])))
			snprintf (res->info[res->ninfo++], sizeof (res->info[0]), "%s",
				  after_words (line, 1));
		return;
	}
	if (strcmp (word, "mem") == 0 && sscanf (line, "mem %lu %lu", &hwm, &base) == 2) {
		r = &res->r[W_MEMORY];
		r->status = RES_OK;
		r->n = 1;
		r->median = (double)hwm;
		r->p99 = (double)base;
		return;
	}
	if (strcmp (word, "stop") == 0) {
		/* Everything not measured yet inherits the reason. */
		for (w = 0; w < W_COUNT; w++) {
			if (res->r[w].status == RES_NOTRUN)
				snprintf (res->r[w].note, sizeof (res->r[w].note), "%s",
					  after_words (line, 1));
		}
		return;
	}
	if (sscanf (line, "%31s %31s", word, key) != 2 || (w = bench_workload_find (key)) < 0)
		return;
	r = &res->r[w];
	if (strcmp (word, "begin") == 0) {
		*current = w;
	} else if (strcmp (word, "ok") == 0 &&
		   sscanf (line, "ok %*s %lu %lf %lf", &n, &median, &p99) == 3) {
		r->status = RES_OK;
		r->n = n;
		r->median = median;
		r->p99 = p99;
		snprintf (r->note, sizeof (r->note), "%s", after_words (line, 5));
	} else if (strcmp (word, "timeout") == 0) {
		r->status = RES_TIMEOUT;
	} else if (strcmp (word, "na") == 0 || strcmp (word, "fail") == 0) {
		r->status = word[0] == 'n' ? RES_NA : RES_FAIL;
		snprintf (r->note, sizeof (r->note), "%s", after_words (line, 2));
	}
}

/* ---- the machine ---------------------------------------------------------- */

static void
first_line_of (const char *cmd, char *out, size_t len)
{
	FILE *p = popen (cmd, "r");

	out[0] = '\0';
	if (p == NULL)
		return;
	if (fgets (out, (int)len, p) != NULL)
		out[strcspn (out, "\n")] = '\0';
	pclose (p);
}

void
bench_load_average (char *out, size_t len)
{
	double a = 0, b = 0, c = 0;
	FILE *f = fopen ("/proc/loadavg", "r");

	if (f != NULL) {
		if (fscanf (f, "%lf %lf %lf", &a, &b, &c) != 3)
			a = b = c = 0;
		fclose (f);
	}
	snprintf (out, len, "%.2f %.2f %.2f", a, b, c);
}

void
bench_machine_describe (bench_machine *m)
{
	char line[256];
	struct utsname u;
	time_t now = time (NULL);
	FILE *f;

	memset (m, 0, sizeof (*m));
	f = fopen ("/proc/cpuinfo", "r");
	while (f != NULL && fgets (line, sizeof (line), f) != NULL) {
		if (strncmp (line, "model name", 10) == 0 && strchr (line, ':') != NULL) {
			snprintf (m->cpu, sizeof (m->cpu), "%s", strchr (line, ':') + 2);
			m->cpu[strcspn (m->cpu, "\n")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose (f);
	m->cores = (int)sysconf (_SC_NPROCESSORS_ONLN);
	if (uname (&u) == 0)
		snprintf (m->kernel, sizeof (m->kernel), "Linux %s", u.release);
	f = fopen ("/etc/debian_version", "r");
	if (f != NULL) {
		if (fgets (m->debian, sizeof (m->debian), f) != NULL)
			m->debian[strcspn (m->debian, "\n")] = '\0';
		fclose (f);
	}
	f = fopen ("/proc/meminfo", "r");
	if (f != NULL) {
		if (fgets (line, sizeof (line), f) != NULL)
			snprintf (m->mem, sizeof (m->mem), "%.1f GB",
				  (double)strtoul (line + 9, NULL, 10) / 1048576.0);
		fclose (f);
	}
	bench_load_average (m->load, sizeof (m->load));
	first_line_of ("dpkg-query -W -f='${Version}' libnss3 2>/dev/null", m->nss, sizeof (m->nss));
	first_line_of ("dpkg-query -W -f='${Version}' p11-kit-modules 2>/dev/null", m->p11kit,
		       sizeof (m->p11kit));
	first_line_of ("git describe --always --dirty 2>/dev/null", m->commit, sizeof (m->commit));
	strftime (m->date, sizeof (m->date), "%Y-%m-%d %H:%M UTC", gmtime (&now));
}

/* ---- formatting ------------------------------------------------------------- */

static void
fmt_time (double ns, char *out, size_t len)
{
	if (ns < 1e3)
		snprintf (out, len, "%.0f ns", ns);
	else if (ns < 1e5)
		snprintf (out, len, "%.2f µs", ns / 1e3);
	else if (ns < 1e6)
		snprintf (out, len, "%.0f µs", ns / 1e3);
	else if (ns < 1e8)
		snprintf (out, len, "%.2f ms", ns / 1e6);
	else if (ns < 1e9)
		snprintf (out, len, "%.0f ms", ns / 1e6);
	else
		snprintf (out, len, "%.2f s", ns / 1e9);
}

static void
fmt_rate (double per_s, char *out, size_t len)
{
	if (per_s >= 1e6)
		snprintf (out, len, "%.2f M/s", per_s / 1e6);
	else if (per_s >= 1e4)
		snprintf (out, len, "%.1f k/s", per_s / 1e3);
	else
		snprintf (out, len, "%.0f /s", per_s);
}

static void
fmt_mb (double kb, char *out, size_t len)
{
	snprintf (out, len, "%.1f MB", kb / 1024.0);
}

/* How far a module is behind trustfolder: > 1 when trustfolder is ahead. */
static bool
ratio (const bench_result *tf, const bench_result *other, bool rate, double *out)
{
	if (tf->status != RES_OK || other->status != RES_OK || tf->median <= 0 || other->median <= 0)
		return false;
	*out = rate ? tf->median / other->median : other->median / tf->median;
	return true;
}

static void
fmt_ratio (double r, char *out, size_t len)
{
	if (r >= 100)
		snprintf (out, len, "×%.0f", r);
	else if (r >= 10)
		snprintf (out, len, "×%.1f", r);
	else
		snprintf (out, len, "×%.2f", r);
}

/* The median and p99 cells of one result. */
static void
cells (const bench_run *run, const bench_result *r, int w, char *med, char *p99, size_t len)
{
	med[0] = p99[0] = '\0';
	switch (r->status) {
	case RES_OK:
		if (w == W_MEMORY) {
			fmt_mb (r->median, med, len);
			snprintf (p99, len, "module: ");
			fmt_mb (r->median - r->p99, p99 + strlen (p99), len - strlen (p99));
		} else if (w >= W_THREADS1 && w <= W_THREADS4) {
			fmt_rate (r->median, med, len);
			snprintf (p99, len, "CPU %.0f %%/thread", r->p99);
		} else if (bench_workloads[w].rate) {
			fmt_rate (r->median, med, len);
			snprintf (p99, len, "—");
		} else {
			fmt_time (r->median, med, len);
			fmt_time (r->p99, p99, len);
		}
		if (strstr (r->note, "WRONG") != NULL)
			snprintf (p99 + strlen (p99), len - strlen (p99), " (wrong answers)");
		else if (strstr (r->note, "NOT SEEN") != NULL)
			snprintf (p99 + strlen (p99), len - strlen (p99), " (not seen)");
		break;
	case RES_NA:
		snprintf (med, len, "n/a: %s", r->note);
		break;
	case RES_FAIL:
		snprintf (med, len, "failed: %s", r->note);
		break;
	case RES_TIMEOUT:
		snprintf (med, len, "%s", r->note[0] ? r->note : "no answer in time");
		break;
	default:
		snprintf (med, len, "%s", r->note[0] ? r->note : "not run");
		break;
	}
}

static void
write_table (FILE *f, const bench_run *run, const bench_size_results *sz)
{
	char med[300], p99[300], rat[32];
	const bench_result *tf = NULL;
	double x = 0;
	int w, i;

	fprintf (f, "| workload |");
	for (i = 0; i < BENCH_NMODULES; i++) {
		if (!run->enabled[i])
			continue;
		fprintf (f, " %s median | p99 |", module_titles[i]);
		if (i != BENCH_TF && run->enabled[BENCH_TF])
			fprintf (f, " ratio |");
	}
	fprintf (f, "\n| --- |");
	for (i = 0; i < BENCH_NMODULES; i++) {
		if (!run->enabled[i])
			continue;
		fprintf (f, " ---: | ---: |");
		if (i != BENCH_TF && run->enabled[BENCH_TF])
			fprintf (f, " ---: |");
	}
	fprintf (f, "\n");
	for (w = 0; w < W_COUNT; w++) {
		fprintf (f, "| %s |", bench_workloads[w].title);
		tf = &sz->mod[BENCH_TF].r[w];
		for (i = 0; i < BENCH_NMODULES; i++) {
			if (!run->enabled[i])
				continue;
			cells (run, &sz->mod[i].r[w], w, med, p99, sizeof (med));
			fprintf (f, " %s | %s |", med, p99);
			if (i == BENCH_TF || !run->enabled[BENCH_TF])
				continue;
			if (w == W_MEMORY)
				x = sz->mod[i].r[w].median / tf->median;
			if ((w == W_MEMORY && tf->status == RES_OK && sz->mod[i].r[w].status == RES_OK) ||
			    (w != W_MEMORY && ratio (tf, &sz->mod[i].r[w], bench_workloads[w].rate, &x))) {
				fmt_ratio (x, rat, sizeof (rat));
				fprintf (f, " %s |", rat);
			} else {
				fprintf (f, " — |");
			}
		}
		fprintf (f, "\n");
	}
}

static void
write_notes (FILE *f, const bench_run *run, const bench_size_results *sz)
{
	const bench_module_results *mr;
	int i, w, k;
	bool first;

	for (i = 0; i < BENCH_NMODULES; i++) {
		if (!run->enabled[i] || !sz->mod[i].ran)
			continue;
		mr = &sz->mod[i];
		if (mr->load_note[0])
			fprintf (f, "- %s, store: %s\n", module_titles[i], mr->load_note);
		for (k = 0; k < mr->ninfo; k++)
			fprintf (f, "- %s: %s\n", module_titles[i], mr->info[k]);
		for (w = 0; w < W_COUNT; w++) {
			if (mr->r[w].status == RES_OK && mr->r[w].note[0])
				fprintf (f, "- %s, %s: %s\n", module_titles[i], bench_workloads[w].title,
					 mr->r[w].note);
		}
		first = true;
		for (w = 0; w < W_COUNT; w++) {
			if (mr->r[w].status != RES_OK || w == W_MEMORY)
				continue;
			fprintf (f, "%s%s %lu", first ? "- samples: " : ", ", bench_workloads[w].key,
				 mr->r[w].n);
			first = false;
		}
		if (!first)
			fprintf (f, " (%s)\n", module_titles[i]);
	}
}

/* ---- the targets of issue 6 -------------------------------------------------- */

static const bench_result *
tf_result (const bench_size_results *sz, int w)
{
	return &sz->mod[BENCH_TF].r[w];
}

static void
verdict_max (FILE *f, const char *what, unsigned n, const bench_result *r, double limit_ns)
{
	char got[32], lim[32];

	fmt_time (limit_ns, lim, sizeof (lim));
	if (r->status != RES_OK) {
		fprintf (f, "| %s | %u | not measured | %s | — |\n", what, n, lim);
		return;
	}
	fmt_time (r->median, got, sizeof (got));
	if (r->median <= limit_ns)
		fprintf (f, "| %s | %u | %s | ≤ %s | met |\n", what, n, got, lim);
	else
		fprintf (f, "| %s | %u | %s | ≤ %s | **missed: %.2f× too slow** |\n", what, n, got,
			 lim, r->median / limit_ns);
}

static void
verdict_ratio (FILE *f, const char *what, unsigned n, double got, bool have, double want,
	       const char *unit)
{
	if (!have) {
		fprintf (f, "| %s | %u | not measured | ≥ %.1f%s | — |\n", what, n, want, unit);
		return;
	}
	if (got >= want)
		fprintf (f, "| %s | %u | %.2f%s | ≥ %.1f%s | met |\n", what, n, got, unit, want, unit);
	else
		fprintf (f, "| %s | %u | %.2f%s | ≥ %.1f%s | **missed: %.2f× short** |\n", what, n,
			 got, unit, want, unit, want / got);
}

/* A threads result whose threads had less than 85 % of a core and were preempted more than they waited. */
static bool
preempted (const bench_result *r)
{
	double waits = 0, preemptions = 0;

	if (sscanf (r->note, "waits %lf/s, preemptions %lf/s", &waits, &preemptions) != 2)
		return r->p99 < 85;
	return r->p99 < 85 && preemptions > waits;
}

static void
write_targets (FILE *f, const bench_run *run)
{
	const bench_size_results *sz, *first, *last;
	const bench_result *r, *a, *b;
	char got[64], lim[64], what[192];
	double x = 0, limit;
	int i, w;

	fprintf (f, "| target | N | trustfolder | target | verdict |\n");
	fprintf (f, "| --- | ---: | ---: | ---: | --- |\n");
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		verdict_max (f, "trust lookup median", sz->n, tf_result (sz, W_TRUST), 1500);
		verdict_max (f, "cert by subject median", sz->n, tf_result (sz, W_SUBJECT), 2000);
	}
	/*
	 * Flat: the largest N's median at most 1.5 times the smallest's. Side
	 * by side in one process (bench_flat_main), the growth is the median
	 * of the rounds' own; from the two sizes' own runs when that did not
	 * run.
	 */
	if (run->nsizes >= 2) {
		first = &run->sizes[0];
		last = &run->sizes[run->nsizes - 1];
		for (w = W_TRUST; w <= W_SUBJECT; w++) {
			double small = 0, large = 0, growth = 0;
			char how[96] = "the two runs' medians";

			a = tf_result (first, w);
			b = tf_result (last, w);
			if (run->flat_ok[w - W_TRUST]) {
				small = run->flat_ns[w - W_TRUST][0];
				large = run->flat_ns[w - W_TRUST][1];
				growth = run->flat_growth[w - W_TRUST];
				snprintf (how, sizeof (how),
					  "side by side in one process, median of %u rounds",
					  run->flat_rounds[w - W_TRUST]);
			} else if (a->status == RES_OK && b->status == RES_OK) {
				small = a->median;
				large = b->median;
				growth = large / small;
				if (run->flat_note[0] != '\0')
					snprintf (how, sizeof (how),
						  "the two runs' medians: side by side failed");
			}
			snprintf (what, sizeof (what), "%s flat from %u to %u (growth of the median, %s)",
				  bench_workloads[w].title, first->n, last->n, how);
			if (small <= 0 || growth <= 0)
				fprintf (f, "| %s | — | not measured | ≤ 1.5× | — |\n", what);
			else
				fprintf (f, "| %s | — | %.2f× (%.0f → %.0f ns) | ≤ 1.5× | %s |\n", what,
					 growth, small, large, growth <= 1.5 ? "met" : "**missed**");
		}
	}
	if (run->enabled[BENCH_SOFTOKN]) {
		for (i = 0; i < run->nsizes; i++) {
			sz = &run->sizes[i];
			for (w = W_TRUST; w <= W_SUBJECT; w++) {
				bool have = ratio (tf_result (sz, w), &sz->mod[BENCH_SOFTOKN].r[w],
						   false, &x);
				snprintf (what, sizeof (what), "%s: times faster than softokn",
					  bench_workloads[w].title);
				verdict_ratio (f, what, sz->n, x, have, 50, "×");
			}
		}
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		limit = sz->n >= 100000 ? 30e6 : sz->n >= 10000 ? 5e6 : 0;
		if (limit > 0)
			verdict_max (f, "cold start median", sz->n, tf_result (sz, W_COLD), limit);
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		verdict_max (f, "enumerate, per certificate", sz->n, tf_result (sz, W_ENUM), 1000);
	}
	if (run->enabled[BENCH_SOFTOKN]) {
		for (i = 0; i < run->nsizes; i++) {
			sz = &run->sizes[i];
			r = &sz->mod[BENCH_SOFTOKN].r[W_DECISION];
			if (r->status == RES_OK)
				verdict_max (f, "one decision: no slower than softokn", sz->n,
					     tf_result (sz, W_DECISION), r->median);
		}
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		r = tf_result (sz, W_BULK);
		if (r->status != RES_OK) {
			fprintf (f, "| bulk import | %u | not measured | ≥ 20.0 k/s | — |\n", sz->n);
			continue;
		}
		fmt_rate (r->median, got, sizeof (got));
		if (r->median >= 20000)
			fprintf (f, "| bulk import | %u | %s | ≥ 20.0 k/s | met |\n", sz->n, got);
		else
			fprintf (f, "| bulk import | %u | %s | ≥ 20.0 k/s | **missed: %.2f× short** |\n",
				 sz->n, got, 20000 / r->median);
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		a = tf_result (sz, W_THREADS1);
		b = tf_result (sz, W_THREADS2);
		/*
		 * Threads that got less than most of a core each and were
		 * preempted more than they waited were short of cores, not held
		 * up by the module: no scaling can be read then.
		 */
		if (a->status == RES_OK && b->status == RES_OK &&
		    (preempted (a) || preempted (b))) {
			r = preempted (a) ? a : b;
			fprintf (f,
				 "| threads: 2 ÷ 1 and 4 ÷ 1 | %u | inconclusive (%.2f×, %.2f×) | ≥ 1.5×, "
				 "≥ 1.0× | not judged: with %d thread%s the process got %.0f %% of a core "
				 "per thread and was preempted more than it waited (no core to spare) |\n",
				 sz->n, b->median / a->median,
				 tf_result (sz, W_THREADS4)->median / a->median, r == a ? 1 : 2,
				 r == a ? "" : "s", r->p99);
			continue;
		}
		verdict_ratio (f, "2 threads ÷ 1 thread, lookups", sz->n,
			       a->median > 0 ? b->median / a->median : 0,
			       a->status == RES_OK && b->status == RES_OK, 1.5, "×");
		b = tf_result (sz, W_THREADS4);
		verdict_ratio (f, "4 threads ÷ 1 thread, lookups", sz->n,
			       a->median > 0 ? b->median / a->median : 0,
			       a->status == RES_OK && b->status == RES_OK, 1.0, "×");
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		if (sz->n < 100000)
			continue;
		r = tf_result (sz, W_MEMORY);
		limit = 2.0 * (double)sz->der_bytes / 1024.0 + 20 * 1024.0;
		fmt_mb (limit, lim, sizeof (lim));
		if (r->status != RES_OK) {
			fprintf (f, "| peak memory | %u | not measured | ≤ %s | — |\n", sz->n, lim);
			continue;
		}
		fmt_mb (r->median, got, sizeof (got));
		fprintf (f, "| peak memory (2 × DER + 20 MB) | %u | %s | ≤ %s | ", sz->n, got, lim);
		if (r->median <= limit)
			fprintf (f, "met |\n");
		else
			fprintf (f, "**missed: %.2f× over** |\n", r->median / limit);
	}
	for (i = 0; i < run->nsizes; i++) {
		sz = &run->sizes[i];
		r = tf_result (sz, W_CROSS);
		fprintf (f, "| another process's commit seen at the next search | %u | ", sz->n);
		if (r->status != RES_OK)
			fprintf (f, "not measured | every time | — |\n");
		else
			fprintf (f, "%s | every time | %s |\n", r->note,
				 strstr (r->note, "NOT SEEN") ? "**missed**" : "met");
	}
}

static const char method[] =
	"## How it is measured\n"
	"\n"
	"- Data: N distinct P-256 certificates made with OpenSSL's API (cached in "
	"build/bench/data): N/33 issuer names (5 to 300), each with two self-signed roots; "
	"leaves under them in renewal groups of 1 to 4 that share subject and label, so "
	"searches by subject and label have several matches. Trust as certutil writes it: "
	"roots `C,,`, leaves `P,,`, one leaf in ten `p,p,p`. Every module holds the same "
	"certificates: trustfolder and softokn through PKCS#11 (certutil's certificate and "
	"CKO_NSS_TRUST templates), p11-kit-trust as PEM files in the directory given by "
	"`paths=` (roots in anchors/, distrusted leaves in blocklist/).\n"
	"- Each module and N is measured in a process of its own, on a store that already "
	"holds N (filled by another process beforehand, with fsync off; never timed). "
	"Modules are loaded as clients load them: dlopen, C_GetFunctionList, C_Initialize "
	"with CKF_OS_LOCKING_OK and the parameter string in pReserved (trustfolder "
	"`store=`, softokn NSS's own `configdir='sql:DIR' certPrefix='' keyPrefix='' "
	"secmod='secmod.db' flags= ...`, p11-kit-trust `paths='DIR'`). softokn's new "
	"database gets the empty PIN (as `certutil -N --empty-password`).\n"
	"- cold start: a fresh process timed from posix_spawn to its answer: dlopen, "
	"C_Initialize, slot, C_OpenSession, one trust lookup. The measuring process is the "
	"first sample (it does this before anything else); when that took under 5 s, up to "
	"29 more come from this program's `cold` mode, which links only libc. The note "
	"splits the median into its steps.\n"
	"- trust lookup: find [CKA_TOKEN, CKO_NSS_TRUST, CKA_ISSUER, CKA_SERIAL_NUMBER], "
	"then one C_GetAttributeValue with pre-sized buffers for CKA_TOKEN, the four "
	"purposes, step-up and CKA_CERT_SHA1_HASH, as NSS does. cert by subject / label: "
	"find [CKA_TOKEN, CKO_CERTIFICATE, CKA_SUBJECT or CKA_LABEL] and read CKA_VALUE of "
	"every match (length, then value). cert by id: find [CKO_CERTIFICATE, CKA_ID] and "
	"read the first match's value (pkcs11-tool --read-object). Each answer is checked "
	"(count, value, hash, trust); a wrong one is flagged. Queries cycle through a "
	"shuffled sample of up to 4096 stored certificates, after one unmeasured pass over "
	"it (so the module answers from what it has loaded). Before each query the "
	"program reads the bytes it sends and compares the answer with, so that its own "
	"memory is in the cache and only the module's counts, at every N. The samples come "
	"in three rounds of a third of the budget; the median shown is the lowest round's "
	"(the note names all three), as this kind of machine has spells of seconds at half "
	"speed; the p99 is over all samples.\n"
	"- flat: trustfolder over the smallest and the largest N in one process (two "
	"copies of the library, so two instances, on copies of the stores as filled), "
	"taking turns: rounds of, per size, an unmeasured pass over its sample and 4096 "
	"measured lookups, for two budgets and at least eight rounds. A round takes "
	"milliseconds, so a slow spell of the machine falls on both sizes of a round alike; "
	"the growth is the median over the rounds of the largest N's median over the "
	"smallest's, which a spell over a few of the rounds leaves alone. The times shown "
	"are the medians of the rounds' medians. When that cannot run, the two sizes' own "
	"medians are compared.\n"
	"- enumerate: find [CKA_TOKEN, CKO_CERTIFICATE], then per object CKA_VALUE and "
	"CKA_LABEL (length query, then values), as certutil -L; one sample is one pass "
	"divided by N.\n"
	"- threads: 1, 2 and 4 threads, each with its own session (and one unmeasured lookup "
	"in it first), doing trust lookups; the three take turns in six slices of a sixth "
	"of the budget, so that a slow spell of the machine falls on each alike. Total "
	"lookups per second over the slices, and the CPU time the process got per thread "
	"(getrusage over wall time), with the context switches per second: waits (a lock, "
	"I/O) and preemptions (other processes). When the threads got less than 85 % of a "
	"core each and were preempted more than they waited, the machine had no core to "
	"spare and the scaling target is not judged.\n"
	"- peak memory: VmHWM of the measuring process after the reads (the writes add "
	"certificates); \"module\" is VmHWM minus the resident size before the module "
	"was loaded (the process holds only a sample of the certificates).\n"
	"- session objects: C_CreateObject of a CKA_TOKEN=FALSE certificate, then "
	"C_DestroyObject.\n"
	"- one decision: a new certificate and its trust, durable when C_CreateObject "
	"returns: certutil's two C_CreateObject (certificate, CKO_NSS_TRUST). p11-kit-trust "
	"derives its NSS trust objects and cannot create them, so its decision is its own "
	"dialect: one certificate with CKA_TRUSTED, as `trust anchor --store` writes it.\n"
	"- bulk import: 2000 new certificates with their trust in one go: trustfolder in "
	"one batch of its vendor interface (\"Vendor trustfolder\", C_BeginBatch ... "
	"C_CommitBatch) when the module has it, else, and for the others, consecutive "
	"C_CreateObject calls (stopped after ten budgets). The rate includes the commit. "
	"A module with batches imports three batches of 2000, one after the other, into "
	"the same store; the median batch's rate is the one reported, and the note names "
	"each batch's time and the rate of the three together (trustfolder's store moves the keys of new certificates into "
	"its main table when there are more of them than certificates, about every N/5 "
	"certificates and at least every 4,000; that batch takes longer).\n"
	"- cross-process: a second process of the same module commits a decision; this "
	"one, with its session open all along, looks the trust up right after; a sample is "
	"the time from the other process's C_CreateObject returning to this lookup's "
	"answer, and the lookup must find the new trust. Not run when a process of the "
	"module needs more than 20 s to start.\n"
	"- A step that takes longer than the timeout counts as \"no answer\": its process "
	"is killed, and what it reported before stays.\n";

void
bench_report_write (FILE *f, const bench_run *run)
{
	const bench_machine *m = &run->machine;
	int i;

	fprintf (f, "# trustfolder benchmark\n\n");
	fprintf (f, "`%s`, %s, took %.1f min.\n\n", run->command, m->date, run->elapsed_s / 60);
	fprintf (f,
		 "Machine: %s, %d cores, %s RAM, %s, Debian %s; NSS %s, p11-kit %s; trustfolder "
		 "%s (module file hash %s). Load average (1, 5, 15 min) at the start %s, at the "
		 "end %s: on %d cores, anything near or above %d means other processes took "
		 "CPU time from the measurements (rates and p99 suffer most).\n\n",
		 m->cpu, m->cores, m->mem, m->kernel, m->debian, m->nss, m->p11kit, m->commit,
		 run->module_hash[0] ? run->module_hash : "-", m->load, run->load_end, m->cores,
		 m->cores);
	fprintf (f,
		 "Medians and 99th percentiles of one operation as its client issues it; "
		 "rates are per second over the whole workload. The ratio says how many "
		 "times trustfolder is ahead: the module's median time (or memory) over "
		 "trustfolder's, or trustfolder's rate over the module's. How each workload "
		 "is measured is at the end.\n\n");
	for (i = 0; i < run->nsizes; i++) {
		fprintf (f, "## N = %u certificates (%.1f MB of DER)\n\n", run->sizes[i].n,
			 (double)run->sizes[i].der_bytes / 1048576.0);
		write_table (f, run, &run->sizes[i]);
		fprintf (f, "\n");
		write_notes (f, run, &run->sizes[i]);
		fprintf (f, "\n");
	}
	if (run->enabled[BENCH_TF]) {
		fprintf (f, "## Issue 6's targets for trustfolder\n\n");
		write_targets (f, run);
		fprintf (f, "\n");
	}
	fprintf (f, "%s", method);
}
