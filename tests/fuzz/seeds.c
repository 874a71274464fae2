/*
 * Writes the seed corpora of the fuzz targets (make fuzz-seeds):
 *
 *   fuzz-seeds FIXTURES CORPUS
 *
 * CORPUS/fuzz-cert      the fixtures' certificates, DER as they are
 * CORPUS/fuzz-template  the calls NSS, p11-kit, gcr, GnuTLS, pkcs11-tool
 *                       and the trustfolder tool make (CONTRACT.md), in the
 *                       byte code of tests/fuzz/template.h
 * CORPUS/fuzz-store     stores the module wrote with records of every kind,
 *                       compacted to 512-byte pages so that they are a few KB
 *
 * Rerunning it rewrites the seeds; the fuzz targets need nothing else.
 */
#include "fuzz.h"
#include "template.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include <errno.h>
#include <sys/stat.h>

static const char *fixtures;
static const char *corpus;

static void __attribute__ ((noreturn, format (printf, 1, 2)))
die (const char *fmt, ...)
{
	va_list va;

	va_start (va, fmt);
	fputs ("fuzz-seeds: ", stderr);
	vfprintf (stderr, fmt, va);
	fputc ('\n', stderr);
	va_end (va);
	exit (1);
}

/* ---- files ------------------------------------------------------------------ */

static unsigned char *
read_file (const char *path, size_t *len)
{
	unsigned char *buf;
	FILE *f;
	long n;

	f = fopen (path, "rb");
	if (f == NULL)
		die ("cannot read %s", path);
	fseek (f, 0, SEEK_END);
	n = ftell (f);
	fseek (f, 0, SEEK_SET);
	buf = malloc (n > 0 ? (size_t)n : 1);
	if (buf == NULL || (n > 0 && fread (buf, 1, (size_t)n, f) != (size_t)n))
		die ("cannot read %s", path);
	fclose (f);
	*len = (size_t)n;
	return buf;
}

static void
write_file (const char *dir, const char *name, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf (path, sizeof (path), "%s/%s/%s", corpus, dir, name);
	f = fopen (path, "wb");
	if (f == NULL || fwrite (data, 1, len, f) != len || fclose (f) != 0)
		die ("cannot write %s", path);
}

static void
make_dir (const char *dir)
{
	char path[1024];

	snprintf (path, sizeof (path), "%s/%s", corpus, dir);
	if (mkdir (path, 0755) != 0 && errno != EEXIST)
		die ("cannot create %s", path);
}

/* ---- certificates ------------------------------------------------------------- */

typedef struct {
	unsigned char *der;
	size_t len;
	unsigned char issuer[1024], subject[1024], serial[64], spki[1024];
	size_t issuer_len, subject_len, serial_len, spki_len;
	unsigned char sha1[20], md5[16], sha256[32], key_id[20];
} cert;

/* One fixture, its fields as NSS sends them, computed with OpenSSL. */
static void
load_cert (cert *c, const char *name)
{
	const unsigned char *p;
	unsigned char *o;
	char path[1024];
	unsigned int n;
	X509 *x;

	snprintf (path, sizeof (path), "%s/%s.der", fixtures, name);
	c->der = read_file (path, &c->len);
	p = c->der;
	x = d2i_X509 (NULL, &p, (long)c->len);
	if (x == NULL)
		die ("%s is not a certificate", path);
	o = c->issuer;
	c->issuer_len = (size_t)i2d_X509_NAME (X509_get_issuer_name (x), &o);
	o = c->subject;
	c->subject_len = (size_t)i2d_X509_NAME (X509_get_subject_name (x), &o);
	o = c->serial;
	c->serial_len = (size_t)i2d_ASN1_INTEGER (X509_get_serialNumber (x), &o);
	o = c->spki;
	c->spki_len = (size_t)i2d_X509_PUBKEY (X509_get_X509_PUBKEY (x), &o);
	EVP_Digest (c->der, c->len, c->sha1, &n, EVP_sha1 (), NULL);
	EVP_Digest (c->der, c->len, c->md5, &n, EVP_md5 (), NULL);
	EVP_Digest (c->der, c->len, c->sha256, &n, EVP_sha256 (), NULL);
	X509_pubkey_digest (x, EVP_sha1 (), c->key_id, &n);
	X509_free (x);
}

/* ---- template programs (tests/fuzz/template.h) -------------------------------------- */

typedef struct {
	unsigned char buf[32768];
	size_t len;
} prog;

static void
b (prog *p, unsigned v)
{
	if (p->len == sizeof (p->buf))
		die ("a seed program is too long");
	p->buf[p->len++] = (unsigned char)v;
}

static void
be (prog *p, uint64_t v, int bytes)
{
	while (bytes-- > 0)
		b (p, (unsigned)(v >> (8 * bytes)) & 0xff);
}

static void
type (prog *p, CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < FZ_NTYPES; i++) {
		if (fz_types[i].type == t) {
			b (p, (unsigned)i);
			return;
		}
	}
	b (p, TYPE_RAW4);
	be (p, t, 4);
}

static void
ul (prog *p, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	type (p, t);
	b (p, V_NATURAL);
	b (p, V_ULONG_RAW);
	be (p, v, 8);
}

static void
bo (prog *p, CK_ATTRIBUTE_TYPE t, bool v)
{
	type (p, t);
	b (p, V_NATURAL);
	b (p, v ? CK_TRUE : CK_FALSE);
}

static void
by (prog *p, CK_ATTRIBUTE_TYPE t, const void *v, size_t len)
{
	const unsigned char *bytes = v;
	size_t i;

	type (p, t);
	b (p, V_RAW);
	be (p, len, 2);
	for (i = 0; i < len; i++)
		b (p, bytes[i]);
}

static void
str (prog *p, CK_ATTRIBUTE_TYPE t, const char *s)
{
	by (p, t, s, strlen (s));
}

/* The value object h (an index into the handles the program has seen) has for from. */
static void
from (prog *p, CK_ATTRIBUTE_TYPE t, unsigned h, CK_ATTRIBUTE_TYPE from_type)
{
	size_t i;

	type (p, t);
	b (p, V_FROM);
	b (p, h);
	if (from_type == t) {
		b (p, 0);
		return;
	}
	for (i = 0; i < FZ_NTYPES && fz_types[i].type != from_type; i++)
		;
	b (p, i == 0 ? FZ_NTYPES : (unsigned)i);
}

static void
special (prog *p, CK_ATTRIBUTE_TYPE t, unsigned mode, unsigned arg)
{
	type (p, t);
	b (p, mode);
	if (mode == V_NULL_LEN || mode == V_HUGE)
		b (p, arg);
}

/* Sessions: 0 R/W persistent, 1 R/W session token, 2 read-only persistent. */
static void
op (prog *p, unsigned code, unsigned session)
{
	b (p, code);
	b (p, session);
}

static void
find (prog *p, unsigned session, unsigned count)
{
	op (p, OP_FIND, session);
	b (p, count);
}

static void
find_end (prog *p, unsigned max, bool leave_active)
{
	b (p, max);
	b (p, leave_active ? 1 : 0);
}

static void
get_all (prog *p, unsigned session, unsigned h)
{
	op (p, OP_GET, session);
	b (p, h);
	b (p, G_ALL);
}

static void
get_exact (prog *p, unsigned session, unsigned h, const CK_ATTRIBUTE_TYPE *types, size_t n)
{
	op (p, OP_GET, session);
	b (p, h);
	b (p, (unsigned)n);
	while (n-- > 0) {
		type (p, *types++);
		b (p, B_EXACT);
	}
}

/* One attribute of a get-template with a buffer of a given kind (and size). */
static void
get_buffer (prog *p, CK_ATTRIBUTE_TYPE t, unsigned mode, unsigned size)
{
	type (p, t);
	b (p, mode);
	if (mode == B_SIZED)
		b (p, size);
}

static void
destroy (prog *p, unsigned session, unsigned h)
{
	op (p, OP_DESTROY, session);
	b (p, h);
}

static void
save (const char *name, const prog *p)
{
	write_file ("fuzz-template", name, p->buf, p->len);
}

/* certutil -A -t "C,,": the certificate (handle 0), then its NSS trust (handle 1). */
static void
certutil_add (prog *p, const cert *c, const char *nick, CK_ULONG server)
{
	find (p, 0, 4);
	bo (p, CKA_TOKEN, true);
	ul (p, CKA_CLASS, CKO_CERTIFICATE);
	by (p, CKA_ISSUER, c->issuer, c->issuer_len);
	by (p, CKA_SERIAL_NUMBER, c->serial, c->serial_len);
	find_end (p, 16, false);

	op (p, OP_CREATE, 0);
	b (p, 9);
	bo (p, CKA_TOKEN, true);
	ul (p, CKA_CLASS, CKO_CERTIFICATE);
	ul (p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	by (p, CKA_ID, c->key_id, 20);
	str (p, CKA_LABEL, nick);
	by (p, CKA_VALUE, c->der, c->len);
	by (p, CKA_ISSUER, c->issuer, c->issuer_len);
	by (p, CKA_SUBJECT, c->subject, c->subject_len);
	by (p, CKA_SERIAL_NUMBER, c->serial, c->serial_len);

	op (p, OP_CREATE, 0);
	b (p, 11);
	bo (p, CKA_TOKEN, true);
	ul (p, CKA_CLASS, TF_CKO_NSS_TRUST);
	by (p, CKA_ISSUER, c->issuer, c->issuer_len);
	by (p, CKA_SERIAL_NUMBER, c->serial, c->serial_len);
	by (p, TF_CKA_CERT_SHA1_HASH, c->sha1, 20);
	by (p, TF_CKA_CERT_MD5_HASH, c->md5, 16);
	ul (p, TF_CKA_NSS_TRUST_SERVER_AUTH, server);
	ul (p, TF_CKA_NSS_TRUST_CLIENT_AUTH, TF_CKT_NSS_VALID_DELEGATOR);
	ul (p, TF_CKA_NSS_TRUST_CODE_SIGNING, TF_CKT_NSS_MUST_VERIFY_TRUST);
	ul (p, TF_CKA_NSS_TRUST_EMAIL, TF_CKT_NSS_MUST_VERIFY_TRUST);
	bo (p, TF_CKA_NSS_TRUST_STEP_UP, false);
}

/* trust anchor --store: find by value, create with CKA_TRUSTED. */
static void
trust_anchor (prog *p, unsigned session, const cert *c)
{
	find (p, session, 2);
	ul (p, CKA_CLASS, CKO_CERTIFICATE);
	by (p, CKA_VALUE, c->der, c->len);
	find_end (p, 16, false);
	op (p, OP_CREATE, session);
	b (p, 6);
	ul (p, CKA_CLASS, CKO_CERTIFICATE);
	ul (p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	by (p, CKA_VALUE, c->der, c->len);
	bo (p, CKA_TRUSTED, true);
	bo (p, TF_CKA_X_DISTRUSTED, false);
	bo (p, CKA_TOKEN, true);
}

/* gcr: a pinned (2) or anchored (3) assertion, searched for first. */
static void
gcr_assertion (prog *p, unsigned session, const cert *c, CK_ULONG kind, const char *peer)
{
	unsigned pass, n = kind == TF_CKT_X_PINNED_CERTIFICATE ? 6 : 5;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			find (p, session, n);
		} else {
			op (p, OP_CREATE, session);
			b (p, n);
		}
		ul (p, CKA_CLASS, TF_CKO_X_TRUST_ASSERTION);
		ul (p, TF_CKA_X_ASSERTION_TYPE, kind);
		by (p, TF_CKA_X_CERTIFICATE_VALUE, c->der, c->len);
		str (p, TF_CKA_X_PURPOSE, "1.3.6.1.5.5.7.3.1");
		bo (p, CKA_TOKEN, true);
		if (n == 6)
			str (p, TF_CKA_X_PEER, peer);
		if (pass == 0)
			find_end (p, 16, false);
	}
}

static void
template_seeds (void)
{
	static const CK_ATTRIBUTE_TYPE six[] = { CKA_CLASS,  CKA_CERTIFICATE_TYPE,
						 CKA_LABEL,  CKA_SUBJECT,
						 CKA_ISSUER, CKA_SERIAL_NUMBER };
	static const CK_ATTRIBUTE_TYPE tool[] = { CKA_CLASS,	     CKA_CERTIFICATE_TYPE,
						  CKA_LABEL,	     CKA_SUBJECT,
						  CKA_SERIAL_NUMBER, CKA_ID,
						  TF_CKA_UNIQUE_ID };
	/* extKeyUsage, and the whole extension: { extKeyUsage, { serverAuth } } */
	static const unsigned char eku_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
	static const unsigned char eku[] = { 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25,
					     0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b,
					     0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };
	cert ca, server, self;
	prog p;

	load_cert (&ca, "ca");
	load_cert (&server, "server");
	load_cert (&self, "selfsigned");
	make_dir ("fuzz-template");

	/* NSS at start: friendliness, the builtin root list; then the profile read. */
	memset (&p, 0, sizeof (p));
	find (&p, 0, 2);
	bo (&p, CKA_TOKEN, true);
	ul (&p, CKA_CLASS, TF_CKO_PROFILE);
	find_end (&p, 16, false);
	find (&p, 1, 1);
	ul (&p, CKA_CLASS, TF_CKO_NSS_BUILTIN_ROOT_LIST);
	find_end (&p, 16, false);
	get_all (&p, 0, 0);
	save ("nss-startup", &p);

	/* certutil -A -t C,, then -L: list, six attributes, the trust read NSS makes. */
	memset (&p, 0, sizeof (p));
	certutil_add (&p, &ca, "my ca", TF_CKT_NSS_TRUSTED_DELEGATOR);
	find (&p, 2, 2);
	bo (&p, CKA_TOKEN, true);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	find_end (&p, 16, false);
	get_exact (&p, 2, 0, six, 6);
	find (&p, 2, 4);
	bo (&p, CKA_TOKEN, true);
	ul (&p, CKA_CLASS, TF_CKO_NSS_TRUST);
	from (&p, CKA_ISSUER, 0, CKA_ISSUER);
	from (&p, CKA_SERIAL_NUMBER, 0, CKA_SERIAL_NUMBER);
	find_end (&p, 2, false);
	op (&p, OP_GET, 2);
	b (&p, 1);
	b (&p, 7);
	get_buffer (&p, CKA_TOKEN, B_SIZED, 1);
	get_buffer (&p, TF_CKA_NSS_TRUST_SERVER_AUTH, B_ULONG, 0);
	get_buffer (&p, TF_CKA_NSS_TRUST_CLIENT_AUTH, B_ULONG, 0);
	get_buffer (&p, TF_CKA_NSS_TRUST_CODE_SIGNING, B_ULONG, 0);
	get_buffer (&p, TF_CKA_NSS_TRUST_EMAIL, B_ULONG, 0);
	get_buffer (&p, TF_CKA_NSS_TRUST_STEP_UP, B_SIZED, 1);
	get_buffer (&p, TF_CKA_CERT_SHA1_HASH, B_SIZED, 20);
	/* NSS's CA policy question: answered CKR_ATTRIBUTE_TYPE_INVALID. */
	op (&p, OP_GET, 2);
	b (&p, 0);
	b (&p, 1);
	get_buffer (&p, TF_CKA_NSS_MOZILLA_CA_POLICY, B_SIZED, 1);
	save ("certutil-add-list", &p);

	/* certutil -M re-creates the trust; certutil -D destroys trust, then certificate. */
	memset (&p, 0, sizeof (p));
	certutil_add (&p, &server, "server", TF_CKT_NSS_TRUSTED);
	certutil_add (&p, &server, "server", TF_CKT_NSS_NOT_TRUSTED);
	destroy (&p, 0, 1);
	destroy (&p, 0, 0);
	save ("certutil-modify-delete", &p);

	/* certutil -A into the session token (certutil -h "Trust Folder Session"). */
	memset (&p, 0, sizeof (p));
	certutil_add (&p, &self, "self", TF_CKT_NSS_TRUSTED);
	save ("certutil-add", &p);

	/* trust anchor --store, another distrusted (p11tool), then trust list. */
	memset (&p, 0, sizeof (p));
	trust_anchor (&p, 0, &ca);
	op (&p, OP_CREATE, 0);
	b (&p, 5);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	ul (&p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	by (&p, CKA_VALUE, server.der, server.len);
	bo (&p, TF_CKA_X_DISTRUSTED, true);
	bo (&p, CKA_TOKEN, true);
	find (&p, 2, 1);
	bo (&p, TF_CKA_X_DISTRUSTED, true);
	find_end (&p, 16, false);
	find (&p, 2, 2);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	ul (&p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	find_end (&p, 16, false);
	get_all (&p, 2, 0);
	get_all (&p, 2, 1);
	find (&p, 2, 2);
	ul (&p, CKA_CLASS, TF_CKO_X_CERTIFICATE_EXTENSION);
	from (&p, CKA_PUBLIC_KEY_INFO, 0, CKA_PUBLIC_KEY_INFO);
	find_end (&p, 16, false);
	/* trust anchor --remove */
	destroy (&p, 0, 0);
	save ("p11kit-anchor-list", &p);

	/* gcr: pin for a host in the session token, look it up, remove it; anchor forever. */
	memset (&p, 0, sizeof (p));
	gcr_assertion (&p, 1, &self, TF_CKT_X_PINNED_CERTIFICATE, "www.example.test:443");
	get_all (&p, 1, 0);
	gcr_assertion (&p, 1, &self, TF_CKT_X_PINNED_CERTIFICATE, "other.example.test");
	gcr_assertion (&p, 0, &ca, TF_CKT_X_ANCHORED_CERTIFICATE, NULL);
	find (&p, 1, 4);
	ul (&p, CKA_CLASS, TF_CKO_X_TRUST_ASSERTION);
	ul (&p, TF_CKA_X_ASSERTION_TYPE, TF_CKT_X_PINNED_CERTIFICATE);
	by (&p, TF_CKA_X_CERTIFICATE_VALUE, self.der, self.len);
	str (&p, TF_CKA_X_PEER, "other.example.test");
	find_end (&p, 16, false);
	destroy (&p, 1, 1);
	save ("gcr-pin-anchor", &p);

	/* NSS >= 3.114 writes CKO_TRUST with a SHA-256 hash. */
	memset (&p, 0, sizeof (p));
	op (&p, OP_CREATE, 0);
	b (&p, 10);
	bo (&p, CKA_TOKEN, true);
	ul (&p, CKA_CLASS, TF_CKO_TRUST);
	by (&p, CKA_ISSUER, ca.issuer, ca.issuer_len);
	by (&p, CKA_SERIAL_NUMBER, ca.serial, ca.serial_len);
	by (&p, TF_CKA_HASH_OF_CERTIFICATE, ca.sha256, 32);
	ul (&p, TF_CKA_NAME_HASH_ALGORITHM, CKM_SHA256);
	ul (&p, TF_CKA_PKCS_TRUST_SERVER_AUTH, TF_CKT_TRUST_ANCHOR);
	ul (&p, TF_CKA_PKCS_TRUST_CLIENT_AUTH, TF_CKT_TRUST_ANCHOR);
	ul (&p, TF_CKA_PKCS_TRUST_CODE_SIGNING, TF_CKT_TRUST_MUST_VERIFY_TRUST);
	ul (&p, TF_CKA_PKCS_TRUST_EMAIL, TF_CKT_TRUST_UNKNOWN);
	get_all (&p, 0, 0);
	op (&p, OP_SET, 0);
	b (&p, 0);
	b (&p, 1);
	ul (&p, TF_CKA_PKCS_TRUST_SERVER_AUTH, TF_CKT_NOT_TRUSTED);
	save ("nss-trust-3.2", &p);

	/* A distrust record for a certificate held elsewhere: issuer + serial only. */
	memset (&p, 0, sizeof (p));
	op (&p, OP_CREATE, 0);
	b (&p, 8);
	bo (&p, CKA_TOKEN, true);
	ul (&p, CKA_CLASS, TF_CKO_NSS_TRUST);
	by (&p, CKA_ISSUER, server.issuer, server.issuer_len);
	by (&p, CKA_SERIAL_NUMBER, server.serial, server.serial_len);
	ul (&p, TF_CKA_NSS_TRUST_SERVER_AUTH, TF_CKT_NSS_NOT_TRUSTED);
	ul (&p, TF_CKA_NSS_TRUST_CLIENT_AUTH, TF_CKT_NSS_NOT_TRUSTED);
	ul (&p, TF_CKA_NSS_TRUST_CODE_SIGNING, TF_CKT_NSS_NOT_TRUSTED);
	ul (&p, TF_CKA_NSS_TRUST_EMAIL, TF_CKT_NSS_NOT_TRUSTED);
	get_all (&p, 0, 0);
	certutil_add (&p, &server, "joins the record", TF_CKT_NSS_NOT_TRUSTED);
	save ("distrust-issuer-serial", &p);

	/* p11-kit's stapled extended key usage on an anchor. */
	memset (&p, 0, sizeof (p));
	trust_anchor (&p, 0, &ca);
	op (&p, OP_CREATE, 0);
	b (&p, 6);
	ul (&p, CKA_CLASS, TF_CKO_X_CERTIFICATE_EXTENSION);
	bo (&p, CKA_TOKEN, true);
	from (&p, CKA_PUBLIC_KEY_INFO, 0, CKA_PUBLIC_KEY_INFO);
	by (&p, CKA_OBJECT_ID, eku_oid, sizeof (eku_oid));
	by (&p, CKA_VALUE, eku, sizeof (eku));
	bo (&p, TF_CKA_X_CRITICAL, false);
	get_all (&p, 0, 1);
	find (&p, 0, 1);
	ul (&p, CKA_CLASS, TF_CKO_X_CERTIFICATE_EXTENSION);
	find_end (&p, 16, false);
	destroy (&p, 0, 1);
	save ("p11kit-stapled-eku", &p);

	/* pkcs11-tool -O: everything, then attributes one at a time. */
	memset (&p, 0, sizeof (p));
	certutil_add (&p, &ca, "ca", TF_CKT_NSS_TRUSTED_DELEGATOR);
	find (&p, 2, 0);
	find_end (&p, 16, false);
	get_exact (&p, 2, 0, tool, 7);
	get_exact (&p, 2, 1, tool, 7);
	get_exact (&p, 2, 2, tool, 7);
	save ("pkcs11-tool-list", &p);

	/* p11tool --delete: destroys what the search found while it is still active. */
	memset (&p, 0, sizeof (p));
	trust_anchor (&p, 0, &ca);
	trust_anchor (&p, 0, &server);
	find (&p, 0, 1);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	find_end (&p, 1, true);
	destroy (&p, 0, 0);
	op (&p, OP_FIND_NEXT, 0);
	b (&p, 1);
	destroy (&p, 0, 1);
	op (&p, OP_FIND_FINAL, 0);
	save ("p11tool-delete", &p);

	/* Session objects, copied into the token; their session closes. */
	memset (&p, 0, sizeof (p));
	op (&p, OP_CREATE, 0);
	b (&p, 5);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	ul (&p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	by (&p, CKA_VALUE, self.der, self.len);
	bo (&p, CKA_TOKEN, false);
	bo (&p, CKA_TRUSTED, true);
	op (&p, OP_COPY, 0);
	b (&p, 0);
	b (&p, 2);
	bo (&p, CKA_TOKEN, true);
	str (&p, CKA_LABEL, "copied");
	op (&p, OP_CLOSE, 0);
	find (&p, 2, 0);
	find_end (&p, 16, false);
	save ("session-objects-copy", &p);

	/* The trustfolder tool's own attributes: an end date, pinned hosts, its name. */
	memset (&p, 0, sizeof (p));
	op (&p, OP_CREATE, 0);
	b (&p, 8);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	ul (&p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	by (&p, CKA_VALUE, self.der, self.len);
	bo (&p, CKA_TOKEN, true);
	bo (&p, CKA_TRUSTED, true);
	ul (&p, TF_CKA_DECISION_EXPIRES, 4102444800UL);
	str (&p, TF_CKA_PINNED_HOSTS, "www.example.test,[::1]:8443");
	str (&p, TF_CKA_DECISION_CREATOR, "trustfolder accept");
	get_all (&p, 0, 0);
	op (&p, OP_SET, 0);
	b (&p, 0);
	b (&p, 2);
	str (&p, TF_CKA_PINNED_HOSTS, "LOCALHOST");
	ul (&p, TF_CKA_DECISION_EXPIRES, 1);
	find (&p, 0, 1);
	ul (&p, CKA_CLASS, TF_CKO_X_TRUST_ASSERTION);
	find_end (&p, 16, false);
	get_all (&p, 0, 1);
	save ("tool-decision", &p);

	/* What no client should send: NULL templates, over the limits, bad lengths. */
	memset (&p, 0, sizeof (p));
	op (&p, OP_CREATE, 0);
	b (&p, T_NULL_COUNT);
	b (&p, 3);
	op (&p, OP_FIND, 0);
	b (&p, T_NULL_HUGE);
	find_end (&p, 4, false);
	op (&p, OP_CREATE, 0);
	b (&p, T_OVER_LIMIT);
	b (&p, 0);
	bo (&p, CKA_TOKEN, true);
	op (&p, OP_FIND, 2);
	b (&p, T_AT_LIMIT);
	bo (&p, CKA_TOKEN, true);
	find_end (&p, 4, false);
	op (&p, OP_CREATE, 0);
	b (&p, 3);
	ul (&p, CKA_CLASS, CKO_CERTIFICATE);
	ul (&p, CKA_CERTIFICATE_TYPE, CKC_X_509);
	special (&p, CKA_VALUE, V_HUGE, 1);
	op (&p, OP_CREATE, 1);
	b (&p, 2);
	special (&p, CKA_CLASS, V_UNAVAIL, 0);
	special (&p, CKA_LABEL, V_NULL_LEN, 7);
	op (&p, OP_CREATE, 1);
	b (&p, 2);
	by (&p, CKA_CLASS, "\x01\x00\x00\x00", 4);
	by (&p, CKA_TOKEN, "\x01\x01", 2);
	op (&p, OP_GET, 0);
	b (&p, H_ZERO);
	b (&p, G_OVER_LIMIT);
	op (&p, OP_SET, SEL_SPECIAL + 7);
	b (&p, H_ONES);
	b (&p, T_NULL_EMPTY);
	op (&p, OP_FIND_NEXT, 0);
	b (&p, 4);
	op (&p, OP_FIND_FINAL, 1);
	save ("abuse-templates", &p);

	/* Sessions: no serial flag, a closed session used again, logins, slot 99. */
	memset (&p, 0, sizeof (p));
	/* slot 1 without CKF_SERIAL_SESSION; slot 2 R/W: session 3 */
	b (&p, OP_OPEN);
	b (&p, 1);
	b (&p, 2);
	b (&p, OP_OPEN);
	b (&p, 2);
	b (&p, 3);
	op (&p, OP_CLOSE, 3);
	op (&p, OP_CREATE, 3);
	b (&p, 1);
	bo (&p, CKA_TOKEN, false);
	op (&p, OP_LOGIN, 0);
	b (&p, 0);
	op (&p, OP_LOGIN, 1);
	b (&p, 1);
	op (&p, OP_LOGOUT, 0);
	op (&p, OP_LOGOUT, 0);
	b (&p, OP_CLOSE_ALL);
	b (&p, 3);
	b (&p, OP_CLOSE_ALL);
	b (&p, 2);
	op (&p, OP_SIZE, 1);
	b (&p, 0);
	save ("abuse-sessions", &p);

	free (ca.der);
	free (server.der);
	free (self.der);
}

/* ---- the fuzz-cert seeds ------------------------------------------------------------- */

static void
cert_seeds (void)
{
	static const char *const names[] = { "ca",	 "inter",     "server",	  "server-inter",
					     "wildcard", "selfsigned", "other-ca", "v1",
					     "noski",	 "negserial", "serial20", "longname",
					     "expired",	 "notyet",    "malformed", "trailing" };
	unsigned char *der;
	char path[1024];
	size_t i, len;

	make_dir ("fuzz-cert");
	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		snprintf (path, sizeof (path), "%s/%s.der", fixtures, names[i]);
		der = read_file (path, &len);
		write_file ("fuzz-cert", names[i], der, len);
		free (der);
	}
}

/* ---- the fuzz-store seeds --------------------------------------------------------------- */

static CK_FUNCTION_LIST_PTR f;

static void
ok (CK_RV rv, const char *what)
{
	if (rv != CKR_OK)
		die ("%s: 0x%lx", what, (unsigned long)rv);
}

static CK_OBJECT_HANDLE
create (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE h;

	ok (f->C_CreateObject (s, tmpl, n, &h), "C_CreateObject");
	return h;
}

static CK_OBJECT_HANDLE
cert_object (CK_SESSION_HANDLE s, const cert *c, CK_ATTRIBUTE_TYPE flag)
{
	static const CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	static const CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&klass, sizeof (klass) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_VALUE, c->der, c->len },
		{ flag, (void *)&yes, sizeof (yes) },
	};

	return create (s, tmpl, flag ? 5 : 4);
}

static void
nss_trust (CK_SESSION_HANDLE s, const cert *c, CK_ULONG level, bool hash)
{
	static const CK_OBJECT_CLASS klass = TF_CKO_NSS_TRUST;
	static const CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&klass, sizeof (klass) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)c->issuer, c->issuer_len },
		{ CKA_SERIAL_NUMBER, (void *)c->serial, c->serial_len },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &level, sizeof (level) },
		{ TF_CKA_NSS_TRUST_EMAIL, &level, sizeof (level) },
		{ TF_CKA_CERT_SHA1_HASH, (void *)c->sha1, 20 },
		{ TF_CKA_CERT_MD5_HASH, (void *)c->md5, 16 },
	};

	create (s, tmpl, hash ? 8 : 6);
}

/* A store in a scratch directory: the module makes it, SQLite compacts it. */
static void
store_seed (const char *name, const char *scratch, void (*fill) (CK_SESSION_HANDLE))
{
	CK_C_INITIALIZE_ARGS args = { 0 };
	char path[1024], params[1100];
	CK_SESSION_HANDLE s;
	unsigned char *data;
	sqlite3 *db;
	size_t len;

	snprintf (path, sizeof (path), "%s/%s.db", scratch, name);
	snprintf (params, sizeof (params), "store=%s", path);
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	ok (f->C_Initialize (&args), "C_Initialize");
	ok (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			      &s),
	    "C_OpenSession");
	fill (s);
	ok (f->C_Finalize (NULL), "C_Finalize");

	/* 512-byte pages, and back to WAL as the module leaves it. */
	if (sqlite3_open (path, &db) != SQLITE_OK ||
	    sqlite3_exec (db,
			  "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM; "
			  "PRAGMA journal_mode = WAL;",
			  NULL, NULL, NULL) != SQLITE_OK)
		die ("cannot compact %s: %s", path, sqlite3_errmsg (db));
	sqlite3_close (db);
	data = read_file (path, &len);
	write_file ("fuzz-store", name, data, len);
	free (data);
	unlink (path);
}

static cert seed_ca, seed_server, seed_self, seed_v1;

static void
fill_empty (CK_SESSION_HANDLE s)
{
}

/* certutil's decisions: a CA (C,,), a peer (P,,), a distrusted one (p,p,p). */
static void
fill_nss (CK_SESSION_HANDLE s)
{
	cert_object (s, &seed_ca, 0);
	nss_trust (s, &seed_ca, TF_CKT_NSS_TRUSTED_DELEGATOR, true);
	cert_object (s, &seed_self, 0);
	nss_trust (s, &seed_self, TF_CKT_NSS_TRUSTED, true);
	cert_object (s, &seed_v1, 0);
	nss_trust (s, &seed_v1, TF_CKT_NSS_NOT_TRUSTED, true);
}

/* p11-kit's anchor, a distrust by issuer and serial alone, a stapled extension. */
static void
fill_p11kit (CK_SESSION_HANDLE s)
{
	static const CK_OBJECT_CLASS ext = TF_CKO_X_CERTIFICATE_EXTENSION;
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static const unsigned char eku_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
	static const unsigned char eku[] = { 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25,
					     0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b,
					     0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&ext, sizeof (ext) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_PUBLIC_KEY_INFO, seed_ca.spki, seed_ca.spki_len },
		{ CKA_OBJECT_ID, (void *)eku_oid, sizeof (eku_oid) },
		{ CKA_VALUE, (void *)eku, sizeof (eku) },
		{ TF_CKA_X_CRITICAL, (void *)&no, sizeof (no) },
	};

	cert_object (s, &seed_ca, CKA_TRUSTED);
	nss_trust (s, &seed_server, TF_CKT_NSS_NOT_TRUSTED, false);
	cert_object (s, &seed_v1, TF_CKA_X_DISTRUSTED);
	create (s, tmpl, 6);
}

/* gcr's pins on two hosts, the tool's end date and creator, 3.2 trust by SHA-256. */
static void
fill_pins (CK_SESSION_HANDLE s)
{
	static const CK_OBJECT_CLASS assertion = TF_CKO_X_TRUST_ASSERTION, trust = TF_CKO_TRUST;
	static const CK_BBOOL yes = CK_TRUE;
	static const CK_ULONG pinned = TF_CKT_X_PINNED_CERTIFICATE, anchor = TF_CKT_TRUST_ANCHOR;
	static const CK_ULONG expires = 4102444800UL;
	static const CK_MECHANISM_TYPE sha256 = CKM_SHA256;
	const char *const hosts[] = { "www.example.test:443", "[::1]:8443" };
	CK_ATTRIBUTE pin[] = {
		{ CKA_CLASS, (void *)&assertion, sizeof (assertion) },
		{ TF_CKA_X_ASSERTION_TYPE, (void *)&pinned, sizeof (pinned) },
		{ TF_CKA_X_CERTIFICATE_VALUE, seed_self.der, seed_self.len },
		{ TF_CKA_X_PURPOSE, "1.3.6.1.5.5.7.3.1", 17 },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ TF_CKA_X_PEER, NULL, 0 },
		{ TF_CKA_DECISION_EXPIRES, (void *)&expires, sizeof (expires) },
		{ TF_CKA_DECISION_CREATOR, "gcr", 3 },
	};
	CK_ATTRIBUTE t32[] = {
		{ CKA_CLASS, (void *)&trust, sizeof (trust) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, seed_ca.issuer, seed_ca.issuer_len },
		{ CKA_SERIAL_NUMBER, seed_ca.serial, seed_ca.serial_len },
		{ TF_CKA_HASH_OF_CERTIFICATE, seed_ca.sha256, 32 },
		{ TF_CKA_NAME_HASH_ALGORITHM, (void *)&sha256, sizeof (sha256) },
		{ TF_CKA_PKCS_TRUST_SERVER_AUTH, (void *)&anchor, sizeof (anchor) },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		pin[5].pValue = (void *)hosts[i];
		pin[5].ulValueLen = strlen (hosts[i]);
		create (s, pin, 8);
	}
	cert_object (s, &seed_ca, 0);
	create (s, t32, 7);
}

/* Records written, changed and removed: tombstones, and a later sequence number. */
static void
fill_history (CK_SESSION_HANDLE s)
{
	CK_ATTRIBUTE label = { CKA_LABEL, "renamed", 7 };
	CK_OBJECT_HANDLE h;

	h = cert_object (s, &seed_server, 0);
	ok (f->C_DestroyObject (s, h), "C_DestroyObject");
	h = cert_object (s, &seed_self, CKA_TRUSTED);
	ok (f->C_SetAttributeValue (s, h, &label, 1), "C_SetAttributeValue");
	nss_trust (s, &seed_ca, TF_CKT_NSS_NOT_TRUSTED, false);
}

static void
store_seeds (void)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR) = C_GetFunctionList;
	char scratch[] = "/tmp/tf-seeds-XXXXXX";

	if (get_list (&f) != CKR_OK)
		die ("C_GetFunctionList failed");
	if (mkdtemp (scratch) == NULL)
		die ("cannot make a scratch directory");
	setenv (TF_ENV_CONFIG, "/dev/null", 1);
	unsetenv (TF_ENV_STORE);
	load_cert (&seed_ca, "ca");
	load_cert (&seed_server, "server");
	load_cert (&seed_self, "selfsigned");
	load_cert (&seed_v1, "v1");
	make_dir ("fuzz-store");
	store_seed ("empty", scratch, fill_empty);
	store_seed ("nss", scratch, fill_nss);
	store_seed ("p11kit", scratch, fill_p11kit);
	store_seed ("pins", scratch, fill_pins);
	store_seed ("history", scratch, fill_history);
	rmdir (scratch);
	free (seed_ca.der);
	free (seed_server.der);
	free (seed_self.der);
	free (seed_v1.der);
}

int
main (int argc, char **argv)
{
	if (argc != 3)
		die ("usage: fuzz-seeds FIXTURES CORPUS");
	fixtures = argv[1];
	corpus = argv[2];
	if (mkdir (corpus, 0755) != 0 && errno != EEXIST)
		die ("cannot create %s", corpus);
	cert_seeds ();
	template_seeds ();
	store_seeds ();
	return 0;
}
