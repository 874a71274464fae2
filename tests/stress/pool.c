/*
 * The certificate pool: many distinct, properly signed certificates made in
 * a fraction of a second, so that every decision of a run is about its own
 * certificate and vfychain can check the ones NSS is shown.
 *
 * Certificate i is a self-signed CA "CN=tf-stress CA NNNNN" (serial
 * 0x5A00000000 + i, basicConstraints CA:TRUE) and leaf-NNNNN.der a server
 * certificate it issued. Each has its own P-256 key, so every CKA_ID differs.
 */
#include "stress.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_SERIAL_BASE   0x5A00000000ULL
#define LEAF_SERIAL_BASE 0x5B00000000ULL

void
blob_free (blob *b)
{
	free (b->data);
	b->data = NULL;
	b->len = 0;
}

bool
blob_equal (const blob *b, const void *data, size_t len)
{
	return b->len == len && (len == 0 || memcmp (b->data, data, len) == 0);
}

static bool
add_ext (X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
	if (ext == NULL)
		return false;
	ok = X509_add_ext (cert, ext, -1) == 1;
	X509_EXTENSION_free (ext);
	return ok;
}

/* A certificate for key, named cn, issued by issuer (NULL: itself) with issuer_key. */
static X509 *
make_cert (EVP_PKEY *key, const char *cn, uint64_t serial, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *cert = X509_new ();
	X509_NAME *name = X509_NAME_new ();
	ASN1_INTEGER *sn = ASN1_INTEGER_new ();
	bool ok;

	ok = cert != NULL && name != NULL && sn != NULL &&
	     X509_set_version (cert, X509_VERSION_3) && ASN1_INTEGER_set_uint64 (sn, serial) &&
	     X509_set_serialNumber (cert, sn) &&
	     X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC,
	                                 (const unsigned char *)"trustfolder stress", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
	                                 -1, 0) &&
	     X509_set_subject_name (cert, name) &&
	     X509_set_issuer_name (cert, issuer != NULL ? X509_get_subject_name (issuer) : name) &&
	     X509_gmtime_adj (X509_getm_notBefore (cert), -86400) != NULL &&
	     X509_time_adj_ex (X509_getm_notAfter (cert), 3650, 0, NULL) != NULL &&
	     X509_set_pubkey (cert, key);
	if (ok && issuer == NULL)
		ok = add_ext (cert, cert, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext (cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	else if (ok)
		ok = add_ext (cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext (cert, issuer, NID_ext_key_usage, "serverAuth");
	if (ok)
		ok = X509_sign (cert, issuer_key != NULL ? issuer_key : key, EVP_sha256 ()) > 0;
	X509_NAME_free (name);
	ASN1_INTEGER_free (sn);
	if (!ok) {
		X509_free (cert);
		return NULL;
	}
	return cert;
}

/* Takes the DER OpenSSL encoded (len from an i2d_ function) into out. */
static bool
take_der (blob *out, unsigned char *der, int len)
{
	if (len <= 0)
		return false;
	out->data = malloc ((size_t)len);
	if (out->data != NULL) {
		memcpy (out->data, der, (size_t)len);
		out->len = (size_t)len;
	}
	OPENSSL_free (der);
	return out->data != NULL;
}

/* Everything a client derives from a certificate, computed once at generation. */
static bool
derive (X509 *cert, size_t idx, pool_cert *c)
{
	unsigned char *der = NULL;
	unsigned int md_len;
	int len;

	memset (c, 0, sizeof (*c));
	len = i2d_X509 (cert, &der);
	if (!take_der (&c->der, der, len))
		return false;
	der = NULL;
	len = i2d_X509_NAME (X509_get_issuer_name (cert), &der);
	if (!take_der (&c->issuer, der, len))
		return false;
	der = NULL;
	len = i2d_X509_NAME (X509_get_subject_name (cert), &der);
	if (!take_der (&c->subject, der, len))
		return false;
	der = NULL;
	len = i2d_ASN1_INTEGER (X509_get0_serialNumber (cert), &der);
	if (!take_der (&c->serial, der, len))
		return false;
	snprintf (c->label, sizeof (c->label), "stress-%05zu", idx);
	return X509_pubkey_digest (cert, EVP_sha1 (), c->id, &md_len) &&
	       EVP_Digest (c->der.data, c->der.len, c->sha1, NULL, EVP_sha1 (), NULL) &&
	       EVP_Digest (c->der.data, c->der.len, c->md5, NULL, EVP_md5 (), NULL) &&
	       EVP_Digest (c->der.data, c->der.len, c->sha256, NULL, EVP_sha256 (), NULL);
}

static void
cert_free (pool_cert *c)
{
	blob_free (&c->der);
	blob_free (&c->issuer);
	blob_free (&c->subject);
	blob_free (&c->serial);
}

/*
 * pool.bin holds, per certificate, der, issuer, subject and serial (each a
 * 4-byte big-endian length and the bytes), then id, sha1, md5 and sha256:
 * loading it costs no parsing, which matters to a writer started a thousand
 * times.
 */
static bool
write_blob (FILE *f, const blob *b)
{
	unsigned char len[4] = {(unsigned char)(b->len >> 24), (unsigned char)(b->len >> 16),
	                        (unsigned char)(b->len >> 8), (unsigned char)b->len};

	return fwrite (len, 1, 4, f) == 4 && fwrite (b->data, 1, b->len, f) == b->len;
}

static bool
write_record (FILE *f, const pool_cert *c)
{
	return write_blob (f, &c->der) && write_blob (f, &c->issuer) &&
	       write_blob (f, &c->subject) && write_blob (f, &c->serial) &&
	       fwrite (c->id, 1, sizeof (c->id), f) == sizeof (c->id) &&
	       fwrite (c->sha1, 1, sizeof (c->sha1), f) == sizeof (c->sha1) &&
	       fwrite (c->md5, 1, sizeof (c->md5), f) == sizeof (c->md5) &&
	       fwrite (c->sha256, 1, sizeof (c->sha256), f) == sizeof (c->sha256);
}

static bool
write_leaf (const char *dir, size_t idx, X509 *leaf)
{
	char path[4096];
	FILE *f;
	bool ok;

	snprintf (path, sizeof (path), "%s/leaf-%05zu.der", dir, idx);
	f = fopen (path, "wb");
	if (f == NULL)
		return false;
	ok = i2d_X509_fp (f, leaf) == 1;
	return fclose (f) == 0 && ok;
}

bool
pool_generate (const char *dir, size_t n)
{
	char path[4096], cn[64];
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf;
	pool_cert c;
	FILE *out;
	bool ok = true;
	size_t i;

	snprintf (path, sizeof (path), "%s/pool.bin", dir);
	out = fopen (path, "wb");
	if (out == NULL) {
		fprintf (stderr, "tf-stress: %s: %s\n", path, strerror (errno));
		return false;
	}
	for (i = 0; i < n && ok; i++) {
		memset (&c, 0, sizeof (c));
		ca_key = EVP_EC_gen ("P-256");
		leaf_key = EVP_EC_gen ("P-256");
		snprintf (cn, sizeof (cn), "tf-stress CA %05zu", i);
		ca = ca_key != NULL ? make_cert (ca_key, cn, CA_SERIAL_BASE + i, NULL, NULL) : NULL;
		snprintf (cn, sizeof (cn), "leaf-%05zu.stress.test", i);
		leaf = ca != NULL && leaf_key != NULL
		           ? make_cert (leaf_key, cn, LEAF_SERIAL_BASE + i, ca, ca_key)
		           : NULL;
		ok = leaf != NULL && derive (ca, i, &c);
		ok = ok && write_record (out, &c) && write_leaf (dir, i, leaf);
		cert_free (&c);
		X509_free (ca);
		X509_free (leaf);
		EVP_PKEY_free (ca_key);
		EVP_PKEY_free (leaf_key);
	}
	if (fclose (out) != 0)
		ok = false;
	if (!ok)
		fprintf (stderr, "tf-stress: cannot make certificate %zu of the pool in %s\n", i,
		         dir);
	return ok;
}

/* The next blob of pool.bin at *at; false when the file ends inside it. */
static bool
read_blob (const unsigned char **at, const unsigned char *end, blob *b)
{
	size_t len;

	if (end - *at < 4)
		return false;
	len = (size_t)(*at)[0] << 24 | (size_t)(*at)[1] << 16 | (size_t)(*at)[2] << 8 | (*at)[3];
	*at += 4;
	if ((size_t)(end - *at) < len || len == 0)
		return false;
	b->data = malloc (len);
	if (b->data == NULL)
		die ("out of memory");
	memcpy (b->data, *at, len);
	b->len = len;
	*at += len;
	return true;
}

static bool
read_fixed (const unsigned char **at, const unsigned char *end, void *out, size_t len)
{
	if ((size_t)(end - *at) < len)
		return false;
	memcpy (out, *at, len);
	*at += len;
	return true;
}

void
pool_load (const char *dir, pool *p)
{
	const unsigned char *at, *end;
	unsigned char *all;
	size_t cap = 0, size;
	pool_cert *c, *grown;
	char path[4096];
	FILE *f;
	long n;

	memset (p, 0, sizeof (*p));
	snprintf (path, sizeof (path), "%s/pool.bin", dir);
	f = fopen (path, "rb");
	if (f == NULL)
		die ("%s: %s (make the pool with: tf-stress gen DIR N)", path, strerror (errno));
	if (fseek (f, 0, SEEK_END) != 0 || (n = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
		die ("%s: cannot size it", path);
	size = (size_t)n;
	all = malloc (size ? size : 1);
	if (all == NULL || fread (all, 1, size, f) != size)
		die ("%s: cannot read it", path);
	fclose (f);

	for (at = all, end = all + size; at < end; p->n++) {
		if (p->n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc (p->certs, cap * sizeof (pool_cert));
			if (grown == NULL)
				die ("out of memory");
			p->certs = grown;
		}
		c = &p->certs[p->n];
		memset (c, 0, sizeof (*c));
		if (!read_blob (&at, end, &c->der) || !read_blob (&at, end, &c->issuer) ||
		    !read_blob (&at, end, &c->subject) || !read_blob (&at, end, &c->serial) ||
		    !read_fixed (&at, end, c->id, sizeof (c->id)) ||
		    !read_fixed (&at, end, c->sha1, sizeof (c->sha1)) ||
		    !read_fixed (&at, end, c->md5, sizeof (c->md5)) ||
		    !read_fixed (&at, end, c->sha256, sizeof (c->sha256)))
			die ("%s: certificate %zu is cut short", path, p->n);
		snprintf (c->label, sizeof (c->label), "stress-%05zu", p->n);
	}
	free (all);
	if (p->n == 0)
		die ("%s holds no certificate", path);
}

long
pool_find (const pool *p, const void *issuer, size_t issuer_len, const void *serial,
           size_t serial_len)
{
	const unsigned char *s = serial;
	uint64_t value = 0;
	size_t i;

	/* The serial is 02 05 5A xx xx xx xx: the index is in its value. */
	if (serial_len == 7 && s[0] == 0x02 && s[1] == 0x05) {
		for (i = 2; i < 7; i++)
			value = value << 8 | s[i];
		if (value >= CA_SERIAL_BASE && value - CA_SERIAL_BASE < p->n) {
			i = (size_t)(value - CA_SERIAL_BASE);
			if (blob_equal (&p->certs[i].serial, serial, serial_len) &&
			    blob_equal (&p->certs[i].issuer, issuer, issuer_len))
				return (long)i;
		}
	}
	return -1;
}
