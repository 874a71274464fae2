/*
 * libFuzzer target: certificate DER from the input, through C_CreateObject.
 *
 * The input is the whole of CKA_VALUE of a CKO_CERTIFICATE (as certutil -A,
 * trust anchor --store and p11tool --write send it) and of
 * CKA_X_CERTIFICATE_VALUE of p11-kit's and gcr's trust assertions. Whatever
 * the module accepts is then read back through every view it derives, found
 * by the keys NSS finds by, changed and destroyed; whatever it refuses must be
 * refused with a code the specification allows.
 *
 * Objects are session objects where possible (no store write), one persistent
 * write per accepted certificate; the tokens are empty again after each
 * input. Seeds: tests/fuzz/corpus/fuzz-cert (the fixtures' certificates).
 */
#include "fuzz.h"

static char store[600];

/* The OIDs p11-kit names purposes by (no NUL), and a peer as gcr sends it. */
static const char server_auth[] = "1.3.6.1.5.5.7.3.1";
static const char email[] = "1.3.6.1.5.5.7.3.4";
static const char peer[] = "www.example.test:443";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fz_setup ("cert");
	snprintf (store, sizeof (store), "%s/trustfolder.db", fz_dir);
	if (fz_initialize (store) != CKR_OK)
		fz_fail ("C_Initialize failed");
	return 0;
}

/* Reads every object a session can see that the input made, and finds them again. */
static void
read_views (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE cert)
{
	CK_OBJECT_HANDLE found[64];
	unsigned char issuer[4096], serial[1024], subject[4096];
	CK_ATTRIBUTE keys[] = {
		{ CKA_ISSUER, issuer, sizeof (issuer) },
		{ CKA_SERIAL_NUMBER, serial, sizeof (serial) },
		{ CKA_SUBJECT, subject, sizeof (subject) },
	};
	CK_ULONG n, i;

	n = fz_find (s, NULL, 0, found, 64);
	for (i = 0; i < n; i++)
		fz_read_object (s, found[i]);
	if (cert == CK_INVALID_HANDLE)
		return;

	/* NSS's lookups: issuer + serial (DER, then raw), subject. */
	if (fz_check (SPEC_C_GetAttributeValue, fz->C_GetAttributeValue (s, cert, keys, 3)) !=
	    CKR_OK)
		return;
	n = fz_find (s, keys, 2, found, 64);
	if (n == 0)
		fz_fail ("a certificate is not found by its own issuer and serial number");
	if (keys[1].ulValueLen > 2 && serial[1] < 0x80) {
		CK_ATTRIBUTE raw[] = {
			keys[0],
			{ CKA_SERIAL_NUMBER, serial + 2, keys[1].ulValueLen - 2 },
		};
		fz_find (s, raw, 2, found, 64);
	}
	fz_find (s, keys + 2, 1, found, 64);
}

/* A certificate object with the input as its value; CKA_TOKEN and trust as given. */
static CK_RV
create_cert (CK_SESSION_HANDLE s, const uint8_t *data, size_t size, CK_BBOOL token,
	     CK_ATTRIBUTE_TYPE trust_type, CK_OBJECT_HANDLE *h)
{
	static const CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	static const CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&klass, sizeof (klass) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, &token, sizeof (token) },
		{ CKA_VALUE, (void *)data, size },
		{ trust_type, (void *)&yes, sizeof (yes) },
	};

	return fz_check (SPEC_C_CreateObject,
			 fz->C_CreateObject (s, tmpl, trust_type ? 5 : 4, h));
}

/* A p11-kit / gcr trust assertion for the input: anchored, pinned or distrusted. */
static CK_RV
create_assertion (CK_SESSION_HANDLE s, const uint8_t *data, size_t size, CK_ULONG kind,
		  const char *purpose, CK_BBOOL token, CK_OBJECT_HANDLE *h)
{
	static const CK_OBJECT_CLASS klass = TF_CKO_X_TRUST_ASSERTION;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&klass, sizeof (klass) },
		{ TF_CKA_X_ASSERTION_TYPE, &kind, sizeof (kind) },
		{ TF_CKA_X_CERTIFICATE_VALUE, (void *)data, size },
		{ TF_CKA_X_PURPOSE, (void *)purpose, strlen (purpose) },
		{ CKA_TOKEN, &token, sizeof (token) },
		{ TF_CKA_X_PEER, (void *)peer, sizeof (peer) - 1 },
	};

	return fz_check (SPEC_C_CreateObject,
			 fz->C_CreateObject (s, tmpl, kind == TF_CKT_X_PINNED_CERTIFICATE ? 6 : 5,
					     h));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_SESSION_HANDLE s1, s2;
	CK_OBJECT_HANDLE cert = 0, h = 0, copy = 0;
	CK_ATTRIBUTE trusted = { CKA_TRUSTED, (void *)&yes, sizeof (yes) };
	CK_ATTRIBUTE label = { CKA_LABEL, "fuzzed", 6 };
	CK_ATTRIBUTE to_token = { CKA_TOKEN, (void *)&yes, sizeof (yes) };
	bool accepted;

	if (fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION,
					 NULL, NULL, &s1)) != CKR_OK ||
	    fz_check (SPEC_C_OpenSession,
		      fz->C_OpenSession (TF_SLOT_SESSION, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
					 NULL, &s2)) != CKR_OK)
		fz_fail ("cannot open sessions");

	/*
	 * A session object: everything the module derives from the DER, after
	 * trust anchor --store marked it (so that the trust views exist too).
	 */
	accepted = create_cert (s1, data, size, no, 0, &cert) == CKR_OK;
	if (accepted) {
		if (cert == CK_INVALID_HANDLE)
			fz_fail ("C_CreateObject returned CKR_OK and handle 0");
		fz_check (SPEC_C_SetAttributeValue, fz->C_SetAttributeValue (s1, cert, &trusted, 1));
		fz_check (SPEC_C_SetAttributeValue, fz->C_SetAttributeValue (s1, cert, &label, 1));
		read_views (s1, cert);
		/* Into the persistent store, and out again. */
		if (fz_check (SPEC_C_CopyObject,
			      fz->C_CopyObject (s1, cert, &to_token, 1, &copy)) == CKR_OK) {
			fz_read_object (s1, copy);
			fz_check (SPEC_C_DestroyObject, fz->C_DestroyObject (s1, copy));
		}
	}

	/* The same DER as a p11tool --mark-distrusted token object of the memory token. */
	if (create_cert (s2, data, size, yes, TF_CKA_X_DISTRUSTED, &h) == CKR_OK) {
		if (!accepted)
			fz_fail ("a DER refused as a session object is accepted as a token one");
		fz_check (SPEC_C_DestroyObject, fz->C_DestroyObject (s2, h));
	} else if (accepted) {
		fz_fail ("a DER accepted as a session object is refused as a token one");
	}

	/* As CKA_X_CERTIFICATE_VALUE of every kind of trust assertion (session objects). */
	create_assertion (s2, data, size, TF_CKT_X_ANCHORED_CERTIFICATE, server_auth, no, &h);
	create_assertion (s2, data, size, TF_CKT_X_PINNED_CERTIFICATE, server_auth, no, &h);
	create_assertion (s2, data, size, TF_CKT_X_DISTRUSTED_CERTIFICATE, email, no, &h);
	read_views (s2, CK_INVALID_HANDLE);

	fz_check (SPEC_C_CloseSession, fz->C_CloseSession (s1));
	fz_check (SPEC_C_CloseSession, fz->C_CloseSession (s2));
	fz_scrub ();
	return 0;
}
