/*
 * Certificates: reading them from files, and their text forms. See certs.h.
 */
#include "certs.h"

#include "tool.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The reason OpenSSL gave for its last error, and a clean error queue after. */
static const char *
openssl_reason (void)
{
	static char buf[160];
	unsigned long e = ERR_peek_last_error ();
	const char *r = e ? ERR_reason_error_string (e) : NULL;

	snprintf (buf, sizeof (buf), "%s", r != NULL ? r : "no detail");
	ERR_clear_error ();
	return buf;
}

static bool
cert_set (tool_cert *c, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;

	memset (c, 0, sizeof (*c));
	c->x509 = d2i_X509 (NULL, &p, (long)len);
	if (c->x509 == NULL || (size_t)(p - der) != len) {
		X509_free (c->x509);
		c->x509 = NULL;
		return false;
	}
	c->der = malloc (len);
	if (c->der == NULL) {
		X509_free (c->x509);
		c->x509 = NULL;
		return false;
	}
	memcpy (c->der, der, len);
	c->der_len = len;
	return true;
}

static void
cert_clear (tool_cert *c)
{
	X509_free (c->x509);
	free (c->der);
	memset (c, 0, sizeof (*c));
}

bool
certs_add_der (cert_list *list, const unsigned char *der, size_t len)
{
	tool_cert *grown;

	grown = realloc (list->v, (list->n + 1) * sizeof (tool_cert));
	if (grown == NULL)
		return false;
	list->v = grown;
	if (!cert_set (&list->v[list->n], der, len))
		return false;
	list->n++;
	return true;
}

bool
certs_add (cert_list *list, const tool_cert *c)
{
	return certs_add_der (list, c->der, c->der_len);
}

void
certs_clear (cert_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		cert_clear (&list->v[i]);
	free (list->v);
	list->v = NULL;
	list->n = 0;
}

long
certs_find (const cert_list *list, const tool_cert *c)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		if (list->v[i].der_len == c->der_len &&
		    memcmp (list->v[i].der, c->der, c->der_len) == 0)
			return (long)i;
	}
	return -1;
}

/* ---- reading files -------------------------------------------------------- */

static bool
slurp (const char *path, unsigned char **data, size_t *len)
{
	unsigned char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	FILE *f;
	int err;

	f = fopen (path, "rb");
	if (f == NULL)
		return false;
	errno = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8192;
			grown = realloc (buf, cap);
			if (grown == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		got = fread (buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror (f)) {
		if (errno == 0)
			errno = EIO; /* fread sets errno (EISDIR for a directory) */
		goto fail;
	}
	fclose (f);
	*data = buf;
	*len = n;
	return true;
fail:
	err = errno;
	fclose (f);
	free (buf);
	errno = err;
	return false;
}

/* Every CERTIFICATE block of a PEM text; other blocks (keys...) are skipped. */
static int
read_pem (const char *path, const unsigned char *data, size_t len, cert_list *out)
{
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long der_len;
	unsigned long e;
	int block = 0, rc = TOOL_USAGE;
	BIO *bio;
	X509 *x;

	bio = BIO_new_mem_buf (data, (int)len);
	if (bio == NULL) {
		tool_error ("out of memory");
		return TOOL_FAILED;
	}
	for (;;) {
		ERR_clear_error ();
		if (!PEM_read_bio (bio, &name, &header, &der, &der_len)) {
			e = ERR_peek_last_error ();
			if (ERR_GET_LIB (e) == ERR_LIB_PEM &&
			    ERR_GET_REASON (e) == PEM_R_NO_START_LINE)
				break;
			tool_error ("%s: malformed PEM (block %d): %s", path, block + 1,
				    openssl_reason ());
			goto out;
		}
		block++;
		if (strcmp (name, PEM_STRING_X509) == 0 ||
		    strcmp (name, PEM_STRING_X509_OLD) == 0 ||
		    strcmp (name, PEM_STRING_X509_TRUSTED) == 0) {
			/* A "TRUSTED CERTIFICATE" is the certificate followed by OpenSSL's aux. */
			p = der;
			x = d2i_X509 (NULL, &p, der_len);
			if (x == NULL ||
			    (strcmp (name, PEM_STRING_X509_TRUSTED) != 0 && p != der + der_len)) {
				tool_error ("%s: PEM block %d (%s) is a malformed certificate: %s",
					    path, block, name,
					    x == NULL ? openssl_reason () : "bytes after its end");
				X509_free (x);
				goto out;
			}
			X509_free (x);
			if (!certs_add_der (out, der, (size_t)(p - der))) {
				tool_error ("out of memory");
				rc = TOOL_FAILED;
				goto out;
			}
		}
		OPENSSL_free (name);
		OPENSSL_free (header);
		OPENSSL_free (der);
		name = header = NULL;
		der = NULL;
	}
	ERR_clear_error ();
	rc = TOOL_OK;
out:
	OPENSSL_free (name);
	OPENSSL_free (header);
	OPENSSL_free (der);
	BIO_free (bio);
	return rc;
}

int
certs_read_file (const char *path, cert_list *out)
{
	unsigned char *data = NULL;
	const unsigned char *p;
	size_t len = 0, before = out->n;
	X509 *x;
	int rc = TOOL_USAGE;

	if (!slurp (path, &data, &len)) {
		tool_error ("cannot read %s: %s", path, strerror (errno));
		return TOOL_USAGE;
	}
	if (len == 0) {
		tool_error ("%s is empty: no certificate in it", path);
		goto out;
	}
	if (data[0] == 0x30) {
		/* DER: one certificate, and nothing after it. */
		p = data;
		x = d2i_X509 (NULL, &p, (long)len);
		if (x == NULL) {
			tool_error ("%s is not a well-formed certificate (DER): %s", path,
				    openssl_reason ());
			goto out;
		}
		X509_free (x);
		if (p != data + len) {
			tool_error ("%s is not a well-formed certificate (DER): %zu byte(s) after "
				    "its end",
				    path, (size_t)(data + len - p));
			goto out;
		}
		if (!certs_add_der (out, data, len)) {
			tool_error ("out of memory");
			rc = TOOL_FAILED;
			goto out;
		}
		rc = TOOL_OK;
		goto out;
	}
	rc = read_pem (path, data, len, out);
	if (rc == TOOL_OK && out->n == before) {
		tool_error ("%s holds no certificate (neither a PEM CERTIFICATE block nor DER)",
			    path);
		rc = TOOL_USAGE;
	}
out:
	if (rc != TOOL_OK) {
		/* Leave out as it was. */
		while (out->n > before)
			cert_clear (&out->v[--out->n]);
	}
	free (data);
	return rc;
}

/* ---- digests and hex -------------------------------------------------------- */

static void
digest (const EVP_MD *md, const tool_cert *c, unsigned char *out)
{
	unsigned int n = 0;

	if (!EVP_Digest (c->der, c->der_len, out, &n, md, NULL)) {
		/* Only out of memory; a zero digest then matches nothing. */
		memset (out, 0, (size_t)EVP_MD_get_size (md));
		ERR_clear_error ();
	}
}

void
cert_sha1 (const tool_cert *c, unsigned char out[20])
{
	digest (EVP_sha1 (), c, out);
}

void
cert_sha256 (const tool_cert *c, unsigned char out[32])
{
	digest (EVP_sha256 (), c, out);
}

void
cert_md5 (const tool_cert *c, unsigned char out[16])
{
	digest (EVP_md5 (), c, out);
}

char *
cert_hex (const unsigned char *p, size_t len, char sep)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out, *q;
	size_t i;

	out = malloc (len * 3 + 1);
	if (out == NULL)
		return NULL;
	q = out;
	for (i = 0; i < len; i++) {
		if (i > 0 && sep != 0)
			*q++ = sep;
		*q++ = digits[p[i] >> 4];
		*q++ = digits[p[i] & 0xf];
	}
	*q = '\0';
	return out;
}

char *
cert_sha1_text (const tool_cert *c)
{
	unsigned char md[20];

	cert_sha1 (c, md);
	return cert_hex (md, sizeof (md), ':');
}

char *
cert_sha256_text (const tool_cert *c)
{
	unsigned char md[32];

	cert_sha256 (c, md);
	return cert_hex (md, sizeof (md), ':');
}

/* ---- names and times -------------------------------------------------------- */

/* The contents of a memory BIO as a C string. Caller frees. */
static char *
bio_string (BIO *bio)
{
	char *data = NULL, *out;
	long n;

	n = BIO_get_mem_data (bio, &data);
	if (n < 0)
		n = 0;
	out = malloc ((size_t)n + 1);
	if (out == NULL)
		return NULL;
	if (n > 0)
		memcpy (out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

char *
cert_name_text (const X509_NAME *name)
{
	const unsigned long flags =
		XN_FLAG_SEP_CPLUS_SPC | (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	BIO *bio;
	char *out;

	bio = BIO_new (BIO_s_mem ());
	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex (bio, name, 0, flags) < 0)
		ERR_clear_error ();
	out = bio_string (bio);
	BIO_free (bio);
	return out;
}

char *
cert_der_name_text (const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_NAME *name;
	char *out;

	name = d2i_X509_NAME (NULL, &p, (long)len);
	if (name == NULL) {
		ERR_clear_error ();
		return NULL;
	}
	out = cert_name_text (name);
	X509_NAME_free (name);
	return out;
}

void
cert_time_text (const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm (t, &tm)) {
		ERR_clear_error ();
		snprintf (buf, len, "(unreadable time)");
		return;
	}
	strftime (buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void
cert_unix_text (int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r (&tt, &tm) == NULL) {
		snprintf (buf, len, "@%lld", (long long)t);
		return;
	}
	strftime (buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

bool
cert_time_unix (const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm (t, &tm)) {
		ERR_clear_error ();
		return false;
	}
	*out = (int64_t)timegm (&tm);
	return true;
}

/* ---- fields ----------------------------------------------------------------- */

bool
cert_is_ca (const tool_cert *c)
{
	return (X509_get_extension_flags (c->x509) & EXFLAG_CA) != 0;
}

static bool
encode (int n, unsigned char *buf, unsigned char **der, size_t *len)
{
	if (n <= 0) {
		OPENSSL_free (buf);
		ERR_clear_error ();
		return false;
	}
	*der = malloc ((size_t)n);
	if (*der == NULL) {
		OPENSSL_free (buf);
		return false;
	}
	memcpy (*der, buf, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free (buf);
	return true;
}

bool
cert_issuer_der (const tool_cert *c, unsigned char **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_X509_NAME (X509_get_issuer_name (c->x509), &buf);

	return encode (n, buf, der, len);
}

bool
cert_subject_der (const tool_cert *c, unsigned char **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_X509_NAME (X509_get_subject_name (c->x509), &buf);

	return encode (n, buf, der, len);
}

bool
cert_serial_der (const tool_cert *c, unsigned char **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_ASN1_INTEGER (X509_get0_serialNumber (c->x509), &buf);

	return encode (n, buf, der, len);
}

char *
cert_serial_text (const unsigned char *der, size_t len)
{
	size_t hdr;

	/* Skip the tag and the length octets of the DER INTEGER. */
	if (len < 2)
		return cert_hex (der, len, ':');
	hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
	if (hdr > len)
		hdr = len;
	return cert_hex (der + hdr, len - hdr, ':');
}

/* The UTF-8 text of the last entry of nid in name, or NULL. Caller frees. */
static char *
last_entry (const X509_NAME *name, int nid)
{
	unsigned char *utf8 = NULL;
	char *out;
	int i, last = -1, n;

	for (i = X509_NAME_get_index_by_NID (name, nid, -1); i >= 0;
	     i = X509_NAME_get_index_by_NID (name, nid, i))
		last = i;
	if (last < 0)
		return NULL;
	n = ASN1_STRING_to_UTF8 (&utf8,
				 X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, last)));
	if (n <= 0) {
		ERR_clear_error ();
		return NULL;
	}
	out = strndup ((char *)utf8, (size_t)n);
	OPENSSL_free (utf8);
	return out;
}

char *
cert_default_label (const tool_cert *c)
{
	static const int order[] = { NID_commonName, NID_organizationalUnitName,
				     NID_organizationName, NID_pkcs9_emailAddress };
	const X509_NAME *subject = X509_get_subject_name (c->x509);
	char *label;
	size_t i;

	for (i = 0; i < sizeof (order) / sizeof (order[0]); i++) {
		label = last_entry (subject, order[i]);
		if (label != NULL && label[0] != '\0')
			return label;
		free (label);
	}
	return strdup ("Unnamed certificate");
}
