/*
 * Certificates as the command handles them: the exact DER bytes (what the
 * store keeps and what export writes) next to OpenSSL's parsed form, read
 * from PEM bundles or DER files, and the text forms every command prints
 * (names, times, fingerprints), so that all of them print the same way.
 */
#ifndef TOOL_CERTS_H
#define TOOL_CERTS_H

#include <openssl/x509.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	X509 *x509;
	unsigned char *der; /* exactly the certificate's encoding */
	size_t der_len;
} tool_cert;

typedef struct {
	tool_cert *v;
	size_t n;
} cert_list;

/*
 * Appends every certificate in the file at path (a PEM bundle, other PEM
 * blocks skipped, or one DER certificate) to out. Returns TOOL_OK, or
 * TOOL_USAGE after saying what is wrong: unreadable file, malformed PEM or
 * certificate, trailing bytes, no certificate at all. out is unchanged then.
 */
int certs_read_file (const char *path, cert_list *out);

/* Appends the certificate der (copied) to list. false when it is not a certificate. */
bool certs_add_der (cert_list *list, const unsigned char *der, size_t len);

/* Appends a copy of c to list. false when out of memory. */
bool certs_add (cert_list *list, const tool_cert *c);

/* Frees every certificate and empties the list. */
void certs_clear (cert_list *list);

/* The index of the certificate with the same DER as c in list, or -1. */
long certs_find (const cert_list *list, const tool_cert *c);

/* Digests of the DER. */
void cert_sha1 (const tool_cert *c, unsigned char out[20]);
void cert_sha256 (const tool_cert *c, unsigned char out[32]);
void cert_md5 (const tool_cert *c, unsigned char out[16]);

/* Hex of len bytes, upper case, sep between bytes (0: none). Caller frees. */
char *cert_hex (const unsigned char *p, size_t len, char sep);

/* The SHA-1 / SHA-256 fingerprint of c as "AB:CD:...". Caller frees. */
char *cert_sha1_text (const tool_cert *c);
char *cert_sha256_text (const tool_cert *c);

/*
 * A distinguished name as one line, "C=XX, O=Example, CN=Name" (the order of
 * the certificate, RFC 2253 escapes, UTF-8): what `openssl x509 -nameopt
 * utf8,sep_comma_plus_space` prints. Caller frees; never NULL except out of
 * memory.
 */
char *cert_name_text (const X509_NAME *name);

/* The name text of a DER Name (a trust record's issuer). NULL when malformed. */
char *cert_der_name_text (const unsigned char *der, size_t len);

/* A time as "YYYY-MM-DD HH:MM:SS UTC". */
void cert_time_text (const ASN1_TIME *t, char *buf, size_t len);
void cert_unix_text (int64_t t, char *buf, size_t len);

/* A certificate time as unix time. false when it cannot be read. */
bool cert_time_unix (const ASN1_TIME *t, int64_t *out);

/* true when basicConstraints says CA:TRUE. */
bool cert_is_ca (const tool_cert *c);

/* The DER of the issuer Name, of the subject Name, of the serial INTEGER. Caller frees. */
bool cert_issuer_der (const tool_cert *c, unsigned char **der, size_t *len);
bool cert_subject_der (const tool_cert *c, unsigned char **der, size_t *len);
bool cert_serial_der (const tool_cert *c, unsigned char **der, size_t *len);

/* The serial number's octets as "10:02" (the DER INTEGER's contents). Caller frees. */
char *cert_serial_text (const unsigned char *der_integer, size_t len);

/*
 * The label a certificate gets when no one chose one: the last CN of the
 * subject, else OU, else O, else emailAddress, else "Unnamed certificate"
 * (the module's and NSS's choice). Caller frees.
 */
char *cert_default_label (const tool_cert *c);

#endif /* TOOL_CERTS_H */
