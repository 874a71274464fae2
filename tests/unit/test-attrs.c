/*
 * The CK_ATTRIBUTE helpers through their own interface (attrs.h): checking a
 * client's template, reading CK_ULONG and CK_BBOOL values out of it, and
 * copying values out with the exact C_GetAttributeValue rules.
 */
#include "unit.h"

#include "attrs.h"
#include "trustfolder.h"

#include <string.h>

#define assert_rv(got, want)                                                                       \
	_assert_int_equal ((unsigned long)(got), (unsigned long)(want), __FILE__, __LINE__)

/* The attribute's length and the first len bytes of its buffer, failing at the caller's line. */
#define assert_copied(attr, bytes, len) check_copied ((attr), (bytes), (len), __FILE__, __LINE__)

static void
check_copied (const CK_ATTRIBUTE *attr, const void *bytes, CK_ULONG len, const char *file, int line)
{
	_assert_int_equal (attr->ulValueLen, len, file, line);
	_assert_true (memcmp (attr->pValue, bytes, len) == 0, "copied bytes", file, line);
}

/* Every byte of buf is c: the buffer was left alone. */
#define assert_untouched(buf, len, c) check_untouched ((buf), (len), (c), __FILE__, __LINE__)

static void
check_untouched (const unsigned char *buf, size_t len, unsigned char c, const char *file, int line)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != c)
			_fail (file, line);
	}
}

/* tf_attrs_check */

static void
test_check_null_template (void **state)
{
	(void)state;
	assert_rv (tf_attrs_check (NULL, 1, true), CKR_ARGUMENTS_BAD);
	assert_rv (tf_attrs_check (NULL, 1, false), CKR_ARGUMENTS_BAD);
	assert_rv (tf_attrs_check (NULL, TF_ATTRS_MAX_COUNT + 1, true), CKR_ARGUMENTS_BAD);
	/* An empty template may be NULL (C_FindObjectsInit with no template). */
	assert_rv (tf_attrs_check (NULL, 0, true), CKR_OK);
	assert_rv (tf_attrs_check (NULL, 0, false), CKR_OK);
}

static void
test_check_count (void **state)
{
	CK_ATTRIBUTE *tmpl;

	(void)state;
	/* Zero-length values with NULL pointers: every attribute is fine on its own. */
	tmpl = calloc (TF_ATTRS_MAX_COUNT + 1, sizeof (CK_ATTRIBUTE));
	assert_non_null (tmpl);
	assert_rv (tf_attrs_check (tmpl, TF_ATTRS_MAX_COUNT, true), CKR_OK);
	assert_rv (tf_attrs_check (tmpl, TF_ATTRS_MAX_COUNT + 1, true), CKR_ARGUMENTS_BAD);
	/* The count is checked for C_GetAttributeValue too. */
	assert_rv (tf_attrs_check (tmpl, TF_ATTRS_MAX_COUNT, false), CKR_OK);
	assert_rv (tf_attrs_check (tmpl, TF_ATTRS_MAX_COUNT + 1, false), CKR_ARGUMENTS_BAD);
	/* A count no array could have, without touching memory past the template. */
	assert_rv (tf_attrs_check (tmpl, (CK_ULONG)-1, true), CKR_ARGUMENTS_BAD);
	free (tmpl);
}

static void
test_check_lengths (void **state)
{
	unsigned char *big;
	CK_ULONG klass = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &klass, sizeof (klass)},
	    {CKA_VALUE, NULL, 0},
	};

	(void)state;
	big = calloc (1, TF_ATTRS_MAX_VALUE);
	assert_non_null (big);
	tmpl[1].pValue = big;

	tmpl[1].ulValueLen = TF_ATTRS_MAX_VALUE;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_OK);

	/* One byte over the limit, on the second attribute: every one is checked. */
	tmpl[1].ulValueLen = TF_ATTRS_MAX_VALUE + 1;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_ATTRIBUTE_VALUE_INVALID);

	/* The "unavailable" marker, as a careless client may pass back. */
	tmpl[1].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_ATTRIBUTE_VALUE_INVALID);

	/* Only the attributes within count are looked at. */
	assert_rv (tf_attrs_check (tmpl, 1, true), CKR_OK);
	free (big);
}

static void
test_check_null_value (void **state)
{
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_LABEL, "x", 1},
	    {CKA_ID, NULL, 5},
	};

	(void)state;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_ATTRIBUTE_VALUE_INVALID);
	tmpl[1].ulValueLen = 1;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_ATTRIBUTE_VALUE_INVALID);
	/* An empty value may be NULL. */
	tmpl[1].ulValueLen = 0;
	assert_rv (tf_attrs_check (tmpl, 2, true), CKR_OK);
}

static void
test_check_without_values (void **state)
{
	/* What C_GetAttributeValue receives: NULL buffers to ask for lengths, any lengths. */
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_VALUE, NULL, 4096},
	    {CKA_LABEL, NULL, CK_UNAVAILABLE_INFORMATION},
	    {CKA_ID, NULL, TF_ATTRS_MAX_VALUE + 1},
	    {CKA_CLASS, NULL, 0},
	};

	(void)state;
	assert_rv (tf_attrs_check (tmpl, 4, false), CKR_OK);
	assert_rv (tf_attrs_check (tmpl, 4, true), CKR_ATTRIBUTE_VALUE_INVALID);
}

/* tf_attrs_find */

static void
test_find (void **state)
{
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, NULL, 0},     {CKA_LABEL, "first", 5}, {CKA_ID, NULL, 0},
	    {CKA_LABEL, "second", 6}, {CKA_VALUE, NULL, 0},
	};

	(void)state;
	assert_ptr_equal (tf_attrs_find (tmpl, 5, CKA_CLASS), &tmpl[0]);
	/* The first of two. */
	assert_ptr_equal (tf_attrs_find (tmpl, 5, CKA_LABEL), &tmpl[1]);
	assert_ptr_equal (tf_attrs_find (tmpl, 5, CKA_VALUE), &tmpl[4]);
	assert_null (tf_attrs_find (tmpl, 5, CKA_SUBJECT));
	/* Nothing past count. */
	assert_null (tf_attrs_find (tmpl, 4, CKA_VALUE));
	assert_null (tf_attrs_find (tmpl, 0, CKA_CLASS));
	assert_null (tf_attrs_find (NULL, 0, CKA_CLASS));
}

/* tf_attrs_get_ulong */

static void
test_get_ulong (void **state)
{
	CK_ULONG klass = TF_CKO_NSS_TRUST, cat = 2, value = 77;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &klass, sizeof (klass)},
	    {CKA_CERTIFICATE_CATEGORY, &cat, sizeof (cat)},
	};
	bool found = false;

	(void)state;
	assert_rv (tf_attrs_get_ulong (tmpl, 2, CKA_CLASS, &value, &found), CKR_OK);
	assert_true (found);
	assert_int_equal (value, TF_CKO_NSS_TRUST);
	assert_rv (tf_attrs_get_ulong (tmpl, 2, CKA_CERTIFICATE_CATEGORY, &value, &found), CKR_OK);
	assert_true (found);
	assert_int_equal (value, 2);

	/* found may be NULL. */
	value = 0;
	assert_rv (tf_attrs_get_ulong (tmpl, 2, CKA_CLASS, &value, NULL), CKR_OK);
	assert_int_equal (value, TF_CKO_NSS_TRUST);
}

static void
test_get_ulong_absent (void **state)
{
	CK_ULONG klass = CKO_CERTIFICATE, value = 77;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &klass, sizeof (klass)},
	};
	bool found = true;

	(void)state;
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CERTIFICATE_TYPE, &value, &found), CKR_OK);
	assert_false (found);
	assert_int_equal (value, 77);

	found = true;
	assert_rv (tf_attrs_get_ulong (NULL, 0, CKA_CLASS, &value, &found), CKR_OK);
	assert_false (found);
	assert_int_equal (value, 77);
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CERTIFICATE_TYPE, &value, NULL), CKR_OK);
	assert_int_equal (value, 77);
}

static void
test_get_ulong_wrong_length (void **state)
{
	unsigned char bytes[sizeof (CK_ULONG) + 1] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, bytes, 4},
	};
	CK_ULONG value = 77;
	bool found = true;

	(void)state;
	/* A 32-bit CK_ULONG from a confused client. */
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CLASS, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 77);

	found = true;
	tmpl[0].ulValueLen = sizeof (CK_ULONG) + 1;
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CLASS, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);

	tmpl[0].ulValueLen = 0;
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CLASS, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);

	/* The right length with no buffer behind it. */
	tmpl[0].pValue = NULL;
	tmpl[0].ulValueLen = sizeof (CK_ULONG);
	assert_rv (tf_attrs_get_ulong (tmpl, 1, CKA_CLASS, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 77);
}

/* tf_attrs_get_bool */

static void
test_get_bool (void **state)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, value = 7;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &yes, sizeof (yes)},
	    {CKA_PRIVATE, &no, sizeof (no)},
	};
	bool found = false;

	(void)state;
	assert_rv (tf_attrs_get_bool (tmpl, 2, CKA_TOKEN, &value, &found), CKR_OK);
	assert_true (found);
	assert_int_equal (value, CK_TRUE);

	found = false;
	assert_rv (tf_attrs_get_bool (tmpl, 2, CKA_PRIVATE, &value, &found), CKR_OK);
	assert_true (found);
	assert_int_equal (value, CK_FALSE);

	value = 7;
	assert_rv (tf_attrs_get_bool (tmpl, 2, CKA_TOKEN, &value, NULL), CKR_OK);
	assert_int_equal (value, CK_TRUE);

	/* Absent. */
	value = 7;
	found = true;
	assert_rv (tf_attrs_get_bool (tmpl, 2, CKA_MODIFIABLE, &value, &found), CKR_OK);
	assert_false (found);
	assert_int_equal (value, 7);
}

static void
test_get_bool_wrong_length (void **state)
{
	CK_ULONG wide = CK_TRUE;
	CK_BBOOL value = 7;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &wide, sizeof (wide)},
	};
	bool found = true;

	(void)state;
	/* A CK_ULONG where a CK_BBOOL belongs. */
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 7);

	found = true;
	tmpl[0].ulValueLen = 0;
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);

	tmpl[0].ulValueLen = 2;
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);

	tmpl[0].pValue = NULL;
	tmpl[0].ulValueLen = 1;
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 7);
}

static void
test_get_bool_not_0_or_1 (void **state)
{
	CK_BBOOL odd = 2, value = 7;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &odd, sizeof (odd)},
	};
	bool found = true;

	(void)state;
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 7);

	odd = 0xff;
	found = true;
	assert_rv (tf_attrs_get_bool (tmpl, 1, CKA_TOKEN, &value, &found),
	           CKR_ATTRIBUTE_VALUE_INVALID);
	assert_false (found);
	assert_int_equal (value, 7);
}

/* tf_attr_copy_out and friends (PKCS#11 2.40 section 5.7) */

static void
test_copy_out_length_only (void **state)
{
	static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	CK_ATTRIBUTE attr = {CKA_VALUE, NULL, 0};

	(void)state;
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_OK);
	assert_int_equal (attr.ulValueLen, sizeof (der));

	/* Whatever length the client left there is replaced. */
	attr.ulValueLen = 1000;
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_OK);
	assert_int_equal (attr.ulValueLen, sizeof (der));

	attr.ulValueLen = CK_UNAVAILABLE_INFORMATION;
	assert_rv (tf_attr_copy_out (&attr, der, 0), CKR_OK);
	assert_int_equal (attr.ulValueLen, 0);
}

static void
test_copy_out_fits (void **state)
{
	static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	unsigned char buf[16];
	CK_ATTRIBUTE attr = {CKA_VALUE, buf, sizeof (buf)};

	(void)state;
	memset (buf, 0xaa, sizeof (buf));
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_OK);
	assert_copied (&attr, der, sizeof (der));
	/* Nothing written past the value. */
	assert_untouched (buf + sizeof (der), sizeof (buf) - sizeof (der), 0xaa);

	/* Exactly the right size. */
	memset (buf, 0xaa, sizeof (buf));
	attr.ulValueLen = sizeof (der);
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_OK);
	assert_copied (&attr, der, sizeof (der));
	assert_untouched (buf + sizeof (der), sizeof (buf) - sizeof (der), 0xaa);

	/* An empty value into a buffer. */
	memset (buf, 0xaa, sizeof (buf));
	attr.ulValueLen = sizeof (buf);
	assert_rv (tf_attr_copy_out (&attr, "", 0), CKR_OK);
	assert_int_equal (attr.ulValueLen, 0);
	assert_untouched (buf, sizeof (buf), 0xaa);
}

static void
test_copy_out_too_small (void **state)
{
	static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	unsigned char buf[16];
	CK_ATTRIBUTE attr = {CKA_VALUE, buf, sizeof (der) - 1};

	(void)state;
	memset (buf, 0xaa, sizeof (buf));
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (attr.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_ptr_equal (attr.pValue, buf);
	assert_untouched (buf, sizeof (buf), 0xaa);

	/* A zero-length buffer that is not NULL is too small, not a length query. */
	attr.ulValueLen = 0;
	assert_rv (tf_attr_copy_out (&attr, der, sizeof (der)), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (attr.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_untouched (buf, sizeof (buf), 0xaa);
}

static void
test_copy_ulong (void **state)
{
	unsigned char buf[sizeof (CK_ULONG) + 4];
	CK_ULONG want = TF_CKT_NSS_TRUSTED_DELEGATOR;
	CK_ATTRIBUTE attr = {TF_CKA_NSS_TRUST_SERVER_AUTH, NULL, 0};

	(void)state;
	assert_rv (tf_attr_copy_ulong (&attr, want), CKR_OK);
	assert_int_equal (attr.ulValueLen, sizeof (CK_ULONG));

	memset (buf, 0xaa, sizeof (buf));
	attr.pValue = buf;
	attr.ulValueLen = sizeof (buf);
	assert_rv (tf_attr_copy_ulong (&attr, want), CKR_OK);
	assert_copied (&attr, &want, sizeof (want));
	assert_untouched (buf + sizeof (CK_ULONG), 4, 0xaa);

	memset (buf, 0xaa, sizeof (buf));
	attr.ulValueLen = sizeof (CK_ULONG) - 1;
	assert_rv (tf_attr_copy_ulong (&attr, want), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (attr.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_untouched (buf, sizeof (buf), 0xaa);
}

static void
test_copy_bool (void **state)
{
	unsigned char buf[4];
	CK_ATTRIBUTE attr = {CKA_TOKEN, NULL, 0};

	(void)state;
	assert_rv (tf_attr_copy_bool (&attr, true), CKR_OK);
	assert_int_equal (attr.ulValueLen, sizeof (CK_BBOOL));

	memset (buf, 0xaa, sizeof (buf));
	attr.pValue = buf;
	attr.ulValueLen = sizeof (buf);
	assert_rv (tf_attr_copy_bool (&attr, true), CKR_OK);
	assert_int_equal (attr.ulValueLen, 1);
	assert_int_equal (buf[0], CK_TRUE);
	assert_untouched (buf + 1, 3, 0xaa);

	attr.ulValueLen = 1;
	assert_rv (tf_attr_copy_bool (&attr, false), CKR_OK);
	assert_int_equal (attr.ulValueLen, 1);
	assert_int_equal (buf[0], CK_FALSE);

	memset (buf, 0xaa, sizeof (buf));
	attr.ulValueLen = 0;
	assert_rv (tf_attr_copy_bool (&attr, true), CKR_BUFFER_TOO_SMALL);
	assert_int_equal (attr.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_untouched (buf, sizeof (buf), 0xaa);
}

/* tf_attr_name */

static void
test_name_known (void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal (tf_attr_name (CKA_CLASS, buf, sizeof (buf)), "CKA_CLASS");
	assert_string_equal (tf_attr_name (CKA_VALUE, buf, sizeof (buf)), "CKA_VALUE");
	assert_string_equal (tf_attr_name (CKA_SERIAL_NUMBER, buf, sizeof (buf)),
	                     "CKA_SERIAL_NUMBER");
	assert_string_equal (tf_attr_name (TF_CKA_NSS_TRUST_SERVER_AUTH, buf, sizeof (buf)),
	                     "CKA_TRUST_SERVER_AUTH");
	assert_string_equal (tf_attr_name (TF_CKA_X_DISTRUSTED, buf, sizeof (buf)),
	                     "CKA_X_DISTRUSTED");
}

static void
test_name_unknown (void **state)
{
	char buf[32];
	char small[8];

	(void)state;
	assert_ptr_equal (tf_attr_name (0x12345UL, buf, sizeof (buf)), buf);
	assert_string_equal (buf, "0x12345");
	assert_string_equal (tf_attr_name (0xCE534399UL, buf, sizeof (buf)), "0xce534399");

	/* A buffer too small is cut short, never overrun. */
	memset (small, 'z', sizeof (small));
	assert_string_equal (tf_attr_name (0xCE534399UL, small, 4), "0xc");
	assert_int_equal (small[4], 'z');
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test (test_check_null_template),
	    cmocka_unit_test (test_check_count),
	    cmocka_unit_test (test_check_lengths),
	    cmocka_unit_test (test_check_null_value),
	    cmocka_unit_test (test_check_without_values),
	    cmocka_unit_test (test_find),
	    cmocka_unit_test (test_get_ulong),
	    cmocka_unit_test (test_get_ulong_absent),
	    cmocka_unit_test (test_get_ulong_wrong_length),
	    cmocka_unit_test (test_get_bool),
	    cmocka_unit_test (test_get_bool_wrong_length),
	    cmocka_unit_test (test_get_bool_not_0_or_1),
	    cmocka_unit_test (test_copy_out_length_only),
	    cmocka_unit_test (test_copy_out_fits),
	    cmocka_unit_test (test_copy_out_too_small),
	    cmocka_unit_test (test_copy_ulong),
	    cmocka_unit_test (test_copy_bool),
	    cmocka_unit_test (test_name_known),
	    cmocka_unit_test (test_name_unknown),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
