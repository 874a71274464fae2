/*
 * trustfolder show: a certificate as a browser's certificate viewer shows
 * it. The labels are part of the interface (trustfolder.1, "show"): one
 * "Label: value" per line, extensions indented under their heading.
 */
#include "certs.h"
#include "target.h"
#include "tool.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key's algorithm and size: "RSA (2048 bits)", "EC (256 bits, prime256v1)". */
static void
print_public_key (X509 *x)
{
	EVP_PKEY *key = X509_get0_pubkey (x);
	X509_PUBKEY *pub = X509_get_X509_PUBKEY (x);
	ASN1_OBJECT *alg = NULL;
	char group[80], oid[80];
	const char *name;
	int id;

	if (key == NULL) {
		ERR_clear_error ();
		oid[0] = '\0';
		if (X509_PUBKEY_get0_param (&alg, NULL, NULL, NULL, pub) && alg != NULL)
			OBJ_obj2txt (oid, sizeof (oid), alg, 0);
		printf ("Public Key: %s (not understood)\n", oid[0] ? oid : "unknown algorithm");
		return;
	}
	id = EVP_PKEY_get_base_id (key);
	switch (id) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		name = id == EVP_PKEY_RSA ? "RSA" : "RSA-PSS";
		break;
	case EVP_PKEY_EC:
		name = "EC";
		break;
	case EVP_PKEY_ED25519:
		name = "Ed25519";
		break;
	case EVP_PKEY_ED448:
		name = "Ed448";
		break;
	case EVP_PKEY_DSA:
		name = "DSA";
		break;
	default:
		name = OBJ_nid2sn (id);
		if (name == NULL)
			name = "unknown algorithm";
		break;
	}
	if (id == EVP_PKEY_EC && EVP_PKEY_get_group_name (key, group, sizeof (group), NULL))
		printf ("Public Key: %s (%d bits, %s)\n", name, EVP_PKEY_get_bits (key), group);
	else
		printf ("Public Key: %s (%d bits)\n", name, EVP_PKEY_get_bits (key));
	ERR_clear_error ();
}

static void
print_name (const char *label, const X509_NAME *name)
{
	char *text = cert_name_text (name);

	printf ("%s: %s\n", label, text ? text : "(unreadable)");
	free (text);
}

static void
print_v1 (const tool_cert *c)
{
	unsigned char *serial = NULL;
	char *serial_text = NULL, when[64];
	size_t serial_len;
	int nid;

	printf ("Version: %ld\n", X509_get_version (c->x509) + 1);
	if (cert_serial_der (c, &serial, &serial_len))
		serial_text = cert_serial_text (serial, serial_len);
	printf ("Serial Number: %s\n", serial_text ? serial_text : "(unreadable)");
	free (serial);
	free (serial_text);
	nid = X509_get_signature_nid (c->x509);
	printf ("Signature Algorithm: %s\n", nid != NID_undef ? OBJ_nid2ln (nid) : "unknown");
	print_name ("Issuer", X509_get_issuer_name (c->x509));
	cert_time_text (X509_get0_notBefore (c->x509), when, sizeof (when));
	printf ("Valid From: %s\n", when);
	cert_time_text (X509_get0_notAfter (c->x509), when, sizeof (when));
	printf ("Valid To: %s\n", when);
	print_name ("Subject", X509_get_subject_name (c->x509));
	print_public_key (c->x509);
}

/* "Subject Key Identifier", or the OID when OpenSSL does not know it. */
static void
extension_name (const X509_EXTENSION *ext, char *buf, size_t len)
{
	const ASN1_OBJECT *obj = X509_EXTENSION_get_object ((X509_EXTENSION *)ext);
	int nid = OBJ_obj2nid (obj);
	const char *ln = nid != NID_undef ? OBJ_nid2ln (nid) : NULL;

	if (ln != NULL) {
		if (strncmp (ln, "X509v3 ", 7) == 0)
			ln += 7;
		snprintf (buf, len, "%s", ln);
		return;
	}
	OBJ_obj2txt (buf, (int)len, obj, 1);
}

/*
 * The value as OpenSSL prints it, its lines joined with "; " so that each
 * extension stays on one line; the raw bytes in hex when OpenSSL does not
 * know how to print it.
 */
static char *
extension_value (X509_EXTENSION *ext)
{
	ASN1_OCTET_STRING *data = X509_EXTENSION_get_data (ext);
	char *raw = NULL, *out, *line, *save = NULL, *q;
	long n;
	BIO *bio;

	bio = BIO_new (BIO_s_mem ());
	if (bio == NULL)
		return NULL;
	if (X509V3_EXT_print (bio, ext, 0, 0) <= 0) {
		ERR_clear_error ();
		BIO_free (bio);
		return cert_hex (ASN1_STRING_get0_data (data), (size_t)ASN1_STRING_length (data),
				 ':');
	}
	n = BIO_get_mem_data (bio, &raw);
	out = malloc ((size_t)(n > 0 ? n : 0) * 2 + 1);
	line = n > 0 ? strndup (raw, (size_t)n) : strdup ("");
	BIO_free (bio);
	if (out == NULL || line == NULL) {
		free (out);
		free (line);
		return NULL;
	}
	q = out;
	*q = '\0';
	for (raw = strtok_r (line, "\n", &save); raw != NULL; raw = strtok_r (NULL, "\n", &save)) {
		char *start = raw, *end = raw + strlen (raw);

		while (*start == ' ' || *start == '\t')
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (end == start)
			continue;
		if (q != out) {
			memcpy (q, "; ", 2);
			q += 2;
		}
		memcpy (q, start, (size_t)(end - start));
		q += end - start;
		*q = '\0';
	}
	free (line);
	return out;
}

/* The extensions: all of them (critical ones marked), or the critical ones only. */
static void
print_extensions (const tool_cert *c, bool critical_only)
{
	int i, count = X509_get_ext_count (c->x509), shown = 0;
	X509_EXTENSION *ext;
	char name[128], *value;
	bool critical;

	for (i = 0; i < count; i++) {
		ext = X509_get_ext (c->x509, i);
		critical = X509_EXTENSION_get_critical (ext) > 0;
		if (critical_only && !critical)
			continue;
		if (shown++ == 0)
			printf ("%s:\n", critical_only ? "Critical Extensions" : "Extensions");
		extension_name (ext, name, sizeof (name));
		value = extension_value (ext);
		printf ("  %s%s: %s\n", name, critical && !critical_only ? " (critical)" : "",
			value ? value : "(unreadable)");
		free (value);
	}
	if (shown == 0)
		printf ("%s: none\n", critical_only ? "Critical Extensions" : "Extensions");
}

static void
print_properties (const tool_cert *c)
{
	char *sha1 = cert_sha1_text (c), *sha256 = cert_sha256_text (c);

	printf ("Thumbprint Algorithms: SHA-1, SHA-256\n");
	printf ("SHA-1 Fingerprint: %s\n", sha1 ? sha1 : "?");
	printf ("SHA-256 Fingerprint: %s\n", sha256 ? sha256 : "?");
	free (sha1);
	free (sha256);
}

int
cmd_show (tool_opts *opts)
{
	unsigned fields = opts->fields ? opts->fields : FIELDS_ALL;
	target t;
	int rc;

	rc = target_resolve (opts, opts->args[0], SCOPES_ALL, 0, &t);
	if (rc != TOOL_OK)
		return rc;
	if (t.from_file && t.certs.n > 1)
		tool_note ("%s holds %zu certificates; showing the first", t.arg, t.certs.n);
	if (fields & FIELDS_V1)
		print_v1 (&t.certs.v[0]);
	if (fields & FIELDS_EXTENSIONS)
		print_extensions (&t.certs.v[0], false);
	if (fields & FIELDS_CRITICAL)
		print_extensions (&t.certs.v[0], true);
	if (fields & FIELDS_PROPERTIES)
		print_properties (&t.certs.v[0]);
	target_clear (&t);
	return TOOL_OK;
}
