/*
 * The client layer's insides, shared by its two files: client.c (loading
 * the module, sessions, writes) and client-read.c (reading the tokens'
 * objects into entries, PKCS#11 URIs). Nothing outside them includes this.
 */
#ifndef TOOL_CLIENT_PRIVATE_H
#define TOOL_CLIENT_PRIVATE_H

#include "client.h"
#include "trustfolder.h"
#include "trustfolder-vendor.h"

struct client {
	void *dl;
	char *path;
	CK_FUNCTION_LIST_PTR f;
	TF_VENDOR_FUNCTION_LIST *vendor; /* batches; NULL with a module without them */
	bool initialized;
	CK_SESSION_HANDLE batch;	 /* the session of the open batch; 0: none */
	client_scope batch_scope;	 /* the token of the open batch */
	bool present[SCOPE_COUNT];	 /* the token is there (its store opened) */
	CK_SLOT_ID slot[SCOPE_COUNT];
	CK_TOKEN_INFO info[SCOPE_COUNT];
	CK_SESSION_HANDLE ro[SCOPE_COUNT]; /* 0 until the first read */
};

/* The NSS trust attribute of each purpose, in tool.h's bit order. */
extern const CK_ATTRIBUTE_TYPE client_purpose_attr[CLIENT_PURPOSES];

/* The read-only session of a scope, opened at first use; 0 after a message. */
CK_SESSION_HANDLE client_ro_session (client *c, client_scope scope);

#endif /* TOOL_CLIENT_PRIVATE_H */
