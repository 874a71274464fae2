/*
 * The workloads, the lines a measuring child reports them in, and the
 * driver's record of them.
 *
 * A child writes one line per event on standard output:
 *
 *   begin KEY                  a workload starts (a timeout from here on is its)
 *   tick                       still working (resets the driver's timeout)
 *   ok KEY N MEDIAN P99 NOTE   N samples; times in ns, or for a rate workload
 *                              MEDIAN is the rate per second and P99 unused
 *   na KEY REASON              the module cannot do it
 *   fail KEY REASON            it failed (an error code, a wrong answer)
 *   timeout KEY                it did not answer in time (the child gave up)
 *   stop REASON                nothing more can be measured (e.g. no answer)
 *   mem HWM_KB BASE_KB         peak RSS, and RSS before the module was loaded
 *   info TEXT                  a line for the report's notes
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include "bench.h"

#include <stdio.h>

typedef enum {
	W_COLD,
	W_TRUST,
	W_SUBJECT,
	W_ID,
	W_LABEL,
	W_ENUM,
	W_THREADS1,
	W_THREADS2,
	W_THREADS4,
	W_SESSION,
	W_DECISION,
	W_BULK,
	W_CROSS,
	W_MEMORY,
	W_COUNT,
} bench_workload;

typedef struct {
	const char *key;
	const char *title;
	bool rate; /* a rate (per second), higher is better */
} bench_workload_info;

extern const bench_workload_info bench_workloads[W_COUNT];

/* The workload with this key, or -1. */
int bench_workload_find (const char *key);

typedef enum {
	RES_NOTRUN = 0,
	RES_OK,
	RES_NA,
	RES_FAIL,
	RES_TIMEOUT,
} bench_status;

typedef struct {
	bench_status status;
	unsigned long n;
	double median, p99;
	char note[240];
} bench_result;

typedef struct {
	bool ran;
	bench_result r[W_COUNT];
	double load_s; /* filling its store (0: not done by this run) */
	char load_note[160];
	char info[8][240];
	int ninfo;
} bench_module_results;

typedef struct {
	unsigned n;
	unsigned long long der_bytes;
	bench_module_results mod[BENCH_NMODULES];
} bench_size_results;

typedef struct {
	char cpu[128];
	int cores;
	char kernel[128];
	char debian[64];
	char mem[64];
	char load[64];
	char nss[64];
	char p11kit[64];
	char commit[64];
	char date[64];
} bench_machine;

typedef struct {
	bench_machine machine;
	bool enabled[BENCH_NMODULES];
	bench_size_results sizes[8];
	int nsizes;
	double timeout, budget;
	double elapsed_s;
	char command[256];
	char module_hash[24]; /* of the trustfolder module measured */
	char load_end[64];    /* load average when the run ended */

	/* trustfolder at the smallest and largest N side by side (bench_flat_main). */
	bool flat_ran;
	double flat_ns[2][2]; /* [trust, subject][smallest N, largest N] medians */
	double flat_growth[2]; /* median over the rounds of largest over smallest */
	unsigned flat_rounds[2];
	bool flat_ok[2];
	char flat_note[240];
} bench_run;

/* Emitting, for the children: one line, flushed. */
void bench_emit (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* The driver's side: one reported line applied to res. */
void bench_apply_line (bench_module_results *res, const char *line, int *current);

void bench_machine_describe (bench_machine *m);

/* The three load averages, as "1.00 0.50 0.25". */
void bench_load_average (char *out, size_t len);

/* The tables and the targets of issue 6, to f (Markdown). */
void bench_report_write (FILE *f, const bench_run *run);

#endif /* BENCH_REPORT_H */
