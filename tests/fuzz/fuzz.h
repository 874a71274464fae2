/*
 * Shared by the libFuzzer targets in tests/fuzz: the module's function list
 * from the static archive, a scratch directory for its stores, every call's
 * return code checked against PKCS#11 2.40, the attribute types the module
 * knows, and a scrub that leaves the tokens empty after each input so that
 * one input never changes what the next one does.
 *
 * A failed check aborts, which libFuzzer reports as a crash and saves the
 * input. The module's own log lines go to /dev/null (libFuzzer and the
 * sanitizers keep the real standard error); TF_FUZZ_LOG=1 shows them when
 * reproducing a failure.
 */
#ifndef TF_FUZZ_H
#define TF_FUZZ_H

#include "pkcs11-spec.h"
#include "trustfolder.h"

#include <p11-kit/pkcs11.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static CK_FUNCTION_LIST_PTR fz;
static char fz_dir[512];

static inline void __attribute__ ((noreturn, format (printf, 1, 2)))
fz_fail (const char *fmt, ...)
{
	char line[1024];
	va_list va;

	va_start (va, fmt);
	vsnprintf (line, sizeof (line), fmt, va);
	va_end (va);
	/* Straight to the descriptor: stdio's stderr is the module's log, silenced. */
	dprintf (STDERR_FILENO, "trustfolder fuzz: %s\n", line);
	abort ();
}

/* Checks that the specification allows fn to return rv; returns rv. */
static inline CK_RV
fz_check (spec_fn fn, CK_RV rv)
{
	char buf[32];

	if (!spec_allows (fn, rv))
		fz_fail ("%s returned %s, which PKCS#11 2.40 does not allow it",
			 spec_functions[fn].name, spec_rv_name (rv, buf, sizeof (buf)));
	return rv;
}

/*
 * Once per process: the function list, a scratch directory under TMPDIR
 * (tests/fuzz/run points it at /dev/shm when it can: SQLite syncs every
 * write), and an environment that no outside configuration can change.
 */
static inline void
fz_setup (const char *name)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR) = C_GetFunctionList;
	const char *tmp = getenv ("TMPDIR");

	if (get_list (&fz) != CKR_OK)
		fz_fail ("C_GetFunctionList failed");
	snprintf (fz_dir, sizeof (fz_dir), "%s/tf-%s-XXXXXX",
		  tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", name);
	if (mkdtemp (fz_dir) == NULL)
		fz_fail ("cannot make a directory %s", fz_dir);
	setenv (TF_ENV_CONFIG, "/dev/null", 1);
	unsetenv (TF_ENV_STORE);
	unsetenv (TF_ENV_SESSION);
	if (getenv ("TF_FUZZ_LOG") == NULL) {
		FILE *null = fopen ("/dev/null", "w");

		if (null != NULL)
			stderr = null;
	}
}

/* C_Initialize with a store; OS locking, as NSS asks for it. */
static inline CK_RV
fz_initialize (const char *store)
{
	CK_C_INITIALIZE_ARGS args;
	char params[600];

	memset (&args, 0, sizeof (args));
	snprintf (params, sizeof (params), "store=%s", store);
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	return fz_check (SPEC_C_Initialize, fz->C_Initialize (&args));
}

/* ---- attribute types ------------------------------------------------------ */

typedef enum {
	FZ_BYTES,
	FZ_ULONG,
	FZ_BOOL,
	FZ_DATE,
} fz_kind;

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	fz_kind kind;
} fz_type;

/*
 * Every type the module's schemas (module/write.c) and views name, the
 * vendor types of include/trustfolder.h, and standard types it does not
 * keep (which must be refused or answered CK_UNAVAILABLE_INFORMATION).
 */
static const fz_type fz_types[] = {
	{ CKA_CLASS, FZ_ULONG },
	{ CKA_TOKEN, FZ_BOOL },
	{ CKA_PRIVATE, FZ_BOOL },
	{ CKA_LABEL, FZ_BYTES },
	{ CKA_APPLICATION, FZ_BYTES },
	{ CKA_VALUE, FZ_BYTES },
	{ CKA_OBJECT_ID, FZ_BYTES },
	{ CKA_CERTIFICATE_TYPE, FZ_ULONG },
	{ CKA_ISSUER, FZ_BYTES },
	{ CKA_SERIAL_NUMBER, FZ_BYTES },
	{ CKA_AC_ISSUER, FZ_BYTES },
	{ CKA_OWNER, FZ_BYTES },
	{ CKA_TRUSTED, FZ_BOOL },
	{ CKA_CERTIFICATE_CATEGORY, FZ_ULONG },
	{ CKA_JAVA_MIDP_SECURITY_DOMAIN, FZ_ULONG },
	{ CKA_URL, FZ_BYTES },
	{ CKA_HASH_OF_SUBJECT_PUBLIC_KEY, FZ_BYTES },
	{ CKA_HASH_OF_ISSUER_PUBLIC_KEY, FZ_BYTES },
	{ CKA_NAME_HASH_ALGORITHM, FZ_ULONG },
	{ CKA_CHECK_VALUE, FZ_BYTES },
	{ CKA_KEY_TYPE, FZ_ULONG },
	{ CKA_SUBJECT, FZ_BYTES },
	{ CKA_ID, FZ_BYTES },
	{ CKA_SENSITIVE, FZ_BOOL },
	{ CKA_ENCRYPT, FZ_BOOL },
	{ CKA_SIGN, FZ_BOOL },
	{ CKA_START_DATE, FZ_DATE },
	{ CKA_END_DATE, FZ_DATE },
	{ CKA_PUBLIC_KEY_INFO, FZ_BYTES },
	{ CKA_MODIFIABLE, FZ_BOOL },
	{ CKA_COPYABLE, FZ_BOOL },
	{ CKA_DESTROYABLE, FZ_BOOL },
	{ CKA_ALWAYS_AUTHENTICATE, FZ_BOOL },
	{ CKA_ALLOWED_MECHANISMS, FZ_BYTES },
	{ TF_CKA_UNIQUE_ID, FZ_BYTES },
	{ TF_CKA_PROFILE_ID, FZ_ULONG },
	{ TF_CKA_NSS_EMAIL, FZ_BYTES },
	{ TF_CKA_NSS_MOZILLA_CA_POLICY, FZ_BOOL },
	{ TF_CKA_CERT_SHA1_HASH, FZ_BYTES },
	{ TF_CKA_CERT_MD5_HASH, FZ_BYTES },
	{ TF_CKA_NSS_TRUST_SERVER_AUTH, FZ_ULONG },
	{ TF_CKA_NSS_TRUST_CLIENT_AUTH, FZ_ULONG },
	{ TF_CKA_NSS_TRUST_CODE_SIGNING, FZ_ULONG },
	{ TF_CKA_NSS_TRUST_EMAIL, FZ_ULONG },
	{ TF_CKA_NSS_TRUST_STEP_UP, FZ_BOOL },
	{ TF_CKA_PKCS_TRUST_SERVER_AUTH, FZ_ULONG },
	{ TF_CKA_PKCS_TRUST_CLIENT_AUTH, FZ_ULONG },
	{ TF_CKA_PKCS_TRUST_CODE_SIGNING, FZ_ULONG },
	{ TF_CKA_PKCS_TRUST_EMAIL, FZ_ULONG },
	{ 0x630UL, FZ_ULONG }, /* CKA_TRUST_IPSEC_IKE */
	{ 0x631UL, FZ_ULONG }, /* CKA_TRUST_TIME_STAMPING */
	{ 0x632UL, FZ_ULONG }, /* CKA_TRUST_OCSP_SIGNING */
	{ TF_CKA_HASH_OF_CERTIFICATE, FZ_BYTES },
	{ TF_CKA_X_DISTRUSTED, FZ_BOOL },
	{ TF_CKA_X_ASSERTION_TYPE, FZ_ULONG },
	{ TF_CKA_X_CERTIFICATE_VALUE, FZ_BYTES },
	{ TF_CKA_X_PURPOSE, FZ_BYTES },
	{ TF_CKA_X_PEER, FZ_BYTES },
	{ TF_CKA_X_CRITICAL, FZ_BOOL },
	{ TF_CKA_DECISION_EXPIRES, FZ_ULONG },
	{ TF_CKA_PINNED_HOSTS, FZ_BYTES },
	{ TF_CKA_DECISION_CREATED, FZ_ULONG },
	{ TF_CKA_DECISION_CREATOR, FZ_BYTES },
	{ CKA_VENDOR_DEFINED, FZ_BYTES },
	{ 0x7fffffffUL, FZ_BYTES },
	{ (CK_ATTRIBUTE_TYPE)-1, FZ_BYTES },
};

#define FZ_NTYPES (sizeof (fz_types) / sizeof (fz_types[0]))

static inline fz_kind
fz_kind_of (CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < FZ_NTYPES; i++) {
		if (fz_types[i].type == type)
			return fz_types[i].kind;
	}
	return FZ_BYTES;
}

/* ---- reading back ----------------------------------------------------------- */

/*
 * Reads one object as p11-kit does, checking the C_GetAttributeValue rules
 * (PKCS#11 2.40 section 5.7) on the way: every known type in one call for
 * the lengths, then again with buffers of exactly those lengths (ASan sees a
 * byte written past one), then with every buffer one byte short.
 */
static inline void
fz_read_object (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	CK_ATTRIBUTE a[FZ_NTYPES];
	CK_ULONG len[FZ_NTYPES];
	CK_ULONG size, n = FZ_NTYPES, i;
	bool any_short = false;
	CK_RV rv;

	fz_check (SPEC_C_GetObjectSize, fz->C_GetObjectSize (s, h, &size));
	for (i = 0; i < n; i++) {
		a[i].type = fz_types[i].type;
		a[i].pValue = NULL;
		a[i].ulValueLen = 0;
	}
	rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, n));
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return;
	for (i = 0; i < n; i++) {
		len[i] = a[i].ulValueLen;
		if (len[i] != CK_UNAVAILABLE_INFORMATION && len[i] > 64 * 1024 * 1024)
			fz_fail ("attribute 0x%lx: a length of %lu", (unsigned long)a[i].type,
				 (unsigned long)len[i]);
		if (len[i] == CK_UNAVAILABLE_INFORMATION) {
			a[i].ulValueLen = 0;
			continue;
		}
		a[i].pValue = malloc (len[i] ? len[i] : 1);
		if (a[i].pValue == NULL)
			fz_fail ("out of memory");
	}
	if (rv == CKR_OK)
		for (i = 0; i < n; i++) {
			if (len[i] == CK_UNAVAILABLE_INFORMATION)
				fz_fail ("attribute 0x%lx: unavailable, yet CKR_OK",
					 (unsigned long)a[i].type);
		}

	rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, n));
	for (i = 0; i < n; i++) {
		if (a[i].pValue == NULL) {
			if (a[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
				fz_fail ("attribute 0x%lx: unavailable, then of length %lu",
					 (unsigned long)a[i].type, (unsigned long)a[i].ulValueLen);
			continue;
		}
		if (a[i].ulValueLen != len[i])
			fz_fail ("attribute 0x%lx: a length query said %lu, reading it gave %lu",
				 (unsigned long)a[i].type, (unsigned long)len[i],
				 (unsigned long)a[i].ulValueLen);
	}
	if (rv == CKR_BUFFER_TOO_SMALL)
		fz_fail ("CKR_BUFFER_TOO_SMALL with buffers of the lengths asked for");

	for (i = 0; i < n; i++) {
		if (a[i].pValue == NULL)
			continue;
		a[i].ulValueLen = len[i] > 0 ? len[i] - 1 : 0;
		any_short = any_short || len[i] > 0;
	}
	rv = fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, h, a, n));
	if (any_short && rv != CKR_BUFFER_TOO_SMALL && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		fz_fail ("buffers one byte short: rv 0x%lx", (unsigned long)rv);
	for (i = 0; i < n; i++) {
		if (a[i].pValue != NULL && len[i] > 0 &&
		    a[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			fz_fail ("attribute 0x%lx: a buffer one byte short left length %lu",
				 (unsigned long)a[i].type, (unsigned long)a[i].ulValueLen);
		free (a[i].pValue);
	}
}

/* Every object a template finds, up to max; returns how many. */
static inline CK_ULONG
fz_find (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
	 CK_ULONG max)
{
	CK_ULONG got = 0, total = 0, i;
	CK_RV rv;

	rv = fz_check (SPEC_C_FindObjectsInit, fz->C_FindObjectsInit (s, tmpl, n));
	if (rv != CKR_OK)
		return 0;
	while (total < max) {
		rv = fz_check (SPEC_C_FindObjects,
			       fz->C_FindObjects (s, out + total, max - total, &got));
		if (rv != CKR_OK || got == 0)
			break;
		if (got > max - total)
			fz_fail ("C_FindObjects handed out %lu handles for room for %lu",
				 (unsigned long)got, (unsigned long)(max - total));
		for (i = 0; i < got; i++) {
			if (out[total + i] == CK_INVALID_HANDLE)
				fz_fail ("C_FindObjects handed out handle 0");
		}
		total += got;
	}
	fz_check (SPEC_C_FindObjectsFinal, fz->C_FindObjectsFinal (s));
	return total;
}

/* ---- between inputs ----------------------------------------------------------- */

/* Destroys what a template finds (the profile aside); returns how many it tried. */
static inline CK_ULONG
fz_destroy_found (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE found[256];
	CK_OBJECT_CLASS klass;
	CK_ATTRIBUTE a = { CKA_CLASS, &klass, sizeof (klass) };
	CK_ULONG count, i, others = 0;

	count = fz_find (s, tmpl, n, found, 256);
	for (i = 0; i < count; i++) {
		if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, found[i], &a, 1)) ==
			    CKR_OK &&
		    klass == TF_CKO_PROFILE)
			continue;
		others++;
		fz_check (SPEC_C_DestroyObject, fz->C_DestroyObject (s, found[i]));
	}
	return others;
}

/*
 * Destroys every object but the profile on both tokens, so that the next
 * input starts from empty tokens: certificates first (each takes its record
 * and every view of it along), then whatever is left. An object that
 * survives several rounds of C_DestroyObject is a bug: the module would carry
 * state from one input to the next, and a client could never clean up.
 */
static inline void
fz_scrub (void)
{
	static const CK_SLOT_ID slots[] = { TF_SLOT_PERSISTENT, TF_SLOT_SESSION };
	static const CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
	CK_ATTRIBUTE certs = { CKA_CLASS, (void *)&cert, sizeof (cert) };
	CK_SESSION_HANDLE s;
	CK_ULONG left;
	size_t k;
	int round;

	for (k = 0; k < sizeof (slots) / sizeof (slots[0]); k++) {
		if (fz_check (SPEC_C_OpenSession,
			      fz->C_OpenSession (slots[k], CKF_SERIAL_SESSION | CKF_RW_SESSION,
						 NULL, NULL, &s)) != CKR_OK)
			continue;
		for (round = 0;; round++) {
			left = fz_destroy_found (s, &certs, 1);
			left += fz_destroy_found (s, NULL, 0);
			if (left == 0)
				break;
			if (round == 8)
				fz_fail ("slot %lu: %lu objects survive C_DestroyObject",
					 (unsigned long)slots[k], (unsigned long)left);
		}
		fz_check (SPEC_C_CloseSession, fz->C_CloseSession (s));
	}
}

#endif /* TF_FUZZ_H */
