/*
 * The storage interface: each call goes to the backend that opened the store
 * (store.h). There is one backend, SQLite (store-sqlite.c); keeping the
 * dispatch here lets the rest of the module, and the tests, stay unaware of
 * it.
 */
#include "store.h"

#include <stddef.h>

static const tf_store_backend *
backend_of (tf_store *store)
{
	return ((struct tf_store_base *)store)->backend;
}

CK_RV
tf_store_open (const char *path, bool read_only, tf_store **out)
{
	return tf_store_sqlite.open (path, read_only, out);
}

void
tf_store_close (tf_store *store)
{
	if (store == NULL)
		return;
	backend_of (store)->close (store);
}

bool
tf_store_read_only (tf_store *store)
{
	return backend_of (store)->read_only (store);
}

CK_RV
tf_store_refresh (tf_store *store, bool force, void *ctx, tf_store_record_fn on_record,
                  tf_store_gone_fn on_gone)
{
	return backend_of (store)->refresh (store, force, ctx, on_record, on_gone);
}

CK_RV
tf_store_begin (tf_store *store)
{
	return backend_of (store)->begin (store);
}

CK_RV
tf_store_commit (tf_store *store)
{
	return backend_of (store)->commit (store);
}

void
tf_store_bulk (tf_store *store, bool on)
{
	backend_of (store)->bulk (store, on);
}

void
tf_store_rollback (tf_store *store)
{
	backend_of (store)->rollback (store);
}

CK_RV
tf_store_put (tf_store *store, tf_record *rec)
{
	return backend_of (store)->put (store, rec, NULL);
}

CK_RV
tf_store_put_over (tf_store *store, tf_record *rec, const tf_record *old)
{
	return backend_of (store)->put (store, rec, old);
}

CK_RV
tf_store_put_new (tf_store *store, tf_record **recs, size_t n)
{
	return backend_of (store)->put_new (store, recs, n);
}

CK_RV
tf_store_remove (tf_store *store, int64_t store_id)
{
	return backend_of (store)->remove (store, store_id);
}

CK_RV
tf_store_mark_current (tf_store *store)
{
	return backend_of (store)->mark_current (store);
}

CK_RV
tf_store_lookup (tf_store *store, tf_store_key key, const void *a, size_t alen, const void *b,
                 size_t blen, void *ctx, tf_store_record_fn on_record)
{
	return backend_of (store)->lookup (store, key, a, alen, b, blen, ctx, on_record);
}

bool
tf_store_changed (tf_store *store)
{
	return backend_of (store)->changed (store);
}
