/*
 * The trust record's own helpers: allocation, copies, and the few facts
 * about a record that do not depend on any view.
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>

tf_record *
tf_record_new (void)
{
	return calloc (1, sizeof (tf_record));
}

void
tf_bytes_clear (tf_bytes *dst)
{
	free (dst->data);
	dst->data = NULL;
	dst->len = 0;
}

bool
tf_bytes_set (tf_bytes *dst, const void *data, size_t len)
{
	unsigned char *copy = NULL;

	if (len > 0) {
		copy = malloc (len);
		if (copy == NULL)
			return false;
		memcpy (copy, data, len);
	}
	free (dst->data);
	dst->data = copy;
	dst->len = len;
	return true;
}

bool
tf_bytes_equal (const tf_bytes *a, const void *data, size_t len)
{
	return a->len == len && (len == 0 || memcmp (a->data, data, len) == 0);
}

static void
record_clear (tf_record *rec)
{
	tf_bytes_clear (&rec->der);
	tf_bytes_clear (&rec->issuer);
	tf_bytes_clear (&rec->serial);
	tf_bytes_clear (&rec->subject);
	tf_bytes_clear (&rec->id);
	tf_bytes_clear (&rec->label);
	tf_bytes_clear (&rec->email);
	tf_bytes_clear (&rec->stapled_eku);
	tf_bytes_clear (&rec->spki_sha1);
	free (rec->hosts);
	free (rec->live_hosts);
	free (rec->creator);
	rec->hosts = NULL;
	rec->live_hosts = NULL;
	rec->creator = NULL;
}

void
tf_record_free (tf_record *rec)
{
	if (rec == NULL)
		return;
	/* A compact record is one allocation, its bytes included. */
	if (rec->block != rec)
		record_clear (rec);
	free (rec);
}

static bool
dup_string (char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = strdup (src);
	return *dst != NULL;
}

tf_record *
tf_record_dup (const tf_record *rec)
{
	tf_record *copy;

	copy = tf_record_new ();
	if (copy == NULL)
		return NULL;
	*copy = *rec;
	/* Forget the borrowed pointers before anything can fail and free them. */
	memset (&copy->der, 0, sizeof (tf_bytes));
	memset (&copy->issuer, 0, sizeof (tf_bytes));
	memset (&copy->serial, 0, sizeof (tf_bytes));
	memset (&copy->subject, 0, sizeof (tf_bytes));
	memset (&copy->id, 0, sizeof (tf_bytes));
	memset (&copy->label, 0, sizeof (tf_bytes));
	memset (&copy->email, 0, sizeof (tf_bytes));
	memset (&copy->stapled_eku, 0, sizeof (tf_bytes));
	memset (&copy->spki_sha1, 0, sizeof (tf_bytes));
	copy->hosts = NULL;
	copy->live_hosts = NULL;
	copy->creator = NULL;
	copy->block = NULL;
	/* The copy is in no index (yet): the original's neighbours are not its own. */
	memset (copy->same_key, 0, sizeof (copy->same_key));

	if (!tf_bytes_set (&copy->der, rec->der.data, rec->der.len) ||
	    !tf_bytes_set (&copy->issuer, rec->issuer.data, rec->issuer.len) ||
	    !tf_bytes_set (&copy->serial, rec->serial.data, rec->serial.len) ||
	    !tf_bytes_set (&copy->subject, rec->subject.data, rec->subject.len) ||
	    !tf_bytes_set (&copy->id, rec->id.data, rec->id.len) ||
	    !tf_bytes_set (&copy->label, rec->label.data, rec->label.len) ||
	    !tf_bytes_set (&copy->email, rec->email.data, rec->email.len) ||
	    !tf_bytes_set (&copy->stapled_eku, rec->stapled_eku.data, rec->stapled_eku.len) ||
	    !tf_bytes_set (&copy->spki_sha1, rec->spki_sha1.data, rec->spki_sha1.len) ||
	    !dup_string (&copy->hosts, rec->hosts) ||
	    !dup_string (&copy->live_hosts, rec->live_hosts) ||
	    !dup_string (&copy->creator, rec->creator)) {
		tf_record_free (copy);
		return NULL;
	}
	return copy;
}

/* The byte fields a compact record keeps, in its block's order after der. */
static tf_bytes *
byte_field (tf_record *rec, int i)
{
	tf_bytes *fields[] = {
	    &rec->issuer, &rec->serial, &rec->subject,	  &rec->id,
	    &rec->label,  &rec->email,	&rec->stapled_eku, &rec->spki_sha1,
	};

	return i < (int)(sizeof (fields) / sizeof (fields[0])) ? fields[i] : NULL;
}

/* Where the certificate already holds these bytes; NULL when it does not. */
static const unsigned char *
within_der (const tf_record *rec, const tf_bytes *b)
{
	return b->len > 0 && rec->der.len > 0
		       ? memmem (rec->der.data, rec->der.len, b->data, b->len)
		       : NULL;
}

/* Copies n bytes to *p and moves *p past them; returns where they went (NULL for none). */
static void *
place (unsigned char **p, const void *data, size_t n)
{
	void *at = *p;

	if (n == 0)
		return NULL;
	memcpy (*p, data, n);
	*p += n;
	return at;
}

tf_record *
tf_record_compact (tf_record *rec)
{
	const unsigned char *found[3] = {NULL, NULL, NULL};
	size_t size, hosts_len, live_len, creator_len;
	tf_record *out;
	unsigned char *der, *p;
	tf_bytes *b, *to;
	int i;

	if (rec->block == rec)
		return rec;
	hosts_len = rec->hosts != NULL ? strlen (rec->hosts) + 1 : 0;
	live_len = rec->live_hosts != NULL ? strlen (rec->live_hosts) + 1 : 0;
	creator_len = rec->creator != NULL ? strlen (rec->creator) + 1 : 0;
	size = sizeof (tf_record) + rec->der.len + hosts_len + live_len + creator_len;
	for (i = 0; (b = byte_field (rec, i)) != NULL; i++) {
		if (i < 3)
			found[i] = within_der (rec, b);
		if (i >= 3 || found[i] == NULL)
			size += b->len;
	}
	out = malloc (size);
	if (out == NULL)
		return rec;

	/* The record first, then the certificate right behind it: a lookup reads both. */
	*out = *rec;
	out->block = out;
	p = (unsigned char *)(out + 1);
	der = place (&p, rec->der.data, rec->der.len);
	out->der.data = der;
	for (i = 0; (b = byte_field (rec, i)) != NULL; i++) {
		to = byte_field (out, i);
		if (i < 3 && found[i] != NULL)
			to->data = der + (found[i] - rec->der.data);
		else
			to->data = place (&p, b->data, b->len);
	}
	out->hosts = place (&p, rec->hosts, hosts_len);
	out->live_hosts = place (&p, rec->live_hosts, live_len);
	out->creator = place (&p, rec->creator, creator_len);
	tf_record_free (rec);
	return out;
}

/* true when some slot of a list is empty: first, last, or between two commas. */
static bool
has_tombstone (const char *hosts)
{
	size_t n = strlen (hosts);

	return n == 0 || hosts[0] == ',' || hosts[n - 1] == ',' || strstr (hosts, ",,") != NULL;
}

bool
tf_record_set_hosts (tf_record *rec, char *hosts)
{
	const char *p, *end;
	char *live = NULL, *out;
	size_t len;

	if (hosts != NULL && has_tombstone (hosts)) {
		live = malloc (strlen (hosts) + 1);
		if (live == NULL) {
			free (hosts);
			return false;
		}
		out = live;
		p = hosts;
		for (;;) {
			end = strchr (p, ',');
			len = end != NULL ? (size_t)(end - p) : strlen (p);
			if (len > 0) {
				if (out > live)
					*out++ = ',';
				memcpy (out, p, len);
				out += len;
			}
			if (end == NULL)
				break;
			p = end + 1;
		}
		*out = '\0';
	}
	free (rec->hosts);
	free (rec->live_hosts);
	rec->hosts = hosts;
	rec->live_hosts = live;
	return true;
}

const char *
tf_record_live_hosts (const tf_record *rec)
{
	return rec->live_hosts != NULL ? rec->live_hosts : rec->hosts;
}

bool
tf_record_is_positive (const tf_record *rec)
{
	int i;

	if (!rec->has_trust)
		return false;
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (rec->trust[i] == TF_LEVEL_ANCHOR || rec->trust[i] == TF_LEVEL_PEER ||
		    rec->trust[i] == TF_LEVEL_CA)
			return true;
	}
	return false;
}

bool
tf_record_has_any_hash (const tf_record *rec)
{
	return rec->has_hash || rec->has_sha256;
}
