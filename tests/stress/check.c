/*
 * tf-stress check: after a writer was killed (or finished), everything its
 * ledger acknowledges is in the token exactly, through PKCS#11 and in the
 * store's rows, and nothing else is.
 *
 *   tf-stress check MODULE POOL [--store PATH] [--params P] [--states FILE] LOG...
 *
 * For each certificate of the pool: the state the token shows must be the
 * one its ledger last acknowledged; a failed call (F) must have changed
 * nothing; the one intent a kill left unanswered may have happened or not,
 * and the checker writes down which (R) for the next writer. The counts of
 * all certificates and all trust objects must match, so nothing unasked-for
 * is there either. --store also reads the rows with SQLite and they must say
 * the same; --states writes "IDX STATE LABEL FLAGS" for each certificate
 * present (FLAGS: certutil -L's trust column, - when NSS lists nothing), for
 * the NSS tools that look next.
 */
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every object of class klass in the token. */
static CK_ULONG
count_class (CK_SESSION_HANDLE s, CK_OBJECT_CLASS klass, int *problems)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_CLASS, &klass, sizeof (klass)},
	};
	CK_OBJECT_HANDLE *all;
	CK_ULONG n = 0;
	CK_RV rv;

	rv = p11_find_all (s, tmpl, 2, &all, &n);
	if (rv != CKR_OK) {
		fprintf (stderr, "searching class %#lx: %s\n", (unsigned long)klass,
		         p11_rv_name (rv));
		(*problems)++;
	}
	free (all);
	return n;
}

int
mode_check (int argc, char **argv)
{
	const char *module, *store = NULL, *params = NULL, *states_path = NULL;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	CK_SESSION_HANDLE s;
	ledger *ledgers;
	state *expect, *actual, *rows;
	int *owner;
	size_t n_ledgers = 0, i, k;
	unsigned long acks = 0, fails = 0, certs = 0, trusts = 0;
	CK_ULONG n;
	int problems = 0, row_problems;
	char why[200];
	FILE *out;
	pool p;
	CK_RV rv;

	if (argc < 3)
		die ("usage: tf-stress check MODULE POOL [--store PATH] [--params P] "
		     "[--states FILE] LOG...");
	module = argv[1];
	pool_load (argv[2], &p);
	ledgers = calloc ((size_t)argc, sizeof (ledger));
	expect = calloc (p.n, sizeof (state));
	actual = calloc (p.n, sizeof (state));
	rows = calloc (p.n, sizeof (state));
	owner = calloc (p.n, sizeof (int));
	if (ledgers == NULL || expect == NULL || actual == NULL || rows == NULL || owner == NULL)
		die ("out of memory");
	for (i = 3; i < (size_t)argc; i++) {
		if (strcmp (argv[i], "--store") == 0 && i + 1 < (size_t)argc) {
			store = argv[++i];
		} else if (strcmp (argv[i], "--params") == 0 && i + 1 < (size_t)argc) {
			params = argv[++i];
		} else if (strcmp (argv[i], "--states") == 0 && i + 1 < (size_t)argc) {
			states_path = argv[++i];
		} else {
			ledger_open (&ledgers[n_ledgers], argv[i], p.n, true);
			n_ledgers++;
		}
	}
	/* The ledgers' certificates are disjoint: each writer has its own. */
	for (k = 0; k < n_ledgers; k++) {
		acks += ledgers[k].acks;
		fails += ledgers[k].fails;
		for (i = 0; i < p.n; i++) {
			if (!ledgers[k].touched[i])
				continue;
			if (owner[i] != 0)
				die ("ledgers %d and %zu both write %s", owner[i] - 1, k,
				     p.certs[i].label);
			owner[i] = (int)k + 1;
			expect[i] = ledgers[k].expect[i];
		}
	}

	p11_load (module, params);
	if (!p11_slot (TOKEN_PERSISTENT, &slot))
		die ("no slot \"%s\"", TOKEN_PERSISTENT);
	rv = p11->C_GetTokenInfo (slot, &info);
	if (rv == CKR_OK)
		rv = p11->C_OpenSession (slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		/* The store must open after any crash. */
		fprintf (stderr, "FAIL: the token \"%s\" is not usable: %s\n", TOKEN_PERSISTENT,
		         p11_rv_name (rv));
		return 1;
	}

	for (i = 0; i < p.n; i++) {
		actual[i] = p11_state (s, &p, i, why, sizeof (why), &rv);
		if (actual[i] == ST_BAD) {
			fprintf (stderr, "FAIL: %s: not a whole decision: %s\n", p.certs[i].label,
			         why);
			problems++;
			continue;
		}
		k = owner[i] != 0 ? (size_t)owner[i] - 1 : 0;
		if (owner[i] != 0 && ledgers[k].pending && ledgers[k].p_idx == i) {
			if (actual[i] == ledgers[k].p_from || actual[i] == ledgers[k].p_to) {
				printf ("unanswered call %lu (%s from %s to %s): %s\n",
				        ledgers[k].p_seq, p.certs[i].label,
				        state_name (ledgers[k].p_from),
				        state_name (ledgers[k].p_to),
				        actual[i] == ledgers[k].p_to ? "made" : "not made");
				ledger_resolve (&ledgers[k], actual[i]);
				expect[i] = actual[i];
			} else {
				fprintf (stderr,
				         "FAIL: %s: found %s; before the unanswered call %lu it "
				         "was %s, after it would be %s\n",
				         p.certs[i].label, state_name (actual[i]), ledgers[k].p_seq,
				         state_name (ledgers[k].p_from),
				         state_name (ledgers[k].p_to));
				problems++;
			}
			continue;
		}
		if (actual[i] != expect[i]) {
			fprintf (stderr, "FAIL: %s: found %s, but %s was acknowledged (seq %lu)\n",
			         p.certs[i].label, state_name (actual[i]), state_name (expect[i]),
			         owner[i] != 0 ? ledgers[k].ack_seq[i] : 0UL);
			problems++;
		}
	}
	for (i = 0; i < p.n; i++) {
		certs += state_has_cert (expect[i]);
		trusts += state_has_trust (expect[i]);
	}
	n = count_class (s, CKO_CERTIFICATE, &problems);
	if (n != certs) {
		fprintf (stderr, "FAIL: the token holds %lu certificates, %lu expected\n",
		         (unsigned long)n, certs);
		problems++;
	}
	n = count_class (s, NSS_CKO_TRUST, &problems);
	if (n != trusts) {
		fprintf (stderr, "FAIL: the token holds %lu NSS trust objects, %lu expected\n",
		         (unsigned long)n, trusts);
		problems++;
	}
	p11->C_CloseSession (s);
	p11_unload ();

	/*
	 * Only now, with the module's connection closed: the module carries
	 * its own SQLite, and two SQLite libraries in one process must never
	 * hold the same file at once (closing either's descriptor drops the
	 * other's POSIX locks).
	 */
	if (store != NULL) {
		row_problems = rows_read (store, &p, rows);
		if (row_problems < 0)
			problems++;
		else
			problems += row_problems;
		for (i = 0; row_problems >= 0 && i < p.n; i++) {
			if (rows[i] != ST_BAD && actual[i] != ST_BAD && rows[i] != actual[i]) {
				fprintf (
				    stderr, "FAIL: %s: the store's row says %s, PKCS#11 says %s\n",
				    p.certs[i].label, state_name (rows[i]), state_name (actual[i]));
				problems++;
			}
		}
	}
	if (states_path != NULL) {
		out = fopen (states_path, "w");
		if (out == NULL)
			die ("cannot write %s", states_path);
		for (i = 0; i < p.n; i++) {
			if (expect[i] != ST_ABSENT)
				fprintf (out, "%zu %s %s %s\n", i, state_name (expect[i]),
				         p.certs[i].label,
				         state_has_cert (expect[i])
				             ? state_certutil_flags (expect[i])
				             : "-");
		}
		if (fclose (out) != 0)
			die ("cannot write %s", states_path);
	}

	printf ("checked %zu certificates: %lu with a certificate, %lu with trust; %lu "
	        "acknowledged calls, %lu refused, in %zu ledgers\n",
	        p.n, certs, trusts, acks, fails, n_ledgers);
	for (k = 0; k < n_ledgers; k++)
		ledger_close (&ledgers[k]);
	free (ledgers);
	free (expect);
	free (actual);
	free (rows);
	free (owner);
	return problems == 0 ? 0 : 1;
}
