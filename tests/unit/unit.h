/*
 * Shared helpers for the cmocka unit tests.
 */
#ifndef TF_UNIT_H
#define TF_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

/* Reads a whole file into a malloc'd buffer; fails the test when it cannot. */
static inline unsigned char *
unit_read_file (const char *path, size_t *len)
{
	FILE *f = fopen (path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		fail_msg ("cannot open fixture %s", path);
	fseek (f, 0, SEEK_END);
	n = ftell (f);
	fseek (f, 0, SEEK_SET);
	buf = malloc (n > 0 ? (size_t)n : 1);
	assert_non_null (buf);
	if (n > 0 && fread (buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg ("cannot read fixture %s", path);
	fclose (f);
	*len = (size_t)n;
	return buf;
}

#ifndef TF_FIXTURES
#define TF_FIXTURES "tests/fixtures"
#endif

#endif /* TF_UNIT_H */
