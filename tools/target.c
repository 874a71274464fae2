/*
 * Resolving the CERT operand. See target.h.
 */
#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
target_clear (target *t)
{
	certs_clear (&t->certs);
	client_entries_clear (&t->entries);
	memset (t, 0, sizeof (*t));
}

bool
target_entries_for (const client_entries *all, const tool_cert *c, client_entries *out)
{
	unsigned char *issuer = NULL, *serial = NULL;
	size_t issuer_len, serial_len, i;
	bool ok = false;

	if (!cert_issuer_der (c, &issuer, &issuer_len) ||
	    !cert_serial_der (c, &serial, &serial_len)) {
		tool_error ("out of memory");
		goto out;
	}
	for (i = 0; i < all->n; i++) {
		const client_entry *e = &all->v[i];

		if (e->issuer_len != issuer_len || e->serial_len != serial_len ||
		    memcmp (e->issuer, issuer, issuer_len) != 0 ||
		    memcmp (e->serial, serial, serial_len) != 0)
			continue;
		/* Another certificate with the same issuer and serial is not this one. */
		if (e->der != NULL &&
		    (e->der_len != c->der_len || memcmp (e->der, c->der, c->der_len) != 0))
			continue;
		if (!client_entries_add_copy (out, e)) {
			tool_error ("out of memory");
			goto out;
		}
	}
	ok = true;
out:
	free (issuer);
	free (serial);
	return ok;
}

/* The bytes of a fingerprint (hex digits, colons allowed): 20 or 32 of them. */
static size_t
parse_fingerprint (const char *arg, unsigned char out[32])
{
	size_t n = 0;
	int hi = -1, v;
	const char *p;

	for (p = arg; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit ((unsigned char)*p))
			return 0;
		v = isdigit ((unsigned char)*p) ? *p - '0'
						: tolower ((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == 32)
			return 0;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0 || (n != 20 && n != 32))
		return 0;
	return n;
}

/* Does the entry match the fingerprint fp (20: SHA-1, 32: SHA-256)? */
static bool
fingerprint_matches (const client_entry *e, const unsigned char *fp, size_t n)
{
	unsigned char md[32];
	tool_cert c = { 0 };

	if (e->der == NULL)
		return n == 20 && e->has_sha1 && memcmp (e->sha1, fp, 20) == 0;
	/* The digests need only the bytes. */
	c.der = e->der;
	c.der_len = e->der_len;
	if (n == 20)
		cert_sha1 (&c, md);
	else
		cert_sha256 (&c, md);
	return memcmp (md, fp, n) == 0;
}

/* Parses a token prefix ("Trust Folder:ca"), narrowing scopes. Returns the label. */
static const char *
strip_token (const char *arg, unsigned *scopes)
{
	/* The longer label first: "Trust Folder Session" starts with "Trust Folder". */
	static const client_scope order[] = { SCOPE_SESSION, SCOPE_FOREVER };
	const char *token;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		token = client_scope_token (order[i]);
		n = strlen (token);
		if (strncmp (arg, token, n) == 0 && arg[n] == ':') {
			*scopes &= SCOPE_BIT (order[i]);
			return arg + n + 1;
		}
	}
	return arg;
}

/* The matching entries of the store, by label or fingerprint. */
static int
match_store (const tool_opts *opts, const char *arg, unsigned scopes, client_entries *all,
	     client_entries *matched, bool *by_fingerprint)
{
	unsigned char fp[32];
	const char *label;
	struct client *c;
	size_t fp_len, i;

	fp_len = parse_fingerprint (arg, fp);
	*by_fingerprint = fp_len > 0;
	label = fp_len > 0 ? arg : strip_token (arg, &scopes);
	c = tool_client (opts);
	if (c == NULL)
		return TOOL_FAILED;
	if (!client_load (c, scopes, all))
		return TOOL_FAILED;
	for (i = 0; i < all->n; i++) {
		const client_entry *e = &all->v[i];
		bool hit;

		if (fp_len > 0)
			hit = fingerprint_matches (e, fp, fp_len);
		else
			hit = e->der != NULL && strcmp (e->label, label) == 0;
		if (hit && !client_entries_add_copy (matched, e)) {
			tool_error ("out of memory");
			return TOOL_FAILED;
		}
	}
	return TOOL_OK;
}

/* Says which certificates an ambiguous operand names. */
static void
report_ambiguous (const char *arg, const cert_list *certs)
{
	char *fp, *subject;
	size_t i;

	tool_error ("\"%s\" names %zu different certificates; name one by its fingerprint:", arg,
		    certs->n);
	for (i = 0; i < certs->n; i++) {
		fp = cert_sha256_text (&certs->v[i]);
		subject = cert_name_text (X509_get_subject_name (certs->v[i].x509));
		fprintf (stderr, "  %s  %s\n", fp ? fp : "?", subject ? subject : "?");
		free (fp);
		free (subject);
	}
}

/* The certificates (distinct DER) among entries, in their order. */
static bool
distinct_certs (const client_entries *entries, cert_list *out)
{
	tool_cert probe = { 0 };
	size_t i;

	for (i = 0; i < entries->n; i++) {
		if (entries->v[i].der == NULL)
			continue;
		probe.der = entries->v[i].der;
		probe.der_len = entries->v[i].der_len;
		if (certs_find (out, &probe) >= 0)
			continue;
		if (!certs_add_der (out, probe.der, probe.der_len)) {
			tool_error ("the store holds a certificate that cannot be parsed (%s)",
				    entries->v[i].label);
			return false;
		}
	}
	return true;
}

static int
resolve_store (const tool_opts *opts, const char *arg, unsigned scopes, unsigned flags,
	       target *t)
{
	client_entries all = { 0 }, matched = { 0 };
	bool by_fingerprint;
	int rc;

	rc = match_store (opts, arg, scopes, &all, &matched, &by_fingerprint);
	if (rc != TOOL_OK)
		goto out;
	rc = TOOL_USAGE;
	if (matched.n == 0) {
		if (by_fingerprint)
			tool_error ("no certificate with the fingerprint %s in the store", arg);
		else
			tool_error ("\"%s\" is neither a file nor the label of a certificate "
				    "in the store (see \"trustfolder list\")",
				    arg);
		goto out;
	}
	if (!distinct_certs (&matched, &t->certs)) {
		rc = TOOL_FAILED;
		goto out;
	}
	if (t->certs.n > 1) {
		report_ambiguous (arg, &t->certs);
		goto out;
	}
	if (t->certs.n == 0) {
		/* Only a decision by issuer and serial: no certificate to show. */
		if (!(flags & TARGET_NO_CERT)) {
			tool_error ("the store keeps only a decision for %s, not the certificate "
				    "itself",
				    arg);
			goto out;
		}
		t->entries = matched;
		matched = (client_entries){ 0 };
		rc = TOOL_OK;
		goto out;
	}
	/* Every entry of that certificate, also those the operand did not name. */
	if (!target_entries_for (&all, &t->certs.v[0], &t->entries)) {
		rc = TOOL_FAILED;
		goto out;
	}
	rc = TOOL_OK;
out:
	client_entries_clear (&all);
	client_entries_clear (&matched);
	return rc;
}

static int
resolve_uri (const tool_opts *opts, const char *arg, unsigned scopes, target *t)
{
	client_entries matched = { 0 }, all = { 0 };
	struct client *c;
	bool bad_uri;
	int rc = TOOL_FAILED;

	c = tool_client (opts);
	if (c == NULL)
		return TOOL_FAILED;
	if (!client_find_uri (c, arg, scopes, &matched, &bad_uri))
		return bad_uri ? TOOL_USAGE : TOOL_FAILED;
	if (matched.n == 0) {
		tool_error ("no certificate in the store matches %s", arg);
		rc = TOOL_USAGE;
		goto out;
	}
	if (!distinct_certs (&matched, &t->certs))
		goto out;
	if (t->certs.n > 1) {
		report_ambiguous (arg, &t->certs);
		rc = TOOL_USAGE;
		goto out;
	}
	if (!client_load (c, scopes, &all) ||
	    !target_entries_for (&all, &t->certs.v[0], &t->entries))
		goto out;
	rc = TOOL_OK;
out:
	client_entries_clear (&matched);
	client_entries_clear (&all);
	return rc;
}

int
target_resolve (const tool_opts *opts, const char *arg, unsigned scopes, unsigned flags,
		target *t)
{
	client_entries all = { 0 };
	struct client *c;
	struct stat st;
	int rc;

	memset (t, 0, sizeof (*t));
	t->arg = arg;
	if (strncmp (arg, "pkcs11:", 7) == 0) {
		rc = resolve_uri (opts, arg, scopes, t);
		goto out;
	}
	if (stat (arg, &st) != 0 && errno != EACCES && errno != ELOOP) {
		/* A path that is not there is a missing file, not a label. */
		if (strchr (arg, '/') != NULL) {
			tool_error ("cannot read %s: %s", arg, strerror (errno));
			rc = TOOL_USAGE;
			goto out;
		}
		rc = resolve_store (opts, arg, scopes, flags, t);
		goto out;
	}
	/* A file, readable or not: say what is wrong with it rather than look for a label. */
	t->from_file = true;
	rc = certs_read_file (arg, &t->certs);
	if (rc != TOOL_OK || !(flags & TARGET_ENTRIES))
		goto out;
	rc = TOOL_FAILED;
	c = tool_client (opts);
	if (c == NULL || !client_load (c, scopes, &all) ||
	    !target_entries_for (&all, &t->certs.v[0], &t->entries))
		goto out;
	rc = TOOL_OK;
out:
	client_entries_clear (&all);
	if (rc != TOOL_OK)
		target_clear (t);
	return rc;
}
