/*
 * The in-memory index of one token: it owns the token's records (token
 * objects and session objects alike) and answers every lookup by hash, so
 * that no search scans all objects unless the template names no key at all.
 */
#ifndef TF_INDEX_H
#define TF_INDEX_H

#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tf_index tf_index;

/* The keys a record is found by. */
typedef enum {
	TF_KEY_ISSUER_SERIAL, /* issuer DER, serial DER INTEGER */
	TF_KEY_SUBJECT,
	TF_KEY_ID,
	TF_KEY_LABEL,
	TF_KEY_VALUE, /* the certificate DER */
	TF_KEY_SPKI,	/* the SHA-1 of the SubjectPublicKeyInfo */
	TF_KEY_COUNT,
} tf_key;

/* Called for each candidate; return false to stop. */
typedef bool (*tf_index_fn) (void *ctx, tf_record *rec);

/* A new empty index, NULL when out of memory. */
tf_index *tf_index_new (void);

/* Frees the index and every record it holds. Accepts NULL. */
void tf_index_free (tf_index *index);

/*
 * Takes ownership of rec and indexes it. A record with uid 0 gets a new,
 * process-unique uid; a record with a uid keeps it (a replacement of the
 * record that had it, which must have been taken out first). false when out
 * of memory; rec is then still the caller's.
 */
bool tf_index_take (tf_index *index, tf_record *rec);

/* Removes the record with this uid and hands it back (NULL when absent). */
tf_record *tf_index_remove (tf_index *index, uint64_t uid);

/*
 * Puts rec where old is, when the two have the same uid, store id and keys
 * (a change of trust, label aside: a write's usual case), and hands old
 * back; nothing is hashed twice and nothing can fail. NULL, with nothing
 * changed, when they differ: then remove and take.
 */
tf_record *tf_index_replace (tf_index *index, tf_record *old, tf_record *rec);

/*
 * Borrowed lookups; NULL when absent. A record's keys (and store_id) must not
 * change while it is indexed: the index finds its entries by them. To change
 * a record, remove it, change it (or a copy), and take it back.
 */
tf_record *tf_index_lookup (tf_index *index, uint64_t uid);
tf_record *tf_index_lookup_store_id (tf_index *index, int64_t store_id);

/*
 * The one change in place: rec, indexed without a store id, was just
 * written to the store, which gave it store_id. false when out of memory;
 * rec is then unchanged.
 */
bool tf_index_set_store_id (tf_index *index, tf_record *rec, int64_t store_id);

/*
 * Calls fn for every record whose key equals the given bytes (for
 * TF_KEY_ISSUER_SERIAL, a is the issuer and b the serial; b is unused for the
 * others). Candidates are exact matches on that key.
 */
void tf_index_each_key (tf_index *index, tf_key key, const void *a, size_t alen, const void *b,
			size_t blen, tf_index_fn fn, void *ctx);

/*
 * A key is complete when every record the store holds with it is in the
 * index: the token marks it after loading the key from the store, and the
 * mark stays while the key has a record in the index (a record taken with
 * it keeps it; the last one removed takes the mark away with the key's
 * slot). tf_index_each_complete_key walks the key's records, as
 * tf_index_each_key does, only when the key is marked, and says whether it
 * was. tf_index_forget_complete unmarks every key (the store was reloaded).
 */
bool tf_index_each_complete_key (tf_index *index, tf_key key, const void *a, size_t alen,
				 const void *b, size_t blen, tf_index_fn fn, void *ctx);
void tf_index_mark_complete (tf_index *index, tf_key key, const void *a, size_t alen,
			     const void *b, size_t blen);
void tf_index_forget_complete (tf_index *index);

/* Calls fn for every record, in no particular order. */
void tf_index_each (tf_index *index, tf_index_fn fn, void *ctx);

/* The number of records held. */
size_t tf_index_count (const tf_index *index);

/* The hash the index uses for a key's bytes (b may be NULL), for sets of keys elsewhere. */
uint64_t tf_index_hash (int kind, const void *a, size_t alen, const void *b, size_t blen);

/* A fresh process-unique id (never 0, never reused). */
uint64_t tf_index_next_uid (void);

#endif /* TF_INDEX_H */
