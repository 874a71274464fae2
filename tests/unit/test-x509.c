/*
 * Unit tests for module/x509.c.
 *
 * The fixtures and the values expected of them come from scripts/gen-fixtures,
 * which computes them with the openssl command (asn1parse offsets, pkey,
 * dgst), not with the module's DER reader; facts the fixtures were built to
 * have (a serial of -5, dates in 1999 and 2050) are checked here directly.
 * OpenSSL is included only to look at its error queue and, in
 * test_name_valid_like_openssl, to compare with its Name decoder.
 */
#include "unit.h"

#include "log.h"
#include "x509.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#define FIXTURE(name) TF_FIXTURES "/" name

/* The certificates that have an expected/NAME.txt. */
static const char *const certs[] = {
    "ca", "inter", "server",    "server-inter", "wildcard", "selfsigned", "other-ca",
    "v1", "noski", "negserial", "serial20",     "longname", "expired",    "notyet",
};

/* A fixture certificate, read and parsed; free with cert_free. */
typedef struct {
	unsigned char *der;
	size_t len;
	tf_cert_info info;
} cert;

static cert *
cert_load (const char *name)
{
	char path[256];
	cert *c;

	c = calloc (1, sizeof (*c));
	assert_non_null (c);
	snprintf (path, sizeof (path), "%s/%s.der", TF_FIXTURES, name);
	c->der = unit_read_file (path, &c->len);
	if (!tf_x509_parse (c->der, c->len, &c->info))
		fail_msg ("tf_x509_parse refused %s: %s", name, tf_log_last ());
	return c;
}

static void
cert_free (cert *c)
{
	if (c == NULL)
		return;
	free (c->der);
	free (c);
}

static char *
hex (const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s;
	size_t i;

	s = malloc (len * 2 + 1);
	assert_non_null (s);
	for (i = 0; i < len; i++) {
		s[2 * i] = digits[data[i] >> 4];
		s[2 * i + 1] = digits[data[i] & 0xf];
	}
	s[2 * len] = '\0';
	return s;
}

/* The value of key in expected/NAME.txt, malloc'd; fails the test when missing. */
static char *
expected (const char *name, const char *key)
{
	char path[256], *value = NULL, *line, *end, *text;
	unsigned char *buf;
	size_t len, klen = strlen (key);

	snprintf (path, sizeof (path), "%s/expected/%s.txt", TF_FIXTURES, name);
	buf = unit_read_file (path, &len);
	text = malloc (len + 1);
	assert_non_null (text);
	memcpy (text, buf, len);
	text[len] = '\0';
	free (buf);

	for (line = text; line != NULL && *line != '\0'; line = end) {
		end = strchr (line, '\n');
		if (end != NULL)
			*end++ = '\0';
		if (strncmp (line, key, klen) == 0 && line[klen] == '=') {
			value = strdup (line + klen + 1);
			break;
		}
	}
	free (text);
	if (value == NULL)
		fail_msg ("%s has no %s", path, key);
	return value;
}

static long long
expected_num (const char *name, const char *key)
{
	char *s = expected (name, key);
	long long n = strtoll (s, NULL, 10);

	free (s);
	return n;
}

/* A slice's bytes against hex, failing at the caller's line. */
#define assert_slice_hex(slice, want) check_slice_hex ((slice), (want), __FILE__, __LINE__)

static void
check_slice_hex (tf_slice slice, const char *want, const char *file, int line)
{
	char *got = hex (slice.data, slice.len);

	_assert_string_equal (got, want, file, line);
	free (got);
}

#define assert_slice_bytes(slice, bytes)                                                           \
	check_slice_bytes ((slice), (bytes), sizeof (bytes), __FILE__, __LINE__)

static void
check_slice_bytes (tf_slice slice, const unsigned char *want, size_t len, const char *file,
                   int line)
{
	_assert_int_equal (slice.len, len, file, line);
	_assert_true (memcmp (slice.data, want, len) == 0, "slice bytes", file, line);
}

/* A slice lies inside the buffer it was cut from (or is empty). */
#define assert_slice_within(slice, c) check_slice_within ((slice), (c), __FILE__, __LINE__)

static void
check_slice_within (tf_slice slice, const cert *c, const char *file, int line)
{
	if (slice.len == 0)
		return;
	_assert_true (slice.data >= c->der && slice.data + slice.len <= c->der + c->len,
	              "slice inside the certificate", file, line);
}

static bool
info_is_zero (const tf_cert_info *info)
{
	/* Field by field: padding need not be zero. */
	return info->version == 0 && info->issuer.data == NULL && info->issuer.len == 0 &&
	       info->subject.data == NULL && info->subject.len == 0 && info->serial.data == NULL &&
	       info->serial.len == 0 && info->spki.data == NULL && info->spki.len == 0 &&
	       info->public_key.data == NULL && info->public_key.len == 0 &&
	       info->ski.data == NULL && info->ski.len == 0 && info->eku.data == NULL &&
	       info->eku.len == 0 && info->not_before == 0 && info->not_after == 0 &&
	       !info->has_basic_constraints && !info->is_ca && !info->self_issued;
}

/* Every field of every fixture against what openssl said about it. */
static void
test_parse_matches_openssl (void **state)
{
	size_t i;

	(void)state;

	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		const char *name = certs[i];
		cert *c = cert_load (name);
		char *issuer = expected (name, "issuer");
		char *subject = expected (name, "subject");
		char *s;

		print_message ("  %s\n", name);
		assert_int_equal (c->info.version, expected_num (name, "version"));
		s = expected (name, "serial");
		assert_slice_hex (c->info.serial, s);
		free (s);
		assert_slice_hex (c->info.issuer, issuer);
		assert_slice_hex (c->info.subject, subject);
		s = expected (name, "spki");
		assert_slice_hex (c->info.spki, s);
		free (s);
		s = expected (name, "public_key");
		assert_slice_hex (c->info.public_key, s);
		free (s);
		s = expected (name, "ski");
		assert_slice_hex (c->info.ski, s);
		free (s);
		s = expected (name, "eku");
		assert_slice_hex (c->info.eku, s);
		free (s);
		assert_int_equal (c->info.not_before, expected_num (name, "not_before"));
		assert_int_equal (c->info.not_after, expected_num (name, "not_after"));
		assert_int_equal (c->info.has_basic_constraints,
		                  expected_num (name, "basic_constraints"));
		assert_int_equal (c->info.is_ca, expected_num (name, "is_ca"));
		assert_int_equal (c->info.self_issued, strcmp (issuer, subject) == 0);

		assert_slice_within (c->info.serial, c);
		assert_slice_within (c->info.issuer, c);
		assert_slice_within (c->info.subject, c);
		assert_slice_within (c->info.spki, c);
		assert_slice_within (c->info.public_key, c);
		assert_slice_within (c->info.ski, c);
		assert_slice_within (c->info.eku, c);

		free (issuer);
		free (subject);
		cert_free (c);
	}
}

/* What each fixture was built to be, independent of the expected files. */
static void
test_parse_facts (void **state)
{
	static const unsigned char neg5[] = {0x02, 0x01, 0xfb};
	static const unsigned char serial20[] = {0x02, 0x14, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05,
	                                         0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	                                         0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13};
	/* SEQUENCE { id-kp-serverAuth 1.3.6.1.5.5.7.3.1 } */
	static const unsigned char server_auth[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
	                                            0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
	cert *ca = cert_load ("ca");
	cert *inter = cert_load ("inter");
	cert *server = cert_load ("server");
	cert *under = cert_load ("server-inter");
	cert *self = cert_load ("selfsigned");
	cert *other = cert_load ("other-ca");
	cert *c;
	time_t now = time (NULL);

	(void)state;

	assert_int_equal (ca->info.version, 3);
	assert_true (ca->info.has_basic_constraints);
	assert_true (ca->info.is_ca);
	assert_true (ca->info.self_issued);
	assert_int_equal (ca->info.ski.len, 20);
	assert_int_equal (ca->info.eku.len, 0);
	assert_null (ca->info.eku.data);
	assert_true (ca->info.not_before <= now && now < ca->info.not_after);
	/* Twenty years, give or take the leap days. */
	assert_true (ca->info.not_after - ca->info.not_before >= 7300LL * 86400);

	assert_true (inter->info.is_ca);
	assert_false (inter->info.self_issued);
	assert_int_equal (inter->info.issuer.len, ca->info.subject.len);
	assert_memory_equal (inter->info.issuer.data, ca->info.subject.data, ca->info.subject.len);

	assert_true (server->info.has_basic_constraints);
	assert_false (server->info.is_ca);
	assert_false (server->info.self_issued);
	assert_memory_equal (server->info.issuer.data, ca->info.subject.data, ca->info.subject.len);
	assert_slice_bytes (server->info.eku, server_auth);
	/* spki is the whole SubjectPublicKeyInfo; the key is its tail. */
	assert_true (server->info.public_key.data + server->info.public_key.len ==
	             server->info.spki.data + server->info.spki.len);

	assert_memory_equal (under->info.issuer.data, inter->info.subject.data,
	                     inter->info.subject.len);

	assert_true (self->info.self_issued);
	assert_false (self->info.is_ca);
	assert_true (other->info.self_issued);
	assert_true (other->info.is_ca);
	assert_false (other->info.spki.len == ca->info.spki.len &&
	              memcmp (other->info.spki.data, ca->info.spki.data, ca->info.spki.len) == 0);

	c = cert_load ("v1");
	assert_int_equal (c->info.version, 1);
	assert_false (c->info.has_basic_constraints);
	assert_false (c->info.is_ca);
	assert_int_equal (c->info.ski.len, 0);
	assert_int_equal (c->info.eku.len, 0);
	cert_free (c);

	c = cert_load ("noski");
	assert_int_equal (c->info.version, 3);
	assert_int_equal (c->info.ski.len, 0);
	assert_null (c->info.ski.data);
	assert_int_not_equal (c->info.eku.len, 0);
	cert_free (c);

	c = cert_load ("negserial");
	assert_slice_bytes (c->info.serial, neg5);
	cert_free (c);

	c = cert_load ("serial20");
	assert_slice_bytes (c->info.serial, serial20);
	cert_free (c);

	/* Over 255 bytes: the Name's length takes two bytes (30 82 hi lo). */
	c = cert_load ("longname");
	assert_true (c->info.subject.len > 256);
	assert_int_equal (c->info.subject.data[1], 0x82);
	assert_int_equal (c->info.subject.len,
	                  4 + ((size_t)c->info.subject.data[2] << 8 | c->info.subject.data[3]));
	cert_free (c);

	/* 1999-01-01 and 2000-01-01, both UTCTime. */
	c = cert_load ("expired");
	assert_int_equal (c->info.not_before, 915148800);
	assert_int_equal (c->info.not_after, 946684800);
	assert_true (c->info.not_after < now);
	cert_free (c);

	/* 2050-01-01 and 2060-01-01, both GeneralizedTime, past a 32-bit time_t. */
	c = cert_load ("notyet");
	assert_int_equal (c->info.not_before, 2524608000LL);
	assert_int_equal (c->info.not_after, 2840140800LL);
	assert_true (c->info.not_before > now);
	cert_free (c);

	cert_free (ca);
	cert_free (inter);
	cert_free (server);
	cert_free (under);
	cert_free (self);
	cert_free (other);
}

/* Refuses buf, leaves info zeroed and says why. */
#define assert_parse_refused(buf, len) check_parse_refused ((buf), (len), __FILE__, __LINE__)

static void
check_parse_refused (const unsigned char *buf, size_t len, const char *file, int line)
{
	tf_cert_info info;

	memset (&info, 0xa5, sizeof (info));
	_assert_true (!tf_x509_parse (buf, len, &info), "refused", file, line);
	_assert_true (info_is_zero (&info), "info zeroed", file, line);
	_assert_true (strstr (tf_log_last (), "certificate DER is malformed") != NULL, "logged why",
	              file, line);
}

static void
test_parse_refuses (void **state)
{
	unsigned char *buf, *copy;
	size_t len, good_len;

	(void)state;

	buf = unit_read_file (FIXTURE ("malformed.der"), &len);
	assert_parse_refused (buf, len);
	free (buf);

	buf = unit_read_file (FIXTURE ("trailing.der"), &len);
	assert_parse_refused (buf, len);
	assert_true (strstr (tf_log_last (), "bytes after the certificate") != NULL);
	/* The same bytes without the extra one are a good certificate. */
	good_len = len - 1;
	copy = malloc (good_len);
	assert_non_null (copy);
	memcpy (copy, buf, good_len);
	{
		tf_cert_info info;

		assert_true (tf_x509_parse (copy, good_len, &info));
		/* Cut one byte short of the end. */
		assert_parse_refused (copy, good_len - 1);
	}
	free (copy);
	free (buf);

	/* PEM is not DER. */
	buf = unit_read_file (FIXTURE ("ca.pem"), &len);
	assert_parse_refused (buf, len);
	free (buf);

	buf = unit_read_file (FIXTURE ("ca.der"), &len);
	assert_parse_refused (buf, 0);
	assert_parse_refused (NULL, 0);
	assert_parse_refused (NULL, len);
	/* A Name is DER, but not a certificate. */
	{
		tf_cert_info info;
		size_t validity, version;

		assert_true (tf_x509_parse (buf, len, &info));
		assert_parse_refused (info.subject.data, info.subject.len);
		assert_true (tf_x509_parse (buf, len, &info));

		/* Well-formed DER that is no certificate: notBefore made an OCTET STRING. */
		validity = (size_t)(info.issuer.data + info.issuer.len - buf);
		assert_int_equal (buf[validity], 0x30);
		assert_int_equal (buf[validity + 2], 0x17);
		copy = malloc (len);
		assert_non_null (copy);
		memcpy (copy, buf, len);
		copy[validity + 2] = 0x04;
		assert_parse_refused (copy, len);
		assert_true (strstr (tf_log_last (), "notBefore: not a UTCTime") != NULL);

		/* A UTCTime whose month is 13: only OpenSSL's time decoder can tell. */
		memcpy (copy, buf, len);
		assert_int_equal (copy[validity + 3], 13);
		copy[validity + 6] = '1';
		copy[validity + 7] = '3';
		assert_parse_refused (copy, len);
		assert_true (strstr (tf_log_last (), "validity dates unreadable") != NULL);

		/* The subject's first attribute type made a NULL: OpenSSL refuses the Name. */
		memcpy (copy, buf, len);
		{
			size_t at = (size_t)(info.subject.data - buf);

			/* 30 len 31 len 30 len 06 ... */
			assert_int_equal (copy[at + 6], 0x06);
			copy[at + 6] = 0x05;
		}
		assert_parse_refused (copy, len);
		assert_true (strstr (tf_log_last (), "its subject name") != NULL);

		/* Version 4 ([0] { INTEGER 3 }) does not exist. */
		memcpy (copy, buf, len);
		version = 8;
		assert_int_equal (copy[version], 0xa0);
		assert_int_equal (copy[version + 4], 0x02);
		copy[version + 4] = 0x03;
		assert_parse_refused (copy, len);
		free (copy);
	}
	free (buf);

	assert_false (tf_x509_parse (NULL, 0, NULL));
}

/*
 * OpenSSL reads BER, so it takes these re-encodings of a good certificate;
 * the module must not, or its slices would not match what clients send.
 */
static void
test_parse_refuses_ber (void **state)
{
	unsigned char *der, *ber;
	size_t len, body, hdr;

	(void)state;

	der = unit_read_file (FIXTURE ("ca.der"), &len);
	/* 30 82 hi lo: the outer SEQUENCE in two length bytes. */
	assert_int_equal (der[0], 0x30);
	assert_int_equal (der[1], 0x82);
	hdr = 4;
	body = len - hdr;
	ber = malloc (len + 4);
	assert_non_null (ber);

	/* Indefinite length, closed by end-of-contents. */
	ber[0] = 0x30;
	ber[1] = 0x80;
	memcpy (ber + 2, der + hdr, body);
	ber[2 + body] = 0x00;
	ber[3 + body] = 0x00;
	assert_parse_refused (ber, body + 4);

	/* The same length in three bytes, one a leading zero. */
	ber[0] = 0x30;
	ber[1] = 0x83;
	ber[2] = 0x00;
	ber[3] = der[2];
	ber[4] = der[3];
	memcpy (ber + 5, der + hdr, body);
	assert_parse_refused (ber, body + 5);

	free (ber);
	free (der);
}

/* tf_x509_* leaves errors that were queued before it, and adds none. */
static void
test_error_queue (void **state)
{
	unsigned char *bad, *good, out[32];
	size_t bad_len, good_len;
	tf_cert_info info;
	char *label;
	unsigned long mine;

	(void)state;

	bad = unit_read_file (FIXTURE ("malformed.der"), &bad_len);
	good = unit_read_file (FIXTURE ("ca.der"), &good_len);

	/* Nothing queued before: nothing after. */
	ERR_clear_error ();
	assert_false (tf_x509_parse (bad, bad_len, &info));
	assert_int_equal (ERR_peek_error (), 0);
	assert_false (tf_x509_name_valid (bad, bad_len));
	assert_null (tf_x509_name_label (bad, bad_len));
	assert_int_equal (ERR_peek_error (), 0);

	/* The host's error stays, and stays alone. */
	ERR_raise (ERR_LIB_USER, 42);
	mine = ERR_peek_last_error ();
	assert_int_not_equal (mine, 0);
	assert_false (tf_x509_parse (bad, bad_len, &info));
	assert_true (tf_x509_parse (good, good_len, &info));
	label = tf_x509_name_label (info.subject.data, info.subject.len);
	assert_non_null (label);
	free (label);
	assert_false (tf_x509_name_valid (bad, bad_len));
	tf_x509_sha256 ("abc", 3, out);
	assert_int_equal (ERR_get_error (), mine);
	assert_int_equal (ERR_get_error (), 0);

	free (bad);
	free (good);
}

#define assert_digest(fn, data, len, want) check_digest (fn, data, len, want, __FILE__, __LINE__)

static void
check_digest (void (*fn) (const void *, size_t, unsigned char *), const void *data, size_t len,
              const char *want, const char *file, int line)
{
	unsigned char out[64];
	char *got;

	memset (out, 0, sizeof (out));
	fn (data, len, out);
	got = hex (out, strlen (want) / 2);
	_assert_string_equal (got, want, file, line);
	free (got);
}

static void
test_digests (void **state)
{
	static const char digits80[] = "1234567890123456789012345678901234567890"
	                               "1234567890123456789012345678901234567890";
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	size_t i;

	(void)state;

	/* FIPS 180 and RFC 1321 test vectors. */
	assert_digest (tf_x509_sha1, "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_digest (tf_x509_md5, "abc", 3, "900150983cd24fb0d6963f7d28e17f72");
	assert_digest (tf_x509_sha256, "abc", 3,
	               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_digest (tf_x509_sha1, "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_digest (tf_x509_md5, "", 0, "d41d8cd98f00b204e9800998ecf8427e");
	assert_digest (tf_x509_sha256, "", 0,
	               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_digest (tf_x509_sha1, NULL, 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	/* Messages whose padding spills into a second block. */
	assert_digest (tf_x509_sha1, two_blocks, 56, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	assert_digest (tf_x509_sha256, two_blocks, 56,
	               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_digest (tf_x509_md5, digits80, 80, "57edf4a22be3c955ac49da2e2107b67a");
	assert_digest (tf_x509_md5, "message digest", 14, "f96b697d7cb7938d525a2f31aaf161d0");

	/* The fingerprints openssl dgst took of each fixture. */
	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		cert *c = cert_load (certs[i]);
		char *sha1 = expected (certs[i], "sha1");
		char *md5 = expected (certs[i], "md5");
		char *sha256 = expected (certs[i], "sha256");

		assert_digest (tf_x509_sha1, c->der, c->len, sha1);
		assert_digest (tf_x509_md5, c->der, c->len, md5);
		assert_digest (tf_x509_sha256, c->der, c->len, sha256);
		free (sha1);
		free (md5);
		free (sha256);
		cert_free (c);
	}
}

#define assert_serial(in, in_len, want) check_serial ((in), (in_len), (want), __FILE__, __LINE__)

/* Normalizes in and compares with the hex of want. */
static void
check_serial (const unsigned char *in, size_t len, const char *want, const char *file, int line)
{
	unsigned char *out;
	size_t n;
	char *got;

	out = malloc (len + 6);
	assert_non_null (out);
	n = tf_x509_serial_to_der (in, len, out);
	got = hex (out, n);
	_assert_string_equal (got, want, file, line);
	free (got);
	free (out);
}

static void
test_serial_to_der (void **state)
{
	static const unsigned char der5[] = {0x02, 0x01, 0x05};
	static const unsigned char raw5[] = {0x05};
	static const unsigned char rawneg[] = {0xfb};
	static const unsigned char rawhigh[] = {0x00, 0x80};
	static const unsigned char empty_int[] = {0x02, 0x00};
	static const unsigned char overrun[] = {0x02, 0x05, 0x01};
	static const unsigned char trailing[] = {0x02, 0x01, 0x05, 0x06};
	static const unsigned char octets[] = {0x04, 0x01, 0x05};
	unsigned char *big, out[16], *expect_buf;
	size_t i, n;
	char *want;

	(void)state;

	assert_serial (der5, sizeof (der5), "020105");
	assert_serial (raw5, sizeof (raw5), "020105");
	assert_serial (rawneg, sizeof (rawneg), "0201fb");
	/* Raw bytes go in as they are, leading zero and all. */
	assert_serial (rawhigh, sizeof (rawhigh), "02020080");
	/* Not a whole, valid INTEGER: taken as raw contents. */
	assert_serial (empty_int, sizeof (empty_int), "02020200");
	assert_serial (overrun, sizeof (overrun), "0203020501");
	assert_serial (trailing, sizeof (trailing), "020402010506");
	assert_serial (octets, sizeof (octets), "0203040105");

	assert_int_equal (tf_x509_serial_to_der (raw5, 0, out), 0);
	assert_int_equal (tf_x509_serial_to_der (NULL, 0, out), 0);
	assert_int_equal (tf_x509_serial_to_der (NULL, 3, out), 0);

	/* Long forms: 128 bytes (81 80), 300 (82 01 2c), 65536 (83 01 00 00). */
	big = malloc (65536 + 6);
	assert_non_null (big);
	for (i = 0; i < 65536; i++)
		big[i] = (unsigned char)(i + 1);
	expect_buf = malloc (65536 + 6);
	assert_non_null (expect_buf);

	n = tf_x509_serial_to_der (big, 128, expect_buf);
	assert_int_equal (n, 131);
	assert_int_equal (expect_buf[0], 0x02);
	assert_int_equal (expect_buf[1], 0x81);
	assert_int_equal (expect_buf[2], 0x80);
	assert_memory_equal (expect_buf + 3, big, 128);
	/* ... and that encoding, given back, is DER and kept as is. */
	{
		unsigned char again[131 + 6];

		assert_int_equal (tf_x509_serial_to_der (expect_buf, n, again), 131);
		assert_memory_equal (again, expect_buf, 131);
	}

	n = tf_x509_serial_to_der (big, 300, expect_buf);
	assert_int_equal (n, 304);
	assert_int_equal (expect_buf[1], 0x82);
	assert_int_equal (expect_buf[2], 0x01);
	assert_int_equal (expect_buf[3], 0x2c);
	assert_memory_equal (expect_buf + 4, big, 300);

	n = tf_x509_serial_to_der (big, 65536, expect_buf);
	assert_int_equal (n, 65536 + 5);
	assert_int_equal (expect_buf[1], 0x83);
	assert_int_equal (expect_buf[2], 0x01);
	assert_int_equal (expect_buf[3], 0x00);
	assert_int_equal (expect_buf[4], 0x00);
	assert_memory_equal (expect_buf + 5, big, 65536);
	free (expect_buf);
	free (big);

	/* Every fixture's serial, as DER and as raw contents, comes back the same. */
	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		cert *c = cert_load (certs[i]);
		tf_slice s = c->info.serial;

		want = hex (s.data, s.len);
		assert_serial (s.data, s.len, want);
		assert_serial (s.data + 2, s.len - 2, want);
		free (want);
		cert_free (c);
	}
}

/* Builds DER TLVs for hand-made Names; lengths up to 65535. */
static size_t
put_tlv (unsigned char *out, unsigned char tag, const void *data, size_t len)
{
	size_t h;

	assert_true (len < 65536);
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (unsigned char)len;
		h = 2;
	} else if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (unsigned char)len;
		h = 3;
	} else {
		out[1] = 0x82;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		h = 4;
	}
	memmove (out + h, data, len);
	return h + len;
}

typedef struct {
	const char *oid; /* contents bytes */
	size_t oid_len;
	unsigned char tag;
	const char *value;
	size_t value_len;
} ava;

#define OID_C     "\x55\x04\x06", 3
#define OID_O     "\x55\x04\x0a", 3
#define OID_OU    "\x55\x04\x0b", 3
#define OID_CN    "\x55\x04\x03", 3
#define OID_EMAIL "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9
#define OID_UID   "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", 10

#define UTF8      0x0c
#define PRINTABLE 0x13
#define IA5       0x16
#define BMP       0x1e

/* A Name of one AttributeTypeAndValue per RDN, into out (4096 bytes). */
static size_t
build_name (const ava *avas, size_t n, unsigned char *out)
{
	unsigned char rdns[4096], atv[1024], set[1024];
	size_t i, len = 0, a, s;

	for (i = 0; i < n; i++) {
		a = put_tlv (atv, 0x06, avas[i].oid, avas[i].oid_len);
		a += put_tlv (atv + a, avas[i].tag, avas[i].value, avas[i].value_len);
		s = put_tlv (set, 0x30, atv, a);
		len += put_tlv (rdns + len, 0x31, set, s);
		assert_true (len < sizeof (rdns) - 1024);
	}
	return put_tlv (out, 0x30, rdns, len);
}

#define assert_label(avas, want)                                                                   \
	check_label ((avas), sizeof (avas) / sizeof (avas[0]), (want), __FILE__, __LINE__)

static void
check_label (const ava *avas, size_t n, const char *want, const char *file, int line)
{
	unsigned char name[4096];
	size_t len = build_name (avas, n, name);
	char *label;

	_assert_true (tf_x509_name_valid (name, len), "hand-made name valid", file, line);
	label = tf_x509_name_label (name, len);
	if (want == NULL) {
		_assert_true (label == NULL, "no label", file, line);
	} else {
		_assert_true (label != NULL, "a label", file, line);
		_assert_string_equal (label, want, file, line);
	}
	free (label);
}

#define LONG_CN                                                                                    \
	"a common name long enough that its TLV, its AVA, its RDN and the Name "                   \
	"all need long-form lengths: 0123456789012345678901234567890123456789"

static void
test_name_label (void **state)
{
	static const ava cn_last[] = {
	    {OID_C, PRINTABLE, "XX", 2}, {OID_CN, UTF8, "first", 5}, {OID_O, UTF8, "org", 3},
	    {OID_CN, UTF8, "second", 6}, {OID_OU, UTF8, "unit", 4},
	};
	/* OU outranks O wherever it stands. */
	static const ava ou_over_o[] = {
	    {OID_OU, UTF8, "unit", 4},
	    {OID_O, UTF8, "org", 3},
	};
	static const ava o_only[] = {
	    {OID_C, PRINTABLE, "XX", 2},
	    {OID_O, PRINTABLE, "Some Org", 8},
	};
	static const ava email_only[] = {
	    {OID_UID, UTF8, "jdoe", 4},
	    {OID_EMAIL, IA5, "a@example.test", 14},
	};
	static const ava country_only[] = {
	    {OID_C, PRINTABLE, "XX", 2},
	};
	/* U+0048 U+00E9 U+20AC as UCS-2: "Hé€". */
	static const ava bmp[] = {
	    {OID_CN, BMP, "\x00\x48\x00\xe9\x20\xac", 6},
	};
	/* An empty CN is no label; the organization is. */
	static const ava empty_cn[] = {
	    {OID_O, UTF8, "org", 3},
	    {OID_CN, UTF8, "", 0},
	};
	/* A CN with a NUL inside would lose its tail: the one before it serves. */
	static const ava nul_cn[] = {
	    {OID_CN, UTF8, "good", 4},
	    {OID_CN, UTF8, "bad\0tail", 8},
	};
	/* A CN that is no string at all (an empty SEQUENCE) cannot be shown. */
	static const ava odd_cn[] = {
	    {OID_OU, UTF8, "unit", 4},
	    {OID_CN, 0x30, "", 0},
	};
	/* OpenSSL refuses a whole Name with a UTF8String that is not UTF-8. */
	static const ava bad_utf8[] = {
	    {OID_OU, UTF8, "unit", 4},
	    {OID_CN, UTF8, "\xff\xfe", 2},
	};
	static const ava long_cn[] = {
	    {OID_CN, UTF8, LONG_CN, sizeof (LONG_CN) - 1},
	};
	static const unsigned char empty_name[] = {0x30, 0x00};
	unsigned char name[4096];
	size_t i, len;
	char *label;

	(void)state;

	assert_label (cn_last, "second");
	assert_label (ou_over_o, "unit");
	assert_label (o_only, "Some Org");
	assert_label (email_only, "a@example.test");
	assert_label (country_only, NULL);
	assert_label (bmp, "H\xc3\xa9\xe2\x82\xac");
	assert_label (empty_cn, "org");
	assert_label (nul_cn, "good");
	assert_label (odd_cn, "unit");
	len = build_name (bad_utf8, 2, name);
	assert_false (tf_x509_name_valid (name, len));
	assert_null (tf_x509_name_label (name, len));
	assert_label (long_cn, long_cn[0].value);
	len = build_name (long_cn, 1, name);
	assert_int_equal (name[1], 0x81);

	assert_null (tf_x509_name_label (empty_name, sizeof (empty_name)));
	assert_null (tf_x509_name_label (NULL, 0));
	assert_null (tf_x509_name_label (empty_name, 0));
	/* A trailing byte makes it no Name. */
	len = build_name (o_only, 2, name);
	name[len] = 0;
	assert_null (tf_x509_name_label (name, len + 1));

	/* The fixtures' subjects give what openssl's own reading of them says. */
	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		cert *c = cert_load (certs[i]);
		char *want = expected (certs[i], "label");

		label = tf_x509_name_label (c->info.subject.data, c->info.subject.len);
		assert_non_null (label);
		assert_string_equal (label, want);
		free (label);
		free (want);
		cert_free (c);
	}

	{
		cert *c = cert_load ("ca");

		label = tf_x509_name_label (c->info.subject.data, c->info.subject.len);
		assert_string_equal (label, "trustfolder Test Root CA");
		free (label);
		cert_free (c);
	}
}

static void
test_name_valid (void **state)
{
	static const ava simple[] = {
	    {OID_C, PRINTABLE, "XX", 2},
	    {OID_CN, UTF8, "name", 4},
	};
	static const unsigned char empty_name[] = {0x30, 0x00};
	static const unsigned char integer[] = {0x02, 0x01, 0x01};
	/* A SEQUENCE of something other than SETs. */
	static const unsigned char not_rdns[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	static const unsigned char truncated[] = {0x30, 0x05, 0x31, 0x03};
	/* An RDN holding a constructed (BER) UTF8String "ab". */
	static const unsigned char constructed[] = {0x30, 0x11, 0x31, 0x0f, 0x30, 0x0d, 0x06,
	                                            0x03, 0x55, 0x04, 0x03, 0x2c, 0x06, 0x0c,
	                                            0x01, 0x61, 0x0c, 0x01, 0x62};
	unsigned char name[4096], ber[4096];
	size_t i, len;

	(void)state;

	len = build_name (simple, 2, name);
	assert_true (tf_x509_name_valid (name, len));
	assert_true (tf_x509_name_valid (empty_name, sizeof (empty_name)));

	assert_false (tf_x509_name_valid (NULL, 0));
	assert_false (tf_x509_name_valid (name, 0));
	assert_false (tf_x509_name_valid (name, len - 1));
	name[len] = 0x00;
	assert_false (tf_x509_name_valid (name, len + 1));
	assert_false (tf_x509_name_valid (integer, sizeof (integer)));
	assert_false (tf_x509_name_valid (not_rdns, sizeof (not_rdns)));
	assert_false (tf_x509_name_valid (truncated, sizeof (truncated)));
	assert_false (tf_x509_name_valid (constructed, sizeof (constructed)));

	/* The same Name with its outer length in long form, then indefinite. */
	assert_true (len - 2 < 0x80);
	ber[0] = 0x30;
	ber[1] = 0x81;
	ber[2] = (unsigned char)(len - 2);
	memcpy (ber + 3, name + 2, len - 2);
	assert_false (tf_x509_name_valid (ber, len + 1));
	ber[1] = 0x80;
	memcpy (ber + 2, name + 2, len - 2);
	ber[len] = 0x00;
	ber[len + 1] = 0x00;
	assert_false (tf_x509_name_valid (ber, len + 2));

	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		cert *c = cert_load (certs[i]);

		assert_true (tf_x509_name_valid (c->info.subject.data, c->info.subject.len));
		assert_true (tf_x509_name_valid (c->info.issuer.data, c->info.issuer.len));
		/* A certificate is a SEQUENCE too, but not of RDNs. */
		assert_false (tf_x509_name_valid (c->der, c->len));
		cert_free (c);
	}
}

/* OpenSSL's own verdict on a Name: d2i_X509_NAME reads it whole. */
static bool
openssl_takes_name (const unsigned char *name, size_t len)
{
	const unsigned char *p = name;
	X509_NAME *xn;
	bool ok;

	xn = d2i_X509_NAME (NULL, &p, (long)len);
	ok = xn != NULL && p == name + len;
	X509_NAME_free (xn);
	ERR_clear_error ();
	return ok;
}

/*
 * The module checks Names with its own walk; it must never accept one that
 * OpenSSL's decoder refuses (it may refuse more: BER that OpenSSL reads).
 * Every byte of every fixture's Names is set to values that make other
 * tags, lengths and string contents, and both verdicts compared.
 */
static void
test_name_valid_like_openssl (void **state)
{
	static const unsigned char values[] = {
	    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x10, 0x11, 0x12, 0x13,
	    0x14, 0x15, 0x16, 0x17, 0x1a, 0x1c, 0x1d, 0x1e, 0x30, 0x31, 0x7f, 0x80, 0x81,
	    0x82, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff,
	};
	unsigned char buf[4096];
	size_t i, k, pos, accepted = 0;
	int which;

	(void)state;
	for (i = 0; i < sizeof (certs) / sizeof (certs[0]); i++) {
		cert *c = cert_load (certs[i]);

		for (which = 0; which < 2; which++) {
			const tf_slice *name = which ? &c->info.issuer : &c->info.subject;

			assert_true (name->len <= sizeof (buf));
			for (pos = 0; pos < name->len; pos++) {
				for (k = 0; k < sizeof (values); k++) {
					memcpy (buf, name->data, name->len);
					buf[pos] = values[k];
					if (!tf_x509_name_valid (buf, name->len))
						continue;
					accepted++;
					if (!openssl_takes_name (buf, name->len))
						fail_msg ("%s: byte %zu set to 0x%02x: accepted, but "
							  "OpenSSL refuses the Name",
							  certs[i], pos, values[k]);
				}
			}
		}
		cert_free (c);
	}
	/* The comparison saw accepted variants, not only refusals. */
	assert_true (accepted > 100);
}

/* OpenSSL's verdict on a whole certificate: d2i_X509 reads it whole. */
static bool
openssl_takes_cert (const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	bool ok;

	x = d2i_X509 (NULL, &p, (long)len);
	ok = x != NULL && p == der + len;
	X509_free (x);
	ERR_clear_error ();
	return ok;
}

/*
 * tf_x509_parse checks a certificate piece by piece instead of with
 * d2i_X509; it must never accept one that d2i_X509 refuses. The bytes
 * before the subject (version, serial, algorithm, issuer, validity) of two
 * fixtures are set to values that make other tags, lengths and contents,
 * and both verdicts compared. (d2i_X509 decodes the key too, which makes it
 * slow: hence two fixtures and a short list of values.)
 */
static void
test_parse_like_openssl (void **state)
{
	static const char *const names[] = {"ca", "v1"};
	static const unsigned char values[] = {0x00, 0x01, 0x02, 0x05, 0x06, 0x0a,
					       0x13, 0x17, 0x18, 0x30, 0x80, 0xff};
	unsigned char *buf;
	size_t i, k, pos, end, accepted = 0;
	tf_cert_info info;

	(void)state;
	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		cert *c = cert_load (names[i]);

		buf = malloc (c->len);
		assert_non_null (buf);
		end = (size_t)(c->info.subject.data - c->der);
		for (pos = 0; pos < end; pos++) {
			for (k = 0; k < sizeof (values); k++) {
				memcpy (buf, c->der, c->len);
				buf[pos] = values[k];
				if (!tf_x509_parse (buf, c->len, &info))
					continue;
				accepted++;
				if (!openssl_takes_cert (buf, c->len))
					fail_msg ("%s: byte %zu set to 0x%02x: accepted, but "
						  "d2i_X509 refuses it",
						  names[i], pos, values[k]);
			}
		}
		free (buf);
		cert_free (c);
	}
	assert_true (accepted > 100);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test (test_parse_matches_openssl),
	    cmocka_unit_test (test_parse_facts),
	    cmocka_unit_test (test_parse_refuses),
	    cmocka_unit_test (test_parse_refuses_ber),
	    cmocka_unit_test (test_error_queue),
	    cmocka_unit_test (test_digests),
	    cmocka_unit_test (test_serial_to_der),
	    cmocka_unit_test (test_name_label),
	    cmocka_unit_test (test_name_valid),
	    cmocka_unit_test (test_name_valid_like_openssl),
	    cmocka_unit_test (test_parse_like_openssl),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
