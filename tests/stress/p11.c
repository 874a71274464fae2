/*
 * The module as a client sees it: loaded with dlopen, initialized with OS
 * locking (as NSS does), and the decision calls as certutil makes them.
 */
#include "stress.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CK_FUNCTION_LIST_PTR p11;
static void *lib;

CK_RV
p11_try_load (const char *module, const char *params)
{
	CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR);
	CK_C_INITIALIZE_ARGS args;

	lib = dlopen (module, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		die ("%s", dlerror ());
	*(void **)&get_list = dlsym (lib, "C_GetFunctionList");
	if (get_list == NULL || get_list (&p11) != CKR_OK)
		die ("no C_GetFunctionList in %s", module);
	memset (&args, 0, sizeof (args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = (void *)params;
	return p11->C_Initialize (&args);
}

void
p11_load (const char *module, const char *params)
{
	CK_RV rv = p11_try_load (module, params);

	if (rv != CKR_OK)
		die ("C_Initialize: %s", p11_rv_name (rv));
}

void
p11_unload (void)
{
	CK_RV rv;

	rv = p11->C_Finalize (NULL);
	if (rv != CKR_OK)
		die ("C_Finalize: %s", p11_rv_name (rv));
	dlclose (lib);
	lib = NULL;
	p11 = NULL;
}

bool
p11_slot (const char *label, CK_SLOT_ID *slot)
{
	CK_SLOT_ID slots[16];
	CK_SLOT_INFO info;
	CK_ULONG n = 16, i;
	size_t len = strlen (label);

	/* Every slot, present or not: a token that is not there is still a slot. */
	if (p11->C_GetSlotList (CK_FALSE, slots, &n) != CKR_OK)
		return false;
	for (i = 0; i < n; i++) {
		if (p11->C_GetSlotInfo (slots[i], &info) != CKR_OK)
			continue;
		if (memcmp (info.slotDescription, label, len) == 0 &&
		    (len == sizeof (info.slotDescription) || info.slotDescription[len] == ' ')) {
			*slot = slots[i];
			return true;
		}
	}
	return false;
}

const char *
p11_rv_name (CK_RV rv)
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
	    {CKR_OK, "CKR_OK"},
	    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
	    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
	    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
	    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
	    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
	    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
	    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
	    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
	    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
	    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
	    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
	    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
	    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
	    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
	    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
	    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
	    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
	};
	static __thread char other[32];
	size_t i;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (names[i].rv == rv)
			return names[i].name;
	}
	snprintf (other, sizeof (other), "CKR 0x%lx", (unsigned long)rv);
	return other;
}

CK_RV
p11_find_all (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **out,
              CK_ULONG *count)
{
	CK_OBJECT_HANDLE *all = NULL, *grown;
	CK_ULONG got, total = 0, cap = 0;
	CK_RV rv;

	*out = NULL;
	*count = 0;
	rv = p11->C_FindObjectsInit (s, tmpl, n);
	if (rv != CKR_OK)
		return rv;
	do {
		if (total + 64 > cap) {
			cap = cap ? cap * 2 : 128;
			grown = realloc (all, cap * sizeof (CK_OBJECT_HANDLE));
			if (grown == NULL)
				die ("out of memory");
			all = grown;
		}
		rv = p11->C_FindObjects (s, all + total, 64, &got);
		if (rv != CKR_OK)
			break;
		total += got;
	} while (got > 0);
	if (rv == CKR_OK)
		rv = p11->C_FindObjectsFinal (s);
	else
		p11->C_FindObjectsFinal (s);
	if (rv != CKR_OK) {
		free (all);
		return rv;
	}
	*out = all;
	*count = total;
	return CKR_OK;
}

CK_RV
p11_get_blob (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, blob *out)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv;

	out->data = NULL;
	out->len = 0;
	rv = p11->C_GetAttributeValue (s, o, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    (rv == CKR_OK && (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0)))
		return CKR_OK;
	if (rv != CKR_OK)
		return rv;
	a.pValue = malloc (a.ulValueLen);
	if (a.pValue == NULL)
		die ("out of memory");
	rv = p11->C_GetAttributeValue (s, o, &a, 1);
	if (rv != CKR_OK) {
		free (a.pValue);
		return rv;
	}
	out->data = a.pValue;
	out->len = a.ulValueLen;
	return CKR_OK;
}

CK_RV
p11_create_cert (CK_SESSION_HANDLE s, const pool_cert *c)
{
	CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_HANDLE h;
	/* certutil -A, step 2 (CONTRACT.md). */
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_CLASS, &klass, sizeof (klass)},
	    {CKA_CERTIFICATE_TYPE, &type, sizeof (type)},
	    {CKA_ID, (void *)c->id, sizeof (c->id)},
	    {CKA_LABEL, (void *)c->label, strlen (c->label)},
	    {CKA_VALUE, c->der.data, c->der.len},
	    {CKA_ISSUER, c->issuer.data, c->issuer.len},
	    {CKA_SUBJECT, c->subject.data, c->subject.len},
	    {CKA_SERIAL_NUMBER, c->serial.data, c->serial.len},
	};

	return p11->C_CreateObject (s, tmpl, sizeof (tmpl) / sizeof (tmpl[0]), &h);
}

CK_RV
p11_create_trust (CK_SESSION_HANDLE s, const pool_cert *c, state kind)
{
	CK_OBJECT_CLASS klass = NSS_CKO_TRUST;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	const CK_ULONG *t = state_nss_trust (kind);
	CK_ULONG v[4];
	CK_OBJECT_HANDLE h;
	/* certutil -A, step 3; the hashes go last, so ST_BLOCK can leave them off. */
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_CLASS, &klass, sizeof (klass)},
	    {CKA_ISSUER, c->issuer.data, c->issuer.len},
	    {CKA_SERIAL_NUMBER, c->serial.data, c->serial.len},
	    {NSS_CKA_TRUST_SERVER_AUTH, &v[0], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CLIENT_AUTH, &v[1], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CODE_SIGNING, &v[2], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_EMAIL, &v[3], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_STEP_UP_APPROVED, &no, sizeof (no)},
	    {NSS_CKA_CERT_SHA1_HASH, (void *)c->sha1, sizeof (c->sha1)},
	    {NSS_CKA_CERT_MD5_HASH, (void *)c->md5, sizeof (c->md5)},
	};
	CK_ULONG n = sizeof (tmpl) / sizeof (tmpl[0]);

	if (t == NULL)
		die ("no trust object for state %s", state_name (kind));
	memcpy (v, t, sizeof (v));
	if (kind == ST_BLOCK)
		n -= 2;
	return p11->C_CreateObject (s, tmpl, n, &h);
}

/* The one object of class klass for c, by issuer + serial as NSS finds it. */
static CK_RV
find_one (CK_SESSION_HANDLE s, const pool_cert *c, CK_OBJECT_CLASS klass, CK_OBJECT_HANDLE *h,
          CK_ULONG *count)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_CLASS, &klass, sizeof (klass)},
	    {CKA_ISSUER, c->issuer.data, c->issuer.len},
	    {CKA_SERIAL_NUMBER, c->serial.data, c->serial.len},
	};
	CK_OBJECT_HANDLE *all;
	CK_RV rv;

	*h = CK_INVALID_HANDLE;
	rv = p11_find_all (s, tmpl, 4, &all, count);
	if (rv != CKR_OK)
		return rv;
	if (*count > 0)
		*h = all[0];
	free (all);
	return CKR_OK;
}

static CK_RV
destroy (CK_SESSION_HANDLE s, const pool_cert *c, CK_OBJECT_CLASS klass)
{
	CK_OBJECT_HANDLE h;
	CK_ULONG count;
	CK_RV rv;

	rv = find_one (s, c, klass, &h, &count);
	if (rv != CKR_OK)
		return rv;
	/* Not there is a failure too: the writer only destroys what it made. */
	if (count != 1)
		return CKR_OBJECT_HANDLE_INVALID;
	return p11->C_DestroyObject (s, h);
}

CK_RV
p11_destroy_trust (CK_SESSION_HANDLE s, const pool_cert *c)
{
	return destroy (s, c, NSS_CKO_TRUST);
}

CK_RV
p11_destroy_cert (CK_SESSION_HANDLE s, const pool_cert *c)
{
	return destroy (s, c, CKO_CERTIFICATE);
}

/* Which state's trust values v are; ST_BAD when none. */
static state
trust_kind (const CK_ULONG v[4])
{
	static const state kinds[] = {ST_CA, ST_PEER, ST_DISTRUST};
	size_t i;

	for (i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++) {
		if (memcmp (v, state_nss_trust (kinds[i]), 4 * sizeof (CK_ULONG)) == 0)
			return kinds[i];
	}
	return ST_BAD;
}

state
p11_state (CK_SESSION_HANDLE s, const pool *p, size_t idx, char *why, size_t why_len, CK_RV *rv)
{
	const pool_cert *c = &p->certs[idx];
	CK_OBJECT_HANDLE cert, trust;
	CK_ULONG n_cert, n_trust, v[4];
	CK_ATTRIBUTE purposes[] = {
	    {NSS_CKA_TRUST_SERVER_AUTH, &v[0], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CLIENT_AUTH, &v[1], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_CODE_SIGNING, &v[2], sizeof (CK_ULONG)},
	    {NSS_CKA_TRUST_EMAIL, &v[3], sizeof (CK_ULONG)},
	};
	blob value = {0}, label = {0}, sha1 = {0}, md5 = {0};
	state st = ST_BAD, kind;

	why[0] = '\0';
	*rv = find_one (s, c, CKO_CERTIFICATE, &cert, &n_cert);
	if (*rv == CKR_OK)
		*rv = find_one (s, c, NSS_CKO_TRUST, &trust, &n_trust);
	if (*rv != CKR_OK) {
		snprintf (why, why_len, "a search failed: %s", p11_rv_name (*rv));
		goto out;
	}
	if (n_cert > 1 || n_trust > 1) {
		snprintf (why, why_len, "%lu certificates and %lu trust objects",
		          (unsigned long)n_cert, (unsigned long)n_trust);
		goto out;
	}
	if (n_cert == 1) {
		*rv = p11_get_blob (s, cert, CKA_VALUE, &value);
		if (*rv == CKR_OK)
			*rv = p11_get_blob (s, cert, CKA_LABEL, &label);
		if (*rv != CKR_OK) {
			snprintf (why, why_len, "reading the certificate: %s", p11_rv_name (*rv));
			goto out;
		}
		if (!blob_equal (&value, c->der.data, c->der.len)) {
			snprintf (why, why_len, "the certificate's CKA_VALUE is not its DER");
			goto out;
		}
		if (!blob_equal (&label, c->label, strlen (c->label))) {
			snprintf (why, why_len, "the certificate's label is \"%.*s\"",
			          (int)label.len, label.data != NULL ? (char *)label.data : "");
			goto out;
		}
	}
	if (n_trust == 0) {
		st = n_cert == 1 ? ST_CERT : ST_ABSENT;
		goto out;
	}

	*rv = p11->C_GetAttributeValue (s, trust, purposes, 4);
	if (*rv == CKR_OK)
		*rv = p11_get_blob (s, trust, NSS_CKA_CERT_SHA1_HASH, &sha1);
	if (*rv == CKR_OK)
		*rv = p11_get_blob (s, trust, NSS_CKA_CERT_MD5_HASH, &md5);
	if (*rv != CKR_OK) {
		snprintf (why, why_len, "reading the trust object: %s", p11_rv_name (*rv));
		goto out;
	}
	kind = trust_kind (v);
	if (kind == ST_BAD) {
		snprintf (why, why_len, "trust values %#lx %#lx %#lx %#lx are no decision",
		          (unsigned long)v[0], (unsigned long)v[1], (unsigned long)v[2],
		          (unsigned long)v[3]);
		goto out;
	}
	if (n_cert == 1) {
		/* NSS drops all trust for a certificate whose trust has a wrong hash. */
		if (!blob_equal (&sha1, c->sha1, sizeof (c->sha1)) ||
		    !blob_equal (&md5, c->md5, sizeof (c->md5))) {
			snprintf (why, why_len,
			          "the trust object's hashes (%zu, %zu bytes) are not "
			          "the certificate's",
			          sha1.len, md5.len);
			goto out;
		}
		st = kind;
	} else if (kind == ST_DISTRUST && sha1.len == 0 && md5.len == 0) {
		st = ST_BLOCK;
	} else {
		snprintf (why, why_len,
		          "trust (%s) without its certificate, with %zu and %zu "
		          "bytes of hash",
		          state_name (kind), sha1.len, md5.len);
	}
out:
	blob_free (&value);
	blob_free (&label);
	blob_free (&sha1);
	blob_free (&md5);
	return st;
}
