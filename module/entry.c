/*
 * The PKCS#11 entry points (PKCS#11 2.40, chapter 5) and the function list.
 *
 * Each C_* function is thin: take the module lock, check arguments, find the
 * session, call down, and return a code the specification allows for it.
 * Only C_GetFunctionList leaves the library (trustfolder.map).
 */
#include "attrs.h"
#include "config.h"
#include "interface.h"
#include "trustfolder-vendor.h"
#include "lock.h"
#include "log.h"
#include "object.h"
#include "session.h"
#include "token.h"
#include "trustfolder.h"
#include "x509.h"

#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TF_VERSION_MAJOR 0
#define TF_VERSION_MINOR 1

static struct {
	bool initialized;
	tf_config cfg;
	tf_token tokens[2];

	/* Locking: the application's callbacks, or a pthread mutex. */
	CK_C_INITIALIZE_ARGS args;
	bool use_callbacks;
	void *app_mutex;
} module;

/*
 * The module lock (lock.h): shared for calls that only read (searches that
 * need no loading, attribute reads, infos), exclusive for the rest, so that
 * threads doing trust lookups run side by side. Writers are preferred, so a
 * stream of lookups cannot starve a write. With the application's mutex
 * callbacks (no CKF_OS_LOCKING_OK), every call takes their one mutex.
 */
static tf_lock os_lock = { .writers = PTHREAD_MUTEX_INITIALIZER };
static volatile bool forked;
static bool atfork_registered;

static void
on_fork_child (void)
{
	/* NSS probes with C_GetSlotList after fork and re-initializes on this answer. */
	forked = true;
	tf_lock_init (&os_lock);
}

static void
lock (bool exclusive)
{
	if (module.use_callbacks)
		module.args.LockMutex (module.app_mutex);
	else
		tf_lock_take (&os_lock, exclusive);
}

static void
unlock (void)
{
	if (module.use_callbacks)
		module.args.UnlockMutex (module.app_mutex);
	else
		tf_lock_release (&os_lock);
}

/* Takes the lock when the module is initialized; the caller then unlocks. */
static CK_RV
enter_as (bool exclusive)
{
	if (forked || !module.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	lock (exclusive);
	if (!module.initialized) {
		unlock ();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

static CK_RV
enter (void)
{
	return enter_as (true);
}

static CK_RV
enter_shared (void)
{
	return enter_as (false);
}

static tf_token *
token_for_slot (CK_SLOT_ID slot)
{
	if (slot == TF_SLOT_PERSISTENT)
		return &module.tokens[0];
	if (slot == TF_SLOT_SESSION)
		return &module.tokens[1];
	return NULL;
}

/* The session and its token, or CKR_SESSION_HANDLE_INVALID. */
static CK_RV
get_session (CK_SESSION_HANDLE handle, tf_session **session, tf_token **tok)
{
	*session = tf_session_lookup (handle);
	if (*session == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	*tok = token_for_slot ((*session)->slot);
	return CKR_OK;
}

/* Which token holds an object: the handle names the record, each token its own. */
static tf_token *
token_for_object (CK_OBJECT_HANDLE handle)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (tf_object_exists (&module.tokens[i], handle))
			return &module.tokens[i];
	}
	return NULL;
}

/* ---- general purpose (5.4) ------------------------------------------------ */

static CK_RV
init_locking (CK_C_INITIALIZE_ARGS *args)
{
	bool all, none;

	memset (&module.args, 0, sizeof (module.args));
	module.use_callbacks = false;
	if (args == NULL)
		return CKR_OK;
	all = args->CreateMutex && args->DestroyMutex && args->LockMutex && args->UnlockMutex;
	none = !args->CreateMutex && !args->DestroyMutex && !args->LockMutex &&
	       !args->UnlockMutex;
	if (!all && !none)
		return CKR_ARGUMENTS_BAD;
	/* With CKF_OS_LOCKING_OK we may use the OS's locks; we prefer them. */
	if (all && !(args->flags & CKF_OS_LOCKING_OK)) {
		if (args->CreateMutex (&module.app_mutex) != CKR_OK)
			return CKR_CANT_LOCK;
		module.args = *args;
		module.use_callbacks = true;
	}
	return CKR_OK;
}

/*
 * C_Initialize (5.4): NULL, mutex callbacks, CKF_OS_LOCKING_OK and NSS's
 * CKF_LIBRARY_CANT_CREATE_OS_THREADS (no thread is ever created) are all
 * accepted; pReserved carries the parameter string (modutil -string,
 * p11-kit x-init-reserved), which the specification reserves but NSS uses.
 */
static CK_RV
tf_C_Initialize (CK_VOID_PTR init_args)
{
	CK_C_INITIALIZE_ARGS *args = init_args;
	const char *params = NULL;
	CK_RV rv;

	if (!atfork_registered) {
		pthread_atfork (NULL, NULL, on_fork_child);
		atfork_registered = true;
	}
	if (forked) {
		/* A child: forget the parent's state without touching its store connection. */
		tf_token_abandon (&module.tokens[0]);
		tf_token_abandon (&module.tokens[1]);
		tf_config_clear (&module.cfg);
		tf_session_reset ();
		module.initialized = false;
		forked = false;
	}
	if (module.initialized)
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;

	rv = init_locking (args);
	if (rv != CKR_OK)
		return rv;
	if (args != NULL)
		params = args->pReserved;

	tf_lock_take (&os_lock, true);
	rv = tf_config_load (params, &module.cfg);
	if (rv != CKR_OK)
		goto out;
	if (module.cfg.debug)
		tf_log_set_debug (true);
	tf_debug ("initializing: store %s, session %s", module.cfg.store_path,
		  module.cfg.session_path ? module.cfg.session_path : "in memory");

	rv = tf_token_init (&module.tokens[0], TF_SLOT_PERSISTENT, TF_TOKEN_LABEL_PERSISTENT,
			    module.cfg.store_path, module.cfg.read_only);
	if (rv == CKR_OK)
		rv = tf_token_init (&module.tokens[1], TF_SLOT_SESSION, TF_TOKEN_LABEL_SESSION,
				    module.cfg.session_path, false);
	if (rv != CKR_OK) {
		tf_token_fini (&module.tokens[0]);
		tf_token_fini (&module.tokens[1]);
		tf_config_clear (&module.cfg);
		goto out;
	}
	module.initialized = true;
out:
	tf_lock_release (&os_lock);
	if (rv != CKR_OK && module.use_callbacks) {
		module.args.DestroyMutex (module.app_mutex);
		module.use_callbacks = false;
	}
	if (rv == CKR_ARGUMENTS_BAD || rv == CKR_HOST_MEMORY || rv == CKR_CANT_LOCK)
		return rv;
	return rv == CKR_OK ? CKR_OK : CKR_GENERAL_ERROR;
}

/* C_Finalize (5.4): everything goes, session-token decisions included. */
static CK_RV
tf_C_Finalize (CK_VOID_PTR reserved)
{
	bool callbacks;
	CK_RV rv;

	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	tf_session_reset ();
	tf_token_fini (&module.tokens[0]);
	tf_token_fini (&module.tokens[1]);
	tf_config_clear (&module.cfg);
	tf_x509_cleanup ();
	module.initialized = false;
	callbacks = module.use_callbacks;
	unlock ();
	if (callbacks) {
		module.args.DestroyMutex (module.app_mutex);
		module.use_callbacks = false;
	}
	return CKR_OK;
}

static void
pad (CK_UTF8CHAR *field, size_t len, const char *s)
{
	size_t n = strlen (s);

	memset (field, ' ', len);
	memcpy (field, s, n < len ? n : len);
}

/*
 * C_GetInfo (5.4). The description is unique: GnuTLS drops a module whose
 * CK_INFO repeats. The Cryptoki version is that of the function list the
 * caller got: 2.40 from C_GetFunctionList, 3.0 or 3.2 from C_GetInterface.
 */
static CK_RV
get_info (CK_INFO_PTR info, CK_BYTE major, CK_BYTE minor)
{
	CK_RV rv;

	if (info == NULL)
		return forked || !module.initialized ? CKR_CRYPTOKI_NOT_INITIALIZED
						     : CKR_ARGUMENTS_BAD;
	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	memset (info, 0, sizeof (*info));
	info->cryptokiVersion.major = major;
	info->cryptokiVersion.minor = minor;
	pad (info->manufacturerID, sizeof (info->manufacturerID), TF_MANUFACTURER);
	pad (info->libraryDescription, sizeof (info->libraryDescription), TF_LIBRARY_DESCRIPTION);
	info->libraryVersion.major = TF_VERSION_MAJOR;
	info->libraryVersion.minor = TF_VERSION_MINOR;
	unlock ();
	return CKR_OK;
}

static CK_RV
tf_C_GetInfo (CK_INFO_PTR info)
{
	return get_info (info, 2, 40);
}

static CK_RV
tf_C_GetInfo_3_0 (CK_INFO_PTR info)
{
	return get_info (info, 3, 0);
}

static CK_RV
tf_C_GetInfo_3_2 (CK_INFO_PTR info)
{
	return get_info (info, 3, 2);
}

static CK_FUNCTION_LIST function_list;
static tf_function_list_3_0 function_list_3_0;
static tf_function_list_3_2 function_list_3_2;

/* C_GetFunctionList (5.4): the 2.40 list, for p11-kit and GnuTLS. */
CK_RV
C_GetFunctionList (CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &function_list;
	return CKR_OK;
}

/*
 * The interfaces (PKCS#11 3.0, 5.2): "PKCS 11" 3.2 first, the default, then
 * 3.0. Reporting 3.2 is what makes NSS >= 3.114 (Firefox's) write CKO_TRUST
 * objects, which the module keeps as the same record as NSS's older
 * CKO_NSS_TRUST; NSS 3.87 (Debian's tools) keeps writing CKO_NSS_TRUST.
 * Neither is fork-safe: a forked child must call C_Initialize again.
 */
static TF_VENDOR_FUNCTION_LIST vendor_functions;

static tf_interface interfaces[] = {
	{ (CK_CHAR *)"PKCS 11", &function_list_3_2, 0 },
	{ (CK_CHAR *)"PKCS 11", &function_list_3_0, 0 },
	{ (CK_CHAR *)TF_VENDOR_INTERFACE_NAME, &vendor_functions, 0 },
};

#define N_INTERFACES (sizeof (interfaces) / sizeof (interfaces[0]))

static CK_VERSION
interface_version (const tf_interface *in)
{
	return ((const CK_FUNCTION_LIST *)in->pFunctionList)->version;
}

/* C_GetInterfaceList (5.4): may be called before C_Initialize. */
CK_RV
C_GetInterfaceList (tf_interface *list, CK_ULONG *count)
{
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if (list == NULL) {
		*count = N_INTERFACES;
		return CKR_OK;
	}
	if (*count < N_INTERFACES) {
		*count = N_INTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy (list, interfaces, sizeof (interfaces));
	*count = N_INTERFACES;
	return CKR_OK;
}

/*
 * C_GetInterface (5.4): by name ("PKCS 11" or "Vendor trustfolder"; NULL is
 * the default, "PKCS 11"), version
 * (NULL: the newest) and flags (all must be offered: NSS first asks for
 * CKF_INTERFACE_FORK_SAFE, gets CKR_ARGUMENTS_BAD, then asks without).
 */
CK_RV
C_GetInterface (CK_UTF8CHAR *name, CK_VERSION *version, tf_interface **out, CK_FLAGS flags)
{
	CK_VERSION v;
	size_t i;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < N_INTERFACES; i++) {
		if (strcmp (name != NULL ? (const char *)name : "PKCS 11",
			    (const char *)interfaces[i].pInterfaceName) != 0)
			continue;
		v = interface_version (&interfaces[i]);
		if (version != NULL && (version->major != v.major || version->minor != v.minor))
			continue;
		if ((interfaces[i].flags & flags) != flags)
			continue;
		*out = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}

/* ---- slots and tokens (5.5) ----------------------------------------------- */

/* C_GetSlotList: two slots; the persistent one has no token when its store failed. */
static CK_RV
tf_C_GetSlotList (CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_SLOT_ID slots[2];
	CK_ULONG n = 0, i;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	if (count == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (!token_present || tf_token_present (&module.tokens[i]))
			slots[n++] = module.tokens[i].slot;
	}
	if (list != NULL) {
		if (*count < n) {
			*count = n;
			rv = CKR_BUFFER_TOO_SMALL;
			goto out;
		}
		memcpy (list, slots, n * sizeof (CK_SLOT_ID));
	}
	*count = n;
out:
	unlock ();
	return rv;
}

static CK_RV
tf_C_GetSlotInfo (CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	tok = token_for_slot (slot);
	if (tok == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else if (info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		tf_token_slot_info (tok, info);
	unlock ();
	return rv;
}

static CK_RV
tf_C_GetTokenInfo (CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	tok = token_for_slot (slot);
	if (tok == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else if (info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!tf_token_present (tok))
		rv = CKR_TOKEN_NOT_PRESENT;
	else {
		tf_token_info (tok, info);
		info->ulSessionCount = tf_session_count (slot, false);
		info->ulRwSessionCount = tf_session_count (slot, true);
	}
	unlock ();
	return rv;
}

/* No slot events: CKR_FUNCTION_NOT_SUPPORTED is fine for NSS. */
static CK_RV
tf_C_WaitForSlotEvent (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	if (forked || !module.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_FUNCTION_NOT_SUPPORTED;
}

/* C_GetMechanismList: none. pkcs11-tool -M passes a buffer even for 0. */
static CK_RV
tf_C_GetMechanismList (CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	if (token_for_slot (slot) == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else if (count == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		*count = 0;
	unlock ();
	return rv;
}

static CK_RV
tf_C_GetMechanismInfo (CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	if (token_for_slot (slot) == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else if (info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = CKR_MECHANISM_INVALID;
	unlock ();
	return rv;
}

/* ---- sessions (5.6) ------------------------------------------------------- */

static CK_RV
tf_C_OpenSession (CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
		  CK_SESSION_HANDLE_PTR handle)
{
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	tok = token_for_slot (slot);
	if (tok == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else if (handle == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!(flags & CKF_SERIAL_SESSION))
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	else if (!tf_token_present (tok))
		rv = CKR_TOKEN_NOT_PRESENT;
	else if (!(flags & CKF_RW_SESSION) && tok->login == TF_LOGIN_SO)
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS; /* the SO works in R/W sessions only */
	else if ((flags & CKF_RW_SESSION) && tok->write_protected) {
		tf_warn ("token \"%s\" is write-protected%s%s: no read/write session", tok->label,
			 tok->path != NULL ? ": store " : "", tok->path != NULL ? tok->path : "");
		rv = CKR_TOKEN_WRITE_PROTECTED;
	}
	else
		rv = tf_session_open (slot, flags, handle);
	unlock ();
	return rv;
}

static void
close_session (tf_session *session)
{
	tf_token *tok = token_for_slot (session->slot);

	if (tok->batch && tok->batch_owner == session->handle)
		tf_token_batch_abort (tok);
	tf_token_drop_session_objects (tok, session->handle);
	tf_session_close (session);
	if (tf_session_count (tok->slot, false) == 0)
		tok->login = TF_LOGIN_PUBLIC;
}

static CK_RV
tf_C_CloseSession (CK_SESSION_HANDLE handle)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK)
		close_session (session);
	unlock ();
	return rv;
}

static CK_RV
tf_C_CloseAllSessions (CK_SLOT_ID slot)
{
	tf_session *session;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	if (token_for_slot (slot) == NULL)
		rv = CKR_SLOT_ID_INVALID;
	else
		while ((session = tf_session_first (slot)) != NULL)
			close_session (session);
	unlock ();
	return rv;
}

/*
 * 5.6 C_GetSessionInfo, "session states": a login shows in every session of
 * the token. No read-only session exists while the SO is logged in
 * (C_OpenSession and C_Login refuse it).
 */
static CK_STATE
session_state (const tf_token *tok, bool rw)
{
	switch (tok->login) {
	case TF_LOGIN_USER:
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	case TF_LOGIN_SO:
		return CKS_RW_SO_FUNCTIONS;
	default:
		return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
}

static CK_RV
tf_C_GetSessionInfo (CK_SESSION_HANDLE handle, CK_SESSION_INFO_PTR info)
{
	tf_session *session;
	tf_token *tok;
	bool rw;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && info == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		rw = (session->flags & CKF_RW_SESSION) != 0;
		info->slotID = session->slot;
		info->flags = session->flags;
		info->ulDeviceError = 0;
		info->state = session_state (tok, rw);
	}
	unlock ();
	return rv;
}

/*
 * 5.6 C_Login. No login is ever needed (no PIN, no private objects); one is
 * accepted so that clients that insist can go on (NSS and p11-kit log in as
 * the user now and then, whatever PIN they hold). Who is logged in is still
 * tracked as the specification says: one user type at a time, and the SO
 * only when no read-only session is open, since the SO works in R/W sessions.
 */
static CK_RV
tf_C_Login (CK_SESSION_HANDLE handle, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	tf_session *session;
	tf_token *tok;
	tf_login want;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv != CKR_OK)
		goto out;
	if (user == CKU_CONTEXT_SPECIFIC) {
		rv = CKR_OPERATION_NOT_INITIALIZED; /* no operation here ever needs it */
		goto out;
	}
	if (user != CKU_USER && user != CKU_SO) {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	want = user == CKU_SO ? TF_LOGIN_SO : TF_LOGIN_USER;
	if (tok->login == want)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (tok->login != TF_LOGIN_PUBLIC)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else if (want == TF_LOGIN_SO &&
		 tf_session_count (tok->slot, false) != tf_session_count (tok->slot, true))
		rv = CKR_SESSION_READ_ONLY_EXISTS;
	else
		tok->login = want;
out:
	unlock ();
	return rv;
}

/* 5.6 C_Logout: every session of the token goes back to public. */
static CK_RV
tf_C_Logout (CK_SESSION_HANDLE handle)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && tok->login == TF_LOGIN_PUBLIC)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (rv == CKR_OK)
		tok->login = TF_LOGIN_PUBLIC;
	unlock ();
	return rv;
}

/* ---- objects (5.7) -------------------------------------------------------- */

/*
 * Whether this session may write an object of the given scope: token
 * objects need a R/W session on a writable token.
 */
static CK_RV
check_write (tf_session *session, tf_token *tok, bool token_object)
{
	if (!token_object)
		return CKR_OK;
	if (tok->write_protected) {
		tf_warn ("token \"%s\" is write-protected%s%s; nothing was written", tok->label,
			 tok->path != NULL ? ": store " : "", tok->path != NULL ? tok->path : "");
		return CKR_TOKEN_WRITE_PROTECTED;
	}
	if (!(session->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	return CKR_OK;
}

/*
 * C_CreateObject (5.7). Certificates and NSS trust objects; a create whose
 * issuer + serial matches an existing record updates it (certutil -M
 * re-creates the trust object). CKA_TOKEN defaults to FALSE, as the
 * specification says: such objects live until their session closes.
 */
static CK_RV
tf_C_CreateObject (CK_SESSION_HANDLE handle, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
		   CK_OBJECT_HANDLE_PTR object)
{
	tf_session *session;
	tf_token *tok;
	CK_BBOOL token = CK_FALSE;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && object == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = tf_attrs_check (tmpl, count, true);
	if (rv == CKR_OK)
		rv = tf_attrs_get_bool (tmpl, count, CKA_TOKEN, &token, NULL);
	if (rv == CKR_OK)
		rv = check_write (session, tok, token);
	if (rv == CKR_OK)
		rv = tf_object_create (tok, token ? 0 : session->handle, tmpl, count, object);
	unlock ();
	return rv;
}

/*
 * C_CopyObject (5.7): a new object from an existing one's attributes and the
 * template's; within one scope, the copy of a certificate is the same record.
 */
static CK_RV
tf_C_CopyObject (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl,
		 CK_ULONG count, CK_OBJECT_HANDLE_PTR new_object)
{
	static const CK_ATTRIBUTE_TYPE cert_copy[] = { CKA_CLASS, CKA_CERTIFICATE_TYPE, CKA_VALUE,
						       CKA_LABEL, CKA_ID, CKA_TOKEN };
	static const CK_ATTRIBUTE_TYPE trust_copy[] = {
		CKA_CLASS,
		CKA_TOKEN,
		CKA_ISSUER,
		CKA_SERIAL_NUMBER,
		TF_CKA_CERT_SHA1_HASH,
		TF_CKA_CERT_MD5_HASH,
		TF_CKA_NSS_TRUST_SERVER_AUTH,
		TF_CKA_NSS_TRUST_CLIENT_AUTH,
		TF_CKA_NSS_TRUST_CODE_SIGNING,
		TF_CKA_NSS_TRUST_EMAIL,
		TF_CKA_NSS_TRUST_STEP_UP,
	};
	CK_ATTRIBUTE merged[TF_ATTRS_MAX_COUNT > 64 ? 64 : TF_ATTRS_MAX_COUNT];
	const CK_ATTRIBUTE_TYPE *types;
	CK_ULONG ntypes, n = 0, i;
	tf_session *session;
	tf_token *tok, *src;
	CK_BBOOL token = CK_FALSE;
	bool found;
	CK_RV rv;

	memset (merged, 0, sizeof (merged));
	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && new_object == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		rv = tf_attrs_check (tmpl, count, true);
	if (rv == CKR_OK && count > 32)
		rv = CKR_TEMPLATE_INCONSISTENT;
	src = rv == CKR_OK ? token_for_object (object) : NULL;
	if (rv == CKR_OK && src != tok)
		rv = CKR_OBJECT_HANDLE_INVALID;
	if (rv != CKR_OK)
		goto out;
	if (TF_HANDLE_VIEW (object) == TF_VIEW_CERT) {
		types = cert_copy;
		ntypes = sizeof (cert_copy) / sizeof (cert_copy[0]);
	} else if (TF_HANDLE_VIEW (object) == TF_VIEW_NSS_TRUST) {
		types = trust_copy;
		ntypes = sizeof (trust_copy) / sizeof (trust_copy[0]);
	} else {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	for (i = 0; i < count; i++)
		merged[n++] = tmpl[i];
	for (i = 0; i < ntypes; i++) {
		if (tf_attrs_find (tmpl, count, types[i]) != NULL)
			continue;
		merged[n].type = types[i];
		merged[n].pValue = NULL;
		if (tf_object_get (tok, object, &merged[n], 1) != CKR_OK)
			continue;
		merged[n].pValue = malloc (merged[n].ulValueLen ? merged[n].ulValueLen : 1);
		if (merged[n].pValue == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		n++;
		if (tf_object_get (tok, object, &merged[n - 1], 1) != CKR_OK) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
	}
	rv = tf_attrs_get_bool (merged, n, CKA_TOKEN, &token, &found);
	if (rv == CKR_OK)
		rv = check_write (session, tok, token);
	if (rv == CKR_OK)
		rv = tf_object_create (tok, token ? 0 : session->handle, merged, n, new_object);
	/* What a create calls incomplete is, for a copy, a template that contradicts it. */
	if (rv == CKR_TEMPLATE_INCOMPLETE)
		rv = CKR_TEMPLATE_INCONSISTENT;
out:
	for (i = count; i < n; i++)
		free (merged[i].pValue);
	unlock ();
	return rv;
}

/*
 * C_DestroyObject (5.7). certutil -D destroys the trust object (the decision
 * resets, the certificate stays), then the certificate (the record goes).
 */
static CK_RV
tf_C_DestroyObject (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && token_for_object (object) != tok)
		rv = CKR_OBJECT_HANDLE_INVALID;
	if (rv == CKR_OK && TF_HANDLE_VIEW (object) == TF_VIEW_PROFILE)
		rv = CKR_ACTION_PROHIBITED;
	if (rv == CKR_OK)
		rv = check_write (session, tok, tf_object_owner (tok, object) == 0);
	if (rv == CKR_OK)
		rv = tf_object_destroy (tok, object);
	unlock ();
	return rv;
}

static CK_RV
tf_C_GetObjectSize (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object, CK_ULONG_PTR size)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && size == NULL)
		rv = CKR_ARGUMENTS_BAD;
	/* Object handles are unique across tokens: one on the other token is invalid here. */
	if (rv == CKR_OK)
		rv = tf_object_size (tok, object, size);
	unlock ();
	return rv;
}

/*
 * C_GetAttributeValue (5.7): every attribute is answered; unknown ones get
 * CK_UNAVAILABLE_INFORMATION and CKR_ATTRIBUTE_TYPE_INVALID while the others
 * are still filled (p11-kit asks for ~120 types at once).
 */
static CK_RV
tf_C_GetAttributeValue (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object,
			CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK)
		rv = tf_attrs_check (tmpl, count, false);
	/* One resolution of the handle, in the session's token (tf_object_get's). */
	if (rv == CKR_OK)
		rv = tf_object_get (tok, object, tmpl, count);
	unlock ();
	return rv;
}

static CK_RV
tf_C_SetAttributeValue (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object,
			CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK)
		rv = tf_attrs_check (tmpl, count, true);
	if (rv == CKR_OK && token_for_object (object) != tok)
		rv = CKR_OBJECT_HANDLE_INVALID;
	if (rv == CKR_OK && TF_HANDLE_VIEW (object) == TF_VIEW_PROFILE)
		rv = CKR_ACTION_PROHIBITED;
	if (rv == CKR_OK)
		rv = check_write (session, tok, tf_object_owner (tok, object) == 0);
	if (rv == CKR_OK)
		rv = tf_object_set (tok, object, tmpl, count);
	unlock ();
	return rv;
}

/*
 * C_FindObjectsInit (5.7): answered from the index, after applying what
 * other processes committed since the last search.
 */
static CK_RV
tf_C_FindObjectsInit (CK_SESSION_HANDLE handle, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	tf_session *session;
	tf_token *tok;
	bool exclusive = false;
	CK_RV rv;

	/*
	 * First under the shared lock; when the search must load records or
	 * apply another process's changes, again under the exclusive one.
	 */
	for (;;) {
		rv = enter_as (exclusive);
		if (rv != CKR_OK)
			return rv;
		rv = get_session (handle, &session, &tok);
		if (rv == CKR_OK && session->finding)
			rv = CKR_OPERATION_ACTIVE;
		if (rv == CKR_OK)
			rv = tf_attrs_check (tmpl, count, true);
		if (rv == CKR_OK)
			rv = tf_session_find_init (session, tok, tmpl, count, exclusive);
		unlock ();
		if (rv != TF_CKR_NEED_EXCLUSIVE)
			return rv;
		exclusive = true;
	}
}

static CK_RV
tf_C_FindObjects (CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max,
		  CK_ULONG_PTR count)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && (count == NULL || (objects == NULL && max > 0)))
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK && !session->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK)
		tf_session_find_next (session, tok, objects, max, count);
	unlock ();
	return rv;
}

static CK_RV
tf_C_FindObjectsFinal (CK_SESSION_HANDLE handle)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter_shared ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && !session->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK)
		tf_session_find_final (session);
	unlock ();
	return rv;
}

/* ---- what this token does not do ------------------------------------------ */

static CK_RV
not_supported (void)
{
	if (forked || !module.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_FUNCTION_NOT_SUPPORTED;
}

/* C_SeedRandom / C_GenerateRandom: no RNG (pkcs11-tool --test expects this code). */
static CK_RV
no_rng (CK_SESSION_HANDLE handle)
{
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = tf_session_lookup (handle) ? CKR_RANDOM_NO_RNG : CKR_SESSION_HANDLE_INVALID;
	unlock ();
	return rv;
}

static CK_RV
tf_C_SeedRandom (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len)
{
	return no_rng (h);
}

static CK_RV
tf_C_GenerateRandom (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
	return no_rng (h);
}

static CK_RV
tf_C_GetFunctionStatus (CK_SESSION_HANDLE h)
{
	if (forked || !module.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_FUNCTION_NOT_PARALLEL;
}

static CK_RV
tf_C_CancelFunction (CK_SESSION_HANDLE h)
{
	if (forked || !module.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_FUNCTION_NOT_PARALLEL;
}

static CK_RV
tf_C_InitToken (CK_SLOT_ID s, CK_UTF8CHAR_PTR p, CK_ULONG l, CK_UTF8CHAR_PTR label)
{
	return not_supported ();
}
static CK_RV
tf_C_InitPIN (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR p, CK_ULONG l)
{
	return not_supported ();
}
static CK_RV
tf_C_SetPIN (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG ol, CK_UTF8CHAR_PTR n, CK_ULONG nl)
{
	return not_supported ();
}
static CK_RV
tf_C_GetOperationState (CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG_PTR l)
{
	return not_supported ();
}
static CK_RV
tf_C_SetOperationState (CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG l, CK_OBJECT_HANDLE e,
			CK_OBJECT_HANDLE a)
{
	return not_supported ();
}
static CK_RV
tf_C_MechInit (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return not_supported ();
}
static CK_RV
tf_C_OneShot (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl, CK_BYTE_PTR out,
	      CK_ULONG_PTR outl)
{
	return not_supported ();
}
static CK_RV
tf_C_Update (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inl)
{
	return not_supported ();
}
static CK_RV
tf_C_Final (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outl)
{
	return not_supported ();
}
static CK_RV
tf_C_DigestInit (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	return not_supported ();
}
static CK_RV
tf_C_DigestKey (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	return not_supported ();
}
static CK_RV
tf_C_Verify (CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG sl)
{
	return not_supported ();
}
static CK_RV
tf_C_VerifyFinal (CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG sl)
{
	return not_supported ();
}
static CK_RV
tf_C_GenerateKey (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG c,
		  CK_OBJECT_HANDLE_PTR k)
{
	return not_supported ();
}
static CK_RV
tf_C_GenerateKeyPair (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pc,
		      CK_ATTRIBUTE_PTR vt, CK_ULONG vc, CK_OBJECT_HANDLE_PTR pk,
		      CK_OBJECT_HANDLE_PTR vk)
{
	return not_supported ();
}
static CK_RV
tf_C_WrapKey (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE k,
	      CK_BYTE_PTR out, CK_ULONG_PTR outl)
{
	return not_supported ();
}
static CK_RV
tf_C_UnwrapKey (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u, CK_BYTE_PTR w,
		CK_ULONG wl, CK_ATTRIBUTE_PTR t, CK_ULONG c, CK_OBJECT_HANDLE_PTR k)
{
	return not_supported ();
}
static CK_RV
tf_C_DeriveKey (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR t,
		CK_ULONG c, CK_OBJECT_HANDLE_PTR k)
{
	return not_supported ();
}

/* ---- trustfolder's vendor interface (trustfolder-vendor.h) ---------------------- */

static CK_RV
tf_C_BeginBatch (CK_SESSION_HANDLE handle)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK)
		rv = check_write (session, tok, true);
	if (rv == CKR_OK)
		rv = tf_token_batch_begin (tok, handle);
	unlock ();
	return rv;
}

/* C_CommitBatch and C_AbortBatch: only the session that began the batch ends it. */
static CK_RV
end_batch (CK_SESSION_HANDLE handle, bool commit)
{
	tf_session *session;
	tf_token *tok;
	CK_RV rv;

	rv = enter ();
	if (rv != CKR_OK)
		return rv;
	rv = get_session (handle, &session, &tok);
	if (rv == CKR_OK && !(tok->batch && tok->batch_owner == handle))
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK && commit)
		rv = tf_token_batch_commit (tok);
	else if (rv == CKR_OK)
		tf_token_batch_abort (tok);
	unlock ();
	return rv;
}

static CK_RV
tf_C_CommitBatch (CK_SESSION_HANDLE handle)
{
	return end_batch (handle, true);
}

static CK_RV
tf_C_AbortBatch (CK_SESSION_HANDLE handle)
{
	return end_batch (handle, false);
}

static TF_VENDOR_FUNCTION_LIST vendor_functions = {
	.version = { 1, 0 },
	.C_BeginBatch = tf_C_BeginBatch,
	.C_CommitBatch = tf_C_CommitBatch,
	.C_AbortBatch = tf_C_AbortBatch,
};

/* C_LoginUser (3.0): as C_Login; there are no user names to tell apart. */
static CK_RV
tf_C_LoginUser (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR *pin, CK_ULONG len,
		CK_UTF8CHAR *name, CK_ULONG name_len)
{
	return tf_C_Login (h, user, pin, len);
}

static CK_RV
tf_C_SessionCancel (CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	return not_supported ();
}

/*
 * The message functions of 3.0 and the functions 3.2 added: none is
 * supported. One stub serves them all; it takes no arguments, which every
 * C calling convention on the platforms this builds for tolerates.
 */
static CK_RV
tf_C_NotSupported (void)
{
	return not_supported ();
}

static CK_FUNCTION_LIST function_list = {
	.version = { 2, 40 },
	.C_Initialize = tf_C_Initialize,
	.C_Finalize = tf_C_Finalize,
	.C_GetInfo = tf_C_GetInfo,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetSlotList = tf_C_GetSlotList,
	.C_GetSlotInfo = tf_C_GetSlotInfo,
	.C_GetTokenInfo = tf_C_GetTokenInfo,
	.C_GetMechanismList = tf_C_GetMechanismList,
	.C_GetMechanismInfo = tf_C_GetMechanismInfo,
	.C_InitToken = tf_C_InitToken,
	.C_InitPIN = tf_C_InitPIN,
	.C_SetPIN = tf_C_SetPIN,
	.C_OpenSession = tf_C_OpenSession,
	.C_CloseSession = tf_C_CloseSession,
	.C_CloseAllSessions = tf_C_CloseAllSessions,
	.C_GetSessionInfo = tf_C_GetSessionInfo,
	.C_GetOperationState = tf_C_GetOperationState,
	.C_SetOperationState = tf_C_SetOperationState,
	.C_Login = tf_C_Login,
	.C_Logout = tf_C_Logout,
	.C_CreateObject = tf_C_CreateObject,
	.C_CopyObject = tf_C_CopyObject,
	.C_DestroyObject = tf_C_DestroyObject,
	.C_GetObjectSize = tf_C_GetObjectSize,
	.C_GetAttributeValue = tf_C_GetAttributeValue,
	.C_SetAttributeValue = tf_C_SetAttributeValue,
	.C_FindObjectsInit = tf_C_FindObjectsInit,
	.C_FindObjects = tf_C_FindObjects,
	.C_FindObjectsFinal = tf_C_FindObjectsFinal,
	.C_EncryptInit = tf_C_MechInit,
	.C_Encrypt = tf_C_OneShot,
	.C_EncryptUpdate = tf_C_OneShot,
	.C_EncryptFinal = tf_C_Final,
	.C_DecryptInit = tf_C_MechInit,
	.C_Decrypt = tf_C_OneShot,
	.C_DecryptUpdate = tf_C_OneShot,
	.C_DecryptFinal = tf_C_Final,
	.C_DigestInit = tf_C_DigestInit,
	.C_Digest = tf_C_OneShot,
	.C_DigestUpdate = tf_C_Update,
	.C_DigestKey = tf_C_DigestKey,
	.C_DigestFinal = tf_C_Final,
	.C_SignInit = tf_C_MechInit,
	.C_Sign = tf_C_OneShot,
	.C_SignUpdate = tf_C_Update,
	.C_SignFinal = tf_C_Final,
	.C_SignRecoverInit = tf_C_MechInit,
	.C_SignRecover = tf_C_OneShot,
	.C_VerifyInit = tf_C_MechInit,
	.C_Verify = tf_C_Verify,
	.C_VerifyUpdate = tf_C_Update,
	.C_VerifyFinal = tf_C_VerifyFinal,
	.C_VerifyRecoverInit = tf_C_MechInit,
	.C_VerifyRecover = tf_C_OneShot,
	.C_DigestEncryptUpdate = tf_C_OneShot,
	.C_DecryptDigestUpdate = tf_C_OneShot,
	.C_SignEncryptUpdate = tf_C_OneShot,
	.C_DecryptVerifyUpdate = tf_C_OneShot,
	.C_GenerateKey = tf_C_GenerateKey,
	.C_GenerateKeyPair = tf_C_GenerateKeyPair,
	.C_WrapKey = tf_C_WrapKey,
	.C_UnwrapKey = tf_C_UnwrapKey,
	.C_DeriveKey = tf_C_DeriveKey,
	.C_SeedRandom = tf_C_SeedRandom,
	.C_GenerateRandom = tf_C_GenerateRandom,
	.C_GetFunctionStatus = tf_C_GetFunctionStatus,
	.C_CancelFunction = tf_C_CancelFunction,
	.C_WaitForSlotEvent = tf_C_WaitForSlotEvent,
};

#define STUBS_4 tf_C_NotSupported, tf_C_NotSupported, tf_C_NotSupported, tf_C_NotSupported
#define V30_FUNCTIONS                                                                         \
	{                                                                                     \
		.C_GetInterfaceList = C_GetInterfaceList, .C_GetInterface = C_GetInterface,   \
		.C_LoginUser = tf_C_LoginUser, .C_SessionCancel = tf_C_SessionCancel,         \
		.message = { STUBS_4, STUBS_4, STUBS_4, STUBS_4, STUBS_4 },                   \
	}

static tf_function_list_3_0 function_list_3_0 = {
	.v30 = V30_FUNCTIONS,
};

static tf_function_list_3_2 function_list_3_2 = {
	.v30 = V30_FUNCTIONS,
	.v32 = { .added = { STUBS_4, STUBS_4, STUBS_4 } },
};

/* The 3.x lists share the 2.40 functions; only their version (and C_GetInfo's) differs. */
__attribute__ ((constructor)) static void
fill_function_lists (void)
{
	function_list_3_0.base = function_list;
	function_list_3_0.base.version.major = 3;
	function_list_3_0.base.version.minor = 0;
	function_list_3_0.base.C_GetInfo = tf_C_GetInfo_3_0;
	function_list_3_2.base = function_list;
	function_list_3_2.base.version.major = 3;
	function_list_3_2.base.version.minor = 2;
	function_list_3_2.base.C_GetInfo = tf_C_GetInfo_3_2;
}
