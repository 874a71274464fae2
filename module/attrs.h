/*
 * CK_ATTRIBUTE array helpers: finding values in templates, checking a
 * client's template before anything reads it, and copying values out with
 * the exact C_GetAttributeValue rules.
 */
#ifndef TF_ATTRS_H
#define TF_ATTRS_H

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stddef.h>

/* Limits on what a client may hand us; more is refused, never allocated. */
#define TF_ATTRS_MAX_COUNT 4096UL
#define TF_ATTRS_MAX_VALUE (16UL * 1024 * 1024)

/*
 * Checks a template from a client: a NULL pointer with a non-zero count is
 * CKR_ARGUMENTS_BAD; more than TF_ATTRS_MAX_COUNT attributes or a value over
 * TF_ATTRS_MAX_VALUE bytes is CKR_ARGUMENTS_BAD / CKR_ATTRIBUTE_VALUE_INVALID;
 * a NULL value with a non-zero length is CKR_ATTRIBUTE_VALUE_INVALID. When
 * with_values is false (C_GetAttributeValue) only the pointer and count are
 * checked. Logs why on failure.
 */
CK_RV tf_attrs_check (const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool with_values);

/* The first attribute of this type, or NULL. Borrowed. */
const CK_ATTRIBUTE *tf_attrs_find (const CK_ATTRIBUTE *tmpl, CK_ULONG count,
				   CK_ATTRIBUTE_TYPE type);

/*
 * A CK_ULONG / CK_BBOOL value of this type. Returns CKR_OK and sets *found
 * (when given) when present and well-formed, CKR_OK with *found false when
 * absent, CKR_ATTRIBUTE_VALUE_INVALID (logged) when the length is wrong or a
 * boolean is neither 0 nor 1.
 */
CK_RV tf_attrs_get_ulong (const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type,
			  CK_ULONG *value, bool *found);
CK_RV tf_attrs_get_bool (const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type,
			 CK_BBOOL *value, bool *found);

/*
 * One attribute of C_GetAttributeValue (PKCS#11 2.40 section 5.7): with a
 * NULL pValue sets the length; with a buffer large enough copies the value
 * and sets the length; with one too small sets the length to
 * CK_UNAVAILABLE_INFORMATION and returns CKR_BUFFER_TOO_SMALL.
 */
CK_RV tf_attr_copy_out (CK_ATTRIBUTE *attr, const void *value, CK_ULONG len);
CK_RV tf_attr_copy_ulong (CK_ATTRIBUTE *attr, CK_ULONG value);
CK_RV tf_attr_copy_bool (CK_ATTRIBUTE *attr, bool value);

/* A name for an attribute type, for log lines ("CKA_VALUE", or "0x..." in buf). */
const char *tf_attr_name (CK_ATTRIBUTE_TYPE type, char *buf, size_t len);

#endif /* TF_ATTRS_H */
