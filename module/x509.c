/*
 * X.509 for the module: the only file that includes OpenSSL headers.
 *
 * OpenSSL decides whether a certificate is acceptable at all. The fields the
 * module stores and matches on (issuer, subject, serial, key) are then found
 * by a small DER reader walking the caller's own buffer, so that the slices
 * handed back are exactly the bytes the certificate carries: clients compare
 * them byte for byte, and a re-encoding by OpenSSL need not be identical.
 *
 * Every public function leaves OpenSSL's error queue as it found it: the
 * module runs inside someone else's process, and a stale error there makes
 * the host's next ERR_get_error() lie.
 */
#include "x509.h"
#include "log.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/*
 * libcrypto is loaded on first use, not with the module: most processes
 * that load a trust module only search it (a TLS handshake's trust lookups
 * read no certificate), and loading libcrypto was two thirds of the time
 * dlopen took. Its functions are reached through this table, filled by
 * dlsym from the same major version the module was built against; a
 * process that has libcrypto loaded already shares it.
 */
#define XSTR(x)	      STR (x)
#define STR(x)	      #x
#define CRYPTO_SONAME "libcrypto.so." XSTR (OPENSSL_VERSION_MAJOR)

#define CRYPTO_FUNCTIONS(X)                                                                  \
	X (ASN1_TIME_free)                                                                   \
	X (ASN1_TIME_to_tm)                                                                  \
	X (BASIC_CONSTRAINTS_free)                                                           \
	X (ERR_peek_last_error)                                                              \
	X (ERR_peek_last_error_data)                                                         \
	X (ERR_pop_to_mark)                                                                  \
	X (ERR_reason_error_string)                                                          \
	X (ERR_set_mark)                                                                     \
	X (EVP_Digest)                                                                       \
	X (EVP_DigestFinal_ex)                                                               \
	X (EVP_DigestInit_ex2)                                                               \
	X (EVP_DigestUpdate)                                                                 \
	X (EVP_MD_CTX_free)                                                                  \
	X (EVP_MD_CTX_new)                                                                   \
	X (EVP_MD_fetch)                                                                     \
	X (EVP_MD_free)                                                                      \
	X (EXTENDED_KEY_USAGE_free)                                                          \
	X (OBJ_obj2nid)                                                                      \
	X (OPENSSL_sk_num)                                                                   \
	X (OPENSSL_sk_value)                                                                 \
	X (X509V3_EXT_d2i)                                                                   \
	X (X509_EXTENSION_free)                                                              \
	X (X509_EXTENSION_get_critical)                                                      \
	X (X509_EXTENSION_get_object)                                                        \
	X (d2i_ASN1_TIME)                                                                    \
	X (d2i_BASIC_CONSTRAINTS)                                                            \
	X (d2i_X509_EXTENSION)

static struct {
#define X(f) __typeof__ (f) *f;
	CRYPTO_FUNCTIONS (X)
#undef X
} crypto;

static bool crypto_loaded;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void
crypto_load (void)
{
	void *lib;

	lib = dlopen (CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		tf_error ("cannot load %s (%s): certificates cannot be read or hashed",
			  CRYPTO_SONAME, dlerror ());
		return;
	}
#define X(f)                                                                                 \
	crypto.f = (__typeof__ (f) *)dlsym (lib, #f);                                        \
	if (crypto.f == NULL) {                                                              \
		tf_error ("%s has no %s: certificates cannot be read or hashed",             \
			  CRYPTO_SONAME, #f);                                                \
		return;                                                                      \
	}
	CRYPTO_FUNCTIONS (X)
#undef X
	/* Kept loaded for the life of the process, as a linked library would be. */
	crypto_loaded = true;
}

/* true once libcrypto is there to call; logged once when it cannot be. */
static bool
crypto_ready (void)
{
	pthread_once (&crypto_once, crypto_load);
	return crypto_loaded;
}

bool
tf_x509_available (void)
{
	return crypto_ready ();
}

/* The DER tags the walk meets. */
#define DER_BOOLEAN      0x01
#define DER_INTEGER      0x02
#define DER_BIT_STRING   0x03
#define DER_OCTET_STRING 0x04
#define DER_OID          0x06
#define DER_SEQUENCE     0x30
#define DER_SET          0x31
#define DER_CONSTRUCTED  0x20
#define DER_CLASS_MASK   0xc0
#define DER_TAG_NUMBER   0x1f

/* tbsCertificate's tagged fields. */
#define TBS_VERSION     0xa0 /* [0] EXPLICIT */
#define TBS_ISSUER_UID  0x81 /* [1] IMPLICIT BIT STRING */
#define TBS_SUBJECT_UID 0x82 /* [2] IMPLICIT BIT STRING */
#define TBS_EXTENSIONS  0xa3 /* [3] EXPLICIT */

/*
 * Far deeper than any certificate or Name nests; bounds the recursion in
 * der_check on hostile input.
 */
#define DER_MAX_DEPTH 32

/* id-ce-subjectKeyIdentifier (2.5.29.14) and id-ce-extKeyUsage (2.5.29.37). */
static const unsigned char oid_ski[] = {0x55, 0x1d, 0x0e};
static const unsigned char oid_eku[] = {0x55, 0x1d, 0x25};
/* id-ce-basicConstraints (2.5.29.19). */
static const unsigned char oid_bcons[] = {0x55, 0x1d, 0x13};

#define DER_UTC_TIME         0x17
#define DER_GENERALIZED_TIME 0x18
/* The string tags whose contents OpenSSL checks (and converts to UTF-8 in Names). */
#define DER_UTF8_STRING      0x0c
#define DER_UNIVERSAL_STRING 0x1c
#define DER_BMP_STRING       0x1e

typedef struct {
	const unsigned char *p;
	size_t left;
} der_reader;

typedef struct {
	unsigned char tag;
	tf_slice tlv;   /* the whole element, tag and length included */
	tf_slice value; /* its contents */
} der_elem;

/* Why a walk failed: the element being read and what was wrong with it. */
typedef struct {
	const char *what;
	const char *why;
} der_error;

/* The elements the walk finds that tf_x509_parse then has OpenSSL decode. */
typedef struct {
	der_elem version;     /* the INTEGER inside [0]; tag 0 when absent */
	der_elem tbs_sig_alg; /* tbsCertificate's signature AlgorithmIdentifier */
	der_elem sig_alg;     /* the outer signatureAlgorithm */
	der_elem key_alg;     /* the SubjectPublicKeyInfo's algorithm */
	der_elem not_before, not_after;
	der_elem bcons;       /* basicConstraints extnValue; tag 0 when absent */
} cert_parts;

static void
der_init (der_reader *r, const unsigned char *data, size_t len)
{
	r->p = data;
	r->left = len;
}

static bool
set_error (der_error *err, const char *what, const char *why)
{
	err->what = what;
	err->why = why;
	return false;
}

/*
 * Reads the next element. Only what DER allows: a one-byte tag, a definite
 * length in its shortest form, contents that fit in what is left. Anything
 * else would let two encodings of one certificate compare unequal.
 */
static bool
der_read (der_reader *r, der_elem *e, const char *what, der_error *err)
{
	const unsigned char *p = r->p;
	size_t hdr, len, n, i;

	if (r->left < 2)
		return set_error (err, what, "truncated element header");
	if ((p[0] & DER_TAG_NUMBER) == DER_TAG_NUMBER)
		return set_error (err, what, "multi-byte tag");
	/* Universal tag 0 is BER's end-of-contents marker, never DER data. */
	if (p[0] == 0x00)
		return set_error (err, what, "end-of-contents tag");
	/* SEQUENCE and SET are constructed, always. */
	if (p[0] == (DER_SEQUENCE & ~DER_CONSTRUCTED) || p[0] == (DER_SET & ~DER_CONSTRUCTED))
		return set_error (err, what, "primitive SEQUENCE or SET");

	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else if (p[1] == 0x80) {
		return set_error (err, what, "indefinite length");
	} else {
		n = p[1] & 0x7f;
		/* Four length bytes already allow 4 GiB. */
		if (n > 4)
			return set_error (err, what, "length too large");
		if (r->left - 2 < n)
			return set_error (err, what, "truncated length");
		if (p[2] == 0)
			return set_error (err, what, "length has leading zero bytes");
		len = 0;
		for (i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80)
			return set_error (err, what, "long-form length for a short length");
		hdr = 2 + n;
	}
	if (len > r->left - hdr)
		return set_error (err, what, "length runs past the end of its container");

	e->tag = p[0];
	e->tlv.data = p;
	e->tlv.len = hdr + len;
	e->value.data = p + hdr;
	e->value.len = len;
	r->p += hdr + len;
	r->left -= hdr + len;
	return true;
}

/* Reads the next element and insists on its tag. */
static bool
der_expect (der_reader *r, unsigned char tag, der_elem *e, const char *what, der_error *err)
{
	if (!der_read (r, e, what, err))
		return false;
	if (e->tag != tag)
		return set_error (err, what, "unexpected tag");
	return true;
}

static bool integer_valid (const der_elem *e);
static bool oid_valid (const der_elem *oid);

/* A BIT STRING's contents: the count of unused bits (0 to 7), then the bits. */
static bool
bit_string_valid (const der_elem *e)
{
	return e->value.len >= 1 && e->value.data[0] <= 7;
}

/*
 * Checks that data is a run of DER elements, descending into every
 * constructed one. OpenSSL's decoder accepts BER (indefinite and long-form
 * lengths, constructed strings); the slices of a certificate or Name this
 * module stores must be DER, so that they match what clients send.
 */
static bool
der_check (const unsigned char *data, size_t len, int depth, const char *what, der_error *err)
{
	der_reader r;
	der_elem e;

	der_init (&r, data, len);
	while (r.left > 0) {
		if (!der_read (&r, &e, what, err))
			return false;
		if (!(e.tag & DER_CONSTRUCTED))
			continue;
		/* Only SEQUENCE and SET are constructed among universal types in DER. */
		if ((e.tag & DER_CLASS_MASK) == 0 && e.tag != DER_SEQUENCE && e.tag != DER_SET)
			return set_error (err, what, "constructed string encoding");
		if (depth >= DER_MAX_DEPTH)
			return set_error (err, what, "nested too deeply");
		if (!der_check (e.value.data, e.value.len, depth + 1, what, err))
			return false;
	}
	return true;
}

/*
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *     subjectPublicKey BIT STRING }
 */
static bool
walk_spki (const der_elem *spki, tf_cert_info *info, cert_parts *parts, der_error *err)
{
	der_reader r;
	der_elem key;

	der_init (&r, spki->value.data, spki->value.len);
	if (!der_expect (&r, DER_SEQUENCE, &parts->key_alg, "public key algorithm", err))
		return false;
	if (!der_expect (&r, DER_BIT_STRING, &key, "public key", err))
		return false;
	if (r.left != 0)
		return set_error (err, "public key info", "data after the public key");
	/* The first contents byte counts the unused bits; a key is whole bytes. */
	if (key.value.len < 1 || key.value.data[0] != 0)
		return set_error (err, "public key", "not a whole number of bytes");

	info->public_key.data = key.value.data + 1;
	info->public_key.len = key.value.len - 1;
	return true;
}

static bool
oid_is (const der_elem *oid, const unsigned char *want, size_t want_len)
{
	return oid->value.len == want_len && memcmp (oid->value.data, want, want_len) == 0;
}

/* SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING, inside the extnValue. */
static bool
take_ski (const der_elem *value, tf_cert_info *info, der_error *err)
{
	der_reader r;
	der_elem id;

	der_init (&r, value->value.data, value->value.len);
	if (!der_expect (&r, DER_OCTET_STRING, &id, "subject key identifier", err))
		return false;
	if (r.left != 0)
		return set_error (err, "subject key identifier", "data after the identifier");
	info->ski = id.value;
	return true;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId, inside the extnValue. */
static bool
take_eku (const der_elem *value, tf_cert_info *info, der_error *err)
{
	der_reader r;
	der_elem seq;

	der_init (&r, value->value.data, value->value.len);
	if (!der_expect (&r, DER_SEQUENCE, &seq, "extended key usage", err))
		return false;
	if (r.left != 0)
		return set_error (err, "extended key usage", "data after the sequence");
	if (!der_check (seq.value.data, seq.value.len, 1, "extended key usage", err))
		return false;
	info->eku = seq.tlv;
	return true;
}

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 *
 * A second SKI or EKU is refused (RFC 5280 4.2 forbids repeats): which one a
 * client would use is anyone's guess, and a lookup by SKI must be certain.
 */
static bool
walk_extensions (const der_elem *wrapper, tf_cert_info *info, cert_parts *parts, der_error *err)
{
	der_reader r, list, ext_r;
	der_elem exts, ext, oid, value;
	bool have_ski = false, have_eku = false;

	der_init (&r, wrapper->value.data, wrapper->value.len);
	if (!der_expect (&r, DER_SEQUENCE, &exts, "extensions", err))
		return false;
	if (r.left != 0)
		return set_error (err, "extensions", "data after the extension list");

	der_init (&list, exts.value.data, exts.value.len);
	while (list.left > 0) {
		if (!der_expect (&list, DER_SEQUENCE, &ext, "extension", err))
			return false;
		der_init (&ext_r, ext.value.data, ext.value.len);
		if (!der_expect (&ext_r, DER_OID, &oid, "extension identifier", err))
			return false;
		if (!oid_valid (&oid))
			return set_error (err, "extension identifier", "malformed OBJECT IDENTIFIER");
		if (!der_read (&ext_r, &value, "extension value", err))
			return false;
		if (value.tag == DER_BOOLEAN && value.value.len != 1)
			return set_error (err, "extension", "critical flag is not one byte");
		if (value.tag == DER_BOOLEAN && !der_read (&ext_r, &value, "extension value", err))
			return false;
		if (value.tag != DER_OCTET_STRING)
			return set_error (err, "extension value", "unexpected tag");
		if (ext_r.left != 0)
			return set_error (err, "extension", "data after the extension value");

		if (oid_is (&oid, oid_ski, sizeof (oid_ski))) {
			if (have_ski)
				return set_error (err, "subject key identifier", "repeated");
			have_ski = true;
			if (!take_ski (&value, info, err))
				return false;
		} else if (oid_is (&oid, oid_eku, sizeof (oid_eku))) {
			if (have_eku)
				return set_error (err, "extended key usage", "repeated");
			have_eku = true;
			if (!take_eku (&value, info, err))
				return false;
		} else if (oid_is (&oid, oid_bcons, sizeof (oid_bcons))) {
			if (parts->bcons.tag != 0)
				return set_error (err, "basic constraints", "repeated");
			parts->bcons = value;
		}
	}
	return true;
}

/* Validity ::= SEQUENCE { notBefore Time, notAfter Time }, Time a UTCTime or GeneralizedTime. */
static bool
walk_validity (const der_elem *validity, cert_parts *parts, der_error *err)
{
	der_reader r;

	der_init (&r, validity->value.data, validity->value.len);
	if (!der_read (&r, &parts->not_before, "notBefore", err) ||
	    !der_read (&r, &parts->not_after, "notAfter", err))
		return false;
	if (r.left != 0)
		return set_error (err, "validity", "data after notAfter");
	if (parts->not_before.tag != DER_UTC_TIME && parts->not_before.tag != DER_GENERALIZED_TIME)
		return set_error (err, "notBefore", "not a UTCTime or GeneralizedTime");
	if (parts->not_after.tag != DER_UTC_TIME && parts->not_after.tag != DER_GENERALIZED_TIME)
		return set_error (err, "notAfter", "not a UTCTime or GeneralizedTime");
	return true;
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
 *     issuer, validity, subject, subjectPublicKeyInfo, [1] issuerUniqueID
 *     OPTIONAL, [2] subjectUniqueID OPTIONAL, [3] extensions OPTIONAL }
 */
static bool
walk_certificate (const unsigned char *der, size_t len, tf_cert_info *info, cert_parts *parts,
		  der_error *err)
{
	der_reader r, cert_r, tbs_r;
	der_elem cert, tbs, e;
	unsigned char last_tag = 0;

	der_init (&r, der, len);
	if (!der_expect (&r, DER_SEQUENCE, &cert, "certificate", err))
		return false;
	if (r.left != 0)
		return set_error (err, "certificate", "bytes after the certificate");
	/* Every length, not only the ones walked below. */
	if (!der_check (cert.value.data, cert.value.len, 1, "certificate", err))
		return false;

	der_init (&cert_r, cert.value.data, cert.value.len);
	if (!der_expect (&cert_r, DER_SEQUENCE, &tbs, "tbsCertificate", err))
		return false;
	if (!der_expect (&cert_r, DER_SEQUENCE, &parts->sig_alg, "signature algorithm", err))
		return false;
	if (!der_expect (&cert_r, DER_BIT_STRING, &e, "signature", err))
		return false;
	if (!bit_string_valid (&e))
		return set_error (err, "signature", "malformed BIT STRING");
	if (cert_r.left != 0)
		return set_error (err, "certificate", "data after the signature");

	der_init (&tbs_r, tbs.value.data, tbs.value.len);
	if (!der_read (&tbs_r, &e, "serial number", err))
		return false;
	if (e.tag == TBS_VERSION) {
		der_reader v;

		der_init (&v, e.value.data, e.value.len);
		if (!der_expect (&v, DER_INTEGER, &parts->version, "version", err))
			return false;
		if (v.left != 0)
			return set_error (err, "version", "data after the version");
		if (!der_read (&tbs_r, &e, "serial number", err))
			return false;
	}
	if (e.tag != DER_INTEGER)
		return set_error (err, "serial number", "unexpected tag");
	if (e.value.len == 0)
		return set_error (err, "serial number", "empty INTEGER");
	if (!integer_valid (&e))
		return set_error (err, "serial number", "INTEGER with a padding byte");
	info->serial = e.tlv;

	if (!der_expect (&tbs_r, DER_SEQUENCE, &parts->tbs_sig_alg, "signature algorithm", err))
		return false;
	if (!der_expect (&tbs_r, DER_SEQUENCE, &e, "issuer", err))
		return false;
	info->issuer = e.tlv;
	if (!der_expect (&tbs_r, DER_SEQUENCE, &e, "validity", err))
		return false;
	if (!walk_validity (&e, parts, err))
		return false;
	if (!der_expect (&tbs_r, DER_SEQUENCE, &e, "subject", err))
		return false;
	info->subject = e.tlv;
	if (!der_expect (&tbs_r, DER_SEQUENCE, &e, "public key info", err))
		return false;
	info->spki = e.tlv;
	if (!walk_spki (&e, info, parts, err))
		return false;

	/* What may follow comes in tag order, each at most once. */
	while (tbs_r.left > 0) {
		if (!der_read (&tbs_r, &e, "tbsCertificate", err))
			return false;
		if (e.tag != TBS_ISSUER_UID && e.tag != TBS_SUBJECT_UID && e.tag != TBS_EXTENSIONS)
			return set_error (err, "tbsCertificate", "unexpected field");
		if (e.tag != TBS_EXTENSIONS && !bit_string_valid (&e))
			return set_error (err, "unique identifier", "malformed BIT STRING");
		if ((e.tag & DER_TAG_NUMBER) <= (last_tag & DER_TAG_NUMBER))
			return set_error (err, "tbsCertificate", "fields out of order or repeated");
		last_tag = e.tag;
		if (e.tag == TBS_EXTENSIONS && !walk_extensions (&e, info, parts, err))
			return false;
	}
	return true;
}

/*
 * Describes the newest error OpenSSL queued since "before" (the newest error
 * when we started), for the log line that goes with a refusal.
 */
static void
openssl_reason (unsigned long before, char *buf, size_t size)
{
	const char *reason, *data = NULL;
	unsigned long code;
	int flags = 0;

	code = crypto.ERR_peek_last_error_data (&data, &flags);
	if (code == 0 || code == before) {
		snprintf (buf, size, "no detail from OpenSSL");
		return;
	}
	reason = crypto.ERR_reason_error_string (code);
	if (reason == NULL)
		reason = "unknown reason";
	/* The data names the ASN.1 type or field that failed. */
	if (data != NULL && (flags & ERR_TXT_STRING) && data[0] != '\0')
		snprintf (buf, size, "%s: %s", reason, data);
	else
		snprintf (buf, size, "%s", reason);
}

/* Days from 1970-01-01 to a proleptic Gregorian date (month 1-12); any year. */
static int64_t
days_from_civil (int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Seconds since 1970 for a UTCTime or GeneralizedTime element, as OpenSSL
 * reads it (ASN1_TIME_to_tm checks the format and normalises offsets);
 * false when it cannot. The arithmetic is ours, so dates past 2038 come out
 * right even where time_t is 32 bits.
 */
static bool
unix_time (const der_elem *e, int64_t *out)
{
	const unsigned char *p = e->tlv.data;
	ASN1_TIME *t;
	struct tm tm;
	bool ok;

	t = crypto.d2i_ASN1_TIME (NULL, &p, (long)e->tlv.len);
	ok = t != NULL && p == e->tlv.data + e->tlv.len && crypto.ASN1_TIME_to_tm (t, &tm);
	crypto.ASN1_TIME_free (t);
	if (!ok)
		return false;
	*out = days_from_civil ((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* An INTEGER's contents as OpenSSL reads them: not empty, no padding byte. */
static bool
integer_valid (const der_elem *e)
{
	const unsigned char *p = e->value.data;

	if (e->value.len == 0)
		return false;
	return e->value.len == 1 || !((p[0] == 0x00 && p[1] < 0x80) || (p[0] == 0xff && p[1] >= 0x80));
}

/*
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER,
 * parameters ANY OPTIONAL }, checked as OpenSSL's X509_ALGOR decoder would
 * (without building one, which cost more than the rest of the walk): a
 * well-formed OID, then at most one element, whose contents OpenSSL checks
 * for the universal types below and keeps as they are otherwise.
 */
static bool
algorithm_valid (const der_elem *e)
{
	der_reader r;
	der_elem oid, param;
	der_error err;

	der_init (&r, e->value.data, e->value.len);
	if (!der_expect (&r, DER_OID, &oid, "algorithm", &err) || !oid_valid (&oid))
		return false;
	if (r.left == 0)
		return true;
	if (!der_read (&r, &param, "algorithm parameters", &err) || r.left != 0)
		return false;
	switch (param.tag) {
	case DER_BOOLEAN:
		return param.value.len == 1;
	case 0x05: /* NULL */
		return param.value.len == 0;
	case DER_OID:
		return oid_valid (&param);
	case DER_INTEGER:
	case 0x0a: /* ENUMERATED */
		return integer_valid (&param);
	case DER_BIT_STRING:
		return bit_string_valid (&param);
	case DER_BMP_STRING:
		return param.value.len % 2 == 0;
	case DER_UNIVERSAL_STRING:
		return param.value.len % 4 == 0;
	case DER_UTC_TIME:
		return param.value.len >= 13;
	case DER_GENERALIZED_TIME:
		return param.value.len >= 15;
	default:
		return true;
	}
}

/*
 * BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint
 * INTEGER OPTIONAL }. One that OpenSSL cannot decode reads as absent, so the
 * certificate is never taken for a CA here; whether to accept it at all is
 * for the clients that verify with it (OpenSSL itself refuses such a
 * certificate in a chain). The store keeps what it is given.
 */
static void
take_basic_constraints (const der_elem *value, tf_cert_info *info)
{
	const unsigned char *p = value->value.data;
	BASIC_CONSTRAINTS *bc;

	if (value->tag == 0)
		return;
	bc = crypto.d2i_BASIC_CONSTRAINTS (NULL, &p, (long)value->value.len);
	if (bc == NULL || p != value->value.data + value->value.len) {
		tf_info ("certificate's basic constraints cannot be decoded; they count as absent");
	} else {
		info->has_basic_constraints = true;
		info->is_ca = bc->ca != 0;
	}
	crypto.BASIC_CONSTRAINTS_free (bc);
}

/*
 * The certificate is checked piece by piece rather than with d2i_X509:
 * OpenSSL 3 decodes the public key of every X509 it reads through its
 * provider decoders, some 100 to 250 us a certificate, for a key this module
 * never uses. Each piece it does use (times, names, algorithm identifiers,
 * basic constraints) still goes through OpenSSL's decoder for that type.
 */
bool
tf_x509_parse (const unsigned char *der, size_t len, tf_cert_info *info)
{
	cert_parts parts;
	unsigned long before;
	der_error err = {NULL, NULL};
	char why[256] = "";
	bool ok = false;

	if (info == NULL)
		return false;
	memset (info, 0, sizeof (*info));
	memset (&parts, 0, sizeof (parts));
	if (!crypto_ready ()) {
		tf_warn ("certificate not read: %s is not available", CRYPTO_SONAME);
		return false;
	}
	crypto.ERR_set_mark ();
	before = crypto.ERR_peek_last_error ();

	if (der == NULL || len == 0) {
		snprintf (why, sizeof (why), "empty");
		goto out;
	}
	/* The commonest mistake, worth naming. */
	if (len >= 5 && memcmp (der, "-----", 5) == 0) {
		snprintf (why, sizeof (why), "it is PEM; DER is needed");
		goto out;
	}
	if (len > LONG_MAX) {
		snprintf (why, sizeof (why), "too large");
		goto out;
	}

	/*
	 * Our own walk first: it reads lengths more strictly than OpenSSL and
	 * says precisely what is wrong with them.
	 */
	if (!walk_certificate (der, len, info, &parts, &err)) {
		snprintf (why, sizeof (why), "%s: %s", err.what, err.why);
		goto out;
	}

	info->version = 1;
	if (parts.version.tag != 0) {
		if (parts.version.value.len != 1 || parts.version.value.data[0] > 2) {
			snprintf (why, sizeof (why), "unknown version");
			goto out;
		}
		info->version = parts.version.value.data[0] + 1;
	}
	if (!unix_time (&parts.not_before, &info->not_before) ||
	    !unix_time (&parts.not_after, &info->not_after)) {
		char reason[160];

		openssl_reason (before, reason, sizeof (reason));
		snprintf (why, sizeof (why), "validity dates unreadable (%s)", reason);
		goto out;
	}
	if (!algorithm_valid (&parts.tbs_sig_alg) || !algorithm_valid (&parts.sig_alg) ||
	    !algorithm_valid (&parts.key_alg)) {
		snprintf (why, sizeof (why), "an algorithm identifier is malformed");
		goto out;
	}
	if (!tf_x509_name_valid (info->issuer.data, info->issuer.len)) {
		snprintf (why, sizeof (why), "its issuer name is malformed");
		goto out;
	}
	if (!tf_x509_name_valid (info->subject.data, info->subject.len)) {
		snprintf (why, sizeof (why), "its subject name is malformed");
		goto out;
	}
	take_basic_constraints (&parts.bcons, info);
	info->self_issued = info->issuer.len == info->subject.len &&
	                    memcmp (info->issuer.data, info->subject.data, info->issuer.len) == 0;
	ok = true;

out:
	if (!ok) {
		memset (info, 0, sizeof (*info));
		if (why[0] != '\0')
			tf_warn ("certificate DER is malformed: %s", why);
	}
	crypto.ERR_pop_to_mark ();
	return ok;
}

/*
 * The digests, fetched from OpenSSL once: EVP_sha1() and friends make
 * EVP_Digest look the implementation up by name on every call, which costs
 * as much as hashing a certificate. Fetched on first use (two threads may
 * both fetch; one keeps its copy), released by tf_x509_cleanup.
 */
enum { MD_SHA1, MD_MD5, MD_SHA256, MD_COUNT };

static const char *const md_names[MD_COUNT] = { "SHA1", "MD5", "SHA256" };
static const char *const md_labels[MD_COUNT] = { "SHA-1", "MD5", "SHA-256" };
static const size_t md_sizes[MD_COUNT] = { 20, 16, 32 };
static EVP_MD *_Atomic md_cache[MD_COUNT];

static EVP_MD *
md_get (int which)
{
	EVP_MD *md = atomic_load (&md_cache[which]), *expected = NULL;

	if (md != NULL)
		return md;
	md = crypto.EVP_MD_fetch (NULL, md_names[which], NULL);
	if (md == NULL)
		return NULL;
	if (!atomic_compare_exchange_strong (&md_cache[which], &expected, md)) {
		crypto.EVP_MD_free (md);
		md = expected;
	}
	return md;
}

/*
 * A context per digest, kept for the next call: EVP_Digest makes and frees
 * one (and its provider's state) each time, which took as long as hashing a
 * certificate's SHA-1. One caller at a time uses them; another, meanwhile,
 * makes its own as before rather than wait.
 */
static pthread_mutex_t md_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MD_CTX *md_ctx[MD_COUNT];

void
tf_x509_cleanup (void)
{
	int i;

	if (!crypto_loaded)
		return;
	pthread_mutex_lock (&md_ctx_lock);
	for (i = 0; i < MD_COUNT; i++) {
		crypto.EVP_MD_CTX_free (md_ctx[i]);
		md_ctx[i] = NULL;
	}
	pthread_mutex_unlock (&md_ctx_lock);
	for (i = 0; i < MD_COUNT; i++)
		crypto.EVP_MD_free (atomic_exchange (&md_cache[i], NULL));
}

/* Hashes with the kept context of its kind; false when it is in use or fails. */
static bool
digest_kept (int which, const EVP_MD *md, const void *data, size_t len, unsigned char *out)
{
	bool ok;

	if (pthread_mutex_trylock (&md_ctx_lock) != 0)
		return false;
	if (md_ctx[which] == NULL)
		md_ctx[which] = crypto.EVP_MD_CTX_new ();
	ok = md_ctx[which] != NULL && crypto.EVP_DigestInit_ex2 (md_ctx[which], md, NULL) &&
	     crypto.EVP_DigestUpdate (md_ctx[which], data, len) &&
	     crypto.EVP_DigestFinal_ex (md_ctx[which], out, NULL);
	pthread_mutex_unlock (&md_ctx_lock);
	return ok;
}

/*
 * One digest of data into out. A digest that the host's OpenSSL will not give
 * (MD5 under a FIPS-only configuration) yields zeros and a warning rather
 * than garbage: the callers fill attributes that only aid lookups.
 */
static void
digest (int which, const void *data, size_t len, unsigned char *out)
{
	static const unsigned char nothing;
	EVP_MD *md;

	if (!crypto_ready ()) {
		memset (out, 0, md_sizes[which]);
		return;
	}
	crypto.ERR_set_mark ();
	md = md_get (which);
	if (data == NULL)
		data = &nothing;
	if (md == NULL ||
	    (!digest_kept (which, md, data, len, out) &&
	     !crypto.EVP_Digest (data, len, out, NULL, md, NULL))) {
		memset (out, 0, md_sizes[which]);
		tf_warn ("cannot compute %s: OpenSSL does not provide it here", md_labels[which]);
	}
	crypto.ERR_pop_to_mark ();
}

void
tf_x509_sha1 (const void *data, size_t len, unsigned char *out)
{
	digest (MD_SHA1, data, len, out);
}

void
tf_x509_md5 (const void *data, size_t len, unsigned char *out)
{
	digest (MD_MD5, data, len, out);
}

void
tf_x509_sha256 (const void *data, size_t len, unsigned char *out)
{
	digest (MD_SHA256, data, len, out);
}

/*
 * Raw contents that happen to read as a whole DER INTEGER (02 01 05) are
 * taken as DER: the two forms cannot be told apart, and a serial of that
 * shape is rare enough that p11-kit and NSS make the same choice.
 */
size_t
tf_x509_serial_to_der (const unsigned char *serial, size_t len, unsigned char *out)
{
	der_reader r;
	der_elem e;
	der_error err;
	size_t n, i;

	if (serial == NULL || len == 0 || out == NULL)
		return 0;

	der_init (&r, serial, len);
	if (der_read (&r, &e, "serial", &err) && e.tag == DER_INTEGER && r.left == 0 &&
	    e.value.len > 0) {
		memcpy (out, serial, len);
		return len;
	}

	/* The contents are wrapped as they are: they must match the certificate's bytes. */
	if ((uint64_t)len > UINT32_MAX)
		return 0;
	out[0] = DER_INTEGER;
	if (len < 0x80) {
		out[1] = (unsigned char)len;
		n = 0;
	} else {
		for (n = 1; n < 4 && (len >> (8 * n)) != 0; n++)
			;
		out[1] = (unsigned char)(0x80 | n);
		for (i = 0; i < n; i++)
			out[2 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
	}
	memcpy (out + 2 + n, serial, len);
	return 2 + n + len;
}


/* A code point that UTF-8 may carry: no surrogate, nothing past U+10FFFF. */
static bool
code_point_valid (uint32_t c)
{
	return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

/* Well-formed UTF-8: shortest forms only, valid code points. */
static bool
utf8_valid (const unsigned char *p, size_t len)
{
	static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (n == 0 || c >= 0xf8 || len - i - 1 < n)
			return false;
		c &= 0x3f >> n;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min[n] || !code_point_valid (c))
			return false;
		i += n + 1;
	}
	return true;
}

/* Strings in fixed-width encodings: whole units, each a valid code point. */
static bool
wide_valid (const unsigned char *p, size_t len, size_t width)
{
	uint32_t c;
	size_t i, k;

	if (len % width != 0)
		return false;
	for (i = 0; i < len; i += width) {
		for (c = 0, k = 0; k < width; k++)
			c = (c << 8) | p[i + k];
		if (!code_point_valid (c))
			return false;
	}
	return true;
}

/* An OBJECT IDENTIFIER's contents: base-128 arcs, shortest form, none cut short. */
static bool
oid_valid (const der_elem *oid)
{
	const unsigned char *p = oid->value.data;
	size_t i, len = oid->value.len;

	if (len == 0 || (p[len - 1] & 0x80))
		return false;
	for (i = 0; i < len; i++) {
		/* An arc may not start with a 0x80 byte (a leading zero). */
		if (p[i] == 0x80 && (i == 0 || !(p[i - 1] & 0x80)))
			return false;
	}
	return true;
}

/*
 * AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }.
 * The value's string encodings are checked where OpenSSL's Name decoder
 * would fail to convert them for its canonical form.
 */
static bool
attribute_valid (const der_elem *atv)
{
	der_reader r;
	der_elem type, value;
	der_error err;

	der_init (&r, atv->value.data, atv->value.len);
	if (!der_expect (&r, DER_OID, &type, "attribute type", &err) || !oid_valid (&type) ||
	    !der_read (&r, &value, "attribute value", &err) || r.left != 0)
		return false;
	switch (value.tag) {
	case DER_UTF8_STRING:
		return utf8_valid (value.value.data, value.value.len);
	case DER_BMP_STRING:
		return wide_valid (value.value.data, value.value.len, 2);
	case DER_UNIVERSAL_STRING:
		return wide_valid (value.value.data, value.value.len, 4);
	case DER_BIT_STRING:
		return bit_string_valid (&value);
	default:
		/*
		 * The universal types OpenSSL takes for a Name's value (its
		 * B_ASN1_PRINTABLE): the strings other than Videotex, Visible,
		 * Graphic and General, the types it files as
		 * unknown (7, 8, 9, 11, 13 to 15, 29; not ENUMERATED), and a
		 * SEQUENCE kept as it is. Their contents are bytes to it.
		 */
		return value.tag == DER_SEQUENCE ||
		       (value.tag >= 0x07 && value.tag <= 0x0f && value.tag != 0x0a) ||
		       (value.tag >= 0x12 && value.tag <= 0x14) || value.tag == 0x16 ||
		       value.tag == 0x1d;
	}
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName, RDN ::= SET SIZE (1..MAX)
 * OF AttributeTypeAndValue. Checked by our own walk rather than by
 * d2i_X509_NAME, which builds a canonical copy of every Name it reads and
 * cost a fifth of a bulk import's time.
 */
bool
tf_x509_name_valid (const unsigned char *name, size_t len)
{
	der_reader r, rdns, set;
	der_elem seq, rdn, atv;
	der_error err;

	if (name == NULL || len == 0)
		return false;
	der_init (&r, name, len);
	if (!der_expect (&r, DER_SEQUENCE, &seq, "name", &err) || r.left != 0 ||
	    !der_check (seq.value.data, seq.value.len, 1, "name", &err))
		return false;
	der_init (&rdns, seq.value.data, seq.value.len);
	while (rdns.left > 0) {
		if (!der_expect (&rdns, DER_SET, &rdn, "relative name", &err) || rdn.value.len == 0)
			return false;
		der_init (&set, rdn.value.data, rdn.value.len);
		while (set.left > 0) {
			if (!der_expect (&set, DER_SEQUENCE, &atv, "attribute", &err) ||
			    !attribute_valid (&atv))
				return false;
		}
	}
	return true;
}

/* Appends code point c to out as UTF-8; out has room for four more bytes. */
static size_t
put_utf8 (unsigned char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (unsigned char)(0xc0 | c >> 6);
		out[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xe0 | c >> 12);
		out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | c >> 18);
	out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * A malloc'd, NUL-terminated UTF-8 copy of an attribute value, as a
 * certificate viewer shows it: UTF8String as it is; Numeric, Printable,
 * Teletex and IA5 strings one byte a character (Teletex read as Latin-1, as
 * OpenSSL and NSS read it); BMPString and UniversalString two and four bytes
 * a character. NULL for any other type, an empty value, or one holding a
 * NUL (which would cut the label short without saying so). The value comes
 * from a Name that tf_x509_name_valid accepted.
 */
static char *
value_to_utf8 (const der_elem *value)
{
	const unsigned char *p = value->value.data;
	size_t len = value->value.len, width, i, k, n = 0;
	unsigned char *out;
	uint32_t c;

	switch (value->tag) {
	case DER_UTF8_STRING:
		width = 0;
		break;
	case 0x12: /* NumericString */
	case 0x13: /* PrintableString */
	case 0x14: /* TeletexString */
	case 0x16: /* IA5String */
		width = 1;
		break;
	case DER_BMP_STRING:
		width = 2;
		break;
	case DER_UNIVERSAL_STRING:
		width = 4;
		break;
	default:
		return NULL;
	}
	if (len == 0 || (width <= 1 && memchr (p, 0, len) != NULL))
		return NULL;
	if (width == 0) {
		out = malloc (len + 1);
		if (out == NULL)
			return NULL;
		memcpy (out, p, len);
		out[len] = '\0';
		return (char *)out;
	}
	/* Every character takes at most four bytes of UTF-8, and at least one of input. */
	out = malloc ((len / width) * 4 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i += width) {
		for (c = 0, k = 0; k < width; k++)
			c = (c << 8) | p[i + k];
		if (c == 0) {
			free (out);
			return NULL;
		}
		n += put_utf8 (out + n, c);
	}
	out[n] = '\0';
	return (char *)out;
}

/* The last value of the attribute type oid in name (valid DER), as a label; NULL if none. */
static char *
last_label (const unsigned char *name, size_t len, const unsigned char *oid, size_t oid_len)
{
	der_reader r, rdns, set, atv_r;
	der_elem seq, rdn, atv, type, value;
	der_error err;
	char *label = NULL, *candidate;

	der_init (&r, name, len);
	if (!der_expect (&r, DER_SEQUENCE, &seq, "name", &err))
		return NULL;
	der_init (&rdns, seq.value.data, seq.value.len);
	while (rdns.left > 0 && der_read (&rdns, &rdn, "relative name", &err)) {
		der_init (&set, rdn.value.data, rdn.value.len);
		while (set.left > 0 && der_read (&set, &atv, "attribute", &err)) {
			der_init (&atv_r, atv.value.data, atv.value.len);
			if (!der_read (&atv_r, &type, "attribute type", &err) ||
			    !der_read (&atv_r, &value, "attribute value", &err) ||
			    !oid_is (&type, oid, oid_len))
				continue;
			/* An unusable value leaves the one before it in place. */
			candidate = value_to_utf8 (&value);
			if (candidate != NULL) {
				free (label);
				label = candidate;
			}
		}
	}
	return label;
}

/*
 * The last of an attribute is the most specific (Names run from the country
 * down). An unusable value (empty, of no string type) is passed over for the
 * one before it, then for the next attribute in the order.
 */
char *
tf_x509_name_label (const unsigned char *name, size_t len)
{
	static const struct {
		unsigned char oid[9];
		size_t len;
	} order[] = {
	    {{0x55, 0x04, 0x03}, 3}, /* commonName */
	    {{0x55, 0x04, 0x0b}, 3}, /* organizationalUnitName */
	    {{0x55, 0x04, 0x0a}, 3}, /* organizationName */
	    /* pkcs-9 emailAddress, 1.2.840.113549.1.9.1 */
	    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, 9},
	};
	char *label = NULL;
	size_t i;

	if (!tf_x509_name_valid (name, len))
		return NULL;
	for (i = 0; i < sizeof (order) / sizeof (order[0]) && label == NULL; i++)
		label = last_label (name, len, order[i].oid, order[i].len);
	return label;
}

/* The purposes an ExtKeyUsageSyntax names, as TF_X509_PURPOSE_* bits. */
static unsigned
eku_purposes (EXTENDED_KEY_USAGE *eku)
{
	unsigned bits = 0;
	int i;

	for (i = 0; i < crypto.OPENSSL_sk_num ((const OPENSSL_STACK *)eku); i++) {
		switch (crypto.OBJ_obj2nid (crypto.OPENSSL_sk_value ((const OPENSSL_STACK *)eku, i))) {
		case NID_server_auth:
			bits |= TF_X509_PURPOSE_SERVER;
			break;
		case NID_client_auth:
			bits |= TF_X509_PURPOSE_CLIENT;
			break;
		case NID_code_sign:
			bits |= TF_X509_PURPOSE_CODE;
			break;
		case NID_email_protect:
			bits |= TF_X509_PURPOSE_EMAIL;
			break;
		case NID_anyExtendedKeyUsage:
			bits |= TF_X509_PURPOSE_ALL;
			break;
		default:
			break;
		}
	}
	return bits;
}

bool
tf_x509_eku_extension (const unsigned char *ext, size_t len, unsigned *purposes, bool *critical)
{
	const unsigned char *p = ext;
	X509_EXTENSION *xe = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	bool ok = false;

	*purposes = 0;
	*critical = false;
	if (ext == NULL || len == 0 || len > LONG_MAX || !crypto_ready ())
		return false;
	crypto.ERR_set_mark ();
	xe = crypto.d2i_X509_EXTENSION (NULL, &p, (long)len);
	if (xe == NULL || p != ext + len) {
		tf_warn ("stapled extension: not one DER-encoded X.509 extension");
		goto out;
	}
	if (crypto.OBJ_obj2nid (crypto.X509_EXTENSION_get_object (xe)) != NID_ext_key_usage) {
		tf_warn ("stapled extension: only extended key usage (2.5.29.37) is understood");
		goto out;
	}
	eku = crypto.X509V3_EXT_d2i (xe);
	if (eku == NULL) {
		tf_warn ("stapled extension: its extended key usage value is malformed");
		goto out;
	}
	*purposes = eku_purposes (eku);
	*critical = crypto.X509_EXTENSION_get_critical (xe) > 0;
	ok = true;
out:
	crypto.EXTENDED_KEY_USAGE_free (eku);
	crypto.X509_EXTENSION_free (xe);
	crypto.ERR_pop_to_mark ();
	return ok;
}
