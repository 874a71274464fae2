/*
 * The in-memory index through its own interface (index.h): ownership of
 * records, lookups by uid and store row, and every key answering exactly the
 * records that carry it, also when keys share a bucket or a whole hash.
 *
 * The tables are open-addressed (linear probing, removal by shifting back),
 * with one slot per distinct key and the records that share it chained:
 * long chains, removal from any place in a chain, a key whose last record
 * goes, two keys with one hash, runs around the end of the array, growth and
 * a growth that fails are what could break, so those have tests of their
 * own. The failure comes from __wrap_calloc below (the Makefile links this
 * test with --wrap=calloc), which also counts the index's allocations: a
 * table that grows is seen, so is a slot per record where there should be
 * one per key.
 */
#include "unit.h"

#include "index.h"
#include "record.h"

#include <string.h>

/* When every key collides (test-index-collide.c), distinct keys cost a probe each: fewer. */
#ifdef TF_INDEX_ALL_KEYS_COLLIDE
#define MANY 600
#else
#define MANY 10000
#endif

void *__real_calloc (size_t n, size_t size);
void *__wrap_calloc (size_t n, size_t size);

/* When positive, the calloc that many calls from now returns NULL. */
static int calloc_fails_in;

/* Every call, for counting what one take allocates. */
static size_t calloc_calls;

void *
__wrap_calloc (size_t n, size_t size)
{
	calloc_calls++;
	if (calloc_fails_in > 0 && --calloc_fails_in == 0)
		return NULL;
	return __real_calloc (n, size);
}

/* What a walk over the index delivered. */
typedef struct {
	tf_record **recs;
	size_t n;
	size_t cap;
	size_t stop_after; /* 0: never stop */
} visits;

static bool
visit (void *ctx, tf_record *rec)
{
	visits *v = ctx;

	if (v->n == v->cap) {
		tf_record **bigger;

		v->cap = v->cap ? v->cap * 2 : 16;
		bigger = realloc (v->recs, v->cap * sizeof (*bigger));
		assert_non_null (bigger);
		v->recs = bigger;
	}
	v->recs[v->n++] = rec;
	return v->stop_after == 0 || v->n < v->stop_after;
}

static void
visits_reset (visits *v)
{
	free (v->recs);
	memset (v, 0, sizeof (*v));
}

static bool
visited (const visits *v, const tf_record *rec)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (v->recs[i] == rec)
			return true;
	}
	return false;
}

static void
set (tf_bytes *b, const char *s)
{
	if (s != NULL)
		assert_true (tf_bytes_set (b, s, strlen (s)));
}

/* A record with these keys (NULL: empty), not yet indexed. */
static tf_record *
make (const char *issuer, const char *serial, const char *subject, const char *id,
      const char *label, const char *der)
{
	tf_record *rec = tf_record_new ();

	assert_non_null (rec);
	set (&rec->issuer, issuer);
	set (&rec->serial, serial);
	set (&rec->subject, subject);
	set (&rec->id, id);
	set (&rec->label, label);
	set (&rec->der, der);
	return rec;
}

static tf_record *
take (tf_index *index, tf_record *rec)
{
	assert_true (tf_index_take (index, rec));
	assert_int_not_equal (rec->uid, 0);
	return rec;
}

/* Takes rec; the number of tables that grew for it (each growth is one calloc). */
static size_t
take_growths (tf_index *index, tf_record *rec)
{
	size_t before = calloc_calls;

	take (index, rec);
	return calloc_calls - before;
}

/*
 * The records found by one key are exactly the ones listed (NULL-terminated),
 * each once, failing at the caller's line.
 */
#define assert_key_finds(index, key, a, b, ...)                                                    \
	check_key_finds ((index), (key), (a), (b), (const tf_record *[]){__VA_ARGS__, NULL},       \
	                 __FILE__, __LINE__)

static void
check_key_finds (tf_index *index, tf_key key, const char *a, const char *b,
                 const tf_record *const *want, const char *file, int line)
{
	visits v = {0};
	size_t n, i, j;

	tf_index_each_key (index, key, a, strlen (a), b, b != NULL ? strlen (b) : 0, visit, &v);
	for (n = 0; want[n] != NULL; n++)
		_assert_true (visited (&v, want[n]), "an expected record was found", file, line);
	_assert_int_equal (v.n, n, file, line);
	for (i = 0; i < v.n; i++) {
		for (j = i + 1; j < v.n; j++)
			_assert_true (v.recs[i] != v.recs[j], "each record found once", file, line);
	}
	visits_reset (&v);
}

#define assert_key_finds_nothing(index, key, a, b)                                                 \
	check_key_finds ((index), (key), (a), (b), (const tf_record *[]){NULL}, __FILE__, __LINE__)

static void
test_empty (void **state)
{
	tf_index *index = tf_index_new ();
	visits v = {0};

	(void)state;
	assert_non_null (index);
	assert_int_equal (tf_index_count (index), 0);
	assert_null (tf_index_lookup (index, 1));
	assert_null (tf_index_lookup_store_id (index, 1));
	assert_null (tf_index_remove (index, 1));
	tf_index_each (index, visit, &v);
	assert_int_equal (v.n, 0);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "x", NULL);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "x", "y");
	tf_index_free (index);
	tf_index_free (NULL);
}

static void
test_take_lookup_remove (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *a, *b, *got;
	uint64_t uid_a;

	(void)state;
	a = make ("I", "\x02\x01\x01", "S-a", "id-a", "label-a", "der-a");
	a->store_id = 17;
	b = make ("I", "\x02\x01\x02", "S-b", "id-b", "label-b", "der-b");
	b->store_id = -5; /* a row id is whatever the store says */
	take (index, a);
	take (index, b);
	uid_a = a->uid;
	assert_int_not_equal (a->uid, b->uid);
	assert_int_equal (tf_index_count (index), 2);

	assert_ptr_equal (tf_index_lookup (index, a->uid), a);
	assert_ptr_equal (tf_index_lookup (index, b->uid), b);
	assert_ptr_equal (tf_index_lookup_store_id (index, 17), a);
	assert_ptr_equal (tf_index_lookup_store_id (index, -5), b);
	assert_null (tf_index_lookup_store_id (index, 18));
	assert_null (tf_index_lookup (index, 0));

	got = tf_index_remove (index, uid_a);
	assert_ptr_equal (got, a);
	assert_int_equal (tf_index_count (index), 1);
	assert_null (tf_index_lookup (index, uid_a));
	assert_null (tf_index_lookup_store_id (index, 17));
	assert_null (tf_index_remove (index, uid_a));
	/* Gone from every key, and b is still there under each. */
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "I", "\x02\x01\x02", b);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "I", "\x02\x01\x01");
	assert_key_finds_nothing (index, TF_KEY_SUBJECT, "S-a", NULL);
	assert_key_finds_nothing (index, TF_KEY_ID, "id-a", NULL);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "label-a", NULL);
	assert_key_finds_nothing (index, TF_KEY_VALUE, "der-a", NULL);
	assert_key_finds (index, TF_KEY_LABEL, "label-b", NULL, b);

	/* The removed record is the caller's again. */
	assert_int_equal (a->uid, uid_a);
	tf_record_free (a);
	tf_index_free (index);
}

static void
test_store_id_zero (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *unstored;

	(void)state;
	unstored = take (index, make (NULL, NULL, NULL, NULL, "session object", NULL));
	assert_null (tf_index_lookup_store_id (index, 0));
	assert_ptr_equal (tf_index_lookup (index, unstored->uid), unstored);
	tf_index_free (index);
}

static void
test_each_key_exact (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *a, *b, *c, *d, *e;

	(void)state;
	a = take (index, make ("CN=Root", "\x02\x01\x01", "CN=Leaf", "k1", "Leaf", "der-a"));
	b = take (index, make ("CN=Root", "\x02\x01\x02", "CN=Leaf", "k2", "Leaf", "der-b"));
	c = take (index, make ("CN=Other", "\x02\x01\x01", "CN=Root", "k1", "Leaf 2", "der-c"));
	/* A key that is a prefix of another's. */
	d = take (index, make ("CN=Roo", "\x02\x01\x01", "CN=Lea", "k", "Lea", "der-"));
	/* The same bytes as a's subject, under other keys only. */
	e = take (index, make (NULL, NULL, NULL, "CN=Leaf", "CN=Leaf", NULL));

	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "CN=Root", "\x02\x01\x01", a);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "CN=Root", "\x02\x01\x02", b);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "CN=Other", "\x02\x01\x01", c);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "CN=Roo", "\x02\x01\x01", d);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "CN=Root", "\x02\x01\x03");
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "CN=Root", "\x02\x01");

	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Leaf", NULL, a, b);
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Root", NULL, c);
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Lea", NULL, d);
	assert_key_finds_nothing (index, TF_KEY_SUBJECT, "CN=Leaf2", NULL);

	assert_key_finds (index, TF_KEY_ID, "k1", NULL, a, c);
	assert_key_finds (index, TF_KEY_ID, "k2", NULL, b);
	assert_key_finds (index, TF_KEY_ID, "k", NULL, d);
	assert_key_finds (index, TF_KEY_ID, "CN=Leaf", NULL, e);

	assert_key_finds (index, TF_KEY_LABEL, "Leaf", NULL, a, b);
	assert_key_finds (index, TF_KEY_LABEL, "Leaf 2", NULL, c);
	assert_key_finds (index, TF_KEY_LABEL, "CN=Leaf", NULL, e);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "leaf", NULL);

	assert_key_finds (index, TF_KEY_VALUE, "der-a", NULL, a);
	assert_key_finds (index, TF_KEY_VALUE, "der-", NULL, d);
	assert_key_finds_nothing (index, TF_KEY_VALUE, "der-a ", NULL);

	/* b is ignored for every key but issuer + serial. */
	assert_key_finds (index, TF_KEY_LABEL, "Leaf", "anything", a, b);
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Leaf", "\x02\x01\x01", a, b);

	tf_index_free (index);
}

static void
test_issuer_serial_same_hash (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *a, *b, *c;

	(void)state;
	/*
	 * The same bytes split differently between issuer and serial. The
	 * hash takes each part with its length, so these have hashes of their
	 * own; keys that share a whole hash are test_same_hash_keys' (below).
	 */
	a = take (index, make ("AB", "C", NULL, NULL, NULL, NULL));
	b = take (index, make ("A", "BC", NULL, NULL, NULL, NULL));
	c = take (index, make ("ABC", NULL, NULL, NULL, NULL, NULL));

	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "AB", "C", a);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "A", "BC", b);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "A", "B");
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "AB", "CD");

	/* Removing one leaves its twins. */
	assert_ptr_equal (tf_index_remove (index, a->uid), a);
	tf_record_free (a);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "A", "BC", b);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "AB", "C");
	assert_ptr_equal (tf_index_lookup (index, c->uid), c);

	tf_index_free (index);
}

static void
test_empty_keys_not_indexed (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *bare, *serial_only, *full;

	(void)state;
	bare = take (index, make (NULL, NULL, NULL, NULL, NULL, NULL));
	serial_only = take (index, make (NULL, "\x02\x01\x07", NULL, NULL, NULL, NULL));
	full = take (index, make ("I", "\x02\x01\x07", "S", "K", "L", "D"));
	assert_int_equal (tf_index_count (index), 3);

	/* No empty key finds anything, although two records have them. */
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "", "\x02\x01\x07");
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "", "");
	assert_key_finds_nothing (index, TF_KEY_SUBJECT, "", NULL);
	assert_key_finds_nothing (index, TF_KEY_ID, "", NULL);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "", NULL);
	assert_key_finds_nothing (index, TF_KEY_VALUE, "", NULL);

	/* The one with keys is found by each of them; the others by uid only. */
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "I", "\x02\x01\x07", full);
	assert_key_finds (index, TF_KEY_SUBJECT, "S", NULL, full);
	assert_key_finds (index, TF_KEY_ID, "K", NULL, full);
	assert_key_finds (index, TF_KEY_LABEL, "L", NULL, full);
	assert_key_finds (index, TF_KEY_VALUE, "D", NULL, full);
	assert_ptr_equal (tf_index_lookup (index, bare->uid), bare);
	assert_ptr_equal (tf_index_lookup (index, serial_only->uid), serial_only);

	/* Records with empty keys come out cleanly. */
	assert_ptr_equal (tf_index_remove (index, bare->uid), bare);
	assert_ptr_equal (tf_index_remove (index, serial_only->uid), serial_only);
	tf_record_free (bare);
	tf_record_free (serial_only);
	assert_int_equal (tf_index_count (index), 1);
	tf_index_free (index);
}

/* The keys of record number i among MANY: some shared, some unique, some empty. */
static tf_record *
make_nth (int i)
{
	char issuer[32], serial[32], subject[32], id[32], label[32], der[32];
	tf_record *rec;

	snprintf (issuer, sizeof (issuer), "issuer-%d", i % 100);
	snprintf (serial, sizeof (serial), "serial-%d", i);
	snprintf (subject, sizeof (subject), "subject-%d", i % 37);
	snprintf (id, sizeof (id), "id-%d", i);
	snprintf (label, sizeof (label), "label-%d", i % 250);
	snprintf (der, sizeof (der), "der-%d", i);
	rec = make (issuer, serial, subject, id, i % 3 == 0 ? NULL : label, der);
	rec->store_id = i + 1;
	return rec;
}

/* Records 0 to count - 1 of make_nth, each taken into index, in an array the caller frees. */
static tf_record **
take_nth (tf_index *index, int count)
{
	tf_record **all;
	int n;

	all = calloc ((size_t)count, sizeof (*all));
	assert_non_null (all);
	for (n = 0; n < count; n++)
		all[n] = take (index, make_nth (n));
	assert_int_equal (tf_index_count (index), count);
	return all;
}

static void
check_group (tf_index *index, tf_key key, const char *value, tf_record *const *all, int modulo,
             int group, bool alive_even, bool every_third_empty)
{
	visits v = {0};
	size_t want = 0;
	int j;

	tf_index_each_key (index, key, value, strlen (value), NULL, 0, visit, &v);
	for (j = 0; j < MANY; j++) {
		if (j % modulo != group || (!alive_even && j % 2 == 0))
			continue;
		if (every_third_empty && j % 3 == 0)
			continue;
		want++;
		if (!visited (&v, all[j]))
			fail_msg ("%s: record %d not found", value, j);
	}
	/* All wanted ones are in the list and it is no longer: so each came once. */
	assert_int_equal (v.n, want);
	visits_reset (&v);
}

static void
check_many (tf_index *index, tf_record *const *all, bool alive_even)
{
	char buf[32], serial[32];
	visits v = {0};
	int i;

	for (i = 0; i < MANY; i++) {
		bool alive = alive_even || i % 2 == 1;

		if (alive) {
			assert_ptr_equal (tf_index_lookup (index, all[i]->uid), all[i]);
			assert_ptr_equal (tf_index_lookup_store_id (index, i + 1), all[i]);
		} else {
			assert_null (tf_index_lookup_store_id (index, i + 1));
		}
		snprintf (buf, sizeof (buf), "id-%d", i);
		v.n = 0;
		tf_index_each_key (index, TF_KEY_ID, buf, strlen (buf), NULL, 0, visit, &v);
		assert_int_equal (v.n, alive ? 1 : 0);
		if (alive)
			assert_ptr_equal (v.recs[0], all[i]);

		snprintf (buf, sizeof (buf), "der-%d", i);
		v.n = 0;
		tf_index_each_key (index, TF_KEY_VALUE, buf, strlen (buf), NULL, 0, visit, &v);
		assert_int_equal (v.n, alive ? 1 : 0);
		if (alive)
			assert_ptr_equal (v.recs[0], all[i]);

		snprintf (buf, sizeof (buf), "issuer-%d", i % 100);
		snprintf (serial, sizeof (serial), "serial-%d", i);
		v.n = 0;
		tf_index_each_key (index, TF_KEY_ISSUER_SERIAL, buf, strlen (buf), serial,
		                   strlen (serial), visit, &v);
		assert_int_equal (v.n, alive ? 1 : 0);
		if (alive)
			assert_ptr_equal (v.recs[0], all[i]);
	}
	visits_reset (&v);

	for (i = 0; i < 37; i++) {
		snprintf (buf, sizeof (buf), "subject-%d", i);
		check_group (index, TF_KEY_SUBJECT, buf, all, 37, i, alive_even, false);
	}
	for (i = 0; i < 250; i++) {
		snprintf (buf, sizeof (buf), "label-%d", i);
		check_group (index, TF_KEY_LABEL, buf, all, 250, i, alive_even, true);
	}
}

static void
test_many (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record **all;
	visits v = {0};
	size_t i;
	int n;

	(void)state;
	all = take_nth (index, MANY);
	check_many (index, all, true);

	/* Take out every even one; the odd ones are still found, the others nowhere. */
	for (n = 0; n < MANY; n += 2) {
		assert_ptr_equal (tf_index_remove (index, all[n]->uid), all[n]);
		tf_record_free (all[n]);
		all[n] = NULL;
	}
	assert_int_equal (tf_index_count (index), MANY / 2);
	check_many (index, all, false);

	tf_index_each (index, visit, &v);
	assert_int_equal (v.n, MANY / 2);
	for (i = 0; i < v.n; i++) {
		uint64_t uid = v.recs[i]->uid;
		int64_t row = v.recs[i]->store_id;

		assert_true (row % 2 == 0); /* i odd, store_id i + 1 */
		assert_ptr_equal (all[row - 1], v.recs[i]);
		assert_int_equal (uid, all[row - 1]->uid);
		all[row - 1] = NULL; /* seen: a second visit would fail above */
	}
	visits_reset (&v);
	free (all);
	/* The index frees the rest (valgrind tells). */
	tf_index_free (index);
}

static void
test_replace_keeps_uid (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *old, *new, *other;
	uint64_t uid;

	(void)state;
	old = take (index, make ("I", "\x02\x01\x01", "S", "K", "old label", "D"));
	uid = old->uid;

	assert_ptr_equal (tf_index_remove (index, uid), old);
	new = tf_record_dup (old);
	assert_non_null (new);
	tf_record_free (old);
	assert_true (tf_bytes_set (&new->label, "new label", 9));
	new->store_id = 42;

	assert_true (tf_index_take (index, new));
	assert_int_equal (new->uid, uid);
	assert_ptr_equal (tf_index_lookup (index, uid), new);
	assert_ptr_equal (tf_index_lookup_store_id (index, 42), new);
	assert_int_equal (tf_index_count (index), 1);
	assert_key_finds (index, TF_KEY_LABEL, "new label", NULL, new);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "old label", NULL);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "I", "\x02\x01\x01", new);

	/* A fresh record after the replacement gets a uid of its own. */
	other = take (index, make (NULL, NULL, NULL, NULL, "other", NULL));
	assert_int_not_equal (other->uid, uid);
	assert_ptr_equal (tf_index_lookup (index, uid), new);
	tf_index_free (index);
}

static int
cmp_u64 (const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_uids_never_reused (void **state)
{
	tf_index *one = tf_index_new (), *two = tf_index_new ();
	uint64_t uids[3000];
	tf_record *rec;
	size_t n = 0, i;

	(void)state;
	/* Taken, removed and freed, over and over, in two indexes: each uid once. */
	for (i = 0; i < 1000; i++) {
		rec = take (i % 2 ? one : two, make (NULL, NULL, NULL, NULL, "churn", NULL));
		uids[n++] = rec->uid;
		assert_ptr_equal (tf_index_remove (i % 2 ? one : two, rec->uid), rec);
		tf_record_free (rec);
	}
	for (i = 0; i < 1000; i++) {
		rec = take (i % 2 ? one : two, make (NULL, NULL, NULL, NULL, "kept", NULL));
		uids[n++] = rec->uid;
	}
	for (i = 0; i < 1000; i++) {
		uids[n] = tf_index_next_uid ();
		assert_int_not_equal (uids[n], 0);
		n++;
	}
	qsort (uids, n, sizeof (uids[0]), cmp_u64);
	for (i = 1; i < n; i++) {
		if (uids[i] == uids[i - 1])
			fail_msg ("uid %llu handed out twice", (unsigned long long)uids[i]);
	}
	assert_int_equal (tf_index_count (one), 500);
	assert_int_equal (tf_index_count (two), 500);
	tf_index_free (one);
	tf_index_free (two);
}

static void
test_each_once_and_stop (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[100];
	visits v = {0};
	size_t i, j;

	(void)state;
	for (i = 0; i < 100; i++)
		recs[i] = take (index, make (NULL, NULL, "same subject", NULL, NULL, NULL));

	tf_index_each (index, visit, &v);
	assert_int_equal (v.n, 100);
	for (i = 0; i < 100; i++) {
		size_t seen = 0;

		for (j = 0; j < v.n; j++)
			seen += v.recs[j] == recs[i];
		assert_int_equal (seen, 1);
	}
	visits_reset (&v);

	/* Stopping early: fn returns false on the third. */
	v.stop_after = 3;
	tf_index_each (index, visit, &v);
	assert_int_equal (v.n, 3);
	visits_reset (&v);

	v.stop_after = 1;
	tf_index_each (index, visit, &v);
	assert_int_equal (v.n, 1);
	visits_reset (&v);

	/* The same for a key that all of them share. */
	tf_index_each_key (index, TF_KEY_SUBJECT, "same subject", 12, NULL, 0, visit, &v);
	assert_int_equal (v.n, 100);
	visits_reset (&v);
	v.stop_after = 5;
	tf_index_each_key (index, TF_KEY_SUBJECT, "same subject", 12, NULL, 0, visit, &v);
	assert_int_equal (v.n, 5);
	visits_reset (&v);

	tf_index_free (index);
}

static int
cmp_ptr (const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (tf_record *const *)a, y = (uintptr_t) * (tf_record *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * The records found by one key are exactly want[0..n) (NULLs skipped), each
 * once: both lists sorted and compared, for thousands of records at a time.
 */
static void
check_key_set (tf_index *index, tf_key key, const void *a, size_t alen, tf_record *const *want,
               size_t n, const char *file, int line)
{
	tf_record **sorted;
	visits v = {0};
	size_t m = 0, i;

	sorted = calloc (n ? n : 1, sizeof (*sorted));
	assert_non_null (sorted);
	for (i = 0; i < n; i++) {
		if (want[i] != NULL)
			sorted[m++] = want[i];
	}
	tf_index_each_key (index, key, a, alen, NULL, 0, visit, &v);
	_assert_int_equal (v.n, m, file, line);
	qsort (sorted, m, sizeof (*sorted), cmp_ptr);
	if (v.n > 0)
		qsort (v.recs, v.n, sizeof (*v.recs), cmp_ptr);
	for (i = 0; i < m; i++)
		_assert_true (v.recs[i] == sorted[i], "the records of the key, each once", file,
		              line);
	visits_reset (&v);
	free (sorted);
}

#define assert_key_set(index, key, s, want, n)                                                     \
	check_key_set ((index), (key), (s), strlen (s), (want), (n), __FILE__, __LINE__)

/* Each non-NULL record of recs[0..n) is found by uid and by its own id. */
static void
check_each_findable (tf_index *index, tf_record *const *recs, size_t n, const char *file, int line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (recs[i] == NULL)
			continue;
		_assert_true (tf_index_lookup (index, recs[i]->uid) == recs[i], "found by uid",
		              file, line);
		check_key_set (index, TF_KEY_ID, recs[i]->id.data, recs[i]->id.len, &recs[i], 1,
		               file, line);
	}
}

#define assert_each_findable(index, recs, n)                                                       \
	check_each_findable ((index), (recs), (n), __FILE__, __LINE__)

#ifdef TF_INDEX_ALL_KEYS_COLLIDE
#define SHARED 500
#else
#define SHARED 5000
#endif

/*
 * 5000 certificates of one subject and one label lie in one run of one hash;
 * records with keys of their own are mixed in, and their homes fall inside
 * that run or after it. Removing every other one of the shared key must leave
 * each of the rest findable once.
 */
static void
test_shared_key_run (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record **shared, **own;
	char id[32], subject[32];
	int i;

	(void)state;
	shared = calloc (SHARED, sizeof (*shared));
	own = calloc (SHARED, sizeof (*own));
	assert_non_null (shared);
	assert_non_null (own);
	for (i = 0; i < SHARED; i++) {
		snprintf (id, sizeof (id), "shared-%d", i);
		shared[i] = take (index, make (NULL, NULL, "CN=Crowd", id, "crowd", NULL));
		snprintf (id, sizeof (id), "own-%d", i);
		snprintf (subject, sizeof (subject), "CN=Own %d", i);
		own[i] = take (index, make (NULL, NULL, subject, id, subject, NULL));
	}
	assert_key_set (index, TF_KEY_SUBJECT, "CN=Crowd", shared, SHARED);
	assert_key_set (index, TF_KEY_LABEL, "crowd", shared, SHARED);

	for (i = 0; i < SHARED; i += 2) {
		assert_ptr_equal (tf_index_remove (index, shared[i]->uid), shared[i]);
		tf_record_free (shared[i]);
		shared[i] = NULL;
	}
	assert_key_set (index, TF_KEY_SUBJECT, "CN=Crowd", shared, SHARED);
	assert_key_set (index, TF_KEY_LABEL, "crowd", shared, SHARED);
	assert_each_findable (index, shared, SHARED);
	assert_int_equal (tf_index_count (index), SHARED + SHARED / 2);
	for (i = 0; i < SHARED; i++) {
		snprintf (subject, sizeof (subject), "CN=Own %d", i);
		assert_key_set (index, TF_KEY_SUBJECT, subject, &own[i], 1);
	}

	/* The rest of the crowd from the far end of the run, then the others. */
	for (i = SHARED - 1; i >= 0; i -= 2) {
		assert_ptr_equal (tf_index_remove (index, shared[i]->uid), shared[i]);
		tf_record_free (shared[i]);
		shared[i] = NULL;
	}
	assert_key_set (index, TF_KEY_SUBJECT, "CN=Crowd", shared, 0);
	assert_int_equal (tf_index_count (index), SHARED);
	for (i = 0; i < SHARED; i++) {
		snprintf (subject, sizeof (subject), "CN=Own %d", i);
		assert_key_set (index, TF_KEY_LABEL, subject, &own[i], 1);
	}
	assert_each_findable (index, own, SHARED);
	free (shared);
	free (own);
	tf_index_free (index);
}

/* Each label of recs[0..n) finds exactly the records of recs that carry it. */
static void
check_labels (tf_index *index, tf_record *const *recs, size_t n, const char *file, int line)
{
	tf_record **want;
	size_t i, j;

	want = calloc (n, sizeof (*want));
	assert_non_null (want);
	for (i = 0; i < n; i++) {
		if (recs[i] == NULL)
			continue;
		for (j = 0; j < n; j++) {
			bool same = recs[j] != NULL && recs[j]->label.len == recs[i]->label.len &&
			            memcmp (recs[j]->label.data, recs[i]->label.data,
			                    recs[i]->label.len) == 0;

			want[j] = same ? recs[j] : NULL;
		}
		check_key_set (index, TF_KEY_LABEL, recs[i]->label.data, recs[i]->label.len, want,
		               n, file, line);
	}
	free (want);
}

#define assert_labels(index, recs, n) check_labels ((index), (recs), (n), __FILE__, __LINE__)

/*
 * Runs that wrap around the end of the array. The labels are picked by the
 * index's own hash so that their homes are the last slots of a 64-slot table
 * (what 27 to 52 entries take, the first size being 16 and the load at most
 * 4/5) or its first ones; if the sizing changes this still tests removal,
 * only less pointedly. Each record in turn is taken out and put back, then
 * every other one is removed.
 */
#define WRAP_RECS 40
#define WRAP_CAP  64

static void
test_wrapping_runs (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[WRAP_RECS], *rec;
	int n = 0, tail = 0, head = 0, other = 0, k;
	char label[32], id[32];
	size_t home;

	(void)state;
	/* 5 labels with homes in the last 3 slots, twice each; 10 in the first 2; 20 elsewhere. */
	for (k = 0; n < WRAP_RECS; k++) {
		int copies = 1, c;

		snprintf (label, sizeof (label), "wrap-%d", k);
		home =
		    tf_index_hash (TF_KEY_LABEL, label, strlen (label), NULL, 0) & (WRAP_CAP - 1);
		if (home >= WRAP_CAP - 3 && tail < 10) {
			copies = 2;
			tail += 2;
		} else if (home < 2 && head < 10) {
			head++;
		} else if (home >= 2 && home < WRAP_CAP - 3 && other < 20) {
			other++;
		} else {
			continue;
		}
		for (c = 0; c < copies; c++) {
			snprintf (id, sizeof (id), "id-%d", n);
			recs[n++] = take (index, make (NULL, NULL, NULL, id, label, NULL));
		}
	}
	assert_labels (index, recs, WRAP_RECS);

	for (k = 0; k < WRAP_RECS; k++) {
		rec = tf_index_remove (index, recs[k]->uid);
		assert_ptr_equal (rec, recs[k]);
		recs[k] = NULL;
		assert_labels (index, recs, WRAP_RECS);
		assert_each_findable (index, recs, WRAP_RECS);
		assert_int_equal (tf_index_count (index), WRAP_RECS - 1);
		recs[k] = rec;
		assert_true (tf_index_take (index, rec));
	}
	assert_labels (index, recs, WRAP_RECS);
	for (k = 0; k < WRAP_RECS; k += 2) {
		assert_ptr_equal (tf_index_remove (index, recs[k]->uid), recs[k]);
		tf_record_free (recs[k]);
		recs[k] = NULL;
		assert_labels (index, recs, WRAP_RECS);
		assert_each_findable (index, recs, WRAP_RECS);
		assert_int_equal (tf_index_count (index), WRAP_RECS - k / 2 - 1);
	}
	tf_index_free (index);
}

/*
 * Growth, many times over, while three subjects and one label are shared by
 * all the records: right before and after each doubling every group is whole.
 */
#define GROWN 3000

/*
 * Whether count entries fill a table to where it grows (13 of 16, 26 of 32,
 * ..., cap - cap / 5 as in index.c) or one past.
 */
static bool
at_growth (int count)
{
	int cap, edge;

	for (cap = 16; cap - cap / 5 <= count; cap *= 2) {
		edge = cap - cap / 5;
		if (count == edge || count == edge + 1)
			return true;
	}
	return false;
}

static void
test_growth_shared_keys (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[GROWN], *group[GROWN];
	char subject[32], id[32];
	int n, i, g;

	(void)state;
	memset (recs, 0, sizeof (recs));
	for (n = 0; n < GROWN; n++) {
		snprintf (subject, sizeof (subject), "CN=Group %d", n % 3);
		snprintf (id, sizeof (id), "id-%d", n);
		recs[n] = take (index, make (NULL, NULL, subject, id, "all", NULL));
		if (!at_growth (n + 1))
			continue;
		assert_key_set (index, TF_KEY_LABEL, "all", recs, n + 1);
		for (g = 0; g < 3; g++) {
			memset (group, 0, sizeof (group));
			for (i = g; i <= n; i += 3)
				group[i] = recs[i];
			snprintf (subject, sizeof (subject), "CN=Group %d", g);
			assert_key_set (index, TF_KEY_SUBJECT, subject, group, n + 1);
		}
	}
	assert_each_findable (index, recs, GROWN);
	assert_int_equal (tf_index_count (index), GROWN);
	tf_index_free (index);
}

/*
 * A take whose growth fails, at each growth and in each table in turn, and
 * each time the index is as it was and the record the caller's with no uid.
 * A table grown by an attempt stays grown (the same entries, more room), so
 * letting one more allocation through each time moves the failure on to the
 * next table, until all have room and the take succeeds.
 */
#define FAILING 400

static void
test_take_growth_fails (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[FAILING], *group[FAILING];
	int n, fails, growths = 0, i;
	char id[32];

	(void)state;
	memset (recs, 0, sizeof (recs));
	for (n = 0; n < FAILING; n++) {
		snprintf (id, sizeof (id), "id-%d", n);
		recs[n] = make ("CN=Issuer", id, n % 2 ? "CN=Odd" : "CN=Even", id, "same", id);
		recs[n]->store_id = n + 1;
		for (fails = 0;; fails++) {
			/* The table that failed last grows now, the next one fails. */
			calloc_fails_in = fails == 0 ? 1 : 2;
			if (tf_index_take (index, recs[n]))
				break;
			calloc_fails_in = 0;
			assert_int_equal (recs[n]->uid, 0);
			assert_null (tf_index_lookup_store_id (index, n + 1));
			assert_int_equal (tf_index_count (index), n);
			assert_key_set (index, TF_KEY_LABEL, "same", recs, n);
			assert_each_findable (index, recs, n);
		}
		/* The failure was not reached: disarm it before our own allocations. */
		assert_int_equal (calloc_fails_in, 1);
		calloc_fails_in = 0;
		assert_int_not_equal (recs[n]->uid, 0);
		/*
		 * The record is in seven tables (all but spki), which the first
		 * take gives their first arrays. After that its keys are new in
		 * five of them, which grow together: subject and label have two
		 * keys and one among all 400 records, a slot each.
		 */
		if (fails > 0) {
			assert_int_equal (fails, n == 0 ? 7 : 5);
			growths++;
		}
	}
	assert_true (growths >= 6);
	assert_key_set (index, TF_KEY_LABEL, "same", recs, FAILING);
	memset (group, 0, sizeof (group));
	for (i = 1; i < FAILING; i += 2)
		group[i] = recs[i];
	assert_key_set (index, TF_KEY_SUBJECT, "CN=Odd", group, FAILING);
	for (i = 0; i < FAILING; i++)
		assert_ptr_equal (tf_index_lookup_store_id (index, i + 1), recs[i]);
	assert_each_findable (index, recs, FAILING);
	tf_index_free (index);
}

/* tf_index_each with a callback that removes and frees the record it is given. */
typedef struct {
	tf_index *index;
	visits seen;
} remover;

static bool
remove_given (void *ctx, tf_record *rec)
{
	remover *r = ctx;

	visit (&r->seen, rec);
	assert_ptr_equal (tf_index_remove (r->index, rec->uid), rec);
	tf_record_free (rec);
	return true;
}

static void
test_each_removing (void **state)
{
	remover r = {.index = tf_index_new ()};
	tf_record *recs[1000];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		recs[i] = take (r.index, make (NULL, NULL, "one subject", NULL, NULL, NULL));
	tf_index_each (r.index, remove_given, &r);
	assert_int_equal (tf_index_count (r.index), 0);
	/* Each visited once: the list holds 1000 distinct records, all of ours. */
	assert_int_equal (r.seen.n, 1000);
	qsort (r.seen.recs, r.seen.n, sizeof (*r.seen.recs), cmp_ptr);
	qsort (recs, 1000, sizeof (*recs), cmp_ptr);
	for (i = 0; i < 1000; i++)
		assert_ptr_equal (r.seen.recs[i], recs[i]);
	visits_reset (&r.seen);
	tf_index_free (r.index);
}

/*
 * 5000 records of one subject, one id and one label take a slot in each of
 * those tables, not 5000: beside records with no keys at all, they cost the
 * first (smallest) array of each of the three tables and nothing more. A slot
 * per record would grow those tables as often as the uid table grows.
 */
/* No key of this test collides with another: the full count, even where all do. */
#define CROWD 5000

static void
test_shared_key_one_slot (void **state)
{
	tf_index *crowd = tf_index_new (), *bare = tf_index_new ();
	tf_record **recs;
	size_t crowd_growths = 0, bare_growths = 0;
	int i;

	(void)state;
	recs = calloc (CROWD, sizeof (*recs));
	assert_non_null (recs);
	for (i = 0; i < CROWD; i++) {
		recs[i] = make (NULL, NULL, "CN=Crowd", "crowd-id", "crowd", NULL);
		crowd_growths += take_growths (crowd, recs[i]);
		bare_growths += take_growths (bare, make (NULL, NULL, NULL, NULL, NULL, NULL));
	}
	assert_true (bare_growths >= 9); /* the uid table's, from 16 slots to 8192 */
	assert_int_equal (crowd_growths, bare_growths + 3);

	assert_key_set (crowd, TF_KEY_SUBJECT, "CN=Crowd", recs, CROWD);
	assert_key_set (crowd, TF_KEY_ID, "crowd-id", recs, CROWD);
	assert_key_set (crowd, TF_KEY_LABEL, "crowd", recs, CROWD);
	free (recs);
	tf_index_free (crowd);
	tf_index_free (bare);
}

/*
 * Removal from the middle, the head and the tail of a chain (whichever way
 * round the index keeps it, the first and the last taken are its two ends),
 * then of the rest, after which the key is gone and can come back.
 */
static void
test_chain_positions (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[5], *other, *again;
	int i, order[5] = {2, 4, 0, 1, 3};
	char id[32];

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf (id, sizeof (id), "five-%d", i);
		recs[i] = take (index, make ("I", id, "CN=Five", id, "five", id));
	}
	/* A neighbour with keys of its own in the same tables. */
	other = take (index, make ("I", "other", "CN=Other", "other", "other", "other"));
	assert_key_set (index, TF_KEY_LABEL, "five", recs, 5);

	for (i = 0; i < 5; i++) {
		assert_ptr_equal (tf_index_remove (index, recs[order[i]]->uid), recs[order[i]]);
		tf_record_free (recs[order[i]]);
		recs[order[i]] = NULL;
		assert_key_set (index, TF_KEY_LABEL, "five", recs, 5);
		assert_key_set (index, TF_KEY_SUBJECT, "CN=Five", recs, 5);
		assert_each_findable (index, recs, 5);
		assert_int_equal (tf_index_count (index), 5 - i);
	}
	assert_key_finds_nothing (index, TF_KEY_LABEL, "five", NULL);
	assert_key_finds_nothing (index, TF_KEY_ISSUER_SERIAL, "I", "five-1");
	assert_key_finds (index, TF_KEY_LABEL, "other", NULL, other);

	again = take (index, make ("I", "five-0", "CN=Five", "five-0", "five", "five-0"));
	assert_key_finds (index, TF_KEY_LABEL, "five", NULL, again);
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Five", NULL, again);
	assert_key_finds (index, TF_KEY_ISSUER_SERIAL, "I", "five-0", again);
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Other", NULL, other);
	tf_index_free (index);
}

/*
 * tf_index_replace puts a copy in the place of a record at the head, in the
 * middle and at the tail of its chains, found by every key, uid and store id
 * as the record was; a copy with other keys is refused, changing nothing.
 */
static void
test_replace_in_place (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *recs[5], *copy, *renamed;
	int i, order[3] = {0, 2, 4};
	char id[32];

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf (id, sizeof (id), "five-%d", i);
		recs[i] = make ("I", id, "CN=Five", id, "five", id);
		recs[i]->store_id = 100 + i;
		take (index, recs[i]);
	}
	for (i = 0; i < 3; i++) {
		copy = tf_record_dup (recs[order[i]]);
		assert_non_null (copy);
		copy->trust[TF_PURPOSE_SERVER] = TF_LEVEL_ANCHOR;
		assert_ptr_equal (tf_index_replace (index, recs[order[i]], copy), recs[order[i]]);
		tf_record_free (recs[order[i]]);
		recs[order[i]] = copy;
		assert_ptr_equal (tf_index_lookup (index, copy->uid), copy);
		assert_ptr_equal (tf_index_lookup_store_id (index, 100 + order[i]), copy);
		assert_key_set (index, TF_KEY_LABEL, "five", recs, 5);
		assert_key_set (index, TF_KEY_SUBJECT, "CN=Five", recs, 5);
		assert_each_findable (index, recs, 5);
		assert_int_equal (tf_index_count (index), 5);
	}

	renamed = tf_record_dup (recs[1]);
	assert_non_null (renamed);
	set (&renamed->label, "renamed");
	assert_null (tf_index_replace (index, recs[1], renamed));
	assert_key_set (index, TF_KEY_LABEL, "five", recs, 5);
	assert_key_finds_nothing (index, TF_KEY_LABEL, "renamed", NULL);
	tf_record_free (renamed);
	tf_index_free (index);
}

#ifndef TF_INDEX_ALL_KEYS_COLLIDE
/*
 * Past 52,428 records the tables of unique keys take 2 MB and are mapped
 * on their own (index.c, slots_alloc); past 104,857 they grow from one
 * mapping into another. Every record stays findable by uid, store id and
 * its own keys through both, and through removals down to a few.
 */
#define LARGE 110000

static void
test_large_tables (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record **all;
	char buf[32];
	visits v = {0};
	int n;

	(void)state;
	all = take_nth (index, LARGE);
	for (n = 0; n < LARGE; n++) {
		assert_ptr_equal (tf_index_lookup (index, all[n]->uid), all[n]);
		assert_ptr_equal (tf_index_lookup_store_id (index, n + 1), all[n]);
	}
	for (n = 0; n < LARGE; n += 97) {
		snprintf (buf, sizeof (buf), "der-%d", n);
		v.n = 0;
		tf_index_each_key (index, TF_KEY_VALUE, buf, strlen (buf), NULL, 0, visit, &v);
		assert_int_equal (v.n, 1);
		assert_ptr_equal (v.recs[0], all[n]);
	}
	/*
	 * Newest first: each is then at the head of its chains. (From the
	 * oldest, removing thousands of one key is quadratic.)
	 */
	for (n = LARGE - 1; n >= 0; n--) {
		if (n % 1000 == 0)
			continue;
		assert_ptr_equal (tf_index_remove (index, all[n]->uid), all[n]);
		tf_record_free (all[n]);
		all[n] = NULL;
	}
	assert_int_equal (tf_index_count (index), LARGE / 1000);
	for (n = 0; n < LARGE; n += 1000) {
		assert_ptr_equal (tf_index_lookup (index, all[n]->uid), all[n]);
		snprintf (buf, sizeof (buf), "id-%d", n);
		v.n = 0;
		tf_index_each_key (index, TF_KEY_ID, buf, strlen (buf), NULL, 0, visit, &v);
		assert_int_equal (v.n, 1);
		assert_ptr_equal (v.recs[0], all[n]);
	}
	visits_reset (&v);
	free (all);
	tf_index_free (index);
}
#endif

/*
 * A key whose last record goes gives its slot back: thousands of keys come
 * and go, three records each, taken out in varying order, and no table grows
 * past what the records alive at one time need.
 */
#define CHURN 3000

static void
test_emptied_key_frees_slot (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *kept[20], *recs[3];
	int i, k, order[3][3] = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}};
	size_t growths = 0;
	char label[32];

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf (label, sizeof (label), "kept-%d", i);
		kept[i] = take (index, make (NULL, NULL, NULL, NULL, label, NULL));
	}
	for (i = 0; i < CHURN; i++) {
		snprintf (label, sizeof (label), "churn-%d", i);
		for (k = 0; k < 3; k++) {
			recs[k] = make (NULL, NULL, NULL, NULL, label, NULL);
			/* The first round may size the tables for 23 records and 21 keys. */
			if (take_growths (index, recs[k]) > 0 && i > 0)
				growths++;
		}
		assert_key_set (index, TF_KEY_LABEL, label, recs, 3);
		for (k = 0; k < 3; k++) {
			tf_record *rec = recs[order[i % 3][k]];

			assert_ptr_equal (tf_index_remove (index, rec->uid), rec);
			tf_record_free (rec);
		}
		assert_key_finds_nothing (index, TF_KEY_LABEL, label, NULL);
	}
	assert_int_equal (growths, 0);
	assert_int_equal (tf_index_count (index), 20);
	for (i = 0; i < 20; i++) {
		snprintf (label, sizeof (label), "kept-%d", i);
		assert_key_set (index, TF_KEY_LABEL, label, &kept[i], 1);
	}
	tf_index_free (index);
}

/*
 * Two 16-byte labels with one 64-bit hash. Only test-index-collide.c, which
 * builds this file over an index.c whose keys all hash alike, can make them:
 * the index's real hash leaves no easy way to.
 */
#ifdef TF_INDEX_ALL_KEYS_COLLIDE
static tf_record *
make_labelled (const unsigned char *label, size_t len, const char *id)
{
	tf_record *rec = make (NULL, NULL, NULL, id, NULL, NULL);

	assert_true (tf_bytes_set (&rec->label, label, len));
	return rec;
}

static void
make_hash_twins (unsigned char one[16], unsigned char two[16])
{
	memcpy (one, "twin-one........", 16);
	memcpy (two, "twin-two........", 16);
}
#endif


/*
 * Keys with one whole hash have a slot each, next to each other in one run:
 * each finds only its own records while the other key's records come and go,
 * and after one key is gone altogether (its slot shifted out from in front of
 * the other's or behind it) and back.
 */
#ifdef TF_INDEX_ALL_KEYS_COLLIDE
static void
test_same_hash_keys (void **state)
{
	tf_index *index = tf_index_new ();
	unsigned char one[16], two[16];
	tf_record *a[4] = {0}, *b[3] = {0};

	(void)state;
	make_hash_twins (one, two);
	assert_memory_not_equal (one, two, 16);
	if (tf_index_hash (TF_KEY_LABEL, one, 16, NULL, 0) !=
	    tf_index_hash (TF_KEY_LABEL, two, 16, NULL, 0))
		fail_msg ("the labels' hashes differ: built without TF_INDEX_ALL_KEYS_COLLIDE?");

	a[0] = take (index, make_labelled (one, 16, "a0"));
	b[0] = take (index, make_labelled (two, 16, "b0"));
	a[1] = take (index, make_labelled (one, 16, "a1"));
	b[1] = take (index, make_labelled (two, 16, "b1"));
	a[2] = take (index, make_labelled (one, 16, "a2"));
	check_key_set (index, TF_KEY_LABEL, one, 16, a, 4, __FILE__, __LINE__);
	check_key_set (index, TF_KEY_LABEL, two, 16, b, 3, __FILE__, __LINE__);

	/* The newest of one, the oldest of the other. */
	tf_record_free (tf_index_remove (index, a[2]->uid));
	a[2] = NULL;
	tf_record_free (tf_index_remove (index, b[0]->uid));
	b[0] = NULL;
	check_key_set (index, TF_KEY_LABEL, one, 16, a, 4, __FILE__, __LINE__);
	check_key_set (index, TF_KEY_LABEL, two, 16, b, 3, __FILE__, __LINE__);

	/* All of the first key, whose slot came first: the second's moves back. */
	tf_record_free (tf_index_remove (index, a[0]->uid));
	tf_record_free (tf_index_remove (index, a[1]->uid));
	a[0] = a[1] = NULL;
	check_key_set (index, TF_KEY_LABEL, one, 16, a, 4, __FILE__, __LINE__);
	check_key_set (index, TF_KEY_LABEL, two, 16, b, 3, __FILE__, __LINE__);

	/* Back, now behind the second; then the second goes. */
	a[3] = take (index, make_labelled (one, 16, "a3"));
	b[2] = take (index, make_labelled (two, 16, "b2"));
	check_key_set (index, TF_KEY_LABEL, one, 16, a, 4, __FILE__, __LINE__);
	check_key_set (index, TF_KEY_LABEL, two, 16, b, 3, __FILE__, __LINE__);
	tf_record_free (tf_index_remove (index, b[1]->uid));
	tf_record_free (tf_index_remove (index, b[2]->uid));
	b[1] = b[2] = NULL;
	check_key_set (index, TF_KEY_LABEL, one, 16, a, 4, __FILE__, __LINE__);
	check_key_set (index, TF_KEY_LABEL, two, 16, b, 3, __FILE__, __LINE__);
	assert_int_equal (tf_index_count (index), 1);
	tf_index_free (index);
}
#endif

/*
 * tf_index_each_key with a callback that breaks the rule and removes (and
 * frees) the record it is given (remove_given, as test_each_removing's
 * tf_index_each may): the walk stops there rather than follow the
 * freed record's link (ASan and valgrind would tell), and the index is whole.
 */
static void
test_each_key_breach (void **state)
{
	remover r = {.index = tf_index_new ()};
	tf_record *recs[10];
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		recs[i] = take (r.index, make (NULL, NULL, NULL, NULL, "ten", NULL));
	tf_index_each_key (r.index, TF_KEY_LABEL, "ten", 3, NULL, 0, remove_given, &r);
	assert_int_equal (r.seen.n, 1);
	for (i = 0; i < 10; i++) {
		if (recs[i] == r.seen.recs[0])
			recs[i] = NULL;
	}
	assert_key_set (r.index, TF_KEY_LABEL, "ten", recs, 10);
	assert_int_equal (tf_index_count (r.index), 9);
	visits_reset (&r.seen);
	tf_index_free (r.index);
}

/* tf_index_each_complete_key for a string key, visiting into v. */
static bool
complete (tf_index *index, tf_key key, const char *bytes, visits *v)
{
	return tf_index_each_complete_key (index, key, bytes, strlen (bytes), NULL, 0, visit, v);
}

/*
 * A key marked complete answers tf_index_each_complete_key with its
 * records; a record taken with the key keeps the mark, another key sharing
 * its hash (every key, in the colliding build) has its own, the last record
 * removed takes the mark away, and tf_index_forget_complete clears them all.
 */
static void
test_complete_keys (void **state)
{
	tf_index *index = tf_index_new ();
	tf_record *a, *b, *c;
	visits v = {0};

	(void)state;
	a = take (index, make ("CN=Root", "\x02\x01\x01", "CN=Leaf", "k1", "Leaf", "der-a"));
	c = take (index, make ("CN=Root", "\x02\x01\x03", "CN=Other", "k3", "Other", "der-c"));
	assert_false (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));
	assert_int_equal (v.n, 0);

	tf_index_mark_complete (index, TF_KEY_SUBJECT, "CN=Leaf", 7, NULL, 0);
	assert_true (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));
	assert_int_equal (v.n, 1);
	assert_true (visited (&v, a));
	visits_reset (&v);
	/* Only that key: not the same bytes under another, nor another subject. */
	assert_false (complete (index, TF_KEY_LABEL, "CN=Leaf", &v));
	assert_false (complete (index, TF_KEY_SUBJECT, "CN=Other", &v));
	assert_int_equal (v.n, 0);

	/* A record taken with the key joins it, marked. */
	b = take (index, make ("CN=Root", "\x02\x01\x02", "CN=Leaf", "k2", "Leaf", "der-b"));
	assert_true (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));
	assert_int_equal (v.n, 2);
	assert_true (visited (&v, a) && visited (&v, b));
	visits_reset (&v);
	/* Lookups by the marked key's plain walk still see them. */
	assert_key_finds (index, TF_KEY_SUBJECT, "CN=Leaf", NULL, a, b);

	/* The last record gone, the key and its mark go. */
	tf_record_free (tf_index_remove (index, a->uid));
	tf_record_free (tf_index_remove (index, b->uid));
	assert_false (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));
	a = take (index, make ("CN=Root", "\x02\x01\x01", "CN=Leaf", "k1", "Leaf", "der-a"));
	assert_false (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));

	/* Forgetting unmarks every key. */
	tf_index_mark_complete (index, TF_KEY_SUBJECT, "CN=Leaf", 7, NULL, 0);
	tf_index_mark_complete (index, TF_KEY_LABEL, "Other", 5, NULL, 0);
	tf_index_forget_complete (index);
	assert_false (complete (index, TF_KEY_SUBJECT, "CN=Leaf", &v));
	assert_false (complete (index, TF_KEY_LABEL, "Other", &v));
	assert_int_equal (v.n, 0);
	/* Marks never change what a lookup finds. */
	assert_key_finds (index, TF_KEY_LABEL, "Other", NULL, c);
	tf_index_free (index);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test (test_empty),
	    cmocka_unit_test (test_take_lookup_remove),
	    cmocka_unit_test (test_store_id_zero),
	    cmocka_unit_test (test_each_key_exact),
	    cmocka_unit_test (test_issuer_serial_same_hash),
	    cmocka_unit_test (test_empty_keys_not_indexed),
	    cmocka_unit_test (test_many),
	    cmocka_unit_test (test_replace_keeps_uid),
	    cmocka_unit_test (test_replace_in_place),
#ifndef TF_INDEX_ALL_KEYS_COLLIDE
	    cmocka_unit_test (test_large_tables),
#endif
	    cmocka_unit_test (test_uids_never_reused),
	    cmocka_unit_test (test_each_once_and_stop),
	    cmocka_unit_test (test_shared_key_run),
#ifndef TF_INDEX_ALL_KEYS_COLLIDE
	    /* It picks labels by where their hashes fall. */
	    cmocka_unit_test (test_wrapping_runs),
#endif
#ifndef TF_INDEX_ALL_KEYS_COLLIDE
	    /* Thousands of keys: quadratic when they all collide. */
	    cmocka_unit_test (test_growth_shared_keys),
#endif
#ifndef TF_INDEX_ALL_KEYS_COLLIDE
	    /* It counts on which tables a take grows. */
	    cmocka_unit_test (test_take_growth_fails),
#endif
	    cmocka_unit_test (test_each_removing),
	    cmocka_unit_test (test_shared_key_one_slot),
	    cmocka_unit_test (test_chain_positions),
#ifndef TF_INDEX_ALL_KEYS_COLLIDE
	    /* Thousands of keys: quadratic when they all collide. */
	    cmocka_unit_test (test_emptied_key_frees_slot),
#endif
#ifdef TF_INDEX_ALL_KEYS_COLLIDE
	    cmocka_unit_test (test_same_hash_keys),
#endif
	    cmocka_unit_test (test_each_key_breach),
	    cmocka_unit_test (test_complete_keys),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
