/*
 * trustfolder accept, reject, forget and import: the decisions. Each is
 * written through the module exactly as NSS writes one (client_write): a
 * certificate object, then an NSS trust object whose purposes say
 * CKT_NSS_TRUSTED_DELEGATOR (a CA accepted), CKT_NSS_TRUSTED (a peer
 * accepted) or CKT_NSS_NOT_TRUSTED (rejected), the other purposes
 * CKT_NSS_MUST_VERIFY_TRUST. trustfolder's own attributes carry --until,
 * --host and who decided.
 */
#include "certs.h"
#include "client.h"
#include "target.h"
#include "tool.h"
#include "trustfolder.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A decision with the buffers it points into. */
typedef struct {
	client_decision d;
	unsigned char *issuer;
	unsigned char *serial;
	unsigned char sha1[20];
	unsigned char md5[16];
	char *label;
	char *creator;
} decision;

static void
decision_clear (decision *dec)
{
	free (dec->issuer);
	free (dec->serial);
	free (dec->label);
	free (dec->creator);
	memset (dec, 0, sizeof (*dec));
}

/* The per-purpose levels: the chosen purposes get the decision, the rest "verify". */
static void
levels_for (bool reject, tool_as as, unsigned purposes, CK_ULONG levels[CLIENT_PURPOSES])
{
	int i;

	for (i = 0; i < CLIENT_PURPOSES; i++) {
		if (reject)
			levels[i] = TF_CKT_NSS_NOT_TRUSTED;
		else if (!(purposes & (1u << i)))
			levels[i] = TF_CKT_NSS_MUST_VERIFY_TRUST;
		else
			levels[i] = as == AS_CA ? TF_CKT_NSS_TRUSTED_DELEGATOR : TF_CKT_NSS_TRUSTED;
	}
}

/* Who decided: "trustfolder accept (alice)". */
static char *
creator_for (const char *command)
{
	struct passwd *pw = getpwuid (getuid ());
	char *out = NULL;

	if (pw != NULL && pw->pw_name != NULL) {
		if (asprintf (&out, "trustfolder %s (%s)", command, pw->pw_name) < 0)
			out = NULL;
	} else if (asprintf (&out, "trustfolder %s (uid %lu)", command,
			     (unsigned long)getuid ()) < 0) {
		out = NULL;
	}
	return out;
}

/*
 * The label: the one asked for; else the one the token already gives this
 * certificate; else that of a certificate with the same subject (NSS shows
 * one subject under one nickname); else the subject's CN.
 */
static char *
label_for (const tool_cert *c, const char *wanted, const client_entries *scope_entries)
{
	unsigned char *subject = NULL;
	size_t subject_len = 0, i;
	char *label = NULL;

	if (wanted != NULL)
		return strdup (wanted);
	for (i = 0; i < scope_entries->n; i++) {
		const client_entry *e = &scope_entries->v[i];
		if (e->der != NULL && e->der_len == c->der_len &&
		    memcmp (e->der, c->der, c->der_len) == 0 && e->label[0] != '\0')
			return strdup (e->label);
	}
	if (cert_subject_der (c, &subject, &subject_len)) {
		for (i = 0; i < scope_entries->n && label == NULL; i++) {
			const client_entry *e = &scope_entries->v[i];
			if (e->label[0] != '\0' && e->subject != NULL &&
			    e->subject_len == subject_len &&
			    memcmp (e->subject, subject, subject_len) == 0)
				label = strdup (e->label);
		}
	}
	free (subject);
	return label != NULL ? label : cert_default_label (c);
}

static bool
decision_make (decision *dec, const tool_cert *c, const tool_opts *opts, bool reject,
	       tool_as as, unsigned purposes, const client_entries *scope_entries)
{
	size_t issuer_len, serial_len;

	memset (dec, 0, sizeof (*dec));
	if (!cert_issuer_der (c, &dec->issuer, &issuer_len) ||
	    !cert_serial_der (c, &dec->serial, &serial_len))
		goto oom;
	dec->label = label_for (c, opts->label, scope_entries);
	dec->creator = creator_for (opts->command);
	if (dec->label == NULL || dec->creator == NULL)
		goto oom;
	cert_sha1 (c, dec->sha1);
	cert_md5 (c, dec->md5);
	dec->d.der = c->der;
	dec->d.der_len = c->der_len;
	dec->d.issuer = dec->issuer;
	dec->d.issuer_len = issuer_len;
	dec->d.serial = dec->serial;
	dec->d.serial_len = serial_len;
	dec->d.sha1 = dec->sha1;
	dec->d.md5 = dec->md5;
	dec->d.label = dec->label;
	levels_for (reject, as, purposes, dec->d.levels);
	dec->d.expires = opts->has_until ? (unsigned long)opts->until : 0;
	/* An expiry of 0 means "never": a decision ending at the epoch ends at 1. */
	if (opts->has_until && opts->until == 0)
		dec->d.expires = 1;
	dec->d.hosts = opts->hosts ? opts->hosts : "";
	dec->d.creator = dec->creator;
	return true;
oom:
	tool_error ("out of memory");
	decision_clear (dec);
	return false;
}

/* The scope a decision goes to; --session only where it outlives the command. */
static int
pick_scope (const tool_opts *opts, struct client *c, client_scope *scope)
{
	if (opts->session && opts->forever) {
		tool_error ("--forever and --session exclude each other");
		return TOOL_USAGE;
	}
	*scope = opts->session ? SCOPE_SESSION : SCOPE_FOREVER;
	if (opts->session && client_scope_present (c, SCOPE_SESSION) &&
	    !client_session_shared (c)) {
		tool_error ("--session: \"%s\" keeps its decisions in the memory of the "
			    "program that loaded the module (session=memory), so a decision "
			    "made by this command would end when it exits. Set session=runtime "
			    "(TRUSTFOLDER_SESSION=runtime, or \"session = runtime\" in the "
			    "config file) to keep session decisions in $XDG_RUNTIME_DIR, shared "
			    "by your programs until you log out",
			    client_scope_token (SCOPE_SESSION));
		return TOOL_USAGE;
	}
	return TOOL_OK;
}

/* "server authentication and client authentication" into buf. */
static void
purposes_text (unsigned purposes, char *buf, size_t len)
{
	unsigned bit;
	size_t used = 0;
	int n = 0, total = __builtin_popcount (purposes), written;

	buf[0] = '\0';
	for (bit = 1; bit <= PURPOSE_EMAIL; bit <<= 1) {
		if (!(purposes & bit))
			continue;
		written = snprintf (buf + used, len - used, "%s%s",
				    n == 0 ? "" : n == total - 1 ? " and " : ", ",
				    tool_purpose_long (bit));
		if (written < 0 || (size_t)written >= len - used)
			return;
		used += (size_t)written;
		n++;
	}
}

/* One line on standard output for a decision written. */
static void
report (const char *verb, client_scope scope, const tool_cert *c, const decision *dec,
	bool reject, tool_as as, unsigned purposes)
{
	char *subject = cert_name_text (X509_get_subject_name (c->x509));
	char what[200], when[64];

	if (reject) {
		snprintf (what, sizeof (what), "distrusted for every purpose");
	} else {
		char list[120];
		purposes_text (purposes, list, sizeof (list));
		snprintf (what, sizeof (what), "as a trusted %s for %s",
			  as == AS_CA ? "CA" : "peer", list);
	}
	printf ("%s %s: \"%s\" (%s) %s", verb, client_scope_name (scope), dec->label,
		subject ? subject : "?", what);
	if (dec->d.hosts[0] != '\0')
		printf ("; pinned to %s", dec->d.hosts);
	if (dec->d.expires != 0) {
		cert_unix_text ((int64_t)dec->d.expires, when, sizeof (when));
		printf ("; until %s", when);
	}
	printf ("\n");
	free (subject);
}

/* Warnings about a decision that will not do what it seems to. */
static void
warn_about (const tool_opts *opts, const tool_cert *c, bool reject)
{
	int64_t now = (int64_t)time (NULL), end;
	char when[64];

	if (reject)
		return;
	if (opts->has_until && opts->until <= now) {
		cert_unix_text (opts->until, when, sizeof (when));
		tool_warn ("--until %s is in the past: this decision grants no trust", when);
	}
	if (cert_time_unix (X509_get0_notAfter (c->x509), &end) && end < now) {
		cert_unix_text (end, when, sizeof (when));
		tool_warn ("the certificate expired on %s: verification refuses it on its "
			   "dates whatever the decision",
			   when);
	}
}

/* Accept or reject one certificate: the shared body of accept and reject. */
static int
decide_one (tool_opts *opts, bool reject)
{
	client_entries scope_entries = { 0 };
	unsigned purposes = opts->purposes ? opts->purposes : PURPOSE_SERVER;
	client_scope scope;
	struct client *c;
	decision dec = { 0 };
	tool_as as;
	target t;
	int rc;

	if (opts->session && opts->forever) {
		tool_error ("--forever and --session exclude each other");
		return TOOL_USAGE;
	}
	rc = target_resolve (opts, opts->args[0], SCOPES_ALL, 0, &t);
	if (rc != TOOL_OK)
		return rc;
	if (t.from_file && t.certs.n > 1)
		tool_note ("%s holds %zu certificates; using the first (\"trustfolder import\" "
			   "takes them all)",
			   t.arg, t.certs.n);
	rc = TOOL_FAILED;
	c = tool_client (opts);
	if (c == NULL)
		goto out;
	rc = pick_scope (opts, c, &scope);
	if (rc != TOOL_OK)
		goto out;
	rc = TOOL_FAILED;
	if (!client_load (c, SCOPE_BIT (scope), &scope_entries))
		goto out;
	as = opts->as != AS_DEFAULT ? opts->as : cert_is_ca (&t.certs.v[0]) ? AS_CA : AS_PEER;
	if (!decision_make (&dec, &t.certs.v[0], opts, reject, as, purposes, &scope_entries))
		goto out;
	warn_about (opts, &t.certs.v[0], reject);
	if (!client_write (c, scope, &dec.d))
		goto out;
	report (reject ? "rejected" : "accepted", scope, &t.certs.v[0], &dec, reject, as,
		purposes);
	rc = TOOL_OK;
out:
	decision_clear (&dec);
	client_entries_clear (&scope_entries);
	target_clear (&t);
	return rc;
}

int
cmd_accept (tool_opts *opts)
{
	return decide_one (opts, false);
}

int
cmd_reject (tool_opts *opts)
{
	return decide_one (opts, true);
}

int
cmd_forget (tool_opts *opts)
{
	unsigned scopes = SCOPES_ALL;
	size_t i, done = 0;
	struct client *c;
	target t;
	int rc;

	if (opts->session && opts->forever) {
		tool_error ("--forever and --session exclude each other");
		return TOOL_USAGE;
	}
	if (opts->session)
		scopes = SCOPE_BIT (SCOPE_SESSION);
	else if (opts->forever)
		scopes = SCOPE_BIT (SCOPE_FOREVER);
	rc = target_resolve (opts, opts->args[0], scopes, TARGET_ENTRIES | TARGET_NO_CERT, &t);
	if (rc != TOOL_OK)
		return rc;
	rc = TOOL_FAILED;
	c = tool_client (opts);
	if (c == NULL)
		goto out;
	for (i = 0; i < t.entries.n; i++) {
		const client_entry *e = &t.entries.v[i];
		const char *label = e->label[0] ? e->label : "(no certificate held)";

		if (opts->keep_cert && e->trust == 0)
			continue;
		if (!client_forget (c, e, opts->keep_cert))
			goto out;
		if (opts->keep_cert && e->cert != 0)
			printf ("forgot %s: the decision about \"%s\"; the certificate stays\n",
				client_scope_name (e->scope), label);
		else
			printf ("forgot %s: \"%s\"\n", client_scope_name (e->scope), label);
		done++;
	}
	if (done == 0) {
		tool_error ("nothing to forget: the store holds no %s for %s",
			    opts->keep_cert ? "decision" : "decision or certificate", t.arg);
		goto out;
	}
	rc = TOOL_OK;
out:
	target_clear (&t);
	return rc;
}

/* Remembers a certificate written by this import, so that later ones share its label. */
static bool
remember (client_entries *scope_entries, const tool_cert *c, const decision *dec,
	  client_scope scope)
{
	client_entry e = { 0 };
	bool ok;

	e.scope = scope;
	e.der = c->der;
	e.der_len = c->der_len;
	e.issuer = dec->issuer;
	e.issuer_len = dec->d.issuer_len;
	e.serial = dec->serial;
	e.serial_len = dec->d.serial_len;
	e.label = dec->label;
	e.hosts = "";
	e.creator = "";
	if (!cert_subject_der (c, &e.subject, &e.subject_len))
		return false;
	ok = client_entries_add_copy (scope_entries, &e);
	free (e.subject);
	return ok;
}

int
cmd_import (tool_opts *opts)
{
	client_entries scope_entries = { 0 };
	unsigned purposes = opts->purposes ? opts->purposes : PURPOSE_SERVER;
	cert_list certs = { 0 };
	decision *decs = NULL;
	size_t i;
	client_scope scope;
	struct client *c = NULL;
	bool batch = false, ok = false;
	int rc, a;

	if (opts->session && opts->forever) {
		tool_error ("--forever and --session exclude each other");
		return TOOL_USAGE;
	}
	/* Every file first: a bad one stops the import before anything is written. */
	for (a = 0; a < opts->n_args; a++) {
		rc = certs_read_file (opts->args[a], &certs);
		if (rc != TOOL_OK) {
			tool_error ("nothing was imported");
			goto out;
		}
	}
	rc = TOOL_FAILED;
	decs = calloc (certs.n, sizeof (decision));
	c = tool_client (opts);
	if (decs == NULL || c == NULL)
		goto out;
	rc = pick_scope (opts, c, &scope);
	if (rc != TOOL_OK)
		goto out;
	rc = TOOL_FAILED;
	if (!client_load (c, SCOPE_BIT (scope), &scope_entries))
		goto out;
	/* One transaction for the whole import: every certificate is kept, or none. */
	if (!client_batch_begin (c, scope))
		goto out;
	batch = true;
	for (i = 0; i < certs.n; i++) {
		const tool_cert *cert = &certs.v[i];
		tool_as as = cert_is_ca (cert) ? AS_CA : AS_PEER;

		if (!decision_make (&decs[i], cert, opts, opts->reject, as, purposes,
				    &scope_entries))
			goto out;
		warn_about (opts, cert, opts->reject);
		if (!client_write (c, scope, &decs[i].d) ||
		    !remember (&scope_entries, cert, &decs[i], scope))
			goto out;
	}
	batch = false;
	if (!client_batch_end (c, true))
		goto out;
	for (i = 0; i < certs.n; i++) {
		tool_as as = cert_is_ca (&certs.v[i]) ? AS_CA : AS_PEER;
		report (opts->reject ? "rejected" : "accepted", scope, &certs.v[i], &decs[i],
			opts->reject, as, purposes);
	}
	ok = true;
	rc = TOOL_OK;
out:
	if (batch)
		client_batch_end (c, false);
	if (!ok && rc == TOOL_FAILED)
		tool_error (c != NULL && !client_has_batches (c)
				    ? "the import stopped; the certificates before this one were "
				      "kept (this module writes each one on its own)"
				    : "nothing was imported");
	for (i = 0; decs != NULL && i < certs.n; i++)
		decision_clear (&decs[i]);
	free (decs);
	client_entries_clear (&scope_entries);
	certs_clear (&certs);
	return rc;
}
