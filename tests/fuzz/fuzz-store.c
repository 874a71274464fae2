/*
 * libFuzzer target: the store file itself.
 *
 * The input is written as the store, and the module is initialized on it
 * (store=PATH) for every input: whatever the file holds, C_Initialize must
 * succeed (a store that is not ours, damaged or from a newer release leaves
 * the persistent token absent, and the session token working), and every
 * search, read and write on what the module did load must give a code the
 * specification allows and never crash: a row of the records table is
 * untrusted input like any template.
 *
 * Seeds: real stores with records of every kind, made through the module
 * and compacted to 512-byte pages (tests/fuzz/seeds.c), so that mutations
 * reach the rows rather than only the file header.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>

#define MAX_OBJECTS 256
#define MAX_READ    48

static char store[600];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fz_setup ("store");
	snprintf (store, sizeof (store), "%s/trustfolder.db", fz_dir);
	return 0;
}

/* Removes the store and what SQLite keeps beside it. */
static void
remove_store (void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[700];
	size_t i;

	for (i = 0; i < sizeof (suffixes) / sizeof (suffixes[0]); i++) {
		snprintf (path, sizeof (path), "%s%s", store, suffixes[i]);
		if (unlink (path) != 0 && errno != ENOENT)
			fz_fail ("cannot remove %s", path);
	}
}

static void
write_store (const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	remove_store ();
	fd = open (store, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fz_fail ("cannot create %s", store);
	while (done < size) {
		n = write (fd, data + done, size - done);
		if (n <= 0)
			fz_fail ("cannot write %s", store);
		done += (size_t)n;
	}
	close (fd);
}

/*
 * Searches by the values one object has for some types, as NSS and p11-kit
 * search: with the object's class first ([CKA_CLASS, CKA_VALUE] for
 * certutil -L -n, [CKA_CLASS, CKA_ISSUER, CKA_SERIAL_NUMBER] for trust).
 */
static void
find_by (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE_TYPE *types, CK_ULONG n)
{
	CK_ATTRIBUTE tmpl[4];
	CK_OBJECT_HANDLE found[MAX_OBJECTS];
	CK_ULONG i;

	tmpl[0].type = CKA_CLASS;
	for (i = 0; i < n; i++)
		tmpl[i + 1].type = types[i];
	for (i = 0; i <= n; i++) {
		tmpl[i].pValue = NULL;
		tmpl[i].ulValueLen = 0;
	}
	if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, tmpl, n + 1)) !=
	    CKR_OK)
		return;
	for (i = 0; i <= n; i++) {
		/*
		 * An empty value is not looked up: the module does not find objects
		 * by an empty key (test_find_by_empty_label in test-abuse.c, pending).
		 */
		if (tmpl[i].ulValueLen == 0 || tmpl[i].ulValueLen > 1024 * 1024)
			return;
	}
	for (i = 0; i <= n; i++) {
		tmpl[i].pValue = malloc (tmpl[i].ulValueLen ? tmpl[i].ulValueLen : 1);
		if (tmpl[i].pValue == NULL)
			fz_fail ("out of memory");
	}
	if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, tmpl, n + 1)) ==
		    CKR_OK &&
	    fz_find (s, tmpl, n + 1, found, MAX_OBJECTS) == 0)
		fz_fail ("object 0x%lx is not found by its class and its own attribute 0x%lx",
			 (unsigned long)h, (unsigned long)types[n - 1]);
	for (i = 0; i <= n; i++)
		free (tmpl[i].pValue);
}

/* Every object, read in full, and found again by the keys clients use. */
static CK_ULONG
read_token (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *found)
{
	static const CK_ATTRIBUTE_TYPE issuer_serial[] = { CKA_ISSUER, CKA_SERIAL_NUMBER };
	static const CK_ATTRIBUTE_TYPE keys[] = { CKA_SUBJECT, CKA_ID, CKA_LABEL, CKA_VALUE,
						  TF_CKA_X_CERTIFICATE_VALUE };
	static const CK_OBJECT_CLASS classes[] = { CKO_CERTIFICATE, TF_CKO_NSS_TRUST,
						   TF_CKO_TRUST, TF_CKO_X_TRUST_ASSERTION,
						   TF_CKO_X_CERTIFICATE_EXTENSION };
	static const CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE more[MAX_OBJECTS];
	CK_ATTRIBUTE by_class[] = {
		{ CKA_CLASS, NULL, sizeof (CK_OBJECT_CLASS) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
	};
	CK_ULONG n, i, k;

	n = fz_find (s, NULL, 0, found, MAX_OBJECTS);
	for (i = 0; i < n && i < MAX_READ; i++) {
		fz_read_object (s, found[i]);
		find_by (s, found[i], issuer_serial, 2);
		for (k = 0; k < sizeof (keys) / sizeof (keys[0]); k++)
			find_by (s, found[i], keys + k, 1);
	}
	for (k = 0; k < sizeof (classes) / sizeof (classes[0]); k++) {
		by_class[0].pValue = (void *)&classes[k];
		fz_find (s, by_class, 2, more, MAX_OBJECTS);
	}
	return n;
}

/* Writes through what was loaded: a label, a distrust record, destroys. */
static void
write_token (CK_SESSION_HANDLE s, const CK_OBJECT_HANDLE *found, CK_ULONG n)
{
	static const CK_OBJECT_CLASS nss_trust = TF_CKO_NSS_TRUST;
	static const CK_BBOOL yes = CK_TRUE;
	static const CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED;
	/* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "fuzz" } } } */
	static const unsigned char issuer[] = { 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06,
						0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 'f',
						'u', 'z', 'z' };
	static const unsigned char serial[] = { 0x02, 0x01, 0x2a };
	CK_ATTRIBUTE label = { CKA_LABEL, "relabelled", 10 };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&nss_trust, sizeof (nss_trust) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)issuer, sizeof (issuer) },
		{ CKA_SERIAL_NUMBER, (void *)serial, sizeof (serial) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, (void *)&distrust, sizeof (distrust) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, (void *)&distrust, sizeof (distrust) },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG i;

	for (i = 0; i < n && i < 4; i++)
		fz_check (SPEC_C_SetAttributeValue, fz->C_SetAttributeValue (s, found[i], &label, 1));
	if (fz_check (SPEC_C_CreateObject, fz->C_CreateObject (s, tmpl, 6, &h)) == CKR_OK)
		fz_read_object (s, h);
	/* The last four objects, last first: certutil -D destroys trust, then the certificate. */
	for (i = 0; i < n && i < 4; i++)
		fz_check (SPEC_C_DestroyObject, fz->C_DestroyObject (s, found[n - 1 - i]));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	CK_OBJECT_HANDLE found[MAX_OBJECTS];
	CK_SLOT_ID slots[4];
	CK_ULONG nslots = 4, n;
	CK_TOKEN_INFO info;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	write_store (data, size);
	if (fz_initialize (store) != CKR_OK)
		fz_fail ("C_Initialize failed on a store file: it must leave the token absent");
	fz_check (SPEC_C_GetSlotList, fz->C_GetSlotList (CK_TRUE, slots, &nslots));
	rv = fz_check (SPEC_C_GetTokenInfo, fz->C_GetTokenInfo (TF_SLOT_PERSISTENT, &info));
	if (rv == CKR_OK) {
		/* Read-only first, as certutil -L and trust list open theirs. */
		if (fz_check (SPEC_C_OpenSession,
			      fz->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL,
						 &s)) == CKR_OK) {
			read_token (s, found);
			fz_check (SPEC_C_CloseSession, fz->C_CloseSession (s));
		}
		if (!(info.flags & CKF_WRITE_PROTECTED) &&
		    fz_check (SPEC_C_OpenSession,
			      fz->C_OpenSession (TF_SLOT_PERSISTENT,
						 CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
						 &s)) == CKR_OK) {
			n = fz_find (s, NULL, 0, found, MAX_OBJECTS);
			write_token (s, found, n);
			read_token (s, found);
			fz_check (SPEC_C_CloseSession, fz->C_CloseSession (s));
		}
	} else if (rv != CKR_TOKEN_NOT_PRESENT) {
		fz_fail ("C_GetTokenInfo of the persistent token: rv 0x%lx", (unsigned long)rv);
	}

	/* Whatever the store was, the session token works. */
	if (fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_SESSION, CKF_SERIAL_SESSION, NULL, NULL, &s)) !=
		    CKR_OK ||
	    fz_find (s, NULL, 0, found, MAX_OBJECTS) != 1)
		fz_fail ("the session token does not work beside this store");

	if (fz_check (SPEC_C_Finalize, fz->C_Finalize (NULL)) != CKR_OK)
		fz_fail ("C_Finalize failed");
	remove_store ();
	return 0;
}
