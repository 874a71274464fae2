/*
 * The in-memory index: chained hash tables, one per key, plus tables by uid
 * and by store row. Entries point at records that the index owns; the key
 * bytes are the record's own fields, so nothing is copied.
 */
#include "index.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	uint64_t hash;
	tf_record *rec;
	struct entry *next;
} entry;

typedef struct {
	entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
} table;

enum {
	T_UID = TF_KEY_COUNT,
	T_STORE_ID,
	T_COUNT,
};

struct tf_index {
	table tables[T_COUNT];
	size_t records;
};

static atomic_uint_fast64_t uid_counter;

uint64_t
tf_index_next_uid (void)
{
	return (uint64_t)atomic_fetch_add (&uid_counter, 1) + 1;
}

/*
 * A word-at-a-time multiplicative hash: keys are DER names and serials of
 * tens to hundreds of bytes, hashed on every lookup, so eight bytes a step.
 */
static uint64_t
hash_bytes (uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	while (len >= 8) {
		memcpy (&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	w = 0;
	if (len > 0)
		memcpy (&w, p, len);
	h = (h ^ w ^ ((uint64_t)len << 56)) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static uint64_t
mix (uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ULL

static uint64_t
hash_key (int t, const void *a, size_t alen, const void *b, size_t blen)
{
	uint64_t h = hash_bytes (HASH_SEED ^ (uint64_t)t, a, alen);

	if (b != NULL)
		h = hash_bytes (h ^ 0xff, b, blen);
	return mix (h);
}

uint64_t
tf_index_hash (int kind, const void *a, size_t alen, const void *b, size_t blen)
{
	return hash_key (kind, a, alen, b, blen);
}

static uint64_t
hash_u64 (int t, uint64_t v)
{
	return mix (v * 0x9e3779b97f4a7c15ULL + (uint64_t)t);
}

/* Which tables a record belongs to, and its key bytes there. */
static bool
record_key (const tf_record *rec, int t, const void **a, size_t *alen, const void **b,
	    size_t *blen)
{
	*b = NULL;
	*blen = 0;
	switch (t) {
	case TF_KEY_ISSUER_SERIAL:
		*a = rec->issuer.data;
		*alen = rec->issuer.len;
		*b = rec->serial.data;
		*blen = rec->serial.len;
		return rec->issuer.len > 0;
	case TF_KEY_SUBJECT:
		*a = rec->subject.data;
		*alen = rec->subject.len;
		return rec->subject.len > 0;
	case TF_KEY_ID:
		*a = rec->id.data;
		*alen = rec->id.len;
		return rec->id.len > 0;
	case TF_KEY_LABEL:
		*a = rec->label.data;
		*alen = rec->label.len;
		return rec->label.len > 0;
	case TF_KEY_VALUE:
		*a = rec->der.data;
		*alen = rec->der.len;
		return rec->der.len > 0;
	case TF_KEY_SPKI:
		*a = rec->spki_sha1.data;
		*alen = rec->spki_sha1.len;
		return rec->spki_sha1.len > 0;
	default:
		*a = NULL;
		*alen = 0;
		return false;
	}
}

static uint64_t
record_hash (const tf_record *rec, int t, bool *present)
{
	const void *a, *b;
	size_t alen, blen;

	*present = true;
	if (t == T_UID)
		return hash_u64 (t, rec->uid);
	if (t == T_STORE_ID) {
		*present = rec->store_id != 0;
		return hash_u64 (t, (uint64_t)rec->store_id);
	}
	*present = record_key (rec, t, &a, &alen, &b, &blen);
	return *present ? hash_key (t, a, alen, b, blen) : 0;
}

static bool
table_grow (table *tab)
{
	size_t n = tab->nbuckets ? tab->nbuckets * 2 : 64;
	entry **buckets, *e, *next;
	size_t i;

	buckets = calloc (n, sizeof (entry *));
	if (buckets == NULL)
		return false;
	for (i = 0; i < tab->nbuckets; i++) {
		for (e = tab->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = buckets[e->hash & (n - 1)];
			buckets[e->hash & (n - 1)] = e;
		}
	}
	free (tab->buckets);
	tab->buckets = buckets;
	tab->nbuckets = n;
	return true;
}

static bool
table_add (table *tab, uint64_t hash, tf_record *rec)
{
	entry *e;

	if (tab->count >= tab->nbuckets && !table_grow (tab))
		return false;
	e = malloc (sizeof (entry));
	if (e == NULL)
		return false;
	e->hash = hash;
	e->rec = rec;
	e->next = tab->buckets[hash & (tab->nbuckets - 1)];
	tab->buckets[hash & (tab->nbuckets - 1)] = e;
	tab->count++;
	return true;
}

static void
table_del (table *tab, uint64_t hash, const tf_record *rec)
{
	entry **p, *e;

	if (tab->nbuckets == 0)
		return;
	for (p = &tab->buckets[hash & (tab->nbuckets - 1)]; (e = *p) != NULL; p = &e->next) {
		if (e->rec == rec) {
			*p = e->next;
			free (e);
			tab->count--;
			return;
		}
	}
}

static void
table_clear (table *tab)
{
	entry *e, *next;
	size_t i;

	for (i = 0; i < tab->nbuckets; i++) {
		for (e = tab->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free (e);
		}
	}
	free (tab->buckets);
	memset (tab, 0, sizeof (*tab));
}

tf_index *
tf_index_new (void)
{
	return calloc (1, sizeof (tf_index));
}

static bool
collect_all (void *ctx, tf_record *rec)
{
	tf_record ***out = ctx;

	*(*out)++ = rec;
	return true;
}

void
tf_index_free (tf_index *index)
{
	tf_record **all, **p;
	size_t i, n;
	int t;

	if (index == NULL)
		return;
	n = index->records;
	all = calloc (n ? n : 1, sizeof (tf_record *));
	if (all != NULL) {
		p = all;
		tf_index_each (index, collect_all, &p);
		for (i = 0; i < n; i++)
			tf_record_free (all[i]);
		free (all);
	}
	for (t = 0; t < T_COUNT; t++)
		table_clear (&index->tables[t]);
	free (index);
}

static void
unlink_record (tf_index *index, tf_record *rec, int upto)
{
	bool present;
	uint64_t h;
	int t;

	for (t = 0; t < upto; t++) {
		h = record_hash (rec, t, &present);
		if (present)
			table_del (&index->tables[t], h, rec);
	}
}

bool
tf_index_take (tf_index *index, tf_record *rec)
{
	bool present, fresh = false;
	uint64_t h;
	int t;

	if (rec->uid == 0) {
		rec->uid = tf_index_next_uid ();
		fresh = true;
	}
	for (t = 0; t < T_COUNT; t++) {
		h = record_hash (rec, t, &present);
		if (present && !table_add (&index->tables[t], h, rec)) {
			unlink_record (index, rec, t);
			if (fresh)
				rec->uid = 0;
			return false;
		}
	}
	index->records++;
	return true;
}

tf_record *
tf_index_lookup (tf_index *index, uint64_t uid)
{
	table *tab = &index->tables[T_UID];
	uint64_t h = hash_u64 (T_UID, uid);
	entry *e;

	if (tab->nbuckets == 0)
		return NULL;
	for (e = tab->buckets[h & (tab->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && e->rec->uid == uid)
			return e->rec;
	}
	return NULL;
}

tf_record *
tf_index_lookup_store_id (tf_index *index, int64_t store_id)
{
	table *tab = &index->tables[T_STORE_ID];
	uint64_t h = hash_u64 (T_STORE_ID, (uint64_t)store_id);
	entry *e;

	if (tab->nbuckets == 0 || store_id == 0)
		return NULL;
	for (e = tab->buckets[h & (tab->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && e->rec->store_id == store_id)
			return e->rec;
	}
	return NULL;
}

tf_record *
tf_index_remove (tf_index *index, uint64_t uid)
{
	tf_record *rec;

	rec = tf_index_lookup (index, uid);
	if (rec == NULL)
		return NULL;
	unlink_record (index, rec, T_COUNT);
	index->records--;
	return rec;
}

void
tf_index_each_key (tf_index *index, tf_key key, const void *a, size_t alen, const void *b,
		   size_t blen, tf_index_fn fn, void *ctx)
{
	table *tab = &index->tables[key];
	const void *ra = NULL, *rb = NULL;
	size_t ralen = 0, rblen = 0;
	entry *e, *next;
	uint64_t h;

	if (tab->nbuckets == 0 || alen == 0)
		return;
	if (key != TF_KEY_ISSUER_SERIAL) {
		b = NULL;
		blen = 0;
	}
	h = hash_key (key, a, alen, b, blen);
	for (e = tab->buckets[h & (tab->nbuckets - 1)]; e != NULL; e = next) {
		next = e->next; /* fn may not change the index, but be safe with the cursor */
		if (e->hash != h)
			continue;
		record_key (e->rec, key, &ra, &ralen, &rb, &rblen);
		if (ralen != alen || memcmp (ra, a, alen) != 0)
			continue;
		if (key == TF_KEY_ISSUER_SERIAL &&
		    (rblen != blen || (blen > 0 && memcmp (rb, b, blen) != 0)))
			continue;
		if (!fn (ctx, e->rec))
			return;
	}
}

void
tf_index_each (tf_index *index, tf_index_fn fn, void *ctx)
{
	table *tab = &index->tables[T_UID];
	entry *e, *next;
	size_t i;

	for (i = 0; i < tab->nbuckets; i++) {
		for (e = tab->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (!fn (ctx, e->rec))
				return;
		}
	}
}

size_t
tf_index_count (const tf_index *index)
{
	return index->records;
}
