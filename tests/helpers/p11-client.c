/*
 * A raw PKCS#11 client for the integration tests: it loads a module with
 * dlopen, as any client does, and does the few things no installed tool can:
 *
 *   p11-client MODULE distrust CERT.der
 *	writes an NSS trust object with no certificate and no hash that
 *	distrusts CERT (by issuer and serial) for every purpose, in "Trust Folder"
 *   p11-client MODULE watch LABEL
 *	keeps one session open and, for every line read on standard input,
 *	searches certificates labelled LABEL and prints "count N"; exits at EOF
 *   p11-client MODULE find-value CERT.der
 *	searches "Trust Folder" for certificates whose CKA_VALUE is CERT's DER
 *	and prints "count N", or the CKR_ code of a failed search as a hex
 *	number; then, for the first found, "check-value LEN" (CKA_CHECK_VALUE's
 *	length, or "unavailable")
 *   p11-client MODULE create-bad WHAT
 *	tries one malformed create in "Trust Folder" (WHAT: der, subject, hash,
 *	class, null-template) and prints the CKR_ code as a hex number
 *
 * The certificate is decoded with NSS (no database), never with the module's
 * own parser, so the test does not check the module against itself.
 */
#include <cert.h>
#include <nss.h>

#include <dlfcn.h>
#include <pkcs11.h> /* NSS's, which cert.h already half-includes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKO_NSS_TRUST_ 0xCE534353UL
#define CKA_TRUST_SERVER_AUTH_ 0xCE536358UL
#define CKA_TRUST_CLIENT_AUTH_ 0xCE536359UL
#define CKA_TRUST_CODE_SIGNING_ 0xCE53635AUL
#define CKA_TRUST_EMAIL_PROTECTION_ 0xCE53635BUL
#define CKA_CERT_SHA1_HASH_ 0xCE5363B4UL
#define CKT_NSS_NOT_TRUSTED_ 0xCE53435AUL
#define CKT_NSS_TRUSTED_DELEGATOR_ 0xCE534352UL

static CK_FUNCTION_LIST_PTR p11;

static void
die (const char *what, CK_RV rv)
{
	fprintf (stderr, "p11-client: %s failed: 0x%lx\n", what, (unsigned long)rv);
	exit (2);
}

static CK_SESSION_HANDLE
open_slot (const char *label)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8, i;
	CK_TOKEN_INFO info;
	CK_SESSION_HANDLE s;
	size_t len = strlen (label);
	CK_RV rv;

	rv = p11->C_GetSlotList (CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		die ("C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (p11->C_GetTokenInfo (slots[i], &info) != CKR_OK)
			continue;
		if (memcmp (info.label, label, len) == 0 &&
		    (len == 32 || info.label[len] == ' ')) {
			rv = p11->C_OpenSession (slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
						 NULL, NULL, &s);
			if (rv != CKR_OK)
				die ("C_OpenSession", rv);
			return s;
		}
	}
	fprintf (stderr, "p11-client: no token \"%s\"\n", label);
	exit (2);
}

static SECItem
read_der (const char *path)
{
	SECItem item = { siBuffer, NULL, 0 };
	FILE *f = fopen (path, "rb");
	long n;

	if (f == NULL) {
		perror (path);
		exit (2);
	}
	fseek (f, 0, SEEK_END);
	n = ftell (f);
	fseek (f, 0, SEEK_SET);
	item.data = malloc ((size_t)n);
	if (item.data == NULL || fread (item.data, 1, (size_t)n, f) != (size_t)n) {
		fprintf (stderr, "p11-client: cannot read %s\n", path);
		exit (2);
	}
	item.len = (unsigned)n;
	fclose (f);
	return item;
}

/* The serial as a DER INTEGER, as NSS writes it in trust objects. */
static CK_ULONG
serial_der (const SECItem *raw, unsigned char *out)
{
	CK_ULONG n = 0;

	out[n++] = 0x02;
	if (raw->len < 128) {
		out[n++] = (unsigned char)raw->len;
	} else {
		out[n++] = 0x81;
		out[n++] = (unsigned char)raw->len;
	}
	memcpy (out + n, raw->data, raw->len);
	return n + raw->len;
}

static int
cmd_distrust (const char *path)
{
	CK_OBJECT_CLASS klass = CKO_NSS_TRUST_;
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG distrust = CKT_NSS_NOT_TRUSTED_;
	unsigned char serial[300];
	CERTCertificate *cert;
	SECItem der = read_der (path);
	CK_OBJECT_HANDLE h;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	if (NSS_NoDB_Init (NULL) != SECSuccess) {
		fprintf (stderr, "p11-client: NSS_NoDB_Init failed\n");
		return 2;
	}
	cert = CERT_DecodeCertFromPackage ((char *)der.data, (int)der.len);
	if (cert == NULL) {
		fprintf (stderr, "p11-client: %s is not a certificate\n", path);
		return 2;
	}
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, &klass, sizeof (klass) },
			{ CKA_TOKEN, &yes, sizeof (yes) },
			{ CKA_ISSUER, cert->derIssuer.data, cert->derIssuer.len },
			{ CKA_SERIAL_NUMBER, serial, serial_der (&cert->serialNumber, serial) },
			{ CKA_TRUST_SERVER_AUTH_, &distrust, sizeof (distrust) },
			{ CKA_TRUST_CLIENT_AUTH_, &distrust, sizeof (distrust) },
			{ CKA_TRUST_CODE_SIGNING_, &distrust, sizeof (distrust) },
			{ CKA_TRUST_EMAIL_PROTECTION_, &distrust, sizeof (distrust) },
		};
		s = open_slot ("Trust Folder");
		rv = p11->C_CreateObject (s, tmpl, sizeof (tmpl) / sizeof (tmpl[0]), &h);
		if (rv != CKR_OK)
			die ("C_CreateObject", rv);
	}
	CERT_DestroyCertificate (cert);
	NSS_Shutdown ();
	free (der.data);
	printf ("distrusted\n");
	return 0;
}

/*
 * Runs one search of tmpl in s to its end: the number of objects found, the
 * first of them in *first. A search that cannot start returns its CKR_ code
 * in *init_rv (and 0); any other failure ends the program.
 */
static CK_ULONG
search_all (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *first,
	    CK_RV *init_rv)
{
	CK_OBJECT_HANDLE found[16];
	CK_ULONG n, total = 0;
	CK_RV rv;

	*init_rv = p11->C_FindObjectsInit (s, tmpl, count);
	if (*init_rv != CKR_OK)
		return 0;
	do {
		rv = p11->C_FindObjects (s, found, 16, &n);
		if (rv != CKR_OK)
			die ("C_FindObjects", rv);
		if (total == 0 && n > 0)
			*first = found[0];
		total += n;
	} while (n > 0);
	p11->C_FindObjectsFinal (s);
	return total;
}

static int
cmd_watch (const char *label)
{
	CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ CKA_LABEL, (void *)label, strlen (label) },
	};
	CK_SESSION_HANDLE s = open_slot ("Trust Folder");
	CK_OBJECT_HANDLE first;
	CK_ULONG total;
	char line[256];
	CK_RV rv;

	setvbuf (stdout, NULL, _IOLBF, 0);
	while (fgets (line, sizeof (line), stdin) != NULL) {
		total = search_all (s, tmpl, 2, &first, &rv);
		if (rv != CKR_OK)
			die ("C_FindObjectsInit", rv);
		printf ("count %lu\n", (unsigned long)total);
	}
	return 0;
}

static int
cmd_find_value (const char *cert_path)
{
	CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	SECItem der = read_der (cert_path);
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ CKA_VALUE, der.data, der.len },
	};
	CK_SESSION_HANDLE s = open_slot ("Trust Folder");
	CK_ATTRIBUTE check = { CKA_CHECK_VALUE, NULL, 0 };
	CK_OBJECT_HANDLE first;
	CK_ULONG total;
	CK_RV rv;

	total = search_all (s, tmpl, 2, &first, &rv);
	if (rv != CKR_OK) {
		printf ("0x%lx\n", (unsigned long)rv);
	} else {
		printf ("count %lu\n", (unsigned long)total);
		if (total > 0) {
			p11->C_GetAttributeValue (s, first, &check, 1);
			if (check.ulValueLen == CK_UNAVAILABLE_INFORMATION)
				printf ("check-value unavailable\n");
			else
				printf ("check-value %lu\n", (unsigned long)check.ulValueLen);
		}
	}
	free (der.data);
	return 0;
}

static int
cmd_create_bad (const char *what, const char *cert_path)
{
	CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE, trust_class = CKO_NSS_TRUST_,
			odd_class = CKO_SECRET_KEY;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG anchor = CKT_NSS_TRUSTED_DELEGATOR_;
	SECItem der = read_der (cert_path);
	unsigned char wrong_hash[20], garbage[64], serial[300];
	CERTCertificate *cert;
	CK_OBJECT_HANDLE h;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	memset (wrong_hash, 0x5a, sizeof (wrong_hash));
	memset (garbage, 0x30, sizeof (garbage));
	if (NSS_NoDB_Init (NULL) != SECSuccess)
		return 2;
	cert = CERT_DecodeCertFromPackage ((char *)der.data, (int)der.len);
	if (cert == NULL)
		return 2;
	s = open_slot ("Trust Folder");
	if (strcmp (what, "der") == 0) {
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cert_class, sizeof (cert_class) },
				     { CKA_CERTIFICATE_TYPE, &x509, sizeof (x509) },
				     { CKA_TOKEN, &yes, 1 },
				     { CKA_VALUE, garbage, sizeof (garbage) } };
		rv = p11->C_CreateObject (s, t, 4, &h);
	} else if (strcmp (what, "subject") == 0) {
		/* The issuer's name given as the subject of a leaf. */
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cert_class, sizeof (cert_class) },
				     { CKA_CERTIFICATE_TYPE, &x509, sizeof (x509) },
				     { CKA_TOKEN, &yes, 1 },
				     { CKA_VALUE, der.data, der.len },
				     { CKA_SUBJECT, cert->derIssuer.data, cert->derIssuer.len } };
		rv = p11->C_CreateObject (s, t, 5, &h);
	} else if (strcmp (what, "hash") == 0) {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &trust_class, sizeof (trust_class) },
			{ CKA_TOKEN, &yes, 1 },
			{ CKA_ISSUER, cert->derIssuer.data, cert->derIssuer.len },
			{ CKA_SERIAL_NUMBER, serial, serial_der (&cert->serialNumber, serial) },
			{ CKA_TRUST_SERVER_AUTH_, &anchor, sizeof (anchor) },
			{ CKA_CERT_SHA1_HASH_, wrong_hash, sizeof (wrong_hash) },
		};
		rv = p11->C_CreateObject (s, t, 6, &h);
	} else if (strcmp (what, "class") == 0) {
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &odd_class, sizeof (odd_class) },
				     { CKA_TOKEN, &yes, 1 } };
		rv = p11->C_CreateObject (s, t, 2, &h);
	} else if (strcmp (what, "null-template") == 0) {
		rv = p11->C_CreateObject (s, NULL, 4, &h);
	} else {
		fprintf (stderr, "p11-client: unknown bad input %s\n", what);
		return 2;
	}
	CERT_DestroyCertificate (cert);
	NSS_Shutdown ();
	free (der.data);
	printf ("0x%lx\n", (unsigned long)rv);
	return 0;
}

int
main (int argc, char **argv)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR);
	void *lib;
	CK_RV rv;
	int status = 2;

	if (argc < 4) {
		fprintf (stderr, "usage: p11-client MODULE distrust CERT.der | watch LABEL | "
				 "find-value CERT.der | create-bad WHAT CERT.der\n");
		return 2;
	}
	lib = dlopen (argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf (stderr, "p11-client: %s\n", dlerror ());
		return 2;
	}
	*(void **)&get_list = dlsym (lib, "C_GetFunctionList");
	if (get_list == NULL || get_list (&p11) != CKR_OK) {
		fprintf (stderr, "p11-client: no C_GetFunctionList in %s\n", argv[1]);
		return 2;
	}
	rv = p11->C_Initialize (NULL);
	if (rv != CKR_OK)
		die ("C_Initialize", rv);
	if (strcmp (argv[2], "distrust") == 0)
		status = cmd_distrust (argv[3]);
	else if (strcmp (argv[2], "watch") == 0)
		status = cmd_watch (argv[3]);
	else if (strcmp (argv[2], "find-value") == 0)
		status = cmd_find_value (argv[3]);
	else if (strcmp (argv[2], "create-bad") == 0 && argc == 5)
		status = cmd_create_bad (argv[3], argv[4]);
	else
		fprintf (stderr, "p11-client: unknown command %s\n", argv[2]);
	rv = p11->C_Finalize (NULL);
	if (rv != CKR_OK)
		die ("C_Finalize", rv);
	dlclose (lib);
	return status;
}
