/*
 * The storage interface. A token keeps its records in memory (the index) and,
 * when it is persistent, in a store behind this interface. store.c holds the
 * interface; store-sqlite.c is the one backend, and the only file that
 * includes SQLite headers.
 *
 * Every call returns a CK_RV; foreign errors are logged with their detail
 * where they happen. All calls are made under the module lock.
 */
#ifndef TF_STORE_H
#define TF_STORE_H

#include "record.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tf_store tf_store;

/* Called by tf_store_refresh for each record added or changed since the last
 * refresh. The callee takes ownership of rec (rec->store_id is set). */
typedef CK_RV (*tf_store_record_fn) (void *ctx, tf_record *rec);
/* Called for each record removed since the last refresh. */
typedef void (*tf_store_gone_fn) (void *ctx, int64_t store_id);

/* The keys a store answers lookups by (each backed by an index in the store). */
typedef enum {
	TF_STORE_BY_ISSUER_SERIAL, /* a: issuer DER, b: serial DER INTEGER */
	TF_STORE_BY_SUBJECT,
	TF_STORE_BY_ID,
	TF_STORE_BY_LABEL,
	TF_STORE_BY_SHA1,	   /* the certificate's SHA-1 (records that hold one) */
	TF_STORE_BY_SPKI,	   /* the SHA-1 of the certificate's SubjectPublicKeyInfo */
	TF_STORE_ALL,		   /* every record; a unused */
} tf_store_key;

typedef struct {
	const char *name;
	CK_RV (*open) (const char *path, bool read_only, tf_store **out);
	void (*close) (tf_store *store);
	bool (*read_only) (tf_store *store);
	CK_RV (*refresh) (tf_store *store, bool force, void *ctx, tf_store_record_fn on_record,
			  tf_store_gone_fn on_gone);
	CK_RV (*begin) (tf_store *store);
	CK_RV (*commit) (tf_store *store);
	void (*rollback) (tf_store *store);
	CK_RV (*put) (tf_store *store, tf_record *rec, const tf_record *old);
	CK_RV (*put_new) (tf_store *store, tf_record **recs, size_t n);
	CK_RV (*remove) (tf_store *store, int64_t store_id);
	CK_RV (*mark_current) (tf_store *store);
	void (*bulk) (tf_store *store, bool on);
	bool (*changed) (tf_store *store);
	CK_RV (*lookup) (tf_store *store, tf_store_key key, const void *a, size_t alen,
			 const void *b, size_t blen, void *ctx, tf_store_record_fn on_record);
} tf_store_backend;

/* The SQLite backend (store-sqlite.c). */
extern const tf_store_backend tf_store_sqlite;

/* Every store starts with this, so the interface can find its backend. */
struct tf_store_base {
	const tf_store_backend *backend;
};

/*
 * Opens (creating when missing, unless read_only) the store at path: the
 * directory 0700 and the file 0600. A store that exists but cannot be written
 * is opened read-only and tf_store_read_only() says so. A file that is not a
 * store, is damaged, or has a newer schema version gives CKR_DEVICE_ERROR
 * (or CKR_TOKEN_NOT_RECOGNIZED for a newer schema) and a log line; the file is
 * never rewritten. On success *out owns the store.
 */
CK_RV tf_store_open (const char *path, bool read_only, tf_store **out);

/* Closes the store. Accepts NULL. */
void tf_store_close (tf_store *store);

/* true when writes are impossible (permissions, read-only=yes). */
bool tf_store_read_only (tf_store *store);

/*
 * Brings the caller up to date: when another connection has committed since
 * the last refresh (PRAGMA data_version), or when force is set, calls
 * on_record for every record written since the last refresh and on_gone for
 * every record removed. The first refresh after open delivers every record.
 */
CK_RV tf_store_refresh (tf_store *store, bool force, void *ctx, tf_store_record_fn on_record,
			tf_store_gone_fn on_gone);

/*
 * A write transaction (BEGIN IMMEDIATE, waiting out other writers up to the
 * busy timeout). The caller refreshes after begin, so that its read-modify-
 * write sees every committed change, then puts / removes, then commits.
 * A commit that returns CKR_OK is durable (synchronous=FULL). put and remove
 * outside begin/commit run in a transaction of their own.
 */
CK_RV tf_store_begin (tf_store *store);
CK_RV tf_store_commit (tf_store *store);
void tf_store_rollback (tf_store *store);

/*
 * Says that many writes come in the transaction about to begin (on) or that
 * they are over (off, after the commit or rollback): the store may keep more
 * of its file in memory meanwhile. A hint: nothing fails.
 */
void tf_store_bulk (tf_store *store, bool on);

/* Inserts rec (store_id 0; sets rec->store_id) or replaces the row rec->store_id. */
CK_RV tf_store_put (tf_store *store, tf_record *rec);

/*
 * tf_store_put, told what the row holds now (old, with the same store_id, as
 * last read or written): the store may then leave alone the indexes whose
 * keys did not change. A change of decision rewrites one row, not eight
 * index entries.
 */
CK_RV tf_store_put_over (tf_store *store, tf_record *rec, const tf_record *old);

/*
 * Inserts n new records (store_id 0; sets each store_id), in an order of
 * the store's choosing: many rows written in the order of the store's own
 * indexes touch each page once, where one at a time they land anywhere.
 */
CK_RV tf_store_put_new (tf_store *store, tf_record **recs, size_t n);

/* Removes a row; removing a row that is not there is not an error. */
CK_RV tf_store_remove (tf_store *store, int64_t store_id);

/*
 * false when nothing can have been committed since the last refresh (a look
 * at shared memory, no SQLite call, safe under a shared lock); true when a
 * refresh may have something to deliver.
 */
bool tf_store_changed (tf_store *store);

/*
 * Counts everything committed so far as delivered, without reading it: the
 * caller loads records on demand with tf_store_lookup, and the next refresh
 * delivers only later changes.
 */
CK_RV tf_store_mark_current (tf_store *store);

/*
 * Calls on_record (which takes the record) for every record with that key,
 * read from the store's own index now, in one read transaction (or in the
 * caller's write transaction).
 */
CK_RV tf_store_lookup (tf_store *store, tf_store_key key, const void *a, size_t alen,
		       const void *b, size_t blen, void *ctx, tf_store_record_fn on_record);

#endif /* TF_STORE_H */
