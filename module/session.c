/*
 * Sessions. A small table, searched by handle: a process has few sessions.
 */
#include "session.h"

#include "object.h"

#include <stdlib.h>
#include <string.h>

static tf_session **sessions;
static size_t nsessions, capacity;
static CK_SESSION_HANDLE last_handle;

CK_RV
tf_session_open (CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *handle)
{
	tf_session *session, **grown;

	if (nsessions == capacity) {
		size_t n = capacity ? capacity * 2 : 8;
		grown = realloc (sessions, n * sizeof (tf_session *));
		if (grown == NULL)
			return CKR_HOST_MEMORY;
		sessions = grown;
		capacity = n;
	}
	session = calloc (1, sizeof (tf_session));
	if (session == NULL)
		return CKR_HOST_MEMORY;
	session->handle = ++last_handle;
	session->slot = slot;
	session->flags = flags;
	sessions[nsessions++] = session;
	*handle = session->handle;
	return CKR_OK;
}

tf_session *
tf_session_lookup (CK_SESSION_HANDLE handle)
{
	size_t i;

	for (i = 0; i < nsessions; i++) {
		if (sessions[i]->handle == handle)
			return sessions[i];
	}
	return NULL;
}

static void
session_free (tf_session *session)
{
	free (session->found);
	free (session);
}

void
tf_session_close (tf_session *session)
{
	size_t i;

	for (i = 0; i < nsessions; i++) {
		if (sessions[i] == session) {
			sessions[i] = sessions[--nsessions];
			break;
		}
	}
	session_free (session);
}

unsigned long
tf_session_count (CK_SLOT_ID slot, bool rw_only)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < nsessions; i++) {
		if ((slot == (CK_SLOT_ID)-1 || sessions[i]->slot == slot) &&
		    (!rw_only || (sessions[i]->flags & CKF_RW_SESSION)))
			n++;
	}
	return n;
}

tf_session *
tf_session_first (CK_SLOT_ID slot)
{
	size_t i;

	for (i = 0; i < nsessions; i++) {
		if (sessions[i]->slot == slot)
			return sessions[i];
	}
	return NULL;
}

void
tf_session_reset (void)
{
	size_t i;

	for (i = 0; i < nsessions; i++)
		session_free (sessions[i]);
	free (sessions);
	sessions = NULL;
	nsessions = capacity = 0;
	/* Handles keep counting up: never reused within the process. */
}

CK_RV
tf_session_find_init (tf_session *session, tf_token *tok, const CK_ATTRIBUTE *tmpl,
		      CK_ULONG count, bool exclusive)
{
	CK_OBJECT_HANDLE *found;
	CK_ULONG n;
	CK_RV rv;

	/* Another process's committed decision is seen at this search. */
	if (!exclusive && tf_token_changed (tok))
		return TF_CKR_NEED_EXCLUSIVE;
	if (exclusive) {
		rv = tf_token_refresh (tok);
		if (rv != CKR_OK)
			return rv;
	}
	rv = tf_object_find (tok, tmpl, count, exclusive, &found, &n);
	if (rv != CKR_OK)
		return rv;
	free (session->found);
	session->found = found;
	session->nfound = n;
	session->next = 0;
	session->finding = true;
	return CKR_OK;
}

void
tf_session_find_next (tf_session *session, tf_token *tok, CK_OBJECT_HANDLE *out, CK_ULONG max,
		      CK_ULONG *n)
{
	CK_OBJECT_HANDLE h;

	*n = 0;
	while (*n < max && session->next < session->nfound) {
		h = session->found[session->next++];
		if (tf_object_exists (tok, h))
			out[(*n)++] = h;
	}
}

void
tf_session_find_final (tf_session *session)
{
	free (session->found);
	session->found = NULL;
	session->nfound = 0;
	session->next = 0;
	session->finding = false;
}
