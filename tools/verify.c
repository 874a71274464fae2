/*
 * trustfolder verify: a certificate, or the chain a live server sends,
 * against the store, as a browser judges it: a chain to an accepted CA (or
 * the certificate itself accepted as a peer), nothing in it distrusted, every
 * certificate within its validity dates, the host name among the
 * certificate's names.
 *
 * OpenSSL builds and checks the chain (X509_verify_cert) with the store's
 * anchors for the purpose as its only trusted certificates, every other
 * certificate of the store and of the file as candidates for the chain, and
 * X509_V_FLAG_PARTIAL_CHAIN so that an accepted intermediate is an anchor
 * as it is for NSS. Every problem is collected (the callback lets the check
 * go on) so that the verdict names all of them. Distrust is checked on the
 * chain afterwards, by issuer and serial number and hash, as NSS matches
 * trust objects.
 *
 * The output lines are part of the interface (trustfolder.1, "verify").
 */
#include "certs.h"
#include "client.h"
#include "connect.h"
#include "target.h"
#include "tool.h"
#include "trustfolder.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
	int error;
	int depth;
} problem;

typedef struct {
	problem v[32];
	int n;
} problems;

/* What the check looks at. */
typedef struct {
	unsigned purpose;  /* one PURPOSE_* bit */
	int index;	   /* its index in client_entry.levels */
	const char *host;  /* the host name to check; NULL: none */
	cert_list certs;   /* the certificate first, then what came with it */
	client_entries entries;
	char **reasons;	   /* why it is not trusted */
	size_t n_reasons;
	char **notes;	   /* what else the user should know */
	size_t n_notes;
} check;

static void
add_line (char ***lines, size_t *n, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
add_line (char ***lines, size_t *n, const char *fmt, ...)
{
	char *line = NULL, **grown;
	va_list ap;
	size_t i;

	va_start (ap, fmt);
	if (vasprintf (&line, fmt, ap) < 0)
		line = NULL;
	va_end (ap);
	if (line == NULL)
		return;
	for (i = 0; i < *n; i++) {
		if (strcmp ((*lines)[i], line) == 0) {
			free (line);
			return; /* said once is enough */
		}
	}
	grown = realloc (*lines, (*n + 1) * sizeof (char *));
	if (grown == NULL) {
		free (line);
		return;
	}
	*lines = grown;
	(*lines)[(*n)++] = line;
}

static void
free_lines (char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free (lines[i]);
	free (lines);
}

/* Lets the check go on after each problem, and remembers it. */
static int
collect (int ok, X509_STORE_CTX *ctx)
{
	problems *p = X509_STORE_CTX_get_app_data (ctx);
	int err = X509_STORE_CTX_get_error (ctx), depth = X509_STORE_CTX_get_error_depth (ctx);
	int i;

	if (ok || p == NULL)
		return 1;
	for (i = 0; i < p->n; i++) {
		if (p->v[i].error == err && p->v[i].depth == depth)
			return 1;
	}
	if (p->n < (int)(sizeof (p->v) / sizeof (p->v[0])))
		p->v[p->n++] = (problem){ err, depth };
	return 1;
}

/* ---- the store's decisions about one certificate ---------------------------- */

/* Does a pinned host pattern match host? Exact, or "*." + one label. */
static bool
pin_matches (const char *pattern, size_t len, const char *host)
{
	const char *dot;

	if (strlen (host) == len && strncasecmp (pattern, host, len) == 0)
		return true;
	if (len > 2 && pattern[0] == '*' && pattern[1] == '.') {
		dot = strchr (host, '.');
		return dot != NULL && dot != host && strlen (dot + 1) == len - 2 &&
		       strncasecmp (dot + 1, pattern + 2, len - 2) == 0;
	}
	return false;
}

/* Does a decision pinned to hosts apply to the host checked? */
static bool
pins_allow (const client_entry *e, const char *host)
{
	const char *p = e->hosts, *comma;
	size_t len;

	if (e->hosts[0] == '\0')
		return true;
	if (host == NULL)
		return false;
	for (;;) {
		comma = strchr (p, ',');
		len = comma ? (size_t)(comma - p) : strlen (p);
		if (pin_matches (p, len, host))
			return true;
		if (comma == NULL)
			return false;
		p = comma + 1;
	}
}

/* Is the entry about this very certificate (issuer, serial, and DER or hash)? */
static bool
entry_names (const client_entry *e, const tool_cert *c, const unsigned char *issuer,
	     size_t issuer_len, const unsigned char *serial, size_t serial_len)
{
	unsigned char sha1[20];

	if (e->issuer_len != issuer_len || e->serial_len != serial_len ||
	    memcmp (e->issuer, issuer, issuer_len) != 0 ||
	    memcmp (e->serial, serial, serial_len) != 0)
		return false;
	if (e->der != NULL)
		return e->der_len == c->der_len && memcmp (e->der, c->der, c->der_len) == 0;
	if (!e->has_sha1)
		return true; /* issuer and serial alone: any such certificate */
	cert_sha1 (c, sha1);
	return memcmp (sha1, e->sha1, 20) == 0;
}

/* The token and label of an entry, for the output: "in Trust Folder as \"ca\"". */
static void
entry_where (const client_entry *e, char *buf, size_t len)
{
	if (e->label[0] != '\0')
		snprintf (buf, len, "in %s as \"%s\"", client_scope_token (e->scope), e->label);
	else
		snprintf (buf, len, "in %s", client_scope_token (e->scope));
}

/*
 * The decisions about one certificate of the chain: the mark the chain
 * listing gives it, distrust as a reason, and notes for decisions that do
 * not apply (ended, pinned to other hosts).
 */
static void
judge_cert (check *k, const tool_cert *c, char *mark, size_t mark_len, bool *distrusted)
{
	unsigned char *issuer = NULL, *serial = NULL;
	size_t issuer_len, serial_len, i;
	char where[200], when[64], *subject;
	CK_ULONG level;

	mark[0] = '\0';
	*distrusted = false;
	if (!cert_issuer_der (c, &issuer, &issuer_len) ||
	    !cert_serial_der (c, &serial, &serial_len))
		goto out;
	subject = cert_name_text (X509_get_subject_name (c->x509));
	for (i = 0; i < k->entries.n; i++) {
		const client_entry *e = &k->entries.v[i];

		if (e->trust == 0 || !entry_names (e, c, issuer, issuer_len, serial, serial_len))
			continue;
		entry_where (e, where, sizeof (where));
		level = e->levels[k->index];
		if (level == TF_CKT_NSS_NOT_TRUSTED) {
			*distrusted = true;
			snprintf (mark, mark_len, "  [DISTRUSTED %s]", where);
			add_line (&k->reasons, &k->n_reasons, "distrusted: %s is rejected %s",
				  subject ? subject : "?", where);
			continue;
		}
		if (*distrusted)
			continue;
		if (e->expires != 0 && (int64_t)e->expires <= (int64_t)time (NULL)) {
			cert_unix_text ((int64_t)e->expires, when, sizeof (when));
			add_line (&k->notes, &k->n_notes,
				  "decision ended: the decision about %s %s ended on %s",
				  subject ? subject : "?", where, when);
			continue;
		}
		if (level != TF_CKT_NSS_TRUSTED_DELEGATOR && level != TF_CKT_NSS_TRUSTED)
			continue;
		if (!pins_allow (e, k->host)) {
			add_line (&k->notes, &k->n_notes,
				  "pinned elsewhere: the decision about %s %s is for %s only%s",
				  subject ? subject : "?", where, e->hosts,
				  k->host ? "" : " (give --host)");
			continue;
		}
		snprintf (mark, mark_len, "  [trusted %s %s]",
			  level == TF_CKT_NSS_TRUSTED_DELEGATOR ? "CA" : "peer", where);
	}
	free (subject);
out:
	free (issuer);
	free (serial);
}

/* ---- OpenSSL's part ----------------------------------------------------------- */

/*
 * The trusted certificates for the purpose: every accepted CA, and the
 * certificate itself when it is accepted as a peer; decisions pinned to other
 * hosts do not count. The module already shows an ended decision as no trust.
 */
static X509_STORE *
anchors (const check *k)
{
	const tool_cert *leaf = &k->certs.v[0];
	cert_list one = { 0 };
	X509_STORE *store;
	size_t i;

	store = X509_STORE_new ();
	if (store == NULL)
		return NULL;
	for (i = 0; i < k->entries.n; i++) {
		const client_entry *e = &k->entries.v[i];
		CK_ULONG level = e->levels[k->index];

		if (e->der == NULL || e->trust == 0 || !pins_allow (e, k->host))
			continue;
		if (level == TF_CKT_NSS_TRUSTED &&
		    (e->der_len != leaf->der_len || memcmp (e->der, leaf->der, leaf->der_len) != 0))
			continue; /* a peer is trusted for itself, never as an issuer */
		if (level != TF_CKT_NSS_TRUSTED_DELEGATOR && level != TF_CKT_NSS_TRUSTED)
			continue;
		if (!certs_add_der (&one, e->der, e->der_len))
			continue;
		if (!X509_STORE_add_cert (store, one.v[0].x509))
			ERR_clear_error (); /* the same certificate from both tokens */
		certs_clear (&one);
	}
	return store;
}

/* Every certificate that may help build the chain: the file's, the server's, the store's. */
static STACK_OF (X509) * candidates (const check *k)
{
	STACK_OF (X509) *sk = sk_X509_new_null ();
	cert_list parsed = { 0 };
	size_t i;

	if (sk == NULL)
		return NULL;
	for (i = 1; i < k->certs.n; i++) {
		if (!X509_add_cert (sk, k->certs.v[i].x509, X509_ADD_FLAG_UP_REF))
			goto fail;
	}
	for (i = 0; i < k->entries.n; i++) {
		if (k->entries.v[i].der == NULL ||
		    !certs_add_der (&parsed, k->entries.v[i].der, k->entries.v[i].der_len))
			continue;
		if (!X509_add_cert (sk, parsed.v[0].x509, X509_ADD_FLAG_UP_REF)) {
			certs_clear (&parsed);
			goto fail;
		}
		certs_clear (&parsed);
	}
	return sk;
fail:
	sk_X509_pop_free (sk, X509_free);
	return NULL;
}

static int
openssl_purpose (unsigned purpose)
{
	switch (purpose) {
	case PURPOSE_CLIENT:
		return X509_PURPOSE_SSL_CLIENT;
	case PURPOSE_EMAIL:
		return X509_PURPOSE_SMIME_SIGN;
	case PURPOSE_CODE:
		return X509_PURPOSE_ANY; /* OpenSSL 3.0 has no code-signing purpose */
	default:
		return X509_PURPOSE_SSL_SERVER;
	}
}

/* The certificate's names for a host check: its DNS and IP SANs, else its CN. */
static char *
names_of (X509 *x)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i (x, NID_subject_alt_name, NULL, NULL);
	char *out = NULL, *grown, ip[64];
	const char *name;
	size_t len = 0;
	int i;

	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num (sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value (sans, i);
		char item[300];

		if (gn->type == GEN_DNS) {
			name = (const char *)ASN1_STRING_get0_data (gn->d.dNSName);
			snprintf (item, sizeof (item), "DNS:%.*s",
				  ASN1_STRING_length (gn->d.dNSName), name);
		} else if (gn->type == GEN_IPADD) {
			int alen = ASN1_STRING_length (gn->d.iPAddress);
			const void *a = ASN1_STRING_get0_data (gn->d.iPAddress);
			if (!inet_ntop (alen == 16 ? AF_INET6 : AF_INET, a, ip, sizeof (ip)))
				snprintf (ip, sizeof (ip), "?");
			snprintf (item, sizeof (item), "IP Address:%s", ip);
		} else {
			continue;
		}
		grown = realloc (out, len + strlen (item) + 3);
		if (grown == NULL)
			break;
		out = grown;
		len += (size_t)sprintf (out + len, "%s%s", len ? ", " : "", item);
	}
	GENERAL_NAMES_free (sans);
	ERR_clear_error ();
	if (out == NULL) {
		char *subject = cert_name_text (X509_get_subject_name (x));
		if (asprintf (&out, "no subject alternative names; subject %s",
			      subject ? subject : "?") < 0)
			out = NULL;
		free (subject);
	}
	return out;
}

/* One problem OpenSSL found, as a reason line. */
static void
explain (check *k, const problem *p, STACK_OF (X509) * chain)
{
	X509 *x = p->depth >= 0 && p->depth < sk_X509_num (chain) ? sk_X509_value (chain, p->depth)
								    : NULL;
	char *subject = x ? cert_name_text (X509_get_subject_name (x)) : NULL, *names;
	const char *who = subject ? subject : "a certificate of the chain";
	char when[64];

	switch (p->error) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		/* Said of the top of the chain, once, whichever form OpenSSL found. */
		free (subject);
		x = sk_X509_value (chain, sk_X509_num (chain) - 1);
		subject = x ? cert_name_text (X509_get_subject_name (x)) : NULL;
		if (x != NULL && X509_NAME_cmp (X509_get_subject_name (x),
						 X509_get_issuer_name (x)) != 0) {
			names = cert_name_text (X509_get_issuer_name (x));
			add_line (&k->reasons, &k->n_reasons,
				  "no trusted root: the chain ends at %s; its issuer, %s, is "
				  "neither in the store nor given",
				  subject ? subject : "?", names ? names : "?");
			free (names);
		} else {
			add_line (&k->reasons, &k->n_reasons,
				  "no trusted root: the chain ends at %s, which the store does not "
				  "trust for %s",
				  subject ? subject : "?", tool_purpose_long (k->purpose));
		}
		ERR_clear_error ();
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		cert_time_text (x ? X509_get0_notAfter (x) : NULL, when, sizeof (when));
		add_line (&k->reasons, &k->n_reasons, "expired: %s was valid until %s", who, when);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		cert_time_text (x ? X509_get0_notBefore (x) : NULL, when, sizeof (when));
		add_line (&k->reasons, &k->n_reasons, "not yet valid: %s is valid from %s", who,
			  when);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		names = names_of (k->certs.v[0].x509);
		add_line (&k->reasons, &k->n_reasons,
			  "host name mismatch: %s is not one of the certificate's names (%s)",
			  k->host, names ? names : "?");
		free (names);
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		add_line (&k->reasons, &k->n_reasons, "wrong purpose: %s is not for %s", who,
			  tool_purpose_long (k->purpose));
		break;
	default:
		add_line (&k->reasons, &k->n_reasons, "%s: %s", who,
			  X509_verify_cert_error_string (p->error));
		break;
	}
	free (subject);
}

static bool
host_mismatched (const problems *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		if (p->v[i].error == X509_V_ERR_HOSTNAME_MISMATCH ||
		    p->v[i].error == X509_V_ERR_IP_ADDRESS_MISMATCH)
			return true;
	}
	return false;
}

/* Runs the check, prints the chain and the host line; reasons and notes in k. */
static int
run_check (check *k)
{
	const tool_cert *leaf = &k->certs.v[0];
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF (X509) *untrusted = NULL, *chain;
	X509_VERIFY_PARAM *param;
	unsigned char ipbuf[16];
	cert_list one = { 0 };
	problems probs = { .n = 0 };
	char mark[300], *subject;
	bool distrusted;
	int i, rc = TOOL_FAILED;

	store = anchors (k);
	untrusted = candidates (k);
	ctx = X509_STORE_CTX_new ();
	if (store == NULL || untrusted == NULL || ctx == NULL ||
	    !X509_STORE_CTX_init (ctx, store, leaf->x509, untrusted))
		goto oom;
	X509_STORE_CTX_set_verify_cb (ctx, collect);
	X509_STORE_CTX_set_app_data (ctx, &probs);
	param = X509_STORE_CTX_get0_param (ctx);
	X509_VERIFY_PARAM_set_flags (param, X509_V_FLAG_PARTIAL_CHAIN);
	if (!X509_STORE_CTX_set_purpose (ctx, openssl_purpose (k->purpose)))
		goto oom;
	if (k->host != NULL) {
		bool ip = inet_pton (AF_INET, k->host, ipbuf) == 1 ||
			  inet_pton (AF_INET6, k->host, ipbuf) == 1;
		if (!(ip ? X509_VERIFY_PARAM_set1_ip_asc (param, k->host)
			 : X509_VERIFY_PARAM_set1_host (param, k->host, 0)))
			goto oom;
	}
	if (X509_verify_cert (ctx) < 0)
		add_line (&k->reasons, &k->n_reasons, "the chain could not be checked: %s",
			  X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
	chain = X509_STORE_CTX_get0_chain (ctx);

	printf ("Chain:\n");
	for (i = 0; chain != NULL && i < sk_X509_num (chain); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509 (sk_X509_value (chain, i), &der);

		mark[0] = '\0';
		if (n > 0 && certs_add_der (&one, der, (size_t)n)) {
			judge_cert (k, &one.v[0], mark, sizeof (mark), &distrusted);
			certs_clear (&one);
		}
		OPENSSL_free (der);
		subject = cert_name_text (X509_get_subject_name (sk_X509_value (chain, i)));
		printf ("  %d: %s%s\n", i, subject ? subject : "?", mark);
		free (subject);
	}
	for (i = 0; i < probs.n; i++)
		explain (k, &probs.v[i], chain);
	/* OpenSSL 3.0 has no code-signing purpose: the leaf's extended key usage, by hand. */
	if (k->purpose == PURPOSE_CODE &&
	    (X509_get_extension_flags (leaf->x509) & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage (leaf->x509) & XKU_CODE_SIGN)) {
		subject = cert_name_text (X509_get_subject_name (leaf->x509));
		add_line (&k->reasons, &k->n_reasons, "wrong purpose: %s is not for code signing",
			  subject ? subject : "?");
		free (subject);
	}
	if (k->host == NULL)
		printf ("Host Name: not checked (give --host NAME)\n");
	else
		printf ("Host Name: %s %s\n", k->host,
			host_mismatched (&probs) ? "does not match the certificate"
						 : "matches the certificate");
	rc = TOOL_OK;
	goto out;
oom:
	tool_error ("cannot set up the verification: %s",
		    ERR_peek_last_error () ? ERR_reason_error_string (ERR_peek_last_error ())
					   : "out of memory");
out:
	ERR_clear_error ();
	X509_STORE_CTX_free (ctx);
	X509_STORE_free (store);
	sk_X509_pop_free (untrusted, X509_free);
	return rc;
}

int
cmd_verify (tool_opts *opts)
{
	check k = { 0 };
	struct client *c;
	char *connect_host = NULL, *peer = NULL, *subject;
	unsigned purpose = opts->purposes ? opts->purposes : PURPOSE_SERVER;
	target t = { 0 };
	size_t i;
	int rc;

	if ((opts->connect != NULL) == (opts->n_args > 0)) {
		tool_error ("give either CERT or --connect HOST:PORT");
		return TOOL_USAGE;
	}
	if (opts->n_hosts > 1) {
		tool_error ("--host: one host name to check");
		return TOOL_USAGE;
	}
	if (__builtin_popcount (purpose) != 1) {
		tool_error ("--purpose: one purpose to check (server, client, email or code)");
		return TOOL_USAGE;
	}
	k.purpose = purpose;
	k.index = __builtin_ctz (purpose);
	if (opts->connect != NULL) {
		rc = connect_fetch_chain (opts->connect, &connect_host, &peer, &k.certs);
		if (rc != TOOL_OK)
			goto out;
		k.host = opts->hosts ? opts->hosts : connect_host;
	} else {
		rc = target_resolve (opts, opts->args[0], SCOPES_ALL, 0, &t);
		if (rc != TOOL_OK)
			goto out;
		k.certs = t.certs;
		t.certs = (cert_list){ 0 };
		k.host = opts->hosts;
	}
	rc = TOOL_FAILED;
	c = tool_client (opts);
	if (c == NULL || !client_load (c, SCOPES_ALL, &k.entries))
		goto out;

	if (peer != NULL)
		printf ("Server: %s (%s)\n", opts->connect, peer);
	subject = cert_name_text (X509_get_subject_name (k.certs.v[0].x509));
	printf ("Certificate: %s\n", subject ? subject : "?");
	free (subject);
	printf ("Purpose: %s\n", tool_purpose_long (purpose));
	rc = run_check (&k);
	if (rc != TOOL_OK)
		goto out;
	if (k.n_reasons == 0) {
		printf ("Verdict: trusted\n");
		for (i = 0; i < k.n_notes; i++)
			printf ("Note: %s\n", k.notes[i]);
		rc = TOOL_OK;
	} else {
		printf ("Verdict: not trusted\n");
		for (i = 0; i < k.n_reasons; i++)
			printf ("Reason: %s\n", k.reasons[i]);
		for (i = 0; i < k.n_notes; i++)
			printf ("Reason: %s\n", k.notes[i]);
		rc = TOOL_FAILED;
	}
out:
	free (connect_host);
	free (peer);
	free_lines (k.reasons, k.n_reasons);
	free_lines (k.notes, k.n_notes);
	certs_clear (&k.certs);
	client_entries_clear (&k.entries);
	target_clear (&t);
	return rc;
}
