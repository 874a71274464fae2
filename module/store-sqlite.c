/*
 * The SQLite backend of the storage interface (store.h), and the only file
 * that includes sqlite3.h.
 *
 * One file in WAL mode, application_id 'TrFD' and a schema version in
 * user_version (2; development builds wrote 1, which an open with write
 * access upgrades). Every row carries the sequence number
 * (meta 'seq') of the transaction that wrote it, and every removal leaves a
 * tombstone with one, so a connection that remembers the highest number it
 * has seen reads only what changed since. PRAGMA data_version tells, without
 * reading any table, whether another connection has committed at all.
 *
 * The file is untrusted input: anything that is not our store, is damaged, or
 * was written by a newer release is refused with a log line and never
 * written to.
 */
#include "store.h"

#include "log.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x)  STR_ (x)

/* 0x54724644, 'TrFD', in decimal because PRAGMA takes a plain integer. */
#define STORE_APPLICATION_ID  1416775236
#define STORE_SCHEMA_VERSION  2
#define STORE_BUSY_TIMEOUT_MS 10000
#define STORE_CHECKPOINT_BYTES (4 << 20) /* set_pragmas */

/* Columns of records, in SELECT order; INSERT and UPDATE bind ?N to column N. */
enum {
	COL_ID = 0,
	COL_SEQ,
	COL_DER,
	COL_ISSUER,
	COL_SERIAL,
	COL_SUBJECT,
	COL_CKAID,
	COL_LABEL,
	COL_EMAIL,
	COL_SHA1,
	COL_MD5,
	COL_HAS_TRUST,
	COL_TRUST_SERVER, /* then client, code, email: TF_PURPOSE_* order */
	COL_TRUST_CLIENT,
	COL_TRUST_CODE,
	COL_TRUST_EMAIL,
	COL_STEP_UP,
	COL_CATEGORY,
	COL_STAPLED_EKU,
	COL_HOSTS,
	COL_EXPIRES,
	COL_CREATED,
	COL_CREATOR,
	COL_SHA256,
	COL_SPKI_SHA1,
	COL_NOT_AFTER,
	COL_COUNT, /* also the ?N of the id in UPDATE */
};

/*
 * The keys a record is found by. Lookups go through 64-bit hashes of them (a
 * keyed SipHash, key_hash) rather than their bytes, which made every insert
 * descend and grow seven indexes of blobs a hundred bytes wide; a lookup
 * matches the hash, then the bytes themselves.
 *
 * Issuer + serial, one record each, is a column of records with a unique
 * index (INSERT and UPDATE bind it at ?ISSUER_SERIAL_PARAM). The other
 * keys live in two tables of (kind, hash, id), "keys" and "fresh_keys"; the
 * kind numbers below are part of the file format. A write adds its entries
 * to fresh_keys, which stays small; once it holds more than the store has
 * records (and at least STORE_FRESH_MIN entries), the commit moves them into
 * keys in one sorted pass. A batch of 2,000 certificates into a store of
 * 100,000 used to land at random places in five indexes of 100,000 entries,
 * whose every page it then rewrote, with the CPU waiting on cache misses for
 * each entry; now it writes five small trees, and the sorted move costs a
 * fraction of that, once per 20,000 certificates.
 */
enum {
	KEY_ISSUER_SERIAL,
	KEY_SUBJECT,
	KEY_CKAID,
	KEY_LABEL,
	KEY_SHA1,
	KEY_SPKI,
	KEY_COUNT,
};

/* ST_KEY_ADD and KEYED name the kinds by number, and bind the id at ?KEY_COUNT. */
_Static_assert (KEY_SUBJECT == 1 && KEY_CKAID == 2 && KEY_LABEL == 3 && KEY_SHA1 == 4 &&
			KEY_SPKI == 5 && KEY_COUNT == 6,
		"the kinds of keys are part of the file format");

#define ISSUER_SERIAL_PARAM (COL_COUNT + 1)
#define STORE_FRESH_MIN	    20000

/* The byte-string columns and where they live in a record. */
static const struct {
	int col;
	size_t offset;
	bool required; /* NOT NULL: an empty value is stored as an empty blob */
} byte_columns[] = {
    {COL_DER, offsetof (tf_record, der), false},
    {COL_ISSUER, offsetof (tf_record, issuer), true},
    {COL_SERIAL, offsetof (tf_record, serial), true},
    {COL_SUBJECT, offsetof (tf_record, subject), false},
    {COL_CKAID, offsetof (tf_record, id), false},
    {COL_LABEL, offsetof (tf_record, label), false},
    {COL_EMAIL, offsetof (tf_record, email), false},
    {COL_STAPLED_EKU, offsetof (tf_record, stapled_eku), false},
    {COL_SPKI_SHA1, offsetof (tf_record, spki_sha1), false},
};

#define N_BYTE_COLUMNS (sizeof (byte_columns) / sizeof (byte_columns[0]))

/* The tables of the keys but issuer + serial (version 2). */
#define KEY_TABLES_SQL                                                                    \
	"CREATE TABLE keys (kind INTEGER NOT NULL, h INTEGER NOT NULL, id INTEGER NOT NULL," \
	" PRIMARY KEY (kind, h, id)) WITHOUT ROWID;"                                         \
	"CREATE TABLE fresh_keys (kind INTEGER NOT NULL, h INTEGER NOT NULL,"                \
	" id INTEGER NOT NULL, PRIMARY KEY (kind, h, id)) WITHOUT ROWID;"                   \
	"INSERT INTO meta (key, value) VALUES ('fresh', 0);"

/* Schema version 2, created in one transaction with the header fields. */
/* clang-format off */
static const char schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
	"INSERT INTO meta (key, value) VALUES ('seq', 0);"
	"CREATE TABLE records ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" seq INTEGER NOT NULL,"
	" der BLOB,"
	" issuer BLOB NOT NULL,"
	" serial BLOB NOT NULL,"
	" subject BLOB,"
	" ckaid BLOB,"
	" label BLOB,"
	" email BLOB,"
	" sha1 BLOB,"
	" md5 BLOB,"
	" has_trust INTEGER NOT NULL,"
	" trust_server INTEGER,"
	" trust_client INTEGER,"
	" trust_code INTEGER,"
	" trust_email INTEGER,"
	" step_up INTEGER,"
	" category INTEGER,"
	" stapled_eku BLOB,"
	" hosts TEXT,"
	" expires INTEGER,"
	" created INTEGER,"
	" creator TEXT,"
	" sha256 BLOB,"
	" spki_sha1 BLOB,"
	" not_after INTEGER,"
	" issuer_serial_h INTEGER NOT NULL);"
	/*
	 * One record per issuer and serial, enforced on the hash of the two:
	 * keyed with the store's random key, no collision can be made on
	 * purpose without it, and one by chance is a 2^-64 event per pair.
	 */
	"CREATE UNIQUE INDEX records_issuer_serial ON records (issuer_serial_h);"
	"CREATE INDEX records_seq ON records (seq);"
	KEY_TABLES_SQL
	"CREATE TABLE tombstones (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);"
	"CREATE INDEX tombstones_seq ON tombstones (seq);"
	"PRAGMA application_id = " STR (STORE_APPLICATION_ID) ";"
	"PRAGMA user_version = " STR (STORE_SCHEMA_VERSION) ";";
/* clang-format on */

enum {
	ST_BEGIN_READ,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_DATA_VERSION,
	ST_SEQ_GET,
	ST_SEQ_SET,
	ST_RECORDS_SINCE,
	ST_GONE_SINCE,
	ST_INSERT,
	ST_UPDATE,
	ST_UPDATE_UNKEYED,
	ST_DELETE,
	ST_TOMBSTONE,
	ST_BY_ISSUER_SERIAL,
	ST_BY_SUBJECT,
	ST_BY_ID,
	ST_BY_LABEL,
	ST_BY_SHA1,
	ST_BY_SPKI,
	ST_ALL,
	ST_BY_STORE_ID,
	ST_KEY_ADD,
	ST_KEYS_ADD_ONE,
	ST_KEYS_ADD_MANY,
	ST_KEY_DROP,
	ST_FRESH_KEY_DROP,
	ST_FRESH_GET,
	ST_FRESH_SET,
	ST_MAX_ID,
	ST_SETTLE,
	ST_SETTLE_MERGE,
	ST_FRESH_CLEAR,
	ST_COUNT,
};

/* KEYS_PER_ADD rows of (kind, h, id) parameters, for entries added in order. */
#define KEYS_PER_ADD 64
#define KEY_ROW	     "(?, ?, ?)"
#define KEY_ROWS_8                                                                          \
	KEY_ROW ", " KEY_ROW ", " KEY_ROW ", " KEY_ROW ", " KEY_ROW ", " KEY_ROW ", " KEY_ROW \
		", " KEY_ROW
#define KEY_ROWS_64                                                                         \
	KEY_ROWS_8 ", " KEY_ROWS_8 ", " KEY_ROWS_8 ", " KEY_ROWS_8 ", " KEY_ROWS_8         \
		", " KEY_ROWS_8 ", " KEY_ROWS_8 ", " KEY_ROWS_8

/* fresh_keys in its own order, which is keys' order. */
#define FRESH_IN_ORDER " SELECT kind, h, id FROM fresh_keys ORDER BY kind, h, id"

/* The ids of the records with a key of kind k whose hash is ?3, in both tables. */
#define KEYED(k)                                                                    \
	"SELECT id FROM keys WHERE kind = " #k " AND h = ?3 UNION ALL"              \
	" SELECT id FROM fresh_keys WHERE kind = " #k " AND h = ?3"

static const char *const statement_sql[ST_COUNT] = {
    [ST_BEGIN_READ] = "BEGIN",
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_SEQ_GET] = "SELECT value FROM meta WHERE key = 'seq'",
    [ST_SEQ_SET] = "UPDATE meta SET value = ?1 WHERE key = 'seq'",
    [ST_RECORDS_SINCE] = "SELECT id, seq, der, issuer, serial, subject, ckaid, label, email,"
                         " sha1, md5, has_trust, trust_server, trust_client, trust_code,"
                         " trust_email, step_up, category, stapled_eku, hosts, expires,"
                         " created, creator, sha256, spki_sha1, not_after"
                         " FROM records WHERE seq > ?1 ORDER BY seq, id",
    [ST_GONE_SINCE] = "SELECT id FROM tombstones WHERE seq > ?1 ORDER BY seq, id",
    [ST_INSERT] = "INSERT INTO records (seq, der, issuer, serial, subject, ckaid, label,"
                  " email, sha1, md5, has_trust, trust_server, trust_client, trust_code,"
                  " trust_email, step_up, category, stapled_eku, hosts, expires, created,"
                  " creator, sha256, spki_sha1, not_after, issuer_serial_h)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                  " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?27)",
    [ST_UPDATE] = "UPDATE records SET seq = ?1, der = ?2, issuer = ?3, serial = ?4,"
                  " subject = ?5, ckaid = ?6, label = ?7, email = ?8, sha1 = ?9, md5 = ?10,"
                  " has_trust = ?11, trust_server = ?12, trust_client = ?13,"
                  " trust_code = ?14, trust_email = ?15, step_up = ?16, category = ?17,"
                  " stapled_eku = ?18, hosts = ?19, expires = ?20, created = ?21,"
                  " creator = ?22, sha256 = ?23, spki_sha1 = ?24, not_after = ?25,"
                  " issuer_serial_h = ?27"
                  " WHERE id = ?26",
    /* The same, for a row whose indexed columns (but seq) stay as they are. */
    [ST_UPDATE_UNKEYED] = "UPDATE records SET seq = ?1, der = ?2, email = ?8, md5 = ?10,"
                  " has_trust = ?11, trust_server = ?12, trust_client = ?13,"
                  " trust_code = ?14, trust_email = ?15, step_up = ?16, category = ?17,"
                  " stapled_eku = ?18, hosts = ?19, expires = ?20, created = ?21,"
                  " creator = ?22, sha256 = ?23, not_after = ?25"
                  " WHERE id = ?26",
    [ST_DELETE] = "DELETE FROM records WHERE id = ?1",
    [ST_TOMBSTONE] = "INSERT OR REPLACE INTO tombstones (id, seq) VALUES (?1, ?2)",
#define RECORD_COLUMNS                                                                       \
	"SELECT id, seq, der, issuer, serial, subject, ckaid, label, email, sha1, md5,"       \
	" has_trust, trust_server, trust_client, trust_code, trust_email, step_up, category," \
	" stapled_eku, hosts, expires, created, creator, sha256, spki_sha1, not_after"  \
	" FROM records"
    /* ?3 is the key's hash (key_hash), which the index finds. */
    [ST_BY_ISSUER_SERIAL] = RECORD_COLUMNS
        " WHERE issuer_serial_h = ?3 AND issuer = ?1 AND serial = ?2",
    [ST_BY_SUBJECT] = RECORD_COLUMNS " WHERE id IN (" KEYED (1) ") AND subject = ?1",
    [ST_BY_ID] = RECORD_COLUMNS " WHERE id IN (" KEYED (2) ") AND ckaid = ?1",
    [ST_BY_LABEL] = RECORD_COLUMNS " WHERE id IN (" KEYED (3) ") AND label = ?1",
    [ST_BY_SHA1] = RECORD_COLUMNS " WHERE id IN (" KEYED (4) ") AND sha1 = ?1"
                   " AND der IS NOT NULL",
    [ST_BY_SPKI] = RECORD_COLUMNS " WHERE id IN (" KEYED (5) ") AND spki_sha1 = ?1",
    [ST_ALL] = RECORD_COLUMNS,
    [ST_BY_STORE_ID] = RECORD_COLUMNS " WHERE id = ?1",
    /*
     * A record's entries in one statement: ?k is the hash of kind k, NULL
     * (unbound) for an empty key, whose row the NOT NULL constraint then
     * skips. An entry is there or not: adding one twice, or dropping one
     * that is not there, is no error.
     */
    [ST_KEY_ADD] = "INSERT OR IGNORE INTO fresh_keys (kind, h, id) VALUES (1, ?1, ?6),"
                   " (2, ?2, ?6), (3, ?3, ?6), (4, ?4, ?6), (5, ?5, ?6)",
    [ST_KEYS_ADD_ONE] = "INSERT OR IGNORE INTO fresh_keys (kind, h, id) VALUES " KEY_ROW,
    [ST_KEYS_ADD_MANY] = "INSERT OR IGNORE INTO fresh_keys (kind, h, id) VALUES " KEY_ROWS_64,
    [ST_KEY_DROP] = "DELETE FROM keys WHERE kind = ?1 AND h = ?2 AND id = ?3",
    [ST_FRESH_KEY_DROP] = "DELETE FROM fresh_keys WHERE kind = ?1 AND h = ?2 AND id = ?3",
    [ST_FRESH_GET] = "SELECT value FROM meta WHERE key = 'fresh'",
    [ST_FRESH_SET] = "UPDATE meta SET value = ?1 WHERE key = 'fresh'",
    [ST_MAX_ID] = "SELECT coalesce(max(id), 0) FROM records",
    /*
     * fresh_keys is read in its own order, which is keys' order: one pass,
     * no sort. An entry is never in both tables (a changed row's entries
     * leave both before its new ones come), so no conflict is looked for:
     * OR IGNORE would cost a second search per entry, and more than double
     * the time. Should one be there after all, the merge does look.
     */
    [ST_SETTLE] = "INSERT INTO keys (kind, h, id)" FRESH_IN_ORDER,
    [ST_SETTLE_MERGE] = "INSERT OR IGNORE INTO keys (kind, h, id)" FRESH_IN_ORDER,
    [ST_FRESH_CLEAR] = "DELETE FROM fresh_keys",
};

/* The WAL-index header: two 48-byte copies (SQLite's file format, "WAL-Index Format"). */
#define TF_SHM_HEADER 96
/* What is mapped of the -shm file: less than SQLite's first 32 KiB region. */
#define SHM_MAP_SIZE 4096

struct tf_store {
	struct tf_store_base base; /* first, for store.c */
	sqlite3 *db;
	char *path;
	bool read_only;
	sqlite3_stmt *stmts[ST_COUNT];

	/* busy_wait's: when the current wait began, and its jitter's state. */
	struct timespec busy_since;
	uint64_t busy_rand;

	bool old_schema; /* the file has schema version 1: open upgrades it */

	/* SipHash key of the key hashes, read from meta at open. */
	uint64_t hash_k0, hash_k1;

	/* What this connection has seen. */
	bool refreshed;       /* a refresh has completed since open */
	int64_t last_seq;     /* every row and tombstone up to this seq was delivered */
	int64_t data_version; /* PRAGMA data_version at that point */

	/*
	 * The WAL index's two header copies (the start of the -shm file), as
	 * they were when data_version was last read. Every commit, by any
	 * process, rewrites them, so while they read the same nothing can have
	 * changed, and a search needs no SQLite call to know it.
	 */
	bool immutable; /* opened ?immutable=1: no WAL index to watch */
	bool moved;	/* the file at the path is no longer the one open */
	int shm_fd; /* the -shm file, read-only; -1 when not open */
	const unsigned char *shm_map; /* its first page, mapped; NULL until mapped */
	unsigned char shm_seen[TF_SHM_HEADER];
	bool shm_valid;

	/* The open write transaction, if any. */
	bool in_txn;
	int64_t txn_base; /* meta seq before this transaction wrote */
	int64_t txn_seq;  /* the seq it stamps rows with; 0 until it writes */
	int64_t txn_fresh; /* the entries it added to fresh_keys */

	/* While put_new writes: the entries of its records, added in order at its end. */
	bool gather_keys;
	struct key_row *gathered;
	size_t n_gathered, cap_gathered;
};

/*
 * The one place SQLite result codes become CK_RV, with the detail logged.
 * Must be called before anything else touches the connection, so that
 * sqlite3_errmsg still describes rc.
 */
/*
 * Why a write failed, as an errno. SQLite's own record of it is not to be
 * trusted (it reads errno after other calls), so the likely causes are
 * looked at directly: no space left, or the process's file size limit.
 */
static int
io_errno (tf_store *store)
{
	struct statvfs fs;
	struct rlimit limit;
	struct stat st;
	char *wal = NULL;
	int err = store->db != NULL ? sqlite3_system_errno (store->db) : 0;

	if (err == ENOSPC || err == EFBIG || err == EDQUOT || err == EROFS)
		return err;
	if (statvfs (store->path, &fs) == 0 && fs.f_bavail == 0)
		return ENOSPC;
	if (getrlimit (RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
		/* Near the limit: the write that failed would have passed it. */
		if ((stat (store->path, &st) == 0 && (rlim_t)st.st_size + 65536 >= limit.rlim_cur) ||
		    (asprintf (&wal, "%s-wal", store->path) >= 0 && stat (wal, &st) == 0 &&
		     (rlim_t)st.st_size + 65536 >= limit.rlim_cur))
			err = EFBIG;
		free (wal);
	}
	return err;
}

static CK_RV
sql_error (tf_store *store, int rc, const char *what)
{
	const char *hint = "";
	CK_RV rv;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		hint = " (the disk is full)";
		rv = CKR_DEVICE_MEMORY;
		break;
	case SQLITE_READONLY:
		hint = " (the store cannot be written)";
		rv = CKR_TOKEN_WRITE_PROTECTED;
		break;
	case SQLITE_NOMEM:
		rv = CKR_HOST_MEMORY;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hint = " (the store is locked by another process)";
		rv = CKR_DEVICE_ERROR;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		hint = " (damaged, or not a trustfolder store; left as it is)";
		rv = CKR_DEVICE_ERROR;
		break;
	case SQLITE_IOERR:
		/* The OS's reason says more than "disk I/O error". */
		switch (io_errno (store)) {
		case ENOSPC:
			hint = " (the disk is full)";
			rv = CKR_DEVICE_MEMORY;
			break;
		case EFBIG:
			hint = " (the file size limit was reached)";
			rv = CKR_DEVICE_MEMORY;
			break;
		case EDQUOT:
			hint = " (the disk quota is exhausted)";
			rv = CKR_DEVICE_MEMORY;
			break;
		case EROFS:
		case EACCES:
		case EPERM:
			hint = " (the store cannot be written)";
			rv = CKR_TOKEN_WRITE_PROTECTED;
			break;
		default:
			rv = CKR_DEVICE_ERROR;
			break;
		}
		break;
	default:
		rv = CKR_DEVICE_ERROR;
		break;
	}
	tf_error ("store %s: %s: %s%s", store->path, what,
	          store->db != NULL ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc), hint);
	tf_debug ("store %s: SQLite code %d, system error %d", store->path, rc,
	          store->db != NULL ? sqlite3_system_errno (store->db) : 0);
	return rv;
}

static CK_RV
write_protected (tf_store *store)
{
	tf_warn ("store %s is read-only; nothing was written", store->path);
	return CKR_TOKEN_WRITE_PROTECTED;
}

/* Makes a cached statement ready for its next use. */
static void
stmt_done (sqlite3_stmt *stmt)
{
	sqlite3_reset (stmt);
	sqlite3_clear_bindings (stmt);
}

/* Steps a cached statement that returns no row we need (bound by the caller). */
static CK_RV
run (tf_store *store, int which, const char *what)
{
	sqlite3_stmt *stmt = store->stmts[which];
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_step (stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rv = sql_error (store, rc, what);
	stmt_done (stmt);
	return rv;
}

/* run, with value bound at ?1. */
static CK_RV
run_with (tf_store *store, int which, int64_t value, const char *what)
{
	int rc;

	rc = sqlite3_bind_int64 (store->stmts[which], 1, value);
	if (rc != SQLITE_OK) {
		CK_RV rv = sql_error (store, rc, what);

		stmt_done (store->stmts[which]);
		return rv;
	}
	return run (store, which, what);
}

/* Runs a one-off statement whose first row's first column is an integer. */
static int
query_int (sqlite3 *db, const char *sql, int64_t *value)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_step (stmt);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64 (stmt, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_CORRUPT;
	}
out:
	sqlite3_finalize (stmt);
	return rc;
}

/* The integer one cached statement returns (meta seq, data_version). */
static CK_RV
read_int (tf_store *store, int which, const char *what, int64_t *value)
{
	sqlite3_stmt *stmt = store->stmts[which];
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_step (stmt);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64 (stmt, 0);
	} else if (rc == SQLITE_DONE) {
		tf_error ("store %s is damaged: %s found nothing; left as it is", store->path,
		          what);
		rv = CKR_DEVICE_ERROR;
	} else {
		rv = sql_error (store, rc, what);
	}
	stmt_done (stmt);
	return rv;
}

/*
 * mkdir -p of dir: creates only the missing components, each 0700 whatever
 * the umask. dir is modified while walking and restored.
 */
static CK_RV
make_dirs (tf_store *store, char *dir)
{
	char *p;
	char saved;

	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir (dir, 0700) == 0) {
			if (chmod (dir, 0700) != 0)
				tf_warn ("store %s: cannot make directory %s private: %s",
				         store->path, dir, strerror (errno));
		} else if (errno != EEXIST) {
			tf_error ("store %s: cannot create directory %s: %s", store->path, dir,
			          strerror (errno));
			*p = saved;
			return CKR_DEVICE_ERROR;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return CKR_OK;
}

/* Creates the empty store file 0600, whatever the umask. */
static CK_RV
create_file (tf_store *store)
{
	int fd;

	fd = open (store->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		/* Another process was quicker; the file is theirs as they made it. */
		if (errno == EEXIST)
			return CKR_OK;
		tf_error ("store %s: cannot create it: %s", store->path, strerror (errno));
		return CKR_DEVICE_ERROR;
	}
	if (fchmod (fd, 0600) != 0)
		tf_warn ("store %s: cannot set its mode to 0600: %s", store->path,
		         strerror (errno));
	close (fd);
	return CKR_OK;
}

/*
 * Refuses a store that someone else could have put there or could change
 * under us, as ssh refuses loose key files: a symbolic link, a file or
 * directory owned by another user (root excepted: a system-wide store), or
 * one that the group or others may write.
 */
static CK_RV
check_ownership (tf_store *store, const char *dir)
{
	struct stat st;
	uid_t me = geteuid ();

	if (lstat (store->path, &st) == 0) {
		if (S_ISLNK (st.st_mode)) {
			tf_error ("store %s is a symbolic link; refusing it (name the real file "
			          "instead)",
			          store->path);
			return CKR_DEVICE_ERROR;
		}
		if (!S_ISREG (st.st_mode)) {
			tf_error ("store %s is not a regular file; refusing it", store->path);
			return CKR_DEVICE_ERROR;
		}
		if (st.st_uid != me && st.st_uid != 0) {
			tf_error ("store %s belongs to another user (uid %lu); refusing it",
			          store->path, (unsigned long)st.st_uid);
			return CKR_DEVICE_ERROR;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			tf_error ("store %s may be written by other users (mode %04o); refusing "
			          "it (chmod 600 it)",
			          store->path, (unsigned)(st.st_mode & 07777));
			return CKR_DEVICE_ERROR;
		}
	} else if (errno != ENOENT) {
		tf_error ("store %s: cannot look at it: %s", store->path, strerror (errno));
		return CKR_DEVICE_ERROR;
	}
	if (stat (dir, &st) == 0) {
		if (st.st_uid != me && st.st_uid != 0) {
			tf_error ("store %s: its directory %s belongs to another user (uid %lu); "
			          "refusing it",
			          store->path, dir, (unsigned long)st.st_uid);
			return CKR_DEVICE_ERROR;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			tf_error ("store %s: its directory %s may be written by other users "
			          "(mode %04o); refusing it (chmod 700 it)",
			          store->path, dir, (unsigned)(st.st_mode & 07777));
			return CKR_DEVICE_ERROR;
		}
	}
	return CKR_OK;
}

/*
 * Before SQLite sees the path: creates the directory and the file when they
 * are missing, and decides whether the store can be written. WAL needs to
 * create files next to the store, so a read-only directory makes the store
 * read-only too.
 */
static CK_RV
prepare_file (tf_store *store)
{
	struct stat st;
	char *copy = NULL;
	char *dir;
	CK_RV rv = CKR_OK;

	copy = strdup (store->path);
	if (copy == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	dir = dirname (copy);

	rv = check_ownership (store, dir);
	if (rv != CKR_OK)
		goto out;
	if (stat (store->path, &st) == 0) {
		if (store->read_only)
			goto out;
		if (faccessat (AT_FDCWD, store->path, W_OK, AT_EACCESS) != 0) {
			tf_info ("store %s cannot be written (%s); opening it read-only",
			         store->path, strerror (errno));
			store->read_only = true;
		} else if (faccessat (AT_FDCWD, dir, W_OK, AT_EACCESS) != 0) {
			tf_info ("store %s: its directory cannot be written (%s); opening it "
			         "read-only",
			         store->path, strerror (errno));
			store->read_only = true;
		}
		goto out;
	}
	if (errno != ENOENT) {
		tf_error ("store %s: cannot look at it: %s", store->path, strerror (errno));
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if (store->read_only) {
		tf_error ("store %s does not exist, and a read-only store is not created",
		          store->path);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	rv = make_dirs (store, dir);
	if (rv == CKR_OK)
		rv = check_ownership (store, dir);
	if (rv != CKR_OK)
		goto out;
	rv = create_file (store);
out:
	free (copy);
	return rv;
}

/* "file:" and the path percent-encoded, with ?immutable=1. NULL when out of memory. */
static char *
immutable_uri (const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char prefix[] = "file:";
	static const char suffix[] = "?immutable=1";
	const unsigned char *p;
	char *uri;
	char *o;

	uri = malloc (sizeof (prefix) + 3 * strlen (path) + sizeof (suffix));
	if (uri == NULL)
		return NULL;
	o = uri;
	memcpy (o, prefix, sizeof (prefix) - 1);
	o += sizeof (prefix) - 1;
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr ("/-._~", *p) != NULL) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0x0f];
		}
	}
	memcpy (o, suffix, sizeof (suffix));
	return uri;
}

/*
 * Opens the connection. SQLite never creates the file (prepare_file did), so
 * a path that vanished in between is an error, not a new empty store.
 */
/*
 * Waits for another connection's lock, up to STORE_BUSY_TIMEOUT_MS, in short
 * sleeps of random length (0.2 to 2 ms). SQLite's own busy timeout sleeps
 * ever longer between tries, up to 100 ms: a process committing decision
 * after decision then holds the lock at nearly every try, and the waiter
 * starves until it gives up ("database is locked", seen under
 * ThreadSanitizer's slowdown in the threads-with-writer stress test). Short
 * jittered tries find the gaps between the other's transactions.
 */
static int
busy_wait (void *ctx, int tries)
{
	tf_store *store = ctx;
	struct timespec now;
	int64_t waited_ms;

	clock_gettime (CLOCK_MONOTONIC, &now);
	if (tries == 0)
		store->busy_since = now;
	waited_ms = (int64_t)(now.tv_sec - store->busy_since.tv_sec) * 1000 +
	            (now.tv_nsec - store->busy_since.tv_nsec) / 1000000;
	if (waited_ms >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	store->busy_rand = store->busy_rand * 6364136223846793005ULL + 1442695040888963407ULL;
	usleep (200 + (useconds_t)((store->busy_rand >> 33) % 1800));
	return 1;
}

static CK_RV
connect_db (tf_store *store, bool immutable)
{
	char *uri = NULL;
	int flags;
	int rc;
	CK_RV rv = CKR_OK;

	flags = store->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	/* Every call is made under the module's lock: SQLite's own mutexes only cost. */
	flags |= SQLITE_OPEN_NOMUTEX;
	store->immutable = immutable;
	if (immutable) {
		uri = immutable_uri (store->path);
		if (uri == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		flags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2 (uri != NULL ? uri : store->path, &store->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "cannot open it");
		goto out;
	}
	sqlite3_extended_result_codes (store->db, 1);
	sqlite3_busy_handler (store->db, busy_wait, store);
	/* SQLite falls back to read-only by itself when the OS says no. */
	if (!store->read_only && sqlite3_db_readonly (store->db, "main") == 1) {
		tf_info ("store %s cannot be written; opened read-only", store->path);
		store->read_only = true;
	}
out:
	free (uri);
	return rv;
}

static bool still_there (tf_store *store);

/* true when the -shm file at the store's path is the one this connection has open. */
static bool
own_wal_index (tf_store *store)
{
	struct stat mine, there;
	char *shm = NULL;
	bool same;

	if (fstat (store->shm_fd, &mine) != 0 || asprintf (&shm, "%s-shm", store->path) < 0)
		return false;
	same = stat (shm, &there) == 0 && there.st_dev == mine.st_dev && there.st_ino == mine.st_ino;
	free (shm);
	return same;
}

static void
remove_wal (tf_store *store)
{
	char *path = NULL;

	if (asprintf (&path, "%s-wal", store->path) >= 0) {
		unlink (path);
		free (path);
	}
	if (asprintf (&path, "%s-shm", store->path) >= 0) {
		unlink (path);
		free (path);
	}
	tf_warn ("store %s: removed the WAL of the store that was replaced, so that the new "
	         "one is read as it is",
	         store->path);
}

static void
disconnect_db (tf_store *store)
{
	bool stale = false;
	int rc;
	int i;

	store->shm_valid = false;
	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize (store->stmts[i]);
		store->stmts[i] = NULL;
	}
	/*
	 * A store replaced while in use: SQLite leaves this connection's WAL
	 * behind (it will not checkpoint into a moved file), at the path where
	 * the next process would apply it to the new store. Take it away, if it
	 * is still this connection's (its -shm is the one open here).
	 */
	if (store->db != NULL && store->shm_fd >= 0 && !still_there (store))
		stale = own_wal_index (store);
	if (store->db != NULL) {
		rc = sqlite3_close (store->db);
		if (rc != SQLITE_OK)
			tf_warn ("store %s: closing it: %s", store->path, sqlite3_errstr (rc));
		store->db = NULL;
	}
	if (store->shm_map != NULL)
		munmap ((void *)store->shm_map, SHM_MAP_SIZE);
	store->shm_map = NULL;
	/* Only now: closing it earlier would have dropped SQLite's locks on the file. */
	if (store->shm_fd >= 0)
		close (store->shm_fd);
	store->shm_fd = -1;
	if (stale)
		remove_wal (store);
}

/*
 * Reads the header fields: *empty when the file holds nothing yet (a file we
 * just created, or an empty one), else the store must be ours, at a version
 * this module knows.
 */
static CK_RV
inspect (tf_store *store, bool *empty)
{
	int64_t app_id = 0;
	int64_t version = 0;
	int64_t objects = 0;
	int rc;

	*empty = false;
	rc = query_int (store->db, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = query_int (store->db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int (store->db, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc != SQLITE_OK)
		return sql_error (store, rc, "reading its header");

	if (app_id == 0 && version == 0 && objects == 0) {
		*empty = true;
		return CKR_OK;
	}
	if (app_id != STORE_APPLICATION_ID) {
		tf_error ("store %s is a SQLite database of another program (application id "
		          "%#llx); refusing to touch it",
		          store->path, (unsigned long long)app_id);
		return CKR_DEVICE_ERROR;
	}
	if (version > STORE_SCHEMA_VERSION) {
		tf_error ("store %s has schema version %lld, newer than this module's %d; "
		          "refusing to touch it",
		          store->path, (long long)version, STORE_SCHEMA_VERSION);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (version < 1) {
		tf_error ("store %s has schema version %lld, which no release wrote; refusing "
		          "to touch it",
		          store->path, (long long)version);
		return CKR_DEVICE_ERROR;
	}
	store->old_schema = version < STORE_SCHEMA_VERSION;
	return CKR_OK;
}

static CK_RV
check_integrity (tf_store *store)
{
	static const char *const probes[] = {
		"SELECT value FROM meta WHERE key = 'seq'",
		"SELECT max(id) FROM records",
		"SELECT max(seq) FROM records",
		"SELECT max(id) FROM tombstones",
	};
	int64_t value;
	size_t i;
	int rc;

	/*
	 * Not PRAGMA quick_check: it reads the whole file, and opening must not
	 * grow with the store. These reach the root and the last leaf of each
	 * table and of the index searches start from; damage deeper down shows
	 * as CKR_DEVICE_ERROR, with a log line, when a search reaches it.
	 */
	for (i = 0; i < sizeof (probes) / sizeof (probes[0]); i++) {
		rc = query_int (store->db, probes[i], &value);
		if (rc != SQLITE_OK && rc != SQLITE_DONE) {
			tf_error ("store %s is damaged (%s); left as it is", store->path,
			          sqlite3_errmsg (store->db));
			return CKR_DEVICE_ERROR;
		}
	}
	return CKR_OK;
}

/* Connection settings for a store that is known to be ours (or empty). */
static CK_RV
set_pragmas (tf_store *store)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	int64_t page_size;
	CK_RV rv = CKR_OK;
	int tries;
	int rc;

	rc = sqlite3_exec (store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "setting synchronous=FULL");
		goto out;
	}
	if (store->read_only)
		goto out;
	/*
	 * A batch dirties more pages than the default 2 MB cache holds; SQLite
	 * would then write them to the WAL mid-transaction and again at the
	 * commit. Dirty pages may fill 16 MB before that; clean ones still
	 * keep to the default size.
	 */
	rc = sqlite3_exec (store->db, "PRAGMA cache_spill = 4096", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "setting cache_spill");
		goto out;
	}
	/*
	 * 16 KB pages, for a new store (an existing file keeps its own). With
	 * schema 1, a batch of 2,000 certificates into a store of 100,000
	 * dirtied nearly every leaf of six indexes of random hash keys; the
	 * checkpoint at its commit then wrote some 4,900 scattered 4 KB pages
	 * and waited 140 ms for the fsync of the database. In 16 KB pages the
	 * same bytes are a quarter as many writes: the commit went from about
	 * 220 to 55 ms, and the import from 6,300 to 14,000 certificates a
	 * second. Loading a key reads more bytes per page, which the first
	 * search of a key barely notices. It must come before the switch to
	 * WAL, which writes the first page.
	 */
	rc = sqlite3_exec (store->db, "PRAGMA page_size = 16384", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "setting the page size");
		goto out;
	}
	rc = sqlite3_prepare_v2 (store->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
	/*
	 * Switching a new store to WAL needs it to itself for a moment, and the
	 * busy handler is not asked: another process opening the same new
	 * store at the same moment answers SQLITE_BUSY. Wait as for a writer.
	 */
	for (tries = 0; rc == SQLITE_OK; tries++) {
		rc = sqlite3_step (stmt);
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    tries * 10 >= STORE_BUSY_TIMEOUT_MS)
			break;
		sqlite3_reset (stmt);
		rc = SQLITE_OK;
		usleep (10000);
	}
	if (rc != SQLITE_ROW) {
		rv = sql_error (store, rc, "switching to a WAL journal");
		goto out;
	}
	mode = sqlite3_column_text (stmt, 0);
	if (mode == NULL || strcmp ((const char *)mode, "wal") != 0)
		tf_warn ("store %s: cannot use a WAL journal (journal mode is %s); readers "
		         "will wait for writers",
		         store->path, mode != NULL ? (const char *)mode : "unknown");
	/*
	 * Copy the WAL into the database once it holds STORE_CHECKPOINT_BYTES:
	 * SQLite's own 1000 pages, meant as 4 MB of 4 KB pages, are 16 MB of
	 * the store's. The copy is made by the commit that crosses the mark,
	 * and took some 30 ms at 16 MB; at 4 MB a commit pays less, more often.
	 * In the bench's run at 100,000 (300 decisions, then three batches of
	 * 2,000), side by side over four runs each: a decision's p99 went from
	 * 6.3-7.3 to 2.7-4.1 ms, and the three batches together from 19,200-
	 * 23,900 to 19,000-29,800 certificates a second.
	 */
	if (query_int (store->db, "PRAGMA page_size", &page_size) == SQLITE_OK && page_size > 0)
		sqlite3_wal_autocheckpoint (store->db, (int)(STORE_CHECKPOINT_BYTES / page_size));
out:
	sqlite3_finalize (stmt);
	return rv;
}

/* The store's SipHash key, made at random when the store is. */
static CK_RV
create_hash_key (tf_store *store)
{
	uint64_t key[2];
	char sql[160];
	int rc;

	if (getrandom (key, sizeof (key), 0) != (ssize_t)sizeof (key)) {
		tf_error ("store %s: no random bytes for its key (%s)", store->path,
		          strerror (errno));
		return CKR_FUNCTION_FAILED;
	}
	snprintf (sql, sizeof (sql),
	          "INSERT INTO meta (key, value) VALUES ('hash_key0', %lld), ('hash_key1', %lld)",
	          (long long)key[0], (long long)key[1]);
	rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_error (store, rc, "writing its key");
	return CKR_OK;
}

/* Reads the store's SipHash key; a store without one is damaged. */
static CK_RV
read_hash_key (tf_store *store)
{
	int64_t k0 = 0, k1 = 0;
	int rc;

	rc = query_int (store->db, "SELECT value FROM meta WHERE key = 'hash_key0'", &k0);
	if (rc == SQLITE_OK)
		rc = query_int (store->db, "SELECT value FROM meta WHERE key = 'hash_key1'", &k1);
	if (rc == SQLITE_CORRUPT) {
		tf_error ("store %s is damaged: its key is missing", store->path);
		return CKR_DEVICE_ERROR;
	}
	if (rc != SQLITE_OK)
		return sql_error (store, rc, "reading its key");
	store->hash_k0 = (uint64_t)k0;
	store->hash_k1 = (uint64_t)k1;
	return CKR_OK;
}

/* Writes schema version 1 into an empty store, in one transaction. */
static CK_RV
create_schema (tf_store *store)
{
	bool empty;
	CK_RV rv;
	int rc;

	rc = sqlite3_exec (store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_error (store, rc, "starting to create it");

	/* Another process may have created it while we waited for the lock. */
	rv = inspect (store, &empty);
	if (rv == CKR_OK && empty) {
		rc = sqlite3_exec (store->db, schema_sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			rv = sql_error (store, rc, "creating its tables");
	}
	if (rv == CKR_OK && empty)
		rv = create_hash_key (store);
	if (rv == CKR_OK) {
		rc = sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			rv = sql_error (store, rc, "committing its tables");
	}
	if (rv != CKR_OK)
		sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
	return rv;
}

/*
 * Version 1 kept the keys but issuer + serial as five hash columns of
 * records, each with an index (a development build's store: no release wrote
 * one). Moves them into the key tables, computed again from the rows, in one
 * transaction: a failure leaves the file at version 1.
 */
/* clang-format off */
static const char upgrade_sql[] =
	"DROP INDEX records_subject; DROP INDEX records_ckaid; DROP INDEX records_label;"
	"DROP INDEX records_sha1; DROP INDEX records_spki;"
	"ALTER TABLE records DROP COLUMN subject_h; ALTER TABLE records DROP COLUMN ckaid_h;"
	"ALTER TABLE records DROP COLUMN label_h; ALTER TABLE records DROP COLUMN sha1_h;"
	"ALTER TABLE records DROP COLUMN spki_h;"
	"INSERT INTO keys (kind, h, id)" FRESH_IN_ORDER ";"
	"DELETE FROM fresh_keys;"
	"PRAGMA user_version = " STR (STORE_SCHEMA_VERSION) ";";
/* clang-format on */

static CK_RV read_record (tf_store *store, sqlite3_stmt *stmt, tf_record **out);
static CK_RV add_keys (tf_store *store, sqlite3_stmt *add, const tf_record *rec);

static CK_RV
upgrade_schema (tf_store *store)
{
	sqlite3_stmt *rows = NULL, *add = NULL;
	int64_t version = 0;
	tf_record *rec;
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_exec (store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_error (store, rc, "starting to upgrade it");
	/* Another process may have upgraded it while we waited for the lock. */
	rc = query_int (store->db, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "reading its version");
		goto out;
	}
	if (version != 1)
		goto out;
	rc = sqlite3_exec (store->db, KEY_TABLES_SQL, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2 (store->db, RECORD_COLUMNS, -1, &rows, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2 (store->db, statement_sql[ST_KEY_ADD], -1, &add, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step (rows)) == SQLITE_ROW) {
		rv = read_record (store, rows, &rec);
		if (rv != CKR_OK)
			goto out;
		rv = add_keys (store, add, rec);
		tf_record_free (rec);
		if (rv != CKR_OK)
			goto out;
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec (store->db, upgrade_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rv = sql_error (store, rc, "upgrading it from schema version 1");
	else
		tf_info ("store %s: upgraded from schema version 1 to %d", store->path,
		         STORE_SCHEMA_VERSION);
out:
	sqlite3_finalize (rows);
	sqlite3_finalize (add);
	store->txn_fresh = 0;
	if (rv != CKR_OK || rc != SQLITE_OK)
		sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
	else if (version != 1)
		sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL);
	return rv;
}

static CK_RV
prepare_statements (tf_store *store)
{
	int rc;
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3 (store->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                         &store->stmts[i], NULL);
		if (rc != SQLITE_OK)
			return sql_error (store, rc, "preparing its statements");
	}
	return CKR_OK;
}

static void store_close (tf_store *store);

/*
 * A store being refused (a newer schema, another program's database) is left
 * as it is: when its WAL holds pages, closing this connection must not
 * checkpoint them into the file.
 */
static void
keep_wal (tf_store *store)
{
	struct stat st;
	char *wal = NULL;

	if (store->db == NULL || asprintf (&wal, "%s-wal", store->path) < 0)
		return;
	if (stat (wal, &st) == 0 && st.st_size > 0)
		sqlite3_db_config (store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	free (wal);
}

static CK_RV
store_open (const char *path, bool read_only, tf_store **out)
{
	tf_store *store = NULL;
	int64_t app_id;
	bool empty;
	CK_RV rv;
	int rc;

	*out = NULL;
	store = calloc (1, sizeof (*store));
	if (store == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	store->base.backend = &tf_store_sqlite;
	store->shm_fd = -1;
	store->busy_rand = (uint64_t)getpid () ^ (uint64_t)(uintptr_t)store;
	store->read_only = read_only;
	store->path = strdup (path);
	if (store->path == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}

	rv = prepare_file (store);
	if (rv != CKR_OK)
		goto out;
	rv = connect_db (store, false);
	if (rv != CKR_OK)
		goto out;

	/*
	 * A reader of a WAL store must be able to create the -shm file next to
	 * it. When it cannot (another user's store in a directory we may not
	 * write), read the file as immutable: consistent, but blind to later
	 * commits by other processes until it is opened again.
	 */
	rc = query_int (store->db, "PRAGMA application_id", &app_id);
	if (store->read_only &&
	    ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN)) {
		tf_info ("store %s: cannot share its WAL index (%s); reading it as immutable",
		         store->path, sqlite3_errmsg (store->db));
		disconnect_db (store);
		rv = connect_db (store, true);
		if (rv != CKR_OK)
			goto out;
	}

	/* One read transaction: another process may be creating the store right now. */
	rc = sqlite3_exec (store->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rv = sql_error (store, rc, "starting to read");
		goto out;
	}
	rv = inspect (store, &empty);
	if (rv == CKR_OK && !empty)
		rv = check_integrity (store);
	sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL);
	if (rv != CKR_OK) {
		keep_wal (store);
		goto out;
	}
	if (empty && store->read_only) {
		tf_error ("store %s is empty, and a read-only store is not created", store->path);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	rv = set_pragmas (store);
	if (rv != CKR_OK)
		goto out;
	if (empty) {
		rv = create_schema (store);
		if (rv != CKR_OK)
			goto out;
	}
	rv = read_hash_key (store);
	if (rv == CKR_OK && store->old_schema && store->read_only) {
		tf_error ("store %s has schema version 1, from a development build; opened once "
		          "with write access, it is upgraded",
		          store->path);
		rv = CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK && store->old_schema)
		rv = upgrade_schema (store);
	if (rv != CKR_OK)
		goto out;
	rv = prepare_statements (store);
	if (rv != CKR_OK)
		goto out;

	*out = store;
	store = NULL;
out:
	store_close (store);
	return rv;
}

static void
store_rollback (tf_store *store)
{
	if (!store->in_txn)
		return;
	/* ROLLBACK fails only when there is nothing left to undo. */
	sqlite3_step (store->stmts[ST_ROLLBACK]);
	stmt_done (store->stmts[ST_ROLLBACK]);
	store->in_txn = false;
	store->txn_base = 0;
	store->txn_seq = 0;
	store->txn_fresh = 0;
}

static void
store_close (tf_store *store)
{
	if (store == NULL)
		return;
	if (store->in_txn)
		store_rollback (store);
	disconnect_db (store);
	free (store->gathered);
	free (store->path);
	free (store);
}

static bool
store_read_only (tf_store *store)
{
	return store->read_only;
}

static bool
column_bytes (sqlite3_stmt *stmt, int col, tf_bytes *dst)
{
	const void *data;
	int len;

	data = sqlite3_column_blob (stmt, col);
	len = sqlite3_column_bytes (stmt, col);
	if (len > 0 && data == NULL)
		return false;
	return tf_bytes_set (dst, data, (size_t)len);
}

/* A hash column: NULL (unknown) or exactly len bytes; anything else is damage. */
static bool
column_hash (tf_store *store, sqlite3_stmt *stmt, int col, const tf_record *rec,
             unsigned char *out, size_t len, bool *known)
{
	*known = false;
	if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
		return true;
	if ((size_t)sqlite3_column_bytes (stmt, col) != len) {
		tf_error ("store %s is damaged: record %lld has a hash of the wrong size",
		          store->path, (long long)rec->store_id);
		return false;
	}
	memcpy (out, sqlite3_column_blob (stmt, col), len);
	*known = true;
	return true;
}

static bool
column_string (sqlite3_stmt *stmt, int col, char **dst)
{
	const unsigned char *text;

	if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
		return true;
	text = sqlite3_column_text (stmt, col);
	if (text == NULL)
		return false;
	*dst = strdup ((const char *)text);
	return *dst != NULL;
}

/* A record from the current row of ST_RECORDS_SINCE. The row is untrusted. */
static CK_RV
read_record (tf_store *store, sqlite3_stmt *stmt, tf_record **out)
{
	tf_record *rec;
	tf_bytes *bytes;
	char *hosts = NULL;
	int64_t value;
	size_t i;
	int p;
	CK_RV rv = CKR_HOST_MEMORY;

	rec = tf_record_new ();
	if (rec == NULL)
		goto out;
	rec->store_id = sqlite3_column_int64 (stmt, COL_ID);

	for (i = 0; i < N_BYTE_COLUMNS; i++) {
		bytes = (tf_bytes *)((char *)rec + byte_columns[i].offset);
		if (!column_bytes (stmt, byte_columns[i].col, bytes))
			goto out;
	}
	/* Hosts are kept by slot, tombstones included (record.h). */
	if (!column_string (stmt, COL_HOSTS, &hosts) || !tf_record_set_hosts (rec, hosts) ||
	    !column_string (stmt, COL_CREATOR, &rec->creator))
		goto out;

	rv = CKR_DEVICE_ERROR;
	if (!column_hash (store, stmt, COL_SHA1, rec, rec->sha1, sizeof (rec->sha1),
			  &rec->has_hash) ||
	    !column_hash (store, stmt, COL_MD5, rec, rec->md5, sizeof (rec->md5), &rec->has_md5) ||
	    !column_hash (store, stmt, COL_SHA256, rec, rec->sha256, sizeof (rec->sha256),
			  &rec->has_sha256))
		goto out;

	rec->has_trust = sqlite3_column_int64 (stmt, COL_HAS_TRUST) != 0;
	for (p = 0; p < TF_PURPOSE_COUNT; p++) {
		value = sqlite3_column_int64 (stmt, COL_TRUST_SERVER + p);
		if (value < TF_LEVEL_UNKNOWN || value > TF_LEVEL_MAX) {
			tf_error ("store %s is damaged: record %lld has trust level %lld",
			          store->path, (long long)rec->store_id, (long long)value);
			goto out;
		}
		rec->trust[p] = (uint8_t)value;
	}
	rec->step_up = sqlite3_column_int64 (stmt, COL_STEP_UP) != 0;

	value = sqlite3_column_int64 (stmt, COL_CATEGORY);
	if (value < 0) {
		tf_error ("store %s is damaged: record %lld has category %lld", store->path,
		          (long long)rec->store_id, (long long)value);
		goto out;
	}
	rec->category = (unsigned long)value;
	rec->expires = sqlite3_column_int64 (stmt, COL_EXPIRES);
	rec->created = sqlite3_column_int64 (stmt, COL_CREATED);
	rec->not_after = sqlite3_column_int64 (stmt, COL_NOT_AFTER);

	*out = rec;
	rec = NULL;
	rv = CKR_OK;
out:
	tf_record_free (rec);
	return rv;
}

static int
bind_bytes (sqlite3_stmt *stmt, int col, const tf_bytes *bytes, bool required)
{
	if (bytes->len > 0)
		return sqlite3_bind_blob64 (stmt, col, bytes->data, bytes->len, SQLITE_STATIC);
	if (required)
		return sqlite3_bind_zeroblob (stmt, col, 0);
	return sqlite3_bind_null (stmt, col);
}

static int
bind_string (sqlite3_stmt *stmt, int col, const char *text)
{
	if (text == NULL)
		return sqlite3_bind_null (stmt, col);
	return sqlite3_bind_text (stmt, col, text, -1, SQLITE_STATIC);
}

/*
 * SipHash-2-4, fed in pieces: the store's key hashes. Keyed with the store's
 * own random key, so that nobody without the file can make two keys
 * collide (the one-record-per-issuer+serial rule is a UNIQUE index on one).
 */
typedef struct {
	uint64_t v0, v1, v2, v3;
	uint64_t tail; /* bytes not yet in a whole word, little-endian */
	size_t len;    /* bytes fed in all */
} siphash;

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_rounds (siphash *h, int n)
{
	while (n-- > 0) {
		h->v0 += h->v1;
		h->v1 = ROTL (h->v1, 13);
		h->v1 ^= h->v0;
		h->v0 = ROTL (h->v0, 32);
		h->v2 += h->v3;
		h->v3 = ROTL (h->v3, 16);
		h->v3 ^= h->v2;
		h->v0 += h->v3;
		h->v3 = ROTL (h->v3, 21);
		h->v3 ^= h->v0;
		h->v2 += h->v1;
		h->v1 = ROTL (h->v1, 17);
		h->v1 ^= h->v2;
		h->v2 = ROTL (h->v2, 32);
	}
}

static void
sip_word (siphash *h, uint64_t m)
{
	h->v3 ^= m;
	sip_rounds (h, 2);
	h->v0 ^= m;
}

static void
sip_init (siphash *h, uint64_t k0, uint64_t k1)
{
	h->v0 = k0 ^ 0x736f6d6570736575ULL;
	h->v1 = k1 ^ 0x646f72616e646f6dULL;
	h->v2 = k0 ^ 0x6c7967656e657261ULL;
	h->v3 = k1 ^ 0x7465646279746573ULL;
	h->tail = 0;
	h->len = 0;
}

static void
sip_update (siphash *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h->tail |= (uint64_t)p[i] << (8 * (h->len % 8));
		if (++h->len % 8 == 0) {
			sip_word (h, h->tail);
			h->tail = 0;
		}
	}
}

static uint64_t
sip_final (siphash *h)
{
	sip_word (h, h->tail | (uint64_t)(h->len & 0xff) << 56);
	h->v2 ^= 0xff;
	sip_rounds (h, 4);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

/* A key's index hash: a, then b, hashed under the store's key. */
static sqlite3_int64
key_hash (const tf_store *store, const void *a, size_t alen, const void *b, size_t blen)
{
	siphash h;

	sip_init (&h, store->hash_k0, store->hash_k1);
	sip_update (&h, a, alen);
	sip_update (&h, b, blen);
	return (sqlite3_int64)sip_final (&h);
}

/* Binds a key's hash at ?n; an empty key (stored as NULL) gets NULL. */
static int
bind_key_hash (const tf_store *store, sqlite3_stmt *stmt, int n, const tf_bytes *a,
               const tf_bytes *b)
{
	if (a->len == 0 && (b == NULL || b->len == 0))
		return sqlite3_bind_null (stmt, n);
	return sqlite3_bind_int64 (stmt, n,
	                           key_hash (store, a->data, a->len, b != NULL ? b->data : NULL,
	                                     b != NULL ? b->len : 0));
}

/* Binds the issuer + serial hash of ST_INSERT / ST_UPDATE (ST_UPDATE_UNKEYED has none). */
static int
bind_issuer_serial_hash (const tf_store *store, sqlite3_stmt *stmt, const tf_record *rec)
{
	if (sqlite3_bind_parameter_count (stmt) < ISSUER_SERIAL_PARAM)
		return SQLITE_OK;
	return bind_key_hash (store, stmt, ISSUER_SERIAL_PARAM, &rec->issuer, &rec->serial);
}

/* An entry of keys / fresh_keys, but its id. */
typedef struct {
	int kind;
	sqlite3_int64 h;
} key_entry;

/* The entries of rec's keys, issuer + serial aside (an empty key has none); how many. */
static unsigned
record_keys (const tf_store *store, const tf_record *rec, key_entry out[KEY_COUNT])
{
	const tf_bytes *bytes[KEY_COUNT] = {
	    [KEY_SUBJECT] = &rec->subject,
	    [KEY_CKAID] = &rec->id,
	    [KEY_LABEL] = &rec->label,
	    [KEY_SPKI] = &rec->spki_sha1,
	};
	const void *data;
	size_t len;
	unsigned n = 0;
	int k;

	for (k = KEY_SUBJECT; k < KEY_COUNT; k++) {
		data = k == KEY_SHA1 ? rec->sha1 : bytes[k]->data;
		len = k == KEY_SHA1 ? (rec->has_hash ? sizeof (rec->sha1) : 0) : bytes[k]->len;
		if (len == 0)
			continue;
		out[n].kind = k;
		out[n].h = key_hash (store, data, len, NULL, 0);
		n++;
	}
	return n;
}

/* Steps stmt (ST_KEY_DROP or ST_FRESH_KEY_DROP) for row id's entry e. */
static CK_RV
key_step (tf_store *store, sqlite3_stmt *stmt, const key_entry *e, int64_t id)
{
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_bind_int (stmt, 1, e->kind);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, 2, e->h);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, 3, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step (stmt);
	if (rc != SQLITE_DONE)
		rv = sql_error (store, rc, "indexing a record");
	stmt_done (stmt);
	return rv;
}

/* An entry of keys / fresh_keys. */
struct key_row {
	int kind;
	sqlite3_int64 h;
	int64_t id;
};

/* Keeps n entries of row id for flush_gathered. */
static CK_RV
gather (tf_store *store, const key_entry *e, unsigned n, int64_t id)
{
	struct key_row *grown;
	size_t cap;
	unsigned i;

	if (store->n_gathered + n > store->cap_gathered) {
		cap = store->cap_gathered ? store->cap_gathered * 2 : 1024;
		grown = realloc (store->gathered, cap * sizeof (*grown));
		if (grown == NULL)
			return CKR_HOST_MEMORY;
		store->gathered = grown;
		store->cap_gathered = cap;
	}
	for (i = 0; i < n; i++)
		store->gathered[store->n_gathered++] = (struct key_row){ e[i].kind, e[i].h, id };
	return CKR_OK;
}

static int
key_row_order (const void *a, const void *b)
{
	const struct key_row *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Adds the gathered entries to fresh_keys in its order, KEYS_PER_ADD to a statement. */
static CK_RV
flush_gathered (tf_store *store)
{
	const struct key_row *row;
	sqlite3_stmt *stmt;
	size_t at = 0, take, i;
	CK_RV rv = CKR_OK;
	int rc;

	qsort (store->gathered, store->n_gathered, sizeof (struct key_row), key_row_order);
	while (at < store->n_gathered && rv == CKR_OK) {
		rc = SQLITE_OK;
		take = store->n_gathered - at >= KEYS_PER_ADD ? KEYS_PER_ADD : 1;
		stmt = store->stmts[take > 1 ? ST_KEYS_ADD_MANY : ST_KEYS_ADD_ONE];
		for (i = 0; i < take && rc == SQLITE_OK; i++) {
			row = &store->gathered[at + i];
			rc = sqlite3_bind_int (stmt, (int)(3 * i + 1), row->kind);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_int64 (stmt, (int)(3 * i + 2), row->h);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_int64 (stmt, (int)(3 * i + 3), row->id);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_step (stmt);
		if (rc != SQLITE_DONE)
			rv = sql_error (store, rc, "indexing records");
		stmt_done (stmt);
		at += take;
	}
	if (rv == CKR_OK)
		store->txn_fresh += (int64_t)store->n_gathered;
	store->n_gathered = 0;
	return rv;
}

/* Adds rec's entries to fresh_keys through add (ST_KEY_ADD, or the upgrade's own). */
static CK_RV
add_keys (tf_store *store, sqlite3_stmt *add, const tf_record *rec)
{
	key_entry e[KEY_COUNT];
	unsigned i, n;
	CK_RV rv = CKR_OK;
	int rc = SQLITE_OK;

	n = record_keys (store, rec, e);
	if (store->gather_keys)
		return gather (store, e, n, rec->store_id);
	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_int64 (add, e[i].kind, e[i].h);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (add, KEY_COUNT, rec->store_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step (add);
	if (rc != SQLITE_DONE)
		rv = sql_error (store, rc, "indexing a record");
	stmt_done (add);
	if (rv == CKR_OK)
		store->txn_fresh += n;
	return rv;
}

/* Drops row id's entries, as its columns are now, from both tables. No row, nothing. */
static CK_RV
drop_keys (tf_store *store, int64_t id)
{
	sqlite3_stmt *stmt = store->stmts[ST_BY_STORE_ID];
	tf_record *rec = NULL;
	key_entry e[KEY_COUNT];
	unsigned i, n = 0;
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_bind_int64 (stmt, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step (stmt);
	if (rc == SQLITE_ROW)
		rv = read_record (store, stmt, &rec);
	else if (rc != SQLITE_DONE)
		rv = sql_error (store, rc, "reading a record's keys");
	stmt_done (stmt);
	if (rec != NULL)
		n = record_keys (store, rec, e);
	tf_record_free (rec);
	for (i = 0; i < n && rv == CKR_OK; i++) {
		rv = key_step (store, store->stmts[ST_KEY_DROP], &e[i], id);
		if (rv == CKR_OK)
			rv = key_step (store, store->stmts[ST_FRESH_KEY_DROP], &e[i], id);
	}
	return rv;
}

/*
 * Before a commit that added entries to fresh_keys: counts them in meta
 * 'fresh', and when there are more than the store has records (and more
 * than STORE_FRESH_MIN), moves them all into keys. The count is an upper
 * bound (a removal does not lower it), which at worst moves them early.
 */
static CK_RV
settle_keys (tf_store *store)
{
	int64_t fresh, records;
	CK_RV rv;
	int rc;

	rv = read_int (store, ST_FRESH_GET, "reading its count of new keys", &fresh);
	if (rv == CKR_OK)
		rv = read_int (store, ST_MAX_ID, "reading its last record", &records);
	if (rv != CKR_OK)
		return rv;
	fresh += store->txn_fresh;
	if (fresh > STORE_FRESH_MIN && fresh > records) {
		rc = sqlite3_step (store->stmts[ST_SETTLE]);
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			stmt_done (store->stmts[ST_SETTLE]);
			tf_debug ("store %s: a new key was in the main table already", store->path);
			rv = run (store, ST_SETTLE_MERGE, "moving its new keys into the main table");
		} else {
			if (rc != SQLITE_DONE)
				rv = sql_error (store, rc, "moving its new keys into the main table");
			stmt_done (store->stmts[ST_SETTLE]);
		}
		if (rv == CKR_OK)
			rv = run (store, ST_FRESH_CLEAR, "moving its new keys into the main table");
		if (rv != CKR_OK)
			return rv;
		tf_debug ("store %s: %lld new keys moved into the main table", store->path,
		          (long long)fresh);
		fresh = 0;
	}
	rv = run_with (store, ST_FRESH_SET, fresh, "counting its new keys");
	if (rv == CKR_OK)
		store->txn_fresh = 0;
	return rv;
}

/* Binds ?1..?22 of ST_INSERT / ST_UPDATE. rec must outlive the statement's use. */
static int
bind_record (const tf_store *store, sqlite3_stmt *stmt, const tf_record *rec, int64_t seq)
{
	const tf_bytes *bytes;
	size_t i;
	int p;
	int rc;

	rc = sqlite3_bind_int64 (stmt, COL_SEQ, seq);
	for (i = 0; i < N_BYTE_COLUMNS && rc == SQLITE_OK; i++) {
		bytes = (const tf_bytes *)((const char *)rec + byte_columns[i].offset);
		rc = bind_bytes (stmt, byte_columns[i].col, bytes, byte_columns[i].required);
	}
	/* An unknown hash stays unbound, which is NULL. */
	if (rc == SQLITE_OK && rec->has_hash)
		rc = sqlite3_bind_blob (stmt, COL_SHA1, rec->sha1, sizeof (rec->sha1),
		                        SQLITE_STATIC);
	if (rc == SQLITE_OK && rec->has_md5)
		rc = sqlite3_bind_blob (stmt, COL_MD5, rec->md5, sizeof (rec->md5), SQLITE_STATIC);
	if (rc == SQLITE_OK && rec->has_sha256)
		rc = sqlite3_bind_blob (stmt, COL_SHA256, rec->sha256, sizeof (rec->sha256),
		                        SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int (stmt, COL_HAS_TRUST, rec->has_trust ? 1 : 0);
	for (p = 0; p < TF_PURPOSE_COUNT && rc == SQLITE_OK; p++)
		rc = sqlite3_bind_int (stmt, COL_TRUST_SERVER + p, rec->trust[p]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int (stmt, COL_STEP_UP, rec->step_up ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, COL_CATEGORY, (sqlite3_int64)rec->category);
	if (rc == SQLITE_OK)
		rc = bind_string (stmt, COL_HOSTS, rec->hosts);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, COL_EXPIRES, rec->expires);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, COL_CREATED, rec->created);
	if (rc == SQLITE_OK)
		rc = bind_string (stmt, COL_CREATOR, rec->creator);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, COL_NOT_AFTER, rec->not_after);
	if (rc == SQLITE_OK)
		rc = bind_issuer_serial_hash (store, stmt, rec);
	return rc;
}

static CK_RV
deliver_records (tf_store *store, void *ctx, tf_store_record_fn on_record)
{
	sqlite3_stmt *stmt = store->stmts[ST_RECORDS_SINCE];
	tf_record *rec;
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_bind_int64 (stmt, 1, store->last_seq);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
			rv = read_record (store, stmt, &rec);
			if (rv != CKR_OK)
				break;
			if (on_record == NULL) {
				tf_record_free (rec);
				continue;
			}
			rv = on_record (ctx, rec);
			if (rv != CKR_OK)
				break;
		}
	}
	if (rv == CKR_OK && rc != SQLITE_DONE)
		rv = sql_error (store, rc, "reading its records");
	stmt_done (stmt);
	return rv;
}

static CK_RV
deliver_gone (tf_store *store, void *ctx, tf_store_gone_fn on_gone)
{
	sqlite3_stmt *stmt = store->stmts[ST_GONE_SINCE];
	CK_RV rv = CKR_OK;
	int rc;

	rc = sqlite3_bind_int64 (stmt, 1, store->last_seq);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
			if (on_gone != NULL)
				on_gone (ctx, sqlite3_column_int64 (stmt, 0));
		}
	}
	if (rc != SQLITE_DONE)
		rv = sql_error (store, rc, "reading its removals");
	stmt_done (stmt);
	return rv;
}

/*
 * Opens the -shm file to watch its header; without it every check asks
 * SQLite. The descriptor stays open until SQLite's connection is closed:
 * closing any descriptor of a file drops every POSIX lock the process holds
 * on it, SQLite's included.
 */
static void
watch_open (tf_store *store)
{
	char *path = NULL;

	if (store->shm_fd >= 0 || store->immutable || asprintf (&path, "%s-shm", store->path) < 0)
		return;
	store->shm_fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free (path);
}

/*
 * Maps the header's page, once SQLite has read through the WAL index (so
 * that its connection holds the file's DMS lock: no SQLite process
 * truncates the file while any connection holds it, and SQLite maps the
 * same file itself). A search then reads the header without a system call.
 * Until then, or when the file is too short, the header is read with pread.
 */
static void
watch_map (tf_store *store)
{
	struct stat st;
	void *map;

	if (store->shm_map != NULL || store->shm_fd < 0 || fstat (store->shm_fd, &st) != 0 ||
	    st.st_size < SHM_MAP_SIZE)
		return;
	map = mmap (NULL, SHM_MAP_SIZE, PROT_READ, MAP_SHARED, store->shm_fd, 0);
	if (map != MAP_FAILED)
		store->shm_map = map;
}

/* The header as it is now; false when it cannot be read whole. */
static bool
shm_read (const tf_store *store, unsigned char *out)
{
	if (store->shm_map != NULL) {
		/* A copy torn by a concurrent commit only reads as a change. */
		__atomic_thread_fence (__ATOMIC_ACQUIRE);
		memcpy (out, store->shm_map, TF_SHM_HEADER);
		return true;
	}
	return store->shm_fd >= 0 && pread (store->shm_fd, out, TF_SHM_HEADER, 0) == TF_SHM_HEADER;
}

/* true when no commit can have happened since the last look at data_version. */
static bool
shm_unchanged (const tf_store *store)
{
	unsigned char now[TF_SHM_HEADER];

	if (!store->shm_valid || !shm_read (store, now))
		return false;
	return memcmp (now, store->shm_seen, TF_SHM_HEADER) == 0;
}

static void
shm_remember (tf_store *store, const unsigned char *snapshot, bool read)
{
	watch_map (store);
	store->shm_valid = read;
	if (read)
		memcpy (store->shm_seen, snapshot, TF_SHM_HEADER);
}

static bool
store_changed (tf_store *store)
{
	return !store->refreshed || !shm_unchanged (store);
}

static CK_RV
store_refresh (tf_store *store, bool force, void *ctx, tf_store_record_fn on_record,
               tf_store_gone_fn on_gone)
{
	unsigned char snapshot[TF_SHM_HEADER];
	bool snapshot_read = false;
	bool began = false;
	int64_t version;
	int64_t seq;
	CK_RV rv = CKR_OK;

	if (!force && store->refreshed && shm_unchanged (store))
		goto out;
	/* Taken before data_version: a commit after this point shows as a change. */
	watch_open (store);
	snapshot_read = shm_read (store, snapshot);
	rv = read_int (store, ST_DATA_VERSION, "reading its data version", &version);
	if (rv != CKR_OK)
		goto out;
	if (!force && store->refreshed && version == store->data_version) {
		shm_remember (store, snapshot, snapshot_read);
		goto out;
	}

	/* Inside the caller's write transaction the reads are consistent already. */
	if (!store->in_txn) {
		rv = run (store, ST_BEGIN_READ, "starting to read");
		if (rv != CKR_OK)
			goto out;
		began = true;
	}
	/* The first read fixes the snapshot; data_version then describes it. */
	rv = read_int (store, ST_SEQ_GET, "reading its sequence number", &seq);
	if (rv != CKR_OK)
		goto out;
	rv = read_int (store, ST_DATA_VERSION, "reading its data version", &version);
	if (rv != CKR_OK)
		goto out;
	rv = deliver_records (store, ctx, on_record);
	if (rv != CKR_OK)
		goto out;
	rv = deliver_gone (store, ctx, on_gone);
	if (rv != CKR_OK)
		goto out;
	if (began) {
		began = false;
		rv = run (store, ST_COMMIT, "finishing a read");
		if (rv != CKR_OK)
			goto out;
	}

	/*
	 * Rows this transaction wrote are not committed yet: if it rolls back,
	 * another writer will reuse their seq. Stay below them; the commit
	 * moves past them.
	 */
	if (store->in_txn && store->txn_seq != 0 && seq > store->txn_base)
		seq = store->txn_base;
	store->last_seq = seq;
	store->data_version = version;
	store->refreshed = true;
	shm_remember (store, snapshot, snapshot_read);
out:
	if (began) {
		sqlite3_step (store->stmts[ST_ROLLBACK]);
		stmt_done (store->stmts[ST_ROLLBACK]);
	}
	return rv;
}

/*
 * Whether the file at the store's path is still the one this connection has
 * open. A store deleted, or replaced by another file, while in use takes
 * writes that no other process will ever see: they are refused instead.
 */
static bool
still_there (tf_store *store)
{
	int moved = 0;

	if (store->moved)
		return false;
	if (sqlite3_file_control (store->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
	    moved) {
		tf_error ("store %s was deleted or replaced while in use; nothing more is written "
		          "to it (restart the program to use the store now at that path)",
		          store->path);
		store->moved = true;
	}
	return !store->moved;
}

/*
 * Whether the store may still be written: it may have been made read-only
 * since it was opened. The token then says it is write-protected.
 */
static bool
still_writable (tf_store *store)
{
	if (faccessat (AT_FDCWD, store->path, W_OK, AT_EACCESS) == 0)
		return true;
	tf_error ("store %s can no longer be written (%s); the token is write-protected now",
	          store->path, strerror (errno));
	store->read_only = true;
	return false;
}

static CK_RV
store_begin (tf_store *store)
{
	CK_RV rv;

	if (store->read_only)
		return write_protected (store);
	if (!still_there (store))
		return CKR_DEVICE_ERROR;
	if (!still_writable (store))
		return CKR_TOKEN_WRITE_PROTECTED;
	if (store->in_txn) {
		tf_error ("store %s: a write transaction is already open", store->path);
		return CKR_GENERAL_ERROR;
	}
	/* Waits for other writers up to the busy timeout. */
	rv = run (store, ST_BEGIN_WRITE, "starting a write transaction");
	if (rv != CKR_OK)
		return rv;
	store->in_txn = true;
	store->txn_base = 0;
	store->txn_seq = 0;
	store->txn_fresh = 0;
	return CKR_OK;
}

static CK_RV
store_commit (tf_store *store)
{
	int64_t version;
	bool caught_up;
	CK_RV rv;

	if (!store->in_txn) {
		tf_error ("store %s: commit without a write transaction", store->path);
		return CKR_GENERAL_ERROR;
	}
	rv = store->txn_fresh > 0 ? settle_keys (store) : CKR_OK;
	if (rv == CKR_OK)
		rv = run (store, ST_COMMIT, "committing");
	if (rv != CKR_OK) {
		store_rollback (store);
		return rv;
	}

	/*
	 * While we held the write lock nobody else could write. If we had seen
	 * everything before our first write, we have now seen everything up to
	 * our own seq, and the next refresh need not read our rows back.
	 * Otherwise the next refresh reads them along with what we missed.
	 */
	caught_up = store->refreshed && store->txn_seq != 0 && store->last_seq == store->txn_base;
	if (caught_up &&
	    read_int (store, ST_DATA_VERSION, "reading its data version", &version) == CKR_OK) {
		store->last_seq = store->txn_seq;
		store->data_version = version;
	}
	store->in_txn = false;
	store->txn_base = 0;
	store->txn_seq = 0;
	store->txn_fresh = 0;
	return CKR_OK;
}

/* The seq of the open write transaction, bumping meta seq on its first write. */
static CK_RV
write_seq (tf_store *store, int64_t *seq)
{
	int64_t base;
	CK_RV rv = CKR_OK;

	if (store->txn_seq != 0)
		goto out;
	rv = read_int (store, ST_SEQ_GET, "reading its sequence number", &base);
	if (rv != CKR_OK)
		goto out;
	rv = run_with (store, ST_SEQ_SET, base + 1, "advancing its sequence number");
	if (rv != CKR_OK)
		goto out;
	store->txn_base = base;
	store->txn_seq = base + 1;
out:
	if (rv == CKR_OK)
		*seq = store->txn_seq;
	return rv;
}

static CK_RV
insert_record (tf_store *store, tf_record *rec, int64_t seq)
{
	sqlite3_stmt *stmt = store->stmts[ST_INSERT];
	CK_RV rv = CKR_OK;
	int rc;

	rc = bind_record (store, stmt, rec, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step (stmt);
	if (rc == SQLITE_DONE) {
		rec->store_id = sqlite3_last_insert_rowid (store->db);
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		/* The caller merges by issuer and serial before it puts. */
		tf_error ("store %s already holds a record with this issuer and serial number "
		          "(%s); nothing was written",
		          store->path, sqlite3_errmsg (store->db));
		rv = CKR_DEVICE_ERROR;
	} else {
		rv = sql_error (store, rc, "adding a record");
	}
	stmt_done (stmt);
	if (rv == CKR_OK)
		rv = add_keys (store, store->stmts[ST_KEY_ADD], rec);
	return rv;
}

/* true when rec and old agree on every column the store indexes, seq aside. */
static bool
same_keys (const tf_record *rec, const tf_record *old)
{
	return old != NULL && old->store_id == rec->store_id &&
	       tf_bytes_equal (&rec->issuer, old->issuer.data, old->issuer.len) &&
	       tf_bytes_equal (&rec->serial, old->serial.data, old->serial.len) &&
	       tf_bytes_equal (&rec->subject, old->subject.data, old->subject.len) &&
	       tf_bytes_equal (&rec->id, old->id.data, old->id.len) &&
	       tf_bytes_equal (&rec->label, old->label.data, old->label.len) &&
	       tf_bytes_equal (&rec->spki_sha1, old->spki_sha1.data, old->spki_sha1.len) &&
	       rec->has_hash == old->has_hash &&
	       (!rec->has_hash || memcmp (rec->sha1, old->sha1, sizeof (rec->sha1)) == 0);
}

static CK_RV
update_record (tf_store *store, tf_record *rec, const tf_record *old, int64_t seq)
{
	bool keyed = !same_keys (rec, old);
	sqlite3_stmt *stmt = store->stmts[keyed ? ST_UPDATE : ST_UPDATE_UNKEYED];
	CK_RV rv = CKR_OK;
	int rc;

	/* The row's entries as it is, not as old says: they go, rec's come. */
	if (keyed) {
		rv = drop_keys (store, rec->store_id);
		if (rv != CKR_OK)
			return rv;
	}
	rc = bind_record (store, stmt, rec, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64 (stmt, COL_COUNT, rec->store_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step (stmt);
	if (rc == SQLITE_DONE) {
		if (sqlite3_changes (store->db) == 0) {
			tf_error ("store %s: record %lld is not there to update (removed by "
			          "another process?)",
			          store->path, (long long)rec->store_id);
			rv = CKR_DEVICE_ERROR;
		}
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		tf_error ("store %s already holds another record with this issuer and serial "
		          "number (%s); nothing was written",
		          store->path, sqlite3_errmsg (store->db));
		rv = CKR_DEVICE_ERROR;
	} else {
		rv = sql_error (store, rc, "updating a record");
	}
	stmt_done (stmt);
	if (rv == CKR_OK && keyed)
		rv = add_keys (store, store->stmts[ST_KEY_ADD], rec);
	return rv;
}

static CK_RV
store_put (tf_store *store, tf_record *rec, const tf_record *old)
{
	bool own_txn = false;
	int64_t seq;
	CK_RV rv;

	if (store->read_only)
		return write_protected (store);
	if (!store->in_txn) {
		rv = store_begin (store);
		if (rv != CKR_OK)
			goto out;
		own_txn = true;
	}
	rv = write_seq (store, &seq);
	if (rv != CKR_OK)
		goto out;
	if (rec->store_id == 0)
		rv = insert_record (store, rec, seq);
	else
		rv = update_record (store, rec, old, seq);
	if (rv != CKR_OK)
		goto out;
	if (own_txn) {
		own_txn = false;
		rv = store_commit (store);
	}
out:
	if (own_txn)
		store_rollback (store);
	return rv;
}

typedef struct {
	sqlite3_int64 h;
	tf_record *rec;
} by_issuer_serial;

static int
issuer_serial_order (const void *a, const void *b)
{
	const by_issuer_serial *x = a, *y = b;

	return (x->h > y->h) - (x->h < y->h);
}

/*
 * The rows in the order of the unique index on issuer + serial, their key
 * entries in the order of fresh_keys: each page of both is reached once,
 * from its neighbour, where rows one at a time land anywhere.
 */
static CK_RV
store_put_new (tf_store *store, tf_record **recs, size_t n)
{
	by_issuer_serial *order = NULL;
	bool own_txn = false;
	int64_t seq;
	size_t i;
	CK_RV rv;

	if (store->read_only)
		return write_protected (store);
	if (n == 0)
		return CKR_OK;
	order = calloc (n, sizeof (*order));
	if (order == NULL)
		return CKR_HOST_MEMORY;
	for (i = 0; i < n; i++) {
		order[i].h = key_hash (store, recs[i]->issuer.data, recs[i]->issuer.len,
		                       recs[i]->serial.data, recs[i]->serial.len);
		order[i].rec = recs[i];
	}
	qsort (order, n, sizeof (*order), issuer_serial_order);
	if (!store->in_txn) {
		rv = store_begin (store);
		if (rv != CKR_OK)
			goto out;
		own_txn = true;
	}
	rv = write_seq (store, &seq);
	store->gather_keys = true;
	for (i = 0; i < n && rv == CKR_OK; i++)
		rv = insert_record (store, order[i].rec, seq);
	store->gather_keys = false;
	if (rv == CKR_OK)
		rv = flush_gathered (store);
	store->n_gathered = 0;
	if (rv == CKR_OK && own_txn) {
		own_txn = false;
		rv = store_commit (store);
	}
out:
	if (own_txn)
		store_rollback (store);
	free (order);
	return rv;
}

static CK_RV
store_remove (tf_store *store, int64_t store_id)
{
	sqlite3_stmt *stmt;
	bool own_txn = false;
	int64_t seq;
	CK_RV rv;
	int rc;

	if (store->read_only)
		return write_protected (store);
	if (!store->in_txn) {
		rv = store_begin (store);
		if (rv != CKR_OK)
			goto out;
		own_txn = true;
	}

	rv = drop_keys (store, store_id);
	if (rv != CKR_OK)
		goto out;
	rv = run_with (store, ST_DELETE, store_id, "removing a record");
	if (rv != CKR_OK)
		goto out;

	/* Only a removal that happened needs telling to other connections. */
	if (sqlite3_changes (store->db) > 0) {
		rv = write_seq (store, &seq);
		if (rv != CKR_OK)
			goto out;
		stmt = store->stmts[ST_TOMBSTONE];
		rc = sqlite3_bind_int64 (stmt, 1, store_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64 (stmt, 2, seq);
		if (rc != SQLITE_OK) {
			rv = sql_error (store, rc, "recording a removal");
			stmt_done (stmt);
			goto out;
		}
		rv = run (store, ST_TOMBSTONE, "recording a removal");
		if (rv != CKR_OK)
			goto out;
	}
	if (own_txn) {
		own_txn = false;
		rv = store_commit (store);
	}
out:
	if (own_txn)
		store_rollback (store);
	return rv;
}

static CK_RV
store_mark_current (tf_store *store)
{
	int64_t seq, version;
	bool began = false;
	CK_RV rv;

	if (!store->in_txn) {
		rv = run (store, ST_BEGIN_READ, "starting to read");
		if (rv != CKR_OK)
			return rv;
		began = true;
	}
	rv = read_int (store, ST_SEQ_GET, "reading its sequence number", &seq);
	if (rv == CKR_OK)
		rv = read_int (store, ST_DATA_VERSION, "reading its data version", &version);
	if (began) {
		sqlite3_step (store->stmts[ST_ROLLBACK]);
		stmt_done (store->stmts[ST_ROLLBACK]);
	}
	if (rv != CKR_OK)
		return rv;
	store->last_seq = seq;
	store->data_version = version;
	store->refreshed = true;
	return CKR_OK;
}

/* Blobs that are keys are stored as given; an empty key is stored as an empty blob. */
static int
bind_key (sqlite3_stmt *stmt, int col, const void *data, size_t len)
{
	if (len > INT_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob (stmt, col, len ? data : "", (int)len, SQLITE_STATIC);
}

static CK_RV
store_lookup (tf_store *store, tf_store_key key, const void *a, size_t alen, const void *b,
              size_t blen, void *ctx, tf_store_record_fn on_record)
{
	static const int which[] = {
	    [TF_STORE_BY_ISSUER_SERIAL] = ST_BY_ISSUER_SERIAL,
	    [TF_STORE_BY_SUBJECT] = ST_BY_SUBJECT,
	    [TF_STORE_BY_ID] = ST_BY_ID,
	    [TF_STORE_BY_LABEL] = ST_BY_LABEL,
	    [TF_STORE_BY_SHA1] = ST_BY_SHA1,
	    [TF_STORE_BY_SPKI] = ST_BY_SPKI,
	    [TF_STORE_ALL] = ST_ALL,
	};
	sqlite3_stmt *stmt = store->stmts[which[key]];
	bool began = false;
	tf_record *rec;
	CK_RV rv = CKR_OK;
	int rc = SQLITE_OK;

	if (!store->in_txn) {
		rv = run (store, ST_BEGIN_READ, "starting to read");
		if (rv != CKR_OK)
			return rv;
		began = true;
	}
	if (key != TF_STORE_ALL)
		rc = bind_key (stmt, 1, a, alen);
	if (rc == SQLITE_OK && key == TF_STORE_BY_ISSUER_SERIAL)
		rc = bind_key (stmt, 2, b, blen);
	if (rc == SQLITE_OK && key != TF_STORE_ALL)
		rc = sqlite3_bind_int64 (stmt, 3,
		                         key_hash (store, a, alen,
		                                   key == TF_STORE_BY_ISSUER_SERIAL ? b : NULL,
		                                   key == TF_STORE_BY_ISSUER_SERIAL ? blen : 0));
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
			rv = read_record (store, stmt, &rec);
			if (rv != CKR_OK)
				break;
			rv = on_record (ctx, rec);
			if (rv != CKR_OK)
				break;
		}
	}
	if (rv == CKR_OK && rc != SQLITE_DONE)
		rv = sql_error (store, rc, "looking up records");
	stmt_done (stmt);
	if (began) {
		sqlite3_step (store->stmts[ST_ROLLBACK]);
		stmt_done (store->stmts[ST_ROLLBACK]);
	}
	return rv;
}

/*
 * A batch of thousands looks each new certificate up in the issuer + serial
 * index, then adds it there and to fresh_keys, and may move fresh_keys into
 * keys: with 100,000 records those are some 12 MB, and SQLite's default
 * 2 MB cache would read their pages back from the file again and again
 * (with the version 1 schema, eleven reads per certificate). For the batch
 * the cache may hold 64 MB; back at the default after it, which frees the
 * rest.
 */
#define STORE_BULK_CACHE_KB 65536
#define STORE_CACHE_KB	    2000 /* SQLite's default, which the store otherwise keeps */

static void
store_bulk (tf_store *store, bool on)
{
	char sql[64];
	int rc;

	if (store->read_only)
		return;
	snprintf (sql, sizeof (sql), "PRAGMA cache_size = -%d", on ? STORE_BULK_CACHE_KB : STORE_CACHE_KB);
	rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		tf_warn ("store %s: cannot set the cache size: %s", store->path,
			 sqlite3_errstr (rc));
}

const tf_store_backend tf_store_sqlite = {
    .name = "sqlite",
    .open = store_open,
    .close = store_close,
    .read_only = store_read_only,
    .refresh = store_refresh,
    .begin = store_begin,
    .commit = store_commit,
    .rollback = store_rollback,
    .put = store_put,
    .put_new = store_put_new,
    .remove = store_remove,
    .mark_current = store_mark_current,
    .bulk = store_bulk,
    .changed = store_changed,
    .lookup = store_lookup,
};
