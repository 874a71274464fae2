/*
 * The PKCS#11 client layer: loading, sessions and writes (reading is in
 * client-read.c). See client.h.
 *
 * The module is loaded with dlopen and initialized with CKF_OS_LOCKING_OK
 * and the parameter string in pReserved, as NSS and modutil -string do.
 * Tokens are found by label, never by slot number. Reads use one read-only
 * session per token; each write opens a read-write session of its own, as
 * certutil does, so that a write-protected token says so before anything is
 * sent.
 */
#include "client-private.h"

#include "tool.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TF_PKCS11DIR
#define TF_PKCS11DIR "/usr/local/lib/pkcs11"
#endif

/* CK_INTERFACE of PKCS#11 3.0, which p11-kit 0.24's header does not have yet. */
typedef struct {
	CK_CHAR *name;
	void *functions;
	CK_FLAGS flags;
} interface_30;

typedef CK_RV (*get_interface_fn) (CK_UTF8CHAR *name, CK_VERSION *version, interface_30 **out,
				   CK_FLAGS flags);

const CK_ATTRIBUTE_TYPE client_purpose_attr[CLIENT_PURPOSES] = {
	TF_CKA_NSS_TRUST_SERVER_AUTH,
	TF_CKA_NSS_TRUST_CLIENT_AUTH,
	TF_CKA_NSS_TRUST_CODE_SIGNING,
	TF_CKA_NSS_TRUST_EMAIL,
};

static const char *const scope_token[SCOPE_COUNT] = {
	[SCOPE_FOREVER] = TF_TOKEN_LABEL_PERSISTENT,
	[SCOPE_SESSION] = TF_TOKEN_LABEL_SESSION,
};

static const char *const scope_name[SCOPE_COUNT] = {
	[SCOPE_FOREVER] = "forever",
	[SCOPE_SESSION] = "session",
};

const char *
client_scope_token (client_scope scope)
{
	return scope_token[scope];
}

const char *
client_scope_name (client_scope scope)
{
	return scope_name[scope];
}

const char *
client_rv_name (CK_RV rv)
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
		{ CKR_OK, "CKR_OK" },
		{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
		{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
		{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
		{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
		{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
		{ CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY" },
		{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
		{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
		{ CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED" },
		{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
		{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
		{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
		{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
		{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
		{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
		{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
		{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
		{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
		{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
		{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
		{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
		{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
		{ CKR_CANT_LOCK, "CKR_CANT_LOCK" },
		{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
	};
	static char other[32];
	size_t i;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (names[i].rv == rv)
			return names[i].name;
	}
	snprintf (other, sizeof (other), "CKR 0x%lx", (unsigned long)rv);
	return other;
}

/* ---- loading ------------------------------------------------------------- */

/* The module next to this program (build/), else the installed one. */
static char *
default_module (void)
{
	char exe[PATH_MAX], *slash, *path = NULL;
	ssize_t n;

	n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr (exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (asprintf (&path, "%s/%s", exe, TF_MODULE_FILE) < 0)
				path = NULL;
			if (path != NULL && access (path, R_OK) == 0)
				return path;
			free (path);
		}
	}
	return strdup (TF_PKCS11DIR "/" TF_MODULE_FILE);
}

/* The value of the blank-padded field, without the padding, in out. */
static void
unpad (const CK_UTF8CHAR *field, size_t len, char *out)
{
	while (len > 0 && field[len - 1] == ' ')
		len--;
	memcpy (out, field, len);
	out[len] = '\0';
}

static bool
find_tokens (client *c)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO info;
	char label[sizeof (info.label) + 1];
	bool ok = false;
	int s;
	CK_RV rv;

	rv = c->f->C_GetSlotList (CK_TRUE, NULL, &n);
	if (rv != CKR_OK) {
		tool_error ("C_GetSlotList failed: %s", client_rv_name (rv));
		goto out;
	}
	slots = calloc (n ? n : 1, sizeof (CK_SLOT_ID));
	if (slots == NULL) {
		tool_error ("out of memory");
		goto out;
	}
	rv = c->f->C_GetSlotList (CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		tool_error ("C_GetSlotList failed: %s", client_rv_name (rv));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (c->f->C_GetTokenInfo (slots[i], &info) != CKR_OK)
			continue;
		unpad (info.label, sizeof (info.label), label);
		for (s = 0; s < SCOPE_COUNT; s++) {
			if (strcmp (label, scope_token[s]) == 0 && !c->present[s]) {
				c->present[s] = true;
				c->slot[s] = slots[i];
				c->info[s] = info;
			}
		}
	}
	ok = true;
out:
	free (slots);
	return ok;
}

/*
 * trustfolder's vendor interface (trustfolder-vendor.h), for writes in one
 * transaction; a module without it is still written to, one create at a time.
 */
static void
find_vendor (client *c)
{
	get_interface_fn get_interface;
	interface_30 *in = NULL;
	TF_VENDOR_FUNCTION_LIST *v;

	get_interface = (get_interface_fn)dlsym (c->dl, "C_GetInterface");
	if (get_interface == NULL ||
	    get_interface ((CK_UTF8CHAR *)TF_VENDOR_INTERFACE_NAME, NULL, &in, 0) != CKR_OK ||
	    in == NULL || in->functions == NULL)
		return;
	v = in->functions;
	if (v->version.major == 1 && v->C_BeginBatch && v->C_CommitBatch && v->C_AbortBatch)
		c->vendor = v;
}

client *
client_open (const char *module_path, const char *store)
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList get_list;
	char *params = NULL;
	client *c;
	CK_RV rv;

	c = calloc (1, sizeof (*c));
	if (c == NULL) {
		tool_error ("out of memory");
		return NULL;
	}
	c->path = module_path != NULL ? strdup (module_path) : default_module ();
	if (c->path == NULL) {
		tool_error ("out of memory");
		goto fail;
	}
	if (store != NULL) {
		/* The module's parameter syntax: a value in double quotes may hold spaces. */
		if (strchr (store, '"') != NULL || store[0] == '\0') {
			tool_error ("--store %s: a store path must be non-empty and hold no '\"'",
				    store);
			goto fail;
		}
		if (asprintf (&params, "%s=\"%s\"", TF_PARAM_STORE, store) < 0) {
			params = NULL;
			tool_error ("out of memory");
			goto fail;
		}
	}

	c->dl = dlopen (c->path, RTLD_NOW | RTLD_LOCAL);
	if (c->dl == NULL) {
		tool_error ("cannot load the module %s: %s", c->path, dlerror ());
		goto fail;
	}
	get_list = (CK_C_GetFunctionList)dlsym (c->dl, "C_GetFunctionList");
	if (get_list == NULL) {
		tool_error ("%s is not a PKCS#11 module: it has no C_GetFunctionList", c->path);
		goto fail;
	}
	rv = get_list (&c->f);
	if (rv != CKR_OK || c->f == NULL) {
		tool_error ("C_GetFunctionList of %s failed: %s", c->path, client_rv_name (rv));
		goto fail;
	}
	find_vendor (c);

	memset (&args, 0, sizeof (args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = params;
	rv = c->f->C_Initialize (&args);
	if (rv != CKR_OK) {
		tool_error ("the module %s did not start: C_Initialize failed: %s%s", c->path,
			    client_rv_name (rv),
			    rv == CKR_ARGUMENTS_BAD ? " (a setting is wrong; see the module's "
						      "message above)"
						    : "");
		goto fail;
	}
	c->initialized = true;
	free (params);
	params = NULL;
	if (!find_tokens (c))
		goto fail;
	return c;
fail:
	free (params);
	client_close (c);
	return NULL;
}

void
client_close (client *c)
{
	int s;

	if (c == NULL)
		return;
	if (c->initialized) {
		if (c->batch != 0)
			client_batch_end (c, false);
		for (s = 0; s < SCOPE_COUNT; s++) {
			if (c->ro[s] != 0)
				c->f->C_CloseSession (c->ro[s]);
		}
		c->f->C_Finalize (NULL);
	}
	if (c->dl != NULL)
		dlclose (c->dl);
	free (c->path);
	free (c);
}

bool
client_scope_present (client *c, client_scope scope)
{
	return c->present[scope];
}

bool
client_session_shared (client *c)
{
	char model[sizeof (c->info[0].model) + 1];

	if (!c->present[SCOPE_SESSION])
		return false;
	unpad (c->info[SCOPE_SESSION].model, sizeof (c->info[SCOPE_SESSION].model), model);
	return strcmp (model, "session-runtime") == 0;
}

CK_SESSION_HANDLE
client_ro_session (client *c, client_scope scope)
{
	CK_RV rv;

	if (c->ro[scope] != 0)
		return c->ro[scope];
	rv = c->f->C_OpenSession (c->slot[scope], CKF_SERIAL_SESSION, NULL, NULL, &c->ro[scope]);
	if (rv != CKR_OK) {
		tool_error ("cannot open a session on \"%s\": C_OpenSession failed: %s",
			    scope_token[scope], client_rv_name (rv));
		c->ro[scope] = 0;
	}
	return c->ro[scope];
}

/* ---- writing ------------------------------------------------------------- */

/* A read-write session on the scope's token, after checking it can be written. */
static bool
rw_session (client *c, client_scope scope, CK_SESSION_HANDLE *s)
{
	CK_RV rv;

	if (!c->present[scope]) {
		tool_error ("the token \"%s\" is not available (the module could not open "
			    "its store; see its message above)",
			    scope_token[scope]);
		return false;
	}
	if (c->info[scope].flags & CKF_WRITE_PROTECTED) {
		tool_error ("the token \"%s\" is write-protected: its store cannot be written "
			    "(the file or its directory is not writable by you, or read-only=yes "
			    "is set); nothing was changed",
			    scope_token[scope]);
		return false;
	}
	rv = c->f->C_OpenSession (c->slot[scope], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
				  NULL, s);
	if (rv != CKR_OK) {
		tool_error ("cannot open a read-write session on \"%s\": C_OpenSession failed: "
			    "%s%s",
			    scope_token[scope], client_rv_name (rv),
			    rv == CKR_TOKEN_WRITE_PROTECTED ? " (its store cannot be written)"
							    : "");
		return false;
	}
	return true;
}

/* The certificate object with this issuer and serial, as certutil looks it up first. */
static CK_RV
find_cert (client *c, CK_SESSION_HANDLE s, const client_decision *d, CK_OBJECT_HANDLE *obj)
{
	CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &klass, sizeof (klass) },
		{ CKA_ISSUER, (void *)d->issuer, d->issuer_len },
		{ CKA_SERIAL_NUMBER, (void *)d->serial, d->serial_len },
	};
	CK_ULONG got = 0;
	CK_RV rv;

	*obj = 0;
	rv = c->f->C_FindObjectsInit (s, tmpl, 4);
	if (rv != CKR_OK)
		return rv;
	rv = c->f->C_FindObjects (s, obj, 1, &got);
	c->f->C_FindObjectsFinal (s);
	if (got == 0)
		*obj = 0;
	return rv;
}

/* Begins a batch on session s; false after a message. */
static bool
begin_batch (client *c, client_scope scope, CK_SESSION_HANDLE s)
{
	CK_RV rv = c->vendor->C_BeginBatch (s);

	if (rv != CKR_OK) {
		tool_error ("\"%s\" cannot begin a write: C_BeginBatch failed: %s",
			    scope_token[scope], client_rv_name (rv));
		return false;
	}
	return true;
}

static bool
commit_batch (client *c, client_scope scope, CK_SESSION_HANDLE s)
{
	CK_RV rv = c->vendor->C_CommitBatch (s);

	if (rv != CKR_OK) {
		tool_error ("\"%s\" did not keep the writes: C_CommitBatch failed: %s (see the "
			    "module's message above); nothing was changed",
			    scope_token[scope], client_rv_name (rv));
		return false;
	}
	return true;
}

bool
client_has_batches (client *c)
{
	return c->vendor != NULL;
}

bool
client_batch_begin (client *c, client_scope scope)
{
	CK_SESSION_HANDLE s;

	if (c->vendor == NULL)
		return true;
	if (!rw_session (c, scope, &s))
		return false;
	if (!begin_batch (c, scope, s)) {
		c->f->C_CloseSession (s);
		return false;
	}
	c->batch = s;
	c->batch_scope = scope;
	return true;
}

bool
client_batch_end (client *c, bool commit)
{
	bool ok = true;

	if (c->batch == 0)
		return true;
	if (commit)
		ok = commit_batch (c, c->batch_scope, c->batch);
	else
		c->vendor->C_AbortBatch (c->batch);
	/* Closing the session that began the batch would abort it too. */
	c->f->C_CloseSession (c->batch);
	c->batch = 0;
	return ok;
}

bool
client_write (client *c, client_scope scope, const client_decision *d)
{
	CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE, trust_class = TF_CKO_NSS_TRUST;
	CK_CERTIFICATE_TYPE cert_type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG levels[CLIENT_PURPOSES], expires = d->expires;
	CK_ATTRIBUTE cert[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &cert_class, sizeof (cert_class) },
		{ CKA_CERTIFICATE_TYPE, &cert_type, sizeof (cert_type) },
		{ CKA_VALUE, (void *)d->der, d->der_len },
		{ CKA_LABEL, (void *)d->label, strlen (d->label) },
	};
	CK_ATTRIBUTE trust[] = {
		{ CKA_TOKEN, &yes, sizeof (yes) },
		{ CKA_CLASS, &trust_class, sizeof (trust_class) },
		{ CKA_ISSUER, (void *)d->issuer, d->issuer_len },
		{ CKA_SERIAL_NUMBER, (void *)d->serial, d->serial_len },
		{ TF_CKA_CERT_SHA1_HASH, (void *)d->sha1, 20 },
		{ TF_CKA_CERT_MD5_HASH, (void *)d->md5, 16 },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, &levels[0], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, &levels[1], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, &levels[2], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_EMAIL, &levels[3], sizeof (CK_ULONG) },
		{ TF_CKA_NSS_TRUST_STEP_UP, &no, sizeof (no) },
		{ TF_CKA_DECISION_EXPIRES, &expires, sizeof (expires) },
		{ TF_CKA_PINNED_HOSTS, (void *)d->hosts, strlen (d->hosts) },
		{ TF_CKA_DECISION_CREATOR, (void *)d->creator, strlen (d->creator) },
	};
	CK_OBJECT_HANDLE existing = 0, cert_obj = 0, trust_obj = 0;
	CK_SESSION_HANDLE s = 0;
	bool own_batch = false, ok = false;
	CK_RV rv;

	memcpy (levels, d->levels, sizeof (levels));
	if (!rw_session (c, scope, &s))
		return false;
	/* The certificate and its trust in one transaction, unless a batch holds them already. */
	if (c->vendor != NULL && c->batch == 0) {
		if (!begin_batch (c, scope, s))
			goto out;
		own_batch = true;
	}
	rv = find_cert (c, s, d, &existing);
	if (rv != CKR_OK) {
		tool_error ("cannot search \"%s\": %s", scope_token[scope], client_rv_name (rv));
		goto out;
	}
	rv = c->f->C_CreateObject (s, cert, sizeof (cert) / sizeof (cert[0]), &cert_obj);
	if (rv != CKR_OK) {
		tool_error ("\"%s\" refused the certificate: C_CreateObject failed: %s "
			    "(see the module's message above)",
			    scope_token[scope], client_rv_name (rv));
		goto out;
	}
	rv = c->f->C_CreateObject (s, trust, sizeof (trust) / sizeof (trust[0]), &trust_obj);
	if (rv != CKR_OK) {
		tool_error ("\"%s\" refused the decision: C_CreateObject of the trust object "
			    "failed: %s (see the module's message above)",
			    scope_token[scope], client_rv_name (rv));
		/* Without batches, take a new certificate out again by hand. */
		if (c->vendor == NULL && existing == 0 &&
		    c->f->C_DestroyObject (s, cert_obj) != CKR_OK)
			tool_warn ("the certificate was stored without a decision; "
				   "\"trustfolder forget\" removes it");
		goto out;
	}
	ok = true;
out:
	if (own_batch) {
		if (ok)
			ok = commit_batch (c, scope, s);
		else
			c->vendor->C_AbortBatch (s);
	}
	c->f->C_CloseSession (s);
	return ok;
}

bool
client_forget (client *c, const client_entry *e, bool keep_cert)
{
	CK_OBJECT_HANDLE obj;
	CK_SESSION_HANDLE s = 0;
	const char *what;
	CK_RV rv;

	if (e->cert != 0 && !keep_cert) {
		obj = e->cert;
		what = "certificate";
	} else if (e->trust != 0) {
		obj = e->trust;
		what = "trust object";
	} else {
		return true; /* a certificate kept, and no decision: nothing to do */
	}
	if (!rw_session (c, e->scope, &s))
		return false;
	rv = c->f->C_DestroyObject (s, obj);
	c->f->C_CloseSession (s);
	if (rv != CKR_OK) {
		tool_error ("\"%s\" did not remove the %s: C_DestroyObject failed: %s",
			    scope_token[e->scope], what, client_rv_name (rv));
		return false;
	}
	return true;
}
