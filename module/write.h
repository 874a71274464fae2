/*
 * Writes through the views: each class's schema (which attributes a client
 * may give at create, and change later) and what a create, a change or a
 * destroy of one of its objects does to the trust record. Private to the
 * object layer; object.c resolves handles and calls these.
 */
#ifndef TF_WRITE_H
#define TF_WRITE_H

#include "object.h"

/* A create on tok (owner: 0 for token objects). *handle names the view written. */
CK_RV tf_write_create (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		       CK_ULONG count, CK_OBJECT_HANDLE *handle);

/* C_SetAttributeValue on an existing object: all or nothing. */
CK_RV tf_write_set (tf_token *tok, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE *tmpl,
		    CK_ULONG count);

/* C_DestroyObject: what the view's destruction means for its record. */
CK_RV tf_write_destroy (tf_token *tok, CK_OBJECT_HANDLE handle);

#endif /* TF_WRITE_H */
