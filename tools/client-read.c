/*
 * The client layer, reading: every certificate and NSS trust object of a
 * token, joined by issuer and serial number into one entry per decision (the
 * module shows each record as both), and the objects a PKCS#11 URI names.
 * See client.h.
 */
#include "client-private.h"

#include "tool.h"

#include <p11-kit/uri.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------- */

/*
 * One attribute, allocated with a NUL after it (so strings can be used as
 * they are). CKR_ATTRIBUTE_TYPE_INVALID when the object has no such
 * attribute; other errors are returned as they are.
 */
static CK_RV
get_bytes (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	   unsigned char **out, size_t *len)
{
	CK_ATTRIBUTE attr = { type, NULL, 0 };
	unsigned char *buf;
	CK_RV rv;

	*out = NULL;
	*len = 0;
	rv = c->f->C_GetAttributeValue (s, obj, &attr, 1);
	if (rv != CKR_OK)
		return rv;
	if (attr.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	buf = malloc (attr.ulValueLen + 1);
	if (buf == NULL)
		return CKR_HOST_MEMORY;
	attr.pValue = buf;
	rv = c->f->C_GetAttributeValue (s, obj, &attr, 1);
	if (rv != CKR_OK) {
		free (buf);
		return rv;
	}
	buf[attr.ulValueLen] = '\0';
	*out = buf;
	*len = attr.ulValueLen;
	return CKR_OK;
}

/* A string attribute, "" when the object has none. */
static CK_RV
get_string (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	    char **out)
{
	unsigned char *buf;
	size_t len;
	CK_RV rv;

	rv = get_bytes (c, s, obj, type, &buf, &len);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID) {
		buf = (unsigned char *)strdup ("");
		rv = buf != NULL ? CKR_OK : CKR_HOST_MEMORY;
	}
	*out = (char *)buf;
	return rv;
}

/* A CK_ULONG attribute; *value is left as it is when the object has none. */
static CK_RV
get_ulong (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
	   CK_ULONG *value)
{
	CK_ULONG v = 0;
	CK_ATTRIBUTE attr = { type, &v, sizeof (v) };
	CK_RV rv;

	rv = c->f->C_GetAttributeValue (s, obj, &attr, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
		return CKR_OK;
	if (rv == CKR_OK)
		*value = v;
	return rv;
}

/* Every object of the scope's token matching tmpl, in *objs (malloc'd). */
static bool
find_all (client *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count,
	  CK_OBJECT_HANDLE **objs, size_t *n)
{
	CK_OBJECT_HANDLE chunk[64], *grown;
	CK_ULONG got, i;
	size_t cap = 0;
	bool ok = false;
	CK_RV rv;

	*objs = NULL;
	*n = 0;
	rv = c->f->C_FindObjectsInit (s, tmpl, count);
	if (rv != CKR_OK) {
		tool_error ("C_FindObjectsInit failed: %s", client_rv_name (rv));
		return false;
	}
	for (;;) {
		rv = c->f->C_FindObjects (s, chunk, 64, &got);
		if (rv != CKR_OK) {
			tool_error ("C_FindObjects failed: %s", client_rv_name (rv));
			goto out;
		}
		if (got == 0)
			break;
		if (*n + got > cap) {
			cap = (*n + got) * 2;
			grown = realloc (*objs, cap * sizeof (CK_OBJECT_HANDLE));
			if (grown == NULL) {
				tool_error ("out of memory");
				goto out;
			}
			*objs = grown;
		}
		for (i = 0; i < got; i++)
			(*objs)[(*n)++] = chunk[i];
	}
	ok = true;
out:
	c->f->C_FindObjectsFinal (s);
	if (!ok) {
		free (*objs);
		*objs = NULL;
		*n = 0;
	}
	return ok;
}

static void
entry_clear (client_entry *e)
{
	free (e->der);
	free (e->issuer);
	free (e->subject);
	free (e->serial);
	free (e->label);
	free (e->hosts);
	free (e->creator);
	memset (e, 0, sizeof (*e));
}

void
client_entries_clear (client_entries *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		entry_clear (&list->v[i]);
	free (list->v);
	list->v = NULL;
	list->n = 0;
}

static client_entry *
entries_push (client_entries *list)
{
	client_entry *grown;

	grown = realloc (list->v, (list->n + 1) * sizeof (client_entry));
	if (grown == NULL)
		return NULL;
	list->v = grown;
	memset (&list->v[list->n], 0, sizeof (client_entry));
	return &list->v[list->n++];
}

static unsigned char *
dup_bytes (const unsigned char *p, size_t len)
{
	unsigned char *out = malloc (len + 1);

	if (out == NULL)
		return NULL;
	if (len > 0)
		memcpy (out, p, len);
	out[len] = '\0';
	return out;
}

bool
client_entries_add_copy (client_entries *list, const client_entry *e)
{
	client_entry *d = entries_push (list);

	if (d == NULL)
		return false;
	*d = *e;
	d->der = e->der ? dup_bytes (e->der, e->der_len) : NULL;
	d->issuer = dup_bytes (e->issuer, e->issuer_len);
	d->subject = e->subject ? dup_bytes (e->subject, e->subject_len) : NULL;
	d->serial = dup_bytes (e->serial, e->serial_len);
	d->label = strdup (e->label);
	d->hosts = strdup (e->hosts);
	d->creator = strdup (e->creator);
	if ((e->der != NULL && d->der == NULL) || (e->subject != NULL && d->subject == NULL) ||
	    d->issuer == NULL || d->serial == NULL ||
	    d->label == NULL || d->hosts == NULL || d->creator == NULL) {
		entry_clear (d);
		list->n--;
		return false;
	}
	return true;
}

/*
 * Drops empty names from a comma-separated list of hosts, in place. The
 * module keeps a removed host's slot as an empty name and never shows it,
 * but a module older than the store it reads would: the tool lists hosts,
 * and writes them back, without such holes.
 */
static void
squeeze_hosts (char *hosts)
{
	const char *p = hosts;
	char *out = hosts;
	size_t len;

	while (*p != '\0') {
		len = strcspn (p, ",");
		if (len > 0) {
			if (out > hosts)
				*out++ = ',';
			memmove (out, p, len);
			out += len;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = '\0';
}

/* trustfolder's own attributes of a decision, from one view of it. */
static CK_RV
read_decision_attrs (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, client_entry *e)
{
	CK_ULONG expires = 0, created = 0;
	CK_RV rv;

	free (e->hosts);
	free (e->creator);
	e->hosts = e->creator = NULL;
	rv = get_ulong (c, s, obj, TF_CKA_DECISION_EXPIRES, &expires);
	if (rv == CKR_OK)
		rv = get_ulong (c, s, obj, TF_CKA_DECISION_CREATED, &created);
	if (rv == CKR_OK)
		rv = get_string (c, s, obj, TF_CKA_PINNED_HOSTS, &e->hosts);
	if (rv == CKR_OK)
		squeeze_hosts (e->hosts);
	if (rv == CKR_OK)
		rv = get_string (c, s, obj, TF_CKA_DECISION_CREATOR, &e->creator);
	e->expires = expires;
	e->created = created;
	return rv;
}

static CK_RV
read_cert (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, client_entry *e)
{
	CK_RV rv;
	int i;

	e->cert = obj;
	for (i = 0; i < CLIENT_PURPOSES; i++)
		e->levels[i] = TF_CKT_NSS_TRUST_UNKNOWN;
	rv = get_bytes (c, s, obj, CKA_VALUE, &e->der, &e->der_len);
	if (rv == CKR_OK)
		rv = get_bytes (c, s, obj, CKA_ISSUER, &e->issuer, &e->issuer_len);
	if (rv == CKR_OK)
		rv = get_bytes (c, s, obj, CKA_SUBJECT, &e->subject, &e->subject_len);
	if (rv == CKR_OK)
		rv = get_bytes (c, s, obj, CKA_SERIAL_NUMBER, &e->serial, &e->serial_len);
	if (rv == CKR_OK)
		rv = get_string (c, s, obj, CKA_LABEL, &e->label);
	if (rv == CKR_OK)
		rv = read_decision_attrs (c, s, obj, e);
	return rv;
}

/* The trust object's purposes, hash and decision attributes into e. */
static CK_RV
read_trust (client *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, client_entry *e)
{
	unsigned char *sha1 = NULL;
	size_t len;
	CK_RV rv;
	int i;

	e->trust = obj;
	for (i = 0; i < CLIENT_PURPOSES; i++) {
		rv = get_ulong (c, s, obj, client_purpose_attr[i], &e->levels[i]);
		if (rv != CKR_OK)
			return rv;
	}
	rv = get_bytes (c, s, obj, TF_CKA_CERT_SHA1_HASH, &sha1, &len);
	if (rv == CKR_OK && len == sizeof (e->sha1)) {
		memcpy (e->sha1, sha1, len);
		e->has_sha1 = true;
	}
	free (sha1);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return rv;
	return read_decision_attrs (c, s, obj, e);
}

/* Orders (issuer, serial) keys: lengths first, then bytes. */
static int
key_cmp (const unsigned char *i1, size_t il1, const unsigned char *s1, size_t sl1,
	 const unsigned char *i2, size_t il2, const unsigned char *s2, size_t sl2)
{
	int r;

	if (il1 != il2)
		return il1 < il2 ? -1 : 1;
	r = memcmp (i1, i2, il1);
	if (r != 0)
		return r;
	if (sl1 != sl2)
		return sl1 < sl2 ? -1 : 1;
	return memcmp (s1, s2, sl1);
}

static int
by_key (const void *a, const void *b, void *ctx)
{
	const client_entries *list = ctx;
	const client_entry *x = &list->v[*(const size_t *)a], *y = &list->v[*(const size_t *)b];

	return key_cmp (x->issuer, x->issuer_len, x->serial, x->serial_len, y->issuer,
			y->issuer_len, y->serial, y->serial_len);
}

/*
 * The certificate entry with this issuer and serial, found in order (the
 * certificate entries' indexes, sorted by key), or NULL. Indexes, not
 * pointers: the list grows while trust objects are joined.
 */
static client_entry *
lookup (client_entries *list, const size_t *order, size_t n, const unsigned char *issuer,
	size_t issuer_len, const unsigned char *serial, size_t serial_len)
{
	size_t lo = 0, hi = n, mid;
	client_entry *e;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		e = &list->v[order[mid]];
		r = key_cmp (issuer, issuer_len, serial, serial_len, e->issuer, e->issuer_len,
			     e->serial, e->serial_len);
		if (r == 0)
			return e;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool
load_scope (client *c, client_scope scope, client_entries *out)
{
	CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE, trust_class = TF_CKO_NSS_TRUST;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &cert_class, sizeof (cert_class) },
	};
	CK_OBJECT_HANDLE *objs = NULL;
	unsigned char *issuer = NULL, *serial = NULL;
	size_t n = 0, i, first = out->n, n_certs, issuer_len, serial_len, *order = NULL;
	CK_SESSION_HANDLE s;
	client_entry *e;
	bool ok = false;
	CK_RV rv = CKR_OK;

	s = client_ro_session (c, scope);
	if (s == 0)
		return false;
	if (!find_all (c, s, tmpl, 2, &objs, &n))
		return false;
	for (i = 0; i < n; i++) {
		e = entries_push (out);
		if (e == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		e->scope = scope;
		rv = read_cert (c, s, objs[i], e);
		if (rv != CKR_OK)
			goto out;
	}
	free (objs);
	objs = NULL;
	/* The certificates by issuer and serial, to join the trust objects to. */
	n_certs = out->n - first;
	order = malloc ((n_certs ? n_certs : 1) * sizeof (size_t));
	if (order == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (i = 0; i < n_certs; i++)
		order[i] = first + i;
	qsort_r (order, n_certs, sizeof (size_t), by_key, out);

	tmpl[1].pValue = &trust_class;
	if (!find_all (c, s, tmpl, 2, &objs, &n))
		goto out_quiet;
	for (i = 0; i < n; i++) {
		rv = get_bytes (c, s, objs[i], CKA_ISSUER, &issuer, &issuer_len);
		if (rv == CKR_OK)
			rv = get_bytes (c, s, objs[i], CKA_SERIAL_NUMBER, &serial, &serial_len);
		if (rv != CKR_OK)
			goto out;
		/* The certificate view and the trust view of one record: join them. */
		e = lookup (out, order, n_certs, issuer, issuer_len, serial, serial_len);
		if (e == NULL) {
			e = entries_push (out);
			if (e == NULL) {
				rv = CKR_HOST_MEMORY;
				goto out;
			}
			e->scope = scope;
			e->label = strdup ("");
			e->issuer = issuer;
			e->issuer_len = issuer_len;
			e->serial = serial;
			e->serial_len = serial_len;
			issuer = serial = NULL;
			if (e->label == NULL) {
				rv = CKR_HOST_MEMORY;
				goto out;
			}
		}
		free (issuer);
		free (serial);
		issuer = serial = NULL;
		rv = read_trust (c, s, objs[i], e);
		if (rv != CKR_OK)
			goto out;
	}
	ok = true;
out:
	if (!ok)
		tool_error ("cannot read the objects of \"%s\": C_GetAttributeValue failed: %s",
			    client_scope_token (scope), client_rv_name (rv));
out_quiet:
	free (order);
	free (issuer);
	free (serial);
	free (objs);
	return ok;
}

bool
client_load (client *c, unsigned scopes, client_entries *out)
{
	int s;

	out->v = NULL;
	out->n = 0;
	for (s = 0; s < SCOPE_COUNT; s++) {
		if (!(scopes & SCOPE_BIT (s)) || !c->present[s])
			continue;
		if (!load_scope (c, s, out)) {
			client_entries_clear (out);
			return false;
		}
	}
	return true;
}

/* ---- PKCS#11 URIs --------------------------------------------------------- */

bool
client_find_uri (client *c, const char *uri_text, unsigned scopes, client_entries *out,
		 bool *bad_uri)
{
	CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
	CK_ATTRIBUTE *attrs, *tmpl = NULL, *klass;
	CK_OBJECT_HANDLE *objs = NULL;
	client_entries all = { 0 };
	CK_ULONG n_attrs, n_tmpl;
	P11KitUri *uri;
	CK_INFO info;
	size_t n, i, j;
	bool ok = false;
	int r, s;

	*bad_uri = false;
	out->v = NULL;
	out->n = 0;
	uri = p11_kit_uri_new ();
	if (uri == NULL) {
		tool_error ("out of memory");
		return false;
	}
	r = p11_kit_uri_parse (uri_text, P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE, uri);
	if (r != P11_KIT_URI_OK) {
		tool_error ("%s: not a PKCS#11 URI: %s", uri_text, p11_kit_uri_message (r));
		*bad_uri = true;
		goto out;
	}
	attrs = p11_kit_uri_get_attributes (uri, &n_attrs);
	klass = p11_kit_uri_get_attribute (uri, CKA_CLASS);
	if (klass != NULL && (klass->ulValueLen != sizeof (CK_OBJECT_CLASS) ||
			      *(CK_OBJECT_CLASS *)klass->pValue != CKO_CERTIFICATE)) {
		tool_error ("%s: the URI names objects that are not certificates (use type=cert)",
			    uri_text);
		*bad_uri = true;
		goto out;
	}
	if (c->f->C_GetInfo (&info) == CKR_OK && !p11_kit_uri_match_module_info (uri, &info)) {
		ok = true; /* another module's objects: none of ours match */
		goto out;
	}
	/* The URI's attributes, plus the class when it gives none. */
	n_tmpl = n_attrs + (klass == NULL ? 1 : 0);
	tmpl = calloc (n_tmpl, sizeof (CK_ATTRIBUTE));
	if (tmpl == NULL) {
		tool_error ("out of memory");
		goto out;
	}
	memcpy (tmpl, attrs, n_attrs * sizeof (CK_ATTRIBUTE));
	if (klass == NULL)
		tmpl[n_attrs] = (CK_ATTRIBUTE){ CKA_CLASS, &cert_class, sizeof (cert_class) };

	for (s = 0; s < SCOPE_COUNT; s++) {
		CK_SESSION_HANDLE sess;

		if (!(scopes & SCOPE_BIT (s)) || !c->present[s] ||
		    !p11_kit_uri_match_token_info (uri, &c->info[s]))
			continue;
		sess = client_ro_session (c, s);
		if (sess == 0 || !client_load (c, SCOPE_BIT (s), &all))
			goto out;
		if (!find_all (c, sess, tmpl, n_tmpl, &objs, &n))
			goto out;
		for (i = 0; i < n; i++) {
			for (j = 0; j < all.n; j++) {
				if (all.v[j].cert == objs[i] &&
				    !client_entries_add_copy (out, &all.v[j])) {
					tool_error ("out of memory");
					goto out;
				}
			}
		}
		free (objs);
		objs = NULL;
		client_entries_clear (&all);
	}
	ok = true;
out:
	free (objs);
	free (tmpl);
	client_entries_clear (&all);
	p11_kit_uri_free (uri);
	if (!ok)
		client_entries_clear (out);
	return ok;
}
