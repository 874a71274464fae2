/*
 * Sessions and their one active operation, a search.
 */
#ifndef TF_SESSION_H
#define TF_SESSION_H

#include "token.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>

typedef struct tf_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID slot;
	CK_FLAGS flags;

	/* The search in progress: handles found at C_FindObjectsInit. */
	bool finding;
	CK_OBJECT_HANDLE *found;
	CK_ULONG nfound;
	CK_ULONG next;
} tf_session;

/* Opens a session on slot; *handle is never 0 and never reused. */
CK_RV tf_session_open (CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *handle);

/* The session, or NULL. Borrowed. */
tf_session *tf_session_lookup (CK_SESSION_HANDLE handle);

/* Closes one session; the caller drops its session objects. */
void tf_session_close (tf_session *session);

/* The number of sessions open on slot (all slots when slot is (CK_SLOT_ID)-1). */
unsigned long tf_session_count (CK_SLOT_ID slot, bool rw_only);

/* The first open session of slot, or NULL (to close them one by one). */
tf_session *tf_session_first (CK_SLOT_ID slot);

/* Forgets every session without touching tokens (C_Finalize, fork). */
void tf_session_reset (void);

/*
 * A search: init refreshes the token and collects every match from the
 * index (under a shared lock, exclusive false, it refreshes and loads
 * nothing: TF_CKR_NEED_EXCLUSIVE when it would have to); next hands them out, skipping objects destroyed since (a search
 * survives the destruction of its own results, as p11tool --delete needs).
 */
CK_RV tf_session_find_init (tf_session *session, tf_token *tok, const CK_ATTRIBUTE *tmpl,
			    CK_ULONG count, bool exclusive);
void tf_session_find_next (tf_session *session, tf_token *tok, CK_OBJECT_HANDLE *out,
			   CK_ULONG max, CK_ULONG *n);
void tf_session_find_final (tf_session *session);

#endif /* TF_SESSION_H */
