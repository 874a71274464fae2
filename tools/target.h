/*
 * The CERT operand of a command: a file (PEM or DER), a PKCS#11 URI
 * ("pkcs11:..."), a fingerprint (SHA-1 or SHA-256, hex, colons optional) or
 * a label (optionally "TOKEN:LABEL", as NSS shows nicknames), tried in that
 * order: an existing file wins over a label of the same name.
 */
#ifndef TOOL_TARGET_H
#define TOOL_TARGET_H

#include "certs.h"
#include "client.h"
#include "tool.h"

enum {
	TARGET_ENTRIES = 1 << 0,  /* also find the store's entries for the certificate */
	TARGET_NO_CERT = 1 << 1,  /* a decision without a certificate will do (forget) */
};

typedef struct {
	/*
	 * The certificate first. For a file, every other certificate of the
	 * file follows (a chain to verify or export). Empty only with
	 * TARGET_NO_CERT, for a decision the store keeps without a certificate.
	 */
	cert_list certs;
	/* The store's entries for that certificate, in the scopes asked for. */
	client_entries entries;
	bool from_file;
	const char *arg; /* the operand, for messages */
} target;

/*
 * Resolves arg among the scopes (SCOPE_BIT set) into t. The module is
 * loaded only when needed (a label, fingerprint or URI, or TARGET_ENTRIES).
 * Returns TOOL_OK, or the exit status after a message: TOOL_USAGE for an
 * unreadable or malformed file, an unknown label or fingerprint, a bad URI,
 * or an operand that names several certificates; TOOL_FAILED when the
 * module fails.
 */
int target_resolve (const tool_opts *opts, const char *arg, unsigned scopes, unsigned flags,
		    target *t);

/* Frees what t holds. */
void target_clear (target *t);

/* The store's entries for a certificate (same issuer and serial, same DER or none). */
bool target_entries_for (const client_entries *all, const tool_cert *c, client_entries *out);

#endif /* TOOL_TARGET_H */
