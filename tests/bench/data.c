/*
 * Reading the certificate cache (data.h). The records are streamed, and only
 * the ones a filter keeps are held, so that a measuring process holds a small
 * sample and its peak memory is mostly the module's.
 */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
bench_data_header (const char *path, bench_file_hdr *out)
{
	FILE *f = fopen (path, "rb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fread (out, sizeof (*out), 1, f) == 1 &&
	     memcmp (out->magic, BENCH_MAGIC, sizeof (out->magic)) == 0;
	fclose (f);
	return ok;
}

static bool
read_records (const char *path, bench_filter filter, void *ctx, size_t limit, bench_data *out);

bool
bench_data_read (const char *path, bench_filter filter, void *ctx, bench_data *out)
{
	return read_records (path, filter, ctx, 0, out);
}

bool
bench_data_read_first (const char *path, bench_data *out)
{
	return read_records (path, NULL, NULL, 1, out);
}

/* The records filter keeps, stopping after limit of them (0: no limit). */
static bool
read_records (const char *path, bench_filter filter, void *ctx, size_t limit, bench_data *out)
{
	unsigned char skip[4096];
	size_t cap = 0, total, i, left, n;
	bench_cert *c, *grown;
	bench_rec_hdr h;
	FILE *f;

	memset (out, 0, sizeof (*out));
	f = fopen (path, "rb");
	if (f == NULL) {
		fprintf (stderr, "bench: %s: %s\n", path, strerror (errno));
		return false;
	}
	if (fread (&out->hdr, sizeof (out->hdr), 1, f) != 1 ||
	    memcmp (out->hdr.magic, BENCH_MAGIC, sizeof (out->hdr.magic)) != 0) {
		fprintf (stderr, "bench: %s is not a certificate cache of this version\n", path);
		goto fail;
	}
	total = (size_t)out->hdr.stored + out->hdr.extras;
	for (i = 0; i < total && (limit == 0 || out->count < limit); i++) {
		if (fread (&h, sizeof (h), 1, f) != 1)
			goto truncated;
		if (filter != NULL && !filter (ctx, (unsigned)i, &out->hdr)) {
			for (left = h.label_len + (size_t)h.der_len; left > 0; left -= n) {
				n = left < sizeof (skip) ? left : sizeof (skip);
				if (fread (skip, 1, n, f) != n)
					goto truncated;
			}
			continue;
		}
		if (out->count == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc (out->certs, cap * sizeof (bench_cert));
			if (grown == NULL)
				goto oom;
			out->certs = grown;
		}
		c = &out->certs[out->count];
		memset (c, 0, sizeof (*c));
		c->h = h;
		c->index = (unsigned)i;
		c->der = malloc (h.der_len);
		if (c->der == NULL)
			goto oom;
		out->count++;
		if ((h.label_len > 0 && fread (c->label, h.label_len, 1, f) != 1) ||
		    fread (c->der, h.der_len, 1, f) != 1)
			goto truncated;
	}
	fclose (f);
	return true;

truncated:
	fprintf (stderr, "bench: %s is truncated; delete it to generate it again\n", path);
	goto fail;
oom:
	fprintf (stderr, "bench: out of memory reading %s\n", path);
fail:
	fclose (f);
	bench_data_free (out);
	return false;
}

void
bench_data_free (bench_data *data)
{
	size_t i;

	for (i = 0; i < data->count; i++)
		free (data->certs[i].der);
	free (data->certs);
	memset (data, 0, sizeof (*data));
}
