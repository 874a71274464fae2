/*
 * Objects: the views a client sees of a token's trust records, their
 * attributes, and the writes that go through them (create, set, destroy).
 * Every view is computed from the record; nothing here is stored twice.
 *
 * An object handle is (record uid << 8) | view, so a handle is never 0, never
 * reused within the process, and names its record and view directly.
 */
#ifndef TF_OBJECT_H
#define TF_OBJECT_H

#include "token.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
	TF_VIEW_NONE = 0,
	TF_VIEW_CERT = 1,	/* CKO_CERTIFICATE, CKC_X_509 */
	TF_VIEW_NSS_TRUST = 2,	/* CKO_NSS_TRUST */
	TF_VIEW_PROFILE = 3,	/* CKO_PROFILE (one per token, no record) */
	TF_VIEW_TRUST = 4,	/* CKO_TRUST, PKCS#11 3.2 */
	TF_VIEW_EXTENSION = 5,	/* CKO_X_CERTIFICATE_EXTENSION: the stapled EKU */
	/*
	 * CKO_X_CERTIFICATE_EXTENSION: the EKU a decision for some purposes
	 * implies, when none is stapled. A handle of its own, so that
	 * destroying a stapled one leaves its handle naming nothing.
	 */
	TF_VIEW_DERIVED_EXTENSION = 6,
	TF_VIEW_ANCHORED = 8,	/* + purpose: CKO_X_TRUST_ASSERTION, anchored */
	TF_VIEW_DISTRUSTED = 12, /* + purpose: CKO_X_TRUST_ASSERTION, distrusted */
	TF_VIEW_PINNED = 16,	/* + host * 4 + purpose: CKO_X_TRUST_ASSERTION, pinned */
} tf_view;

/* Pinned assertions exist for the first this many hosts of a decision. */
#define TF_VIEW_MAX_HOSTS 60

#define TF_HANDLE(uid, view) ((CK_OBJECT_HANDLE) (((uint64_t)(uid) << 8) | (uint64_t)(view)))
#define TF_HANDLE_UID(h)     ((uint64_t)(h) >> 8)
#define TF_HANDLE_VIEW(h)    ((tf_view) ((h) & 0xff))

/* true when the object exists in this token. */
bool tf_object_exists (tf_token *tok, CK_OBJECT_HANDLE handle);

/*
 * true when the object's attributes can be read: it exists, or another
 * process removed it lately and a client that listed it may still read it.
 */
bool tf_object_readable (tf_token *tok, CK_OBJECT_HANDLE handle);

/*
 * C_CreateObject on tok: owner is 0 for the caller's token objects or the
 * session handle for CKA_TOKEN=FALSE ones (the caller reads CKA_TOKEN and
 * checks the session's rights first). A write through a view updates the
 * record it belongs to (certutil -M re-creates the trust object). On success
 * *handle names the view created or updated.
 */
CK_RV tf_object_create (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
			CK_ULONG count, CK_OBJECT_HANDLE *handle);

/* C_GetAttributeValue with the exact per-attribute rules (attrs.h). */
CK_RV tf_object_get (tf_token *tok, CK_OBJECT_HANDLE handle, CK_ATTRIBUTE *tmpl, CK_ULONG count);

/* C_SetAttributeValue: all or nothing. */
CK_RV tf_object_set (tf_token *tok, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE *tmpl,
		     CK_ULONG count);

/* C_DestroyObject: a trust view resets the decision; the certificate takes the record. */
CK_RV tf_object_destroy (tf_token *tok, CK_OBJECT_HANDLE handle);

/* C_GetObjectSize: an estimate of the bytes the object occupies. */
CK_RV tf_object_size (tf_token *tok, CK_OBJECT_HANDLE handle, CK_ULONG *size);

/* The owning session of an object (0 for a token object), for access checks. */
CK_SESSION_HANDLE tf_object_owner (tf_token *tok, CK_OBJECT_HANDLE handle);

/* Never returned to a client: the call must be made again under the exclusive lock. */
#define TF_CKR_NEED_EXCLUSIVE (CKR_VENDOR_DEFINED | 0x54460001UL)

/*
 * Every object of tok matching the template, from the index. The caller
 * frees *handles. CKR_HOST_MEMORY when out of memory. When may_load is false
 * (the caller holds the lock shared) and records must first be loaded from
 * the store, TF_CKR_NEED_EXCLUSIVE, with nothing changed.
 */
CK_RV tf_object_find (tf_token *tok, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool may_load,
		      CK_OBJECT_HANDLE **handles, CK_ULONG *n);

#endif /* TF_OBJECT_H */
