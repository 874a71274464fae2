/*
 * The entry points, driven through C_GetFunctionList from the static archive,
 * as a client would: tokens, the certificate and NSS trust views of one
 * record, the exact C_GetAttributeValue rules, searches, session objects,
 * bad input (each refused with its code and nothing changed), persistence,
 * fork, a damaged store.
 */
#include "unit.h"

#include "trustfolder.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static CK_FUNCTION_LIST_PTR f;
static char dir[256];
static char store[300];
static char params[400];
static CK_C_INITIALIZE_ARGS init_args;

/* Reports failures at the caller's line: assert_rv (rv, CKR_OK). */
#define assert_rv(got, want) assert_int_equal ((unsigned long)(got), (unsigned long)(want))

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
static const CK_OBJECT_CLASS nss_trust_class = TF_CKO_NSS_TRUST;
static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;

typedef struct {
	unsigned char *der;
	size_t len;
	unsigned char subject[512], issuer[512], serial[64];
	CK_ULONG subject_len, issuer_len, serial_len;
	unsigned char sha1[20], md5[16];
} cert;

static cert ca, server;

static void
init_module (void)
{
	memset (&init_args, 0, sizeof (init_args));
	init_args.flags = CKF_OS_LOCKING_OK;
	init_args.pReserved = params;
	assert_rv (f->C_Initialize (&init_args), CKR_OK);
}

static CK_SESSION_HANDLE
open_rw (CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s = 0;

	assert_rv (f->C_OpenSession (slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s),
		   CKR_OK);
	assert_true (s != 0);
	return s;
}

/* The number of objects a template finds. */
static CK_ULONG
count (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE found[64];
	CK_ULONG got = 0, total = 0;

	assert_rv (f->C_FindObjectsInit (s, tmpl, n), CKR_OK);
	do {
		assert_rv (f->C_FindObjects (s, found, 64, &got), CKR_OK);
		total += got;
	} while (got > 0);
	assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
	return total;
}

static CK_OBJECT_HANDLE
find_one (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE found[2];
	CK_ULONG got = 0;

	assert_rv (f->C_FindObjectsInit (s, tmpl, n), CKR_OK);
	assert_rv (f->C_FindObjects (s, found, 2, &got), CKR_OK);
	assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
	assert_int_equal (got, 1);
	return found[0];
}

static CK_ULONG
all_objects (CK_SESSION_HANDLE s)
{
	return count (s, NULL, 0);
}

static CK_RV
create_cert (CK_SESSION_HANDLE s, const cert *c, const char *label, CK_BBOOL token,
	     CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, &token, sizeof (token) },
		{ CKA_VALUE, c->der, c->len },
		{ CKA_LABEL, (void *)label, label ? strlen (label) : 0 },
	};

	return f->C_CreateObject (s, tmpl, label ? 5 : 4, h);
}

static CK_RV
create_trust (CK_SESSION_HANDLE s, const cert *c, const unsigned char *sha1, CK_ULONG server_auth,
	      CK_OBJECT_HANDLE *h)
{
	CK_ULONG client = TF_CKT_NSS_MUST_VERIFY_TRUST, other = TF_CKT_NSS_MUST_VERIFY_TRUST;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&nss_trust_class, sizeof (nss_trust_class) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)c->issuer, c->issuer_len },
		{ CKA_SERIAL_NUMBER, (void *)c->serial, c->serial_len },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &server_auth, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &client, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &other, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &other, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_STEP_UP, (void *)&no, sizeof (no) },
		{ TF_CKA_CERT_SHA1_HASH, (void *)sha1, 20 },
	};

	return f->C_CreateObject (s, tmpl, sha1 ? 10 : 9, h);
}

/* Reads one attribute into buf; returns its length. */
static CK_ULONG
get (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG len)
{
	CK_ATTRIBUTE a = { type, buf, len };

	assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OK);
	return a.ulValueLen;
}

static CK_ULONG
get_ulong (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG v = 0;

	assert_int_equal (get (s, h, type, &v, sizeof (v)), sizeof (v));
	return v;
}

/* ---- fixtures: the certificates and what their fields are -------------- */

static void
load_cert (cert *c, const char *name)
{
	char path[512];
	char cmd[1200];
	FILE *p;
	unsigned char *der;
	size_t len;

	snprintf (path, sizeof (path), "%s/%s", TF_FIXTURES, name);
	c->der = unit_read_file (path, &len);
	c->len = len;

	/* Field bytes computed independently of the module: openssl asn1parse offsets. */
	snprintf (cmd, sizeof (cmd),
		  "openssl x509 -inform DER -in %s -noout -subject -nameopt RFC2253 >/dev/null && "
		  "openssl sha1 -binary %s",
		  path, path);
	p = popen (cmd, "r");
	assert_non_null (p);
	assert_int_equal (fread (c->sha1, 1, 20, p), 20);
	pclose (p);
	snprintf (cmd, sizeof (cmd), "openssl md5 -binary %s", path);
	p = popen (cmd, "r");
	assert_non_null (p);
	assert_int_equal (fread (c->md5, 1, 16, p), 16);
	pclose (p);

	/* tbsCertificate: version [0], serial, sigalg, issuer, validity, subject. */
	der = c->der;
	{
		size_t off = 0, l;
		unsigned char *q;
		int i;

		/* Skip the outer SEQUENCE and the tbs SEQUENCE headers. */
		for (i = 0; i < 2; i++) {
			q = der + off;
			off += (q[1] & 0x80) ? 2 + (q[1] & 0x7f) : 2;
		}
		/* A TLV's total length at der + off. */
#define TLV_LEN(p) (((p)[1] & 0x80) ? ({                                                      \
			size_t _n = (p)[1] & 0x7f, _l = 0, _k;                                 \
			for (_k = 0; _k < _n; _k++)                                           \
				_l = (_l << 8) | (p)[2 + _k];                                  \
			2 + _n + _l;                                                          \
		})                                                                            \
				    : (size_t)2 + (p)[1])
		if (der[off] == 0xa0)
			off += TLV_LEN (der + off);
		l = TLV_LEN (der + off);
		memcpy (c->serial, der + off, l);
		c->serial_len = l;
		off += l;
		off += TLV_LEN (der + off); /* signature algorithm */
		l = TLV_LEN (der + off);
		memcpy (c->issuer, der + off, l);
		c->issuer_len = l;
		off += l;
		off += TLV_LEN (der + off); /* validity */
		l = TLV_LEN (der + off);
		memcpy (c->subject, der + off, l);
		c->subject_len = l;
	}
}

static int
setup (void **state)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR) = C_GetFunctionList;

	strcpy (dir, "/tmp/tf-entry-XXXXXX");
	assert_non_null (mkdtemp (dir));
	snprintf (store, sizeof (store), "%s/sub/trustfolder.db", dir);
	snprintf (params, sizeof (params), "store=%s", store);
	assert_rv (get_list (&f), CKR_OK);
	init_module ();
	return 0;
}

static int
teardown (void **state)
{
	char cmd[300];

	f->C_Finalize (NULL);
	snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
	assert_int_equal (system (cmd), 0);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_not_initialized (void **state)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_INFO info;
	CK_SESSION_HANDLE s;

	f->C_Finalize (NULL);
	assert_rv (f->C_GetSlotList (CK_FALSE, slots, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_GetInfo (&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_OpenSession (1, CKF_SERIAL_SESSION, NULL, NULL, &s),
		   CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_FindObjectsInit (1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_SeedRandom (1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_EncryptInit (1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_rv (f->C_Finalize (NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	init_module ();
	assert_rv (f->C_Initialize (NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_rv (f->C_Finalize ((void *)1), CKR_ARGUMENTS_BAD);
}

static void
test_bad_parameters (void **state)
{
	CK_C_INITIALIZE_ARGS args = { 0 };

	f->C_Finalize (NULL);
	args.pReserved = "nonsense=1";
	assert_rv (f->C_Initialize (&args), CKR_ARGUMENTS_BAD);
	args.pReserved = "store";
	assert_rv (f->C_Initialize (&args), CKR_ARGUMENTS_BAD);
	args.pReserved = NULL;
	args.CreateMutex = (CK_CREATEMUTEX)1; /* some callbacks but not all */
	assert_rv (f->C_Initialize (&args), CKR_ARGUMENTS_BAD);
	init_module ();
}

static void
test_slots_and_tokens (void **state)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_INFO info;
	CK_MECHANISM_TYPE mechs[2];

	assert_rv (f->C_GetSlotList (CK_TRUE, NULL, &n), CKR_OK);
	assert_int_equal (n, 2);
	n = 1;
	assert_rv (f->C_GetSlotList (CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (n, 2);
	assert_rv (f->C_GetSlotList (CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal (slots[0], TF_SLOT_PERSISTENT);
	assert_int_equal (slots[1], TF_SLOT_SESSION);

	assert_rv (f->C_GetSlotInfo (TF_SLOT_PERSISTENT, &si), CKR_OK);
	assert_int_equal (si.flags, CKF_TOKEN_PRESENT); /* not removable, not hardware */
	assert_rv (f->C_GetSlotInfo (99, &si), CKR_SLOT_ID_INVALID);

	assert_rv (f->C_GetTokenInfo (TF_SLOT_PERSISTENT, &ti), CKR_OK);
	assert_memory_equal (ti.label, "Trust Folder                    ", 32);
	assert_int_equal (ti.flags, CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED);
	assert_rv (f->C_GetTokenInfo (TF_SLOT_SESSION, &ti), CKR_OK);
	assert_memory_equal (ti.label, "Trust Folder Session            ", 32);

	assert_rv (f->C_GetInfo (&info), CKR_OK);
	assert_int_equal (info.cryptokiVersion.major, 2);
	assert_int_equal (info.cryptokiVersion.minor, 40);
	assert_memory_equal (info.libraryDescription, "trustfolder trust store", 23);

	/* pkcs11-tool -M passes a buffer even when there is nothing. */
	n = 2;
	assert_rv (f->C_GetMechanismList (TF_SLOT_PERSISTENT, mechs, &n), CKR_OK);
	assert_int_equal (n, 0);
	assert_rv (f->C_WaitForSlotEvent (0, slots, NULL), CKR_FUNCTION_NOT_SUPPORTED);
}

static void
test_profile_and_nss_probes (void **state)
{
	CK_OBJECT_CLASS profile = TF_CKO_PROFILE, builtin = TF_CKO_NSS_BUILTIN_ROOT_LIST;
	CK_ATTRIBUTE friendly[] = { { CKA_TOKEN, (void *)&yes, 1 },
				    { CKA_CLASS, &profile, sizeof (profile) } };
	CK_ATTRIBUTE roots[] = { { CKA_CLASS, &builtin, sizeof (builtin) } };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_SLOT_ID slot;

	for (slot = TF_SLOT_PERSISTENT; slot <= TF_SLOT_SESSION; slot++) {
		assert_rv (f->C_OpenSession (slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
		h = find_one (s, friendly, 2);
		assert_int_equal (get_ulong (s, h, TF_CKA_PROFILE_ID),
				  TF_CKP_PUBLIC_CERTIFICATES_TOKEN);
		assert_int_equal (count (s, roots, 1), 0);
		assert_rv (f->C_DestroyObject (s, h), CKR_ACTION_PROHIBITED);
		assert_rv (f->C_SeedRandom (s, (CK_BYTE_PTR) "x", 1), CKR_RANDOM_NO_RNG);
		assert_rv (f->C_CloseSession (s), CKR_OK);
	}
}

/* certutil -A, then the trust object; both views read back as NSS reads them. */
static void
test_cert_and_trust_views (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c, t, t2;
	unsigned char buf[2048];
	CK_ULONG server_auth = 0, trust_sha1_len;
	unsigned char sha1[20];
	CK_BBOOL step_up = 9;
	CK_ULONG nss_ro = 0;
	unsigned char raw_serial[64];

	assert_rv (create_cert (s, &ca, "my ca", CK_TRUE, &c), CKR_OK);
	/* Derived from CKA_VALUE. */
	assert_int_equal (get (s, c, CKA_SUBJECT, buf, sizeof (buf)), ca.subject_len);
	assert_memory_equal (buf, ca.subject, ca.subject_len);
	assert_int_equal (get (s, c, CKA_ISSUER, buf, sizeof (buf)), ca.issuer_len);
	assert_memory_equal (buf, ca.issuer, ca.issuer_len);
	assert_int_equal (get (s, c, CKA_SERIAL_NUMBER, buf, sizeof (buf)), ca.serial_len);
	assert_memory_equal (buf, ca.serial, ca.serial_len);
	assert_int_equal (get (s, c, CKA_ID, buf, sizeof (buf)), 20);
	assert_int_equal (get (s, c, CKA_LABEL, buf, sizeof (buf)), 5);
	assert_memory_equal (buf, "my ca", 5);

	assert_rv (create_trust (s, &ca, ca.sha1, TF_CKT_NSS_TRUSTED_DELEGATOR, &t), CKR_OK);
	assert_int_equal (get_ulong (s, t, CKA_CLASS), TF_CKO_NSS_TRUST);
	assert_int_equal (get_ulong (s, t, TF_CKA_NSS_TRUST_SERVER_AUTH),
			  TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (get_ulong (s, t, TF_CKA_NSS_TRUST_CLIENT_AUTH),
			  TF_CKT_NSS_MUST_VERIFY_TRUST);

	/* NSS's read: one call, pre-sized buffers. */
	{
		CK_BBOOL token = 0;
		CK_ATTRIBUTE a[] = {
			{ CKA_TOKEN, &token, 1 },
			{ TF_CKA_NSS_TRUST_SERVER_AUTH, &server_auth, sizeof (CK_ULONG) },
			{ TF_CKA_NSS_TRUST_STEP_UP, &step_up, 1 },
			{ TF_CKA_CERT_SHA1_HASH, sha1, 20 },
		};
		assert_rv (f->C_GetAttributeValue (s, t, a, 4), CKR_OK);
		assert_int_equal (token, CK_TRUE);
		assert_int_equal (server_auth, TF_CKT_NSS_TRUSTED_DELEGATOR);
		assert_int_equal (step_up, CK_FALSE);
		assert_memory_equal (sha1, ca.sha1, 20);
		trust_sha1_len = a[3].ulValueLen;
		assert_int_equal (trust_sha1_len, 20);
	}

	/* NSS finds trust by issuer and serial, DER first, then raw. */
	{
		size_t hdr = (ca.serial[1] & 0x80) ? 2 + (ca.serial[1] & 0x7f) : 2;
		CK_ATTRIBUTE q[] = {
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_CLASS, (void *)&nss_trust_class, sizeof (CK_OBJECT_CLASS) },
			{ CKA_ISSUER, ca.issuer, ca.issuer_len },
			{ CKA_SERIAL_NUMBER, ca.serial, ca.serial_len },
		};
		assert_int_equal (find_one (s, q, 4), t);
		memcpy (raw_serial, ca.serial + hdr, ca.serial_len - hdr);
		q[3].pValue = raw_serial;
		q[3].ulValueLen = ca.serial_len - hdr;
		assert_int_equal (find_one (s, q, 4), t);
	}

	/* certutil -M re-creates the trust object: the same record, updated. */
	assert_rv (create_trust (s, &ca, ca.sha1, TF_CKT_NSS_NOT_TRUSTED, &t2), CKR_OK);
	assert_int_equal (t2, t);
	assert_int_equal (get_ulong (s, t, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_NOT_TRUSTED);
	{
		CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_trust_class, sizeof (CK_ULONG) } };
		assert_int_equal (count (s, q, 1), 1);
	}

	/* The certificate asked for NSS's CA policy: not ours to answer. */
	{
		CK_ATTRIBUTE a = { TF_CKA_NSS_MOZILLA_CA_POLICY, &nss_ro, sizeof (nss_ro) };
		assert_rv (f->C_GetAttributeValue (s, c, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID);
		assert_int_equal (a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	}

	/* Destroying the trust view resets the decision; the certificate stays. */
	assert_rv (f->C_DestroyObject (s, t), CKR_OK);
	{
		CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_trust_class, sizeof (CK_ULONG) } };
		CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
		assert_int_equal (count (s, q, 1), 0);
		assert_int_equal (count (s, qc, 1), 1);
	}
	/* Destroying the certificate takes the record. */
	assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	assert_int_equal (all_objects (s), 1); /* the profile */
	assert_rv (f->C_DestroyObject (s, c), CKR_OBJECT_HANDLE_INVALID);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* C_GetAttributeValue: unknown types and short buffers, the others still filled. */
static void
test_get_attribute_rules (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c;
	CK_OBJECT_CLASS klass = 0;
	unsigned char small[4], value[4096];
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ 0x7fff1234UL, value, sizeof (value) },
		{ CKA_VALUE, small, sizeof (small) },
		{ CKA_SUBJECT, NULL, 0 },
	};

	assert_rv (create_cert (s, &server, NULL, CK_TRUE, &c), CKR_OK);
	assert_rv (f->C_GetAttributeValue (s, c, a, 4), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal (klass, CKO_CERTIFICATE);
	assert_int_equal (a[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal (a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal (a[3].ulValueLen, server.subject_len);

	/* A client resets the lengths it lost to CK_UNAVAILABLE_INFORMATION. */
	a[1].type = CKA_LABEL;
	a[1].ulValueLen = sizeof (value);
	a[2].ulValueLen = sizeof (small);
	assert_rv (f->C_GetAttributeValue (s, c, a, 4), CKR_BUFFER_TOO_SMALL);
	/* No label given: derived from the subject's common name. */
	assert_true (a[1].ulValueLen > 0 && a[1].ulValueLen != CK_UNAVAILABLE_INFORMATION);

	assert_rv (f->C_GetAttributeValue (s, c, NULL, 1), CKR_ARGUMENTS_BAD);
	assert_rv (f->C_GetAttributeValue (s, c + 1000000, a, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_rv (f->C_GetAttributeValue (s + 99, c, a, 1), CKR_SESSION_HANDLE_INVALID);
	assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* Each bad input gets its code, and nothing in the token changes. */
static void
test_bad_input (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE h, c;
	CK_ULONG before;
	unsigned char wrong[20];
	cert bad;
	CK_OBJECT_CLASS unknown_class = CKO_SECRET_KEY;
	CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED;

	assert_rv (create_cert (s, &ca, "ca", CK_TRUE, &c), CKR_OK);
	before = all_objects (s);

	/* Malformed DER (a truncated certificate), and a good one followed by a byte. */
	memset (&bad, 0, sizeof (bad));
	{
		static const char *const files[] = { "malformed.der", "trailing.der" };
		char path[512];
		size_t len, i;

		for (i = 0; i < 2; i++) {
			snprintf (path, sizeof (path), "%s/%s", TF_FIXTURES, files[i]);
			bad.der = unit_read_file (path, &len);
			bad.len = len;
			assert_rv (create_cert (s, &bad, "bad", CK_TRUE, &h),
				   CKR_ATTRIBUTE_VALUE_INVALID);
			free (bad.der);
		}
	}

	/* A subject that contradicts the DER. */
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
			{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_VALUE, server.der, server.len },
			{ CKA_SUBJECT, ca.subject, ca.subject_len },
		};
		assert_rv (f->C_CreateObject (s, tmpl, 5, &h), CKR_TEMPLATE_INCONSISTENT);
	}

	/* Positive trust with a wrong hash. */
	memcpy (wrong, ca.sha1, 20);
	wrong[0] ^= 0xff;
	assert_rv (create_trust (s, &ca, wrong, TF_CKT_NSS_TRUSTED_DELEGATOR, &h),
		   CKR_ATTRIBUTE_VALUE_INVALID);
	/* Positive trust for a certificate the token does not hold, with no hash. */
	assert_rv (create_trust (s, &server, NULL, TF_CKT_NSS_TRUSTED, &h),
		   CKR_TEMPLATE_INCOMPLETE);

	/* An unknown class, a missing class, an unknown attribute. */
	{
		CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &unknown_class, sizeof (unknown_class) },
					{ CKA_TOKEN, (void *)&yes, 1 } };
		assert_rv (f->C_CreateObject (s, tmpl, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
		assert_rv (f->C_CreateObject (s, tmpl + 1, 1, &h), CKR_TEMPLATE_INCOMPLETE);
	}
	{
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
			{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_VALUE, server.der, server.len },
			{ CKA_SIGN, (void *)&yes, 1 },
		};
		assert_rv (f->C_CreateObject (s, tmpl, 5, &h), CKR_ATTRIBUTE_TYPE_INVALID);
		tmpl[4].type = CKA_PRIVATE;
		assert_rv (f->C_CreateObject (s, tmpl, 5, &h), CKR_ATTRIBUTE_VALUE_INVALID);
		/* A NULL value with a length; a boolean of the wrong size. */
		tmpl[3].pValue = NULL;
		assert_rv (f->C_CreateObject (s, tmpl, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
		tmpl[3].pValue = server.der;
		tmpl[2].ulValueLen = 4;
		assert_rv (f->C_CreateObject (s, tmpl, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	}
	/* A NULL template pointer. */
	assert_rv (f->C_CreateObject (s, NULL, 3, &h), CKR_ARGUMENTS_BAD);
	assert_rv (f->C_FindObjectsInit (s, NULL, 3), CKR_ARGUMENTS_BAD);
	/* A trust value NSS does not know. */
	{
		CK_ULONG odd = 0x12345;
		assert_rv (create_trust (s, &ca, ca.sha1, odd, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	}
	/* Changing what the DER fixes. */
	{
		CK_ATTRIBUTE a = { CKA_VALUE, server.der, server.len };
		CK_OBJECT_CLASS other = TF_CKO_NSS_TRUST;
		CK_ATTRIBUTE b = { CKA_CLASS, &other, sizeof (other) };
		assert_rv (f->C_SetAttributeValue (s, c, &a, 1), CKR_ATTRIBUTE_READ_ONLY);
		assert_rv (f->C_SetAttributeValue (s, c, &b, 1), CKR_ATTRIBUTE_READ_ONLY);
	}
	assert_int_equal (all_objects (s), before);

	/* A read-only session may not write token objects. */
	{
		CK_SESSION_HANDLE ro;
		assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL,
					     &ro),
			   CKR_OK);
		assert_rv (create_trust (ro, &ca, NULL, distrust, &h), CKR_SESSION_READ_ONLY);
		assert_rv (f->C_DestroyObject (ro, c), CKR_SESSION_READ_ONLY);
		assert_rv (f->C_CloseSession (ro), CKR_OK);
	}
	assert_int_equal (all_objects (s), before);
	assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* A distrust record for a certificate held elsewhere: issuer + serial, no hash. */
static void
test_distrust_without_certificate (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE t;
	CK_ATTRIBUTE sha1 = { TF_CKA_CERT_SHA1_HASH, NULL, 0 };
	CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };

	assert_rv (create_trust (s, &server, NULL, TF_CKT_NSS_NOT_TRUSTED, &t), CKR_OK);
	assert_int_equal (get_ulong (s, t, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_NOT_TRUSTED);
	/* No hash: it applies to any certificate with that issuer and serial. */
	assert_rv (f->C_GetAttributeValue (s, t, &sha1, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal (count (s, qc, 1), 0);
	/* The certificate arriving later joins the same record. */
	{
		CK_OBJECT_HANDLE c;
		assert_rv (create_cert (s, &server, "server", CK_TRUE, &c), CKR_OK);
		assert_int_equal (c >> 8, t >> 8);
		assert_int_equal (get_ulong (s, t, TF_CKA_NSS_TRUST_SERVER_AUTH),
				  TF_CKT_NSS_NOT_TRUSTED);
		assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	}
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* CKA_TOKEN=FALSE objects: seen by every session, gone with their own. */
static void
test_session_objects (void **state)
{
	CK_SESSION_HANDLE a = open_rw (TF_SLOT_SESSION), b = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE c, copy;
	CK_ATTRIBUTE tok_false[] = { { CKA_TOKEN, (void *)&no, 1 } };
	CK_ATTRIBUTE tok_true[] = { { CKA_TOKEN, (void *)&yes, 1 },
				    { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_ULONG size = 0;

	assert_rv (create_cert (a, &ca, "temp", CK_FALSE, &c), CKR_OK);
	assert_int_equal (count (b, tok_false, 1), 1);
	assert_int_equal (count (b, tok_true, 2), 0);
	assert_rv (f->C_GetObjectSize (b, c, &size), CKR_OK);
	assert_true (size >= ca.len);
	/* A copy into the token. */
	assert_rv (f->C_CopyObject (a, c, tok_true, 1, &copy), CKR_OK);
	assert_true (copy != c);
	assert_int_equal (count (b, tok_true, 2), 1);
	assert_rv (f->C_CloseSession (a), CKR_OK);
	assert_int_equal (count (b, tok_false, 1), 0);
	assert_int_equal (count (b, tok_true, 2), 1);
	assert_rv (f->C_DestroyObject (b, copy), CKR_OK);
	assert_rv (f->C_CloseSession (b), CKR_OK);
}

/* A search survives C_DestroyObject of its own results (p11tool --delete). */
static void
test_search_survives_destroy (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c1, c2, got[4];
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_ULONG n = 0, total = 0;

	assert_rv (create_cert (s, &ca, "ca", CK_TRUE, &c1), CKR_OK);
	assert_rv (create_cert (s, &server, "server", CK_TRUE, &c2), CKR_OK);
	assert_rv (f->C_FindObjectsInit (s, q, 1), CKR_OK);
	assert_rv (f->C_FindObjectsInit (s, q, 1), CKR_OPERATION_ACTIVE);
	do {
		assert_rv (f->C_FindObjects (s, got, 1, &n), CKR_OK);
		if (n == 1) {
			total++;
			assert_rv (f->C_DestroyObject (s, got[0]), CKR_OK);
		}
	} while (n > 0);
	assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
	assert_int_equal (total, 2);
	assert_int_equal (count (s, q, 1), 0);
	assert_rv (f->C_FindObjects (s, got, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* Forever persists; this session does not; another process's commit is seen. */
static void
test_persistence_and_other_processes (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT), ss = open_rw (TF_SLOT_SESSION);
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE c;
	struct stat st;
	pid_t pid;
	int status;

	assert_rv (create_cert (s, &ca, "forever", CK_TRUE, &c), CKR_OK);
	assert_rv (create_cert (ss, &ca, "session", CK_TRUE, &c), CKR_OK);
	assert_int_equal (stat (store, &st), 0);
	assert_int_equal (st.st_mode & 0777, 0600);

	/* Another process writes while this one keeps its session open. */
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		CK_SLOT_ID slots[2];
		CK_ULONG n = 2;
		CK_SESSION_HANDLE cs;
		CK_OBJECT_HANDLE h;
		int ok;

		/* A child must be told to initialize, as NSS expects after fork. */
		ok = f->C_GetSlotList (CK_FALSE, slots, &n) == CKR_CRYPTOKI_NOT_INITIALIZED;
		ok = ok && f->C_Initialize (&init_args) == CKR_OK;
		ok = ok && f->C_OpenSession (TF_SLOT_PERSISTENT,
					     CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
					     &cs) == CKR_OK;
		ok = ok && create_cert (cs, &server, "from child", CK_TRUE, &h) == CKR_OK;
		ok = ok && f->C_Finalize (NULL) == CKR_OK;
		_exit (ok ? 0 : 1);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
	/* Seen at the next search, in the same session, without restart. */
	assert_int_equal (count (s, q, 1), 2);

	/* After a restart: forever is there, this session is not. */
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	init_module ();
	s = open_rw (TF_SLOT_PERSISTENT);
	ss = open_rw (TF_SLOT_SESSION);
	assert_int_equal (count (s, q, 1), 2);
	assert_int_equal (count (ss, q, 1), 0);
	{
		CK_OBJECT_HANDLE all[4];
		CK_ULONG n = 0, i;
		assert_rv (f->C_FindObjectsInit (s, q, 1), CKR_OK);
		assert_rv (f->C_FindObjects (s, all, 4, &n), CKR_OK);
		assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
		for (i = 0; i < n; i++)
			assert_rv (f->C_DestroyObject (s, all[i]), CKR_OK);
	}
	assert_rv (f->C_CloseAllSessions (TF_SLOT_PERSISTENT), CKR_OK);
	assert_rv (f->C_CloseSession (s), CKR_SESSION_HANDLE_INVALID);
	assert_rv (f->C_CloseSession (ss), CKR_OK);
}

/* read-only=yes: the token says so, and refuses writes cleanly. */
static void
test_read_only_store (void **state)
{
	CK_C_INITIALIZE_ARGS args = { 0 };
	char ro[400];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;

	f->C_Finalize (NULL);
	snprintf (ro, sizeof (ro), "store=%s read-only=yes", store);
	args.pReserved = ro;
	assert_rv (f->C_Initialize (&args), CKR_OK);
	assert_rv (f->C_GetTokenInfo (TF_SLOT_PERSISTENT, &ti), CKR_OK);
	assert_true (ti.flags & CKF_WRITE_PROTECTED);
	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				     NULL, &s),
		   CKR_TOKEN_WRITE_PROTECTED);
	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &s),
		   CKR_OK);
	f->C_Finalize (NULL);
	init_module ();
}

/* A damaged store: the token is absent, the file untouched, the session token works. */
static void
test_damaged_store (void **state)
{
	CK_C_INITIALIZE_ARGS args = { 0 };
	char bad[400], path[300], cmd[700];
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	FILE *fp;

	f->C_Finalize (NULL);
	snprintf (path, sizeof (path), "%s/garbage.db", dir);
	fp = fopen (path, "w");
	assert_non_null (fp);
	fputs ("this is not a trust store, and must stay as it is\n", fp);
	fclose (fp);
	snprintf (bad, sizeof (bad), "store=%s", path);
	args.pReserved = bad;
	assert_rv (f->C_Initialize (&args), CKR_OK);
	assert_rv (f->C_GetSlotList (CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal (n, 1);
	assert_int_equal (slots[0], TF_SLOT_SESSION);
	assert_rv (f->C_GetTokenInfo (TF_SLOT_PERSISTENT, &ti), CKR_TOKEN_NOT_PRESENT);
	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &s),
		   CKR_TOKEN_NOT_PRESENT);
	s = open_rw (TF_SLOT_SESSION);
	assert_int_equal (all_objects (s), 1);
	f->C_Finalize (NULL);
	snprintf (cmd, sizeof (cmd),
		  "test \"$(cat %s)\" = 'this is not a trust store, and must stay as it is'", path);
	assert_int_equal (system (cmd), 0);
	init_module ();
}

/* Runs in a forked child: a second process's C_Initialize, session, one step, C_Finalize. */
static void
in_other_process (bool (*step) (CK_SESSION_HANDLE))
{
	int status;
	pid_t pid = fork ();

	assert_true (pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE cs;
		int ok;

		ok = f->C_Initialize (&init_args) == CKR_OK;
		ok = ok && f->C_OpenSession (TF_SLOT_PERSISTENT,
					     CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
					     &cs) == CKR_OK;
		ok = ok && step (cs);
		ok = ok && f->C_Finalize (NULL) == CKR_OK;
		_exit (ok ? 0 : 1);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/*
 * Records come from the store as they are asked for. A key asked for once
 * (and found empty) must still see what another process adds under it, and
 * a record another process changes must read back changed.
 */
static bool
add_server_renamed (CK_SESSION_HANDLE cs)
{
	CK_ATTRIBUTE label = { CKA_LABEL, "renamed", 7 };
	CK_OBJECT_HANDLE h;

	return create_cert (cs, &server, "server", CK_TRUE, &h) == CKR_OK &&
	       f->C_SetAttributeValue (cs, h, &label, 1) == CKR_OK;
}

static void
test_loaded_keys_stay_current (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_ATTRIBUTE by_subject[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) },
				      { CKA_SUBJECT, server.subject, server.subject_len } };
	CK_ATTRIBUTE by_label[] = { { CKA_LABEL, "renamed", 7 } };
	CK_OBJECT_HANDLE c;

	assert_int_equal (count (s, by_subject, 2), 0);
	in_other_process (add_server_renamed);
	c = find_one (s, by_subject, 2);
	assert_int_equal (count (s, by_label, 1), 1);
	assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	assert_int_equal (count (s, by_label, 1), 0);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/*
 * A search by subject, label or CKA_ID compares the keyed attribute through
 * the index only; every other attribute of the template still counts, a
 * second copy of the key's attribute with another value included.
 */
static void
test_keyed_search_checks_the_rest (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c, t;
	CK_ATTRIBUTE by_subject[] = {{CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG)},
	                             {CKA_SUBJECT, server.subject, server.subject_len}};
	CK_ATTRIBUTE twice[] = {{CKA_SUBJECT, server.subject, server.subject_len},
	                        {CKA_SUBJECT, ca.subject, ca.subject_len}};
	CK_ATTRIBUTE subject_session[] = {{CKA_SUBJECT, server.subject, server.subject_len},
	                                  {CKA_TOKEN, (void *)&no, sizeof (no)}};
	CK_ATTRIBUTE label_cert[] = {{CKA_LABEL, "keyed", 5},
	                             {CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG)}};
	CK_ATTRIBUTE label_trust[] = {{CKA_LABEL, "keyed", 5},
	                              {CKA_CLASS, (void *)&nss_trust_class, sizeof (CK_ULONG)}};
	CK_ATTRIBUTE label_twice[] = {{CKA_LABEL, "keyed", 5}, {CKA_LABEL, "other", 5}};

	(void)state;
	assert_rv (create_cert (s, &server, "keyed", CK_TRUE, &c), CKR_OK);
	assert_rv (create_trust (s, &server, server.sha1, TF_CKT_NSS_TRUSTED, &t), CKR_OK);
	assert_int_equal (count (s, by_subject, 2), 1);
	assert_int_equal (count (s, twice, 2), 0);
	assert_int_equal (count (s, subject_session, 2), 0);
	/* A label names every view of its record; the class still chooses among them. */
	assert_int_equal (find_one (s, label_cert, 2), c);
	assert_int_equal (find_one (s, label_trust, 2), t);
	assert_int_equal (count (s, label_twice, 2), 0);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

static bool
add_shared_ca (CK_SESSION_HANDLE cs)
{
	CK_OBJECT_HANDLE h;

	return create_cert (cs, &ca, "shared", CK_TRUE, &h) == CKR_OK;
}

static bool
remove_shared_ca (CK_SESSION_HANDLE cs)
{
	CK_ATTRIBUTE tmpl[] = { { CKA_LABEL, "shared", 6 },
				{ CKA_SUBJECT, ca.subject, ca.subject_len },
				{ CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;

	return f->C_FindObjectsInit (cs, tmpl, 3) == CKR_OK &&
	       f->C_FindObjects (cs, &h, 1, &n) == CKR_OK && n == 1 &&
	       f->C_FindObjectsFinal (cs) == CKR_OK && f->C_DestroyObject (cs, h) == CKR_OK;
}

/*
 * A key searched once is answered from memory after that (the index marks
 * it complete). It must still see what another process adds under it or
 * takes away from it, at the next search.
 */
static void
test_complete_key_follows_other_processes (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_ATTRIBUTE by_label[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) },
				    { CKA_LABEL, "shared", 6 } };
	CK_OBJECT_HANDLE h;

	(void)state;
	assert_rv (create_cert (s, &server, "shared", CK_TRUE, &h), CKR_OK);
	assert_int_equal (count (s, by_label, 2), 1);
	assert_int_equal (count (s, by_label, 2), 1);
	in_other_process (add_shared_ca);
	assert_int_equal (count (s, by_label, 2), 2);
	assert_int_equal (count (s, by_label, 2), 2);
	in_other_process (remove_shared_ca);
	assert_int_equal (count (s, by_label, 2), 1);
	assert_int_equal (find_one (s, by_label, 2), h);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* Labels are bytes: quotes, NULs and invalid UTF-8 come back as given, after a restart too. */
static void
test_labels_byte_for_byte (void **state)
{
	static const char label[] = "it's \"odd\"\0nul\xff\xfe\xc3(";
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c;
	unsigned char buf[64];
	CK_ATTRIBUTE q[] = { { CKA_LABEL, (void *)label, sizeof (label) - 1 } };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VALUE, ca.der, ca.len },
		{ CKA_LABEL, (void *)label, sizeof (label) - 1 },
	};

	assert_rv (f->C_CreateObject (s, tmpl, 5, &c), CKR_OK);
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	init_module ();
	s = open_rw (TF_SLOT_PERSISTENT);
	c = find_one (s, q, 1);
	assert_int_equal (get (s, c, CKA_LABEL, buf, sizeof (buf)), sizeof (label) - 1);
	assert_memory_equal (buf, label, sizeof (label) - 1);
	assert_rv (f->C_CloseSession (s), CKR_OK);
}

/* Searches a directory's files for bytes; true when any holds them. */
static bool
dir_holds (const char *path, const void *needle, size_t len)
{
	char cmd[600];
	FILE *p;
	char name[512];
	bool found = false;

	snprintf (cmd, sizeof (cmd), "find %s -type f", path);
	p = popen (cmd, "r");
	assert_non_null (p);
	while (!found && fgets (name, sizeof (name), p) != NULL) {
		unsigned char *data;
		size_t n, i;

		name[strcspn (name, "\n")] = '\0';
		data = unit_read_file (name, &n);
		for (i = 0; i + len <= n && !found; i++)
			found = memcmp (data + i, needle, len) == 0;
		free (data);
	}
	pclose (p);
	return found;
}

/* A "this session" decision never reaches any file: database, journal or other. */
static void
test_session_decisions_never_on_disk (void **state)
{
	static const char marker[] = "session-only-marker-3f7a9c";
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION), p = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE c;

	/* Something in the persistent store too, so its files exist and are written. */
	assert_rv (create_cert (p, &ca, "persistent", CK_TRUE, &c), CKR_OK);
	assert_rv (create_cert (s, &server, marker, CK_TRUE, &c), CKR_OK);
	assert_rv (create_trust (s, &server, server.sha1, TF_CKT_NSS_TRUSTED, &c), CKR_OK);
	assert_true (dir_holds (dir, ca.der, ca.len));
	assert_false (dir_holds (dir, marker, sizeof (marker) - 1));
	assert_false (dir_holds (dir, server.der, server.len));
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	assert_false (dir_holds (dir, marker, sizeof (marker) - 1));
	assert_false (dir_holds (dir, server.der, server.len));
	init_module ();
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown (test_not_initialized, setup, teardown),
		cmocka_unit_test_setup_teardown (test_bad_parameters, setup, teardown),
		cmocka_unit_test_setup_teardown (test_slots_and_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown (test_profile_and_nss_probes, setup, teardown),
		cmocka_unit_test_setup_teardown (test_cert_and_trust_views, setup, teardown),
		cmocka_unit_test_setup_teardown (test_get_attribute_rules, setup, teardown),
		cmocka_unit_test_setup_teardown (test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown (test_distrust_without_certificate, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_session_objects, setup, teardown),
		cmocka_unit_test_setup_teardown (test_search_survives_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown (test_persistence_and_other_processes, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_loaded_keys_stay_current, setup, teardown),
		cmocka_unit_test_setup_teardown (test_keyed_search_checks_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown (test_complete_key_follows_other_processes, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_labels_byte_for_byte, setup, teardown),
		cmocka_unit_test_setup_teardown (test_session_decisions_never_on_disk, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_read_only_store, setup, teardown),
		cmocka_unit_test_setup_teardown (test_damaged_store, setup, teardown),
	};
	int rc;

	load_cert (&ca, "ca.der");
	load_cert (&server, "server.der");
	rc = cmocka_run_group_tests (tests, NULL, NULL);
	free (ca.der);
	free (server.der);
	return rc;
}
