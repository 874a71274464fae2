/*
 * trustfolder: the command line. Finds the command, parses its options
 * (args.c) and runs it; says how to use each command (--help).
 */
#include "args.h"
#include "client.h"
#include "tool.h"

#include <openssl/err.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *name;
	int (*run) (tool_opts *opts);
	unsigned options; /* beyond OPT_COMMON */
	int min_args, max_args;
	const char *synopsis;
	const char *help;
} tool_command;

static const tool_command commands[] = {
	{ "list", cmd_list, OPT_SESSION | OPT_ALL | OPT_JSON, 0, 0,
	  "list [--session | --all] [--json]",
	  "Lists every decision of \"Trust Folder\" (--session: of \"Trust Folder Session\";\n"
	  "--all: of both): scope, label, the decision per purpose, when the decision\n"
	  "ends, the host names it is pinned to, the certificate's validity (expired\n"
	  "ones flagged), its subject, issuer and SHA-256 fingerprint.\n"
	  "\n"
	  "  --session      the session token's decisions\n"
	  "  --all          both tokens' decisions\n"
	  "  --json         one JSON array, for scripts\n" },
	{ "show", cmd_show, OPT_FIELDS, 1, 1, "show CERT [--fields GROUP[,GROUP...]]",
	  "Prints the certificate's details as a certificate viewer shows them.\n"
	  "\n"
	  "  --fields all         everything below but 'critical' (the default)\n"
	  "  --fields v1          version, serial number, signature algorithm, issuer,\n"
	  "                       valid from, valid to, subject, public key\n"
	  "  --fields extensions  every extension (subject key identifier, key usage,\n"
	  "                       extended key usage, ...), critical ones marked\n"
	  "  --fields critical    the critical extensions only\n"
	  "  --fields properties  thumbprint algorithms and the SHA-1 and SHA-256\n"
	  "                       fingerprints\n" },
	{ "accept", cmd_accept,
	  OPT_FOREVER | OPT_SESSION | OPT_AS | OPT_PURPOSE | OPT_HOST | OPT_UNTIL | OPT_LABEL, 1, 1,
	  "accept CERT [--forever | --session] [--as ca|peer] [--purpose P[,P...]]\n"
	  "                   [--host NAME]... [--until DATE] [--label LABEL]",
	  "Trusts the certificate. By default forever, as a CA when the certificate is\n"
	  "a CA (basicConstraints CA:TRUE), else as a trusted peer, for server\n"
	  "authentication; other purposes stay \"verify as usual\".\n"
	  "\n"
	  "  --forever        in \"Trust Folder\", kept in the store (the default)\n"
	  "  --session        in \"Trust Folder Session\": needs session=runtime\n"
	  "                   (TRUSTFOLDER_SESSION=runtime), so that the decision\n"
	  "                   outlives this command until you log out\n"
	  "  --as ca          a trust anchor: trusted to issue certificates\n"
	  "  --as peer        trusted for itself only\n"
	  "  --purpose P      server, client, email, code or all (comma-separated)\n"
	  "  --host NAME      bind the decision to host names (repeatable)\n"
	  "  --until DATE     end the decision at DATE: YYYY-MM-DD (00:00 UTC),\n"
	  "                   YYYY-MM-DDTHH:MM[:SS][Z] (UTC), @UNIXTIME or +N[smhdw]\n"
	  "  --label LABEL    the certificate's label (default: its CN)\n" },
	{ "reject", cmd_reject, OPT_FOREVER | OPT_SESSION | OPT_LABEL, 1, 1,
	  "reject CERT [--forever | --session] [--label LABEL]",
	  "Distrusts the certificate for every purpose: NSS, p11-kit and GnuTLS then\n"
	  "refuse it, and everything it issued, even when a root they trust issued it.\n"
	  "\n"
	  "  --forever        in \"Trust Folder\" (the default)\n"
	  "  --session        in \"Trust Folder Session\" (needs session=runtime)\n"
	  "  --label LABEL    the certificate's label (default: its CN)\n" },
	{ "forget", cmd_forget, OPT_FOREVER | OPT_SESSION | OPT_KEEP_CERT, 1, 1,
	  "forget CERT [--forever | --session] [--keep-cert]",
	  "Takes the decision about the certificate back, in every token that holds\n"
	  "one (--forever or --session: in that one only), and removes the\n"
	  "certificate with it.\n"
	  "\n"
	  "  --keep-cert      keep the certificate; only the decision goes\n" },
	{ "import", cmd_import, OPT_FOREVER | OPT_SESSION | OPT_REJECT | OPT_PURPOSE | OPT_UNTIL, 1,
	  -1, "import FILE... [--forever | --session] [--reject] [--purpose P[,P...]]\n"
	      "                   [--until DATE]",
	  "Accepts every certificate of the files (PEM bundles or DER files), each as\n"
	  "accept would by default: CAs as CAs, others as trusted peers; or rejects\n"
	  "every one (--reject). Every file is read before anything is written: a bad\n"
	  "file changes nothing.\n"
	  "\n"
	  "  --reject         distrust them instead\n"
	  "  --forever, --session, --purpose, --until: as for accept\n" },
	{ "export", cmd_export, OPT_FORMAT | OPT_OUTPUT, 1, 1,
	  "export CERT --format der|pem|p7b|p7b-pem [-o FILE]",
	  "Writes the certificate.\n"
	  "\n"
	  "  --format der      the certificate's DER bytes\n"
	  "  --format pem      Base-64 (\"-----BEGIN CERTIFICATE-----\")\n"
	  "  --format p7b      PKCS#7 (DER) with the chain: the certificate, then each\n"
	  "                    issuer found in CERT's file or in the store\n"
	  "  --format p7b-pem  the same, Base-64 (\"-----BEGIN PKCS7-----\")\n"
	  "  -o, --output FILE write to FILE instead of standard output\n" },
	{ "verify", cmd_verify, OPT_CONNECT | OPT_HOST | OPT_PURPOSE, 0, 1,
	  "verify CERT | --connect HOST:PORT  [--host NAME] [--purpose P]",
	  "Checks the certificate (its file's other certificates help build the\n"
	  "chain), or the chain a TLS server sends, against the store: a chain to an\n"
	  "accepted CA or an accepted peer, no distrusted certificate in it, validity\n"
	  "dates, and that the host name matches (subject alternative names). Prints\n"
	  "the chain and a verdict, \"Verdict: trusted\" or \"Verdict: not trusted\"\n"
	  "with a \"Reason:\" line for each problem.\n"
	  "\n"
	  "  --connect HOST:PORT  fetch the chain from a TLS server (SNI: HOST);\n"
	  "                       [IPv6]:PORT for an IPv6 address\n"
	  "  --host NAME          the host name to check (default: HOST of --connect)\n"
	  "  --purpose P          server (the default), client, email or code\n" },
};

#define N_COMMANDS (sizeof (commands) / sizeof (commands[0]))

static const char *current = NULL;

void
tool_set_command (const char *command)
{
	current = command;
}

static void
vmessage (const char *kind, const char *fmt, va_list ap)
{
	fflush (stdout);
	if (current != NULL)
		fprintf (stderr, "trustfolder %s: %s", current, kind);
	else
		fprintf (stderr, "trustfolder: %s", kind);
	vfprintf (stderr, fmt, ap);
	fputc ('\n', stderr);
}

void
tool_error (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	vmessage ("", fmt, ap);
	va_end (ap);
}

void
tool_warn (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	vmessage ("warning: ", fmt, ap);
	va_end (ap);
}

void
tool_note (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	vmessage ("note: ", fmt, ap);
	va_end (ap);
}

/* ---- the module, loaded once ---------------------------------------------- */

static struct client *the_client;
static bool client_tried;

struct client *
tool_client (const tool_opts *opts)
{
	if (!client_tried) {
		client_tried = true;
		the_client = client_open (opts->module, opts->store);
	}
	return the_client;
}

/* ---- help ------------------------------------------------------------------- */

static void
general_help (FILE *out)
{
	size_t i;

	fprintf (out,
		 "Usage: trustfolder [--module PATH] [--store PATH] COMMAND [OPTIONS] [ARGS]\n"
		 "\n"
		 "Keeps your trust decisions about certificates in the trustfolder PKCS#11\n"
		 "module, where NSS (Firefox, Chromium, certutil), p11-kit and GnuTLS find them.\n"
		 "\n"
		 "Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf (out, "  trustfolder %s\n", commands[i].synopsis);
	fprintf (out,
		 "\n"
		 "CERT is a file (PEM or DER; its first certificate), a label (\"ca\", or\n"
		 "\"Trust Folder:ca\" as NSS shows it), a SHA-1 or SHA-256 fingerprint (hex,\n"
		 "colons optional), or a PKCS#11 URI (pkcs11:token=Trust%%20Folder;object=ca).\n"
		 "\n"
		 "Options of every command:\n"
		 "  --module PATH  the PKCS#11 module (default: trustfolder-pkcs11.so next to\n"
		 "                 this program, else the installed one)\n"
		 "  --store PATH   the store of \"Trust Folder\" (the module's store=PATH)\n"
		 "  -h, --help     help; \"trustfolder COMMAND --help\" for one command\n"
		 "\n"
		 "Exit status: 0 done (verify: trusted); 1 not trusted, or the operation\n"
		 "failed; 2 bad usage or bad input (nothing was changed).\n"
		 "See trustfolder(1).\n");
}

static void
command_help (const tool_command *cmd)
{
	printf ("Usage: trustfolder %s\n\n%s\n", cmd->synopsis, cmd->help);
	printf ("  --module PATH, --store PATH, -h/--help: see \"trustfolder --help\"\n");
}

static int
usage_error (const tool_command *cmd)
{
	if (cmd != NULL)
		fprintf (stderr, "Usage: trustfolder %s\nTry 'trustfolder %s --help'.\n",
			 cmd->synopsis, cmd->name);
	else
		fprintf (stderr, "Try 'trustfolder --help'.\n");
	return TOOL_USAGE;
}

static const tool_command *
find_command (const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp (commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* The index of the command word: the first operand, skipping the values of --module/--store. */
static int
command_index (int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		if (strcmp (argv[i], "--module") == 0 || strcmp (argv[i], "--store") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] != '-')
			return i;
	}
	return -1;
}

static int
run (int argc, char **argv)
{
	const tool_command *cmd;
	tool_opts opts = { 0 };
	char **rest = NULL;
	int idx, i, n = 0, rc;

	idx = command_index (argc, argv);
	if (idx < 0) {
		for (i = 1; i < argc; i++) {
			if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
				general_help (stdout);
				return TOOL_OK;
			}
			if (strcmp (argv[i], "--version") == 0) {
				printf ("trustfolder %s\n", TOOL_VERSION);
				return TOOL_OK;
			}
		}
		tool_error ("no command given");
		return usage_error (NULL);
	}
	if (strcmp (argv[idx], "help") == 0) {
		if (idx + 1 < argc && (cmd = find_command (argv[idx + 1])) != NULL) {
			command_help (cmd);
			return TOOL_OK;
		}
		general_help (stdout);
		return idx + 1 < argc ? TOOL_USAGE : TOOL_OK;
	}
	cmd = find_command (argv[idx]);
	if (cmd == NULL) {
		tool_error ("unknown command \"%s\"", argv[idx]);
		return usage_error (NULL);
	}
	tool_set_command (cmd->name);

	/* The command's own argv: everything but the command word. */
	rest = calloc ((size_t)argc, sizeof (char *));
	if (rest == NULL) {
		tool_error ("out of memory");
		return TOOL_FAILED;
	}
	for (i = 0; i < argc; i++) {
		if (i != idx)
			rest[n++] = argv[i];
	}
	opts.command = cmd->name;
	switch (args_parse (n, rest, cmd->options | OPT_COMMON, &opts)) {
	case ARGS_HELP:
		command_help (cmd);
		rc = TOOL_OK;
		goto out;
	case ARGS_BAD:
		rc = usage_error (cmd);
		goto out;
	case ARGS_OK:
		break;
	}
	if (opts.n_args < cmd->min_args || (cmd->max_args >= 0 && opts.n_args > cmd->max_args)) {
		if (opts.n_args < cmd->min_args)
			tool_error ("missing operand");
		else
			tool_error ("unexpected operand \"%s\"", opts.args[cmd->max_args]);
		rc = usage_error (cmd);
		goto out;
	}
	rc = cmd->run (&opts);
out:
	tool_opts_clear (&opts);
	free (rest);
	return rc;
}

int
main (int argc, char **argv)
{
	int rc;

	rc = run (argc, argv);
	client_close (the_client);
	the_client = NULL;
	if (fflush (stdout) != 0 || ferror (stdout)) {
		tool_error ("cannot write to standard output");
		if (rc == TOOL_OK)
			rc = TOOL_FAILED;
	}
	ERR_clear_error ();
	return rc;
}
