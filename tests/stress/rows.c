/*
 * The store's rows, read with SQLite directly: what the module wrote to disk
 * must say the same as what it shows through PKCS#11. The columns are the
 * store's schema version 1 (module/store-sqlite.c).
 */
#include "stress.h"

#include <sqlite3.h>

#include <stdio.h>
#include <string.h>

static bool
column_is (sqlite3_stmt *stmt, int col, const void *data, size_t len)
{
	if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
		return false;
	return (size_t)sqlite3_column_bytes (stmt, col) == len &&
	       memcmp (sqlite3_column_blob (stmt, col), data, len) == 0;
}

static bool
column_null (sqlite3_stmt *stmt, int col)
{
	return sqlite3_column_type (stmt, col) == SQLITE_NULL;
}

/* The state one row describes; ST_BAD with the reason in why. */
static state
row_state (sqlite3_stmt *stmt, const pool_cert *c, char *why, size_t why_len)
{
	static const state kinds[] = {ST_CA, ST_PEER, ST_DISTRUST};
	bool has_der = !column_null (stmt, 1) && sqlite3_column_bytes (stmt, 1) > 0;
	int levels[4], i;
	size_t k;
	state kind = ST_BAD;

	if (has_der && !column_is (stmt, 1, c->der.data, c->der.len)) {
		snprintf (why, why_len, "der is not the certificate's");
		return ST_BAD;
	}
	if (has_der && (!column_is (stmt, 4, c->sha1, sizeof (c->sha1)) ||
	                !column_is (stmt, 5, c->md5, sizeof (c->md5)) ||
	                !column_is (stmt, 6, c->sha256, sizeof (c->sha256)))) {
		snprintf (why, why_len, "a hash column is not the certificate's hash");
		return ST_BAD;
	}
	if (!has_der &&
	    (!column_null (stmt, 4) || !column_null (stmt, 5) || !column_null (stmt, 6))) {
		snprintf (why, why_len, "hashes without a certificate");
		return ST_BAD;
	}
	if (sqlite3_column_int (stmt, 7) == 0) {
		if (!has_der)
			snprintf (why, why_len, "neither certificate nor trust");
		return has_der ? ST_CERT : ST_BAD;
	}
	for (i = 0; i < 4; i++)
		levels[i] = sqlite3_column_int (stmt, 8 + i);
	for (k = 0; k < sizeof (kinds) / sizeof (kinds[0]); k++) {
		if (memcmp (levels, state_levels (kinds[k]), sizeof (levels)) == 0)
			kind = kinds[k];
	}
	if (kind == ST_BAD) {
		snprintf (why, why_len, "trust levels %d %d %d %d are no decision", levels[0],
		          levels[1], levels[2], levels[3]);
		return ST_BAD;
	}
	if (!has_der && kind != ST_DISTRUST) {
		snprintf (why, why_len, "positive trust (%s) without a certificate",
		          state_name (kind));
		return ST_BAD;
	}
	return has_der ? kind : ST_BLOCK;
}

int
rows_read (const char *path, const pool *p, state *found)
{
	static const char sql[] = "SELECT id, der, issuer, serial, sha1, md5, sha256, has_trust,"
	                          " trust_server, trust_client, trust_code, trust_email"
	                          " FROM records";
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = NULL;
	char why[160];
	int problems = 0, rc;
	size_t i;
	long idx;

	for (i = 0; i < p->n; i++)
		found[i] = ST_ABSENT;
	rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout (db, 10000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
		idx = pool_find (
		    p, sqlite3_column_blob (stmt, 2), (size_t)sqlite3_column_bytes (stmt, 2),
		    sqlite3_column_blob (stmt, 3), (size_t)sqlite3_column_bytes (stmt, 3));
		if (idx < 0) {
			fprintf (stderr, "row %lld: a certificate no writer made\n",
			         (long long)sqlite3_column_int64 (stmt, 0));
			problems++;
			rc = SQLITE_OK;
			continue;
		}
		if (found[idx] != ST_ABSENT) {
			fprintf (stderr, "row %lld: a second row for %s\n",
			         (long long)sqlite3_column_int64 (stmt, 0), p->certs[idx].label);
			problems++;
		}
		found[idx] = row_state (stmt, &p->certs[idx], why, sizeof (why));
		if (found[idx] == ST_BAD) {
			fprintf (stderr, "row %lld (%s): %s\n",
			         (long long)sqlite3_column_int64 (stmt, 0), p->certs[idx].label,
			         why);
			problems++;
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		fprintf (stderr, "tf-stress: reading the rows of %s: %s\n", path,
		         db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
		problems = -1;
	}
	sqlite3_finalize (stmt);
	sqlite3_close (db);
	return problems;
}
