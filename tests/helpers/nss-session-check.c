/*
 * nss-session-check: an NSS client that makes a trust decision and relies on
 * it inside one process, as a browser does with "accept for this session".
 *
 *   nss-session-check [--token NAME] [--trust T] [--nick N] [--no-import]
 *                     DBDIR CA.pem LEAF.pem
 *
 * Opens the NSS database DBDIR (read-write, so that its modules load as in
 * certutil), imports CA.pem into the token NAME (default "Trust Folder
 * Session") with trust T (default "C,,") the way certutil -A does
 * (PK11_ImportCert, then CERT_ChangeCertTrust), counts the certificates that
 * token holds, then verifies LEAF.pem for SSL server use and prints the
 * result. With --no-import it only counts and verifies (CA.pem is not read):
 * a new process asking what an earlier one left behind.
 *
 * Output, one fact per line, for the integration tests to match:
 *   token: NAME
 *   import: ok
 *   token certificates: N
 *   verify: ok | verify: fail SEC_ERROR_NAME (-NNNN)
 *
 * Exit status: 0 when the leaf verified, 1 when it did not, 2 on any other
 * error (bad arguments, database, token not found, import failed).
 */
#include <cert.h>
#include <certdb.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage (void)
{
	fprintf (stderr, "usage: nss-session-check [--token NAME] [--trust T] [--nick N] [--no-import] "
			 "DBDIR CA.pem LEAF.pem\n");
	exit (2);
}

static const char *
error_name (PRErrorCode code)
{
	const char *name = PR_ErrorToName (code);
	return name ? name : "UNKNOWN_ERROR";
}

/* The certificate in path (PEM or DER), as a temporary NSS certificate; NULL
 * (and a message) when it cannot be read or parsed. */
static CERTCertificate *
read_cert (const char *path)
{
	CERTCertificate *cert = NULL;
	FILE *f;
	char *buf = NULL;
	long len;

	f = fopen (path, "rb");
	if (f == NULL) {
		perror (path);
		return NULL;
	}
	if (fseek (f, 0, SEEK_END) != 0 || (len = ftell (f)) <= 0 || fseek (f, 0, SEEK_SET) != 0) {
		fprintf (stderr, "%s: cannot size the file\n", path);
		goto out;
	}
	buf = malloc ((size_t)len);
	if (buf == NULL || fread (buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf (stderr, "%s: cannot read the file\n", path);
		goto out;
	}
	cert = CERT_DecodeCertFromPackage (buf, (int)len);
	if (cert == NULL)
		fprintf (stderr, "%s: not a certificate: %s\n", path, error_name (PR_GetError ()));
out:
	free (buf);
	fclose (f);
	return cert;
}

static int
count_certs (PK11SlotInfo *slot)
{
	CERTCertList *list;
	CERTCertListNode *node;
	int n = 0;

	list = PK11_ListCertsInSlot (slot);
	if (list == NULL)
		return 0;
	for (node = CERT_LIST_HEAD (list); !CERT_LIST_END (node, list); node = CERT_LIST_NEXT (node))
		n++;
	CERT_DestroyCertList (list);
	return n;
}

int
main (int argc, char **argv)
{
	const char *token = "Trust Folder Session";
	const char *trust_str = "C,,";
	const char *nick = "ca";
	int do_import = 1;
	const char *dbdir, *ca_path, *leaf_path;
	char *config = NULL;
	PK11SlotInfo *slot = NULL;
	CERTCertificate *ca = NULL, *leaf = NULL;
	CERTCertTrust trust;
	int status = 2;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp (argv[i], "--token") == 0 && i + 1 < argc)
			token = argv[++i];
		else if (strcmp (argv[i], "--trust") == 0 && i + 1 < argc)
			trust_str = argv[++i];
		else if (strcmp (argv[i], "--nick") == 0 && i + 1 < argc)
			nick = argv[++i];
		else if (strcmp (argv[i], "--no-import") == 0)
			do_import = 0;
		else
			usage ();
	}
	if (argc - i != 3)
		usage ();
	dbdir = argv[i];
	ca_path = argv[i + 1];
	leaf_path = argv[i + 2];

	if (strncmp (dbdir, "sql:", 4) == 0)
		dbdir += 4;
	config = malloc (strlen (dbdir) + 5);
	if (config == NULL)
		return 2;
	sprintf (config, "sql:%s", dbdir);
	if (NSS_Initialize (config, "", "", SECMOD_DB, 0) != SECSuccess) {
		fprintf (stderr, "NSS_Initialize(%s): %s\n", config, error_name (PR_GetError ()));
		free (config);
		return 2;
	}

	slot = PK11_FindSlotByName (token);
	if (slot == NULL) {
		printf ("token: %s not found\n", token);
		goto out;
	}
	printf ("token: %s\n", PK11_GetTokenName (slot));

	/* With --no-import the CA is not even parsed: a parsed certificate stays
	 * in NSS's temporary store and would be found as the issuer. */
	leaf = read_cert (leaf_path);
	if (leaf == NULL)
		goto out;

	if (do_import) {
		ca = read_cert (ca_path);
		if (ca == NULL)
			goto out;
		if (CERT_DecodeTrustString (&trust, trust_str) != SECSuccess) {
			fprintf (stderr, "bad trust string %s\n", trust_str);
			goto out;
		}
		if (PK11_ImportCert (slot, ca, CK_INVALID_HANDLE, nick, PR_FALSE) != SECSuccess) {
			printf ("import: fail %s\n", error_name (PR_GetError ()));
			goto out;
		}
		if (CERT_ChangeCertTrust (CERT_GetDefaultCertDB (), ca, &trust) != SECSuccess) {
			printf ("import: trust fail %s\n", error_name (PR_GetError ()));
			goto out;
		}
		printf ("import: ok\n");
	}
	printf ("token certificates: %d\n", count_certs (slot));

	if (CERT_VerifyCertificateNow (CERT_GetDefaultCertDB (), leaf, PR_TRUE, certificateUsageSSLServer,
				       NULL, NULL) == SECSuccess) {
		printf ("verify: ok\n");
		status = 0;
	} else {
		PRErrorCode code = PR_GetError ();
		printf ("verify: fail %s (%d)\n", error_name (code), (int)code);
		status = 1;
	}
out:
	fflush (stdout);
	if (leaf != NULL)
		CERT_DestroyCertificate (leaf);
	if (ca != NULL)
		CERT_DestroyCertificate (ca);
	if (slot != NULL)
		PK11_FreeSlot (slot);
	if (NSS_Shutdown () != SECSuccess) {
		fprintf (stderr, "NSS_Shutdown: %s\n", error_name (PR_GetError ()));
		if (status == 0)
			status = 2;
	}
	free (config);
	return status;
}
