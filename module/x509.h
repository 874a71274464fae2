/*
 * X.509 parsing for the module. x509.c is the only file of the module that
 * includes OpenSSL headers; it hands back slices of the caller's DER and plain
 * values, never OpenSSL types.
 */
#ifndef TF_X509_H
#define TF_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed slice of some DER buffer. */
typedef struct {
	const unsigned char *data;
	size_t len;
} tf_slice;

typedef struct {
	int version;		/* 1, 2 or 3 */
	tf_slice issuer;	/* DER Name, tag and length included */
	tf_slice subject;	/* DER Name, tag and length included */
	tf_slice serial;	/* DER INTEGER, tag and length included */
	tf_slice spki;		/* SubjectPublicKeyInfo, tag and length included */
	tf_slice public_key;	/* subjectPublicKey BIT STRING contents, unused-bits byte excluded */
	tf_slice ski;		/* SubjectKeyIdentifier OCTET STRING contents; empty when absent */
	tf_slice eku;		/* extKeyUsage extension value (the SEQUENCE); empty when absent */
	int64_t not_before;	/* unix time */
	int64_t not_after;	/* unix time */
	bool has_basic_constraints;
	bool is_ca;		/* basicConstraints cA */
	bool self_issued;	/* issuer == subject */
} tf_cert_info;

/*
 * Parses a DER certificate. The whole buffer must be one certificate, with
 * nothing after it, that OpenSSL accepts. On success fills info with slices
 * into der (valid while der is) and returns true; on failure returns false,
 * logs why, and leaves info zeroed. Never leaves errors on OpenSSL's queue.
 */
bool tf_x509_parse (const unsigned char *der, size_t len, tf_cert_info *info);

/*
 * Whether libcrypto is there to call (it is loaded on the first call of
 * any function here; logged once when it cannot be). Without it no
 * certificate can be read or hashed, and the digests below give zeros: an
 * added certificate fails with CKR_DEVICE_ERROR (write.c), a search by
 * value compares bytes instead and one by public key fails (object.c), and
 * CKA_CHECK_VALUE is unavailable (view.c).
 */
bool tf_x509_available (void);

/* Digests; out must hold 20, 16 and 32 bytes. */
void tf_x509_sha1 (const void *data, size_t len, unsigned char *out);
void tf_x509_md5 (const void *data, size_t len, unsigned char *out);
void tf_x509_sha256 (const void *data, size_t len, unsigned char *out);

/* Releases what the digests keep between calls; C_Finalize calls it. */
void tf_x509_cleanup (void);

/*
 * Normalizes a serial number as a client sent it (a DER INTEGER, or the raw
 * big-endian contents) to a DER INTEGER in out (at least len + 6 bytes).
 * Returns the encoded length, or 0 when the input is neither.
 */
size_t tf_x509_serial_to_der (const unsigned char *serial, size_t len, unsigned char *out);

/*
 * A display label for a DER Name: the last commonName, else the last
 * organizationalUnitName, organizationName or e-mail address, UTF-8, no NUL.
 * Returns a malloc'd string (caller frees), or NULL when the name has none.
 */
char *tf_x509_name_label (const unsigned char *name, size_t len);

/* true when der is a well-formed DER Name (a SEQUENCE of RDNs), nothing trailing. */
bool tf_x509_name_valid (const unsigned char *name, size_t len);

/* Purposes named by an extended key usage, as bits. */
#define TF_X509_PURPOSE_SERVER (1u << 0)
#define TF_X509_PURPOSE_CLIENT (1u << 1)
#define TF_X509_PURPOSE_CODE   (1u << 2)
#define TF_X509_PURPOSE_EMAIL  (1u << 3)
#define TF_X509_PURPOSE_ALL    0xfu

/*
 * A stapled extension as p11-kit keeps it (CKO_X_CERTIFICATE_EXTENSION's
 * CKA_VALUE): one DER Extension, which must be extended key usage. Sets the
 * purposes it allows (anyExtendedKeyUsage allows all) and its critical flag.
 * false, logged, when it is malformed or another extension.
 */
bool tf_x509_eku_extension (const unsigned char *ext, size_t len, unsigned *purposes,
			    bool *critical);

#endif /* TF_X509_H */
