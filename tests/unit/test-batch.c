/*
 * The vendor interface's batches: many writes, one store transaction, all
 * durable at commit or none; visible in the process at once, to others only
 * after commit.
 */
#include "unit.h"

#include "interface.h"
#include "trustfolder-vendor.h"
#include "trustfolder.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define assert_rv(got, want) assert_int_equal ((unsigned long)(got), (unsigned long)(want))

static const char *const fixtures[] = { "ca.der",	  "inter.der",	  "server.der",
					"server-inter.der", "wildcard.der", "selfsigned.der",
					"other-ca.der",	  "v1.der",	  "noski.der" };
#define N_FIXTURES (sizeof (fixtures) / sizeof (fixtures[0]))

static CK_FUNCTION_LIST_PTR f;
static TF_VENDOR_FUNCTION_LIST *v;
static char dir[64], params[128];
static CK_C_INITIALIZE_ARGS args;
static unsigned char *der[N_FIXTURES];
static size_t der_len[N_FIXTURES];

static const CK_BBOOL yes = CK_TRUE;
static const CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;

static CK_SESSION_HANDLE
open_rw (void)
{
	CK_SESSION_HANDLE s;

	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				     NULL, &s),
		   CKR_OK);
	return s;
}

static int
setup (void **state)
{
	tf_interface *in = NULL;

	strcpy (dir, "/tmp/tf-batch-XXXXXX");
	assert_non_null (mkdtemp (dir));
	snprintf (params, sizeof (params), "store=%s/t.db", dir);
	assert_rv (C_GetInterface (NULL, NULL, &in, 0), CKR_OK);
	f = in->pFunctionList;
	assert_rv (C_GetInterface ((CK_UTF8CHAR *)TF_VENDOR_INTERFACE_NAME, NULL, &in, 0), CKR_OK);
	v = in->pFunctionList;
	assert_int_equal (v->version.major, 1);
	memset (&args, 0, sizeof (args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	assert_rv (f->C_Initialize (&args), CKR_OK);
	return 0;
}

static int
teardown (void **state)
{
	char cmd[128];

	f->C_Finalize (NULL);
	snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
	assert_int_equal (system (cmd), 0);
	return 0;
}

static CK_RV
create (CK_SESSION_HANDLE s, size_t i)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VALUE, der[i], der_len[i] },
	};
	CK_OBJECT_HANDLE h;

	return f->C_CreateObject (s, tmpl, 4, &h);
}

static CK_ULONG
count_certs (CK_SESSION_HANDLE s)
{
	CK_ATTRIBUTE q[] = { { CKA_CLASS, (void *)&cert_class, sizeof (CK_ULONG) } };
	CK_OBJECT_HANDLE h[32];
	CK_ULONG n = 0;

	assert_rv (f->C_FindObjectsInit (s, q, 1), CKR_OK);
	assert_rv (f->C_FindObjects (s, h, 32, &n), CKR_OK);
	assert_rv (f->C_FindObjectsFinal (s), CKR_OK);
	return n;
}

/* How many certificates a fresh process finds in the store. */
static CK_ULONG
count_in_other_process (void)
{
	int status;
	pid_t pid;

	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_ULONG n;

		if (f->C_Initialize (&args) != CKR_OK ||
		    f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &s) !=
			    CKR_OK)
			_exit (255);
		n = count_certs (s);
		f->C_Finalize (NULL);
		_exit ((int)n);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	return (CK_ULONG)WEXITSTATUS (status);
}

static void
test_commit_keeps_all (void **state)
{
	CK_SESSION_HANDLE s = open_rw ();
	size_t i;

	assert_rv (v->C_BeginBatch (s), CKR_OK);
	assert_rv (v->C_BeginBatch (s), CKR_OPERATION_ACTIVE);
	for (i = 0; i < N_FIXTURES; i++)
		assert_rv (create (s, i), CKR_OK);
	/* Seen in the process at once, by no one else before the commit. */
	assert_int_equal (count_certs (s), N_FIXTURES);
	assert_int_equal (count_in_other_process (), 0);
	assert_rv (v->C_CommitBatch (s), CKR_OK);
	assert_int_equal (count_in_other_process (), N_FIXTURES);
	assert_rv (v->C_CommitBatch (s), CKR_OPERATION_NOT_INITIALIZED);
	/* And after a restart. */
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	assert_rv (f->C_Initialize (&args), CKR_OK);
	assert_int_equal (count_certs (open_rw ()), N_FIXTURES);
}

static void
test_abort_keeps_none (void **state)
{
	CK_SESSION_HANDLE s = open_rw ();
	size_t i;

	assert_rv (create (s, 0), CKR_OK);
	assert_rv (v->C_BeginBatch (s), CKR_OK);
	for (i = 1; i < N_FIXTURES; i++)
		assert_rv (create (s, i), CKR_OK);
	assert_int_equal (count_certs (s), N_FIXTURES);
	assert_rv (v->C_AbortBatch (s), CKR_OK);
	/* The index was reloaded from the store: only what was there before. */
	assert_int_equal (count_certs (s), 1);
	assert_int_equal (count_in_other_process (), 1);
}

/* A refused write (nothing written) does not spoil the batch. */
static void
test_refused_write_in_batch (void **state)
{
	CK_SESSION_HANDLE s = open_rw ();
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	CK_ATTRIBUTE bad[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, 1 },
		{ CKA_VALUE, junk, sizeof (junk) },
	};
	CK_OBJECT_HANDLE h;

	assert_rv (v->C_BeginBatch (s), CKR_OK);
	assert_rv (create (s, 0), CKR_OK);
	assert_rv (f->C_CreateObject (s, bad, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_rv (create (s, 1), CKR_OK);
	assert_rv (v->C_CommitBatch (s), CKR_OK);
	assert_int_equal (count_in_other_process (), 2);
}

/* The attributes a record is searched by, and what each search found here. */
enum { BY_SUBJECT, BY_LABEL, BY_ID, BY_VALUE, BY_ISSUER_SERIAL, N_BY };

typedef struct {
	unsigned char bytes[N_BY][2][2048];
	CK_ULONG len[N_BY][2];
	CK_ULONG found[N_BY];
} searches;

/* Reads attribute type of h into b, len. */
static void
read_attr (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, unsigned char *b,
	   CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, b, 2048 };

	assert_rv (f->C_GetAttributeValue (s, h, &a, 1), CKR_OK);
	*len = a.ulValueLen;
}

/* How many objects a search by one of the keys finds (trust objects for issuer + serial). */
static CK_ULONG
search_by (CK_SESSION_HANDLE s, searches *q, int by)
{
	static const CK_OBJECT_CLASS trust_class = TF_CKO_NSS_TRUST;
	static const CK_ATTRIBUTE_TYPE types[N_BY] = { CKA_SUBJECT, CKA_LABEL, CKA_ID, CKA_VALUE,
						       CKA_ISSUER };
	CK_ATTRIBUTE t[3] = {
		{ CKA_CLASS, (void *)(by == BY_ISSUER_SERIAL ? &trust_class : &cert_class),
		  sizeof (CK_ULONG) },
		{ types[by], q->bytes[by][0], q->len[by][0] },
		{ CKA_SERIAL_NUMBER, q->bytes[by][1], q->len[by][1] },
	};
	CK_OBJECT_HANDLE h[32];
	CK_ULONG n = 0;

	if (f->C_FindObjectsInit (s, t, by == BY_ISSUER_SERIAL ? 3 : 2) != CKR_OK ||
	    f->C_FindObjects (s, h, 32, &n) != CKR_OK || f->C_FindObjectsFinal (s) != CKR_OK)
		return 99;
	return n;
}

/*
 * Records new in a batch reach the store at its commit, each once and as it
 * was last changed: another process then finds each by every key, as this
 * one does. A trust right after its certificate, a label set after other
 * certificates came, a certificate destroyed within the batch.
 */
static void
test_committed_found_by_every_key (void **state)
{
	static const CK_OBJECT_CLASS trust_class = TF_CKO_NSS_TRUST;
	static const CK_ULONG delegator = TF_CKT_NSS_TRUSTED_DELEGATOR;
	static searches q[N_FIXTURES];
	CK_SESSION_HANDLE s = open_rw ();
	CK_OBJECT_HANDLE cert[N_FIXTURES], h;
	CK_ATTRIBUTE label = { CKA_LABEL, (void *)"renamed in the batch", 20 };
	int status, by, wrong;
	size_t i;
	pid_t pid;

	assert_rv (v->C_BeginBatch (s), CKR_OK);
	for (i = 0; i < N_FIXTURES; i++) {
		CK_ATTRIBUTE c[] = {
			{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
			{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_VALUE, der[i], der_len[i] },
		};
		unsigned char issuer[2048], serial[64];
		CK_ULONG issuer_len, serial_len;

		assert_rv (f->C_CreateObject (s, c, 4, &cert[i]), CKR_OK);
		read_attr (s, cert[i], CKA_ISSUER, issuer, &issuer_len);
		read_attr (s, cert[i], CKA_SERIAL_NUMBER, serial, &serial_len);
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, (void *)&trust_class, sizeof (trust_class) },
			{ CKA_TOKEN, (void *)&yes, 1 },
			{ CKA_ISSUER, issuer, issuer_len },
			{ CKA_SERIAL_NUMBER, serial, serial_len },
			{ TF_CKA_NSS_TRUST_SERVER_AUTH, (void *)&delegator, sizeof (delegator) },
		};
		assert_rv (f->C_CreateObject (s, t, 5, &h), CKR_OK);
	}
	assert_rv (f->C_SetAttributeValue (s, cert[0], &label, 1), CKR_OK);
	for (i = 0; i < N_FIXTURES; i++) {
		read_attr (s, cert[i], CKA_SUBJECT, q[i].bytes[BY_SUBJECT][0], &q[i].len[BY_SUBJECT][0]);
		read_attr (s, cert[i], CKA_LABEL, q[i].bytes[BY_LABEL][0], &q[i].len[BY_LABEL][0]);
		read_attr (s, cert[i], CKA_ID, q[i].bytes[BY_ID][0], &q[i].len[BY_ID][0]);
		read_attr (s, cert[i], CKA_VALUE, q[i].bytes[BY_VALUE][0], &q[i].len[BY_VALUE][0]);
		read_attr (s, cert[i], CKA_ISSUER, q[i].bytes[BY_ISSUER_SERIAL][0],
			   &q[i].len[BY_ISSUER_SERIAL][0]);
		read_attr (s, cert[i], CKA_SERIAL_NUMBER, q[i].bytes[BY_ISSUER_SERIAL][1],
			   &q[i].len[BY_ISSUER_SERIAL][1]);
	}
	assert_rv (f->C_DestroyObject (s, cert[N_FIXTURES - 1]), CKR_OK);
	assert_rv (v->C_CommitBatch (s), CKR_OK);
	for (i = 0; i < N_FIXTURES; i++) {
		for (by = 0; by < N_BY; by++) {
			q[i].found[by] = search_by (s, &q[i], by);
			/* Each found here: all but the destroyed certificate's value. */
			if (i + 1 < N_FIXTURES || by == BY_VALUE)
				assert_true (q[i].found[by] >= (i + 1 < N_FIXTURES ? 1u : 0u));
		}
	}
	assert_int_equal (q[N_FIXTURES - 1].found[BY_VALUE], 0);
	assert_int_equal (q[0].found[BY_LABEL], 1);

	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		wrong = 0;
		if (f->C_Initialize (&args) != CKR_OK ||
		    f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &s) !=
			    CKR_OK)
			_exit (255);
		for (i = 0; i < N_FIXTURES; i++) {
			for (by = 0; by < N_BY; by++)
				wrong += search_by (s, &q[i], by) != q[i].found[by];
		}
		f->C_Finalize (NULL);
		_exit (wrong);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
}

/* Closing the session that began the batch aborts it; a read-only session cannot. */
static void
test_close_aborts (void **state)
{
	CK_SESSION_HANDLE s = open_rw (), ro, other = open_rw ();

	assert_rv (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &ro),
		   CKR_OK);
	assert_rv (v->C_BeginBatch (ro), CKR_SESSION_READ_ONLY);
	assert_rv (v->C_BeginBatch (s), CKR_OK);
	assert_rv (v->C_CommitBatch (other), CKR_OPERATION_NOT_INITIALIZED);
	assert_rv (create (s, 2), CKR_OK);
	assert_rv (f->C_CloseSession (s), CKR_OK);
	assert_int_equal (count_certs (other), 0);
	assert_int_equal (count_in_other_process (), 0);
	/* C_Finalize with a batch open: nothing of it stays. */
	assert_rv (v->C_BeginBatch (other), CKR_OK);
	assert_rv (create (other, 3), CKR_OK);
	assert_rv (f->C_Finalize (NULL), CKR_OK);
	assert_rv (f->C_Initialize (&args), CKR_OK);
	assert_int_equal (count_certs (open_rw ()), 0);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown (test_commit_keeps_all, setup, teardown),
		cmocka_unit_test_setup_teardown (test_abort_keeps_none, setup, teardown),
		cmocka_unit_test_setup_teardown (test_refused_write_in_batch, setup, teardown),
		cmocka_unit_test_setup_teardown (test_committed_found_by_every_key, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_close_aborts, setup, teardown),
	};
	char path[256];
	size_t i;
	int rc;

	for (i = 0; i < N_FIXTURES; i++) {
		snprintf (path, sizeof (path), "%s/%s", TF_FIXTURES, fixtures[i]);
		der[i] = unit_read_file (path, &der_len[i]);
	}
	rc = cmocka_run_group_tests (tests, NULL, NULL);
	for (i = 0; i < N_FIXTURES; i++)
		free (der[i]);
	return rc;
}
