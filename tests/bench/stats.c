/*
 * Time, samples and their summary, hex, and this process's memory.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t
bench_now_ns (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool
bench_samples_add (bench_samples *s, double v)
{
	double *grown;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		grown = realloc (s->v, cap * sizeof (double));
		if (grown == NULL)
			return false;
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return true;
}

void
bench_samples_free (bench_samples *s)
{
	free (s->v);
	memset (s, 0, sizeof (*s));
}

static int
cmp_double (const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_samples_summary (bench_samples *s, double *median, double *p99)
{
	size_t rank;

	*median = *p99 = 0;
	if (s->n == 0)
		return;
	qsort (s->v, s->n, sizeof (double), cmp_double);
	*median = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
	/* Nearest rank: the smallest sample with at least 99 % of them at or below it. */
	rank = (s->n * 99 + 99) / 100;
	*p99 = s->v[rank - 1];
}

void
bench_hex_encode (const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
nibble (char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
bench_hex_decode (const char *in, unsigned char *out, size_t max)
{
	size_t len = strlen (in), i;
	int hi, lo;

	if (len % 2 != 0 || len / 2 > max)
		return 0;
	for (i = 0; i < len / 2; i++) {
		hi = nibble (in[2 * i]);
		lo = nibble (in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return len / 2;
}

void
bench_memory (unsigned long *hwm_kb, unsigned long *rss_kb)
{
	char line[256];
	FILE *f;

	*hwm_kb = *rss_kb = 0;
	f = fopen ("/proc/self/status", "r");
	if (f == NULL)
		return;
	while (fgets (line, sizeof (line), f) != NULL) {
		if (strncmp (line, "VmHWM:", 6) == 0)
			*hwm_kb = strtoul (line + 6, NULL, 10);
		else if (strncmp (line, "VmRSS:", 6) == 0)
			*rss_kb = strtoul (line + 6, NULL, 10);
	}
	fclose (f);
}
