/*
 * Slots and tokens. See token.h.
 */
#include "token.h"

#include "log.h"
#include "trustfolder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void gone_clear (tf_token *tok);

struct tf_pending {
	tf_record *rec;	   /* to index; NULL for a removal */
	uint64_t replaces; /* uid taken out first (0: none) */
	tf_pending *next;
};

static void
pending_free (tf_pending *p)
{
	tf_pending *next;

	for (; p != NULL; p = next) {
		next = p->next;
		tf_record_free (p->rec);
		free (p);
	}
}

/*
 * The keys loaded from the store: a hash set of (kind, bytes). Records with a
 * loaded key may change only through refresh, which keeps the set true.
 */
typedef struct key_entry {
	struct key_entry *next;
	uint64_t hash;
	int kind;
	size_t len;
	unsigned char bytes[];
} key_entry;

struct tf_keyset {
	key_entry **buckets;
	size_t nbuckets, count;
};

static uint64_t
key_hash (int kind, const void *a, size_t alen, const void *b, size_t blen)
{
	return tf_index_hash (kind + 100, a, alen, b, blen);
}

static key_entry *
keyset_find (struct tf_keyset *set, uint64_t h, int kind, const void *a, size_t alen,
	     const void *b, size_t blen)
{
	key_entry *e;

	if (set == NULL || set->nbuckets == 0)
		return NULL;
	for (e = set->buckets[h & (set->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && e->kind == kind && e->len == alen + blen &&
		    (alen == 0 || memcmp (e->bytes, a, alen) == 0) &&
		    (blen == 0 || memcmp (e->bytes + alen, b, blen) == 0))
			return e;
	}
	return NULL;
}

static bool
keyset_add (struct tf_keyset *set, uint64_t h, int kind, const void *a, size_t alen,
	    const void *b, size_t blen)
{
	key_entry *e, *next, **grown;
	size_t i, n;

	if (set->count >= set->nbuckets) {
		n = set->nbuckets ? set->nbuckets * 2 : 256;
		grown = calloc (n, sizeof (key_entry *));
		if (grown == NULL)
			return false;
		for (i = 0; i < set->nbuckets; i++) {
			for (e = set->buckets[i]; e != NULL; e = next) {
				next = e->next;
				e->next = grown[e->hash & (n - 1)];
				grown[e->hash & (n - 1)] = e;
			}
		}
		free (set->buckets);
		set->buckets = grown;
		set->nbuckets = n;
	}
	e = malloc (sizeof (key_entry) + alen + blen);
	if (e == NULL)
		return false;
	e->hash = h;
	e->kind = kind;
	e->len = alen + blen;
	if (alen > 0)
		memcpy (e->bytes, a, alen);
	if (blen > 0)
		memcpy (e->bytes + alen, b, blen);
	e->next = set->buckets[h & (set->nbuckets - 1)];
	set->buckets[h & (set->nbuckets - 1)] = e;
	set->count++;
	return true;
}

static void
keyset_clear (struct tf_keyset *set)
{
	key_entry *e, *next;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nbuckets; i++) {
		for (e = set->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free (e);
		}
	}
	free (set->buckets);
	memset (set, 0, sizeof (*set));
}

CK_RV
tf_token_init (tf_token *tok, CK_SLOT_ID slot, const char *label, const char *path,
	       bool read_only)
{
	memset (tok, 0, sizeof (*tok));
	tok->slot = slot;
	tok->label = label;
	tok->path = path;
	tok->profile_uid = tf_index_next_uid ();
	tok->index = tf_index_new ();
	if (tok->index == NULL)
		return CKR_HOST_MEMORY;
	if (path == NULL)
		return CKR_OK;
	if (path[0] == '\0') {
		/* No place for the store (logged by the settings): the token is absent. */
		tok->store_rv = CKR_DEVICE_ERROR;
		return CKR_OK;
	}

	tok->store_rv = tf_store_open (path, read_only, &tok->store);
	if (tok->store_rv != CKR_OK) {
		tf_error ("token \"%s\" is not available: its store %s could not be opened "
			  "(see above)",
			  label, path);
		tok->store = NULL;
		return CKR_OK;
	}
	tok->write_protected = tf_store_read_only (tok->store);
	tok->loaded = calloc (1, sizeof (struct tf_keyset));
	if (tok->loaded == NULL)
		return CKR_HOST_MEMORY;
	/* Nothing is read now: records come from the store as they are asked for. */
	return tf_store_mark_current (tok->store);
}

void
tf_token_fini (tf_token *tok)
{
	if (tok->in_txn)
		tf_token_abort (tok);
	if (tok->batch && tok->store != NULL)
		tf_store_rollback (tok->store); /* nothing to reload: all goes */
	free (tok->deferred);
	tf_store_close (tok->store);
	tf_index_free (tok->index);
	gone_clear (tok);
	keyset_clear (tok->loaded);
	free (tok->loaded);
	memset (tok, 0, sizeof (*tok));
}

/*
 * The parent's SQLite connections must not be used, or closed, in a forked
 * child (SQLite's rule). They are kept here, reachable and untouched; the rest
 * of the token is plain memory and is freed.
 */
static tf_store *abandoned[8];

void
tf_token_abandon (tf_token *tok)
{
	size_t i;

	for (i = 0; tok->store != NULL && i < sizeof (abandoned) / sizeof (abandoned[0]); i++) {
		if (abandoned[i] == NULL) {
			abandoned[i] = tok->store;
			break;
		}
	}
	pending_free (tok->pending);
	free (tok->deferred);
	tf_index_free (tok->index);
	gone_clear (tok);
	keyset_clear (tok->loaded);
	free (tok->loaded);
	memset (tok, 0, sizeof (*tok));
}

bool
tf_token_present (const tf_token *tok)
{
	return tok->path == NULL || tok->store != NULL;
}

/* Copies s into a blank-padded field of len bytes, as CK_*_INFO wants. */
static void
pad (CK_UTF8CHAR *field, size_t len, const char *s)
{
	size_t n = strlen (s);

	memset (field, ' ', len);
	memcpy (field, s, n < len ? n : len);
}

void
tf_token_slot_info (const tf_token *tok, CK_SLOT_INFO *info)
{
	memset (info, 0, sizeof (*info));
	pad (info->slotDescription, sizeof (info->slotDescription), tok->label);
	pad (info->manufacturerID, sizeof (info->manufacturerID), TF_MANUFACTURER);
	/* Not removable (NSS and Firefox would poll), not hardware (NSS would cache). */
	info->flags = tf_token_present (tok) ? CKF_TOKEN_PRESENT : 0;
	info->hardwareVersion.major = 0;
	info->hardwareVersion.minor = 1;
	info->firmwareVersion.major = 0;
	info->firmwareVersion.minor = 1;
}

void
tf_token_info (const tf_token *tok, CK_TOKEN_INFO *info)
{
	char serial[17];

	memset (info, 0, sizeof (*info));
	pad (info->label, sizeof (info->label), tok->label);
	pad (info->manufacturerID, sizeof (info->manufacturerID), TF_MANUFACTURER);
	/* The model says where the token keeps its decisions (the tool reads it). */
	if (tok->slot == TF_SLOT_PERSISTENT)
		pad (info->model, sizeof (info->model), "persistent");
	else
		pad (info->model, sizeof (info->model),
		     tok->path != NULL ? "session-runtime" : "session-memory");
	snprintf (serial, sizeof (serial), "%lu", (unsigned long)tok->slot);
	pad (info->serialNumber, sizeof (info->serialNumber), serial);
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
	if (tok->write_protected)
		info->flags |= CKF_WRITE_PROTECTED;
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulSessionCount = CK_UNAVAILABLE_INFORMATION;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulRwSessionCount = CK_UNAVAILABLE_INFORMATION;
	info->ulMaxPinLen = 0;
	info->ulMinPinLen = 0;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.minor = 1;
	info->firmwareVersion.minor = 1;
}

/* Puts rec in the index, in place of the record with its store_id if any. */
static CK_RV
install (tf_token *tok, tf_record *rec, uint64_t replaces)
{
	tf_record *old = NULL;

	if (replaces != 0 && rec->uid == replaces) {
		/* The usual write: the same record with other trust. */
		rec = tf_record_compact (rec);
		old = tf_index_replace (tok->index, tf_index_lookup (tok->index, replaces), rec);
		if (old != NULL) {
			tf_record_free (old);
			return CKR_OK;
		}
	}
	if (replaces != 0)
		old = tf_index_remove (tok->index, replaces);
	else if (rec->store_id != 0)
		old = tf_index_lookup_store_id (tok->index, rec->store_id);
	if (old != NULL && replaces == 0)
		old = tf_index_remove (tok->index, old->uid);
	/* The replacement keeps the handle of what it replaces. */
	if (old != NULL)
		rec->uid = old->uid;
	/* Indexed records are never changed in place; without memory for it, rec stays as it is. */
	rec = tf_record_compact (rec);
	if (!tf_index_take (tok->index, rec)) {
		/* Put the old one back so the index still matches the store it mirrors. */
		if (old != NULL && !tf_index_take (tok->index, old))
			tf_record_free (old);
		tf_record_free (rec);
		return CKR_HOST_MEMORY;
	}
	tf_record_free (old);
	return CKR_OK;
}

static CK_RV
on_record (void *ctx, tf_record *rec)
{
	return install (ctx, rec, 0);
}

static void
on_gone (void *ctx, int64_t store_id)
{
	tf_token *tok = ctx;
	tf_record *rec;

	rec = tf_index_lookup_store_id (tok->index, store_id);
	if (rec == NULL)
		return;
	rec = tf_index_remove (tok->index, rec->uid);
	/* Kept for reads by handle a while; the oldest kept one goes. */
	tf_record_free (tok->gone[tok->gone_next]);
	tok->gone[tok->gone_next] = rec;
	tok->gone_next = (tok->gone_next + 1) % TF_TOKEN_GONE_KEPT;
}

tf_record *
tf_token_lookup_gone (tf_token *tok, uint64_t uid)
{
	unsigned i;

	for (i = 0; i < TF_TOKEN_GONE_KEPT; i++) {
		if (tok->gone[i] != NULL && tok->gone[i]->uid == uid)
			return tok->gone[i];
	}
	return NULL;
}

static void
gone_clear (tf_token *tok)
{
	unsigned i;

	for (i = 0; i < TF_TOKEN_GONE_KEPT; i++) {
		tf_record_free (tok->gone[i]);
		tok->gone[i] = NULL;
	}
}

CK_RV
tf_token_refresh (tf_token *tok)
{
	if (tok->store == NULL)
		return CKR_OK;
	/* Changed records are applied whether loaded or not: a loaded key stays whole. */
	return tf_store_refresh (tok->store, false, tok, on_record, on_gone);
}

/* A record from a lookup: the index may hold it already, from a refresh or a write. */
static CK_RV
on_loaded (void *ctx, tf_record *rec)
{
	tf_token *tok = ctx;
	tf_record *have;

	have = tf_index_lookup_store_id (tok->index, rec->store_id);
	if (have != NULL) {
		/* Ours is at least as new: a write of this process, or a later refresh. */
		tf_record_free (rec);
		return CKR_OK;
	}
	return install (tok, rec, 0);
}

bool
tf_token_changed (tf_token *tok)
{
	return tok->store != NULL && tf_store_changed (tok->store);
}

static bool
is_token_object (void *ctx, tf_record *rec)
{
	bool *found = ctx;

	*found = rec->owner == 0;
	return !*found;
}

/*
 * The store holds one record at most per issuer and serial: one in the index
 * is it (refresh keeps it current), and the key needs no entry in the set.
 * The set then remembers only the keys the store has nothing for, and the
 * keys that may have several records.
 */
static bool
indexed_by_issuer_serial (tf_token *tok, tf_store_key kind, const void *a, size_t alen,
			  const void *b, size_t blen)
{
	bool found = false;

	if (kind == TF_STORE_BY_ISSUER_SERIAL)
		tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, a, alen, b, blen,
				   is_token_object, &found);
	return found;
}

bool
tf_token_loaded (tf_token *tok, tf_store_key kind, const void *a, size_t alen, const void *b,
		 size_t blen)
{
	if (tok->store == NULL || tok->loaded_all)
		return true;
	if (kind == TF_STORE_ALL)
		return false;
	/* An issuer+serial record in the index: the caller has looked for it (token.h). */
	if (alen == 0)
		return true;
	if (kind != TF_STORE_BY_ISSUER_SERIAL)
		blen = 0;
	return keyset_find (tok->loaded, key_hash (kind, a, alen, b, blen), kind, a, alen, b,
			    blen) != NULL;
}

/* The index's table for a store key whose bytes are the same; TF_KEY_COUNT for none. */
static tf_key
index_key_of (tf_store_key kind)
{
	switch (kind) {
	case TF_STORE_BY_SUBJECT:
		return TF_KEY_SUBJECT;
	case TF_STORE_BY_ID:
		return TF_KEY_ID;
	case TF_STORE_BY_LABEL:
		return TF_KEY_LABEL;
	case TF_STORE_BY_SPKI:
		return TF_KEY_SPKI;
	default:
		return TF_KEY_COUNT;
	}
}

CK_RV
tf_token_load_key (tf_token *tok, tf_store_key kind, const void *a, size_t alen, const void *b,
		   size_t blen)
{
	uint64_t h;
	CK_RV rv;

	if (tok->store == NULL || tok->loaded_all || alen == 0 ||
	    indexed_by_issuer_serial (tok, kind, a, alen, b, blen))
		return CKR_OK;
	if (kind != TF_STORE_BY_ISSUER_SERIAL)
		blen = 0;
	h = key_hash (kind, a, alen, b, blen);
	if (keyset_find (tok->loaded, h, kind, a, alen, b, blen) != NULL)
		return CKR_OK;
	rv = tf_store_lookup (tok->store, kind, a, alen, b, blen, tok, on_loaded);
	if (rv != CKR_OK)
		return rv;
	/* Remembering is an optimisation: without memory, the next search asks again. */
	if (!indexed_by_issuer_serial (tok, kind, a, alen, b, blen))
		keyset_add (tok->loaded, h, kind, a, alen, b, blen);
	/* And in the index, where a search finds it without a second lookup. */
	if (index_key_of (kind) < TF_KEY_COUNT)
		tf_index_mark_complete (tok->index, index_key_of (kind), a, alen, NULL, 0);
	return CKR_OK;
}

CK_RV
tf_token_load_all (tf_token *tok)
{
	CK_RV rv;

	if (tok->store == NULL || tok->loaded_all)
		return CKR_OK;
	rv = tf_store_lookup (tok->store, TF_STORE_ALL, NULL, 0, NULL, 0, tok, on_loaded);
	if (rv != CKR_OK)
		return rv;
	tok->loaded_all = true;
	keyset_clear (tok->loaded);
	return CKR_OK;
}

CK_RV
tf_token_begin (tf_token *tok, bool persist)
{
	CK_RV rv;

	if (tok->in_txn) {
		tf_error ("token \"%s\": a write began inside another", tok->label);
		return CKR_GENERAL_ERROR;
	}
	tok->txn_stored = false;
	tok->txn_wrote = false;
	if (persist && tok->store != NULL && tok->batch) {
		/* Inside a batch: the store transaction is open, and current. */
		tok->txn_stored = true;
	} else if (persist && tok->store != NULL) {
		if (tok->write_protected) {
			tf_warn ("token \"%s\" is write-protected (store %s); nothing was written",
				 tok->label, tok->path);
			return CKR_TOKEN_WRITE_PROTECTED;
		}
		rv = tf_store_begin (tok->store);
		if (rv == CKR_TOKEN_WRITE_PROTECTED)
			tok->write_protected = tf_store_read_only (tok->store);
		if (rv != CKR_OK)
			return rv;
		rv = tf_token_refresh (tok);
		if (rv != CKR_OK) {
			tf_store_rollback (tok->store);
			return rv;
		}
		tok->txn_stored = true;
	}
	tok->in_txn = true;
	tok->pending = NULL;
	return CKR_OK;
}

static CK_RV
stage (tf_token *tok, tf_record *rec, uint64_t replaces)
{
	tf_pending *p, **tail;

	p = calloc (1, sizeof (tf_pending));
	if (p == NULL) {
		tf_record_free (rec);
		return CKR_HOST_MEMORY;
	}
	p->rec = rec;
	p->replaces = replaces;
	for (tail = &tok->pending; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	return CKR_OK;
}

/* Notes that rec's uid, new in the batch, is to be written at its commit. */
static CK_RV
defer (tf_token *tok, const tf_record *rec)
{
	uint64_t *grown;
	size_t cap;

	/* The usual repeat, a trust right after its certificate, is noted once. */
	if (tok->n_deferred > 0 && tok->deferred[tok->n_deferred - 1] == rec->uid)
		return CKR_OK;
	if (tok->n_deferred == tok->cap_deferred) {
		cap = tok->cap_deferred ? tok->cap_deferred * 2 : 256;
		grown = realloc (tok->deferred, cap * sizeof (uint64_t));
		if (grown == NULL)
			return CKR_HOST_MEMORY;
		tok->deferred = grown;
		tok->cap_deferred = cap;
	}
	tok->deferred[tok->n_deferred++] = rec->uid;
	return CKR_OK;
}

CK_RV
tf_token_put (tf_token *tok, tf_record *rec, uint64_t replaces)
{
	CK_RV rv;

	if (tok->txn_stored && rec->owner == 0 && tok->batch && rec->store_id == 0) {
		rv = defer (tok, rec);
		if (rv != CKR_OK) {
			tf_record_free (rec);
			return rv;
		}
	} else if (tok->txn_stored && rec->owner == 0) {
		tok->txn_wrote = true;
		rv = tf_store_put_over (tok->store, rec,
					replaces != 0 ? tf_index_lookup (tok->index, replaces) : NULL);
		if (rv != CKR_OK) {
			tf_record_free (rec);
			return rv;
		}
	}
	return stage (tok, rec, replaces);
}

CK_RV
tf_token_remove (tf_token *tok, uint64_t uid)
{
	tf_record *rec;
	CK_RV rv;

	rec = tf_index_lookup (tok->index, uid);
	if (rec == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if (tok->txn_stored && rec->owner == 0 && rec->store_id != 0) {
		tok->txn_wrote = true;
		rv = tf_store_remove (tok->store, rec->store_id);
		if (rv != CKR_OK)
			return rv;
	}
	return stage (tok, NULL, uid);
}

CK_RV
tf_token_commit (tf_token *tok)
{
	tf_pending *p;
	CK_RV rv = CKR_OK, rv2;

	if (tok->txn_stored && !tok->batch) {
		rv = tf_store_commit (tok->store);
		if (rv != CKR_OK) {
			tf_token_abort (tok);
			return rv;
		}
	}
	for (p = tok->pending; p != NULL; p = p->next) {
		if (p->rec == NULL) {
			tf_record_free (tf_index_remove (tok->index, p->replaces));
			continue;
		}
		rv2 = install (tok, p->rec, p->replaces);
		p->rec = NULL;
		if (rv2 != CKR_OK) {
			tf_error ("token \"%s\": out of memory applying a committed change; "
				  "it shows at the next refresh",
				  tok->label);
			rv = rv2;
		}
	}
	pending_free (tok->pending);
	tok->pending = NULL;
	tok->in_txn = false;
	tok->txn_stored = false;
	return rv;
}

void
tf_token_abort (tf_token *tok)
{
	if (tok->txn_stored && tok->batch) {
		/* The batch's transaction holds what this write did: it cannot commit. */
		if (tok->txn_wrote)
			tok->batch_failed = true;
	} else if (tok->txn_stored) {
		tf_store_rollback (tok->store);
	}
	pending_free (tok->pending);
	tok->pending = NULL;
	tok->in_txn = false;
	tok->txn_stored = false;
}

/* Reloads every token object from the store, after a rolled-back batch. */
static void
resync (tf_token *tok)
{
	CK_RV rv;

	tf_token_drop_session_objects (tok, 0);
	keyset_clear (tok->loaded);
	tf_index_forget_complete (tok->index);
	tok->loaded_all = false;
	rv = tf_store_mark_current (tok->store);
	if (rv != CKR_OK)
		tf_error ("token \"%s\": cannot reload the store after a batch was rolled back",
			  tok->label);
}

CK_RV
tf_token_batch_begin (tf_token *tok, unsigned long owner)
{
	CK_RV rv;

	if (tok->batch || tok->in_txn)
		return CKR_OPERATION_ACTIVE;
	if (tok->store != NULL) {
		tf_store_bulk (tok->store, true);
		rv = tf_token_begin (tok, true);
		if (rv != CKR_OK) {
			tf_store_bulk (tok->store, false);
			return rv;
		}
		/* Keep the store transaction; the writes in the batch share it. */
		tok->in_txn = false;
	}
	tok->batch = true;
	tok->batch_failed = false;
	tok->batch_owner = owner;
	return CKR_OK;
}

static int
uid_order (const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Writes the records new in the batch, as they are now, into its transaction. */
static CK_RV
write_deferred (tf_token *tok)
{
	tf_record **recs, *rec;
	int64_t store_id;
	size_t i, n = 0;
	CK_RV rv;

	if (tok->n_deferred == 0)
		return CKR_OK;
	recs = malloc (tok->n_deferred * sizeof (*recs));
	if (recs == NULL)
		return CKR_HOST_MEMORY;
	/* Each once: a certificate may be changed again after others came. */
	qsort (tok->deferred, tok->n_deferred, sizeof (uint64_t), uid_order);
	for (i = 0; i < tok->n_deferred; i++) {
		if (i > 0 && tok->deferred[i] == tok->deferred[i - 1])
			continue;
		rec = tf_index_lookup (tok->index, tok->deferred[i]);
		/* Gone again within the batch. */
		if (rec == NULL || rec->owner != 0 || rec->store_id != 0)
			continue;
		recs[n++] = rec;
	}
	rv = tf_store_put_new (tok->store, recs, n);
	/* The store set each store_id in place; the index learns them, or none stays. */
	for (i = 0; i < n; i++) {
		store_id = recs[i]->store_id;
		recs[i]->store_id = 0;
		if (rv == CKR_OK && !tf_index_set_store_id (tok->index, recs[i], store_id))
			rv = CKR_HOST_MEMORY;
	}
	free (recs);
	return rv;
}

static void
batch_end (tf_token *tok)
{
	free (tok->deferred);
	tok->deferred = NULL;
	tok->n_deferred = tok->cap_deferred = 0;
	if (tok->store != NULL)
		tf_store_bulk (tok->store, false);
	tok->batch = false;
	tok->batch_failed = false;
	tok->batch_owner = 0;
	tok->txn_stored = false;
}

CK_RV
tf_token_batch_commit (tf_token *tok)
{
	CK_RV rv = CKR_OK;

	if (!tok->batch)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (tok->store != NULL && tok->batch_failed) {
		tf_error ("token \"%s\": a write in the batch failed; nothing of the batch is "
			  "kept",
			  tok->label);
		tf_store_rollback (tok->store);
		resync (tok);
		rv = CKR_FUNCTION_FAILED;
	} else if (tok->store != NULL) {
		rv = write_deferred (tok);
		if (rv == CKR_OK)
			rv = tf_store_commit (tok->store);
		else
			tf_store_rollback (tok->store);
		if (rv != CKR_OK)
			resync (tok);
	}
	batch_end (tok);
	return rv;
}

void
tf_token_batch_abort (tf_token *tok)
{
	if (!tok->batch)
		return;
	if (tok->store != NULL) {
		tf_store_rollback (tok->store);
		resync (tok);
	}
	batch_end (tok);
}

typedef struct {
	CK_SESSION_HANDLE owner;
	uint64_t *uids;
	size_t n, cap;
	bool oom;
} owned;

static bool
collect_owned (void *ctx, tf_record *rec)
{
	owned *o = ctx;
	uint64_t *grown;

	if (rec->owner != o->owner)
		return true;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		grown = realloc (o->uids, o->cap * sizeof (uint64_t));
		if (grown == NULL) {
			o->oom = true;
			return false;
		}
		o->uids = grown;
	}
	o->uids[o->n++] = rec->uid;
	return true;
}

void
tf_token_drop_session_objects (tf_token *tok, CK_SESSION_HANDLE owner)
{
	owned o = { .owner = owner };
	size_t i;

	if (tok->index == NULL)
		return;
	do {
		o.n = 0;
		o.oom = false;
		tf_index_each (tok->index, collect_owned, &o);
		for (i = 0; i < o.n; i++)
			tf_record_free (tf_index_remove (tok->index, o.uids[i]));
	} while (o.oom && o.n > 0);
	free (o.uids);
}
