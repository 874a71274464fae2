/*
 * The trust record's own operations: duplication and compaction (the form
 * records take in a token's index).
 */
#include "unit.h"

#include "record.h"

#include <string.h>

/* A stand-in certificate: serial, issuer and subject appear inside it, as in DER. */
static const unsigned char der[] = "\x30\x20" "SERIAL" "ISSUER-NAME" "SUBJECT-NAME" "tail";

static void
set (tf_bytes *b, const char *s)
{
	assert_true (tf_bytes_set (b, s, strlen (s)));
}

static tf_record *
make (void)
{
	tf_record *rec = tf_record_new ();

	assert_non_null (rec);
	assert_true (tf_bytes_set (&rec->der, der, sizeof (der) - 1));
	set (&rec->serial, "SERIAL");
	set (&rec->issuer, "ISSUER-NAME");
	set (&rec->subject, "SUBJECT-NAME");
	set (&rec->id, "an id");
	set (&rec->label, "a label");
	set (&rec->email, "x@example.test");
	set (&rec->spki_sha1, "01234567890123456789");
	/* A tombstone between two hosts: a removed pin's slot (record.h). */
	assert_true (tf_record_set_hosts (rec, strdup ("a.example,,b.example")));
	rec->creator = strdup ("test-record");
	assert_non_null (rec->hosts);
	assert_non_null (rec->creator);
	rec->trust[TF_PURPOSE_SERVER] = TF_LEVEL_ANCHOR;
	return rec;
}

static void
assert_bytes (const tf_bytes *b, const char *s)
{
	assert_int_equal (b->len, strlen (s));
	assert_memory_equal (b->data, s, b->len);
}

static void
assert_same (const tf_record *rec)
{
	assert_int_equal (rec->der.len, sizeof (der) - 1);
	assert_memory_equal (rec->der.data, der, rec->der.len);
	assert_bytes (&rec->serial, "SERIAL");
	assert_bytes (&rec->issuer, "ISSUER-NAME");
	assert_bytes (&rec->subject, "SUBJECT-NAME");
	assert_bytes (&rec->id, "an id");
	assert_bytes (&rec->label, "a label");
	assert_bytes (&rec->email, "x@example.test");
	assert_bytes (&rec->spki_sha1, "01234567890123456789");
	assert_int_equal (rec->stapled_eku.len, 0);
	assert_string_equal (rec->hosts, "a.example,,b.example");
	assert_string_equal (tf_record_live_hosts (rec), "a.example,b.example");
	assert_string_equal (rec->creator, "test-record");
	assert_int_equal (rec->trust[TF_PURPOSE_SERVER], TF_LEVEL_ANCHOR);
}

/* Every field reads the same; the names share the certificate's bytes. */
static void
test_compact (void **state)
{
	tf_record *rec = make (), *copy;
	const unsigned char *start, *end;

	(void)state;
	rec = tf_record_compact (rec);
	assert_ptr_equal (rec->block, rec);
	assert_same (rec);
	start = rec->der.data;
	end = start + rec->der.len;
	/* The certificate follows the record in its allocation. */
	assert_ptr_equal (rec->der.data, (unsigned char *)(rec + 1));
	assert_true (rec->issuer.data > start && rec->issuer.data < end);
	assert_true (rec->serial.data > start && rec->serial.data < end);
	assert_true (rec->subject.data > start && rec->subject.data < end);
	/* Twice is once. */
	copy = rec;
	rec = tf_record_compact (rec);
	assert_ptr_equal (rec, copy);
	assert_same (rec);

	/* A copy is an ordinary record that may be changed and freed alone. */
	copy = tf_record_dup (rec);
	assert_non_null (copy);
	assert_null (copy->block);
	assert_same (copy);
	set (&copy->label, "changed");
	assert_true (tf_record_set_hosts (copy, NULL));
	tf_record_free (copy);
	assert_same (rec);
	tf_record_free (rec);
}

/* Names the certificate does not hold (a trust-only record, or a mismatch) are copied. */
static void
test_compact_without_der (void **state)
{
	tf_record *rec = make ();

	(void)state;
	set (&rec->issuer, "ANOTHER-ISSUER");
	rec = tf_record_compact (rec);
	assert_bytes (&rec->issuer, "ANOTHER-ISSUER");
	assert_true (rec->issuer.data >= rec->der.data + rec->der.len);
	tf_record_free (rec);

	rec = tf_record_new ();
	assert_non_null (rec);
	set (&rec->serial, "SERIAL");
	set (&rec->issuer, "ISSUER-NAME");
	rec = tf_record_compact (rec);
	assert_null (rec->der.data);
	assert_bytes (&rec->serial, "SERIAL");
	assert_bytes (&rec->issuer, "ISSUER-NAME");
	assert_null (rec->hosts);
	assert_null (rec->creator);
	tf_record_free (rec);

	/* Nothing at all. */
	rec = tf_record_new ();
	assert_non_null (rec);
	rec = tf_record_compact (rec);
	assert_ptr_equal (rec->block, rec);
	assert_int_equal (rec->label.len, 0);
	tf_record_free (rec);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test (test_compact),
	    cmocka_unit_test (test_compact_without_der),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
