/*
 * Objects: views of trust records, their attributes, and writes through
 * them. See object.h. Each class is described by a table of the attributes
 * a client may give at create and may change later; everything a client can
 * read is computed from the record in view_attr().
 */
#include "object.h"

#include "attrs.h"
#include "log.h"
#include "trustfolder.h"
#include "x509.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An attribute value as a view computes it: borrowed bytes or a small copy. */
typedef struct {
	const void *p;
	CK_ULONG len;
	union {
		CK_ULONG ul;
		CK_BBOOL b;
		CK_DATE date;
		unsigned char bytes[64];
	} u;
} attr_val;

static void
val_ulong (attr_val *v, CK_ULONG ul)
{
	v->u.ul = ul;
	v->p = &v->u.ul;
	v->len = sizeof (CK_ULONG);
}

static void
val_bool (attr_val *v, bool b)
{
	v->u.b = b ? CK_TRUE : CK_FALSE;
	v->p = &v->u.b;
	v->len = sizeof (CK_BBOOL);
}

static void
val_bytes (attr_val *v, const void *p, size_t len)
{
	v->p = p;
	v->len = (CK_ULONG)len;
}

static void
val_date (attr_val *v, int64_t when)
{
	time_t t = (time_t)when;
	struct tm tm;
	char buf[40];

	if (gmtime_r (&t, &tm) == NULL) {
		val_bytes (v, NULL, 0);
		return;
	}
	snprintf (buf, sizeof (buf), "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	memcpy (v->u.date.year, buf, 4);
	memcpy (v->u.date.month, buf + 4, 2);
	memcpy (v->u.date.day, buf + 6, 2);
	v->p = &v->u.date;
	v->len = sizeof (CK_DATE);
}

uint8_t
tf_object_level (const tf_record *rec, int purpose)
{
	uint8_t level;

	if (!rec->has_trust)
		return TF_LEVEL_UNKNOWN;
	level = rec->trust[purpose];
	/* A decision past its date is no longer trust in any view. */
	if (rec->expires != 0 && (int64_t)time (NULL) >= rec->expires &&
	    level != TF_LEVEL_DISTRUSTED)
		return TF_LEVEL_UNKNOWN;
	return level;
}

static const CK_ULONG level_to_nss[] = {
	[TF_LEVEL_UNKNOWN] = TF_CKT_NSS_TRUST_UNKNOWN,
	[TF_LEVEL_ANCHOR] = TF_CKT_NSS_TRUSTED_DELEGATOR,
	[TF_LEVEL_PEER] = TF_CKT_NSS_TRUSTED,
	[TF_LEVEL_CA] = TF_CKT_NSS_VALID_DELEGATOR,
	[TF_LEVEL_MUST_VERIFY] = TF_CKT_NSS_MUST_VERIFY_TRUST,
	[TF_LEVEL_DISTRUSTED] = TF_CKT_NSS_NOT_TRUSTED,
};

static bool
nss_to_level (CK_ULONG nss, uint8_t *level)
{
	switch (nss) {
	case TF_CKT_NSS_TRUST_UNKNOWN:
		*level = TF_LEVEL_UNKNOWN;
		return true;
	case TF_CKT_NSS_TRUSTED_DELEGATOR:
		*level = TF_LEVEL_ANCHOR;
		return true;
	case TF_CKT_NSS_TRUSTED:
		*level = TF_LEVEL_PEER;
		return true;
	case TF_CKT_NSS_VALID_DELEGATOR:
		*level = TF_LEVEL_CA;
		return true;
	case TF_CKT_NSS_MUST_VERIFY_TRUST:
	case TF_CKT_NSS_VALID: /* deprecated "valid peer": nothing more than verify */
		*level = TF_LEVEL_MUST_VERIFY;
		return true;
	case TF_CKT_NSS_NOT_TRUSTED:
		*level = TF_LEVEL_DISTRUSTED;
		return true;
	default:
		return false;
	}
}

static const CK_ATTRIBUTE_TYPE nss_purpose_attr[TF_PURPOSE_COUNT] = {
	[TF_PURPOSE_SERVER] = TF_CKA_NSS_TRUST_SERVER_AUTH,
	[TF_PURPOSE_CLIENT] = TF_CKA_NSS_TRUST_CLIENT_AUTH,
	[TF_PURPOSE_CODE] = TF_CKA_NSS_TRUST_CODE_SIGNING,
	[TF_PURPOSE_EMAIL] = TF_CKA_NSS_TRUST_EMAIL,
};

/* p11-kit's reading: CKA_TRUSTED is an anchor; CKA_X_DISTRUSTED a blocklist entry. */
static bool
record_trusted (const tf_record *rec)
{
	bool any = false;
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		uint8_t l = tf_object_level (rec, i);
		if (l == TF_LEVEL_DISTRUSTED)
			return false;
		if (l == TF_LEVEL_ANCHOR || l == TF_LEVEL_PEER)
			any = true;
	}
	return any;
}

static bool
record_distrusted (const tf_record *rec)
{
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		uint8_t l = tf_object_level (rec, i);
		if (l == TF_LEVEL_ANCHOR || l == TF_LEVEL_PEER || l == TF_LEVEL_CA)
			return false;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (tf_object_level (rec, i) == TF_LEVEL_DISTRUSTED)
			return true;
	}
	return false;
}

/* Length of the tag and length octets of a DER INTEGER (the serial is well formed). */
static size_t
integer_header (const tf_bytes *serial)
{
	if (serial->len < 2)
		return serial->len;
	if (serial->data[1] < 0x80)
		return 2;
	return 2 + (serial->data[1] & 0x7f);
}

static CK_OBJECT_CLASS
view_class (tf_view view)
{
	switch (view) {
	case TF_VIEW_CERT:
		return CKO_CERTIFICATE;
	case TF_VIEW_NSS_TRUST:
		return TF_CKO_NSS_TRUST;
	case TF_VIEW_PROFILE:
		return TF_CKO_PROFILE;
	default:
		return (CK_OBJECT_CLASS)-1;
	}
}

/* The attributes every object has. rec is NULL for the profile object. */
static bool
common_attr (const tf_token *tok, const tf_record *rec, tf_view view, CK_ATTRIBUTE_TYPE type,
	     attr_val *v)
{
	switch (type) {
	case CKA_CLASS:
		val_ulong (v, view_class (view));
		return true;
	case CKA_TOKEN:
		val_bool (v, rec == NULL || rec->owner == 0);
		return true;
	case CKA_PRIVATE:
		val_bool (v, false);
		return true;
	case CKA_MODIFIABLE:
		val_bool (v, rec != NULL && !(rec->owner == 0 && tok->write_protected));
		return true;
	case CKA_COPYABLE:
	case CKA_DESTROYABLE:
		val_bool (v, rec != NULL);
		return true;
	case CKA_LABEL:
		if (rec == NULL)
			val_bytes (v, NULL, 0);
		else
			val_bytes (v, rec->label.data, rec->label.len);
		return true;
	case TF_CKA_UNIQUE_ID:
		if (rec != NULL && rec->store_id != 0)
			snprintf ((char *)v->u.bytes, sizeof (v->u.bytes), "%lu.%lld.%d",
				  (unsigned long)tok->slot, (long long)rec->store_id, (int)view);
		else
			snprintf ((char *)v->u.bytes, sizeof (v->u.bytes), "%lu.s%llu.%d",
				  (unsigned long)tok->slot,
				  (unsigned long long)(rec ? rec->uid : tok->profile_uid), (int)view);
		val_bytes (v, v->u.bytes, strlen ((char *)v->u.bytes));
		return true;
	default:
		return false;
	}
}

static bool
cert_attr (const tf_token *tok, const tf_record *rec, CK_ATTRIBUTE_TYPE type, attr_val *v)
{
	tf_cert_info info;
	unsigned char sha1[20];

	switch (type) {
	case CKA_CERTIFICATE_TYPE:
		val_ulong (v, CKC_X_509);
		return true;
	case CKA_VALUE:
		val_bytes (v, rec->der.data, rec->der.len);
		return true;
	case CKA_SUBJECT:
		val_bytes (v, rec->subject.data, rec->subject.len);
		return true;
	case CKA_ISSUER:
		val_bytes (v, rec->issuer.data, rec->issuer.len);
		return true;
	case CKA_SERIAL_NUMBER:
		val_bytes (v, rec->serial.data, rec->serial.len);
		return true;
	case CKA_ID:
		val_bytes (v, rec->id.data, rec->id.len);
		return true;
	case CKA_TRUSTED:
		val_bool (v, record_trusted (rec));
		return true;
	case TF_CKA_X_DISTRUSTED:
		val_bool (v, record_distrusted (rec));
		return true;
	case CKA_CHECK_VALUE:
		tf_x509_sha1 (rec->der.data, rec->der.len, sha1);
		memcpy (v->u.bytes, sha1, 3);
		val_bytes (v, v->u.bytes, 3);
		return true;
	case CKA_URL:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
		val_bytes (v, NULL, 0);
		return true;
	case CKA_JAVA_MIDP_SECURITY_DOMAIN:
		val_ulong (v, 0);
		return true;
	case CKA_NAME_HASH_ALGORITHM:
		val_ulong (v, CKM_SHA_1);
		return true;
	case TF_CKA_NSS_EMAIL:
		if (rec->email.len == 0)
			return false;
		val_bytes (v, rec->email.data, rec->email.len);
		return true;
	case CKA_CERTIFICATE_CATEGORY:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_PUBLIC_KEY_INFO:
		break;
	default:
		return false;
	}

	/* The rest needs the certificate parsed; the record holds good DER. */
	if (type == CKA_CERTIFICATE_CATEGORY && rec->category != 0) {
		val_ulong (v, rec->category);
		return true;
	}
	if (!tf_x509_parse (rec->der.data, rec->der.len, &info)) {
		val_bytes (v, NULL, 0);
		return true;
	}
	switch (type) {
	case CKA_CERTIFICATE_CATEGORY:
		val_ulong (v, info.is_ca ? 2 : 3); /* authority : other entity */
		break;
	case CKA_START_DATE:
		val_date (v, info.not_before);
		break;
	case CKA_END_DATE:
		val_date (v, info.not_after);
		break;
	default:
		val_bytes (v, info.spki.data, info.spki.len);
		break;
	}
	(void)tok;
	return true;
}

static bool
nss_trust_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, attr_val *v)
{
	int i;

	switch (type) {
	case CKA_ISSUER:
		val_bytes (v, rec->issuer.data, rec->issuer.len);
		return true;
	case CKA_SERIAL_NUMBER:
		val_bytes (v, rec->serial.data, rec->serial.len);
		return true;
	case TF_CKA_CERT_SHA1_HASH:
		/* No hash: the record applies to any certificate with this issuer and serial. */
		if (!rec->has_hash)
			return false;
		val_bytes (v, rec->sha1, sizeof (rec->sha1));
		return true;
	case TF_CKA_CERT_MD5_HASH:
		if (!rec->has_md5)
			return false;
		val_bytes (v, rec->md5, sizeof (rec->md5));
		return true;
	case TF_CKA_NSS_TRUST_STEP_UP:
		val_bool (v, rec->step_up);
		return true;
	default:
		break;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (type == nss_purpose_attr[i]) {
			val_ulong (v, level_to_nss[tf_object_level (rec, i)]);
			return true;
		}
	}
	return false;
}

/* trustfolder's own attributes of a decision, on every view of a record. */
static bool
decision_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, attr_val *v)
{
	switch (type) {
	case TF_CKA_DECISION_EXPIRES:
		val_ulong (v, (CK_ULONG)(rec->expires > 0 ? rec->expires : 0));
		return true;
	case TF_CKA_DECISION_CREATED:
		val_ulong (v, (CK_ULONG)(rec->created > 0 ? rec->created : 0));
		return true;
	case TF_CKA_PINNED_HOSTS:
		val_bytes (v, rec->hosts, rec->hosts ? strlen (rec->hosts) : 0);
		return true;
	case TF_CKA_DECISION_CREATOR:
		val_bytes (v, rec->creator, rec->creator ? strlen (rec->creator) : 0);
		return true;
	default:
		return false;
	}
}

/* Computes one attribute of a view. false: the object has no such attribute. */
static bool
view_attr (const tf_token *tok, const tf_record *rec, tf_view view, CK_ATTRIBUTE_TYPE type,
	   attr_val *v)
{
	memset (v, 0, sizeof (*v));
	if (common_attr (tok, rec, view, type, v))
		return true;
	if (rec != NULL && decision_attr (rec, type, v))
		return true;
	switch (view) {
	case TF_VIEW_CERT:
		return cert_attr (tok, rec, type, v);
	case TF_VIEW_NSS_TRUST:
		return nss_trust_attr (rec, type, v);
	case TF_VIEW_PROFILE:
		if (type == TF_CKA_PROFILE_ID) {
			val_ulong (v, TF_CKP_PUBLIC_CERTIFICATES_TOKEN);
			return true;
		}
		return false;
	default:
		return false;
	}
}

static bool
view_present (const tf_record *rec, tf_view view)
{
	switch (view) {
	case TF_VIEW_CERT:
		return rec->der.len > 0;
	case TF_VIEW_NSS_TRUST:
		return rec->has_trust;
	default:
		return false;
	}
}

/* Resolves a handle to its record (NULL for the profile) and view. */
static bool
resolve (tf_token *tok, CK_OBJECT_HANDLE handle, tf_record **rec, tf_view *view)
{
	uint64_t uid = TF_HANDLE_UID (handle);

	*view = TF_HANDLE_VIEW (handle);
	*rec = NULL;
	if (uid == tok->profile_uid)
		return *view == TF_VIEW_PROFILE;
	if (*view == TF_VIEW_PROFILE)
		return false;
	*rec = tf_index_lookup (tok->index, uid);
	return *rec != NULL && view_present (*rec, *view);
}

bool
tf_object_exists (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec;
	tf_view view;

	return resolve (tok, handle, &rec, &view);
}

CK_SESSION_HANDLE
tf_object_owner (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec;
	tf_view view;

	if (!resolve (tok, handle, &rec, &view) || rec == NULL)
		return 0;
	return rec->owner;
}

CK_RV
tf_object_get (tf_token *tok, CK_OBJECT_HANDLE handle, CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_RV rv = CKR_OK, one;
	tf_record *rec;
	tf_view view;
	attr_val v;
	CK_ULONG i;

	if (!resolve (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	/*
	 * Every attribute is answered even after one fails: p11-kit asks for
	 * about 120 types at once and needs the known ones filled.
	 */
	for (i = 0; i < count; i++) {
		if (!view_attr (tok, rec, view, tmpl[i].type, &v)) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			one = CKR_ATTRIBUTE_TYPE_INVALID;
		} else {
			one = tf_attr_copy_out (&tmpl[i], v.p, v.len);
		}
		if (one != CKR_OK && rv == CKR_OK)
			rv = one;
	}
	return rv;
}

CK_RV
tf_object_size (tf_token *tok, CK_OBJECT_HANDLE handle, CK_ULONG *size)
{
	tf_record *rec;
	tf_view view;

	if (!resolve (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	if (rec == NULL)
		*size = 64;
	else if (view == TF_VIEW_CERT)
		*size = (CK_ULONG)(rec->der.len + rec->issuer.len + rec->subject.len +
				   rec->serial.len + rec->id.len + rec->label.len + 64);
	else
		*size = (CK_ULONG)(rec->issuer.len + rec->serial.len + 64);
	return CKR_OK;
}

/* ---- matching and finding ---------------------------------------------- */

static bool
match_serial (const tf_record *rec, const CK_ATTRIBUTE *attr)
{
	size_t hdr;

	/* NSS sends the serial as a DER INTEGER first, then as raw bytes. */
	if (tf_bytes_equal (&rec->serial, attr->pValue, attr->ulValueLen))
		return true;
	hdr = integer_header (&rec->serial);
	return rec->serial.len - hdr == attr->ulValueLen && attr->ulValueLen > 0 &&
	       memcmp (rec->serial.data + hdr, attr->pValue, attr->ulValueLen) == 0;
}

static bool
matches (const tf_token *tok, const tf_record *rec, tf_view view, const CK_ATTRIBUTE *tmpl,
	 CK_ULONG count)
{
	attr_val v;
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		if (tmpl[i].type == CKA_SERIAL_NUMBER && rec != NULL &&
		    (view == TF_VIEW_CERT || view == TF_VIEW_NSS_TRUST)) {
			if (!match_serial (rec, &tmpl[i]))
				return false;
			continue;
		}
		if (!view_attr (tok, rec, view, tmpl[i].type, &v))
			return false;
		if (v.len != tmpl[i].ulValueLen ||
		    (v.len > 0 && memcmp (v.p, tmpl[i].pValue, v.len) != 0))
			return false;
	}
	return true;
}

typedef struct {
	const tf_token *tok;
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG count;
	CK_OBJECT_HANDLE *handles;
	CK_ULONG n, cap;
	bool oom;
} finder;

static bool
add_handle (finder *f, CK_OBJECT_HANDLE h)
{
	CK_OBJECT_HANDLE *grown;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		grown = realloc (f->handles, f->cap * sizeof (CK_OBJECT_HANDLE));
		if (grown == NULL) {
			f->oom = true;
			return false;
		}
		f->handles = grown;
	}
	f->handles[f->n++] = h;
	return true;
}

static bool
find_in_record (void *ctx, tf_record *rec)
{
	static const tf_view views[] = { TF_VIEW_CERT, TF_VIEW_NSS_TRUST };
	finder *f = ctx;
	size_t i;

	for (i = 0; i < sizeof (views) / sizeof (views[0]); i++) {
		if (view_present (rec, views[i]) && matches (f->tok, rec, views[i], f->tmpl, f->count) &&
		    !add_handle (f, TF_HANDLE (rec->uid, views[i])))
			return false;
	}
	return true;
}

CK_RV
tf_object_find (tf_token *tok, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
		CK_OBJECT_HANDLE **handles, CK_ULONG *n)
{
	finder f = { .tok = tok, .tmpl = tmpl, .count = count };
	const CK_ATTRIBUTE *issuer, *serial, *key;
	unsigned char *wrapped = NULL;
	size_t wlen;

	*handles = NULL;
	*n = 0;

	if (matches (tok, NULL, TF_VIEW_PROFILE, tmpl, count) &&
	    !add_handle (&f, TF_HANDLE (tok->profile_uid, TF_VIEW_PROFILE)))
		goto out;

	/* Pick the most selective key the template names; every key is exact. */
	issuer = tf_attrs_find (tmpl, count, CKA_ISSUER);
	serial = tf_attrs_find (tmpl, count, CKA_SERIAL_NUMBER);
	if (issuer != NULL && serial != NULL) {
		tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer->pValue,
				   issuer->ulValueLen, serial->pValue, serial->ulValueLen,
				   find_in_record, &f);
		/* The raw form of the serial: look it up under its DER encoding too. */
		wrapped = malloc (serial->ulValueLen + 8);
		if (wrapped == NULL) {
			f.oom = true;
			goto out;
		}
		wlen = serial->ulValueLen > 0 && serial->ulValueLen < 0x10000
			       ? tf_x509_serial_to_der (serial->pValue, serial->ulValueLen, wrapped)
			       : 0;
		if (wlen > 0 && (wlen != serial->ulValueLen ||
				 memcmp (wrapped, serial->pValue, wlen) != 0))
			tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer->pValue,
					   issuer->ulValueLen, wrapped, wlen, find_in_record, &f);
		/* A raw serial that happens to look like DER: try its wrapped form as well. */
		if (serial->ulValueLen > 0 && serial->ulValueLen < 0x7f &&
		    ((const unsigned char *)serial->pValue)[0] == 0x02 && wlen == serial->ulValueLen) {
			wrapped[0] = 0x02;
			wrapped[1] = (unsigned char)serial->ulValueLen;
			memcpy (wrapped + 2, serial->pValue, serial->ulValueLen);
			tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer->pValue,
					   issuer->ulValueLen, wrapped, serial->ulValueLen + 2,
					   find_in_record, &f);
		}
	} else if ((key = tf_attrs_find (tmpl, count, CKA_VALUE)) != NULL) {
		tf_index_each_key (tok->index, TF_KEY_VALUE, key->pValue, key->ulValueLen, NULL, 0,
				   find_in_record, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_SUBJECT)) != NULL) {
		tf_index_each_key (tok->index, TF_KEY_SUBJECT, key->pValue, key->ulValueLen, NULL, 0,
				   find_in_record, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_ID)) != NULL) {
		tf_index_each_key (tok->index, TF_KEY_ID, key->pValue, key->ulValueLen, NULL, 0,
				   find_in_record, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_LABEL)) != NULL) {
		tf_index_each_key (tok->index, TF_KEY_LABEL, key->pValue, key->ulValueLen, NULL, 0,
				   find_in_record, &f);
	} else if (issuer != NULL) {
		/* Issuer alone has no index; it is rare and goes through every record. */
		tf_index_each (tok->index, find_in_record, &f);
	} else {
		tf_index_each (tok->index, find_in_record, &f);
	}
out:
	free (wrapped);
	if (f.oom) {
		free (f.handles);
		return CKR_HOST_MEMORY;
	}
	*handles = f.handles;
	*n = f.n;
	return CKR_OK;
}

/* ---- schemas ------------------------------------------------------------ */

enum {
	A_CREATE = 1 << 0, /* may be given at create */
	A_SET = 1 << 1,	   /* may be changed later */
	A_FIXED = 1 << 2,  /* may be given at create or set, but only with its current value */
};

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	unsigned flags;
} attr_rule;

static const attr_rule cert_rules[] = {
	{ CKA_CLASS, A_CREATE | A_FIXED },
	{ CKA_TOKEN, A_CREATE | A_FIXED },
	{ CKA_PRIVATE, A_CREATE | A_FIXED },
	{ CKA_MODIFIABLE, A_CREATE | A_FIXED },
	{ CKA_COPYABLE, A_CREATE | A_FIXED },
	{ CKA_DESTROYABLE, A_CREATE | A_FIXED },
	{ CKA_LABEL, A_CREATE | A_SET },
	{ CKA_CERTIFICATE_TYPE, A_CREATE | A_FIXED },
	{ CKA_VALUE, A_CREATE | A_FIXED },
	{ CKA_SUBJECT, A_CREATE | A_FIXED },
	{ CKA_ISSUER, A_CREATE | A_FIXED },
	{ CKA_SERIAL_NUMBER, A_CREATE | A_FIXED },
	{ CKA_ID, A_CREATE | A_SET },
	{ CKA_TRUSTED, A_CREATE | A_SET },
	{ TF_CKA_X_DISTRUSTED, A_CREATE | A_SET },
	{ CKA_CERTIFICATE_CATEGORY, A_CREATE | A_SET },
	{ TF_CKA_NSS_EMAIL, A_CREATE | A_SET },
	{ CKA_CHECK_VALUE, A_CREATE | A_FIXED },
	{ CKA_PUBLIC_KEY_INFO, A_CREATE | A_FIXED },
	{ CKA_START_DATE, A_CREATE | A_FIXED },
	{ CKA_END_DATE, A_CREATE | A_FIXED },
	{ CKA_URL, A_CREATE | A_FIXED },
	{ CKA_HASH_OF_SUBJECT_PUBLIC_KEY, A_CREATE | A_FIXED },
	{ CKA_HASH_OF_ISSUER_PUBLIC_KEY, A_CREATE | A_FIXED },
	{ CKA_JAVA_MIDP_SECURITY_DOMAIN, A_CREATE | A_FIXED },
	{ CKA_NAME_HASH_ALGORITHM, A_CREATE | A_FIXED },
	{ TF_CKA_DECISION_EXPIRES, A_CREATE | A_SET },
	{ TF_CKA_PINNED_HOSTS, A_CREATE | A_SET },
	{ TF_CKA_DECISION_CREATOR, A_CREATE | A_SET },
	{ TF_CKA_DECISION_CREATED, 0 },
};

static const attr_rule nss_trust_rules[] = {
	{ CKA_CLASS, A_CREATE | A_FIXED },
	{ CKA_TOKEN, A_CREATE | A_FIXED },
	{ CKA_PRIVATE, A_CREATE | A_FIXED },
	{ CKA_MODIFIABLE, A_CREATE | A_FIXED },
	{ CKA_COPYABLE, A_CREATE | A_FIXED },
	{ CKA_DESTROYABLE, A_CREATE | A_FIXED },
	{ CKA_LABEL, A_CREATE | A_SET },
	{ CKA_ISSUER, A_CREATE | A_FIXED },
	{ CKA_SERIAL_NUMBER, A_CREATE | A_FIXED },
	{ TF_CKA_CERT_SHA1_HASH, A_CREATE | A_SET },
	{ TF_CKA_CERT_MD5_HASH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_SERVER_AUTH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_CLIENT_AUTH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_CODE_SIGNING, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_EMAIL, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_STEP_UP, A_CREATE | A_SET },
	{ TF_CKA_DECISION_EXPIRES, A_CREATE | A_SET },
	{ TF_CKA_PINNED_HOSTS, A_CREATE | A_SET },
	{ TF_CKA_DECISION_CREATOR, A_CREATE | A_SET },
	{ TF_CKA_DECISION_CREATED, 0 },
};

#define N_RULES(r) (sizeof (r) / sizeof ((r)[0]))

static const attr_rule *
find_rule (const attr_rule *rules, size_t n, CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rules[i].type == type)
			return rules + i;
	}
	return NULL;
}

/*
 * Checks every attribute of a template against a class's rules: at create
 * (creating) or at set. An attribute the class does not have is
 * CKR_ATTRIBUTE_TYPE_INVALID; one it has but that cannot be written is
 * CKR_ATTRIBUTE_READ_ONLY.
 */
static CK_RV
check_rules (const attr_rule *rules, size_t nrules, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
	     bool creating, const char *what)
{
	const attr_rule *rule;
	char name[32];
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		rule = find_rule (rules, nrules, tmpl[i].type);
		if (rule == NULL) {
			tf_warn ("%s: attribute %s is not one of this class", what,
				 tf_attr_name (tmpl[i].type, name, sizeof (name)));
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (!(rule->flags & (creating ? A_CREATE : (A_SET | A_FIXED)))) {
			tf_warn ("%s: attribute %s cannot be written", what,
				 tf_attr_name (tmpl[i].type, name, sizeof (name)));
			return CKR_ATTRIBUTE_READ_ONLY;
		}
	}
	return CKR_OK;
}

/*
 * Every A_FIXED attribute given must equal what the view computes from the
 * new record (a subject that contradicts the DER, CKA_PRIVATE=TRUE, ...).
 */
static CK_RV
check_fixed (const tf_token *tok, const tf_record *rec, tf_view view, const attr_rule *rules,
	     size_t nrules, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating,
	     const char *what)
{
	const attr_rule *rule;
	attr_val v;
	char name[32];
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		rule = find_rule (rules, nrules, tmpl[i].type);
		if (rule == NULL || !(rule->flags & A_FIXED))
			continue;
		if (tmpl[i].type == CKA_SERIAL_NUMBER && match_serial (rec, &tmpl[i]))
			continue;
		if (view_attr (tok, rec, view, tmpl[i].type, &v) && v.len == tmpl[i].ulValueLen &&
		    (v.len == 0 || memcmp (v.p, tmpl[i].pValue, v.len) == 0))
			continue;
		tf_warn ("%s: attribute %s contradicts the object", what,
			 tf_attr_name (tmpl[i].type, name, sizeof (name)));
		if (!creating)
			return CKR_ATTRIBUTE_READ_ONLY;
		switch (tmpl[i].type) {
		case CKA_SUBJECT:
		case CKA_ISSUER:
		case CKA_SERIAL_NUMBER:
		case CKA_CHECK_VALUE:
		case CKA_PUBLIC_KEY_INFO:
		case CKA_START_DATE:
		case CKA_END_DATE:
			return CKR_TEMPLATE_INCONSISTENT;
		default:
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	return CKR_OK;
}

/* ---- record edits shared by create and set ------------------------------ */

static bool
any_level (const tf_record *rec)
{
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (rec->trust[i] != TF_LEVEL_UNKNOWN)
			return true;
	}
	return false;
}

/* CKA_X_DISTRUSTED then CKA_TRUSTED, as p11-kit's "trust anchor" writes them. */
static CK_RV
apply_p11kit_trust (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_BBOOL trusted = CK_FALSE, distrusted = CK_FALSE;
	bool has_trusted, has_distrusted;
	CK_RV rv;
	int i;

	rv = tf_attrs_get_bool (tmpl, count, CKA_TRUSTED, &trusted, &has_trusted);
	if (rv == CKR_OK)
		rv = tf_attrs_get_bool (tmpl, count, TF_CKA_X_DISTRUSTED, &distrusted,
					&has_distrusted);
	if (rv != CKR_OK)
		return rv;
	if (has_trusted && has_distrusted && trusted && distrusted) {
		tf_warn ("a certificate cannot be both CKA_TRUSTED and CKA_X_DISTRUSTED");
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if (has_distrusted) {
		for (i = 0; i < TF_PURPOSE_COUNT; i++) {
			if (distrusted)
				rec->trust[i] = TF_LEVEL_DISTRUSTED;
			else if (rec->trust[i] == TF_LEVEL_DISTRUSTED)
				rec->trust[i] = TF_LEVEL_UNKNOWN;
		}
	}
	if (has_trusted) {
		for (i = 0; i < TF_PURPOSE_COUNT; i++) {
			if (trusted)
				rec->trust[i] = TF_LEVEL_ANCHOR;
			else if (rec->trust[i] == TF_LEVEL_ANCHOR || rec->trust[i] == TF_LEVEL_PEER)
				rec->trust[i] = TF_LEVEL_UNKNOWN;
		}
	}
	if (has_trusted || has_distrusted) {
		rec->has_trust = any_level (rec) || rec->has_trust;
		if (!any_level (rec) && !rec->step_up)
			rec->has_trust = false;
	}
	return CKR_OK;
}

static CK_RV
apply_bytes (tf_bytes *field, const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type)
{
	const CK_ATTRIBUTE *attr = tf_attrs_find (tmpl, count, type);

	if (attr == NULL)
		return CKR_OK;
	return tf_bytes_set (field, attr->pValue, attr->ulValueLen) ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV
apply_category (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_ULONG category;
	bool found;
	CK_RV rv;

	rv = tf_attrs_get_ulong (tmpl, count, CKA_CERTIFICATE_CATEGORY, &category, &found);
	if (rv != CKR_OK || !found)
		return rv;
	if (category > 3) {
		tf_warn ("CKA_CERTIFICATE_CATEGORY %lu is not 0 to 3", (unsigned long)category);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rec->category = category;
	return CKR_OK;
}

/* A UTF-8 string attribute with no NUL, as a C string; NULL value when empty. */
static CK_RV
string_attr (const CK_ATTRIBUTE *attr, const char *what, char **out)
{
	const unsigned char *p = attr->pValue;
	CK_ULONG i;

	*out = NULL;
	for (i = 0; i < attr->ulValueLen; i++) {
		if (p[i] == '\0') {
			tf_warn ("%s must not contain a NUL byte", what);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	if (attr->ulValueLen == 0)
		return CKR_OK;
	*out = strndup (attr->pValue, attr->ulValueLen);
	return *out != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

/*
 * Pinned host names: comma-separated DNS names or addresses (letters, digits,
 * '-', '.', ':', '*', '[', ']'), stored lower-case.
 */
static CK_RV
normalize_hosts (char *hosts)
{
	char *p;

	for (p = hosts; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			   *p == '.' || *p == ':' || *p == '*' || *p == ',' || *p == '[' || *p == ']')) {
			tf_warn ("pinned host names may hold letters, digits and - . : * [ ] "
				 "separated by commas; not '%c'",
				 *p);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	if (hosts[0] == ',' || strstr (hosts, ",,") != NULL || hosts[strlen (hosts) - 1] == ',') {
		tf_warn ("pinned host names: an empty name in \"%s\"", hosts);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* trustfolder's own attributes: the decision's end, pinned hosts, creator. */
static CK_RV
apply_decision (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	const CK_ATTRIBUTE *attr;
	CK_ULONG expires;
	char *s = NULL;
	bool found;
	CK_RV rv;

	rv = tf_attrs_get_ulong (tmpl, count, TF_CKA_DECISION_EXPIRES, &expires, &found);
	if (rv != CKR_OK)
		return rv;
	if (found)
		rec->expires = (int64_t)(expires > (CK_ULONG)INT64_MAX ? INT64_MAX : expires);
	if ((attr = tf_attrs_find (tmpl, count, TF_CKA_PINNED_HOSTS)) != NULL) {
		rv = string_attr (attr, "CKA pinned hosts", &s);
		if (rv == CKR_OK && s != NULL)
			rv = normalize_hosts (s);
		if (rv != CKR_OK) {
			free (s);
			return rv;
		}
		free (rec->hosts);
		rec->hosts = s;
	}
	if ((attr = tf_attrs_find (tmpl, count, TF_CKA_DECISION_CREATOR)) != NULL) {
		rv = string_attr (attr, "the decision's creator", &s);
		if (rv != CKR_OK)
			return rv;
		free (rec->creator);
		rec->creator = s;
	}
	return CKR_OK;
}

/* The NSS trust attributes: purposes, step-up, and hashes checked against the cert. */
static CK_RV
apply_nss_trust (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating)
{
	const CK_ATTRIBUTE *sha1, *md5;
	unsigned char digest[20];
	CK_ULONG value;
	CK_BBOOL step_up;
	uint8_t level;
	bool found;
	CK_RV rv;
	int i;

	sha1 = tf_attrs_find (tmpl, count, TF_CKA_CERT_SHA1_HASH);
	md5 = tf_attrs_find (tmpl, count, TF_CKA_CERT_MD5_HASH);
	if (sha1 != NULL && sha1->ulValueLen != 20) {
		tf_warn ("CKA_CERT_SHA1_HASH must be 20 bytes, not %lu",
			 (unsigned long)sha1->ulValueLen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (md5 != NULL && md5->ulValueLen != 16) {
		tf_warn ("CKA_CERT_MD5_HASH must be 16 bytes, not %lu", (unsigned long)md5->ulValueLen);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rec->der.len > 0) {
		/* The token holds the certificate: a hash must be its hash. */
		if (sha1 != NULL && memcmp (sha1->pValue, rec->sha1, 20) != 0) {
			tf_warn ("CKA_CERT_SHA1_HASH is not the SHA-1 of the certificate held for "
				 "this issuer and serial");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		if (md5 != NULL && memcmp (md5->pValue, rec->md5, 16) != 0) {
			tf_warn ("CKA_CERT_MD5_HASH is not the MD5 of the certificate held for "
				 "this issuer and serial");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	} else if (sha1 != NULL) {
		/* A trust-only record: the hashes name the certificate held elsewhere. */
		if (rec->has_hash && memcmp (rec->sha1, sha1->pValue, 20) != 0)
			rec->has_md5 = rec->has_sha256 = false;
		memcpy (rec->sha1, sha1->pValue, 20);
		rec->has_hash = true;
		if (md5 != NULL)
			memcpy (rec->md5, md5->pValue, 16);
		rec->has_md5 = rec->has_md5 || md5 != NULL;
	} else if (md5 != NULL) {
		tf_warn ("CKA_CERT_MD5_HASH without CKA_CERT_SHA1_HASH is not enough to name a "
			 "certificate");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	(void)digest;

	/* A create replaces the whole decision: purposes not named become unknown. */
	if (creating) {
		memset (rec->trust, TF_LEVEL_UNKNOWN, sizeof (rec->trust));
		rec->step_up = false;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		rv = tf_attrs_get_ulong (tmpl, count, nss_purpose_attr[i], &value, &found);
		if (rv != CKR_OK)
			return rv;
		if (!found)
			continue;
		if (!nss_to_level (value, &level)) {
			tf_warn ("trust value 0x%lx is not an NSS trust value", (unsigned long)value);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		rec->trust[i] = level;
	}
	rv = tf_attrs_get_bool (tmpl, count, TF_CKA_NSS_TRUST_STEP_UP, &step_up, &found);
	if (rv != CKR_OK)
		return rv;
	if (found)
		rec->step_up = step_up;
	rec->has_trust = true;
	return CKR_OK;
}

/*
 * The hash rule (CONTRACT.md): positive trust must name its certificate by
 * hash, or NSS drops all trust for it. The record knows the hash when it
 * holds the certificate or when a trust write gave it.
 */
static CK_RV
check_hash_rule (const tf_record *rec)
{
	if (tf_record_is_positive (rec) && !tf_record_has_any_hash (rec)) {
		tf_warn ("positive trust for a certificate this token does not hold needs "
			 "CKA_CERT_SHA1_HASH");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	return CKR_OK;
}

/* ---- create ------------------------------------------------------------- */

typedef struct {
	CK_SESSION_HANDLE owner;
	tf_record *found;
} same_owner;

static bool
first_same_owner (void *ctx, tf_record *rec)
{
	same_owner *s = ctx;

	if (rec->owner != s->owner)
		return true;
	s->found = rec;
	return false;
}

/* The record of this owner for issuer + serial (DER), or NULL. Borrowed. */
static tf_record *
lookup_issuer_serial (tf_token *tok, CK_SESSION_HANDLE owner, const void *issuer,
		      size_t issuer_len, const void *serial, size_t serial_len)
{
	same_owner s = { .owner = owner };

	tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer, issuer_len, serial,
			   serial_len, first_same_owner, &s);
	return s.found;
}

static bool
first_labelled (void *ctx, tf_record *rec)
{
	tf_record **out = ctx;

	if (rec->label.len == 0)
		return true;
	*out = rec;
	return false;
}

/* NSS shows certificates with one subject under one nickname: reuse a label. */
static CK_RV
default_label (tf_token *tok, tf_record *rec)
{
	tf_record *same = NULL;
	char *label;
	bool ok;

	tf_index_each_key (tok->index, TF_KEY_SUBJECT, rec->subject.data, rec->subject.len, NULL,
			   0, first_labelled, &same);
	if (same != NULL)
		return tf_bytes_set (&rec->label, same->label.data, same->label.len)
			       ? CKR_OK
			       : CKR_HOST_MEMORY;
	label = tf_x509_name_label (rec->subject.data, rec->subject.len);
	if (label == NULL)
		return tf_bytes_set (&rec->label, "Unnamed certificate", 19) ? CKR_OK
									     : CKR_HOST_MEMORY;
	ok = tf_bytes_set (&rec->label, label, strlen (label));
	free (label);
	return ok ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV
set_certificate (tf_record *rec, const unsigned char *der, size_t len, const tf_cert_info *info)
{
	if (!tf_bytes_set (&rec->der, der, len) ||
	    !tf_bytes_set (&rec->issuer, info->issuer.data, info->issuer.len) ||
	    !tf_bytes_set (&rec->subject, info->subject.data, info->subject.len) ||
	    !tf_bytes_set (&rec->serial, info->serial.data, info->serial.len))
		return CKR_HOST_MEMORY;
	tf_x509_sha1 (der, len, rec->sha1);
	tf_x509_md5 (der, len, rec->md5);
	tf_x509_sha256 (der, len, rec->sha256);
	rec->has_hash = rec->has_md5 = rec->has_sha256 = true;
	return CKR_OK;
}

static CK_RV
create_cert (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
	     CK_OBJECT_HANDLE *handle)
{
	const CK_ATTRIBUTE *value, *label;
	unsigned char sha1[20], key_id[20];
	tf_record *rec = NULL, *existing;
	tf_cert_info info;
	CK_ULONG type;
	bool found;
	uint64_t uid;
	CK_RV rv;

	rv = check_rules (cert_rules, N_RULES (cert_rules), tmpl, count, true, "certificate");
	if (rv != CKR_OK)
		return rv;
	rv = tf_attrs_get_ulong (tmpl, count, CKA_CERTIFICATE_TYPE, &type, &found);
	if (rv != CKR_OK)
		return rv;
	if (!found) {
		tf_warn ("certificate: CKA_CERTIFICATE_TYPE is missing");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (type != CKC_X_509) {
		tf_warn ("certificate: only X.509 certificates are kept (type 0x%lx)",
			 (unsigned long)type);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	value = tf_attrs_find (tmpl, count, CKA_VALUE);
	if (value == NULL) {
		tf_warn ("certificate: CKA_VALUE is missing");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_x509_parse (value->pValue, value->ulValueLen, &info)) {
		tf_warn ("certificate: CKA_VALUE is not a well-formed X.509 certificate");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}

	rv = tf_token_begin (tok, owner == 0);
	if (rv != CKR_OK)
		return rv;

	existing = lookup_issuer_serial (tok, owner, info.issuer.data, info.issuer.len,
					 info.serial.data, info.serial.len);
	if (existing != NULL && existing->der.len > 0 &&
	    !tf_bytes_equal (&existing->der, value->pValue, value->ulValueLen)) {
		tf_warn ("certificate: this token already holds another certificate with the same "
			 "issuer and serial number");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto fail;
	}
	if (existing != NULL && existing->der.len == 0 && existing->has_hash) {
		tf_x509_sha1 (value->pValue, value->ulValueLen, sha1);
		if (memcmp (sha1, existing->sha1, 20) != 0) {
			tf_warn ("certificate: a trust record for this issuer and serial names another "
				 "certificate by its hash");
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto fail;
		}
	}

	rec = existing != NULL ? tf_record_dup (existing) : tf_record_new ();
	if (rec == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	rec->owner = owner;
	uid = existing != NULL ? existing->uid : tf_index_next_uid ();
	rec->uid = uid;
	rv = set_certificate (rec, value->pValue, value->ulValueLen, &info);
	if (rv != CKR_OK)
		goto fail;

	rv = check_fixed (tok, rec, TF_VIEW_CERT, cert_rules, N_RULES (cert_rules), tmpl, count,
			  true, "certificate");
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->id, tmpl, count, CKA_ID);
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->email, tmpl, count, TF_CKA_NSS_EMAIL);
	if (rv == CKR_OK)
		rv = apply_category (rec, tmpl, count);
	if (rv == CKR_OK)
		rv = apply_p11kit_trust (rec, tmpl, count);
	if (rv == CKR_OK)
		rv = apply_decision (rec, tmpl, count);
	if (rv != CKR_OK)
		goto fail;

	label = tf_attrs_find (tmpl, count, CKA_LABEL);
	if (label != NULL)
		rv = apply_bytes (&rec->label, tmpl, count, CKA_LABEL);
	else if (rec->label.len == 0)
		rv = default_label (tok, rec);
	if (rv == CKR_OK && rec->id.len == 0) {
		/* NSS's own choice: the SHA-1 of the public key. */
		tf_x509_sha1 (info.public_key.data, info.public_key.len, key_id);
		rv = tf_bytes_set (&rec->id, key_id, sizeof (key_id)) ? CKR_OK : CKR_HOST_MEMORY;
	}
	if (rv != CKR_OK)
		goto fail;
	if (rec->created == 0)
		rec->created = (int64_t)time (NULL);

	rv = tf_token_put (tok, rec, existing != NULL ? existing->uid : 0);
	rec = NULL;
	if (rv != CKR_OK)
		goto fail;
	rv = tf_token_commit (tok);
	if (rv != CKR_OK)
		return rv;
	*handle = TF_HANDLE (uid, TF_VIEW_CERT);
	return CKR_OK;
fail:
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}

static CK_RV
create_nss_trust (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		  CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	const CK_ATTRIBUTE *issuer, *serial;
	unsigned char *serial_der = NULL;
	size_t serial_len;
	tf_record *rec = NULL, *existing;
	uint64_t uid;
	CK_RV rv;

	rv = check_rules (nss_trust_rules, N_RULES (nss_trust_rules), tmpl, count, true,
			  "NSS trust");
	if (rv != CKR_OK)
		return rv;
	issuer = tf_attrs_find (tmpl, count, CKA_ISSUER);
	serial = tf_attrs_find (tmpl, count, CKA_SERIAL_NUMBER);
	if (issuer == NULL || serial == NULL) {
		tf_warn ("NSS trust: CKA_ISSUER and CKA_SERIAL_NUMBER are required");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_x509_name_valid (issuer->pValue, issuer->ulValueLen)) {
		tf_warn ("NSS trust: CKA_ISSUER is not a DER-encoded name");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	serial_der = malloc (serial->ulValueLen + 8);
	if (serial_der == NULL)
		return CKR_HOST_MEMORY;
	serial_len = tf_x509_serial_to_der (serial->pValue, serial->ulValueLen, serial_der);
	if (serial_len == 0) {
		tf_warn ("NSS trust: CKA_SERIAL_NUMBER is empty or malformed");
		free (serial_der);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}

	rv = tf_token_begin (tok, owner == 0);
	if (rv != CKR_OK) {
		free (serial_der);
		return rv;
	}
	/* certutil -M re-creates the trust object: an update of the record. */
	existing = lookup_issuer_serial (tok, owner, issuer->pValue, issuer->ulValueLen, serial_der,
					 serial_len);
	rec = existing != NULL ? tf_record_dup (existing) : tf_record_new ();
	if (rec == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	rec->owner = owner;
	uid = existing != NULL ? existing->uid : tf_index_next_uid ();
	rec->uid = uid;
	if (existing == NULL &&
	    (!tf_bytes_set (&rec->issuer, issuer->pValue, issuer->ulValueLen) ||
	     !tf_bytes_set (&rec->serial, serial_der, serial_len))) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	rv = apply_nss_trust (rec, tmpl, count, true);
	if (rv == CKR_OK)
		rv = apply_decision (rec, tmpl, count);
	if (rv == CKR_OK)
		rv = check_fixed (tok, rec, TF_VIEW_NSS_TRUST, nss_trust_rules,
				  N_RULES (nss_trust_rules), tmpl, count, true, "NSS trust");
	if (rv == CKR_OK && tf_attrs_find (tmpl, count, CKA_LABEL) != NULL)
		rv = apply_bytes (&rec->label, tmpl, count, CKA_LABEL);
	if (rv == CKR_OK)
		rv = check_hash_rule (rec);
	if (rv != CKR_OK)
		goto fail;
	if (rec->created == 0)
		rec->created = (int64_t)time (NULL);

	rv = tf_token_put (tok, rec, existing != NULL ? existing->uid : 0);
	rec = NULL;
	if (rv != CKR_OK)
		goto fail;
	free (serial_der);
	rv = tf_token_commit (tok);
	if (rv != CKR_OK)
		return rv;
	*handle = TF_HANDLE (uid, TF_VIEW_NSS_TRUST);
	return CKR_OK;
fail:
	free (serial_der);
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}

CK_RV
tf_object_create (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		  CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	CK_OBJECT_CLASS klass;
	bool found;
	CK_RV rv;

	rv = tf_attrs_get_ulong (tmpl, count, CKA_CLASS, &klass, &found);
	if (rv != CKR_OK)
		return rv;
	if (!found) {
		tf_warn ("create: CKA_CLASS is missing");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	switch (klass) {
	case CKO_CERTIFICATE:
		return create_cert (tok, owner, tmpl, count, handle);
	case TF_CKO_NSS_TRUST:
		return create_nss_trust (tok, owner, tmpl, count, handle);
	default:
		tf_warn ("create: objects of class 0x%lx are not kept by this token "
			 "(certificates and trust only)",
			 (unsigned long)klass);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
}

/* ---- set and destroy ---------------------------------------------------- */

/* Takes the write lock and re-finds the object, which a refresh may have replaced. */
static CK_RV
begin_on_object (tf_token *tok, CK_OBJECT_HANDLE handle, tf_record **rec, tf_view *view)
{
	CK_RV rv;

	if (!resolve (tok, handle, rec, view))
		return CKR_OBJECT_HANDLE_INVALID;
	if (*rec == NULL)
		return CKR_ACTION_PROHIBITED; /* the profile object */
	rv = tf_token_begin (tok, (*rec)->owner == 0);
	if (rv != CKR_OK)
		return rv;
	if (!resolve (tok, handle, rec, view)) {
		tf_token_abort (tok);
		return CKR_OBJECT_HANDLE_INVALID;
	}
	return CKR_OK;
}

CK_RV
tf_object_set (tf_token *tok, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE *tmpl,
	       CK_ULONG count)
{
	tf_record *rec = NULL, *current;
	tf_view view;
	CK_RV rv;

	rv = begin_on_object (tok, handle, &current, &view);
	if (rv != CKR_OK)
		return rv;
	rec = tf_record_dup (current);
	if (rec == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	if (view == TF_VIEW_CERT) {
		rv = check_rules (cert_rules, N_RULES (cert_rules), tmpl, count, false,
				  "certificate");
		if (rv == CKR_OK)
			rv = check_fixed (tok, rec, view, cert_rules, N_RULES (cert_rules), tmpl,
					  count, false, "certificate");
		if (rv == CKR_OK)
			rv = apply_bytes (&rec->label, tmpl, count, CKA_LABEL);
		if (rv == CKR_OK)
			rv = apply_bytes (&rec->id, tmpl, count, CKA_ID);
		if (rv == CKR_OK)
			rv = apply_bytes (&rec->email, tmpl, count, TF_CKA_NSS_EMAIL);
		if (rv == CKR_OK)
			rv = apply_category (rec, tmpl, count);
		if (rv == CKR_OK)
			rv = apply_p11kit_trust (rec, tmpl, count);
	} else {
		rv = check_rules (nss_trust_rules, N_RULES (nss_trust_rules), tmpl, count, false,
				  "NSS trust");
		if (rv == CKR_OK)
			rv = check_fixed (tok, rec, view, nss_trust_rules,
					  N_RULES (nss_trust_rules), tmpl, count, false,
					  "NSS trust");
		if (rv == CKR_OK)
			rv = apply_bytes (&rec->label, tmpl, count, CKA_LABEL);
		if (rv == CKR_OK)
			rv = apply_nss_trust (rec, tmpl, count, false);
	}
	if (rv == CKR_OK)
		rv = apply_decision (rec, tmpl, count);
	if (rv == CKR_OK)
		rv = check_hash_rule (rec);
	if (rv != CKR_OK)
		goto fail;
	rv = tf_token_put (tok, rec, current->uid);
	rec = NULL;
	if (rv != CKR_OK)
		goto fail;
	return tf_token_commit (tok);
fail:
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}

CK_RV
tf_object_destroy (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec = NULL, *current;
	tf_view view;
	CK_RV rv;

	rv = begin_on_object (tok, handle, &current, &view);
	if (rv != CKR_OK)
		return rv;
	if (view == TF_VIEW_CERT || current->der.len == 0) {
		/* The certificate takes its record, and every view, with it. */
		rv = tf_token_remove (tok, current->uid);
	} else {
		/* A trust view: the decision is reset; the certificate stays. */
		rec = tf_record_dup (current);
		if (rec == NULL) {
			rv = CKR_HOST_MEMORY;
			goto fail;
		}
		rec->has_trust = false;
		memset (rec->trust, TF_LEVEL_UNKNOWN, sizeof (rec->trust));
		rec->step_up = false;
		rec->expires = 0;
		rv = tf_token_put (tok, rec, current->uid);
		rec = NULL;
	}
	if (rv != CKR_OK)
		goto fail;
	return tf_token_commit (tok);
fail:
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}
