/*
 * The benchmark runner (make bench): shared declarations.
 *
 * One binary, several modes. The driver (no arguments) prepares the data and
 * the stores, then runs each module's measurements in a child process of its
 * own ("measure"), which spawns the short-lived children of the cold-start
 * and cross-process workloads ("cold", "writer"); a "load" child fills a
 * module's store before it is measured. A child reports on standard output,
 * one line per event (see report.h), so the driver can bound each step with a
 * timeout and still keep what a killed child reported before it hung.
 */
#ifndef BENCH_H
#define BENCH_H

#include "data.h"

#include <p11-kit/pkcs11.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- time and statistics (stats.c) --------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds: one clock for every process of the run. */
uint64_t bench_now_ns (void);

typedef struct {
	double *v;
	size_t n, cap;
} bench_samples;

bool bench_samples_add (bench_samples *s, double v);
void bench_samples_free (bench_samples *s);
/* Sorts the samples; the median and the 99th percentile (nearest rank). */
void bench_samples_summary (bench_samples *s, double *median, double *p99);

/* ---- modules (module.c) -------------------------------------------------- */

typedef enum {
	BENCH_TF = 0,
	BENCH_SOFTOKN,
	BENCH_P11KIT,
	BENCH_NMODULES,
} bench_module_id;

extern const char *const bench_module_names[BENCH_NMODULES];

typedef struct {
	bench_module_id id;
	unsigned n;
	char so[4096];	     /* the library */
	char dir[4096];	     /* where its store lives for this run */
	char params[8400];   /* C_Initialize pReserved */
	void *dl;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	bool initialized;
	/* trustfolder's "Vendor trustfolder" batch functions, when it has them */
	CK_RV (*begin_batch) (CK_SESSION_HANDLE);
	CK_RV (*commit_batch) (CK_SESSION_HANDLE);
} bench_module;

/* Paths and parameters of module id for N certificates, under build/bench. */
void bench_module_setup (bench_module *m, bench_module_id id, const char *bench_dir,
			 const char *tf_so, unsigned n);
/* The same module with its store at dir instead (the parameters follow). */
void bench_module_set_dir (bench_module *m, const char *dir);

/*
 * dlopen, C_GetFunctionList, C_Initialize (CKF_OS_LOCKING_OK, the parameter
 * string in pReserved), and the slot that holds the store. false with a
 * message in err when any step fails. marks, when not NULL, gets the times
 * the library was loaded and C_Initialize returned.
 */
bool bench_module_load (bench_module *m, char *err, size_t errlen, uint64_t marks[2]);
void bench_module_unload (bench_module *m);

/* A session on the store's slot; softoken's database gets its empty PIN. */
CK_RV bench_open_session (bench_module *m, bool rw, CK_SESSION_HANDLE *session);

const char *bench_ckr (CK_RV rv);

/* ---- the operations each workload repeats (ops.c) ------------------------ */

/* What an operation found, to tell a fast answer from a right one. */
typedef struct {
	unsigned long found;
	bool right;
} bench_answer;

/* NSS's trust lookup: find by issuer + serial, read purposes, step-up and SHA-1. */
CK_RV bench_trust_lookup (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c,
			  bench_answer *a);
/* Certificates by subject, by label (certutil) or by CKA_ID (pkcs11-tool), reading CKA_VALUE. */
CK_RV bench_cert_by_subject (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c,
			     bench_answer *a);
CK_RV bench_cert_by_label (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c,
			   bench_answer *a);
CK_RV bench_cert_by_id (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c,
			bench_answer *a);
/* Every token certificate with its value and label; a->found is the count. */
CK_RV bench_enumerate (bench_module *m, CK_SESSION_HANDLE s, bench_answer *a);

/*
 * A decision as the module's clients write one: certutil's certificate and
 * NSS trust objects, or for p11-kit-trust, whose NSS trust objects are
 * derived and cannot be created, a certificate with CKA_TRUSTED as
 * `trust anchor --store` writes.
 */
CK_RV bench_create_decision (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c);
/* The NSS trust object alone (certutil's second create). */
CK_RV bench_create_nss_trust (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c);
/* A CKA_TOKEN=FALSE certificate, then its destruction. */
CK_RV bench_session_object (bench_module *m, CK_SESSION_HANDLE s, const bench_cert *c);

/* ---- the child modes (measure.c, children.c) ----------------------------- */

typedef struct {
	const char *self;      /* this program, for the children it spawns */
	const char *bench_dir; /* build/bench */
	const char *tf_so;     /* build/trustfolder-pkcs11.so */
	double budget;	       /* seconds a repeated workload may take */
	double timeout;	       /* seconds a step may take before it counts as no answer */
	double start_timeout;  /* the same for a process's first answer */
} bench_env;

/* t_spawn: when the driver spawned this process (CLOCK_MONOTONIC, ns). */
int bench_measure_main (const bench_env *env, bench_module_id id, unsigned n, uint64_t t_spawn);
/* trustfolder over n_small and n_large side by side; the second instance is so_large. */
int bench_flat_main (const bench_env *env, unsigned n_small, unsigned n_large, const char *so_large);
int bench_load_main (const bench_env *env, bench_module_id id, unsigned n, const char *dir);
int bench_cold_main (const bench_env *env, bench_module_id id, unsigned n, const char *issuer_hex,
		     const char *serial_hex);
int bench_writer_main (const bench_env *env, bench_module_id id, unsigned n);

/* ---- child processes (children.c) --------------------------------------- */

typedef struct {
	int pid;
	int out; /* its standard output, read line by line */
	int in;	 /* its standard input, or -1 */
	char buf[16384];
	size_t len;
} bench_child;

/*
 * Starts argv[0] (posix_spawn, so that the parent's size does not count in
 * the child's start) with its standard output on a pipe, and its standard
 * input on another when with_stdin. preload, when not NULL, goes into the
 * child's LD_PRELOAD. false with a message on standard error.
 */
bool bench_spawn (bench_child *c, char *const argv[], bool with_stdin, const char *preload);

/* The child's next line (newline removed): 1, or 0 at its end, or -1 when none came in time. */
int bench_child_line (bench_child *c, char *line, size_t max, double timeout_s);

/* Kills the child first when kill_it; waits for it; its exit status (-1: killed). */
int bench_child_end (bench_child *c, bool kill_it);

/* The data file of N certificates. */
void bench_data_path (const bench_env *env, unsigned n, char *out, size_t len);

/* Hex for argv and back; hex_decode returns the length, or 0 on bad input. */
void bench_hex_encode (const unsigned char *in, size_t len, char *out);
size_t bench_hex_decode (const char *in, unsigned char *out, size_t max);

/* This process's VmHWM and VmRSS in kB (0 when /proc says nothing). */
void bench_memory (unsigned long *hwm_kb, unsigned long *rss_kb);

#endif /* BENCH_H */
