/*
 * Objects: handles, reads and searches over a token's trust records. What
 * each view shows is in view.c; what writes through it do is in write.c.
 */
#include "object.h"

#include "attrs.h"
#include "log.h"
#include "trustfolder.h"
#include "view.h"
#include "write.h"
#include "x509.h"

#include <stdlib.h>
#include <string.h>

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
	return *rec != NULL && tf_view_present (*rec, *view);
}

/* As resolve, and also records another process removed lately (for reads). */
static bool
resolve_readable (tf_token *tok, CK_OBJECT_HANDLE handle, tf_record **rec, tf_view *view)
{
	if (resolve (tok, handle, rec, view))
		return true;
	if (*view == TF_VIEW_PROFILE)
		return false;
	*rec = tf_token_lookup_gone (tok, TF_HANDLE_UID (handle));
	return *rec != NULL && tf_view_present (*rec, *view);
}

bool
tf_object_readable (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec;
	tf_view view;

	return resolve_readable (tok, handle, &rec, &view);
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
	tf_attr_val v;
	CK_ULONG i;

	if (!resolve_readable (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	/*
	 * Every attribute is answered even after one fails: p11-kit asks for
	 * about 120 types at once and needs the known ones filled.
	 */
	for (i = 0; i < count; i++) {
		if (!tf_view_attr (tok, rec, view, tmpl[i].type, &v)) {
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

	if (!resolve_readable (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	if (rec == NULL)
		*size = 64;
	else if (view == TF_VIEW_CERT || view >= TF_VIEW_ANCHORED)
		*size = (CK_ULONG)(rec->der.len + rec->issuer.len + rec->subject.len +
				   rec->serial.len + rec->id.len + rec->label.len + 64);
	else
		*size = (CK_ULONG)(rec->issuer.len + rec->serial.len + rec->stapled_eku.len + 64);
	return CKR_OK;
}

CK_RV
tf_object_create (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		  CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	return tf_write_create (tok, owner, tmpl, count, handle);
}

CK_RV
tf_object_set (tf_token *tok, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE *tmpl,
	       CK_ULONG count)
{
	tf_record *rec;
	tf_view view;

	if (!resolve (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	if (rec == NULL)
		return CKR_ACTION_PROHIBITED; /* the profile object */
	return tf_write_set (tok, handle, tmpl, count);
}

CK_RV
tf_object_destroy (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec;
	tf_view view;

	if (!resolve (tok, handle, &rec, &view))
		return CKR_OBJECT_HANDLE_INVALID;
	if (rec == NULL)
		return CKR_ACTION_PROHIBITED;
	return tf_write_destroy (tok, handle);
}

/* ---- finding -------------------------------------------------------------- */

typedef struct {
	tf_token *tok;
	bool may_load; /* false under a shared lock: the index must not change */
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG count;
	CK_OBJECT_CLASS klass; /* (CK_OBJECT_CLASS)-1: any */
	CK_OBJECT_HANDLE *handles;
	CK_ULONG n, cap;
	bool oom;
	bool saw_token_record; /* find_in_record met a token object's record */
	bool loaded_now;       /* load went to the store */

	/*
	 * The template without the attribute the index matched (keyed_type,
	 * by key), for the views whose value of it is the key itself
	 * (tf_view_shows_key): every record of an index chain has those
	 * bytes, so comparing them again read each record's certificate for
	 * nothing. NULL: compare all.
	 */
	const CK_ATTRIBUTE *rest;
	CK_ULONG nrest;
	CK_ATTRIBUTE_TYPE keyed_type;
	tf_key keyed;
	CK_ATTRIBUTE rest_buf[16];
} finder;

/*
 * A client that finds certificates reads their values next (certutil,
 * NSS's CERT_FindCertBySubject, pkcs11-tool): the certificate's cache lines
 * are asked for now, all at once, instead of one miss after another when
 * the value is copied out. In a store of 100,000 they are seldom cached.
 */
#define PREFETCH_MAX 32

static void
prefetch_value (const tf_record *rec)
{
	const char *p = (const char *)rec->der.data;
	size_t off;

	for (off = 0; off < rec->der.len; off += 64)
		__builtin_prefetch (p + off);
}

static bool
add_view (void *ctx, tf_record *rec, tf_view view)
{
	finder *f = ctx;
	CK_OBJECT_HANDLE *grown;

	if (f->rest != NULL && tf_view_shows_key (view, f->keyed_type, f->keyed)) {
		if (!tf_view_matches (f->tok, rec, view, f->rest, f->nrest))
			return true;
	} else if (!tf_view_matches (f->tok, rec, view, f->tmpl, f->count)) {
		return true;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		grown = realloc (f->handles, f->cap * sizeof (CK_OBJECT_HANDLE));
		if (grown == NULL) {
			f->oom = true;
			return false;
		}
		f->handles = grown;
	}
	f->handles[f->n++] = TF_HANDLE (rec->uid, view);
	/* The first few only: a listing's thousands would push each other out. */
	if (view == TF_VIEW_CERT && f->n <= PREFETCH_MAX)
		prefetch_value (rec);
	return true;
}

static bool
find_in_record (void *ctx, tf_record *rec)
{
	finder *f = ctx;

	if (rec->owner == 0)
		f->saw_token_record = true;
	return tf_view_each (rec, f->klass, add_view, f);
}

/* Does any view of a record have objects of this class? */
static bool
record_class (CK_OBJECT_CLASS klass)
{
	return klass == CKO_CERTIFICATE || klass == TF_CKO_NSS_TRUST || klass == TF_CKO_TRUST ||
	       klass == TF_CKO_X_TRUST_ASSERTION || klass == TF_CKO_X_CERTIFICATE_EXTENSION;
}

/* Records with this key into the index, or TF_CKR_NEED_EXCLUSIVE when that is not allowed. */
static CK_RV
load (finder *f, tf_store_key kind, const void *a, size_t alen, const void *b, size_t blen)
{
	if (tf_token_loaded (f->tok, kind, a, alen, b, blen))
		return CKR_OK;
	f->loaded_now = true;
	if (!f->may_load)
		return TF_CKR_NEED_EXCLUSIVE;
	if (kind == TF_STORE_ALL)
		return tf_token_load_all (f->tok);
	return tf_token_load_key (f->tok, kind, a, alen, b, blen);
}

/*
 * One issuer and serial, searched in the index first: the store holds one
 * record at most for them, so a token record found is that one, current,
 * and a hit (NSS's trust lookup of a certificate it knows) costs one probe.
 * Otherwise the key is loaded, and searched again only if the store was
 * asked.
 */
static CK_RV
search_issuer_serial (tf_token *tok, const void *issuer, size_t issuer_len, const void *serial,
		      size_t serial_len, finder *f)
{
	CK_ULONG before = f->n;
	CK_RV rv;

	f->saw_token_record = false;
	tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer, issuer_len, serial,
			   serial_len, find_in_record, f);
	if (f->saw_token_record)
		return CKR_OK;
	f->loaded_now = false;
	rv = load (f, TF_STORE_BY_ISSUER_SERIAL, issuer, issuer_len, serial, serial_len);
	if (rv != CKR_OK || !f->loaded_now)
		return rv;
	f->n = before;
	tf_index_each_key (tok->index, TF_KEY_ISSUER_SERIAL, issuer, issuer_len, serial,
			   serial_len, find_in_record, f);
	return CKR_OK;
}

/* Issuer and serial: as sent, and (for a raw serial) under its DER encoding too. */
static CK_RV
find_by_issuer_serial (tf_token *tok, const CK_ATTRIBUTE *issuer, const CK_ATTRIBUTE *serial,
		       finder *f)
{
	unsigned char *der;
	size_t len = 0;
	CK_RV rv;

	rv = search_issuer_serial (tok, issuer->pValue, issuer->ulValueLen, serial->pValue,
				   serial->ulValueLen, f);
	if (rv != CKR_OK)
		return rv;
	/* Found as sent (NSS sends DER first): the other form names the same records. */
	if (f->n > 0 || serial->ulValueLen == 0 || serial->ulValueLen > 0x10000)
		return CKR_OK;
	der = malloc (serial->ulValueLen + 8);
	if (der == NULL)
		return CKR_HOST_MEMORY;
	if (((const unsigned char *)serial->pValue)[0] == 0x02) {
		/* Could be DER already, or raw bytes that start like it: wrap them too. */
		der[0] = 0x02;
		if (serial->ulValueLen < 0x80) {
			der[1] = (unsigned char)serial->ulValueLen;
			len = 2;
		} else if (serial->ulValueLen < 0x100) {
			der[1] = 0x81;
			der[2] = (unsigned char)serial->ulValueLen;
			len = 3;
		} else {
			der[1] = 0x82;
			der[2] = (unsigned char)(serial->ulValueLen >> 8);
			der[3] = (unsigned char)serial->ulValueLen;
			len = 4;
		}
		memcpy (der + len, serial->pValue, serial->ulValueLen);
		len += serial->ulValueLen;
	} else {
		len = tf_x509_serial_to_der (serial->pValue, serial->ulValueLen, der);
	}
	if (len > 0 && (len != serial->ulValueLen || memcmp (der, serial->pValue, len) != 0)) {
		rv = search_issuer_serial (tok, issuer->pValue, issuer->ulValueLen, der, len, f);
	}
	free (der);
	return rv;
}

/* Sets f->rest: the template without attr (which the index matches by key), when it fits. */
static void
skip_keyed (finder *f, const CK_ATTRIBUTE *attr, tf_key key)
{
	CK_ULONG i;

	if (f->count > sizeof (f->rest_buf) / sizeof (f->rest_buf[0]))
		return;
	f->nrest = 0;
	for (i = 0; i < f->count; i++) {
		if (&f->tmpl[i] != attr)
			f->rest_buf[f->nrest++] = f->tmpl[i];
	}
	f->rest = f->rest_buf;
	f->keyed_type = attr->type;
	f->keyed = key;
}

/*
 * A key the index holds complete (index.h) is answered from it alone: no
 * look in the token's set of loaded keys, which cost a second hash and two
 * more cache misses per search. false when the key is not marked, or when
 * nothing needs loading anyway (a token in memory, or a store all loaded).
 */
static bool
complete_key (finder *f, tf_key key, const void *a, size_t alen)
{
	if (f->tok->store == NULL || f->tok->loaded_all)
		return false;
	return tf_index_each_complete_key (f->tok->index, key, a, alen, NULL, 0, find_in_record,
					   f);
}

/* One key of the index, loaded from the store first. */
static CK_RV
find_by_key (tf_token *tok, tf_store_key stored, tf_key key, const CK_ATTRIBUTE *attr,
	     finder *f)
{
	unsigned char sha1[20];
	CK_RV rv;

	/* Empty keys are not indexed: a search for an empty value goes through every record. */
	if (attr->ulValueLen == 0) {
		rv = load (f, TF_STORE_ALL, NULL, 0, NULL, 0);
		if (rv == CKR_OK)
			tf_index_each (tok->index, find_in_record, f);
		return rv;
	}
	/*
	 * The store knows these keys by their SHA-1 only, and without
	 * libcrypto a hash is zeros that find nothing: a certificate is then
	 * found by its bytes among all records; a public key cannot be.
	 */
	if (stored == TF_STORE_BY_SPKI && !tf_x509_available ()) {
		tf_warn ("a search by public key needs its SHA-1, and libcrypto is not available");
		return CKR_DEVICE_ERROR;
	}
	if (stored == TF_STORE_BY_SHA1 && !tf_x509_available ())
		stored = TF_STORE_ALL;
	if (stored == TF_STORE_BY_SPKI) {
		/* Both know a public key by its hash. */
		tf_x509_sha1 (attr->pValue, attr->ulValueLen, sha1);
		if (complete_key (f, key, sha1, sizeof (sha1)))
			return CKR_OK;
		rv = load (f, stored, sha1, sizeof (sha1), NULL, 0);
		if (rv == CKR_OK)
			tf_index_each_key (tok->index, key, sha1, sizeof (sha1), NULL, 0,
					   find_in_record, f);
		return rv;
	}
	if (key == TF_KEY_SUBJECT || key == TF_KEY_ID || key == TF_KEY_LABEL) {
		skip_keyed (f, attr, key);
		if (complete_key (f, key, attr->pValue, attr->ulValueLen)) {
			f->rest = NULL;
			return CKR_OK;
		}
	}
	if (stored == TF_STORE_BY_SHA1) {
		/* The store finds certificates by their hash, the index by their bytes. */
		tf_x509_sha1 (attr->pValue, attr->ulValueLen, sha1);
		rv = load (f, stored, sha1, sizeof (sha1), NULL, 0);
	} else if (stored == TF_STORE_ALL) {
		rv = load (f, stored, NULL, 0, NULL, 0);
	} else {
		rv = load (f, stored, attr->pValue, attr->ulValueLen, NULL, 0);
	}
	if (rv == CKR_OK)
		tf_index_each_key (tok->index, key, attr->pValue, attr->ulValueLen, NULL, 0,
				   find_in_record, f);
	f->rest = NULL;
	return rv;
}

CK_RV
tf_object_find (tf_token *tok, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool may_load,
		CK_OBJECT_HANDLE **handles, CK_ULONG *n)
{
	finder f = { .tok = tok,
		     .may_load = may_load,
		     .tmpl = tmpl,
		     .count = count,
		     .klass = (CK_OBJECT_CLASS)-1 };
	const CK_ATTRIBUTE *issuer, *serial, *key;
	CK_OBJECT_CLASS klass;
	bool has_class = false;
	CK_RV rv = CKR_OK;

	*handles = NULL;
	*n = 0;
	if (tf_attrs_get_ulong (tmpl, count, CKA_CLASS, &klass, &has_class) != CKR_OK)
		return CKR_OK; /* a malformed class matches nothing */
	if (has_class)
		f.klass = klass;

	if (tf_view_matches (tok, NULL, TF_VIEW_PROFILE, tmpl, count)) {
		f.handles = malloc (sizeof (CK_OBJECT_HANDLE));
		if (f.handles == NULL)
			return CKR_HOST_MEMORY;
		f.handles[f.n++] = TF_HANDLE (tok->profile_uid, TF_VIEW_PROFILE);
		f.cap = 1;
	}
	/* Classes no record has (CRLs, keys, NSS's builtin root list): nothing more. */
	if (has_class && !record_class (klass))
		goto out;

	/*
	 * The most selective key the template names; every key is exact.
	 * CKA_VALUE is a key for certificates only: a stapled extension's value
	 * may be derived from the decision, and changes with the time when the
	 * decision ends, so no index can hold it. A search that may be for an
	 * extension's value (of its class, or of no class and shaped like one)
	 * goes on to the next key, or through every record.
	 */
	issuer = tf_attrs_find (tmpl, count, CKA_ISSUER);
	serial = tf_attrs_find (tmpl, count, CKA_SERIAL_NUMBER);
	if (issuer != NULL && serial != NULL) {
		rv = find_by_issuer_serial (tok, issuer, serial, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_VALUE)) != NULL &&
		   !(has_class ? klass == TF_CKO_X_CERTIFICATE_EXTENSION
			       : tf_view_may_be_extension (key->pValue, key->ulValueLen))) {
		rv = find_by_key (tok, TF_STORE_BY_SHA1, TF_KEY_VALUE, key, &f);
	} else if ((key = tf_attrs_find (tmpl, count, TF_CKA_X_CERTIFICATE_VALUE)) != NULL) {
		rv = find_by_key (tok, TF_STORE_BY_SHA1, TF_KEY_VALUE, key, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_SUBJECT)) != NULL) {
		rv = find_by_key (tok, TF_STORE_BY_SUBJECT, TF_KEY_SUBJECT, key, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_ID)) != NULL) {
		rv = find_by_key (tok, TF_STORE_BY_ID, TF_KEY_ID, key, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_LABEL)) != NULL) {
		rv = find_by_key (tok, TF_STORE_BY_LABEL, TF_KEY_LABEL, key, &f);
	} else if ((key = tf_attrs_find (tmpl, count, CKA_PUBLIC_KEY_INFO)) != NULL) {
		/* p11-kit and GnuTLS look for stapled extensions by public key, per certificate. */
		rv = find_by_key (tok, TF_STORE_BY_SPKI, TF_KEY_SPKI, key, &f);
	} else {
		/* No key named: every record (an enumeration, not a lookup). */
		rv = load (&f, TF_STORE_ALL, NULL, 0, NULL, 0);
		if (rv == CKR_OK)
			tf_index_each (tok->index, find_in_record, &f);
	}
out:
	if (rv == CKR_OK && f.oom)
		rv = CKR_HOST_MEMORY;
	if (rv != CKR_OK) {
		free (f.handles);
		return rv;
	}
	*handles = f.handles;
	*n = f.n;
	return CKR_OK;
}
