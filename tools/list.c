/*
 * trustfolder list: every decision, as a table or as JSON. The words are
 * part of the interface (trustfolder.1, "list"):
 *   trusted-ca    CKT_NSS_TRUSTED_DELEGATOR  (an accepted CA)
 *   trusted-peer  CKT_NSS_TRUSTED            (an accepted peer)
 *   valid-ca      CKT_NSS_VALID_DELEGATOR    (may issue, not an anchor)
 *   distrusted    CKT_NSS_NOT_TRUSTED        (rejected)
 *   -             verify as usual, or no decision
 * What the module shows is listed: a decision past its --until date
 * already shows no trust, and is marked "ended".
 */
#include "certs.h"
#include "client.h"
#include "tool.h"
#include "trustfolder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Purposes in the order of the columns, as indexes of client_entry.levels. */
static const struct {
	const char *column;
	const char *json;
	int index;
} purposes[] = {
	{ "SERVER", "server", 0 },
	{ "CLIENT", "client", 1 },
	{ "EMAIL", "email", 3 },
	{ "CODE", "code", 2 },
};

#define N_PURPOSES 4

static const char *
level_word (CK_ULONG level)
{
	switch (level) {
	case TF_CKT_NSS_TRUSTED_DELEGATOR:
		return "trusted-ca";
	case TF_CKT_NSS_TRUSTED:
		return "trusted-peer";
	case TF_CKT_NSS_VALID_DELEGATOR:
		return "valid-ca";
	case TF_CKT_NSS_NOT_TRUSTED:
		return "distrusted";
	case TF_CKT_NSS_MUST_VERIFY_TRUST:
		return "must-verify";
	default:
		return "unknown";
	}
}

/* One entry, with everything the table and JSON print, as text. */
typedef struct {
	const client_entry *e;
	char *subject, *issuer, *serial, *sha256, *sha1;
	char not_before[40], not_after[40];
	bool held, expired, not_yet;
	bool ended;	  /* the decision is past its --until */
	char until[40];	  /* "never" or the date */
	char created[40]; /* "" when unknown */
} row;

static void
row_clear (row *r)
{
	free (r->subject);
	free (r->issuer);
	free (r->serial);
	free (r->sha256);
	free (r->sha1);
}

static bool
row_fill (row *r, const client_entry *e, int64_t now)
{
	cert_list one = { 0 };
	int64_t t;

	memset (r, 0, sizeof (*r));
	r->e = e;
	r->serial = cert_serial_text (e->serial, e->serial_len);
	r->issuer = cert_der_name_text (e->issuer, e->issuer_len);
	if (e->der != NULL && certs_add_der (&one, e->der, e->der_len)) {
		const tool_cert *c = &one.v[0];

		r->held = true;
		r->subject = cert_name_text (X509_get_subject_name (c->x509));
		r->sha256 = cert_sha256_text (c);
		r->sha1 = cert_sha1_text (c);
		cert_time_text (X509_get0_notBefore (c->x509), r->not_before,
				sizeof (r->not_before));
		cert_time_text (X509_get0_notAfter (c->x509), r->not_after, sizeof (r->not_after));
		r->expired = cert_time_unix (X509_get0_notAfter (c->x509), &t) && t < now;
		r->not_yet = cert_time_unix (X509_get0_notBefore (c->x509), &t) && t > now;
		certs_clear (&one);
	} else {
		r->subject = strdup ("");
		r->sha256 = strdup ("");
		r->sha1 = e->has_sha1 ? cert_hex (e->sha1, 20, ':') : strdup ("");
	}
	if (e->expires != 0) {
		cert_unix_text ((int64_t)e->expires, r->until, sizeof (r->until));
		r->ended = (int64_t)e->expires <= now;
	} else {
		snprintf (r->until, sizeof (r->until), "never");
	}
	if (e->created != 0)
		cert_unix_text ((int64_t)e->created, r->created, sizeof (r->created));
	if (r->issuer == NULL)
		r->issuer = strdup ("(unreadable)");
	return r->serial != NULL && r->issuer != NULL && r->subject != NULL &&
	       r->sha256 != NULL && r->sha1 != NULL;
}

/* ---- JSON ------------------------------------------------------------------- */

static void
json_string (const char *s)
{
	const unsigned char *p;

	putchar ('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs ("\\\"", stdout);
			break;
		case '\\':
			fputs ("\\\\", stdout);
			break;
		case '\n':
			fputs ("\\n", stdout);
			break;
		case '\t':
			fputs ("\\t", stdout);
			break;
		default:
			if (*p < 0x20)
				printf ("\\u%04x", *p);
			else
				putchar (*p);
			break;
		}
	}
	putchar ('"');
}

static void
json_field (const char *name, const char *value, bool comma)
{
	printf ("    \"%s\": ", name);
	json_string (value);
	printf ("%s\n", comma ? "," : "");
}

static void
json_hosts (const char *hosts)
{
	const char *p = hosts, *comma;
	char *one;

	printf ("    \"hosts\": [");
	while (*p != '\0') {
		comma = strchr (p, ',');
		one = strndup (p, comma ? (size_t)(comma - p) : strlen (p));
		if (one != NULL) {
			if (p != hosts)
				printf (", ");
			json_string (one);
			free (one);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	printf ("],\n");
}

static void
print_json (const row *rows, size_t n)
{
	size_t i;
	int j;

	printf ("[");
	for (i = 0; i < n; i++) {
		const row *r = &rows[i];
		const client_entry *e = r->e;

		printf ("%s\n  {\n", i ? "," : "");
		json_field ("scope", client_scope_name (e->scope), true);
		json_field ("token", client_scope_token (e->scope), true);
		json_field ("label", e->label, true);
		json_field ("subject", r->subject, true);
		json_field ("issuer", r->issuer, true);
		json_field ("serial", r->serial, true);
		json_field ("sha256", r->sha256, true);
		json_field ("sha1", r->sha1, true);
		printf ("    \"certificate_held\": %s,\n", r->held ? "true" : "false");
		printf ("    \"decision\": %s,\n", e->trust != 0 ? "true" : "false");
		printf ("    \"trust\": {");
		for (j = 0; j < N_PURPOSES; j++) {
			printf ("%s\"%s\": ", j ? ", " : "", purposes[j].json);
			json_string (e->trust != 0 ? level_word (e->levels[purposes[j].index])
						   : "unknown");
		}
		printf ("},\n");
		json_hosts (e->hosts);
		if (e->expires != 0)
			printf ("    \"until\": %lu,\n", e->expires);
		else
			printf ("    \"until\": null,\n");
		json_field ("until_text", r->until, true);
		printf ("    \"ended\": %s,\n", r->ended ? "true" : "false");
		if (e->created != 0)
			printf ("    \"created\": %lu,\n", e->created);
		else
			printf ("    \"created\": null,\n");
		json_field ("creator", e->creator, true);
		json_field ("not_before", r->not_before, true);
		json_field ("not_after", r->not_after, true);
		printf ("    \"expired\": %s,\n", r->expired ? "true" : "false");
		printf ("    \"not_yet_valid\": %s\n", r->not_yet ? "true" : "false");
		printf ("  }");
	}
	printf ("%s]\n", n ? "\n" : "");
}

/* ---- the table -------------------------------------------------------------- */

static const char *
table_level (const row *r, int column)
{
	const char *word;

	if (r->e->trust == 0)
		return "-";
	word = level_word (r->e->levels[purposes[column].index]);
	if (strcmp (word, "must-verify") == 0 || strcmp (word, "unknown") == 0)
		return "-";
	return word;
}

/* The CERTIFICATE column: its validity, flagged when it is not valid now. */
static void
validity_text (const row *r, char *buf, size_t len)
{
	if (!r->held)
		snprintf (buf, len, "not held");
	else if (r->expired)
		snprintf (buf, len, "EXPIRED %.10s", r->not_after);
	else if (r->not_yet)
		snprintf (buf, len, "NOT YET VALID %.10s", r->not_before);
	else
		snprintf (buf, len, "valid to %.10s", r->not_after);
}

static void
until_text (const row *r, char *buf, size_t len)
{
	if (r->e->expires == 0)
		snprintf (buf, len, "never");
	else
		snprintf (buf, len, "%s%.16s", r->ended ? "ended " : "", r->until);
}

static size_t
max_size (size_t a, size_t b)
{
	return a > b ? a : b;
}

static void
print_table (const row *rows, size_t n)
{
	size_t w_scope = 5, w_label = 5, w_level[N_PURPOSES], w_until = 5, w_hosts = 5, i;
	char until[48], validity[48];
	int j;

	for (j = 0; j < N_PURPOSES; j++)
		w_level[j] = strlen (purposes[j].column);
	for (i = 0; i < n; i++) {
		const row *r = &rows[i];

		w_scope = max_size (w_scope, strlen (client_scope_name (r->e->scope)));
		w_label = max_size (w_label, strlen (r->e->label[0] ? r->e->label : "-"));
		for (j = 0; j < N_PURPOSES; j++)
			w_level[j] = max_size (w_level[j], strlen (table_level (r, j)));
		until_text (r, until, sizeof (until));
		w_until = max_size (w_until, strlen (until));
		w_hosts = max_size (w_hosts, strlen (r->e->hosts[0] ? r->e->hosts : "-"));
	}
	printf ("%-*s  %-*s", (int)w_scope, "SCOPE", (int)w_label, "LABEL");
	for (j = 0; j < N_PURPOSES; j++)
		printf ("  %-*s", (int)w_level[j], purposes[j].column);
	printf ("  %-*s  %-*s  CERTIFICATE\n", (int)w_until, "UNTIL", (int)w_hosts, "HOSTS");
	for (i = 0; i < n; i++) {
		const row *r = &rows[i];

		printf ("%-*s  %-*s", (int)w_scope, client_scope_name (r->e->scope), (int)w_label,
			r->e->label[0] ? r->e->label : "-");
		for (j = 0; j < N_PURPOSES; j++)
			printf ("  %-*s", (int)w_level[j], table_level (r, j));
		until_text (r, until, sizeof (until));
		validity_text (r, validity, sizeof (validity));
		printf ("  %-*s  %-*s  %s\n", (int)w_until, until, (int)w_hosts,
			r->e->hosts[0] ? r->e->hosts : "-", validity);
		/* The long fields, each on a line of its own under the row. */
		if (r->held)
			printf ("    subject  %s\n", r->subject);
		printf ("    issuer   %s\n", r->issuer);
		if (r->held)
			printf ("    sha256   %s\n", r->sha256);
		else
			printf ("    serial   %s%s%s\n", r->serial, r->sha1[0] ? "  sha1 " : "",
				r->sha1);
	}
}

int
cmd_list (tool_opts *opts)
{
	client_entries entries = { 0 };
	unsigned scopes = SCOPE_BIT (SCOPE_FOREVER);
	struct client *c;
	row *rows = NULL;
	size_t i, n = 0;
	int64_t now = (int64_t)time (NULL);
	int rc = TOOL_FAILED;

	if (opts->session && opts->all) {
		tool_error ("--session and --all exclude each other");
		return TOOL_USAGE;
	}
	if (opts->session)
		scopes = SCOPE_BIT (SCOPE_SESSION);
	else if (opts->all)
		scopes = SCOPES_ALL;
	c = tool_client (opts);
	if (c == NULL)
		return TOOL_FAILED;
	if ((scopes & SCOPE_BIT (SCOPE_FOREVER)) && !client_scope_present (c, SCOPE_FOREVER)) {
		tool_error ("the token \"%s\" is not available (the module could not open its "
			    "store; see its message above)",
			    client_scope_token (SCOPE_FOREVER));
		return TOOL_FAILED;
	}
	if (!client_load (c, scopes, &entries))
		return TOOL_FAILED;
	rows = calloc (entries.n ? entries.n : 1, sizeof (row));
	if (rows == NULL) {
		tool_error ("out of memory");
		goto out;
	}
	for (n = 0; n < entries.n; n++) {
		if (!row_fill (&rows[n], &entries.v[n], now)) {
			n++;
			tool_error ("out of memory");
			goto out;
		}
	}
	if (opts->json)
		print_json (rows, n);
	else if (n == 0)
		printf ("No decisions in %s.\n",
			scopes == SCOPES_ALL ? "either token"
					     : client_scope_token (opts->session ? SCOPE_SESSION
										 : SCOPE_FOREVER));
	else
		print_table (rows, n);
	if (opts->session && !client_session_shared (c))
		tool_note ("\"%s\" lives in each program's memory (session=memory): this "
			   "command's own is always empty",
			   client_scope_token (SCOPE_SESSION));
	rc = TOOL_OK;
out:
	for (i = 0; i < n; i++)
		row_clear (&rows[i]);
	free (rows);
	client_entries_clear (&entries);
	return rc;
}
