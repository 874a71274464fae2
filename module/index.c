/*
 * The in-memory index: open-addressed hash tables, one per key, plus tables
 * by uid and by store row. Slots point at records that the index owns; the
 * key bytes are the record's own fields, so nothing is copied. A key table
 * has one slot per distinct key, the records that share it chained through
 * their same_key links (record.h), newest first.
 */
#include "index.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * A slot keeps the whole hash beside the record, so that a probe passes over
 * other keys' slots without touching their records: one flat array is read,
 * four slots to a cache line. rec is NULL in an empty slot; in a key table it
 * is the newest record with the slot's key, the head of their chain.
 */
typedef struct {
	uint64_t hash;
	tf_record *rec;
} slot;

/*
 * Linear probing in a power-of-two array kept at most four fifths full, so
 * that every probe meets an empty slot. Removal shifts the rest of the run
 * back instead of leaving tombstones, so a run ends at the first empty slot
 * and lookups never slow down with churn.
 *
 * A slot per record would put all records of a shared key in one run from
 * their home on: adding to a key held by k records walked all k, and so did
 * finding any other key whose home fell inside that run (16 µs instead of
 * 0.4 with 50,000 certificates of one label among 100,000). So a key table
 * holds a slot per distinct key, and runs are as short as the number of keys
 * makes them. Two keys with one 64-bit hash still get a slot each: a probe
 * compares the hash, then the key bytes of the slot's head record.
 */
typedef struct {
	slot *slots;
	size_t cap; /* 0, or a power of two */
	size_t count;
} table;

/* The first size; small, as a token of a few session objects is common. */
#define TABLE_MIN 16

/*
 * A table of 2 MB or more (from 131,072 slots: a store past 52,000
 * certificates) is mapped on its own, aligned to 2 MB and, where the
 * kernel allows it, in huge pages. Growing the tables of 100,000 records
 * otherwise faulted in some 5,000 small pages, a third of the time of the
 * batch that crossed 104,857 records.
 */
#define HUGE_BYTES ((size_t)2 << 20)

/* Zeroed slots for cap entries; NULL when out of memory. */
static slot *
slots_alloc (size_t cap)
{
	size_t bytes = cap * sizeof (slot);
	unsigned char *p, *aligned;

	if (bytes < HUGE_BYTES)
		return calloc (cap, sizeof (slot));
	p = mmap (NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned = (unsigned char *)(((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	if (aligned > p)
		munmap (p, (size_t)(aligned - p));
	munmap (aligned + bytes, (size_t)(p + HUGE_BYTES - aligned));
#ifdef MADV_HUGEPAGE
	/* A hint: without it, or where the kernel says no, small pages do. */
	madvise (aligned, bytes, MADV_HUGEPAGE);
#endif
	return (slot *)aligned;
}

/* Frees what slots_alloc gave for cap entries. */
static void
slots_free (slot *slots, size_t cap)
{
	if (slots == NULL)
		return;
	if (cap * sizeof (slot) < HUGE_BYTES)
		free (slots);
	else
		munmap (slots, cap * sizeof (slot));
}

/* No slot found. */
#define NO_SLOT SIZE_MAX

enum {
	T_UID = TF_KEY_COUNT,
	T_STORE_ID,
	T_COUNT,
};

/*
 * The key tables chain; uid and store row are unique and need no chain.
 * Each chain costs every record a pointer (8 bytes), paid in the record.
 */
_Static_assert (TF_KEY_COUNT == TF_RECORD_KEYS, "a same_key link per key table");

struct tf_index {
	table tables[T_COUNT];
	size_t records;
	uint64_t changes; /* takes and removals, to catch a callback that makes one */
};

static atomic_uint_fast64_t uid_counter;

uint64_t
tf_index_next_uid (void)
{
	return (uint64_t)atomic_fetch_add (&uid_counter, 1) + 1;
}

/* Odd constants (hexadecimal digits of pi) for the hash below. */
#define K0 0x243f6a8885a308d3ULL
#define K1 0x13198a2e03707345ULL
#define K2 0xa4093822299f31d1ULL
#define K3 0x082efa98ec4e6c89ULL

static inline uint64_t
read64 (const unsigned char *p)
{
	uint64_t w;

	memcpy (&w, p, 8);
	return w;
}

/* The 128-bit product of a and b, folded to 64 bits: every bit of each moves every bit. */
static inline uint64_t
fold_mul (uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * Sixteen bytes (x, y) into the state h. x and y count on their own too, so
 * that a word which makes the product zero does not wipe out the rest.
 */
static inline uint64_t
absorb (uint64_t h, uint64_t x, uint64_t y)
{
	return fold_mul (x ^ K2, y ^ h ^ K3) ^ x ^ ((y << 29) | (y >> 35));
}

/*
 * Keys are DER names and serials of tens to hundreds of bytes, hashed on
 * every lookup. Sixteen bytes go into each wide multiplication, and two
 * lanes of them run side by side: a one-lane, eight-bytes-a-step hash was a
 * fifth of a trust lookup's time (56 ns for an issuer and serial). Not a
 * defence against keys made to collide (no fast unkeyed hash is): those
 * cost probes, never a wrong answer, as every match compares the bytes.
 */
static uint64_t
hash_bytes (uint64_t seed, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t a = seed ^ K0, b = seed ^ K1, tail[2] = {0, 0};
	size_t n = len;

	while (n >= 32) {
		a = absorb (a, read64 (p), read64 (p + 8));
		b = absorb (b, read64 (p + 16), read64 (p + 24));
		p += 32;
		n -= 32;
	}
	if (n >= 16) {
		a = absorb (a, read64 (p), read64 (p + 8));
		p += 16;
		n -= 16;
	}
	if (n > 0)
		memcpy (tail, p, n);
	a = absorb (a, tail[0], tail[1] ^ (uint64_t)len);
	return fold_mul (a ^ K2, b ^ K3) ^ a ^ b;
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

/*
 * In a key table's slot, the hash's top bit says the key is complete: every
 * record the store holds with it is in the index (tf_index_mark_complete),
 * so a search needs to ask neither the token's set of loaded keys nor the
 * store. Key hashes leave the bit clear; a slot made afresh has it clear.
 */
#define COMPLETE (1ULL << 63)

static uint64_t
hash_key (int t, const void *a, size_t alen, const void *b, size_t blen)
{
	uint64_t h;

#ifdef TF_INDEX_ALL_KEYS_COLLIDE
	/* tests/unit/test-index-collide.c: every key of a table hashes alike. */
	return mix (HASH_SEED ^ (uint64_t)t) & ~COMPLETE;
#endif
	h = hash_bytes (HASH_SEED ^ (uint64_t)t, a, alen);

	if (b != NULL)
		h = hash_bytes (h ^ 0xff, b, blen);
	return mix (h) & ~COMPLETE;
}

uint64_t
tf_index_hash (int kind, const void *a, size_t alen, const void *b, size_t blen)
{
	return hash_key (kind, a, alen, b, blen);
}

/*
 * uids and store rows are counters. Eight consecutive ones share one
 * eight-slot group (two cache lines), so that records loaded together (a
 * listing, a whole store) are found along the array instead of at random
 * places in it; the groups themselves go where the mix puts them. Not the
 * counter itself: counters past the table's size would wrap onto the
 * slots of the first ones, and a probe would walk the whole run of them
 * (that made a batch into 100,000 records six times slower).
 */
static uint64_t
hash_u64 (int t, uint64_t v)
{
	return (mix ((v >> 3) * 0x9e3779b97f4a7c15ULL + (uint64_t)t) << 3) | (v & 7);
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

/*
 * Whether one more entry would take the table past four fifths full. Not 3/4:
 * a table doubles at its limit and then stays twice as big for as long again,
 * and 100,000 records (the benchmark's and the memory target's size) are just
 * past 3/4 of 2^17, which costs 16 MB more over the eight tables. Linear
 * probing at 0.8 still reads a few cache lines at most, and the benchmark's
 * lookups measured the same.
 */
static bool
table_needs_room (const table *tab)
{
	return tab->count + 1 > tab->cap - tab->cap / 5;
}

/* Puts an entry in the first empty slot of its run; the load bound leaves one. */
static void
place (slot *slots, size_t cap, uint64_t hash, tf_record *rec)
{
	size_t i = hash & (cap - 1);

	while (slots[i].rec != NULL)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].rec = rec;
}

/*
 * Doubles the array and places every entry again by its stored hash; no key
 * is hashed again. Filling an empty array in any order leaves each entry
 * reachable from its home, whatever the runs were before. On failure the
 * table is as it was.
 */
static bool
table_grow (table *tab)
{
	size_t cap = tab->cap ? tab->cap * 2 : TABLE_MIN;
	slot *slots;
	size_t i;

	slots = slots_alloc (cap);
	if (slots == NULL)
		return false;
	for (i = 0; i < tab->cap; i++) {
		if (tab->slots[i].rec != NULL)
			place (slots, cap, tab->slots[i].hash, tab->slots[i].rec);
	}
	slots_free (tab->slots, tab->cap);
	tab->slots = slots;
	tab->cap = cap;
	return true;
}

/* Adds an entry to a table that has room for it (table_needs_room said no). */
static void
table_put (table *tab, uint64_t hash, tf_record *rec)
{
	place (tab->slots, tab->cap, hash, rec);
	tab->count++;
}

/*
 * Empties slot i and closes the gap: each later entry of the run whose home
 * is not between the gap and itself moves back into the gap, which then
 * moves on to where that entry was. The run stays unbroken for every entry
 * left in it, with no tombstone.
 */
static void
table_unslot (table *tab, size_t i)
{
	size_t mask = tab->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (tab->slots[j].rec == NULL)
			break;
		home = tab->slots[j].hash & mask;
		/* Distances back from j, around the end of the array. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			tab->slots[i] = tab->slots[j];
			i = j;
		}
	}
	tab->slots[i].hash = 0;
	tab->slots[i].rec = NULL;
	tab->count--;
}

/* Removes the entry of rec from a table of unique keys; the pointer tells it. */
static void
table_del (table *tab, uint64_t hash, const tf_record *rec)
{
	size_t mask = tab->cap - 1, i;

	if (tab->cap == 0)
		return;
	for (i = hash & mask; tab->slots[i].rec != NULL; i = (i + 1) & mask) {
		if (tab->slots[i].rec == rec) {
			table_unslot (tab, i);
			return;
		}
	}
}

/*
 * The lines a key's comparison and the search after it read, asked for at
 * once: the record's fields (the key's length and place, the chain, the
 * decision), and the start of the certificate a compact record carries
 * right behind them (record.h), where the issuer, serial and subject lie.
 * Read one after the other, in a store of 100,000 that was a cache miss
 * behind a cache miss for every search: the record's line with the key's
 * place, then the key's bytes. Side by side over 150 and 100,000
 * certificates (bench's flat child), the growth of a trust lookup fell
 * from about 1.4x to 1.2x, of a search by subject from about 1.5x to 1.3x.
 */
#define RECORD_PREFETCH_LINES 12

static inline void
prefetch_record (const tf_record *rec)
{
	const char *p = (const char *)rec;
	int k;

	for (k = 0; k < RECORD_PREFETCH_LINES; k++)
		__builtin_prefetch (p + 64 * k);
}

/* Whether rec's bytes for this key are these (the hashes already matched). */
static bool
key_equals (const tf_record *rec, tf_key key, const void *a, size_t alen, const void *b,
	    size_t blen)
{
	const void *ra, *rb;
	size_t ralen, rblen;

	record_key (rec, key, &ra, &ralen, &rb, &rblen);
	if (ralen != alen || memcmp (ra, a, alen) != 0)
		return false;
	if (key != TF_KEY_ISSUER_SERIAL)
		return true;
	return rblen == blen && (blen == 0 || memcmp (rb, b, blen) == 0);
}

/* The slot of this key (of hash h) in key table t, or NO_SLOT. */
static size_t
key_slot (const table *tab, tf_key t, uint64_t h, const void *a, size_t alen, const void *b,
	  size_t blen)
{
	size_t mask = tab->cap - 1, i;

	if (tab->cap == 0)
		return NO_SLOT;
	for (i = h & mask; tab->slots[i].rec != NULL; i = (i + 1) & mask) {
		if ((tab->slots[i].hash & ~COMPLETE) != h)
			continue;
		prefetch_record (tab->slots[i].rec);
		if (key_equals (tab->slots[i].rec, t, a, alen, b, blen))
			return i;
	}
	return NO_SLOT;
}

/* The slot that holds rec's own key in key table t, or NO_SLOT. */
static size_t
record_slot (const table *tab, tf_key t, uint64_t h, const tf_record *rec)
{
	const void *a, *b;
	size_t alen, blen;

	record_key (rec, t, &a, &alen, &b, &blen);
	return key_slot (tab, t, h, a, alen, b, blen);
}

/*
 * Takes rec out of the chain of its key, and the key's slot out of the table
 * when rec was its last record. Singly linked, so this walks the chain from
 * its head: newest first, so a record just replaced (removed and taken back,
 * as a write does) is found at once, and the oldest of k costs k steps.
 */
static void
chain_del (table *tab, tf_key t, uint64_t hash, tf_record *rec)
{
	size_t i = record_slot (tab, t, hash, rec);
	tf_record **link;

	if (i == NO_SLOT)
		return;
	for (link = &tab->slots[i].rec; *link != NULL; link = &(*link)->same_key[t]) {
		if (*link == rec) {
			*link = rec->same_key[t];
			rec->same_key[t] = NULL;
			break;
		}
	}
	if (tab->slots[i].rec == NULL)
		table_unslot (tab, i);
}

static void
table_clear (table *tab)
{
	slots_free (tab->slots, tab->cap);
	memset (tab, 0, sizeof (*tab));
}

tf_index *
tf_index_new (void)
{
	return calloc (1, sizeof (tf_index));
}

void
tf_index_free (tf_index *index)
{
	table *uids;
	size_t i;
	int t;

	if (index == NULL)
		return;
	/* Every record is in the uid table once; nothing is unlinked on the way out. */
	uids = &index->tables[T_UID];
	for (i = 0; i < uids->cap; i++)
		tf_record_free (uids->slots[i].rec);
	for (t = 0; t < T_COUNT; t++)
		table_clear (&index->tables[t]);
	free (index);
}

static void
unlink_record (tf_index *index, tf_record *rec)
{
	bool present;
	uint64_t h;
	int t;

	for (t = 0; t < T_COUNT; t++) {
		h = record_hash (rec, t, &present);
		if (!present)
			continue;
		if (t < TF_KEY_COUNT)
			chain_del (&index->tables[t], t, h, rec);
		else
			table_del (&index->tables[t], h, rec);
	}
}

bool
tf_index_take (tf_index *index, tf_record *rec)
{
	uint64_t hashes[T_COUNT];
	size_t at[T_COUNT];
	bool present[T_COUNT], fresh = false;
	table *tab;
	int t;

	if (rec->uid == 0) {
		rec->uid = tf_index_next_uid ();
		fresh = true;
	}
	/*
	 * A key already held needs no slot, only a link; a new one needs room.
	 * Room in every table first, then the entries: linking and placing
	 * cannot fail, so a failure leaves no table holding the record. A
	 * table grown for nothing holds the same entries as before (and the
	 * slots found stay where they are: a table that has one does not grow).
	 */
	for (t = 0; t < T_COUNT; t++) {
		tab = &index->tables[t];
		hashes[t] = record_hash (rec, t, &present[t]);
		at[t] = NO_SLOT;
		if (!present[t])
			continue;
		if (t < TF_KEY_COUNT)
			at[t] = record_slot (tab, t, hashes[t], rec);
		if (at[t] == NO_SLOT && table_needs_room (tab) && !table_grow (tab)) {
			if (fresh)
				rec->uid = 0;
			return false;
		}
	}
	for (t = 0; t < T_COUNT; t++) {
		tab = &index->tables[t];
		if (!present[t])
			continue;
		if (t < TF_KEY_COUNT)
			rec->same_key[t] = at[t] == NO_SLOT ? NULL : tab->slots[at[t]].rec;
		if (at[t] == NO_SLOT)
			table_put (tab, hashes[t], rec);
		else
			tab->slots[at[t]].rec = rec;
	}
	index->records++;
	index->changes++;
	return true;
}

tf_record *
tf_index_lookup (tf_index *index, uint64_t uid)
{
	table *tab = &index->tables[T_UID];
	uint64_t h = hash_u64 (T_UID, uid);
	size_t mask = tab->cap - 1, i;

	if (tab->cap == 0)
		return NULL;
	for (i = h & mask; tab->slots[i].rec != NULL; i = (i + 1) & mask) {
		if (tab->slots[i].hash == h && tab->slots[i].rec->uid == uid)
			return tab->slots[i].rec;
	}
	return NULL;
}

bool
tf_index_set_store_id (tf_index *index, tf_record *rec, int64_t store_id)
{
	table *tab = &index->tables[T_STORE_ID];

	if (rec->store_id != 0 || store_id == 0)
		return false;
	if (table_needs_room (tab) && !table_grow (tab))
		return false;
	rec->store_id = store_id;
	table_put (tab, hash_u64 (T_STORE_ID, (uint64_t)store_id), rec);
	return true;
}

tf_record *
tf_index_lookup_store_id (tf_index *index, int64_t store_id)
{
	table *tab = &index->tables[T_STORE_ID];
	uint64_t h = hash_u64 (T_STORE_ID, (uint64_t)store_id);
	size_t mask = tab->cap - 1, i;

	if (tab->cap == 0 || store_id == 0)
		return NULL;
	for (i = h & mask; tab->slots[i].rec != NULL; i = (i + 1) & mask) {
		if (tab->slots[i].hash == h && tab->slots[i].rec->store_id == store_id)
			return tab->slots[i].rec;
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
	unlink_record (index, rec);
	index->records--;
	index->changes++;
	return rec;
}

/* Points the slot of a unique-key table that holds old at rec instead. */
static void
table_swap (table *tab, uint64_t hash, const tf_record *old, tf_record *rec)
{
	size_t mask = tab->cap - 1, i;

	for (i = hash & mask; tab->cap > 0 && tab->slots[i].rec != NULL; i = (i + 1) & mask) {
		if (tab->slots[i].rec == old) {
			tab->slots[i].rec = rec;
			return;
		}
	}
}

tf_record *
tf_index_replace (tf_index *index, tf_record *old, tf_record *rec)
{
	const void *a, *b, *ra, *rb;
	size_t alen, blen, ralen, rblen, i;
	tf_record **link;
	uint64_t h;
	bool present;
	int t;

	if (old == NULL || old->uid != rec->uid || old->store_id != rec->store_id)
		return NULL;
	for (t = 0; t < TF_KEY_COUNT; t++) {
		record_key (old, t, &a, &alen, &b, &blen);
		record_key (rec, t, &ra, &ralen, &rb, &rblen);
		if (alen != ralen || blen != rblen || (alen > 0 && memcmp (a, ra, alen) != 0) ||
		    (blen > 0 && memcmp (b, rb, blen) != 0))
			return NULL;
	}
	for (t = 0; t < T_COUNT; t++) {
		h = record_hash (old, t, &present);
		if (!present)
			continue;
		if (t >= TF_KEY_COUNT) {
			table_swap (&index->tables[t], h, old, rec);
			continue;
		}
		i = record_slot (&index->tables[t], t, h, old);
		if (i == NO_SLOT)
			continue;
		for (link = &index->tables[t].slots[i].rec; *link != NULL;
		     link = &(*link)->same_key[t]) {
			if (*link == old) {
				*link = rec;
				rec->same_key[t] = old->same_key[t];
				old->same_key[t] = NULL;
				break;
			}
		}
	}
	index->changes++;
	return old;
}

/* The slot of a key in its table, or NO_SLOT (an empty key has none). */
static size_t
find_key (tf_index *index, tf_key key, const void *a, size_t alen, const void *b, size_t blen)
{
	table *tab = &index->tables[key];

	if (tab->cap == 0 || alen == 0)
		return NO_SLOT;
	if (key != TF_KEY_ISSUER_SERIAL) {
		b = NULL;
		blen = 0;
	}
	return key_slot (tab, key, hash_key (key, a, alen, b, blen), a, alen, b, blen);
}

/*
 * Every record of the chain has the key: none needs a look before fn. fn
 * may not change the index; should it take or remove a record all the same,
 * the walk stops there, a wrong answer rather than a step through a record
 * that may have been freed.
 */
static void
walk_chain (tf_index *index, tf_key key, size_t i, tf_index_fn fn, void *ctx)
{
	uint64_t changes = index->changes;
	tf_record *rec;

	for (rec = index->tables[key].slots[i].rec; rec != NULL; rec = rec->same_key[key]) {
		/* The next record's first lines load while fn reads this one. */
		if (rec->same_key[key] != NULL) {
			__builtin_prefetch (rec->same_key[key]);
			__builtin_prefetch ((const char *)rec->same_key[key] + 64);
			__builtin_prefetch ((const char *)rec->same_key[key] + 128);
		}
		if (!fn (ctx, rec) || index->changes != changes)
			return;
	}
}

void
tf_index_each_key (tf_index *index, tf_key key, const void *a, size_t alen, const void *b,
		   size_t blen, tf_index_fn fn, void *ctx)
{
	size_t i = find_key (index, key, a, alen, b, blen);

	if (i != NO_SLOT)
		walk_chain (index, key, i, fn, ctx);
}

bool
tf_index_each_complete_key (tf_index *index, tf_key key, const void *a, size_t alen,
			    const void *b, size_t blen, tf_index_fn fn, void *ctx)
{
	size_t i = find_key (index, key, a, alen, b, blen);

	if (i == NO_SLOT || !(index->tables[key].slots[i].hash & COMPLETE))
		return false;
	walk_chain (index, key, i, fn, ctx);
	return true;
}

void
tf_index_mark_complete (tf_index *index, tf_key key, const void *a, size_t alen, const void *b,
			size_t blen)
{
	size_t i = find_key (index, key, a, alen, b, blen);

	if (i != NO_SLOT)
		index->tables[key].slots[i].hash |= COMPLETE;
}

void
tf_index_forget_complete (tf_index *index)
{
	size_t i;
	int t;

	for (t = 0; t < TF_KEY_COUNT; t++) {
		for (i = 0; i < index->tables[t].cap; i++)
			index->tables[t].slots[i].hash &= ~COMPLETE;
	}
}

/*
 * Walks the uid table downwards, starting below an empty slot. No run
 * crosses that slot, and a removal only moves entries of a run towards its
 * start, that is from slots already walked into slots already walked: so fn
 * may remove the record it is given (or any it was given before) and every
 * other record is still visited exactly once.
 */
void
tf_index_each (tf_index *index, tf_index_fn fn, void *ctx)
{
	table *tab = &index->tables[T_UID];
	size_t mask = tab->cap - 1, start, n, i;
	tf_record *rec;

	if (tab->cap == 0)
		return;
	for (start = 0; tab->slots[start].rec != NULL; start++)
		;
	for (n = 1; n < tab->cap; n++) {
		i = (start - n) & mask;
		rec = tab->slots[i].rec;
		if (rec != NULL && !fn (ctx, rec))
			return;
	}
}

size_t
tf_index_count (const tf_index *index)
{
	return index->records;
}
