/*
 * bench-gen: the benchmark's certificates, made with OpenSSL's API.
 *
 *   bench-gen N OUT.bin PEMDIR
 *
 * writes N stored certificates plus BENCH_EXTRAS fresh ones (for the write
 * workloads) into OUT.bin (format in data.h), and the N stored ones as PEM
 * files into PEMDIR, laid out as p11-kit-trust reads a directory: roots in
 * PEMDIR/anchors, distrusted leaves in PEMDIR/blocklist, the other leaves in
 * PEMDIR itself. Both are written under temporary names and renamed when
 * complete, so an interrupted run leaves no half cache behind.
 *
 * The mix: a few hundred issuer names (N / 33, at least 5, at most 300), each
 * with two self-signed roots (a renewal: same name, same key, new serial) and
 * leaves under it. Leaves come in renewal groups of 1 to 4 certificates that
 * share a subject and a label (as NSS wants: one nickname per subject), so a
 * search by subject or label has several matches. Every certificate has its
 * own serial; every leaf has its own P-256 key, so CKA_ID (SHA-1 of the public
 * point, as certutil computes it) names one leaf, or the two roots of a name.
 * Trust: roots "C,,", leaves "P,,", one leaf in ten "p,p,p" (distrusted).
 * Every certificate is valid from the day it is made for at least 188 days.
 *
 * This is the only benchmark file that uses OpenSSL: the runner, whose child
 * processes measure a module's cold start, links nothing but libc.
 */
#include "data.h"

#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROOTS_PER_ISSUER 2

static void
die (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	fprintf (stderr, "bench-gen: ");
	vfprintf (stderr, fmt, ap);
	fprintf (stderr, "\n");
	va_end (ap);
	exit (1);
}

static void
die_ssl (const char *what)
{
	fprintf (stderr, "bench-gen: %s failed:\n", what);
	ERR_print_errors_fp (stderr);
	exit (1);
}

typedef struct {
	EVP_PKEY *key;
	X509_NAME *name;
	X509 *first_root; /* for the leaves' authority key identifier */
	char cn[64];
} issuer;

/* One key-generation context for all keys: EVP_EC_gen sets one up per call. */
static EVP_PKEY_CTX *keygen_ctx;

static EVP_PKEY *
new_key (void)
{
	EVP_PKEY *key = NULL;

	if (keygen_ctx == NULL) {
		keygen_ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
		if (keygen_ctx == NULL || EVP_PKEY_keygen_init (keygen_ctx) <= 0 ||
		    EVP_PKEY_CTX_set_group_name (keygen_ctx, "P-256") <= 0)
			die_ssl ("setting up key generation");
	}
	if (EVP_PKEY_keygen (keygen_ctx, &key) <= 0)
		die_ssl ("EVP_PKEY_keygen");
	return key;
}

static X509_NAME *
make_name (const char *cn, const char *org)
{
	X509_NAME *name = X509_NAME_new ();

	if (name == NULL ||
	    !X509_NAME_add_entry_by_txt (name, "C", MBSTRING_ASC, (const unsigned char *)"US", -1,
					 -1, 0) ||
	    !X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC, (const unsigned char *)org, -1,
					 -1, 0) ||
	    !X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					 -1, 0))
		die_ssl ("building a name");
	return name;
}

static void
add_ext (X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, ctx, nid, value);

	if (ext == NULL || !X509_add_ext (cert, ext, -1))
		die_ssl ("adding an extension");
	X509_EXTENSION_free (ext);
}

/*
 * Sets the certificate's subjectPublicKeyInfo from the key's P-256 point.
 * X509_set_pubkey does the same through OpenSSL 3's encoders, at about 0.4 ms
 * a call: most of the time it takes to make a certificate.
 */
static void
set_ec_pubkey (X509 *cert, EVP_PKEY *key)
{
	unsigned char point[65], *copy;
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof (point),
					      &len) ||
	    len != sizeof (point))
		die_ssl ("reading a public point");
	copy = OPENSSL_memdup (point, len);
	if (copy == NULL ||
	    !X509_PUBKEY_set0_param (X509_get_X509_PUBKEY (cert),
				     OBJ_nid2obj (NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
				     OBJ_nid2obj (NID_X9_62_prime256v1), copy, (int)len))
		die_ssl ("setting a public key");
}

/*
 * A certificate numbered serial_no (which makes its serial unique whatever
 * the random part), valid from not_before_days ago for days.
 */
static X509 *
make_cert (unsigned serial_no, X509_NAME *subject, EVP_PKEY *subject_key, const issuer *is,
	   X509 *issuer_cert, bool ca, const char *san, long not_before_days, long days)
{
	unsigned char serial[16];
	ASN1_INTEGER *sn;
	X509V3_CTX ctx;
	X509 *cert;

	if (RAND_bytes (serial, sizeof (serial)) != 1)
		die_ssl ("RAND_bytes");
	serial[0] = 0x10 | (serial[0] & 0x3f); /* positive, no leading zero octet */
	serial[1] = (unsigned char)(serial_no >> 24);
	serial[2] = (unsigned char)(serial_no >> 16);
	serial[3] = (unsigned char)(serial_no >> 8);
	serial[4] = (unsigned char)serial_no;

	cert = X509_new ();
	sn = ASN1_INTEGER_new ();
	if (cert == NULL || sn == NULL || !ASN1_STRING_set (sn, serial, sizeof (serial)))
		die_ssl ("X509_new");
	if (!X509_set_version (cert, 2) || !X509_set_serialNumber (cert, sn) ||
	    !X509_set_issuer_name (cert, is->name) || !X509_set_subject_name (cert, subject) ||
	    !X509_gmtime_adj (X509_getm_notBefore (cert), -not_before_days * 86400L) ||
	    !X509_gmtime_adj (X509_getm_notAfter (cert), (days - not_before_days) * 86400L))
		die_ssl ("filling a certificate");
	ASN1_INTEGER_free (sn);
	set_ec_pubkey (cert, subject_key);

	X509V3_set_ctx (&ctx, issuer_cert != NULL ? issuer_cert : cert, cert, NULL, NULL, 0);
	if (ca) {
		add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		add_ext (cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext (cert, &ctx, NID_subject_key_identifier, "hash");
	} else {
		add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		add_ext (cert, &ctx, NID_key_usage, "critical,digitalSignature");
		add_ext (cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
		add_ext (cert, &ctx, NID_subject_key_identifier, "hash");
		add_ext (cert, &ctx, NID_authority_key_identifier, "keyid");
		add_ext (cert, &ctx, NID_subject_alt_name, san);
	}
	if (X509_sign (cert, is->key, EVP_sha256 ()) == 0)
		die_ssl ("X509_sign");
	return cert;
}

/* One TLV at p (within end): the header length and the whole length. */
static bool
der_tlv (const unsigned char *p, const unsigned char *end, size_t *hdr, size_t *total)
{
	size_t len = 0, n, i;

	if (end - p < 2)
		return false;
	if (p[1] < 0x80) {
		*hdr = 2;
		len = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 3 || (size_t)(end - p) < 2 + n)
			return false;
		for (i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		*hdr = 2 + n;
	}
	if (len > (size_t)(end - p) - *hdr)
		return false;
	*total = *hdr + len;
	return true;
}

/* Where the serial, issuer and subject TLVs lie in the certificate's DER. */
static void
locate_fields (const unsigned char *der, size_t len, bench_rec_hdr *h)
{
	const unsigned char *end = der + len, *p;
	size_t hdr, total;

	/* Certificate SEQUENCE, then the TBSCertificate SEQUENCE: step into both. */
	if (!der_tlv (der, end, &hdr, &total))
		die ("bad DER");
	p = der + hdr;
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	p += hdr;
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	if (p[0] == 0xa0) { /* [0] version */
		p += total;
		if (!der_tlv (p, end, &hdr, &total))
			die ("bad DER");
	}
	h->serial_off = (uint16_t)(p - der);
	h->serial_len = (uint16_t)total;
	p += total; /* signature algorithm */
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	p += total; /* issuer */
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	h->issuer_off = (uint16_t)(p - der);
	h->issuer_len = (uint16_t)total;
	p += total; /* validity */
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	p += total; /* subject */
	if (!der_tlv (p, end, &hdr, &total))
		die ("bad DER");
	h->subject_off = (uint16_t)(p - der);
	h->subject_len = (uint16_t)total;
}

typedef struct {
	FILE *bin;
	char *pemdir;
	unsigned written;
	unsigned long long der_bytes;
} output;

static void
emit (output *out, X509 *cert, const char *label, uint8_t kind, uint16_t subject_count,
      uint16_t id_count, bool stored)
{
	unsigned char *der = NULL;
	const ASN1_BIT_STRING *key_bits;
	bench_rec_hdr h;
	char path[4096];
	const char *sub;
	FILE *f;
	int len;

	len = i2d_X509 (cert, &der);
	if (len <= 0)
		die_ssl ("i2d_X509");
	memset (&h, 0, sizeof (h));
	h.der_len = (uint32_t)len;
	locate_fields (der, (size_t)len, &h);
	if (EVP_Digest (der, (size_t)len, h.sha1, NULL, EVP_sha1 (), NULL) != 1 ||
	    EVP_Digest (der, (size_t)len, h.md5, NULL, EVP_md5 (), NULL) != 1)
		die_ssl ("EVP_Digest");
	key_bits = X509_get0_pubkey_bitstr (cert);
	if (key_bits == NULL ||
	    EVP_Digest (key_bits->data, (size_t)key_bits->length, h.ckaid, NULL, EVP_sha1 (),
			NULL) != 1)
		die_ssl ("hashing the public key");
	h.kind = kind;
	h.label_len = (uint8_t)strlen (label);
	h.subject_count = subject_count;
	h.id_count = id_count;
	if (fwrite (&h, sizeof (h), 1, out->bin) != 1 ||
	    fwrite (label, h.label_len, 1, out->bin) != 1 ||
	    fwrite (der, (size_t)len, 1, out->bin) != 1)
		die ("writing the data file: %s", strerror (errno));
	OPENSSL_free (der);
	if (!stored)
		return;

	out->der_bytes += (unsigned long long)len;
	sub = kind == BENCH_KIND_ROOT		? "anchors/"
	      : kind == BENCH_KIND_DISTRUSTED ? "blocklist/"
					      : "";
	snprintf (path, sizeof (path), "%s/%sc%07u.pem", out->pemdir, sub, out->written);
	f = fopen (path, "w");
	if (f == NULL || !PEM_write_X509 (f, cert) || fclose (f) != 0)
		die ("writing %s: %s", path, strerror (errno));
	out->written++;
}

/* Sizes of the leaves' renewal groups, in turn. */
static const unsigned group_sizes[] = { 1, 2, 3, 4, 2, 1, 3, 2 };
#define N_GROUP_SIZES (sizeof (group_sizes) / sizeof (group_sizes[0]))

static void
make_dirs (const char *dir)
{
	char path[4096 + 32];

	if (mkdir (dir, 0755) != 0)
		die ("mkdir %s: %s", dir, strerror (errno));
	snprintf (path, sizeof (path), "%s/anchors", dir);
	if (mkdir (path, 0755) != 0)
		die ("mkdir %s: %s", path, strerror (errno));
	snprintf (path, sizeof (path), "%s/blocklist", dir);
	if (mkdir (path, 0755) != 0)
		die ("mkdir %s: %s", path, strerror (errno));
}

int
main (int argc, char **argv)
{
	char tmp_bin[4096], tmp_pem[4096], cn[64], org[64], san[160], cmd[8300];
	unsigned n, nissuers, nroots, i, r, left, group, size, k, serial_no = 0, extras_done = 0;
	bench_file_hdr fh;
	issuer *issuers;
	output out;
	X509_NAME *name;
	EVP_PKEY *key;
	X509 *cert;
	uint8_t kind;
	time_t start = time (NULL);

	if (argc != 4)
		die ("usage: bench-gen N OUT.bin PEMDIR");
	n = (unsigned)strtoul (argv[1], NULL, 10);
	nissuers = n / 33;
	if (nissuers < 5)
		nissuers = 5;
	if (nissuers > 300)
		nissuers = 300;
	nroots = nissuers * ROOTS_PER_ISSUER;
	if (n < nroots + 1)
		die ("N must be at least %u", nroots + 1);

	snprintf (tmp_bin, sizeof (tmp_bin), "%s.tmp", argv[2]);
	snprintf (tmp_pem, sizeof (tmp_pem), "%s.tmp", argv[3]);
	snprintf (cmd, sizeof (cmd), "rm -rf '%s' '%s'", tmp_pem, argv[3]);
	if (system (cmd) != 0)
		die ("cannot clear %s", argv[3]);
	make_dirs (tmp_pem);
	memset (&out, 0, sizeof (out));
	out.pemdir = tmp_pem;
	out.bin = fopen (tmp_bin, "wb");
	if (out.bin == NULL)
		die ("%s: %s", tmp_bin, strerror (errno));

	memset (&fh, 0, sizeof (fh));
	memcpy (fh.magic, BENCH_MAGIC, sizeof (fh.magic));
	fh.stored = n;
	fh.extras = BENCH_EXTRAS;
	fh.issuers = nissuers;
	if (RAND_bytes ((unsigned char *)&fh.tag, sizeof (fh.tag)) != 1)
		die_ssl ("RAND_bytes");
	if (fwrite (&fh, sizeof (fh), 1, out.bin) != 1)
		die ("writing %s", tmp_bin);

	/* Roots: each issuer name twice, one key per name. */
	issuers = calloc (nissuers, sizeof (issuer));
	if (issuers == NULL)
		die ("out of memory");
	for (i = 0; i < nissuers; i++) {
		snprintf (issuers[i].cn, sizeof (issuers[i].cn), "Bench Root CA %03u", i);
		snprintf (org, sizeof (org), "Bench Trust Services %03u", i);
		issuers[i].key = new_key ();
		issuers[i].name = make_name (issuers[i].cn, org);
		for (r = 0; r < ROOTS_PER_ISSUER; r++) {
			cert = make_cert (serial_no++, issuers[i].name, issuers[i].key, &issuers[i],
					  NULL, true, NULL, 400 + 3650L * r, 7300);
			emit (&out, cert, issuers[i].cn, BENCH_KIND_ROOT, ROOTS_PER_ISSUER,
			      ROOTS_PER_ISSUER, true);
			if (r == 0)
				issuers[i].first_root = cert;
			else
				X509_free (cert);
		}
	}

	/* Leaves, in renewal groups, round-robin over the issuers; then the extras. */
	left = n - nroots;
	for (group = 0; left > 0 || extras_done < BENCH_EXTRAS; group++) {
		bool extra = left == 0;
		const issuer *is = &issuers[group % nissuers];

		size = extra ? 1 : group_sizes[group % N_GROUP_SIZES];
		if (!extra && size > left)
			size = left;
		snprintf (cn, sizeof (cn), "%s%07u.bench.example", extra ? "x" : "h", group);
		snprintf (org, sizeof (org), "Bench Customer %05u", group % 10007);
		snprintf (san, sizeof (san), "DNS:%s,DNS:www.%s", cn, cn);
		name = make_name (cn, org);
		kind = !extra && group % 10 == 9 ? BENCH_KIND_DISTRUSTED : BENCH_KIND_LEAF;
		for (k = 0; k < size; k++) {
			key = new_key ();
			/*
			 * Renewed before they expire, so every certificate is valid
			 * now: a module may rightly show no trust for an expired one
			 * (trustfolder does), and the expected answers must not
			 * depend on that.
			 */
			cert = make_cert (serial_no++, name, key, is, is->first_root, false, san,
					  30 + 60L * (size - 1 - k), 398);
			emit (&out, cert, cn, kind, (uint16_t)size, 1, !extra);
			X509_free (cert);
			EVP_PKEY_free (key);
		}
		X509_NAME_free (name);
		if (extra)
			extras_done++;
		else
			left -= size;
	}

	/* The header again, with the totals now known. */
	fh.der_bytes = out.der_bytes;
	if (fseek (out.bin, 0, SEEK_SET) != 0 || fwrite (&fh, sizeof (fh), 1, out.bin) != 1 ||
	    fclose (out.bin) != 0)
		die ("writing %s: %s", tmp_bin, strerror (errno));
	if (rename (tmp_pem, argv[3]) != 0 || rename (tmp_bin, argv[2]) != 0)
		die ("renaming the outputs: %s", strerror (errno));

	for (i = 0; i < nissuers; i++) {
		EVP_PKEY_free (issuers[i].key);
		X509_NAME_free (issuers[i].name);
		X509_free (issuers[i].first_root);
	}
	free (issuers);
	fprintf (stderr,
		 "bench-gen: %u certificates (+%u for writes), %u issuer names, %llu DER bytes, "
		 "in %ld s\n",
		 n, BENCH_EXTRAS, nissuers, out.der_bytes, (long)(time (NULL) - start));
	return 0;
}
