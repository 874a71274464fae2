/*
 * The three modules as a client loads them: dlopen, C_GetFunctionList,
 * C_Initialize with CKF_OS_LOCKING_OK and a parameter string in pReserved
 * (as NSS passes softoken its configuration and p11-kit its
 * x-init-reserved), then the slot that holds the store.
 */
#include "bench.h"

#include "trustfolder.h"
#include "trustfolder-vendor.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bench_module_names[BENCH_NMODULES] = {
	[BENCH_TF] = "trustfolder",
	[BENCH_SOFTOKN] = "softokn",
	[BENCH_P11KIT] = "p11kit",
};

#define SOFTOKN_SO "/usr/lib/x86_64-linux-gnu/libsoftokn3.so"
#define P11KIT_SO  "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so"

/* softoken's certificate database slot (NSS's internal key slot). */
#define SOFTOKN_DB_SLOT 2

void
bench_module_setup (bench_module *m, bench_module_id id, const char *bench_dir, const char *tf_so,
		    unsigned n)
{
	char dir[4096];

	memset (m, 0, sizeof (*m));
	m->id = id;
	m->n = n;
	switch (id) {
	case BENCH_TF:
		snprintf (m->so, sizeof (m->so), "%s", tf_so);
		break;
	case BENCH_SOFTOKN:
		snprintf (m->so, sizeof (m->so), "%s", SOFTOKN_SO);
		break;
	default:
		snprintf (m->so, sizeof (m->so), "%s", P11KIT_SO);
		break;
	}
	snprintf (dir, sizeof (dir), "%s/run/%s-%u", bench_dir, bench_module_names[id], n);
	bench_module_set_dir (m, dir);
}

void
bench_module_set_dir (bench_module *m, const char *dir)
{
	snprintf (m->dir, sizeof (m->dir), "%s", dir);
	switch (m->id) {
	case BENCH_TF:
		snprintf (m->params, sizeof (m->params), "store=%s/trustfolder.db", m->dir);
		break;
	case BENCH_SOFTOKN:
		/*
		 * What NSS itself passes softoken for an sql: database
		 * (nss_Init, and the internal module's line in pkcs11.txt).
		 */
		snprintf (m->params, sizeof (m->params),
			  "configdir='sql:%s' certPrefix='' keyPrefix='' secmod='secmod.db' flags= "
			  "updatedir='' updateCertPrefix='' updateKeyPrefix='' updateid='' "
			  "updateTokenDescription=''",
			  m->dir);
		break;
	default:
		/* p11-kit-trust's own argument (trust/module.c): paths, ':'-separated. */
		snprintf (m->params, sizeof (m->params), "paths='%s'", m->dir);
		break;
	}
}

const char *
bench_ckr (CK_RV rv)
{
	static char buf[32];

	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
	case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
	case CKR_ATTRIBUTE_READ_ONLY: return "CKR_ATTRIBUTE_READ_ONLY";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
	case CKR_FUNCTION_NOT_SUPPORTED: return "CKR_FUNCTION_NOT_SUPPORTED";
	case CKR_SESSION_READ_ONLY: return "CKR_SESSION_READ_ONLY";
	case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_TOKEN_WRITE_PROTECTED: return "CKR_TOKEN_WRITE_PROTECTED";
	case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
	case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
	case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
	case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
	case CKR_ACTION_PROHIBITED: return "CKR_ACTION_PROHIBITED";
	default:
		snprintf (buf, sizeof (buf), "CKR 0x%lx", (unsigned long)rv);
		return buf;
	}
}

/* The PKCS#11 3.0 CK_INTERFACE, which Debian 12's 2.40 headers lack. */
typedef struct {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} bench_interface;

typedef CK_RV (*get_interface_fn) (CK_UTF8CHAR *, CK_VERSION *, bench_interface **, CK_FLAGS);

/* trustfolder's batch functions, got as any client gets a vendor interface. */
static void
find_vendor_interface (bench_module *m)
{
	get_interface_fn get_interface;
	bench_interface *iface = NULL;
	TF_VENDOR_FUNCTION_LIST *vendor;

	get_interface = (get_interface_fn)dlsym (m->dl, "C_GetInterface");
	if (get_interface == NULL ||
	    get_interface ((CK_UTF8CHAR *)TF_VENDOR_INTERFACE_NAME, NULL, &iface, 0) != CKR_OK ||
	    iface == NULL)
		return;
	vendor = iface->pFunctionList;
	if (vendor->version.major != 1)
		return;
	m->begin_batch = vendor->C_BeginBatch;
	m->commit_batch = vendor->C_CommitBatch;
}

static bool
pick_slot (bench_module *m, char *err, size_t errlen)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO info;
	CK_RV rv;

	rv = m->f->C_GetSlotList (CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		snprintf (err, errlen, "C_GetSlotList: %s", bench_ckr (rv));
		return false;
	}
	for (i = 0; i < n; i++) {
		if (m->id == BENCH_SOFTOKN) {
			if (slots[i] == SOFTOKN_DB_SLOT)
				break;
			continue;
		}
		if (m->id == BENCH_P11KIT)
			break; /* one path, one token */
		if (m->f->C_GetTokenInfo (slots[i], &info) == CKR_OK &&
		    memcmp (info.label, TF_TOKEN_LABEL_PERSISTENT,
			    strlen (TF_TOKEN_LABEL_PERSISTENT)) == 0 &&
		    info.label[strlen (TF_TOKEN_LABEL_PERSISTENT)] == ' ')
			break;
	}
	if (i == n) {
		snprintf (err, errlen, "no slot holds the store (%lu slots)", (unsigned long)n);
		return false;
	}
	m->slot = slots[i];
	return true;
}

bool
bench_module_load (bench_module *m, char *err, size_t errlen, uint64_t marks[2])
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList get_list;
	CK_RV rv;

	m->dl = dlopen (m->so, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		snprintf (err, errlen, "dlopen: %s", dlerror ());
		return false;
	}
	get_list = (CK_C_GetFunctionList)dlsym (m->dl, "C_GetFunctionList");
	if (get_list == NULL || (rv = get_list (&m->f)) != CKR_OK) {
		snprintf (err, errlen, "no C_GetFunctionList");
		return false;
	}
	if (marks != NULL)
		marks[0] = bench_now_ns ();
	memset (&args, 0, sizeof (args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = m->params;
	rv = m->f->C_Initialize (&args);
	if (rv != CKR_OK) {
		snprintf (err, errlen, "C_Initialize: %s", bench_ckr (rv));
		return false;
	}
	m->initialized = true;
	if (marks != NULL)
		marks[1] = bench_now_ns ();
	if (m->id == BENCH_TF)
		find_vendor_interface (m);
	return pick_slot (m, err, errlen);
}

void
bench_module_unload (bench_module *m)
{
	if (m->initialized)
		m->f->C_Finalize (NULL);
	m->initialized = false;
	/* Not dlclose'd: some modules leave threads or atexit handlers behind. */
}

/*
 * softoken's database has a key database that wants a PIN before it takes
 * token objects: a new one gets the empty PIN set (as `certutil -N
 * --empty-password` does), and a session logs in with it.
 */
static CK_RV
softokn_login (bench_module *m, CK_SESSION_HANDLE s)
{
	CK_TOKEN_INFO info;
	CK_RV rv;

	rv = m->f->C_GetTokenInfo (m->slot, &info);
	if (rv != CKR_OK)
		return rv;
	if (!(info.flags & CKF_USER_PIN_INITIALIZED)) {
		rv = m->f->C_Login (s, CKU_SO, (CK_UTF8CHAR *)"", 0);
		if (rv == CKR_OK)
			rv = m->f->C_InitPIN (s, (CK_UTF8CHAR *)"", 0);
		m->f->C_Logout (s);
		if (rv != CKR_OK)
			return rv;
		rv = m->f->C_GetTokenInfo (m->slot, &info);
		if (rv != CKR_OK)
			return rv;
	}
	if (!(info.flags & CKF_LOGIN_REQUIRED))
		return CKR_OK;
	rv = m->f->C_Login (s, CKU_USER, (CK_UTF8CHAR *)"", 0);
	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

CK_RV
bench_open_session (bench_module *m, bool rw, CK_SESSION_HANDLE *session)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_RV rv;

	rv = m->f->C_OpenSession (m->slot, flags, NULL, NULL, session);
	if (rv != CKR_OK || m->id != BENCH_SOFTOKN)
		return rv;
	return softokn_login (m, *session);
}
