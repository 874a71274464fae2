/*
 * The store through its own interface (store.h), against real files in a
 * scratch directory. Two connections to one file stand in for two processes.
 * A raw SQLite connection crafts the files the module must refuse.
 */
#include "unit.h"

#include "log.h"
#include "record.h"
#include "store.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SEEN 16

typedef struct {
	char *dir;
	char *path;
} fixture;

/* What one refresh delivered; owns the records. */
typedef struct {
	tf_record *recs[MAX_SEEN];
	size_t n_recs;
	int64_t gone[MAX_SEEN];
	size_t n_gone;
	CK_RV answer; /* what collect_record returns */
} seen;

static char *
path_join (const char *dir, const char *name)
{
	char *path;

	assert_true (asprintf (&path, "%s/%s", dir, name) > 0);
	return path;
}

static int
setup (void **state)
{
	const char *tmp = getenv ("TMPDIR");
	fixture *fx;

	fx = calloc (1, sizeof (*fx));
	assert_non_null (fx);
	assert_true (asprintf (&fx->dir, "%s/tf-store-XXXXXX", tmp != NULL ? tmp : "/tmp") > 0);
	assert_non_null (mkdtemp (fx->dir));
	fx->path = path_join (fx->dir, "store.db");
	*state = fx;
	return 0;
}

static int
open_up (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D)
		chmod (path, 0700);
	return 0;
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove (path);
}

static int
teardown (void **state)
{
	fixture *fx = *state;

	/* Read-only tests leave directories we may not write: open them first. */
	nftw (fx->dir, open_up, 16, FTW_PHYS);
	nftw (fx->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free (fx->path);
	free (fx->dir);
	free (fx);
	return 0;
}

static void
seen_clear (seen *s)
{
	size_t i;

	for (i = 0; i < s->n_recs; i++)
		tf_record_free (s->recs[i]);
	memset (s, 0, sizeof (*s));
}

static CK_RV
collect_record (void *ctx, tf_record *rec)
{
	seen *s = ctx;

	assert_true (rec->store_id > 0);
	if (s->n_recs == MAX_SEEN) {
		tf_record_free (rec);
		fail_msg ("more records than the test expects");
	}
	s->recs[s->n_recs++] = rec;
	return s->answer;
}

static void
collect_gone (void *ctx, int64_t store_id)
{
	seen *s = ctx;

	assert_true (s->n_gone < MAX_SEEN);
	s->gone[s->n_gone++] = store_id;
}

/* Refreshes into s (cleared first) and checks the call succeeded. */
static void
refresh (tf_store *store, bool force, seen *s)
{
	seen_clear (s);
	assert_int_equal (tf_store_refresh (store, force, s, collect_record, collect_gone), CKR_OK);
}

static tf_store *
open_store (const char *path)
{
	tf_store *store = NULL;

	assert_int_equal (tf_store_open (path, false, &store), CKR_OK);
	assert_non_null (store);
	assert_false (tf_store_read_only (store));
	return store;
}

static void
set_bytes (tf_bytes *b, const char *text)
{
	assert_true (tf_bytes_set (b, text, strlen (text)));
}

/* A record with every field set; n makes issuer and serial unique. */
static tf_record *
make_record (int n)
{
	unsigned char serial[] = {0x02, 0x02, 0x00, (unsigned char)n};
	tf_record *rec;
	char text[64];
	int i;

	rec = tf_record_new ();
	assert_non_null (rec);
	snprintf (text, sizeof (text), "certificate %d", n);
	set_bytes (&rec->der, text);
	snprintf (text, sizeof (text), "issuer %d", n);
	set_bytes (&rec->issuer, text);
	assert_true (tf_bytes_set (&rec->serial, serial, sizeof (serial)));
	snprintf (text, sizeof (text), "subject %d", n);
	set_bytes (&rec->subject, text);
	set_bytes (&rec->id, "key id");
	snprintf (text, sizeof (text), "label %d", n);
	set_bytes (&rec->label, text);
	set_bytes (&rec->email, "someone@example.org");
	rec->has_hash = rec->has_md5 = rec->has_sha256 = true;
	for (i = 0; i < 20; i++)
		rec->sha1[i] = (unsigned char)(n + i);
	for (i = 0; i < 16; i++)
		rec->md5[i] = (unsigned char)(0xf0 - n - i);
	for (i = 0; i < 32; i++)
		rec->sha256[i] = (unsigned char)(0x80 + n + i);
	rec->has_trust = true;
	rec->trust[TF_PURPOSE_SERVER] = TF_LEVEL_ANCHOR;
	rec->trust[TF_PURPOSE_CLIENT] = TF_LEVEL_CA;
	rec->trust[TF_PURPOSE_CODE] = TF_LEVEL_DISTRUSTED;
	rec->trust[TF_PURPOSE_EMAIL] = TF_LEVEL_MUST_VERIFY;
	rec->step_up = true;
	rec->category = 2;
	set_bytes (&rec->stapled_eku, "\x30\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01");
	assert_true (tf_record_set_hosts (rec, strdup ("example.org,example.net")));
	rec->not_after = 2000000000 + n;
	set_bytes (&rec->spki_sha1, "twenty bytes of hash");
	rec->creator = strdup ("test-store");
	assert_non_null (rec->hosts);
	assert_non_null (rec->creator);
	rec->expires = 4102444800;
	rec->created = 1700000000 + n;
	return rec;
}

static void
assert_bytes_equal (const tf_bytes *a, const tf_bytes *b)
{
	assert_int_equal (a->len, b->len);
	assert_true ((a->data == NULL) == (a->len == 0));
	if (a->len > 0)
		assert_memory_equal (a->data, b->data, a->len);
}

static void
assert_string_or_null_equal (const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal (a, b);
	else
		assert_string_equal (a, b);
}

/* Every field the store keeps (uid and owner are the index's, not the store's). */
static void
assert_record_equal (const tf_record *got, const tf_record *want)
{
	int i;

	assert_int_equal (got->store_id, want->store_id);
	assert_bytes_equal (&got->der, &want->der);
	assert_bytes_equal (&got->issuer, &want->issuer);
	assert_bytes_equal (&got->serial, &want->serial);
	assert_bytes_equal (&got->subject, &want->subject);
	assert_bytes_equal (&got->id, &want->id);
	assert_bytes_equal (&got->label, &want->label);
	assert_bytes_equal (&got->email, &want->email);
	assert_int_equal (got->has_hash, want->has_hash);
	assert_int_equal (got->has_md5, want->has_md5);
	assert_int_equal (got->has_sha256, want->has_sha256);
	if (want->has_hash)
		assert_memory_equal (got->sha1, want->sha1, sizeof (got->sha1));
	if (want->has_md5)
		assert_memory_equal (got->md5, want->md5, sizeof (got->md5));
	if (want->has_sha256)
		assert_memory_equal (got->sha256, want->sha256, sizeof (got->sha256));
	assert_int_equal (got->has_trust, want->has_trust);
	for (i = 0; i < TF_PURPOSE_COUNT; i++)
		assert_int_equal (got->trust[i], want->trust[i]);
	assert_int_equal (got->step_up, want->step_up);
	assert_int_equal (got->not_after, want->not_after);
	assert_bytes_equal (&got->spki_sha1, &want->spki_sha1);
	assert_int_equal (got->category, want->category);
	assert_bytes_equal (&got->stapled_eku, &want->stapled_eku);
	assert_string_or_null_equal (got->hosts, want->hosts);
	assert_int_equal (got->expires, want->expires);
	assert_int_equal (got->created, want->created);
	assert_string_or_null_equal (got->creator, want->creator);
}

static void
assert_mode (const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal (stat (path, &st), 0);
	assert_int_equal (st.st_mode & 07777, mode);
}

static void
assert_logged (const char *text)
{
	if (strstr (tf_log_last (), text) == NULL)
		fail_msg ("expected a log line with \"%s\", last was \"%s\"", text, tf_log_last ());
}

static unsigned long
header_u32 (const unsigned char *header, size_t offset)
{
	return (unsigned long)header[offset] << 24 | (unsigned long)header[offset + 1] << 16 |
	       (unsigned long)header[offset + 2] << 8 | header[offset + 3];
}

/* Runs SQL on the file through a connection of the test's own. */
static void
raw_sql (const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
	if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
	assert_int_equal (sqlite3_close (db), SQLITE_OK);
}

static void
write_file (const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen (path, "wb");

	assert_non_null (f);
	if (len > 0)
		assert_int_equal (fwrite (data, 1, len, f), len);
	assert_int_equal (fclose (f), 0);
}

/* Opening path must fail with want, and leave the file exactly as it was. */
static void
assert_refused (const char *path, CK_RV want)
{
	unsigned char *before;
	unsigned char *after;
	size_t before_len;
	size_t after_len;
	tf_store *store = NULL;

	before = unit_read_file (path, &before_len);
	assert_int_equal (tf_store_open (path, false, &store), want);
	assert_null (store);
	after = unit_read_file (path, &after_len);
	assert_int_equal (before_len, after_len);
	assert_memory_equal (before, after, before_len);
	free (before);
	free (after);
}

static void
test_create_nested (void **state)
{
	fixture *fx = *state;
	unsigned char *header;
	tf_store *store;
	mode_t old_umask;
	char *a, *b, *c, *path;
	size_t len;

	a = path_join (fx->dir, "a");
	b = path_join (a, "b");
	c = path_join (b, "c");
	path = path_join (c, "store.db");

	old_umask = umask (0);
	store = open_store (path);
	umask (old_umask);
	tf_store_close (store);
	assert_mode (fx->dir, 0700);
	assert_mode (a, 0700);
	assert_mode (b, 0700);
	assert_mode (c, 0700);
	assert_mode (path, 0600);

	/* The header says whose file it is, at which version, in WAL mode, in 16 KB pages. */
	header = unit_read_file (path, &len);
	assert_true (len >= 100);
	assert_memory_equal (header, "SQLite format 3", 16);
	assert_int_equal (header[16] << 8 | header[17], 16384);
	assert_int_equal (header[18], 2);
	assert_int_equal (header[19], 2);
	assert_int_equal (header_u32 (header, 60), 2);
	assert_int_equal (header_u32 (header, 68), 0x54724644);
	free (header);

	/* Opening it again finds the store it made. */
	store = open_store (path);
	tf_store_close (store);

	/* A umask that would leave us locked out does not change the modes. */
	free (path);
	path = path_join (c, "x/y/store.db");
	old_umask = umask (0277);
	store = open_store (path);
	umask (old_umask);
	tf_store_close (store);
	assert_mode (path, 0600);
	free (path);
	path = path_join (c, "x");
	assert_mode (path, 0700);

	free (path);
	free (c);
	free (b);
	free (a);
}

static void
test_empty_file (void **state)
{
	fixture *fx = *state;
	tf_store *store;
	seen s = {0};

	write_file (fx->path, NULL, 0);
	store = open_store (fx->path);
	refresh (store, false, &s);
	assert_int_equal (s.n_recs, 0);
	tf_store_close (store);
}

static void
test_round_trip (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *full, *bare;
	seen s = {0};

	writer = open_store (fx->path);
	full = make_record (1);
	assert_int_equal (tf_store_put (writer, full), CKR_OK);
	assert_true (full->store_id > 0);

	/* Every optional field empty or NULL, and no hash. */
	bare = tf_record_new ();
	assert_non_null (bare);
	set_bytes (&bare->issuer, "bare issuer");
	set_bytes (&bare->serial, "\x02\x01\x07");
	bare->trust[TF_PURPOSE_SERVER] = TF_LEVEL_DISTRUSTED;
	assert_int_equal (tf_store_put (writer, bare), CKR_OK);
	assert_true (bare->store_id > full->store_id);

	reader = open_store (fx->path);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 2);
	assert_int_equal (s.n_gone, 0);
	assert_record_equal (s.recs[0], full);
	assert_record_equal (s.recs[1], bare);

	seen_clear (&s);
	tf_record_free (full);
	tf_record_free (bare);
	tf_store_close (reader);
	tf_store_close (writer);
}

/* How many records a lookup by label finds, freeing them. */
static size_t
count_by_label (tf_store *store, const char *label)
{
	seen s = {0};
	size_t n;

	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_LABEL, label, strlen (label), NULL, 0,
					   &s, collect_record),
			  CKR_OK);
	n = s.n_recs;
	seen_clear (&s);
	return n;
}

/*
 * tf_store_put_over with the row's keys unchanged rewrites the row alone;
 * with a key changed it must still move the index entries.
 */
static void
test_put_over (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *rec, *old;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	rec = make_record (1);
	assert_int_equal (tf_store_put (writer, rec), CKR_OK);
	old = tf_record_dup (rec);
	assert_non_null (old);

	/* The decision alone changes. */
	rec->trust[TF_PURPOSE_SERVER] = TF_LEVEL_DISTRUSTED;
	assert_int_equal (tf_store_put_over (writer, rec, old), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], rec);
	assert_int_equal (count_by_label (reader, "label 1"), 1);

	/* The label changes too: the lookup by label follows it. */
	tf_record_free (old);
	old = tf_record_dup (rec);
	assert_non_null (old);
	set_bytes (&rec->label, "renamed");
	rec->has_hash = false;
	assert_int_equal (tf_store_put_over (writer, rec, old), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], rec);
	assert_int_equal (count_by_label (reader, "label 1"), 0);
	assert_int_equal (count_by_label (reader, "renamed"), 1);

	seen_clear (&s);
	tf_record_free (old);
	tf_record_free (rec);
	tf_store_close (reader);
	tf_store_close (writer);
}

/* Counts, and frees, what a lookup delivers. */
static CK_RV
count_record (void *ctx, tf_record *rec)
{
	size_t *n = ctx;

	(*n)++;
	tf_record_free (rec);
	return CKR_OK;
}

/* How many records a lookup of kind finds for the NUL-terminated key (or, with len, the bytes). */
static size_t
count_by (tf_store *store, tf_store_key kind, const void *key, size_t len)
{
	size_t n = 0;

	assert_int_equal (tf_store_lookup (store, kind, key, len ? len : strlen (key), NULL, 0, &n,
					   count_record),
			  CKR_OK);
	return n;
}

/* An integer a raw connection of the test's own reads from the file. */
static int64_t
raw_int (const char *path, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = NULL;
	int64_t value;

	assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
	assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
	value = sqlite3_column_int64 (stmt, 0);
	sqlite3_finalize (stmt);
	assert_int_equal (sqlite3_close (db), SQLITE_OK);
	return value;
}

/* Records 1..n by every key: subject, label and sha1 each their own, one CKA_ID and SPKI for all. */
static void
assert_found_by_every_key (tf_store *store, int from, int to, size_t all)
{
	tf_record *rec;
	char text[64];
	int n;

	for (n = from; n <= to; n++) {
		snprintf (text, sizeof (text), "subject %d", n);
		assert_int_equal (count_by (store, TF_STORE_BY_SUBJECT, text, 0), 1);
		snprintf (text, sizeof (text), "label %d", n);
		assert_int_equal (count_by (store, TF_STORE_BY_LABEL, text, 0), 1);
		rec = make_record (n);
		assert_int_equal (tf_store_lookup (store, TF_STORE_BY_ISSUER_SERIAL, rec->issuer.data,
						   rec->issuer.len, rec->serial.data,
						   rec->serial.len, &(size_t){ 0 }, count_record),
				  CKR_OK);
		assert_true (count_by (store, TF_STORE_BY_SHA1, rec->sha1, sizeof (rec->sha1)) >= 1);
		tf_record_free (rec);
	}
	assert_int_equal (count_by (store, TF_STORE_BY_ID, "key id", 0), all);
	assert_int_equal (count_by (store, TF_STORE_BY_SPKI, "twenty bytes of hash", 0), all);
}

/*
 * A write's key entries go to fresh_keys; once there are more of them than
 * records (and more than 20,000) the commit moves them into keys. Lookups,
 * changes and removals find a record's entries in either table.
 */
static void
test_keys_settle (void **state)
{
	fixture *fx = *state;
	const int many = 4100; /* five entries each: past 20,000 */
	tf_store *writer, *reader;
	tf_record *rec, *old;
	int n;

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	assert_int_equal (tf_store_begin (writer), CKR_OK);
	for (n = 1; n <= many; n++) {
		rec = make_record (n);
		assert_int_equal (tf_store_put (writer, rec), CKR_OK);
		tf_record_free (rec);
	}
	assert_int_equal (tf_store_commit (writer), CKR_OK);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 0);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM keys"), 5 * many);
	assert_int_equal (raw_int (fx->path, "SELECT value FROM meta WHERE key = 'fresh'"), 0);
	assert_found_by_every_key (reader, 1, 3, many);
	assert_found_by_every_key (reader, many - 2, many, many);

	/* Two more stay fresh: found along with the settled ones. */
	for (n = many + 1; n <= many + 2; n++) {
		rec = make_record (n);
		assert_int_equal (tf_store_put (writer, rec), CKR_OK);
		tf_record_free (rec);
	}
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 10);
	assert_int_equal (raw_int (fx->path, "SELECT value FROM meta WHERE key = 'fresh'"), 10);
	assert_found_by_every_key (reader, many - 1, many + 2, many + 2);

	/* A settled record renamed, a settled one and a fresh one removed. */
	rec = make_record (2);
	rec->store_id = 2;
	old = tf_record_dup (rec);
	assert_non_null (old);
	set_bytes (&rec->label, "renamed");
	assert_int_equal (tf_store_put_over (writer, rec, old), CKR_OK);
	assert_int_equal (count_by (reader, TF_STORE_BY_LABEL, "label 2", 0), 0);
	assert_int_equal (count_by (reader, TF_STORE_BY_LABEL, "renamed", 0), 1);
	assert_int_equal (count_by (reader, TF_STORE_BY_SUBJECT, "subject 2", 0), 1);
	assert_int_equal (tf_store_remove (writer, 3), CKR_OK);
	assert_int_equal (tf_store_remove (writer, many + 2), CKR_OK);
	assert_int_equal (count_by (reader, TF_STORE_BY_SUBJECT, "subject 3", 0), 0);
	assert_int_equal (count_by (reader, TF_STORE_BY_LABEL, "label 3", 0), 0);
	assert_int_equal (count_by (reader, TF_STORE_BY_SUBJECT, "subject 4102", 0), 0);
	assert_int_equal (count_by (reader, TF_STORE_BY_ID, "key id", 0), many);
	/* A changed record's entries all move to fresh_keys; a removed one's go. */
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM keys"), 5 * (many - 2));
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 5 * 2);

	tf_record_free (old);
	tf_record_free (rec);
	tf_store_close (reader);
	tf_store_close (writer);
}

/* An entry found in both tables when they are merged is kept once, and the write stands. */
static void
test_keys_settle_duplicate (void **state)
{
	fixture *fx = *state;
	tf_store *store;
	tf_record *rec;
	int n;

	store = open_store (fx->path);
	for (n = 1; n <= 3; n++) {
		rec = make_record (n);
		assert_int_equal (tf_store_put (store, rec), CKR_OK);
		tf_record_free (rec);
	}
	raw_sql (fx->path, "INSERT INTO keys SELECT kind, h, id FROM fresh_keys WHERE id = 2;"
			   "UPDATE meta SET value = 30000 WHERE key = 'fresh'");
	rec = make_record (4);
	assert_int_equal (tf_store_put (store, rec), CKR_OK);
	tf_record_free (rec);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM keys"), 4 * 5);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 0);
	assert_found_by_every_key (store, 1, 4, 4);
	tf_store_close (store);
}

/*
 * tf_store_put_new writes many records in an order of its own, and their
 * key entries in bulk: every record gets its row and every one of its keys,
 * or, in a transaction rolled back, none does.
 */
static void
test_put_new (void **state)
{
	fixture *fx = *state;
	const int many = 300; /* more entries than one statement adds, and a remainder */
	tf_record *recs[300];
	tf_store *writer, *reader;
	int n;

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	for (n = 0; n < many; n++)
		recs[n] = make_record (n + 1);
	assert_int_equal (tf_store_put_new (writer, recs, (size_t)many), CKR_OK);
	for (n = 0; n < many; n++) {
		assert_true (recs[n]->store_id > 0);
		if (n > 0)
			assert_true (recs[n]->store_id != recs[n - 1]->store_id);
	}
	for (n = 0; n < many; n++)
		tf_record_free (recs[n]);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM records"), many);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 5 * many);
	assert_int_equal (raw_int (fx->path, "SELECT value FROM meta WHERE key = 'fresh'"),
			  5 * many);
	assert_found_by_every_key (reader, 1, many, many);

	/* Rolled back: no row, no entry. */
	for (n = 0; n < 2; n++)
		recs[n] = make_record (many + 1 + n);
	assert_int_equal (tf_store_begin (writer), CKR_OK);
	assert_int_equal (tf_store_put_new (writer, recs, 2), CKR_OK);
	tf_store_rollback (writer);
	tf_record_free (recs[0]);
	tf_record_free (recs[1]);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM records"), many);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 5 * many);
	assert_int_equal (count_by (reader, TF_STORE_BY_ID, "key id", 0), many);

	tf_store_close (reader);
	tf_store_close (writer);
}

/*
 * The WAL is copied into the database once it holds 4 MB (set_pragmas), not
 * at SQLite's 1000 pages, which in the store's 16 KB pages are 16 MB: after
 * some 9 MB of commits the WAL file, which SQLite reuses from its start and
 * never shrinks while open, is still about 4 MB, and every record is there.
 */
static void
test_checkpoint_at_4mb (void **state)
{
	fixture *fx = *state;
	const int many = 150;
	const size_t big = 60000; /* some eighty certificates' worth of bytes */
	unsigned char *der;
	char *wal;
	tf_record *rec;
	tf_store *writer;
	struct stat st;
	int n;

	der = malloc (big);
	assert_non_null (der);
	writer = open_store (fx->path);
	for (n = 0; n < many; n++) {
		rec = make_record (n + 1);
		memset (der, n, big);
		assert_true (tf_bytes_set (&rec->der, der, big));
		assert_int_equal (tf_store_put_new (writer, &rec, 1), CKR_OK);
		tf_record_free (rec);
	}
	wal = path_join (fx->dir, "store.db-wal");
	assert_int_equal (stat (wal, &st), 0);
	assert_true (st.st_size > 0);
	assert_true (st.st_size < 6 * 1024 * 1024);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM records"), many);
	assert_int_equal (raw_int (fx->path, "SELECT sum(length(der)) FROM records"),
			  (int64_t)many * (int64_t)big);
	tf_store_close (writer);
	free (wal);
	free (der);
}

/*
 * A store of schema version 1 (a development build's: a key-hash column of
 * records for each key, each indexed) is upgraded by the first open with
 * write access, and refused, left as it is, by a read-only one.
 */
static void
test_upgrade_from_v1 (void **state)
{
	fixture *fx = *state;
	tf_store *store = NULL;
	tf_record *rec;
	int n;

	store = open_store (fx->path);
	for (n = 1; n <= 3; n++) {
		rec = make_record (n);
		assert_int_equal (tf_store_put (store, rec), CKR_OK);
		tf_record_free (rec);
	}
	tf_store_close (store);
	raw_sql (fx->path, "ALTER TABLE records ADD COLUMN subject_h INTEGER;"
			   "ALTER TABLE records ADD COLUMN ckaid_h INTEGER;"
			   "ALTER TABLE records ADD COLUMN label_h INTEGER;"
			   "ALTER TABLE records ADD COLUMN sha1_h INTEGER;"
			   "ALTER TABLE records ADD COLUMN spki_h INTEGER;"
			   "CREATE INDEX records_subject ON records (subject_h);"
			   "CREATE INDEX records_ckaid ON records (ckaid_h);"
			   "CREATE INDEX records_label ON records (label_h);"
			   "CREATE INDEX records_sha1 ON records (sha1_h);"
			   "CREATE INDEX records_spki ON records (spki_h);"
			   "DROP TABLE keys; DROP TABLE fresh_keys;"
			   "DELETE FROM meta WHERE key = 'fresh';"
			   "PRAGMA user_version = 1;");

	store = NULL;
	assert_int_equal (tf_store_open (fx->path, true, &store), CKR_DEVICE_ERROR);
	assert_null (store);
	assert_logged ("has schema version 1, from a development build");
	assert_int_equal (raw_int (fx->path, "PRAGMA user_version"), 1);

	store = open_store (fx->path);
	assert_int_equal (raw_int (fx->path, "PRAGMA user_version"), 2);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM keys"), 15);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM fresh_keys"), 0);
	assert_int_equal (raw_int (fx->path, "SELECT count(*) FROM pragma_table_info('records')"
					     " WHERE name LIKE '%\\_h' ESCAPE '\\'"),
			  1);
	assert_found_by_every_key (store, 1, 3, 3);
	rec = make_record (4);
	assert_int_equal (tf_store_put (store, rec), CKR_OK);
	tf_record_free (rec);
	assert_found_by_every_key (store, 1, 4, 4);
	tf_store_close (store);

	/* Opened again, it is at version 2 already. */
	store = open_store (fx->path);
	assert_found_by_every_key (store, 1, 4, 4);
	tf_store_close (store);
}

/*
 * Pinned hosts are stored by slot, tombstones included (record.h): a reader
 * numbers them as the writer did, and sees only the hosts as pinned.
 */
static void
test_round_trip_host_tombstones (void **state)
{
	static const char *const slots[][2] = {
		/* as stored, the hosts a client sees */
		{",example.net", "example.net"},
		{"example.org,,example.com,", "example.org,example.com"},
		{"", ""},
		{",,", ""},
		{"example.org", "example.org"},
	};
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *rec[5];
	seen s = {0};
	size_t i;

	writer = open_store (fx->path);
	for (i = 0; i < 5; i++) {
		rec[i] = make_record ((int)i + 1);
		assert_true (tf_record_set_hosts (rec[i], strdup (slots[i][0])));
		assert_string_equal (tf_record_live_hosts (rec[i]), slots[i][1]);
		assert_int_equal (tf_store_put (writer, rec[i]), CKR_OK);
	}
	reader = open_store (fx->path);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 5);
	for (i = 0; i < 5; i++) {
		assert_record_equal (s.recs[i], rec[i]);
		assert_string_equal (tf_record_live_hosts (s.recs[i]), slots[i][1]);
		tf_record_free (rec[i]);
	}
	seen_clear (&s);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_update (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *rec;
	int64_t id;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	rec = make_record (1);
	assert_int_equal (tf_store_put (writer, rec), CKR_OK);
	id = rec->store_id;
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);

	set_bytes (&rec->label, "renamed");
	tf_bytes_clear (&rec->der);
	rec->has_hash = rec->has_md5 = rec->has_sha256 = false;
	rec->trust[TF_PURPOSE_SERVER] = TF_LEVEL_DISTRUSTED;
	free (rec->hosts);
	rec->hosts = NULL;
	assert_int_equal (tf_store_put (writer, rec), CKR_OK);
	assert_int_equal (rec->store_id, id);

	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], rec);

	/* A row that is not there cannot be replaced. */
	rec->store_id = id + 100;
	assert_int_equal (tf_store_put (writer, rec), CKR_DEVICE_ERROR);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);

	seen_clear (&s);
	tf_record_free (rec);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_remove (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader, *late;
	tf_record *one, *two;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	one = make_record (1);
	two = make_record (2);
	assert_int_equal (tf_store_put (writer, one), CKR_OK);
	assert_int_equal (tf_store_put (writer, two), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 2);

	assert_int_equal (tf_store_remove (writer, one->store_id), CKR_OK);
	/* Removing what is not there is not an error. */
	assert_int_equal (tf_store_remove (writer, one->store_id), CKR_OK);
	assert_int_equal (tf_store_remove (writer, 12345), CKR_OK);

	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);
	assert_int_equal (s.n_gone, 1);
	assert_int_equal (s.gone[0], one->store_id);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);
	assert_int_equal (s.n_gone, 0);

	/* A connection opened later gets the survivor (and may hear of the dead). */
	late = open_store (fx->path);
	refresh (late, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], two);

	seen_clear (&s);
	tf_record_free (one);
	tf_record_free (two);
	tf_store_close (late);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_refresh_sees_other_commit (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *rec;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);

	rec = make_record (1);
	assert_int_equal (tf_store_put (writer, rec), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], rec);

	/* Nothing changed: nothing delivered, forced or not. */
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);
	refresh (reader, true, &s);
	assert_int_equal (s.n_recs, 0);

	seen_clear (&s);
	tf_record_free (rec);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_own_commit_not_redelivered (void **state)
{
	fixture *fx = *state;
	tf_store *store;
	tf_record *one, *two;
	seen s = {0};

	store = open_store (fx->path);
	refresh (store, false, &s);
	one = make_record (1);
	assert_int_equal (tf_store_put (store, one), CKR_OK);
	refresh (store, false, &s);
	assert_int_equal (s.n_recs, 0);
	refresh (store, true, &s);
	assert_int_equal (s.n_recs, 0);

	/* The same through begin / refresh / put / commit. */
	two = make_record (2);
	assert_int_equal (tf_store_begin (store), CKR_OK);
	refresh (store, false, &s);
	assert_int_equal (tf_store_put (store, two), CKR_OK);
	assert_int_equal (tf_store_remove (store, one->store_id), CKR_OK);
	assert_int_equal (tf_store_commit (store), CKR_OK);
	refresh (store, true, &s);
	assert_int_equal (s.n_recs, 0);
	assert_int_equal (s.n_gone, 0);

	seen_clear (&s);
	tf_record_free (one);
	tf_record_free (two);
	tf_store_close (store);
}

/* A write made without refreshing first must not hide another's commit. */
static void
test_write_without_refresh (void **state)
{
	fixture *fx = *state;
	tf_store *us, *them;
	tf_record *theirs, *ours;
	seen s = {0};

	us = open_store (fx->path);
	them = open_store (fx->path);
	refresh (us, false, &s);

	theirs = make_record (1);
	assert_int_equal (tf_store_put (them, theirs), CKR_OK);
	ours = make_record (2);
	assert_int_equal (tf_store_put (us, ours), CKR_OK);

	refresh (us, false, &s);
	assert_true (s.n_recs >= 1);
	assert_record_equal (s.recs[0], theirs);

	/* Inside a transaction, a refresh after begin brings us up to date. */
	tf_bytes_clear (&theirs->label);
	assert_int_equal (tf_store_put (them, theirs), CKR_OK);
	assert_int_equal (tf_store_begin (us), CKR_OK);
	refresh (us, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], theirs);
	assert_int_equal (tf_store_put (us, ours), CKR_OK);
	assert_int_equal (tf_store_commit (us), CKR_OK);
	refresh (us, false, &s);
	assert_int_equal (s.n_recs, 0);

	seen_clear (&s);
	tf_record_free (theirs);
	tf_record_free (ours);
	tf_store_close (them);
	tf_store_close (us);
}

static void
test_refresh_stops_on_error (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *one, *two;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	one = make_record (1);
	two = make_record (2);
	assert_int_equal (tf_store_put (writer, one), CKR_OK);
	assert_int_equal (tf_store_put (writer, two), CKR_OK);

	s.answer = CKR_HOST_MEMORY;
	assert_int_equal (tf_store_refresh (reader, false, &s, collect_record, collect_gone),
	                  CKR_HOST_MEMORY);
	assert_int_equal (s.n_recs, 1);

	/* Nothing was marked as seen: the next refresh delivers both. */
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 2);

	seen_clear (&s);
	tf_record_free (one);
	tf_record_free (two);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_newer_schema (void **state)
{
	fixture *fx = *state;

	tf_store_close (open_store (fx->path));
	raw_sql (fx->path, "PRAGMA user_version = 3");
	assert_refused (fx->path, CKR_TOKEN_NOT_RECOGNIZED);
	assert_logged ("has schema version 3, newer than this module's 2; refusing to touch it");
}

static void
test_not_a_store (void **state)
{
	fixture *fx = *state;
	unsigned char garbage[8192];
	size_t i;

	for (i = 0; i < sizeof (garbage); i++)
		garbage[i] = (unsigned char)("this is not a database\n"[i % 23]);
	write_file (fx->path, garbage, sizeof (garbage));
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged (fx->path);
}

static void
test_other_programs_database (void **state)
{
	fixture *fx = *state;

	raw_sql (fx->path, "CREATE TABLE t (a); INSERT INTO t VALUES (1)");
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged ("another program");

	raw_sql (fx->path, "PRAGMA application_id = 42");
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged ("another program");
}

/* The key of the store's key hashes is part of it: without it, the store is damaged. */
static void
test_hash_key_missing (void **state)
{
	fixture *fx = *state;

	tf_store_close (open_store (fx->path));
	raw_sql (fx->path, "DELETE FROM meta WHERE key = 'hash_key1'");
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged ("is damaged: its key is missing");
}

/* Each store makes its own key; lookups by every key kind find what was put. */
static void
test_hash_keys (void **state)
{
	fixture *fx = *state;
	tf_store *store;
	tf_record *rec;
	seen s = {0};
	char *other;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t keys[2] = {0, 0};
	int i;

	store = open_store (fx->path);
	rec = make_record (7);
	assert_int_equal (tf_store_put (store, rec), CKR_OK);
	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_ISSUER_SERIAL, rec->issuer.data,
					   rec->issuer.len, rec->serial.data, rec->serial.len, &s,
					   collect_record),
			  CKR_OK);
	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_SUBJECT, rec->subject.data,
					   rec->subject.len, NULL, 0, &s, collect_record),
			  CKR_OK);
	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_ID, rec->id.data, rec->id.len, NULL,
					   0, &s, collect_record),
			  CKR_OK);
	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_SHA1, rec->sha1, sizeof (rec->sha1),
					   NULL, 0, &s, collect_record),
			  CKR_OK);
	assert_int_equal (s.n_recs, 4);
	/* A serial one byte off is another key. */
	rec->serial.data[rec->serial.len - 1] ^= 1;
	assert_int_equal (tf_store_lookup (store, TF_STORE_BY_ISSUER_SERIAL, rec->issuer.data,
					   rec->issuer.len, rec->serial.data, rec->serial.len, &s,
					   collect_record),
			  CKR_OK);
	assert_int_equal (s.n_recs, 4);
	seen_clear (&s);
	tf_record_free (rec);
	tf_store_close (store);

	assert_true (asprintf (&other, "%s.other", fx->path) > 0);
	tf_store_close (open_store (other));
	for (i = 0; i < 2; i++) {
		assert_int_equal (sqlite3_open (i == 0 ? fx->path : other, &db), SQLITE_OK);
		assert_int_equal (sqlite3_prepare_v2 (db,
						      "SELECT value FROM meta WHERE key = 'hash_key0'",
						      -1, &stmt, NULL),
				  SQLITE_OK);
		assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
		keys[i] = sqlite3_column_int64 (stmt, 0);
		sqlite3_finalize (stmt);
		sqlite3_close (db);
	}
	assert_true (keys[0] != keys[1]);
	unlink (other);
	free (other);
}

static void
test_damaged (void **state)
{
	fixture *fx = *state;
	tf_store *store;
	tf_record *rec;
	unsigned char *data;
	size_t len;
	int i;

	store = open_store (fx->path);
	for (i = 1; i <= 40; i++) {
		rec = make_record (i);
		assert_int_equal (tf_store_put (store, rec), CKR_OK);
		tf_record_free (rec);
	}
	tf_store_close (store);

	/* Keep the header and schema page, wreck the tables behind them. */
	data = unit_read_file (fx->path, &len);
	assert_true (len > 3 * 4096);
	memset (data + 4096, 0x55, len - 4096);
	write_file (fx->path, data, len);
	free (data);
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged (fx->path);
}

static void
test_read_only_requested (void **state)
{
	fixture *fx = *state;
	tf_store *store = NULL;
	tf_record *rec;
	char *missing;
	seen s = {0};

	/* A missing store is not created for a read-only token. */
	missing = path_join (fx->dir, "missing/store.db");
	assert_int_equal (tf_store_open (missing, true, &store), CKR_DEVICE_ERROR);
	assert_null (store);
	assert_int_equal (access (missing, F_OK), -1);
	free (missing);

	store = open_store (fx->path);
	rec = make_record (1);
	assert_int_equal (tf_store_put (store, rec), CKR_OK);
	tf_store_close (store);

	store = NULL;
	assert_int_equal (tf_store_open (fx->path, true, &store), CKR_OK);
	assert_true (tf_store_read_only (store));
	refresh (store, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], rec);
	assert_int_equal (tf_store_put (store, rec), CKR_TOKEN_WRITE_PROTECTED);
	assert_int_equal (tf_store_remove (store, rec->store_id), CKR_TOKEN_WRITE_PROTECTED);
	assert_int_equal (tf_store_begin (store), CKR_TOKEN_WRITE_PROTECTED);

	seen_clear (&s);
	tf_record_free (rec);
	tf_store_close (store);
}

/*
 * In a child that is not root (root may write anything): a 0400 store in a
 * 0500 directory opens read-only and refuses writes. Returns the number of
 * the check that failed, 0 when all passed, 77 when it cannot run.
 */
static int
read_only_child (const fixture *fx)
{
	tf_store *store = NULL;
	tf_record *rec;
	char *dir, *path;
	seen s = {0};
	CK_RV rv;

	if (geteuid () == 0) {
		if (chown (fx->dir, 65534, 65534) != 0 || setgroups (0, NULL) != 0 ||
		    setgid (65534) != 0 || setuid (65534) != 0)
			return 77;
	}
	if (access (fx->dir, W_OK | X_OK) != 0)
		return 77;
	dir = path_join (fx->dir, "ro");
	path = path_join (dir, "store.db");

	if (tf_store_open (path, false, &store) != CKR_OK)
		return 1;
	rec = make_record (1);
	if (tf_store_put (store, rec) != CKR_OK)
		return 2;
	tf_store_close (store);
	if (chmod (path, 0400) != 0 || chmod (dir, 0500) != 0)
		return 3;

	store = NULL;
	rv = tf_store_open (path, false, &store);
	if (rv != CKR_OK)
		return 4;
	if (!tf_store_read_only (store))
		return 5;
	if (tf_store_refresh (store, false, &s, collect_record, collect_gone) != CKR_OK)
		return 6;
	if (s.n_recs != 1 || !tf_bytes_equal (&s.recs[0]->label, rec->label.data, rec->label.len))
		return 7;
	if (tf_store_put (store, rec) != CKR_TOKEN_WRITE_PROTECTED)
		return 8;
	if (tf_store_remove (store, rec->store_id) != CKR_TOKEN_WRITE_PROTECTED)
		return 9;
	tf_store_close (store);
	if (access (path, F_OK) != 0)
		return 10;

	seen_clear (&s);
	tf_record_free (rec);
	free (path);
	free (dir);
	return 0;
}

static void
test_read_only_permissions (void **state)
{
	fixture *fx = *state;
	int status;
	pid_t pid;

	fflush (NULL);
	pid = fork ();
	assert_true (pid >= 0);
	if (pid == 0)
		_exit (read_only_child (fx));
	assert_int_equal (waitpid (pid, &status, 0), pid);
	assert_true (WIFEXITED (status));
	if (WEXITSTATUS (status) == 77)
		skip ();
	assert_int_equal (WEXITSTATUS (status), 0);
}

static void
test_unique_conflict (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *one, *copy, *other, *recs[2];
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	one = make_record (1);
	assert_int_equal (tf_store_put (writer, one), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);

	/* The same issuer and serial again, as a new row. */
	copy = make_record (1);
	set_bytes (&copy->label, "a second opinion");
	assert_int_equal (tf_store_put (writer, copy), CKR_DEVICE_ERROR);
	assert_int_equal (copy->store_id, 0);
	assert_logged ("already holds a record with this issuer and serial number");

	/* Through put_new: as a record the store holds, and twice in one call. */
	recs[0] = copy;
	assert_int_equal (tf_store_put_new (writer, recs, 1), CKR_DEVICE_ERROR);
	assert_logged ("already holds a record with this issuer and serial number");
	recs[0] = make_record (3);
	recs[1] = make_record (3);
	set_bytes (&recs[1]->label, "the same, again");
	assert_int_equal (tf_store_put_new (writer, recs, 2), CKR_DEVICE_ERROR);
	assert_logged ("already holds a record with this issuer and serial number");
	tf_record_free (recs[0]);
	tf_record_free (recs[1]);
	assert_int_equal (copy->store_id, 0);

	/* The same inside a transaction, after a good put; the caller rolls back. */
	other = make_record (2);
	assert_int_equal (tf_store_begin (writer), CKR_OK);
	assert_int_equal (tf_store_put (writer, other), CKR_OK);
	assert_int_equal (tf_store_put (writer, copy), CKR_DEVICE_ERROR);
	tf_store_rollback (writer);

	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 0);
	refresh (reader, true, &s);
	assert_int_equal (s.n_recs, 0);
	tf_store_close (reader);
	reader = open_store (fx->path);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], one);

	seen_clear (&s);
	tf_record_free (one);
	tf_record_free (copy);
	tf_record_free (other);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_rollback (void **state)
{
	fixture *fx = *state;
	tf_store *writer, *reader;
	tf_record *one, *two, *three;
	seen s = {0};

	writer = open_store (fx->path);
	reader = open_store (fx->path);
	refresh (writer, false, &s);
	one = make_record (1);
	assert_int_equal (tf_store_put (writer, one), CKR_OK);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 1);

	two = make_record (2);
	assert_int_equal (tf_store_begin (writer), CKR_OK);
	refresh (writer, false, &s);
	assert_int_equal (tf_store_put (writer, two), CKR_OK);
	assert_int_equal (tf_store_remove (writer, one->store_id), CKR_OK);
	/* Reading our own uncommitted work must not count it as seen. */
	refresh (writer, true, &s);
	tf_store_rollback (writer);
	/* Rolling back twice, or with nothing open, is harmless. */
	tf_store_rollback (writer);

	refresh (reader, true, &s);
	assert_int_equal (s.n_recs, 0);
	assert_int_equal (s.n_gone, 0);

	/* The next transaction reuses the rolled-back seq; nobody misses it. */
	three = make_record (3);
	assert_int_equal (tf_store_put (reader, three), CKR_OK);
	refresh (writer, false, &s);
	assert_int_equal (s.n_recs, 1);
	assert_record_equal (s.recs[0], three);

	tf_store_close (reader);
	reader = open_store (fx->path);
	refresh (reader, false, &s);
	assert_int_equal (s.n_recs, 2);
	assert_record_equal (s.recs[0], one);
	assert_record_equal (s.recs[1], three);

	seen_clear (&s);
	tf_record_free (one);
	tf_record_free (two);
	tf_record_free (three);
	tf_store_close (reader);
	tf_store_close (writer);
}

static void
test_close_null (void **state)
{
	(void)state;
	tf_store_close (NULL);
}


/* A store someone else could have placed or could change is refused, untouched. */
static void
test_refuses_loose_stores (void **state)
{
	fixture *fx = *state;
	tf_store *store = NULL;
	char *link, *sub, *inner;
	struct stat st;

	store = open_store (fx->path);
	tf_store_close (store);

	/* A symbolic link to a good store. */
	link = path_join (fx->dir, "link.db");
	assert_int_equal (symlink (fx->path, link), 0);
	assert_int_equal (tf_store_open (link, false, &store), CKR_DEVICE_ERROR);
	assert_null (store);
	assert_logged ("is a symbolic link");

	/* Writable by the group or by others. */
	assert_int_equal (chmod (fx->path, 0620), 0);
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_logged ("may be written by other users");
	assert_int_equal (chmod (fx->path, 0606), 0);
	assert_refused (fx->path, CKR_DEVICE_ERROR);
	assert_int_equal (chmod (fx->path, 0600), 0);

	/* Owned by another user (not root): only root can arrange this here. */
	if (geteuid () == 0) {
		assert_int_equal (chown (fx->path, 65534, 65534), 0);
		assert_refused (fx->path, CKR_DEVICE_ERROR);
		assert_logged ("belongs to another user");
		assert_int_equal (chown (fx->path, 0, 0), 0);
	}

	/* A directory others may write: refused before anything is created in it. */
	sub = path_join (fx->dir, "open");
	assert_int_equal (mkdir (sub, 0700), 0);
	assert_int_equal (chmod (sub, 0777), 0);
	inner = path_join (sub, "store.db");
	assert_int_equal (tf_store_open (inner, false, &store), CKR_DEVICE_ERROR);
	assert_null (store);
	assert_logged ("may be written by other users");
	assert_int_equal (lstat (inner, &st), -1);

	/* And the good store still opens. */
	store = open_store (fx->path);
	tf_store_close (store);
	free (link);
	free (sub);
	free (inner);
}

/* Under a permissive umask the directories are 0700 and the file 0600 all the same. */
static void
test_modes_under_permissive_umask (void **state)
{
	fixture *fx = *state;
	tf_store *store = NULL;
	char *deep, *path;
	mode_t old = umask (0);

	deep = path_join (fx->dir, "a/b");
	path = path_join (deep, "store.db");
	store = open_store (path);
	umask (old);
	assert_mode (deep, 0700);
	assert_mode (path, 0600);
	tf_store_close (store);
	free (deep);
	free (path);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown (test_create_nested, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_round_trip_host_tombstones, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_update, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_put_over, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_keys_settle, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_keys_settle_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_put_new, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_checkpoint_at_4mb, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_upgrade_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_hash_key_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_hash_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_refresh_sees_other_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_own_commit_not_redelivered, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_write_without_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_refresh_stops_on_error, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_not_a_store, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_other_programs_database, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_damaged, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_read_only_requested, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_read_only_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_unique_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_refuses_loose_stores, setup, teardown),
	    cmocka_unit_test_setup_teardown (test_modes_under_permissive_umask, setup, teardown),
	    cmocka_unit_test (test_close_null),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
