/*
 * CK_ATTRIBUTE helpers. See attrs.h.
 */
#include "attrs.h"

#include "log.h"
#include "trustfolder.h"

#include <stdio.h>
#include <string.h>

const char *
tf_attr_name (CK_ATTRIBUTE_TYPE type, char *buf, size_t len)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *name;
	} names[] = {
		{ CKA_CLASS, "CKA_CLASS" },
		{ CKA_TOKEN, "CKA_TOKEN" },
		{ CKA_PRIVATE, "CKA_PRIVATE" },
		{ CKA_LABEL, "CKA_LABEL" },
		{ CKA_VALUE, "CKA_VALUE" },
		{ CKA_CERTIFICATE_TYPE, "CKA_CERTIFICATE_TYPE" },
		{ CKA_ISSUER, "CKA_ISSUER" },
		{ CKA_SERIAL_NUMBER, "CKA_SERIAL_NUMBER" },
		{ CKA_SUBJECT, "CKA_SUBJECT" },
		{ CKA_ID, "CKA_ID" },
		{ CKA_TRUSTED, "CKA_TRUSTED" },
		{ CKA_MODIFIABLE, "CKA_MODIFIABLE" },
		{ CKA_CERTIFICATE_CATEGORY, "CKA_CERTIFICATE_CATEGORY" },
		{ TF_CKA_CERT_SHA1_HASH, "CKA_CERT_SHA1_HASH" },
		{ TF_CKA_CERT_MD5_HASH, "CKA_CERT_MD5_HASH" },
		{ TF_CKA_NSS_TRUST_SERVER_AUTH, "CKA_TRUST_SERVER_AUTH" },
		{ TF_CKA_NSS_TRUST_CLIENT_AUTH, "CKA_TRUST_CLIENT_AUTH" },
		{ TF_CKA_NSS_TRUST_CODE_SIGNING, "CKA_TRUST_CODE_SIGNING" },
		{ TF_CKA_NSS_TRUST_EMAIL, "CKA_TRUST_EMAIL_PROTECTION" },
		{ TF_CKA_NSS_TRUST_STEP_UP, "CKA_TRUST_STEP_UP_APPROVED" },
		{ TF_CKA_X_DISTRUSTED, "CKA_X_DISTRUSTED" },
	};
	size_t i;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (names[i].type == type)
			return names[i].name;
	}
	snprintf (buf, len, "0x%lx", (unsigned long)type);
	return buf;
}

CK_RV
tf_attrs_check (const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool with_values)
{
	char name[32];
	CK_ULONG i;

	if (count > 0 && tmpl == NULL) {
		tf_warn ("template pointer is NULL with %lu attributes", (unsigned long)count);
		return CKR_ARGUMENTS_BAD;
	}
	if (count > TF_ATTRS_MAX_COUNT) {
		tf_warn ("template has %lu attributes; at most %lu are accepted",
			 (unsigned long)count, TF_ATTRS_MAX_COUNT);
		return CKR_ARGUMENTS_BAD;
	}
	if (!with_values)
		return CKR_OK;
	for (i = 0; i < count; i++) {
		if (tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION ||
		    tmpl[i].ulValueLen > TF_ATTRS_MAX_VALUE) {
			tf_warn ("attribute %s has an impossible length %lu",
				 tf_attr_name (tmpl[i].type, name, sizeof (name)),
				 (unsigned long)tmpl[i].ulValueLen);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		if (tmpl[i].pValue == NULL && tmpl[i].ulValueLen != 0) {
			tf_warn ("attribute %s has a NULL value of length %lu",
				 tf_attr_name (tmpl[i].type, name, sizeof (name)),
				 (unsigned long)tmpl[i].ulValueLen);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	return CKR_OK;
}

const CK_ATTRIBUTE *
tf_attrs_find (const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		if (tmpl[i].type == type)
			return tmpl + i;
	}
	return NULL;
}

CK_RV
tf_attrs_get_ulong (const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type,
		    CK_ULONG *value, bool *found)
{
	const CK_ATTRIBUTE *attr;
	char name[32];

	if (found != NULL)
		*found = false;
	attr = tf_attrs_find (tmpl, count, type);
	if (attr == NULL)
		return CKR_OK;
	if (attr->ulValueLen != sizeof (CK_ULONG) || attr->pValue == NULL) {
		tf_warn ("attribute %s must be a CK_ULONG (%zu bytes), not %lu bytes%s",
			 tf_attr_name (type, name, sizeof (name)), sizeof (CK_ULONG),
			 (unsigned long)attr->ulValueLen,
			 attr->pValue == NULL ? " at a NULL pointer" : "");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	memcpy (value, attr->pValue, sizeof (CK_ULONG));
	if (found != NULL)
		*found = true;
	return CKR_OK;
}

CK_RV
tf_attrs_get_bool (const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type,
		   CK_BBOOL *value, bool *found)
{
	const CK_ATTRIBUTE *attr;
	CK_BBOOL b;
	char name[32];

	if (found != NULL)
		*found = false;
	attr = tf_attrs_find (tmpl, count, type);
	if (attr == NULL)
		return CKR_OK;
	if (attr->ulValueLen != sizeof (CK_BBOOL) || attr->pValue == NULL) {
		tf_warn ("attribute %s must be a CK_BBOOL (1 byte), not %lu bytes%s",
			 tf_attr_name (type, name, sizeof (name)), (unsigned long)attr->ulValueLen,
			 attr->pValue == NULL ? " at a NULL pointer" : "");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	b = *(const CK_BBOOL *)attr->pValue;
	if (b != CK_TRUE && b != CK_FALSE) {
		tf_warn ("attribute %s must be CK_TRUE or CK_FALSE, not %u",
			 tf_attr_name (type, name, sizeof (name)), (unsigned)b);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	*value = b;
	if (found != NULL)
		*found = true;
	return CKR_OK;
}

CK_RV
tf_attr_copy_out (CK_ATTRIBUTE *attr, const void *value, CK_ULONG len)
{
	if (attr->pValue == NULL) {
		attr->ulValueLen = len;
		return CKR_OK;
	}
	if (attr->ulValueLen < len) {
		attr->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (len > 0)
		memcpy (attr->pValue, value, len);
	attr->ulValueLen = len;
	return CKR_OK;
}

CK_RV
tf_attr_copy_ulong (CK_ATTRIBUTE *attr, CK_ULONG value)
{
	return tf_attr_copy_out (attr, &value, sizeof (value));
}

CK_RV
tf_attr_copy_bool (CK_ATTRIBUTE *attr, bool value)
{
	CK_BBOOL b = value ? CK_TRUE : CK_FALSE;

	return tf_attr_copy_out (attr, &b, sizeof (b));
}
