/*
 * The PKCS#11 client layer: trustfolder-pkcs11.so loaded with dlopen and
 * driven through its function list, the way NSS drives it. Every decision
 * the command makes is written here, as NSS writes one: a certificate object
 * and an NSS trust object (CONTRACT.md, "certutil -A"). Nothing else in the
 * command calls a C_* function.
 *
 * Errors are reported here, with the PKCS#11 function and its CKR_ name:
 * a function that returns false (or NULL) has already said why.
 */
#ifndef TOOL_CLIENT_H
#define TOOL_CLIENT_H

#include <p11-kit/pkcs11.h>

#include <stdbool.h>
#include <stddef.h>

/* The two tokens: "Trust Folder" (forever) and "Trust Folder Session". */
typedef enum {
	SCOPE_FOREVER = 0,
	SCOPE_SESSION = 1,
	SCOPE_COUNT = 2,
} client_scope;

#define SCOPE_BIT(s) (1u << (s))
#define SCOPES_ALL   (SCOPE_BIT (SCOPE_FOREVER) | SCOPE_BIT (SCOPE_SESSION))

/* Purposes in the order of the per-purpose arrays below (tool.h's bits). */
#define CLIENT_PURPOSES 4

typedef struct client client;

/*
 * One decision as the module shows it: a certificate object, an NSS trust
 * object, or both, joined by issuer and serial number within one token.
 * Everything is owned by the entry (client_entries_clear frees it).
 */
typedef struct {
	client_scope scope;
	CK_OBJECT_HANDLE cert;	/* 0: the token holds no certificate for it */
	CK_OBJECT_HANDLE trust; /* 0: no decision, only the certificate */
	unsigned char *der;	/* the certificate; NULL when cert is 0 */
	size_t der_len;
	unsigned char *issuer; /* DER Name */
	size_t issuer_len;
	unsigned char *subject; /* DER Name; NULL when cert is 0 */
	size_t subject_len;
	unsigned char *serial; /* DER INTEGER */
	size_t serial_len;
	char *label; /* "" when none */
	bool has_sha1;
	unsigned char sha1[20];		   /* from the trust object (CKA_CERT_SHA1_HASH) */
	CK_ULONG levels[CLIENT_PURPOSES];  /* CKT_NSS_* per purpose; unknown without trust */
	unsigned long expires;		   /* TF_CKA_DECISION_EXPIRES; 0: never */
	unsigned long created;		   /* TF_CKA_DECISION_CREATED; 0: unknown */
	char *hosts;			   /* TF_CKA_PINNED_HOSTS; "" when none */
	char *creator;			   /* TF_CKA_DECISION_CREATOR; "" when unknown */
} client_entry;

typedef struct {
	client_entry *v;
	size_t n;
} client_entries;

/* A decision to write: what accept, reject and import hand to client_write. */
typedef struct {
	const unsigned char *der; /* the certificate */
	size_t der_len;
	const unsigned char *issuer; /* its DER issuer Name */
	size_t issuer_len;
	const unsigned char *serial; /* its serial number as a DER INTEGER */
	size_t serial_len;
	const unsigned char *sha1; /* 20 bytes, of der */
	const unsigned char *md5;  /* 16 bytes, of der */
	const char *label;	   /* CKA_LABEL of the certificate */
	CK_ULONG levels[CLIENT_PURPOSES];
	unsigned long expires; /* 0: never */
	const char *hosts;     /* pinned host names, comma-separated; "" for none */
	const char *creator;
} client_decision;

/*
 * Loads the module at module_path, or when NULL the default one: the
 * trustfolder-pkcs11.so next to this program, else the installed one. store,
 * when not NULL, is passed to C_Initialize as the parameter "store=PATH".
 * NULL when the module cannot be loaded or initialized.
 */
client *client_open (const char *module_path, const char *store);

/* Closes the sessions, finalizes and unloads the module. Accepts NULL. */
void client_close (client *c);

/* The token's label ("Trust Folder") and the scope's name ("forever"). */
const char *client_scope_token (client_scope scope);
const char *client_scope_name (client_scope scope);

/* true when the token of scope is present (its store could be opened). */
bool client_scope_present (client *c, client_scope scope);

/*
 * true when "Trust Folder Session" is shared by the user's processes
 * (session=runtime: the token model says "session-runtime"); false when it
 * lives in this process's memory and so ends with the command.
 */
bool client_session_shared (client *c);

/* Reads every certificate and trust object of the scopes (SCOPE_BIT set). */
bool client_load (client *c, unsigned scopes, client_entries *out);

/*
 * The entries whose certificate objects match a PKCS#11 URI (parsed with
 * p11-kit's p11_kit_uri_parse), among the scopes. false, after a message,
 * when the URI is malformed or names no certificate; out may be empty.
 */
bool client_find_uri (client *c, const char *uri, unsigned scopes, client_entries *out,
		      bool *bad_uri);

/* Frees every entry and empties the list. */
void client_entries_clear (client_entries *list);

/* Appends a copy of e to list. false when out of memory. */
bool client_entries_add_copy (client_entries *list, const client_entry *e);

/*
 * Writes a decision into the token of scope, as NSS does: a certificate
 * object (CKA_LABEL, CKA_VALUE...), then an NSS trust object with the same
 * issuer and serial (the module updates the record when there is one). Both
 * are one transaction (a batch of their own, or the open one), so that a
 * refused decision leaves nothing behind; with a module without batches a
 * new certificate is taken out again by hand.
 */
bool client_write (client *c, client_scope scope, const client_decision *d);

/*
 * Makes every client_write to the scope's token until client_batch_end one
 * transaction (the module's vendor interface, trustfolder-vendor.h): all of
 * them are kept at commit, or none. Without that interface each write is its
 * own transaction. false after a message.
 */
bool client_batch_begin (client *c, client_scope scope);

/* Commits (commit) or aborts the batch. false when the commit failed. */
bool client_batch_end (client *c, bool commit);

/* true when the module offers batches (its vendor interface). */
bool client_has_batches (client *c);

/*
 * Removes the decision of an entry: its certificate object (which takes the
 * record and every view with it) or, with keep_cert or when there is no
 * certificate, only its trust object (the decision is reset).
 */
bool client_forget (client *c, const client_entry *e, bool keep_cert);

/* The CKR_ name of rv ("CKR_TOKEN_WRITE_PROTECTED"), or its number. Static buffer. */
const char *client_rv_name (CK_RV rv);

#endif /* TOOL_CLIENT_H */
