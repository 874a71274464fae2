/*
 * The PKCS#11 contract under abuse, through C_GetFunctionList from the
 * static archive: every function called before C_Initialize, after
 * C_Finalize and in a forked child, with invalid and closed session handles,
 * invalid slots and object handles, NULL pointers and wrong lengths, returns
 * the code PKCS#11 2.40 (chapter 5) gives and never crashes; oversized input
 * (a 100 MB value, a million-attribute template) is refused quickly and
 * without being allocated; and a session closed while another thread
 * searches with it is safe.
 *
 * Which codes each function may return is tests/fuzz/pkcs11-spec.h, shared
 * with the fuzz targets. Where the specification ranks the codes (5.1.8: a
 * session code before any other), the test asks for that one exactly.
 */
#include "unit.h"

#include "../fuzz/pkcs11-spec.h"
#include "attrs.h"
#include "interface.h"
#include "trustfolder.h"

#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static CK_FUNCTION_LIST_PTR f;
static tf_function_list_3_0 *f30;
static char dir[256];
static char params[400];
static CK_C_INITIALIZE_ARGS init_args;
static unsigned char *ca_der;
static size_t ca_len;

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static const CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
static const CK_CERTIFICATE_TYPE x509 = CKC_X_509;

/*
 * The function returned want, and the specification allows it that code:
 * expect_rv (SPEC_C_GetInfo, f->C_GetInfo (NULL), CKR_ARGUMENTS_BAD).
 */
#define expect_rv(fn, got, want) check_rv ((fn), (got), (want), __FILE__, __LINE__)

static void
check_rv (spec_fn fn, CK_RV got, CK_RV want, const char *file, int line)
{
	char g[32], w[32];

	if (got == want && spec_allows (fn, got))
		return;
	print_error ("%s returned %s, expected %s%s\n", spec_functions[fn].name,
		     spec_rv_name (got, g, sizeof (g)), spec_rv_name (want, w, sizeof (w)),
		     spec_allows (fn, got) ? "" : " (and the specification does not allow it)");
	_fail (file, line);
}

/* The code is one the specification allows the function; returns it. */
#define expect_allowed(fn, got) check_allowed ((fn), (got), __FILE__, __LINE__)

static CK_RV
check_allowed (spec_fn fn, CK_RV got, const char *file, int line)
{
	char g[32];

	if (!spec_allows (fn, got)) {
		print_error ("%s returned %s, which PKCS#11 2.40 does not allow it\n",
			     spec_functions[fn].name, spec_rv_name (got, g, sizeof (g)));
		_fail (file, line);
	}
	return got;
}

/* ---- setup ------------------------------------------------------------------- */

static void
init_module (void)
{
	memset (&init_args, 0, sizeof (init_args));
	init_args.flags = CKF_OS_LOCKING_OK;
	init_args.pReserved = params;
	expect_rv (SPEC_C_Initialize, f->C_Initialize (&init_args), CKR_OK);
}

/* A scratch store; the module left uninitialized. */
static int
setup_dir (void **state)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR) = C_GetFunctionList;
	CK_VERSION v30 = { 3, 0 };
	tf_interface *in = NULL;

	strcpy (dir, "/tmp/tf-abuse-XXXXXX");
	assert_non_null (mkdtemp (dir));
	snprintf (params, sizeof (params), "store=%s/trustfolder.db", dir);
	assert_int_equal (get_list (&f), CKR_OK);
	assert_int_equal (C_GetInterface ((CK_UTF8CHAR *)"PKCS 11", &v30, &in, 0), CKR_OK);
	f30 = in->pFunctionList;
	return 0;
}

static int
setup (void **state)
{
	setup_dir (state);
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

static CK_SESSION_HANDLE
open_session (CK_SLOT_ID slot, CK_FLAGS flags)
{
	CK_SESSION_HANDLE s = 0;

	expect_rv (SPEC_C_OpenSession, f->C_OpenSession (slot, flags, NULL, NULL, &s), CKR_OK);
	assert_true (s != CK_INVALID_HANDLE);
	return s;
}

static CK_SESSION_HANDLE
open_rw (CK_SLOT_ID slot)
{
	return open_session (slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
}

/* The fixture CA as a certificate object; token or session object. */
static CK_OBJECT_HANDLE
create_ca (CK_SESSION_HANDLE s, CK_BBOOL token)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, &token, sizeof (token) },
		{ CKA_VALUE, ca_der, ca_len },
	};
	CK_OBJECT_HANDLE h = 0;

	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 4, &h), CKR_OK);
	assert_true (h != CK_INVALID_HANDLE);
	return h;
}

/* ---- every function at once ------------------------------------------------------ */

/*
 * A batch of calls that should all answer the same code. Failures are
 * counted and printed rather than asserted, so that a forked child can run
 * the same batch and report through its exit status.
 */
typedef struct {
	const char *when;
	CK_RV want;
	int failures;
} batch;

#define CHECK(c, fn, call) batch_check ((c), (fn), (call), __LINE__)

static void
batch_check (batch *c, spec_fn fn, CK_RV got, int line)
{
	const unsigned flags = spec_functions[fn].flags;
	char g[32], w[32];
	bool ok = got == c->want;

	/*
	 * A stub answers before it looks at the session (5.1.6: "this stub
	 * should simply return the value CKR_FUNCTION_NOT_SUPPORTED"), and so
	 * do the legacy parallel functions (5.20); both are taken.
	 */
	if (!ok && c->want == CKR_SESSION_HANDLE_INVALID)
		ok = ((flags & SPEC_STUB) && got == CKR_FUNCTION_NOT_SUPPORTED) ||
		     ((flags & SPEC_NO_OK) && got == CKR_FUNCTION_NOT_PARALLEL);
	if (ok && spec_allows (fn, got))
		return;
	fprintf (stderr, "%s: line %d: %s returned %s, expected %s\n", c->when, line,
		 spec_functions[fn].name, spec_rv_name (got, g, sizeof (g)),
		 spec_rv_name (c->want, w, sizeof (w)));
	c->failures++;
}

/*
 * Every function that takes a session, with session s; with nulls, every
 * pointer argument is NULL. The arguments are otherwise plausible, so that
 * only the session (or the library's state) is wrong.
 */
static void
call_session_functions (batch *c, CK_SESSION_HANDLE s, bool nulls)
{
	CK_BYTE buf[64] = { 0 };
	CK_ULONG len = sizeof (buf), n = 0;
	CK_MECHANISM mech = { CKM_SHA_1, NULL, 0 };
	CK_ULONG klass = CKO_CERTIFICATE;
	CK_ATTRIBUTE attr = { CKA_CLASS, &klass, sizeof (klass) };
	CK_OBJECT_HANDLE h = 0x101, h2 = 0, found[4];
	CK_SESSION_INFO si;
	CK_BYTE *b = nulls ? NULL : buf;
	CK_ULONG *l = nulls ? NULL : &len;
	CK_MECHANISM *m = nulls ? NULL : &mech;
	CK_ATTRIBUTE *a = nulls ? NULL : &attr;
	CK_OBJECT_HANDLE *ph = nulls ? NULL : &h2;
	int i;

	CHECK (c, SPEC_C_InitPIN, f->C_InitPIN (s, b, 4));
	CHECK (c, SPEC_C_SetPIN, f->C_SetPIN (s, b, 4, b, 4));
	CHECK (c, SPEC_C_GetSessionInfo, f->C_GetSessionInfo (s, nulls ? NULL : &si));
	CHECK (c, SPEC_C_GetOperationState, f->C_GetOperationState (s, b, l));
	CHECK (c, SPEC_C_SetOperationState, f->C_SetOperationState (s, b, 4, 0, 0));
	CHECK (c, SPEC_C_Login, f->C_Login (s, CKU_USER, b, 4));
	CHECK (c, SPEC_C_Logout, f->C_Logout (s));
	CHECK (c, SPEC_C_CreateObject, f->C_CreateObject (s, a, 1, ph));
	CHECK (c, SPEC_C_CopyObject, f->C_CopyObject (s, h, a, 1, ph));
	CHECK (c, SPEC_C_DestroyObject, f->C_DestroyObject (s, h));
	CHECK (c, SPEC_C_GetObjectSize, f->C_GetObjectSize (s, h, nulls ? NULL : &n));
	CHECK (c, SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, a, 1));
	CHECK (c, SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, a, 1));
	CHECK (c, SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, a, 1));
	CHECK (c, SPEC_C_FindObjects, f->C_FindObjects (s, nulls ? NULL : found, 4, nulls ? NULL : &n));
	CHECK (c, SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s));
	CHECK (c, SPEC_C_EncryptInit, f->C_EncryptInit (s, m, h));
	CHECK (c, SPEC_C_Encrypt, f->C_Encrypt (s, b, 4, b, l));
	CHECK (c, SPEC_C_EncryptUpdate, f->C_EncryptUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_EncryptFinal, f->C_EncryptFinal (s, b, l));
	CHECK (c, SPEC_C_DecryptInit, f->C_DecryptInit (s, m, h));
	CHECK (c, SPEC_C_Decrypt, f->C_Decrypt (s, b, 4, b, l));
	CHECK (c, SPEC_C_DecryptUpdate, f->C_DecryptUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_DecryptFinal, f->C_DecryptFinal (s, b, l));
	CHECK (c, SPEC_C_DigestInit, f->C_DigestInit (s, m));
	CHECK (c, SPEC_C_Digest, f->C_Digest (s, b, 4, b, l));
	CHECK (c, SPEC_C_DigestUpdate, f->C_DigestUpdate (s, b, 4));
	CHECK (c, SPEC_C_DigestKey, f->C_DigestKey (s, h));
	CHECK (c, SPEC_C_DigestFinal, f->C_DigestFinal (s, b, l));
	CHECK (c, SPEC_C_SignInit, f->C_SignInit (s, m, h));
	CHECK (c, SPEC_C_Sign, f->C_Sign (s, b, 4, b, l));
	CHECK (c, SPEC_C_SignUpdate, f->C_SignUpdate (s, b, 4));
	CHECK (c, SPEC_C_SignFinal, f->C_SignFinal (s, b, l));
	CHECK (c, SPEC_C_SignRecoverInit, f->C_SignRecoverInit (s, m, h));
	CHECK (c, SPEC_C_SignRecover, f->C_SignRecover (s, b, 4, b, l));
	CHECK (c, SPEC_C_VerifyInit, f->C_VerifyInit (s, m, h));
	CHECK (c, SPEC_C_Verify, f->C_Verify (s, b, 4, b, 4));
	CHECK (c, SPEC_C_VerifyUpdate, f->C_VerifyUpdate (s, b, 4));
	CHECK (c, SPEC_C_VerifyFinal, f->C_VerifyFinal (s, b, 4));
	CHECK (c, SPEC_C_VerifyRecoverInit, f->C_VerifyRecoverInit (s, m, h));
	CHECK (c, SPEC_C_VerifyRecover, f->C_VerifyRecover (s, b, 4, b, l));
	CHECK (c, SPEC_C_DigestEncryptUpdate, f->C_DigestEncryptUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_DecryptDigestUpdate, f->C_DecryptDigestUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_SignEncryptUpdate, f->C_SignEncryptUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_DecryptVerifyUpdate, f->C_DecryptVerifyUpdate (s, b, 4, b, l));
	CHECK (c, SPEC_C_GenerateKey, f->C_GenerateKey (s, m, a, 1, ph));
	CHECK (c, SPEC_C_GenerateKeyPair, f->C_GenerateKeyPair (s, m, a, 1, a, 1, ph, ph));
	CHECK (c, SPEC_C_WrapKey, f->C_WrapKey (s, m, h, h, b, l));
	CHECK (c, SPEC_C_UnwrapKey, f->C_UnwrapKey (s, m, h, b, 4, a, 1, ph));
	CHECK (c, SPEC_C_DeriveKey, f->C_DeriveKey (s, m, h, a, 1, ph));
	CHECK (c, SPEC_C_SeedRandom, f->C_SeedRandom (s, b, 4));
	CHECK (c, SPEC_C_GenerateRandom, f->C_GenerateRandom (s, b, 4));
	CHECK (c, SPEC_C_GetFunctionStatus, f->C_GetFunctionStatus (s));
	CHECK (c, SPEC_C_CancelFunction, f->C_CancelFunction (s));
	CHECK (c, SPEC_C_LoginUser, f30->v30.C_LoginUser (s, CKU_USER, b, 4, b, 4));
	CHECK (c, SPEC_C_SessionCancel, f30->v30.C_SessionCancel (s, 0));
	for (i = 0; i < 20; i++)
		CHECK (c, SPEC_C_Message, f30->v30.message[i]());
	/* Last: a session that was valid would be gone after this. */
	CHECK (c, SPEC_C_CloseSession, f->C_CloseSession (s));
}

/* Every function of the 2.40 list and the 3.0 additions but C_Initialize. */
static void
call_every_function (batch *c, bool nulls)
{
	CK_INFO info;
	CK_SLOT_ID slots[4], slot;
	CK_ULONG n = 4;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_TYPE mechs[4];
	CK_MECHANISM_INFO mi;
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s;

	memset (label, ' ', sizeof (label));
	CHECK (c, SPEC_C_GetInfo, f->C_GetInfo (nulls ? NULL : &info));
	CHECK (c, SPEC_C_GetSlotList, f->C_GetSlotList (CK_TRUE, nulls ? NULL : slots, nulls ? NULL : &n));
	CHECK (c, SPEC_C_GetSlotInfo, f->C_GetSlotInfo (TF_SLOT_PERSISTENT, nulls ? NULL : &si));
	CHECK (c, SPEC_C_GetTokenInfo, f->C_GetTokenInfo (TF_SLOT_PERSISTENT, nulls ? NULL : &ti));
	CHECK (c, SPEC_C_WaitForSlotEvent,
	       f->C_WaitForSlotEvent (CKF_DONT_BLOCK, nulls ? NULL : &slot, NULL));
	CHECK (c, SPEC_C_GetMechanismList,
	       f->C_GetMechanismList (TF_SLOT_PERSISTENT, nulls ? NULL : mechs, nulls ? NULL : &n));
	CHECK (c, SPEC_C_GetMechanismInfo,
	       f->C_GetMechanismInfo (TF_SLOT_PERSISTENT, CKM_SHA_1, nulls ? NULL : &mi));
	CHECK (c, SPEC_C_InitToken,
	       f->C_InitToken (TF_SLOT_PERSISTENT, nulls ? NULL : label, 4, nulls ? NULL : label));
	CHECK (c, SPEC_C_OpenSession,
	       f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL,
				 nulls ? NULL : &s));
	CHECK (c, SPEC_C_CloseAllSessions, f->C_CloseAllSessions (TF_SLOT_PERSISTENT));
	call_session_functions (c, 1, nulls);
	CHECK (c, SPEC_C_Finalize, f->C_Finalize (NULL));
}

/* What a library that is not initialized answers, to everything. */
static int
not_initialized_everywhere (const char *when)
{
	batch c = { when, CKR_CRYPTOKI_NOT_INITIALIZED, 0 };

	call_every_function (&c, false);
	call_every_function (&c, true);
	return c.failures;
}

/* ---- tests: the library's state ------------------------------------------------------ */

/* Before any C_Initialize (the first test of this process). */
static void
test_before_initialize (void **state)
{
	CK_FUNCTION_LIST_PTR list = NULL;
	tf_interface ifaces[4], *in = NULL;
	CK_ULONG n = 0;

	assert_int_equal (not_initialized_everywhere ("before C_Initialize"), 0);
	/* What may be called before C_Initialize works (5.4; 3.0 5.4). */
	expect_rv (SPEC_C_GetFunctionList, f->C_GetFunctionList (&list), CKR_OK);
	assert_ptr_equal (list, f);
	expect_rv (SPEC_C_GetFunctionList, f->C_GetFunctionList (NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetInterfaceList, C_GetInterfaceList (NULL, &n), CKR_OK);
	assert_true (n >= 1 && n <= 4);
	expect_rv (SPEC_C_GetInterfaceList, C_GetInterfaceList (ifaces, &n), CKR_OK);
	expect_rv (SPEC_C_GetInterface, C_GetInterface (NULL, NULL, &in, 0), CKR_OK);
	assert_non_null (in);
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	expect_allowed (SPEC_C_Finalize, f->C_Finalize ((void *)1));
}

/* After C_Finalize: nothing works, and nothing of before is valid after re-initializing. */
static void
test_after_finalize (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT), s2 = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE token = create_ca (s, CK_TRUE), session = create_ca (s2, CK_FALSE);
	unsigned char value[2048];
	CK_ATTRIBUTE a = { CKA_VALUE, value, sizeof (value) };
	CK_SESSION_INFO si;
	CK_RV rv;

	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, NULL, 0), CKR_OK);
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_OK);
	assert_int_equal (not_initialized_everywhere ("after C_Finalize"), 0);
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

	init_module ();
	expect_rv (SPEC_C_Initialize, f->C_Initialize (&init_args), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (s, &si), CKR_SESSION_HANDLE_INVALID);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (s2, &si),
		   CKR_SESSION_HANDLE_INVALID);
	s = open_rw (TF_SLOT_PERSISTENT);
	/* An old handle names nothing, or the same object: never another one. */
	rv = expect_allowed (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, token, &a, 1));
	assert_true (rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_OK);
	if (rv == CKR_OK) {
		assert_int_equal (a.ulValueLen, ca_len);
		assert_memory_equal (value, ca_der, ca_len);
	}
	a.ulValueLen = sizeof (value);
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, session, &a, 1),
		   CKR_OBJECT_HANDLE_INVALID);
}

/*
 * In a forked child, everything answers CKR_CRYPTOKI_NOT_INITIALIZED (NSS
 * probes with C_GetSlotList and re-initializes on that answer) until the
 * child calls C_Initialize, and nothing of the parent's is valid after.
 */
static void
test_forked_child (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_SESSION_INFO si;
	pid_t pid;
	int status;

	create_ca (s, CK_TRUE);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, NULL, 0), CKR_OK);
	fflush (NULL);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0) {
		int failures = not_initialized_everywhere ("in a forked child");
		CK_SESSION_HANDLE cs;
		CK_OBJECT_HANDLE found[8];
		CK_ULONG n = 0;

		if (f->C_Initialize (&init_args) != CKR_OK)
			_exit (100);
		if (f->C_GetSessionInfo (s, &si) != CKR_SESSION_HANDLE_INVALID)
			failures++;
		if (f->C_FindObjects (s, found, 8, &n) != CKR_SESSION_HANDLE_INVALID)
			failures++;
		/* The child's own session sees the parent's store. */
		if (f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, &cs) !=
			    CKR_OK ||
		    f->C_FindObjectsInit (cs, NULL, 0) != CKR_OK ||
		    f->C_FindObjects (cs, found, 8, &n) != CKR_OK || n < 2 ||
		    f->C_FindObjectsFinal (cs) != CKR_OK)
			failures++;
		if (f->C_Finalize (NULL) != CKR_OK)
			failures++;
		fflush (NULL);
		_exit (failures > 99 ? 99 : failures);
	}
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	assert_int_equal (WEXITSTATUS (status), 0);
	/* The parent goes on as before, its search included. */
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (s, &si), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
}

/* C_Initialize's arguments (5.4): locking callbacks used, partial ones refused. */
static int mutexes, locks, destroyed;
static bool fail_create;

static CK_RV
create_mutex (CK_VOID_PTR_PTR out)
{
	pthread_mutex_t *m;

	if (fail_create)
		return CKR_HOST_MEMORY;
	m = malloc (sizeof (*m));
	if (m == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init (m, NULL);
	__atomic_add_fetch (&mutexes, 1, __ATOMIC_SEQ_CST);
	*out = m;
	return CKR_OK;
}

static CK_RV
destroy_mutex (CK_VOID_PTR m)
{
	pthread_mutex_destroy (m);
	free (m);
	__atomic_add_fetch (&destroyed, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV
lock_mutex (CK_VOID_PTR m)
{
	pthread_mutex_lock (m);
	__atomic_add_fetch (&locks, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}

static CK_RV
unlock_mutex (CK_VOID_PTR m)
{
	pthread_mutex_unlock (m);
	return CKR_OK;
}

static void
init_with_callbacks (void)
{
	memset (&init_args, 0, sizeof (init_args));
	init_args.CreateMutex = create_mutex;
	init_args.DestroyMutex = destroy_mutex;
	init_args.LockMutex = lock_mutex;
	init_args.UnlockMutex = unlock_mutex;
	init_args.pReserved = params;
	expect_rv (SPEC_C_Initialize, f->C_Initialize (&init_args), CKR_OK);
}

static void
test_initialize_arguments (void **state)
{
	CK_C_INITIALIZE_ARGS args;
	CK_SESSION_HANDLE s;

	/* The application's mutexes, when it gives them without CKF_OS_LOCKING_OK. */
	mutexes = locks = destroyed = 0;
	init_with_callbacks ();
	assert_true (mutexes >= 1);
	s = open_rw (TF_SLOT_SESSION);
	assert_true (locks >= 1);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (s), CKR_OK);
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_OK);
	assert_int_equal (destroyed, mutexes);

	/* A mutex that cannot be made: the library cannot lock as asked. */
	fail_create = true;
	memcpy (&args, &init_args, sizeof (args));
	expect_allowed (SPEC_C_Initialize, f->C_Initialize (&args));
	fail_create = false;
	f->C_Finalize (NULL);

	/* Some callbacks but not all (5.4: CKR_ARGUMENTS_BAD). */
	memset (&args, 0, sizeof (args));
	args.LockMutex = lock_mutex;
	args.UnlockMutex = unlock_mutex;
	args.pReserved = params;
	expect_rv (SPEC_C_Initialize, f->C_Initialize (&args), CKR_ARGUMENTS_BAD);
	/* Nothing was left half-initialized by the refusals. */
	expect_rv (SPEC_C_GetInfo, f->C_GetInfo (NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	init_module ();
	expect_rv (SPEC_C_Initialize, f->C_Initialize (&init_args), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	expect_rv (SPEC_C_Finalize, f->C_Finalize ((void *)&args), CKR_ARGUMENTS_BAD);
}

/* ---- tests: handles, pointers, lengths ------------------------------------------------ */

/* Session 0, one never issued, one closed, and the sessions C_CloseAllSessions closed. */
static void
test_invalid_sessions (void **state)
{
	CK_SESSION_HANDLE closed = open_rw (TF_SLOT_PERSISTENT);
	CK_SESSION_HANDLE all = open_rw (TF_SLOT_SESSION);
	CK_SESSION_HANDLE bad[] = { CK_INVALID_HANDLE, 0xdeadbeefUL, (CK_SESSION_HANDLE)-1, closed,
				    all };
	batch c = { "an invalid session handle", CKR_SESSION_HANDLE_INVALID, 0 };
	size_t i;

	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (closed), CKR_OK);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (closed), CKR_SESSION_HANDLE_INVALID);
	expect_rv (SPEC_C_CloseAllSessions, f->C_CloseAllSessions (TF_SLOT_SESSION), CKR_OK);
	/* The session code comes before any other (5.1.8), NULL pointers included. */
	for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
		call_session_functions (&c, bad[i], false);
		call_session_functions (&c, bad[i], true);
	}
	assert_int_equal (c.failures, 0);
}

static void
test_invalid_slots (void **state)
{
	static const CK_SLOT_ID bad[] = { 0, 3, 99, (CK_SLOT_ID)-1 };
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_TYPE mechs[2];
	CK_MECHANISM_INFO mi;
	CK_ULONG n = 2;
	CK_SESSION_HANDLE s;
	CK_UTF8CHAR label[32];
	CK_RV rv;
	size_t i;

	memset (label, ' ', sizeof (label));
	for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
		expect_rv (SPEC_C_GetSlotInfo, f->C_GetSlotInfo (bad[i], &si), CKR_SLOT_ID_INVALID);
		expect_rv (SPEC_C_GetTokenInfo, f->C_GetTokenInfo (bad[i], &ti),
			   CKR_SLOT_ID_INVALID);
		expect_rv (SPEC_C_GetMechanismList, f->C_GetMechanismList (bad[i], mechs, &n),
			   CKR_SLOT_ID_INVALID);
		expect_rv (SPEC_C_GetMechanismInfo, f->C_GetMechanismInfo (bad[i], CKM_SHA_1, &mi),
			   CKR_SLOT_ID_INVALID);
		expect_rv (SPEC_C_OpenSession,
			   f->C_OpenSession (bad[i], CKF_SERIAL_SESSION, NULL, NULL, &s),
			   CKR_SLOT_ID_INVALID);
		expect_rv (SPEC_C_CloseAllSessions, f->C_CloseAllSessions (bad[i]),
			   CKR_SLOT_ID_INVALID);
		rv = expect_allowed (SPEC_C_InitToken, f->C_InitToken (bad[i], label, 4, label));
		assert_true (rv == CKR_SLOT_ID_INVALID || rv == CKR_FUNCTION_NOT_SUPPORTED);
		/* Both codes apply with a NULL pointer too; either is right (5.1.8). */
		rv = expect_allowed (SPEC_C_GetSlotInfo, f->C_GetSlotInfo (bad[i], NULL));
		assert_true (rv == CKR_SLOT_ID_INVALID || rv == CKR_ARGUMENTS_BAD);
		rv = expect_allowed (SPEC_C_GetTokenInfo, f->C_GetTokenInfo (bad[i], NULL));
		assert_true (rv == CKR_SLOT_ID_INVALID || rv == CKR_ARGUMENTS_BAD);
		rv = expect_allowed (SPEC_C_OpenSession,
				     f->C_OpenSession (bad[i], CKF_SERIAL_SESSION, NULL, NULL, NULL));
		assert_true (rv == CKR_SLOT_ID_INVALID || rv == CKR_ARGUMENTS_BAD);
	}
}

/* Every pointer argument NULL, with everything else valid: CKR_ARGUMENTS_BAD. */
static void
test_null_pointers (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE h = create_ca (s, CK_FALSE), h2, found[2];
	CK_ATTRIBUTE label = { CKA_LABEL, "x", 1 };
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	CK_BYTE buf[8];
	batch c = { "a NULL pointer", CKR_FUNCTION_NOT_SUPPORTED, 0 };
	CK_RV rv;

	expect_rv (SPEC_C_GetInfo, f->C_GetInfo (NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetSlotList, f->C_GetSlotList (CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetSlotList, f->C_GetSlotList (CK_FALSE, slots, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetSlotInfo, f->C_GetSlotInfo (TF_SLOT_PERSISTENT, NULL),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetTokenInfo, f->C_GetTokenInfo (TF_SLOT_PERSISTENT, NULL),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetMechanismList, f->C_GetMechanismList (TF_SLOT_PERSISTENT, NULL, NULL),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetMechanismInfo,
		   f->C_GetMechanismInfo (TF_SLOT_PERSISTENT, CKM_SHA_1, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_OpenSession,
		   f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION, NULL, NULL, NULL),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (s, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, NULL, 1, &h2), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, &label, 1, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_CopyObject, f->C_CopyObject (s, h, NULL, 1, &h2), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_CopyObject, f->C_CopyObject (s, h, &label, 1, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetObjectSize, f->C_GetObjectSize (s, h, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, NULL, 1),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, NULL, 1),
		   CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, NULL, 1), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, NULL, 0), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, NULL, 1, &n), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, found, 2, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, NULL, 0, &n), CKR_OK);
	assert_int_equal (n, 0);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	expect_rv (SPEC_C_GetInterfaceList, C_GetInterfaceList (NULL, NULL), CKR_ARGUMENTS_BAD);
	expect_rv (SPEC_C_GetInterface, C_GetInterface ((CK_UTF8CHAR *)"PKCS 11", NULL, NULL, 0),
		   CKR_ARGUMENTS_BAD);
	/* Empty templates are not NULL pointers. */
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, NULL, 0), CKR_OK);
	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, NULL, 0, &h2),
		   CKR_TEMPLATE_INCOMPLETE);
	/* No PIN is needed; one that is not there is no worse than a wrong one. */
	rv = expect_allowed (SPEC_C_Login, f->C_Login (s, CKU_USER, NULL, 4));
	assert_true (rv == CKR_OK || rv == CKR_ARGUMENTS_BAD);
	if (rv == CKR_OK)
		expect_rv (SPEC_C_Logout, f->C_Logout (s), CKR_OK);
	rv = expect_allowed (SPEC_C_SeedRandom, f->C_SeedRandom (s, NULL, 4));
	assert_true (rv == CKR_RANDOM_NO_RNG || rv == CKR_ARGUMENTS_BAD);
	rv = expect_allowed (SPEC_C_GenerateRandom, f->C_GenerateRandom (s, NULL, 4));
	assert_true (rv == CKR_RANDOM_NO_RNG || rv == CKR_ARGUMENTS_BAD);
	/* Stubs stay stubs, whatever they are handed. */
	CHECK (&c, SPEC_C_DigestInit, f->C_DigestInit (s, NULL));
	CHECK (&c, SPEC_C_Digest, f->C_Digest (s, NULL, 4, NULL, NULL));
	CHECK (&c, SPEC_C_SignFinal, f->C_SignFinal (s, NULL, NULL));
	CHECK (&c, SPEC_C_GenerateKeyPair,
	       f->C_GenerateKeyPair (s, NULL, NULL, 1, NULL, 1, NULL, NULL));
	CHECK (&c, SPEC_C_GetOperationState, f->C_GetOperationState (s, buf, NULL));
	CHECK (&c, SPEC_C_WaitForSlotEvent, f->C_WaitForSlotEvent (0, NULL, NULL));
	assert_int_equal (c.failures, 0);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (s), CKR_OK);
}

/*
 * Object handles that name nothing: 0, ~0, another view of a record that
 * does not have it, a record that does not exist, an object of the other
 * token, one destroyed, a session object whose session closed.
 */
static void
test_invalid_objects (void **state)
{
	CK_SESSION_HANDLE s2 = open_rw (TF_SLOT_SESSION), temp = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE other = create_ca (s2, CK_TRUE);
	CK_OBJECT_HANDLE gone = create_ca (temp, CK_FALSE);
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE dead = create_ca (s, CK_TRUE), cert, profile, h2;
	CK_OBJECT_CLASS profile_class = TF_CKO_PROFILE;
	CK_ATTRIBUTE find_profile = { CKA_CLASS, &profile_class, sizeof (profile_class) };
	CK_OBJECT_CLASS klass;
	CK_ATTRIBUTE get = { CKA_CLASS, &klass, sizeof (klass) };
	CK_ATTRIBUTE set = { CKA_LABEL, "x", 1 };
	CK_ULONG size, n = 0;
	CK_OBJECT_HANDLE bad[8];
	size_t i;

	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, dead), CKR_OK);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (temp), CKR_OK);
	cert = create_ca (s, CK_TRUE);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s2, &find_profile, 1), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s2, &profile, 1, &n), CKR_OK);
	assert_int_equal (n, 1);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s2), CKR_OK);

	bad[0] = CK_INVALID_HANDLE;
	bad[1] = (CK_OBJECT_HANDLE)-1;
	bad[2] = cert ^ 0x3;	/* the certificate's record, a view it does not have */
	bad[3] = cert + 0x10000; /* a record that was never made */
	bad[4] = other;		/* the session token's, from a persistent-token session */
	bad[5] = profile;	/* the session token's profile */
	bad[6] = dead;
	bad[7] = gone;
	for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
		expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, bad[i], &get, 1),
			   CKR_OBJECT_HANDLE_INVALID);
		expect_rv (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, bad[i], &set, 1),
			   CKR_OBJECT_HANDLE_INVALID);
		expect_rv (SPEC_C_GetObjectSize, f->C_GetObjectSize (s, bad[i], &size),
			   CKR_OBJECT_HANDLE_INVALID);
		expect_rv (SPEC_C_CopyObject, f->C_CopyObject (s, bad[i], &set, 1, &h2),
			   CKR_OBJECT_HANDLE_INVALID);
		expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, bad[i]),
			   CKR_OBJECT_HANDLE_INVALID);
	}
	/* The profile is there, but it is the token's: not to be changed. */
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s2, profile), CKR_ACTION_PROHIBITED);
	expect_rv (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s2, profile, &set, 1),
		   CKR_ACTION_PROHIBITED);
	expect_rv (SPEC_C_CopyObject, f->C_CopyObject (s2, profile, &set, 1, &h2),
		   CKR_ACTION_PROHIBITED);
	/* And the good handles still work. */
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, cert, &get, 1), CKR_OK);
	assert_int_equal (klass, CKO_CERTIFICATE);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, cert), CKR_OK);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s2, other), CKR_OK);
}

/* Values of the wrong length, and buffers of every wrong size. */
static void
test_wrong_lengths (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE h = create_ca (s, CK_FALSE), h2;
	unsigned char big[16] = { 0 }, value[2048];
	CK_OBJECT_CLASS klass = 0;
	CK_ULONG n, i;
	CK_SLOT_ID slots[2];
	tf_interface ifaces[1];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&no, sizeof (no) },
		{ CKA_VALUE, ca_der, ca_len },
		{ CKA_TRUSTED, (void *)&yes, sizeof (yes) },
	};
	/* Which attribute gets which wrong length. */
	static const struct {
		size_t index;
		CK_ULONG len;
	} wrong[] = {
		{ 0, 0 }, { 0, 4 }, { 0, 16 }, { 1, 4 }, { 1, 16 }, { 2, 0 }, { 2, 4 }, { 4, 2 },
		{ 4, 8 },
	};
	CK_ATTRIBUTE saved;
	CK_ATTRIBUTE get[3];
	CK_RV rv;

	/* C_CreateObject: each CK_ULONG and CK_BBOOL of a wrong length. */
	for (i = 0; i < sizeof (wrong) / sizeof (wrong[0]); i++) {
		saved = tmpl[wrong[i].index];
		memcpy (big, saved.pValue, saved.ulValueLen < 16 ? saved.ulValueLen : 16);
		tmpl[wrong[i].index].pValue = big;
		tmpl[wrong[i].index].ulValueLen = wrong[i].len;
		expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &h2),
			   CKR_ATTRIBUTE_VALUE_INVALID);
		tmpl[wrong[i].index] = saved;
	}
	/* A CK_BBOOL that is neither CK_TRUE nor CK_FALSE. */
	big[0] = 2;
	tmpl[4].pValue = big;
	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &h2),
		   CKR_ATTRIBUTE_VALUE_INVALID);
	tmpl[4].ulValueLen = 8;
	expect_rv (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, tmpl + 4, 1),
		   CKR_ATTRIBUTE_VALUE_INVALID);
	/* A search by a malformed class: nothing matches, or the value is refused. */
	tmpl[0].ulValueLen = 4;
	rv = expect_allowed (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, tmpl, 1));
	if (rv == CKR_OK) {
		expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, &h2, 1, &n), CKR_OK);
		assert_int_equal (n, 0);
		expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	} else {
		assert_int_equal (rv, CKR_ATTRIBUTE_VALUE_INVALID);
	}
	tmpl[0].ulValueLen = sizeof (cert_class);

	/*
	 * C_GetAttributeValue (5.7): a buffer too small gets
	 * CK_UNAVAILABLE_INFORMATION and CKR_BUFFER_TOO_SMALL, while the others
	 * are still filled.
	 */
	get[0].type = CKA_VALUE;
	get[0].pValue = value;
	get[0].ulValueLen = ca_len - 1;
	get[1].type = CKA_CLASS;
	get[1].pValue = &klass;
	get[1].ulValueLen = sizeof (klass);
	get[2].type = CKA_TOKEN;
	get[2].pValue = big;
	get[2].ulValueLen = 0;
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, get, 3),
		   CKR_BUFFER_TOO_SMALL);
	assert_int_equal (get[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal (klass, CKO_CERTIFICATE);
	assert_int_equal (get[1].ulValueLen, sizeof (klass));
	assert_int_equal (get[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* A buffer said to be as large as can be: only the value is written. */
	value[ca_len] = 0xa5;
	get[0].ulValueLen = (CK_ULONG)-1;
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, get, 1), CKR_OK);
	assert_int_equal (get[0].ulValueLen, ca_len);
	assert_memory_equal (value, ca_der, ca_len);
	assert_int_equal (value[ca_len], 0xa5);

	/* Lists too short for what they should hold. */
	n = 1;
	expect_rv (SPEC_C_GetSlotList, f->C_GetSlotList (CK_FALSE, slots, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (n, 2);
	n = 0;
	expect_rv (SPEC_C_GetInterfaceList, C_GetInterfaceList (ifaces, &n), CKR_BUFFER_TOO_SMALL);
	assert_true (n > 0);
	n = 0;
	expect_rv (SPEC_C_GetMechanismList, f->C_GetMechanismList (TF_SLOT_SESSION, NULL, &n),
		   CKR_OK);
	assert_int_equal (n, 0);
	/* A PIN said to be longer than any: no PIN is read, none is needed. */
	rv = expect_allowed (SPEC_C_Login,
			     f->C_Login (s, CKU_USER, (CK_UTF8CHAR_PTR) "1234", (CK_ULONG)-1));
	if (rv == CKR_OK)
		expect_rv (SPEC_C_Logout, f->C_Logout (s), CKR_OK);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (s), CKR_OK);
}

/* Sessions in every state: searches, logins, read-only sessions. */
static void
test_session_states (void **state)
{
	CK_SESSION_HANDLE rw = open_rw (TF_SLOT_PERSISTENT), ro, s;
	CK_OBJECT_HANDLE h = create_ca (rw, CK_TRUE), found[2], h2;
	CK_ATTRIBUTE label = { CKA_LABEL, "x", 1 };
	CK_SESSION_INFO si;
	CK_ULONG n;

	expect_rv (SPEC_C_OpenSession, f->C_OpenSession (TF_SLOT_PERSISTENT, 0, NULL, NULL, &s),
		   CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	expect_rv (SPEC_C_OpenSession,
		   f->C_OpenSession (TF_SLOT_PERSISTENT, CKF_RW_SESSION, NULL, NULL, &s),
		   CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	ro = open_session (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION);

	/* Searches: none active, one active, one finished. */
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (ro, found, 2, &n),
		   CKR_OPERATION_NOT_INITIALIZED);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (ro),
		   CKR_OPERATION_NOT_INITIALIZED);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (ro, NULL, 0), CKR_OK);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (ro, NULL, 0),
		   CKR_OPERATION_ACTIVE);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (ro), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (ro, found, 2, &n),
		   CKR_OPERATION_NOT_INITIALIZED);

	/* A read-only session reads token objects and writes only session ones. */
	expect_rv (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (ro, h, &label, 1),
		   CKR_SESSION_READ_ONLY);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (ro, h), CKR_SESSION_READ_ONLY);
	{
		CK_ATTRIBUTE to_token = { CKA_TOKEN, (void *)&yes, sizeof (yes) };

		expect_rv (SPEC_C_CopyObject, f->C_CopyObject (ro, h, &to_token, 1, &h2),
			   CKR_SESSION_READ_ONLY);
	}
	h2 = create_ca (ro, CK_FALSE);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (ro, h2), CKR_OK);

	/* Logins: none needed, one accepted, not twice, and out once. */
	expect_rv (SPEC_C_Logout, f->C_Logout (rw), CKR_USER_NOT_LOGGED_IN);
	expect_rv (SPEC_C_Login, f->C_Login (rw, 7, NULL, 0), CKR_USER_TYPE_INVALID);
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4), CKR_OK);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (rw, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RW_USER_FUNCTIONS);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (ro, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RO_USER_FUNCTIONS);
	expect_rv (SPEC_C_Login, f->C_Login (ro, CKU_USER, NULL, 0), CKR_USER_ALREADY_LOGGED_IN);
	expect_rv (SPEC_C_Logout, f->C_Logout (ro), CKR_OK);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (rw, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RW_PUBLIC_SESSION);

	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (rw, h), CKR_OK);
	expect_rv (SPEC_C_CloseAllSessions, f->C_CloseAllSessions (TF_SLOT_PERSISTENT), CKR_OK);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (ro), CKR_SESSION_HANDLE_INVALID);
}

/* ---- tests: oversized input (issue 7, part 4) ------------------------------------------ */

static double
now (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's data size now (VmData), in bytes; 0 when unknown. */
static unsigned long long
data_size (void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *fp = fopen ("/proc/self/status", "r");

	if (fp == NULL)
		return 0;
	while (fgets (line, sizeof (line), fp) != NULL) {
		if (sscanf (line, "VmData: %llu kB", &kb) == 1)
			break;
	}
	fclose (fp);
	return kb * 1024;
}

/*
 * While a refusal is tested, the process may not grow by more than 64 MB
 * (RLIMIT_DATA counts heap and anonymous mappings): a module that allocated
 * the 100 MB it is handed would fail to, and say so with another code.
 */
#define HEADROOM (64ULL * 1024 * 1024)

static bool
limit_growth (struct rlimit *saved)
{
	struct rlimit lim;
	unsigned long long size = data_size ();

	if (size == 0 || getrlimit (RLIMIT_DATA, saved) != 0)
		return false;
	lim = *saved;
	lim.rlim_cur = size + HEADROOM;
	if (saved->rlim_max != RLIM_INFINITY && lim.rlim_cur > saved->rlim_max)
		lim.rlim_cur = saved->rlim_max;
	return setrlimit (RLIMIT_DATA, &lim) == 0;
}

/* One refusal: the code, well within a second, without growing the process. */
typedef struct {
	double start;
	struct rlimit saved;
	bool limited;
} refusal;

static void
refusal_begin (refusal *r)
{
	r->limited = limit_growth (&r->saved);
	r->start = now ();
}

static void
refusal_end (refusal *r, spec_fn fn, CK_RV got, CK_RV want, const char *file, int line)
{
	double took = now () - r->start;

	if (r->limited)
		setrlimit (RLIMIT_DATA, &r->saved);
	check_rv (fn, got, want, file, line);
	if (took > 2.0) {
		print_error ("%s took %.2f s to refuse what it should not read\n",
			     spec_functions[fn].name, took);
		_fail (file, line);
	}
}

#define REFUSE(fn, call, want)                                                       \
	do {                                                                           \
		refusal r_;                                                            \
		CK_RV rv_;                                                             \
		refusal_begin (&r_);                                                   \
		rv_ = (call);                                                          \
		refusal_end (&r_, (fn), rv_, (want), __FILE__, __LINE__);              \
	} while (0)

static void
test_oversized_value (void **state)
{
	const size_t hundred_mb = 100UL * 1024 * 1024;
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE h = create_ca (s, CK_TRUE), h2;
	CK_OBJECT_CLASS assertion = TF_CKO_X_TRUST_ASSERTION;
	CK_ULONG anchored = TF_CKT_X_ANCHORED_CERTIFICATE;
	unsigned char *big = calloc (1, hundred_mb);
	CK_ATTRIBUTE cert[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_VALUE, big, hundred_mb },
	};
	CK_ATTRIBUTE pin[] = {
		{ CKA_CLASS, &assertion, sizeof (assertion) },
		{ TF_CKA_X_ASSERTION_TYPE, &anchored, sizeof (anchored) },
		{ TF_CKA_X_PURPOSE, "1.3.6.1.5.5.7.3.1", 17 },
		{ TF_CKA_X_CERTIFICATE_VALUE, big, hundred_mb },
	};
	CK_ATTRIBUTE label = { CKA_LABEL, big, hundred_mb };
	CK_ATTRIBUTE value = { CKA_VALUE, big, hundred_mb };

	assert_non_null (big);
	/* Put the pages in now, so that only the module's own growth counts. */
	memset (big, 'a', hundred_mb);
	REFUSE (SPEC_C_CreateObject, f->C_CreateObject (s, cert, 4, &h2),
		CKR_ATTRIBUTE_VALUE_INVALID);
	REFUSE (SPEC_C_CreateObject, f->C_CreateObject (s, pin, 4, &h2),
		CKR_ATTRIBUTE_VALUE_INVALID);
	REFUSE (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, &label, 1),
		CKR_ATTRIBUTE_VALUE_INVALID);
	REFUSE (SPEC_C_CopyObject, f->C_CopyObject (s, h, &label, 1, &h2),
		CKR_ATTRIBUTE_VALUE_INVALID);
	REFUSE (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, &value, 1),
		CKR_ATTRIBUTE_VALUE_INVALID);
	/* A client's large buffer is no problem: only the value is written into it. */
	REFUSE (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, &value, 1), CKR_OK);
	assert_int_equal (value.ulValueLen, ca_len);
	assert_memory_equal (big, ca_der, ca_len);
	assert_int_equal (big[ca_len], 'a');

	/* At the limit a search value is taken; one byte over, it is not. */
	label.ulValueLen = TF_ATTRS_MAX_VALUE;
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, &label, 1), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	label.ulValueLen = TF_ATTRS_MAX_VALUE + 1;
	REFUSE (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, &label, 1),
		CKR_ATTRIBUTE_VALUE_INVALID);
	free (big);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, h), CKR_OK);
}

static void
test_oversized_template (void **state)
{
	const CK_ULONG million = 1000000;
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE h = create_ca (s, CK_TRUE), h2;
	CK_ATTRIBUTE *many = calloc (million, sizeof (CK_ATTRIBUTE));
	CK_ULONG i;

	assert_non_null (many);
	for (i = 0; i < million; i++) {
		many[i].type = CKA_TOKEN;
		many[i].pValue = (void *)&yes;
		many[i].ulValueLen = sizeof (yes);
	}
	REFUSE (SPEC_C_CreateObject, f->C_CreateObject (s, many, million, &h2), CKR_ARGUMENTS_BAD);
	REFUSE (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, many, million), CKR_ARGUMENTS_BAD);
	REFUSE (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, many, million),
		CKR_ARGUMENTS_BAD);
	REFUSE (SPEC_C_CopyObject, f->C_CopyObject (s, h, many, million, &h2), CKR_ARGUMENTS_BAD);
	for (i = 0; i < million; i++) {
		many[i].pValue = NULL;
		many[i].ulValueLen = 0;
	}
	REFUSE (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, many, million),
		CKR_ARGUMENTS_BAD);
	/* A count no array could have. */
	REFUSE (SPEC_C_CreateObject, f->C_CreateObject (s, NULL, (CK_ULONG)-1, &h2),
		CKR_ARGUMENTS_BAD);
	REFUSE (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, NULL, (CK_ULONG)-1),
		CKR_ARGUMENTS_BAD);

	/* At the limit a template is taken; one more attribute, it is not. */
	for (i = 0; i <= TF_ATTRS_MAX_COUNT; i++) {
		many[i].type = CKA_TOKEN;
		many[i].pValue = (void *)&yes;
		many[i].ulValueLen = sizeof (yes);
	}
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, many, TF_ATTRS_MAX_COUNT),
		   CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	REFUSE (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, many, TF_ATTRS_MAX_COUNT + 1),
		CKR_ARGUMENTS_BAD);
	free (many);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, h), CKR_OK);
}

/* ---- tests: a session closed while another thread searches with it -------------------- */

typedef struct {
	_Atomic CK_SESSION_HANDLE current; /* the session the closer made last */
	atomic_bool stop;
	atomic_int failures;
	atomic_ulong searches, found;
	int cycles; /* sessions closed under the searcher */
} race;

static void
race_fail (race *r, const char *what, CK_RV rv)
{
	char name[32];

	fprintf (stderr, "race: %s returned %s\n", what, spec_rv_name (rv, name, sizeof (name)));
	atomic_fetch_add (&r->failures, 1);
}

/* rv must be CKR_OK or one of the codes of a session closed under the caller. */
static bool
race_ok (race *r, const char *what, CK_RV rv, CK_RV also)
{
	if (rv == CKR_OK)
		return true;
	if (rv != CKR_SESSION_HANDLE_INVALID && rv != also)
		race_fail (r, what, rv);
	return false;
}

/*
 * Searches, over and over, on the closer's latest session and on one of its
 * own, and reads what it finds: the session objects of sessions that are
 * being closed.
 */
static void *
searcher (void *arg)
{
	static const CK_BBOOL session_objects = CK_FALSE;
	CK_ATTRIBUTE tmpl = { CKA_TOKEN, (void *)&session_objects, sizeof (session_objects) };
	race *r = arg;
	CK_SESSION_HANDLE own = 0, s;
	CK_OBJECT_HANDLE found[8];
	CK_OBJECT_CLASS klass;
	CK_ATTRIBUTE get = { CKA_CLASS, &klass, sizeof (klass) };
	CK_SESSION_INFO info;
	CK_ULONG n, i, round = 0;
	CK_RV rv;

	while (!atomic_load (&r->stop)) {
		if (round % 2 == 0) {
			s = atomic_load (&r->current);
		} else {
			/* C_CloseAllSessions closes this one too: then open another. */
			rv = own ? f->C_GetSessionInfo (own, &info) : CKR_SESSION_HANDLE_INVALID;
			if (rv != CKR_OK) {
				rv = f->C_OpenSession (TF_SLOT_SESSION, CKF_SERIAL_SESSION, NULL,
						       NULL, &own);
				if (rv != CKR_OK)
					race_fail (r, "C_OpenSession", rv);
			}
			s = own;
		}
		round++;
		if (!race_ok (r, "C_FindObjectsInit", f->C_FindObjectsInit (s, &tmpl, 1), 0))
			continue;
		atomic_fetch_add (&r->searches, 1);
		do {
			n = 0;
			rv = f->C_FindObjects (s, found, 8, &n);
			if (!race_ok (r, "C_FindObjects", rv, 0))
				break;
			atomic_fetch_add (&r->found, n);
			for (i = 0; i < n; i++) {
				rv = f->C_GetAttributeValue (s, found[i], &get, 1);
				if (race_ok (r, "C_GetAttributeValue", rv, CKR_OBJECT_HANDLE_INVALID) &&
				    klass != CKO_CERTIFICATE) {
					fprintf (stderr, "race: a session object of class 0x%lx\n",
						 (unsigned long)klass);
					atomic_fetch_add (&r->failures, 1);
				}
			}
		} while (n > 0);
		race_ok (r, "C_FindObjectsFinal", f->C_FindObjectsFinal (s), 0);
		/* Let the closer run now and then (valgrind runs one thread at a time). */
		if (round % 16 == 0)
			sched_yield ();
	}
	return NULL;
}

/* Makes sessions with objects in them and closes them, one way or the other. */
static void
close_under_searches (race *r, int cycles)
{
	static const CK_BBOOL token = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, (void *)&cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, (void *)&x509, sizeof (x509) },
		{ CKA_TOKEN, (void *)&token, sizeof (token) },
		{ CKA_VALUE, ca_der, ca_len },
	};
	struct timespec pause = { 0, 20000 };
	double start = now ();
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int i;

	/* At most 3 s, however slow the build (valgrind) makes each cycle. */
	for (i = 0; i < cycles && atomic_load (&r->failures) == 0 && now () - start < 3.0; i++) {
		rv = f->C_OpenSession (TF_SLOT_SESSION, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				       NULL, &s);
		if (rv != CKR_OK) {
			race_fail (r, "C_OpenSession", rv);
			break;
		}
		rv = f->C_CreateObject (s, tmpl, 4, &h);
		if (rv != CKR_OK)
			race_fail (r, "C_CreateObject", rv);
		atomic_store (&r->current, s);
		nanosleep (&pause, NULL);
		rv = i % 3 == 2 ? f->C_CloseAllSessions (TF_SLOT_SESSION) : f->C_CloseSession (s);
		if (rv != CKR_OK)
			race_fail (r, i % 3 == 2 ? "C_CloseAllSessions" : "C_CloseSession", rv);
	}
	r->cycles = i;
}

static void
run_race (const char *locking)
{
	race r;
	pthread_t t;

	memset (&r, 0, sizeof (r));
	atomic_init (&r.current, 0);
	atomic_init (&r.stop, false);
	assert_int_equal (pthread_create (&t, NULL, searcher, &r), 0);
	close_under_searches (&r, 600);
	atomic_store (&r.stop, true);
	assert_int_equal (pthread_join (t, NULL), 0);
	if (atomic_load (&r.failures) != 0)
		fail_msg ("%s: %d calls answered what a closed session should not",
			  locking, atomic_load (&r.failures));
	/* The race was run: the searcher did search, and found what was closed under it. */
	printf ("race with %s: %d sessions closed under %lu searches that found %lu objects\n",
		locking, r.cycles, (unsigned long)atomic_load (&r.searches),
		(unsigned long)atomic_load (&r.found));
	assert_true (atomic_load (&r.searches) > 0);
	expect_rv (SPEC_C_CloseAllSessions, f->C_CloseAllSessions (TF_SLOT_SESSION), CKR_OK);
}

static void
test_close_while_searching (void **state)
{
	run_race ("OS locking");
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_OK);
	init_with_callbacks ();
	run_race ("the application's mutexes");
}

/* ---- departures from the specification, found here or by the fuzz targets ------------------ */

/* 5.6 C_Login: CKU_CONTEXT_SPECIFIC with no operation that needs it. */
static void
test_login_context_specific (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);

	expect_rv (SPEC_C_Login, f->C_Login (s, CKU_CONTEXT_SPECIFIC, NULL, 0),
		   CKR_OPERATION_NOT_INITIALIZED);
}

/*
 * 5.7: C_CopyObject and C_SetAttributeValue may not return
 * CKR_TEMPLATE_INCOMPLETE (only C_CreateObject may). Both once did, for
 * positive trust without a hash written through a distrust-only NSS trust
 * object (p11-client distrust makes one), and C_SetAttributeValue for an MD5
 * hash alone on such a record (found by fuzz-template).
 */
static void
test_template_incomplete_codes (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_CLASS trust = TF_CKO_NSS_TRUST;
	CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED, trusted = TF_CKT_NSS_TRUSTED;
	static const unsigned char issuer[] = { 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06,
						0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'x' };
	static const unsigned char serial[] = { 0x02, 0x01, 0x07 };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &trust, sizeof (trust) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)issuer, sizeof (issuer) },
		{ CKA_SERIAL_NUMBER, (void *)serial, sizeof (serial) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &distrust, sizeof (distrust) },
	};
	CK_ATTRIBUTE positive = { TF_CKA_NSS_TRUST_SERVER_AUTH, &trusted, sizeof (trusted) };
	static const unsigned char md5[16] = { 1 };
	CK_ATTRIBUTE md5_only = { TF_CKA_CERT_MD5_HASH, (void *)md5, sizeof (md5) };
	CK_OBJECT_HANDLE h, copy;

	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &h), CKR_OK);
	expect_allowed (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, &positive, 1));
	expect_allowed (SPEC_C_CopyObject, f->C_CopyObject (s, h, &positive, 1, &copy));
	expect_allowed (SPEC_C_SetAttributeValue, f->C_SetAttributeValue (s, h, &md5_only, 1));
}

/*
 * The store is untrusted input: a row that breaks the hash rule (positive
 * trust, no certificate, no hash; a damaged or hand-edited store) must not
 * be served as positive NSS trust without a hash (CONTRACT.md: NSS then drops
 * all trust for the certificate), and writing to it must give a code the
 * function may return.
 * Found by fuzz-store.
 */
static void
test_store_row_positive_without_hash (void **state)
{
	static const unsigned char issuer[] = { 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06,
						0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'x' };
	static const unsigned char serial[] = { 0x02, 0x01, 0x07 };
	CK_OBJECT_CLASS trust = TF_CKO_NSS_TRUST;
	CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED, email = 0;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &trust, sizeof (trust) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)issuer, sizeof (issuer) },
		{ CKA_SERIAL_NUMBER, (void *)serial, sizeof (serial) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &distrust, sizeof (distrust) },
	};
	CK_ATTRIBUTE read[] = {
		{ TF_CKA_NSS_TRUST_EMAIL, &email, sizeof (email) },
		{ TF_CKA_CERT_SHA1_HASH, NULL, 0 },
	};
	CK_ATTRIBUTE label = { CKA_LABEL, "x", 1 };
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_PERSISTENT);
	CK_OBJECT_HANDLE h, found;
	CK_ULONG n = 0;
	char path[300];
	sqlite3 *db;

	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &h), CKR_OK);
	expect_rv (SPEC_C_Finalize, f->C_Finalize (NULL), CKR_OK);
	/* What the damage does: e-mail protection becomes "trusted peer" (2). */
	snprintf (path, sizeof (path), "%s/trustfolder.db", dir);
	assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
	assert_int_equal (sqlite3_exec (db, "UPDATE records SET trust_email = 2", NULL, NULL, NULL),
			  SQLITE_OK);
	sqlite3_close (db);

	init_module ();
	s = open_rw (TF_SLOT_PERSISTENT);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, tmpl, 1), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, &found, 1, &n), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	if (n == 1) {
		expect_allowed (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, found, read, 2));
		assert_false (email == TF_CKT_NSS_TRUSTED &&
			      read[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
		expect_allowed (SPEC_C_SetAttributeValue,
				f->C_SetAttributeValue (s, found, &label, 1));
	}
}

/* 5.7 C_FindObjectsInit: an empty value matches an object whose value is empty. */
static void
test_find_by_empty_label (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_CLASS trust = TF_CKO_NSS_TRUST;
	CK_ULONG distrust = TF_CKT_NSS_NOT_TRUSTED;
	/* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "x" } } } */
	static const unsigned char issuer[] = { 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06,
						0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'x' };
	static const unsigned char serial[] = { 0x02, 0x01, 0x07 };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &trust, sizeof (trust) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_ISSUER, (void *)issuer, sizeof (issuer) },
		{ CKA_SERIAL_NUMBER, (void *)serial, sizeof (serial) },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &distrust, sizeof (distrust) },
	};
	CK_ATTRIBUTE label = { CKA_LABEL, NULL, 0 };
	CK_ATTRIBUTE find[] = { tmpl[0], { CKA_LABEL, "", 0 } };
	CK_OBJECT_HANDLE h, found[2];
	CK_ULONG n = 0;

	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &h), CKR_OK);
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, h, &label, 1), CKR_OK);
	assert_int_equal (label.ulValueLen, 0);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, find, 2), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, found, 2, &n), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	assert_int_equal (n, 1);
	assert_int_equal (found[0], h);
}

/*
 * 5.6 C_Login: no SO login while a read-only session is open, no second user
 * type; C_OpenSession: no read-only session while the SO is logged in.
 */
static void
test_login_so (void **state)
{
	CK_SESSION_HANDLE rw = open_rw (TF_SLOT_SESSION);
	CK_SESSION_HANDLE ro = open_session (TF_SLOT_SESSION, CKF_SERIAL_SESSION);
	CK_SESSION_INFO si;

	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_SO, NULL, 0), CKR_SESSION_READ_ONLY_EXISTS);
	expect_rv (SPEC_C_CloseSession, f->C_CloseSession (ro), CKR_OK);
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_SO, NULL, 0), CKR_OK);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (rw, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RW_SO_FUNCTIONS);
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_USER, NULL, 0),
		   CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_SO, NULL, 0), CKR_USER_ALREADY_LOGGED_IN);
	/* 5.6 C_OpenSession: no read-only session while the SO is logged in. */
	expect_rv (SPEC_C_OpenSession,
		   f->C_OpenSession (TF_SLOT_SESSION, CKF_SERIAL_SESSION, NULL, NULL, &ro),
		   CKR_SESSION_READ_WRITE_SO_EXISTS);
	/* The other token has a login of its own. */
	ro = open_session (TF_SLOT_PERSISTENT, CKF_SERIAL_SESSION);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (ro, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RO_PUBLIC_SESSION);
	expect_rv (SPEC_C_Logout, f->C_Logout (rw), CKR_OK);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (rw, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RW_PUBLIC_SESSION);
	/* Back to public: the user logs in as NSS and p11-kit do, with any PIN. */
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_USER, (CK_UTF8CHAR_PTR) "0000", 4), CKR_OK);
	expect_rv (SPEC_C_Login, f->C_Login (rw, CKU_SO, NULL, 0),
		   CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	ro = open_session (TF_SLOT_SESSION, CKF_SERIAL_SESSION);
	expect_rv (SPEC_C_GetSessionInfo, f->C_GetSessionInfo (ro, &si), CKR_OK);
	assert_int_equal (si.state, CKS_RO_USER_FUNCTIONS);
}

/* 5.7 C_FindObjectsInit: a stapled extension is found by its CKA_VALUE, class or not. */
static void
test_find_extension_by_value (void **state)
{
	static const unsigned char eku_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
	static const unsigned char eku[] = { 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25,
					     0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b,
					     0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE cert = create_ca (s, CK_TRUE), ext, found[2];
	CK_OBJECT_CLASS klass = TF_CKO_X_CERTIFICATE_EXTENSION;
	unsigned char spki[1024];
	CK_ATTRIBUTE key = { CKA_PUBLIC_KEY_INFO, spki, sizeof (spki) };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
		{ CKA_PUBLIC_KEY_INFO, spki, 0 },
		{ CKA_OBJECT_ID, (void *)eku_oid, sizeof (eku_oid) },
		{ CKA_VALUE, (void *)eku, sizeof (eku) },
	};
	CK_ULONG n = 0;

	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, cert, &key, 1), CKR_OK);
	tmpl[2].ulValueLen = key.ulValueLen;
	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 5, &ext), CKR_OK);
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, tmpl + 4, 1), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, found, 2, &n), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	assert_int_equal (n, 1);
	assert_int_equal (found[0], ext);

	/* A certificate's value, with no class, still names the certificate alone. */
	tmpl[4].pValue = ca_der;
	tmpl[4].ulValueLen = ca_len;
	n = 0;
	expect_rv (SPEC_C_FindObjectsInit, f->C_FindObjectsInit (s, tmpl + 4, 1), CKR_OK);
	expect_rv (SPEC_C_FindObjects, f->C_FindObjects (s, found, 2, &n), CKR_OK);
	expect_rv (SPEC_C_FindObjectsFinal, f->C_FindObjectsFinal (s), CKR_OK);
	assert_int_equal (n, 1);
	assert_int_equal (found[0], cert);
}

/* gcr pins one certificate for two peers (two assertions). */
static void
pin (CK_SESSION_HANDLE s, const char *peer, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS klass = TF_CKO_X_TRUST_ASSERTION;
	CK_ULONG pinned = TF_CKT_X_PINNED_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ TF_CKA_X_ASSERTION_TYPE, &pinned, sizeof (pinned) },
		{ TF_CKA_X_CERTIFICATE_VALUE, ca_der, ca_len },
		{ TF_CKA_X_PURPOSE, "1.3.6.1.5.5.7.3.1", 17 },
		{ TF_CKA_X_PEER, (void *)peer, strlen (peer) },
		{ CKA_TOKEN, (void *)&yes, sizeof (yes) },
	};

	expect_rv (SPEC_C_CreateObject, f->C_CreateObject (s, tmpl, 6, h), CKR_OK);
}

/*
 * DESIGN.md: handles are never reused. Destroying the first peer's pinned
 * assertion must not make its handle name the second peer's (nor leave the
 * second one's handle invalid, so that a client removing both fails).
 */
static void
test_destroy_pinned_keeps_handles (void **state)
{
	CK_SESSION_HANDLE s = open_rw (TF_SLOT_SESSION);
	CK_OBJECT_HANDLE a, b;
	char peer[64];
	CK_ATTRIBUTE get = { TF_CKA_X_PEER, peer, sizeof (peer) };

	pin (s, "a.example.test", &a);
	pin (s, "b.example.test", &b);
	assert_true (a != b);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, a), CKR_OK);
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, a, &get, 1),
		   CKR_OBJECT_HANDLE_INVALID);
	get.ulValueLen = sizeof (peer);
	expect_rv (SPEC_C_GetAttributeValue, f->C_GetAttributeValue (s, b, &get, 1), CKR_OK);
	assert_int_equal (get.ulValueLen, 14);
	assert_memory_equal (peer, "b.example.test", 14);
	expect_rv (SPEC_C_DestroyObject, f->C_DestroyObject (s, b), CKR_OK);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		/* First: the only time this process has never initialized the module. */
		cmocka_unit_test_setup_teardown (test_before_initialize, setup_dir, teardown),
		cmocka_unit_test_setup_teardown (test_after_finalize, setup, teardown),
		cmocka_unit_test_setup_teardown (test_forked_child, setup, teardown),
		cmocka_unit_test_setup_teardown (test_initialize_arguments, setup_dir, teardown),
		cmocka_unit_test_setup_teardown (test_invalid_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown (test_invalid_slots, setup, teardown),
		cmocka_unit_test_setup_teardown (test_null_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown (test_invalid_objects, setup, teardown),
		cmocka_unit_test_setup_teardown (test_wrong_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown (test_session_states, setup, teardown),
		cmocka_unit_test_setup_teardown (test_oversized_value, setup, teardown),
		cmocka_unit_test_setup_teardown (test_oversized_template, setup, teardown),
		cmocka_unit_test_setup_teardown (test_close_while_searching, setup, teardown),
		cmocka_unit_test_setup_teardown (test_login_context_specific, setup, teardown),
		cmocka_unit_test_setup_teardown (test_template_incomplete_codes, setup, teardown),
		cmocka_unit_test_setup_teardown (test_store_row_positive_without_hash, setup,
						 teardown),
		cmocka_unit_test_setup_teardown (test_find_by_empty_label, setup, teardown),
		cmocka_unit_test_setup_teardown (test_login_so, setup, teardown),
		cmocka_unit_test_setup_teardown (test_find_extension_by_value, setup, teardown),
		cmocka_unit_test_setup_teardown (test_destroy_pinned_keeps_handles, setup, teardown),
	};
	char path[512];
	int rc;

	setenv (TF_ENV_CONFIG, "/dev/null", 1);
	unsetenv (TF_ENV_STORE);
	unsetenv (TF_ENV_SESSION);
	snprintf (path, sizeof (path), "%s/ca.der", TF_FIXTURES);
	ca_der = unit_read_file (path, &ca_len);
	rc = cmocka_run_group_tests (tests, NULL, NULL);
	free (ca_der);
	return rc;
}
