/*
 * One decision, many views, driven through PKCS#11 (C_GetInterface, 3.2):
 * a write in any dialect (NSS trust, PKCS#11 3.2 trust, p11-kit's
 * CKA_TRUSTED / CKA_X_DISTRUSTED, trust assertions, a stapled extension) is
 * read back in every other, and destroying a view changes just what it
 * should.
 */
#include "unit.h"

#include "interface.h"
#include "record.h"
#include "trustfolder.h"
#include "view.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define assert_rv(got, want) assert_int_equal ((unsigned long)(got), (unsigned long)(want))

static CK_FUNCTION_LIST_PTR f;
static char dir[64], params[128];
static CK_SESSION_HANDLE s;

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE, nss_class = TF_CKO_NSS_TRUST,
			     trust_class = TF_CKO_TRUST, assertion_class = TF_CKO_X_TRUST_ASSERTION,
			     ext_class = TF_CKO_X_CERTIFICATE_EXTENSION;
static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;

static const char *const server_oid = "1.3.6.1.5.5.7.3.1";
static const char *const email_oid = "1.3.6.1.5.5.7.3.4";

typedef struct {
	unsigned char *der;
	size_t len;
	unsigned char issuer[512], serial[64], spki[1024], sha256[32];
	CK_ULONG issuer_len, serial_len, spki_len;
} cert;

static cert ca;

/* Field bytes from the module's own certificate view, checked against openssl's SHA-256. */
static void
load_ca (void)
{
	char path[256];
	unsigned int n = 0;

	snprintf (path, sizeof (path), "%s/ca.der", TF_FIXTURES);
	ca.der = unit_read_file (path, &ca.len);
	assert_true (EVP_Digest (ca.der, ca.len, ca.sha256, &n, EVP_sha256 (), NULL));
	assert_int_equal (n, 32);
}

static int
setup (void **state)
{
	tf_interface *in = NULL;
	CK_VERSION v32 = { 3, 2 };
	CK_C_INITIALIZE_ARGS args = { 0 };

	strcpy (dir, "/tmp/tf-views-XXXXXX");
	assert_non_null (mkdtemp (dir));
	snprintf (params, sizeof (params), "store=%s/t.db", dir);
	assert_rv (C_GetInterface ((CK_UTF8CHAR *)"PKCS 11", &v32, &in, 0), CKR_OK);
	f = in->pFunctionList;
	assert_int_equal (f->version.major, 3);
	assert_int_equal (f->version.minor, 2);
	{
		CK_INFO info;
		assert_rv (f->C_GetInfo (&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	}
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	assert_rv (f->C_Initialize (&args), CKR_OK);
	{
		CK_INFO info;
		assert_rv (f->C_GetInfo (&info), CKR_OK);
		assert_int_equal (info.cryptokiVersion.major, 3);
		assert_int_equal (info.cryptokiVersion.minor, 2);
	}
	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				     NULL, &s),
		   CKR_OK);
	return 0;
}

static int
teardown (void **state)
{
	char cmd[128];

	assert_rv (f->C_Finalize (NULL), CKR_OK);
	snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
	assert_int_equal (system (cmd), 0);
	return 0;
}

static CK_ULONG
find (CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ULONG got = 0;

	assert_rv (f->C_FindObjectsInit (s, tmpl, n), CKR_OK);
	assert_rv (f->C_FindObjects (s, out, max, &got), CKR_OK);
	assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
	return got;
}

static CK_ULONG
get_ulong (CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG v = 0;
	CK_ATTRIBUTE a = { type, &v, sizeof (v) };

	assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OK);
	return v;
}

static bool
get_bool (CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 9;
	CK_ATTRIBUTE a = { type, &v, 1 };

	assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OK);
	assert_true (v == CK_TRUE || v == CK_FALSE);
	return v == CK_TRUE;
}

/* The certificate, stored without any trust; fills issuer, serial and SPKI. */
static CK_OBJECT_HANDLE
store_ca (void)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VALUE, ca.der, ca.len },
		{ CKA_LABEL, "ca", 2 },
	};
	CK_ATTRIBUTE fields[] = {
		{ CKA_ISSUER, ca.issuer, sizeof (ca.issuer) },
		{ CKA_SERIAL_NUMBER, ca.serial, sizeof (ca.serial) },
		{ CKA_PUBLIC_KEY_INFO, ca.spki, sizeof (ca.spki) },
	};
	CK_OBJECT_HANDLE h;

	assert_rv (f->C_CreateObject (s, tmpl, 5, &h), CKR_OK);
	assert_rv (f->C_GetAttributeValue (s, h, fields, 3), CKR_OK);
	ca.issuer_len = fields[0].ulValueLen;
	ca.serial_len = fields[1].ulValueLen;
	ca.spki_len = fields[2].ulValueLen;
	return h;
}

static CK_OBJECT_HANDLE
nss_trust (void)
{
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) },
			     { CKA_ISSUER, ca.issuer, ca.issuer_len },
			     { CKA_SERIAL_NUMBER, ca.serial, ca.serial_len } };
	CK_OBJECT_HANDLE h[2];

	assert_int_equal (find (q, 3, h, 2), 1);
	return h[0];
}

/* The anchored, distrusted and pinned assertions of the CA, counted by type. */
static CK_ULONG
assertions (CK_ULONG type, const char *purpose)
{
	CK_ATTRIBUTE q[] = {
		{ CKA_CLASS, (void *)&assertion_class, sizeof (CK_ULONG) },
		{ TF_CKA_X_ASSERTION_TYPE, &type, sizeof (type) },
		{ TF_CKA_X_PURPOSE, (void *)purpose, strlen (purpose) },
	};
	CK_OBJECT_HANDLE h[16];

	return find (q, 3, h, 16);
}

/* A CKO_TRUST write reads back as NSS trust, CKA_TRUSTED and an anchored assertion. */
static void
test_pkcs_trust_to_every_view (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), t, nt, found[4];
	CK_ULONG anchor = TF_CKT_TRUST_ANCHOR, verify = TF_CKT_TRUST_MUST_VERIFY_TRUST;
	CK_MECHANISM_TYPE sha256 = CKM_SHA256;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&trust_class, sizeof (trust_class) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_ISSUER, ca.issuer, ca.issuer_len },
		{ CKA_SERIAL_NUMBER, ca.serial, ca.serial_len },
		{ TF_CKA_HASH_OF_CERTIFICATE, ca.sha256, 32 },
		{ TF_CKA_NAME_HASH_ALGORITHM, &sha256, sizeof (sha256) },
		{ TF_CKA_PKCS_TRUST_SERVER_AUTH, &anchor, sizeof (anchor) },
		{ TF_CKA_PKCS_TRUST_CLIENT_AUTH, &verify, sizeof (verify) },
	};
	unsigned char hash[32];
	CK_ATTRIBUTE h = { TF_CKA_HASH_OF_CERTIFICATE, hash, sizeof (hash) };

	assert_false (get_bool (c, CKA_TRUSTED));
	assert_rv (f->C_CreateObject (s, tmpl, 8, &t), CKR_OK);
	assert_int_equal (get_ulong (t, TF_CKA_PKCS_TRUST_SERVER_AUTH), TF_CKT_TRUST_ANCHOR);
	assert_rv (f->C_GetAttributeValue (s, t, &h, 1), CKR_OK);
	assert_memory_equal (hash, ca.sha256, 32);

	nt = nss_trust ();
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_CLIENT_AUTH), TF_CKT_NSS_MUST_VERIFY_TRUST);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_EMAIL), TF_CKT_NSS_TRUST_UNKNOWN);
	assert_true (get_bool (c, CKA_TRUSTED));
	assert_false (get_bool (c, TF_CKA_X_DISTRUSTED));
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 1);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, email_oid), 0);

	/* p11-kit's blocklist search finds nothing; the trust list search finds the CA. */
	{
		CK_ATTRIBUTE q[] = { { TF_CKA_X_DISTRUSTED, (void *)&yes, 1 } };
		assert_int_equal (find (q, 1, found, 4), 0);
	}
	/* One record, so one trust object in each dialect. */
	{
		CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&trust_class, sizeof (CK_ULONG) } };
		assert_int_equal (find (q, 1, found, 4), 1);
		assert_int_equal (found[0], t);
	}
}

/* And the other way round: NSS's p,p,p reads back in 3.2, p11-kit and assertions. */
static void
test_nss_trust_to_every_view (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), t, found[4];
	CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&nss_class, sizeof (nss_class) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_ISSUER, ca.issuer, ca.issuer_len },
		{ CKA_SERIAL_NUMBER, ca.serial, ca.serial_len },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &distrust, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &distrust, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &distrust, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &distrust, sizeof (CK_ULONG) },
	};
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&trust_class, sizeof (CK_ULONG) } };

	assert_rv (f->C_CreateObject (s, tmpl, 8, &t), CKR_OK);
	assert_int_equal (find (q, 1, found, 4), 1);
	assert_int_equal (get_ulong (found[0], TF_CKA_PKCS_TRUST_SERVER_AUTH), TF_CKT_NOT_TRUSTED);
	assert_int_equal (get_ulong (found[0], TF_CKA_PKCS_TRUST_EMAIL), TF_CKT_NOT_TRUSTED);
	assert_true (get_bool (c, TF_CKA_X_DISTRUSTED));
	assert_false (get_bool (c, CKA_TRUSTED));
	assert_int_equal (assertions (TF_CKT_X_DISTRUSTED_CERTIFICATE, server_oid), 1);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	{
		CK_ATTRIBUTE bl[] = { { TF_CKA_X_DISTRUSTED, (void *)&yes, 1 } };
		assert_int_equal (find (bl, 1, found, 4), 1);
		assert_int_equal (found[0], c);
	}
}

/* p11-kit's "trust anchor": CKA_TRUSTED on a certificate; NSS sees a trusted CA. */
static void
test_p11kit_anchor_to_nss (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), nt;
	CK_ATTRIBUTE set[] = { { CKA_TRUSTED, (void *)&yes, 1 },
			       { TF_CKA_X_DISTRUSTED, (void *)&no, 1 } };
	CK_ATTRIBUTE unset[] = { { CKA_TRUSTED, (void *)&no, 1 } };
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE found[2];

	assert_rv (f->C_SetAttributeValue (s, c, set, 2), CKR_OK);
	nt = nss_trust ();
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_EMAIL), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (get_ulong (c, CKA_CERTIFICATE_CATEGORY), 2);
	assert_rv (f->C_SetAttributeValue (s, c, unset, 1), CKR_OK);
	assert_int_equal (find (q, 1, found, 2), 0);
}

/* gcr's "always trust this certificate for this host": a pinned assertion. */
static void
test_pinned_for_a_host (void **state)
{
	CK_ULONG pinned = TF_CKT_X_PINNED_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&assertion_class, sizeof (CK_ULONG) },
		{ TF_CKA_X_ASSERTION_TYPE, &pinned, sizeof (pinned) },
		{ TF_CKA_X_CERTIFICATE_VALUE, NULL, 0 },
		{ TF_CKA_X_PURPOSE, (void *)server_oid, strlen (server_oid) },
		{ TF_CKA_X_PEER, "mail.example.test:993", 21 },
		{ CKA_TOKEN, (void *)&yes, 1 },
	};
	CK_OBJECT_HANDLE a, found[4], c;
	char peer[64];
	CK_ATTRIBUTE p = { TF_CKA_X_PEER, peer, sizeof (peer) };

	tmpl[2].pValue = ca.der;
	tmpl[2].ulValueLen = ca.len;
	/* gcr searches first, finds nothing, then creates exactly its search template. */
	assert_int_equal (find (tmpl, 6, found, 4), 0);
	assert_rv (f->C_CreateObject (s, tmpl, 6, &a), CKR_OK);
	assert_int_equal (find (tmpl, 6, found, 4), 1);
	assert_int_equal (found[0], a);
	assert_rv (f->C_GetAttributeValue (s, a, &p, 1), CKR_OK);
	assert_int_equal (p.ulValueLen, 21);
	assert_memory_equal (peer, "mail.example.test:993", 21);
	/* The certificate came with it, trusted as a peer for server auth. */
	{
		CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
		assert_int_equal (find (q, 1, found, 4), 1);
		c = found[0];
	}
	assert_int_equal (get_ulong (nss_trust (), TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUSTED);
	/* Pinned to a host, it is not an anchor. */
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	/* A second host: a second pinned assertion for the same certificate. */
	tmpl[4].pValue = "imap.example.test";
	tmpl[4].ulValueLen = 17;
	assert_rv (f->C_CreateObject (s, tmpl, 6, &a), CKR_OK);
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 2);
	/* gcr's "remove": search, destroy each match; the other host stays. */
	assert_rv (f->C_DestroyObject (s, a), CKR_OK);
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 1);
	tmpl[4].pValue = "mail.example.test:993";
	tmpl[4].ulValueLen = 21;
	assert_int_equal (find (tmpl, 6, found, 4), 1);
	assert_rv (f->C_DestroyObject (s, found[0]), CKR_OK);
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 0);
	/* No host left: no trust left; the certificate stays. */
	{
		CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) } };
		assert_int_equal (find (q, 1, found, 4), 0);
	}
	assert_int_equal (get_ulong (c, CKA_CLASS), CKO_CERTIFICATE);
}

/* gcr's pin of the CA for a peer, for server auth: the handle of the assertion. */
static CK_OBJECT_HANDLE
pin (const char *peer)
{
	CK_ULONG pinned = TF_CKT_X_PINNED_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&assertion_class, sizeof (CK_ULONG) },
		{ TF_CKA_X_ASSERTION_TYPE, &pinned, sizeof (pinned) },
		{ TF_CKA_X_CERTIFICATE_VALUE, ca.der, ca.len },
		{ TF_CKA_X_PURPOSE, (void *)server_oid, strlen (server_oid) },
		{ TF_CKA_X_PEER, (void *)peer, strlen (peer) },
		{ CKA_TOKEN, (void *)&yes, 1 },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found[2];

	assert_rv (f->C_CreateObject (s, tmpl, 6, &h), CKR_OK);
	/* gcr finds it again by its search template: the same object. */
	assert_int_equal (find (tmpl, 6, found, 2), 1);
	assert_int_equal (found[0], h);
	return h;
}

/* A string attribute is this text (NULL: the handle names no object). */
static void
assert_text (CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const char *want)
{
	char got[256];
	CK_ATTRIBUTE a = { type, got, sizeof (got) };

	if (want == NULL) {
		assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OBJECT_HANDLE_INVALID);
		return;
	}
	assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OK);
	assert_int_equal (a.ulValueLen, strlen (want));
	assert_memory_equal (got, want, a.ulValueLen);
}

/* The store's hosts column of the one record, as another program reads it. */
static void
assert_stored_hosts (const char *want)
{
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = NULL;
	char path[128];

	snprintf (path, sizeof (path), "%s/t.db", dir);
	assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
	assert_int_equal (sqlite3_prepare_v2 (db, "SELECT hosts FROM records", -1, &stmt, NULL),
			  SQLITE_OK);
	assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
	assert_string_equal ((const char *)sqlite3_column_text (stmt, 0), want);
	sqlite3_finalize (stmt);
	sqlite3_close (db);
}

/*
 * Pinned assertions keep their handles when another host's goes (the handle
 * names the host's slot): in this process, after another process rewrites
 * the record, and when TF_CKA_PINNED_HOSTS names a new list. A client sees
 * the hosts, never the tombstones left in the store.
 */
static void
test_pinned_hosts_keep_slots (void **state)
{
	CK_ATTRIBUTE hosts = { TF_CKA_PINNED_HOSTS, "c.example.test,e.example.test", 29 };
	CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE a, b, c, d, e, certificate, found[8];
	char path[128];
	sqlite3 *db;

	a = pin ("a.example.test");
	b = pin ("b.example.test");
	c = pin ("c.example.test");
	assert_int_equal (find (qc, 1, &certificate, 1), 1);
	assert_rv (f->C_DestroyObject (s, b), CKR_OK);
	assert_text (b, TF_CKA_X_PEER, NULL);
	assert_text (a, TF_CKA_X_PEER, "a.example.test");
	assert_text (c, TF_CKA_X_PEER, "c.example.test");
	assert_text (certificate, TF_CKA_PINNED_HOSTS, "a.example.test,c.example.test");
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 2);
	assert_stored_hosts ("a.example.test,,c.example.test");

	/* Another process relabels the record; this one loads it again at its next search. */
	snprintf (path, sizeof (path), "%s/t.db", dir);
	assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
	assert_int_equal (sqlite3_exec (db,
					"UPDATE meta SET value = value + 1 WHERE key = 'seq';"
					"UPDATE records SET label = 'relabelled', seq ="
					" (SELECT value FROM meta WHERE key = 'seq');",
					NULL, NULL, NULL),
			  SQLITE_OK);
	sqlite3_close (db);
	assert_int_equal (find (qc, 1, found, 8), 1);
	assert_text (certificate, CKA_LABEL, "relabelled");
	assert_text (b, TF_CKA_X_PEER, NULL);
	assert_text (c, TF_CKA_X_PEER, "c.example.test");

	/* A new peer takes a new slot: the removed one's handle names nothing still. */
	d = pin ("d.example.test");
	assert_true (d != a && d != b && d != c);
	assert_text (b, TF_CKA_X_PEER, NULL);
	assert_stored_hosts ("a.example.test,,c.example.test,d.example.test");

	/* The tool's list of hosts: the ones it keeps keep their handles. */
	assert_rv (f->C_SetAttributeValue (s, certificate, &hosts, 1), CKR_OK);
	assert_text (certificate, TF_CKA_PINNED_HOSTS, "c.example.test,e.example.test");
	assert_text (a, TF_CKA_X_PEER, NULL);
	assert_text (d, TF_CKA_X_PEER, NULL);
	assert_text (c, TF_CKA_X_PEER, "c.example.test");
	e = pin ("e.example.test");
	assert_true (e != a && e != b && e != c && e != d);
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 2);
	assert_stored_hosts (",,c.example.test,,e.example.test");
}

/*
 * A decision whose every host is gone is pinned nowhere, as one that never
 * was: no pinned assertion, no hosts to read, no trust left from the pins.
 */
static void
test_pinned_hosts_all_removed (void **state)
{
	CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_ATTRIBUTE qn[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE a, b, again, certificate, found[4];
	CK_C_INITIALIZE_ARGS args = { 0 };

	a = pin ("a.example.test");
	b = pin ("b.example.test");
	assert_int_equal (find (qc, 1, &certificate, 1), 1);
	assert_rv (f->C_DestroyObject (s, b), CKR_OK);
	assert_rv (f->C_DestroyObject (s, a), CKR_OK);
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 0);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	assert_int_equal (find (qn, 1, found, 4), 0);
	assert_text (certificate, TF_CKA_PINNED_HOSTS, "");
	assert_stored_hosts (",");

	/* So it reads after a restart too. */
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	assert_rv (f->C_Initialize (&args), CKR_OK);
	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				     NULL, &s),
		   CKR_OK);
	assert_int_equal (find (qc, 1, &certificate, 1), 1);
	assert_text (certificate, TF_CKA_PINNED_HOSTS, "");
	assert_int_equal (assertions (TF_CKT_X_PINNED_CERTIFICATE, server_oid), 0);
	assert_int_equal (find (qn, 1, found, 4), 0);

	/* Pinned again, the peer has a new slot and a handle of its own. */
	again = pin ("a.example.test");
	assert_text (again, TF_CKA_X_PEER, "a.example.test");
	assert_text (certificate, TF_CKA_PINNED_HOSTS, "a.example.test");
	assert_stored_hosts (",,a.example.test");
}

/* Extension { extKeyUsage, critical FALSE omitted, OCTET STRING { SEQ { emailProtection } } } */
static const unsigned char email_eku[] = { 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25,
					   0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b,
					   0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04 };
static const unsigned char eku_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };

/* Staples an extension with this value to the CA's public key, as p11-kit does. */
static CK_RV
staple (const unsigned char *value, size_t len, CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&ext_class, sizeof (CK_ULONG) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_PUBLIC_KEY_INFO, ca.spki, ca.spki_len },
		{ CKA_OBJECT_ID, (void *)eku_oid, sizeof (eku_oid) },
		{ CKA_VALUE, (void *)value, len },
		{ TF_CKA_X_CRITICAL, (void *)&no, 1 },
	};

	return f->C_CreateObject (s, tmpl, 6, out);
}

/* The extensions of the CA's public key, as p11-kit finds them. */
static CK_ULONG
find_extensions (CK_OBJECT_HANDLE *found, CK_ULONG max)
{
	CK_ATTRIBUTE lookup[] = { { CKA_CLASS, (void *)&ext_class, sizeof (CK_ULONG) },
				  { CKA_PUBLIC_KEY_INFO, ca.spki, ca.spki_len } };

	return find (lookup, 2, found, max);
}

/* A stapled EKU of e-mail only: NSS's view trusts e-mail, not server auth. */
static void
test_stapled_eku_narrows (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), e, nt, found[4];
	CK_ATTRIBUTE anchor[] = { { CKA_TRUSTED, (void *)&yes, 1 } };

	assert_rv (f->C_SetAttributeValue (s, c, anchor, 1), CKR_OK);
	nt = nss_trust ();
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_rv (staple (email_eku, sizeof (email_eku), &e), CKR_OK);
	/* p11-kit finds it by class and public key. */
	assert_int_equal (find_extensions (found, 4), 1);
	assert_int_equal (found[0], e);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_EMAIL), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUST_UNKNOWN);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, email_oid), 1);
	/* Destroying the extension gives the anchor its purposes back. */
	assert_rv (f->C_DestroyObject (s, e), CKR_OK);
	assert_int_equal (get_ulong (nt, TF_CKA_NSS_TRUST_SERVER_AUTH), TF_CKT_NSS_TRUSTED_DELEGATOR);
	assert_int_equal (find_extensions (found, 4), 0);
	/* An extension that is not an EKU is refused. */
	assert_rv (staple (eku_oid, sizeof (eku_oid), &e), CKR_ATTRIBUTE_VALUE_INVALID);
}

/*
 * A decision for some purposes shows an EKU extension derived from it; a
 * stapled one takes its place while it exists. The two have handles of
 * their own: destroying the stapled one leaves its handle naming nothing.
 */
static void
test_stapled_and_derived_extension_handles (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), nt, derived, stapled, found[4];
	CK_ULONG unknown = TF_CKT_NSS_TRUST_UNKNOWN;
	CK_ATTRIBUTE anchor[] = { { CKA_TRUSTED, (void *)&yes, 1 } };
	CK_ATTRIBUTE not_email[] = { { TF_CKA_NSS_TRUST_EMAIL, &unknown, sizeof (unknown) } };
	unsigned char value[64];
	CK_ATTRIBUTE read = { CKA_VALUE, value, sizeof (value) };

	assert_rv (f->C_SetAttributeValue (s, c, anchor, 1), CKR_OK);
	nt = nss_trust ();
	assert_rv (f->C_SetAttributeValue (s, nt, not_email, 1), CKR_OK);
	assert_int_equal (find_extensions (found, 4), 1);
	derived = found[0];
	/* It follows the decision: only changing the decision removes it. */
	assert_rv (f->C_DestroyObject (s, derived), CKR_ACTION_PROHIBITED);

	assert_rv (staple (email_eku, sizeof (email_eku), &stapled), CKR_OK);
	assert_true (stapled != derived);
	assert_int_equal (find_extensions (found, 4), 1);
	assert_int_equal (found[0], stapled);
	read.ulValueLen = sizeof (value);
	assert_rv (f->C_GetAttributeValue (s, derived, &read, 1), CKR_OBJECT_HANDLE_INVALID);

	assert_rv (f->C_DestroyObject (s, stapled), CKR_OK);
	read.ulValueLen = sizeof (value);
	assert_rv (f->C_GetAttributeValue (s, stapled, &read, 1), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal (find_extensions (found, 4), 1);
	assert_int_equal (found[0], derived);
	read.ulValueLen = sizeof (value);
	assert_rv (f->C_GetAttributeValue (s, derived, &read, 1), CKR_OK);
}

/* Destroying a trust view resets the decision in every view; the certificate stays. */
static void
test_destroy_trust_view_keeps_certificate (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), found[4];
	CK_ATTRIBUTE anchor[] = { { CKA_TRUSTED, (void *)&yes, 1 } };
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&trust_class, sizeof (CK_ULONG) } };
	CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };

	assert_rv (f->C_SetAttributeValue (s, c, anchor, 1), CKR_OK);
	assert_int_equal (find (q, 1, found, 4), 1);
	assert_rv (f->C_DestroyObject (s, found[0]), CKR_OK);
	assert_int_equal (find (q, 1, found, 4), 0);
	{
		CK_ATTRIBUTE qn[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) } };
		assert_int_equal (find (qn, 1, found, 4), 0);
	}
	assert_false (get_bool (c, CKA_TRUSTED));
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	assert_int_equal (find (qc, 1, found, 4), 1);
	/* An anchored assertion's destruction takes one purpose only. */
	assert_rv (f->C_SetAttributeValue (s, c, anchor, 1), CKR_OK);
	{
		CK_ULONG anchored = TF_CKT_X_ANCHORED_CERTIFICATE;
		CK_ATTRIBUTE qa[] = {
			{ CKA_CLASS, (void *)&assertion_class, sizeof (CK_ULONG) },
			{ TF_CKA_X_ASSERTION_TYPE, &anchored, sizeof (anchored) },
			{ TF_CKA_X_PURPOSE, (void *)server_oid, strlen (server_oid) },
		};
		assert_int_equal (find (qa, 3, found, 4), 1);
		assert_rv (f->C_DestroyObject (s, found[0]), CKR_OK);
	}
	assert_int_equal (get_ulong (nss_trust (), TF_CKA_NSS_TRUST_SERVER_AUTH),
			  TF_CKT_NSS_TRUST_UNKNOWN);
	assert_int_equal (get_ulong (nss_trust (), TF_CKA_NSS_TRUST_EMAIL),
			  TF_CKT_NSS_TRUSTED_DELEGATOR);
}

/* A 3.2 trust with a hash that is not the certificate's is refused. */
static void
test_pkcs_trust_wrong_hash (void **state)
{
	CK_ULONG anchor = TF_CKT_TRUST_ANCHOR;
	unsigned char wrong[32];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&trust_class, sizeof (trust_class) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_ISSUER, ca.issuer, 0 },
		{ CKA_SERIAL_NUMBER, ca.serial, 0 },
		{ TF_CKA_PKCS_TRUST_SERVER_AUTH, &anchor, sizeof (anchor) },
		{ TF_CKA_HASH_OF_CERTIFICATE, wrong, 32 },
	};
	CK_OBJECT_HANDLE t, c;
	CK_ATTRIBUTE qc[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_ATTRIBUTE qt[] = { { CKA_CLASS, (void *)&trust_class, sizeof (CK_ULONG) } };

	c = store_ca ();
	tmpl[2].ulValueLen = ca.issuer_len;
	tmpl[3].ulValueLen = ca.serial_len;
	memcpy (wrong, ca.sha256, 32);
	wrong[31] ^= 1;
	assert_rv (f->C_CreateObject (s, tmpl, 6, &t), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal (find (qt, 1, &t, 1), 0);
	/* Without the certificate and without a hash, positive trust is refused. */
	assert_rv (f->C_DestroyObject (s, c), CKR_OK);
	assert_rv (f->C_CreateObject (s, tmpl, 5, &t), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal (find (qt, 1, &t, 1), 0);
	/* With a hash it names a certificate held elsewhere, and is kept. */
	assert_rv (f->C_CreateObject (s, tmpl, 6, &t), CKR_OK);
	assert_int_equal (find (qc, 1, &c, 1), 0);
	/* That certificate is not this one: the CA is refused into the record. */
	{
		CK_ATTRIBUTE ct[] = {
			{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
			{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_VALUE, ca.der, ca.len },
		};
		assert_rv (f->C_CreateObject (s, ct, 4, &c), CKR_ATTRIBUTE_VALUE_INVALID);
	}
}

/* An e-mail-only decision (certutil ",C,") shows p11-kit an e-mail-only EKU. */
static void
test_partial_decision_staples_eku (void **state)
{
	CK_OBJECT_HANDLE c = store_ca (), t, found[4];
	CK_ULONG anchor = TF_CKT_NSS_TRUSTED_DELEGATOR, verify = TF_CKT_NSS_MUST_VERIFY_TRUST;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&nss_class, sizeof (nss_class) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_ISSUER, ca.issuer, ca.issuer_len },
		{ CKA_SERIAL_NUMBER, ca.serial, ca.serial_len },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &verify, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &verify, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &verify, sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &anchor, sizeof (CK_ULONG) },
	};
	unsigned char value[64];
	CK_ATTRIBUTE v = { CKA_VALUE, value, sizeof (value) };

	assert_int_equal (find_extensions (found, 4), 0);
	assert_rv (f->C_CreateObject (s, tmpl, 8, &t), CKR_OK);
	assert_true (get_bool (c, CKA_TRUSTED));
	assert_int_equal (find_extensions (found, 4), 1);
	assert_rv (f->C_GetAttributeValue (s, found[0], &v, 1), CKR_OK);
	assert_int_equal (v.ulValueLen, sizeof (email_eku));
	assert_memory_equal (value, email_eku, sizeof (email_eku));
	assert_false (get_bool (found[0], TF_CKA_X_CRITICAL));
	/* Found by its value alone too, with no class (through the records). */
	{
		CK_ATTRIBUTE by_value[] = { { CKA_VALUE, value, v.ulValueLen } };
		CK_OBJECT_HANDLE same[4];

		assert_int_equal (find (by_value, 1, same, 4), 1);
		assert_int_equal (same[0], found[0]);
	}
	/* It follows the decision: it cannot be destroyed on its own. */
	assert_rv (f->C_DestroyObject (s, found[0]), CKR_ACTION_PROHIBITED);
	/* Trusted for every purpose, nothing narrows it. */
	tmpl[4].pValue = &anchor;
	tmpl[5].pValue = &anchor;
	tmpl[6].pValue = &anchor;
	assert_rv (f->C_CreateObject (s, tmpl, 8, &t), CKR_OK);
	assert_int_equal (find_extensions (found, 4), 0);
}

/* A certificate past its validity is trust in no view, whatever was decided. */
static void
test_expired_certificate_not_trusted (void **state)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VALUE, NULL, 0 },
		{ CKA_TRUSTED, (void *)&yes, 1 },
	};
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&nss_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE c, found[2];
	unsigned char *der;
	char path[256];
	size_t len;

	snprintf (path, sizeof (path), "%s/expired.der", TF_FIXTURES);
	der = unit_read_file (path, &len);
	tmpl[3].pValue = der;
	tmpl[3].ulValueLen = len;
	assert_rv (f->C_CreateObject (s, tmpl, 5, &c), CKR_OK);
	assert_false (get_bool (c, CKA_TRUSTED));
	assert_int_equal (find (q, 1, found, 2), 1);
	assert_int_equal (get_ulong (found[0], TF_CKA_NSS_TRUST_SERVER_AUTH),
			  TF_CKT_NSS_TRUST_UNKNOWN);
	assert_int_equal (assertions (TF_CKT_X_ANCHORED_CERTIFICATE, server_oid), 0);
	free (der);
}

/* What test_shows_key saw: views visited, and claims checked per attribute. */
typedef struct {
	const tf_token *tok;
	unsigned views, label_claims, subject_claims, id_claims;
} shows_seen;

static const tf_bytes *
key_bytes (const tf_record *rec, tf_key key)
{
	return key == TF_KEY_LABEL ? &rec->label : key == TF_KEY_SUBJECT ? &rec->subject : &rec->id;
}

static bool
check_shows_key (void *ctx, tf_record *rec, tf_view view)
{
	static const CK_ATTRIBUTE_TYPE types[] = { CKA_LABEL, CKA_SUBJECT, CKA_ID };
	static const tf_key keys[] = { TF_KEY_LABEL, TF_KEY_SUBJECT, TF_KEY_ID };
	shows_seen *seen = ctx;
	const tf_bytes *want;
	tf_attr_val v;
	size_t t, k;

	seen->views++;
	for (t = 0; t < 3; t++) {
		for (k = 0; k < 3; k++) {
			if (!tf_view_shows_key (view, types[t], keys[k]))
				continue;
			/* Only an attribute's own key, and then its bytes exactly. */
			assert_int_equal (t, k);
			assert_true (tf_view_attr (seen->tok, rec, view, types[t], &v));
			want = key_bytes (rec, keys[k]);
			assert_int_equal (v.len, want->len);
			assert_memory_equal (v.p, want->data, want->len);
			if (t == 0)
				seen->label_claims++;
			else if (t == 1)
				seen->subject_claims++;
			else
				seen->id_claims++;
		}
	}
	return true;
}

/*
 * tf_view_shows_key lets a search the index answered by a key skip
 * comparing that attribute (object.c). Wherever it says so, every view of
 * a record with a decision, a pin and a certificate shows the key's bytes.
 */
static void
test_shows_key (void **state)
{
	tf_token tok;
	tf_record *rec = tf_record_new ();
	shows_seen seen = { 0 };
	int p;

	(void)state;
	memset (&tok, 0, sizeof (tok));
	seen.tok = &tok;
	assert_non_null (rec);
	assert_true (tf_bytes_set (&rec->der, ca.der, ca.len));
	assert_true (tf_bytes_set (&rec->subject, "subject bytes", 13));
	assert_true (tf_bytes_set (&rec->issuer, "issuer bytes", 12));
	assert_true (tf_bytes_set (&rec->serial, "\x02\x01\x07", 3));
	assert_true (tf_bytes_set (&rec->id, "an id", 5));
	assert_true (tf_bytes_set (&rec->label, "a label", 7));
	memcpy (rec->sha256, ca.sha256, 32);
	assert_true (EVP_Digest (ca.der, ca.len, rec->sha1, NULL, EVP_sha1 (), NULL));
	rec->has_sha256 = rec->has_hash = true;
	rec->has_trust = true;
	for (p = 0; p < TF_PURPOSE_COUNT; p++)
		rec->trust[p] = TF_LEVEL_ANCHOR;
	assert_true (tf_record_set_hosts (rec, strdup ("a.example")));
	tf_view_each (rec, (CK_OBJECT_CLASS)-1, check_shows_key, &seen);
	/* Certificate, NSS trust, CKO_TRUST, anchored and pinned assertions: the label in each. */
	assert_true (seen.views >= 4);
	assert_int_equal (seen.label_claims, seen.views);
	assert_int_equal (seen.subject_claims, 1);
	assert_int_equal (seen.id_claims, 1);
	/* No record: the profile shows no key. */
	assert_false (tf_view_shows_key (TF_VIEW_PROFILE, CKA_LABEL, TF_KEY_LABEL));
	tf_record_free (rec);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown (test_pkcs_trust_to_every_view, setup, teardown),
		cmocka_unit_test_setup_teardown (test_nss_trust_to_every_view, setup, teardown),
		cmocka_unit_test_setup_teardown (test_p11kit_anchor_to_nss, setup, teardown),
		cmocka_unit_test_setup_teardown (test_pinned_for_a_host, setup, teardown),
		cmocka_unit_test_setup_teardown (test_pinned_hosts_keep_slots, setup, teardown),
		cmocka_unit_test_setup_teardown (test_pinned_hosts_all_removed, setup, teardown),
		cmocka_unit_test_setup_teardown (test_stapled_eku_narrows, setup, teardown),
		cmocka_unit_test_setup_teardown (test_stapled_and_derived_extension_handles, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_destroy_trust_view_keeps_certificate, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_pkcs_trust_wrong_hash, setup, teardown),
		cmocka_unit_test_setup_teardown (test_partial_decision_staples_eku, setup, teardown),
		cmocka_unit_test_setup_teardown (test_expired_certificate_not_trusted, setup,
						 teardown),
		cmocka_unit_test (test_shows_key),
	};
	int rc;

	load_ca ();
	rc = cmocka_run_group_tests (tests, NULL, NULL);
	free (ca.der);
	return rc;
}
