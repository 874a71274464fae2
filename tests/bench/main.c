/*
 * make bench: trustfolder against NSS's softoken and p11-kit-trust, on the
 * same certificates, in one run. See bench.h for the processes involved.
 *
 *   build/bench/bench            the whole run (the driver)
 *
 * Environment:
 *   BENCH_SIZES=150,10000,100000   numbers of certificates
 *   BENCH_MODULES=trustfolder,softokn,p11kit
 *   BENCH_TIMEOUT=60               seconds one step may take ("no answer in T s")
 *   BENCH_START_TIMEOUT=120        the same for a module's first answer in a process
 *   BENCH_BUDGET=1                 seconds each repeated workload runs
 *   BENCH_TF_MODULE=PATH           the trustfolder module (build/trustfolder-pkcs11.so)
 *
 * Everything lives under build/bench: data/ (the certificates, their PEM
 * files, and the filled stores: kept between runs), run/ (each run's copies
 * of the stores), report.md.
 */
#include "bench.h"
#include "report.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bench_env env;
static char self_path[PATH_MAX], bench_dir[PATH_MAX], tf_so[PATH_MAX + 32];

static int
shell (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static int
shell (const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start (ap, fmt);
	vsnprintf (cmd, sizeof (cmd), fmt, ap);
	va_end (ap);
	return system (cmd);
}

static double
env_double (const char *name, double def)
{
	const char *v = getenv (name);
	double d;

	if (v == NULL || *v == '\0')
		return def;
	d = strtod (v, NULL);
	return d > 0 ? d : def;
}

static bench_module_id
module_by_name (const char *name)
{
	int i;

	for (i = 0; i < BENCH_NMODULES; i++) {
		if (strcmp (bench_module_names[i], name) == 0)
			return (bench_module_id)i;
	}
	fprintf (stderr, "bench: unknown module %s (trustfolder, softokn, p11kit)\n", name);
	exit (2);
}

/* ---- preparing the data and the stores ----------------------------------- */

static bool
ensure_data (unsigned n, bench_file_hdr *hdr)
{
	char bin[PATH_MAX], pem[PATH_MAX + 32];

	bench_data_path (&env, n, bin, sizeof (bin));
	if (bench_data_header (bin, hdr) && hdr->stored == n && hdr->extras == BENCH_EXTRAS)
		return true;
	snprintf (pem, sizeof (pem), "%s/data/pem-%u", bench_dir, n);
	fprintf (stderr, "bench: generating %u certificates (kept in %s)\n", n, bin);
	if (shell ("mkdir -p '%s/data' && '%s/bench-gen' %u '%s' '%s'", bench_dir, bench_dir, n, bin,
		   pem) != 0)
		return false;
	return bench_data_header (bin, hdr) && hdr->stored == n;
}

/*
 * Runs the load child into dir, fsync disabled; true when it loaded all.
 * Its lines are ticks, then "loaded COUNT SECONDS HOW".
 */
static bool
load_store (bench_module_id id, unsigned n, const char *dir, double *secs, char how[64])
{
	char nbuf[16], preload[PATH_MAX + 32], line[512];
	char *argv[] = { self_path, "load", (char *)bench_module_names[id], nbuf, (char *)dir, NULL };
	bench_child c;
	size_t count;
	int got;

	snprintf (nbuf, sizeof (nbuf), "%u", n);
	snprintf (preload, sizeof (preload), "%s/nosync.so", bench_dir);
	if (!bench_spawn (&c, argv, false, preload))
		return false;
	for (;;) {
		got = bench_child_line (&c, line, sizeof (line), env.timeout);
		if (got <= 0) {
			fprintf (stderr, "bench: loading %s: %s\n", bench_module_names[id],
				 got < 0 ? "no progress in time" : "the loader died");
			bench_child_end (&c, true);
			return false;
		}
		if (strncmp (line, "fail ", 5) == 0) {
			fprintf (stderr, "bench: loading %s: %s\n", bench_module_names[id], line + 5);
			bench_child_end (&c, true);
			return false;
		}
		if (sscanf (line, "loaded %zu %lf %63s", &count, secs, how) == 3)
			break;
	}
	return bench_child_end (&c, false) == 0;
}

/* 64-bit FNV-1a of a file's bytes (0 when it cannot be read): which build it is. */
static uint64_t
file_hash (const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[65536];
	size_t n, i;
	FILE *f = fopen (path, "rb");

	if (f == NULL)
		return 0;
	while ((n = fread (buf, 1, sizeof (buf), f)) > 0) {
		for (i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	}
	fclose (f);
	return h;
}

/* What a cached store was made from: the certificates, and the library that wrote it. */
static void
cache_key (const bench_module *m, const bench_file_hdr *hdr, char *out, size_t len)
{
	snprintf (out, len, "%llx %016llx", (unsigned long long)hdr->tag,
		  (unsigned long long)file_hash (m->so));
}

/*
 * The trustfolder module this run measures: a copy of the build's, taken at
 * the start, so that a rebuild during a long run (the tree is shared) cannot
 * change the module between one N and the next. Children get its path in
 * BENCH_TF_MODULE.
 */
static bool
pin_module (bench_run *run)
{
	char copy[PATH_MAX + 32];

	snprintf (copy, sizeof (copy), "%s/run/trustfolder-pkcs11.so", bench_dir);
	if (shell ("cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", tf_so, copy, copy, copy) != 0) {
		fprintf (stderr, "bench: cannot copy %s\n", tf_so);
		return false;
	}
	snprintf (run->module_hash, sizeof (run->module_hash), "%016llx",
		  (unsigned long long)file_hash (copy));
	snprintf (tf_so, sizeof (tf_so), "%s", copy);
	setenv ("BENCH_TF_MODULE", copy, 1);
	return true;
}

/*
 * Puts a store holding the N certificates at the module's run directory.
 * trustfolder's and softoken's are filled through PKCS#11 by a load child,
 * kept under data/ and copied for each run; a store is made again when the
 * certificates or the library that wrote it changed. p11-kit-trust reads the
 * PEM files, hard-linked so that its writes do not touch the cache.
 */
static bool
prepare_store (bench_module_id id, unsigned n, const bench_file_hdr *hdr,
	       bench_module_results *res)
{
	char cache[PATH_MAX + 32], tmp[PATH_MAX + 64], key[128], old[128] = "", how[64] = "";
	bench_module m;
	double secs = 0;
	FILE *f;

	bench_module_setup (&m, id, bench_dir, tf_so, n);
	if (shell ("rm -rf '%s' && mkdir -p '%s/run' && chmod 700 '%s/run'", m.dir, bench_dir,
		   bench_dir) != 0)
		return false;
	if (id == BENCH_P11KIT) {
		snprintf (res->load_note, sizeof (res->load_note),
			  "%u PEM files: roots in anchors/, distrusted leaves in blocklist/, the "
			  "rest at the top",
			  n);
		return shell ("cp -al '%s/data/pem-%u' '%s'", bench_dir, n, m.dir) == 0;
	}

	snprintf (cache, sizeof (cache), "%s/data/%s-%u", bench_dir, bench_module_names[id], n);
	cache_key (&m, hdr, key, sizeof (key));
	snprintf (tmp, sizeof (tmp), "%s/bench-tag", cache);
	f = fopen (tmp, "r");
	if (f != NULL) {
		if (fgets (old, sizeof (old), f) == NULL)
			old[0] = '\0';
		old[strcspn (old, "\n")] = '\0';
		fclose (f);
	}
	if (strcmp (old, key) == 0) {
		snprintf (res->load_note, sizeof (res->load_note),
			  "%u certificates + trust, copied from the store an earlier run filled "
			  "with the same certificates and library",
			  n);
		return shell ("cp -a '%s' '%s'", cache, m.dir) == 0;
	}

	fprintf (stderr, "bench: filling %s's store with %u certificates (kept in %s)\n",
		 bench_module_names[id], n, cache);
	if (shell ("rm -rf '%s' '%s.tmp' && mkdir -m 700 -p '%s.tmp'", cache, cache, cache) != 0)
		return false;
	snprintf (tmp, sizeof (tmp), "%s.tmp", cache);
	if (!load_store (id, n, tmp, &secs, how))
		return false;
	snprintf (tmp, sizeof (tmp), "%s.tmp/bench-tag", cache);
	f = fopen (tmp, "w");
	if (f == NULL)
		return false;
	fprintf (f, "%s\n", key);
	if (fclose (f) != 0 || shell ("mv '%s.tmp' '%s'", cache, cache) != 0)
		return false;
	snprintf (res->load_note, sizeof (res->load_note),
		  "filled with %u certificates + trust in %.1f s (%s, fsync off; not a "
		  "measurement; kept for later runs with the same library)",
		  n, secs, how);
	return shell ("cp -a '%s' '%s'", cache, m.dir) == 0;
}

/* ---- measuring ------------------------------------------------------------- */

static void
measure (bench_module_id id, unsigned n, bench_module_results *res)
{
	char nbuf[16], tbuf[32], line[1024];
	char *argv[] = { self_path, "measure", (char *)bench_module_names[id], nbuf, tbuf, NULL };
	int current = W_COLD, got, w, status;
	double limit;
	bench_child c;

	snprintf (nbuf, sizeof (nbuf), "%u", n);
	res->ran = true;
	snprintf (tbuf, sizeof (tbuf), "%llu", (unsigned long long)bench_now_ns ());
	if (!bench_spawn (&c, argv, false, NULL))
		return;
	for (;;) {
		/*
		 * The first answer may take long (p11-kit-trust parses every
		 * file). The child bounds its own children a little tighter, so
		 * that it can say which of them did not answer.
		 */
		limit = current == W_COLD ? env.start_timeout : env.timeout;
		got = bench_child_line (&c, line, sizeof (line), limit);
		if (got == 0)
			break;
		if (got < 0) {
			bench_child_end (&c, true);
			if (current >= 0 && res->r[current].status == RES_NOTRUN)
				res->r[current].status = RES_TIMEOUT;
			for (w = 0; w < W_COUNT; w++) {
				if (res->r[w].status != RES_NOTRUN)
					continue;
				if (current == W_COLD)
					snprintf (res->r[w].note, sizeof (res->r[w].note),
						  "no answer in %.0f s (its first search)", limit);
				else
					snprintf (res->r[w].note, sizeof (res->r[w].note),
						  "not run: no answer in %.0f s before", limit);
			}
			snprintf (res->r[current].note, sizeof (res->r[current].note),
				  "no answer in %.0f s", limit);
			fprintf (stderr, "bench: %s at %u: no answer in %.0f s, stopped\n",
				 bench_module_names[id], n, limit);
			return;
		}
		bench_apply_line (res, line, &current);
		if (strncmp (line, "ok ", 3) == 0 || strncmp (line, "fail ", 5) == 0 ||
		    strncmp (line, "na ", 3) == 0 || strncmp (line, "stop ", 5) == 0)
			fprintf (stderr, "bench: %s %u: %s\n", bench_module_names[id], n, line);
	}
	status = bench_child_end (&c, false);
	/* A crash in the module ends the child without a word: say so where it happened. */
	for (w = 0; w < W_COUNT; w++) {
		if (res->r[w].status == RES_NOTRUN && res->r[w].note[0] == '\0')
			snprintf (res->r[w].note, sizeof (res->r[w].note),
				  "not run: the measuring process ended (status %d) in %s", status,
				  bench_workloads[current].title);
	}
}

/*
 * trustfolder at the smallest and the largest N in one process, taking
 * turns (bench_flat_main), on copies of the stores as filled (the measuring
 * runs added certificates to theirs), the second instance from a second
 * copy of the library.
 */
static void
flat (bench_run *run)
{
	unsigned n1 = run->sizes[0].n, n2 = run->sizes[run->nsizes - 1].n;
	char a[16], b[16], so2[PATH_MAX + 32], line[1024], key[32];
	char *argv[] = { self_path, "flat", a, b, so2, NULL };
	double x, y, g;
	unsigned rounds;
	bench_child c;
	int got, k;

	snprintf (a, sizeof (a), "%u", n1);
	snprintf (b, sizeof (b), "%u", n2);
	snprintf (so2, sizeof (so2), "%s/run/trustfolder-pkcs11-flat.so", bench_dir);
	if (shell ("cp '%s' '%s'", tf_so, so2) != 0 ||
	    shell ("rm -rf '%s/run/flat-%u' '%s/run/flat-%u' && "
		   "cp -a '%s/data/trustfolder-%u' '%s/run/flat-%u' && "
		   "cp -a '%s/data/trustfolder-%u' '%s/run/flat-%u'",
		   bench_dir, n1, bench_dir, n2, bench_dir, n1, bench_dir, n1, bench_dir, n2,
		   bench_dir, n2) != 0) {
		snprintf (run->flat_note, sizeof (run->flat_note), "its stores could not be copied");
		return;
	}
	fprintf (stderr, "bench: trustfolder with %u and %u certificates side by side\n", n1, n2);
	run->flat_ran = true;
	if (!bench_spawn (&c, argv, false, NULL))
		return;
	while ((got = bench_child_line (&c, line, sizeof (line), env.timeout)) > 0) {
		if (sscanf (line, "flat %31s %lf %lf %lf %u", key, &x, &y, &g, &rounds) == 5) {
			k = strcmp (key, "trust") == 0 ? 0 : 1;
			run->flat_ns[k][0] = x;
			run->flat_ns[k][1] = y;
			run->flat_growth[k] = g;
			run->flat_rounds[k] = rounds;
			run->flat_ok[k] = true;
			fprintf (stderr, "bench: %s\n", line);
		} else if (strncmp (line, "stop ", 5) == 0) {
			snprintf (run->flat_note, sizeof (run->flat_note), "%.200s", line + 5);
		}
	}
	if (got < 0)
		snprintf (run->flat_note, sizeof (run->flat_note), "no answer in %.0f s",
			  env.timeout);
	bench_child_end (&c, got < 0);
}

static int
driver (void)
{
	static bench_run run;
	const char *sizes = getenv ("BENCH_SIZES"), *mods = getenv ("BENCH_MODULES");
	char buf[512], *tok, *save, path[PATH_MAX + 16];
	uint64_t t0 = bench_now_ns ();
	bench_file_hdr hdr;
	FILE *f;
	int i, k;

	run.timeout = env.timeout;
	run.budget = env.budget;
	snprintf (buf, sizeof (buf), "%s", mods && *mods ? mods : "trustfolder,softokn,p11kit");
	for (tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
		run.enabled[module_by_name (tok)] = true;
	snprintf (buf, sizeof (buf), "%s", sizes && *sizes ? sizes : "150,10000,100000");
	for (tok = strtok_r (buf, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save)) {
		if (run.nsizes < 8)
			run.sizes[run.nsizes++].n = (unsigned)strtoul (tok, NULL, 10);
	}
	snprintf (run.command, sizeof (run.command), "BENCH_SIZES=%s BENCH_MODULES=%s make bench",
		  sizes && *sizes ? sizes : "150,10000,100000",
		  mods && *mods ? mods : "trustfolder,softokn,p11kit");

	/* The module reads no configuration but ours: an empty file. */
	snprintf (path, sizeof (path), "%s/run", bench_dir);
	mkdir (path, 0700);
	snprintf (path, sizeof (path), "%s/run/empty.conf", bench_dir);
	f = fopen (path, "w");
	if (f != NULL)
		fclose (f);
	setenv ("TRUSTFOLDER_CONFIG", path, 1);
	unsetenv ("TRUSTFOLDER_STORE");
	unsetenv ("TRUSTFOLDER_SESSION");
	unsetenv ("TRUSTFOLDER_DEBUG");
	unsetenv ("P11_KIT_DEBUG");

	bench_machine_describe (&run.machine);
	if (run.enabled[BENCH_TF] && !pin_module (&run))
		return 1;

	for (i = 0; i < run.nsizes; i++) {
		bench_size_results *sz = &run.sizes[i];

		if (!ensure_data (sz->n, &hdr)) {
			fprintf (stderr, "bench: cannot generate %u certificates\n", sz->n);
			return 1;
		}
		sz->der_bytes = hdr.der_bytes;
		for (k = 0; k < BENCH_NMODULES; k++) {
			if (!run.enabled[k])
				continue;
			fprintf (stderr, "bench: %s with %u certificates\n", bench_module_names[k],
				 sz->n);
			if (!prepare_store ((bench_module_id)k, sz->n, &hdr, &sz->mod[k])) {
				snprintf (sz->mod[k].r[0].note, sizeof (sz->mod[k].r[0].note),
					  "its store could not be filled");
				for (int w = 1; w < W_COUNT; w++)
					sz->mod[k].r[w] = sz->mod[k].r[0];
				continue;
			}
			measure ((bench_module_id)k, sz->n, &sz->mod[k]);
		}
	}
	if (run.enabled[BENCH_TF] && run.nsizes >= 2)
		flat (&run);
	run.elapsed_s = (double)(bench_now_ns () - t0) / 1e9;
	bench_load_average (run.load_end, sizeof (run.load_end));

	bench_report_write (stdout, &run);
	snprintf (path, sizeof (path), "%s/report.md", bench_dir);
	f = fopen (path, "w");
	if (f == NULL) {
		fprintf (stderr, "bench: %s: %s\n", path, strerror (errno));
		return 1;
	}
	bench_report_write (f, &run);
	fclose (f);
	fflush (stdout);
	fprintf (stderr, "bench: report written to %s\n", path);
	return 0;
}

int
main (int argc, char **argv)
{
	char tmp[PATH_MAX + 32];
	const char *so = getenv ("BENCH_TF_MODULE");

	if (realpath ("/proc/self/exe", self_path) == NULL) {
		fprintf (stderr, "bench: cannot tell where I am\n");
		return 2;
	}
	snprintf (tmp, sizeof (tmp), "%s", self_path);
	snprintf (bench_dir, sizeof (bench_dir), "%s", dirname (tmp));
	if (so == NULL || *so == '\0') {
		snprintf (tmp, sizeof (tmp), "%s/../trustfolder-pkcs11.so", bench_dir);
		so = tmp;
	}
	if (realpath (so, tf_so) == NULL) {
		fprintf (stderr, "bench: no trustfolder module at %s (make builds it)\n", so);
		return 2;
	}
	env.self = self_path;
	env.bench_dir = bench_dir;
	env.tf_so = tf_so;
	env.timeout = env_double ("BENCH_TIMEOUT", 60);
	env.budget = env_double ("BENCH_BUDGET", 1);
	env.start_timeout = env_double ("BENCH_START_TIMEOUT", 120);

	if (argc < 2)
		return driver ();
	if (strcmp (argv[1], "measure") == 0 && argc == 5)
		return bench_measure_main (&env, module_by_name (argv[2]),
					   (unsigned)strtoul (argv[3], NULL, 10),
					   strtoull (argv[4], NULL, 10));
	if (strcmp (argv[1], "flat") == 0 && argc == 5)
		return bench_flat_main (&env, (unsigned)strtoul (argv[2], NULL, 10),
					(unsigned)strtoul (argv[3], NULL, 10), argv[4]);
	if (strcmp (argv[1], "load") == 0 && argc == 5)
		return bench_load_main (&env, module_by_name (argv[2]),
					(unsigned)strtoul (argv[3], NULL, 10), argv[4]);
	if (strcmp (argv[1], "cold") == 0 && argc == 6)
		return bench_cold_main (&env, module_by_name (argv[2]),
					(unsigned)strtoul (argv[3], NULL, 10), argv[4], argv[5]);
	if (strcmp (argv[1], "writer") == 0 && argc == 4)
		return bench_writer_main (&env, module_by_name (argv[2]),
					  (unsigned)strtoul (argv[3], NULL, 10));
	fprintf (stderr, "usage: bench (the whole run; see the environment in main.c)\n");
	return 2;
}
