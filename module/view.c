/*
 * The views of a trust record and their attributes. See view.h.
 *
 * One record is every object its clients look for: the certificate, NSS's
 * trust object, PKCS#11 3.2's trust object, p11-kit's trust assertions and
 * stapled extension. Nothing here is stored: each value is computed from the
 * record when asked, so the views cannot drift apart.
 */
#include "view.h"

#include "trustfolder.h"
#include "x509.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* DER of the extKeyUsage OID, 2.5.29.37: CKA_OBJECT_ID of the stapled extension. */
static const unsigned char eku_oid_der[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };

static const char *const purpose_oids[TF_PURPOSE_COUNT] = {
	[TF_PURPOSE_SERVER] = "1.3.6.1.5.5.7.3.1",
	[TF_PURPOSE_CLIENT] = "1.3.6.1.5.5.7.3.2",
	[TF_PURPOSE_CODE] = "1.3.6.1.5.5.7.3.3",
	[TF_PURPOSE_EMAIL] = "1.3.6.1.5.5.7.3.4",
};

static const unsigned purpose_bits[TF_PURPOSE_COUNT] = {
	[TF_PURPOSE_SERVER] = TF_X509_PURPOSE_SERVER,
	[TF_PURPOSE_CLIENT] = TF_X509_PURPOSE_CLIENT,
	[TF_PURPOSE_CODE] = TF_X509_PURPOSE_CODE,
	[TF_PURPOSE_EMAIL] = TF_X509_PURPOSE_EMAIL,
};

const CK_ATTRIBUTE_TYPE tf_view_nss_purpose[TF_PURPOSE_COUNT] = {
	[TF_PURPOSE_SERVER] = TF_CKA_NSS_TRUST_SERVER_AUTH,
	[TF_PURPOSE_CLIENT] = TF_CKA_NSS_TRUST_CLIENT_AUTH,
	[TF_PURPOSE_CODE] = TF_CKA_NSS_TRUST_CODE_SIGNING,
	[TF_PURPOSE_EMAIL] = TF_CKA_NSS_TRUST_EMAIL,
};

const CK_ATTRIBUTE_TYPE tf_view_pkcs_purpose[TF_PURPOSE_COUNT] = {
	[TF_PURPOSE_SERVER] = TF_CKA_PKCS_TRUST_SERVER_AUTH,
	[TF_PURPOSE_CLIENT] = TF_CKA_PKCS_TRUST_CLIENT_AUTH,
	[TF_PURPOSE_CODE] = TF_CKA_PKCS_TRUST_CODE_SIGNING,
	[TF_PURPOSE_EMAIL] = TF_CKA_PKCS_TRUST_EMAIL,
};

/* The 3.2 purposes this store keeps no decision for: always "unknown". */
#define TF_CKA_PKCS_TRUST_IPSEC_IKE	 0x630UL
#define TF_CKA_PKCS_TRUST_TIME_STAMPING	 0x631UL
#define TF_CKA_PKCS_TRUST_OCSP_SIGNING	 0x632UL

static void
val_ulong (tf_attr_val *v, CK_ULONG ul)
{
	v->u.ul = ul;
	v->p = &v->u.ul;
	v->len = sizeof (CK_ULONG);
}

static void
val_bool (tf_attr_val *v, bool b)
{
	v->u.b = b ? CK_TRUE : CK_FALSE;
	v->p = &v->u.b;
	v->len = sizeof (CK_BBOOL);
}

static void
val_bytes (tf_attr_val *v, const void *p, size_t len)
{
	v->p = p;
	v->len = (CK_ULONG)len;
}

static void
val_date (tf_attr_val *v, int64_t when)
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

/* ---- levels ----------------------------------------------------------------- */

uint8_t
tf_view_level (const tf_record *rec, int purpose)
{
	unsigned allowed;
	bool critical;
	uint8_t level;

	if (!rec->has_trust)
		return TF_LEVEL_UNKNOWN;
	level = rec->trust[purpose];
	if (level != TF_LEVEL_ANCHOR && level != TF_LEVEL_PEER && level != TF_LEVEL_CA)
		return level;
	/* Positive trust that names no certificate (a damaged row) is no trust at all. */
	if (!tf_record_has_any_hash (rec))
		return TF_LEVEL_UNKNOWN;
	/*
	 * A decision past its date, or about a certificate past its validity,
	 * is no longer trust in any view.
	 */
	if ((rec->expires != 0 || rec->not_after != 0) &&
	    ((rec->expires != 0 && (int64_t)time (NULL) >= rec->expires) ||
	     (rec->not_after != 0 && (int64_t)time (NULL) > rec->not_after)))
		return TF_LEVEL_UNKNOWN;
	/* A stapled extended key usage narrows positive trust to what it names. */
	if (rec->stapled_eku.len > 0 &&
	    (!tf_x509_eku_extension (rec->stapled_eku.data, rec->stapled_eku.len, &allowed,
				     &critical) ||
	     !(allowed & purpose_bits[purpose])))
		return TF_LEVEL_UNKNOWN;
	return level;
}

CK_ULONG
tf_view_level_to_nss (uint8_t level)
{
	switch (level) {
	case TF_LEVEL_ANCHOR:
		return TF_CKT_NSS_TRUSTED_DELEGATOR;
	case TF_LEVEL_PEER:
		return TF_CKT_NSS_TRUSTED;
	case TF_LEVEL_CA:
		return TF_CKT_NSS_VALID_DELEGATOR;
	case TF_LEVEL_MUST_VERIFY:
		return TF_CKT_NSS_MUST_VERIFY_TRUST;
	case TF_LEVEL_DISTRUSTED:
		return TF_CKT_NSS_NOT_TRUSTED;
	default:
		return TF_CKT_NSS_TRUST_UNKNOWN;
	}
}

bool
tf_view_nss_to_level (CK_ULONG nss, uint8_t *level)
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

/* PKCS#11 3.2 has no "valid delegator": a CA that is not an anchor must be verified. */
CK_ULONG
tf_view_level_to_pkcs (uint8_t level)
{
	switch (level) {
	case TF_LEVEL_ANCHOR:
		return TF_CKT_TRUST_ANCHOR;
	case TF_LEVEL_PEER:
		return TF_CKT_TRUSTED;
	case TF_LEVEL_CA:
	case TF_LEVEL_MUST_VERIFY:
		return TF_CKT_TRUST_MUST_VERIFY_TRUST;
	case TF_LEVEL_DISTRUSTED:
		return TF_CKT_NOT_TRUSTED;
	default:
		return TF_CKT_TRUST_UNKNOWN;
	}
}

bool
tf_view_pkcs_to_level (CK_ULONG pkcs, uint8_t *level)
{
	switch (pkcs) {
	case TF_CKT_TRUST_UNKNOWN:
		*level = TF_LEVEL_UNKNOWN;
		return true;
	case TF_CKT_TRUSTED:
		*level = TF_LEVEL_PEER;
		return true;
	case TF_CKT_TRUST_ANCHOR:
		*level = TF_LEVEL_ANCHOR;
		return true;
	case TF_CKT_NOT_TRUSTED:
		*level = TF_LEVEL_DISTRUSTED;
		return true;
	case TF_CKT_TRUST_MUST_VERIFY_TRUST:
		*level = TF_LEVEL_MUST_VERIFY;
		return true;
	default:
		return false;
	}
}

const char *
tf_view_purpose_oid (int purpose)
{
	return purpose_oids[purpose];
}

bool
tf_view_oid_purpose (const void *oid, size_t len, int *purpose)
{
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (strlen (purpose_oids[i]) == len && memcmp (purpose_oids[i], oid, len) == 0) {
			*purpose = i;
			return true;
		}
	}
	return false;
}

bool
tf_view_host (const tf_record *rec, unsigned n, const char **start, size_t *len)
{
	const char *p = rec->hosts, *end;

	if (p == NULL)
		return false;
	for (;;) {
		end = strchr (p, ',');
		if (n == 0) {
			*start = p;
			*len = end != NULL ? (size_t)(end - p) : strlen (p);
			return *len > 0;
		}
		if (end == NULL)
			return false;
		p = end + 1;
		n--;
	}
}

unsigned
tf_view_host_slots (const tf_record *rec)
{
	const char *p;
	unsigned n = 1;

	if (rec->hosts == NULL)
		return 0;
	for (p = rec->hosts; (p = strchr (p, ',')) != NULL; p++)
		n++;
	return n;
}

/* p11-kit's reading: CKA_TRUSTED is an anchor; CKA_X_DISTRUSTED a blocklist entry. */
static bool
record_trusted (const tf_record *rec)
{
	bool any = false;
	uint8_t l;
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		l = tf_view_level (rec, i);
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
	bool any = false;
	uint8_t l;
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		l = tf_view_level (rec, i);
		if (l == TF_LEVEL_ANCHOR || l == TF_LEVEL_PEER || l == TF_LEVEL_CA)
			return false;
		if (l == TF_LEVEL_DISTRUSTED)
			any = true;
	}
	return any;
}

size_t
tf_view_integer_header (const tf_bytes *serial)
{
	if (serial->len < 2)
		return serial->len;
	if (serial->data[1] < 0x80)
		return 2;
	return 2 + (serial->data[1] & 0x7f);
}

bool
tf_view_match_serial (const tf_record *rec, const CK_ATTRIBUTE *attr)
{
	size_t hdr;

	if (tf_bytes_equal (&rec->serial, attr->pValue, attr->ulValueLen))
		return true;
	hdr = tf_view_integer_header (&rec->serial);
	return rec->serial.len - hdr == attr->ulValueLen && attr->ulValueLen > 0 &&
	       memcmp (rec->serial.data + hdr, attr->pValue, attr->ulValueLen) == 0;
}

/* ---- the extended key usage a decision implies ------------------------------ */

/*
 * p11-kit and GnuTLS know an anchor's purposes only from a stapled extended
 * key usage. A decision positive for some purposes but not all (certutil
 * ",C,": e-mail only) is shown as one naming just those: the bits of the
 * purposes it trusts, or 0 when it trusts all of them or none.
 */
static unsigned
derived_purposes (const tf_record *rec)
{
	unsigned bits = 0;
	uint8_t l;
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		l = tf_view_level (rec, i);
		if (l == TF_LEVEL_ANCHOR || l == TF_LEVEL_PEER)
			bits |= purpose_bits[i];
	}
	return bits == TF_X509_PURPOSE_ALL ? 0 : bits;
}

/*
 * The DER Extension { extKeyUsage, OCTET STRING { SEQUENCE OF purpose } } for
 * those bits, into out (64 bytes are enough for all four). Returns its length.
 */
static size_t
derived_extension (unsigned bits, unsigned char *out)
{
	/* id-kp (1.3.6.1.5.5.7.3) .1 server, .2 client, .3 code signing, .4 e-mail */
	static const unsigned char kp[] = { 0x06, 0x08, 0x2b, 0x06, 0x01,
					    0x05, 0x05, 0x07, 0x03 };
	size_t n = 0, inner;
	int i;

	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (bits & purpose_bits[i])
			n++;
	}
	inner = n * (sizeof (kp) + 1);
	out[0] = 0x30;
	out[1] = (unsigned char)(sizeof (eku_oid_der) + 2 + 2 + inner);
	memcpy (out + 2, eku_oid_der, sizeof (eku_oid_der));
	out[7] = 0x04;
	out[8] = (unsigned char)(2 + inner);
	out[9] = 0x30;
	out[10] = (unsigned char)inner;
	n = 11;
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (!(bits & purpose_bits[i]))
			continue;
		memcpy (out + n, kp, sizeof (kp));
		out[n + sizeof (kp)] = (unsigned char)(i + 1);
		n += sizeof (kp) + 1;
	}
	return n;
}

/* ---- which views exist -------------------------------------------------------- */

static bool
positive (uint8_t level)
{
	return level == TF_LEVEL_ANCHOR || level == TF_LEVEL_PEER;
}

bool
tf_view_present (const tf_record *rec, tf_view view)
{
	const char *host, *live;
	size_t len;
	int purpose;

	switch (view) {
	case TF_VIEW_CERT:
		return rec->der.len > 0;
	case TF_VIEW_NSS_TRUST:
	case TF_VIEW_TRUST:
		return rec->has_trust;
	case TF_VIEW_EXTENSION:
		return rec->der.len > 0 && rec->stapled_eku.len > 0;
	case TF_VIEW_DERIVED_EXTENSION:
		return rec->der.len > 0 && rec->stapled_eku.len == 0 && derived_purposes (rec) != 0;
	case TF_VIEW_PROFILE:
	case TF_VIEW_NONE:
		return false;
	default:
		break;
	}
	if (view >= TF_VIEW_ANCHORED && view < TF_VIEW_ANCHORED + TF_PURPOSE_COUNT) {
		/* A trusted peer bound to hosts is pinned to them, not anchored. */
		purpose = view - TF_VIEW_ANCHORED;
		live = tf_record_live_hosts (rec);
		return rec->der.len > 0 &&
		       (tf_view_level (rec, purpose) == TF_LEVEL_ANCHOR ||
			(tf_view_level (rec, purpose) == TF_LEVEL_PEER &&
			 (live == NULL || live[0] == '\0')));
	}
	if (view >= TF_VIEW_DISTRUSTED && view < TF_VIEW_DISTRUSTED + TF_PURPOSE_COUNT)
		return tf_view_level (rec, view - TF_VIEW_DISTRUSTED) == TF_LEVEL_DISTRUSTED;
	if (view >= TF_VIEW_PINNED && view < TF_VIEW_PINNED + 4 * TF_VIEW_MAX_HOSTS) {
		purpose = (view - TF_VIEW_PINNED) % 4;
		return rec->der.len > 0 && positive (tf_view_level (rec, purpose)) &&
		       tf_view_host (rec, (unsigned)(view - TF_VIEW_PINNED) / 4, &host, &len);
	}
	return false;
}

CK_OBJECT_CLASS
tf_view_class (tf_view view)
{
	switch (view) {
	case TF_VIEW_CERT:
		return CKO_CERTIFICATE;
	case TF_VIEW_NSS_TRUST:
		return TF_CKO_NSS_TRUST;
	case TF_VIEW_PROFILE:
		return TF_CKO_PROFILE;
	case TF_VIEW_TRUST:
		return TF_CKO_TRUST;
	case TF_VIEW_EXTENSION:
	case TF_VIEW_DERIVED_EXTENSION:
		return TF_CKO_X_CERTIFICATE_EXTENSION;
	default:
		return view >= TF_VIEW_ANCHORED ? TF_CKO_X_TRUST_ASSERTION
						: (CK_OBJECT_CLASS)-1;
	}
}

bool
tf_view_each (tf_record *rec, CK_OBJECT_CLASS klass, tf_view_fn fn, void *ctx)
{
	static const tf_view simple[] = { TF_VIEW_CERT, TF_VIEW_NSS_TRUST, TF_VIEW_TRUST,
					  TF_VIEW_EXTENSION, TF_VIEW_DERIVED_EXTENSION };
	const char *host;
	size_t i, len;
	unsigned h, slots;
	int p;

	for (i = 0; i < sizeof (simple) / sizeof (simple[0]); i++) {
		if ((klass == (CK_OBJECT_CLASS)-1 || klass == tf_view_class (simple[i])) &&
		    tf_view_present (rec, simple[i]) && !fn (ctx, rec, simple[i]))
			return false;
	}
	if (klass != (CK_OBJECT_CLASS)-1 && klass != TF_CKO_X_TRUST_ASSERTION)
		return true;
	for (p = 0; p < TF_PURPOSE_COUNT; p++) {
		if (tf_view_present (rec, TF_VIEW_ANCHORED + p) &&
		    !fn (ctx, rec, TF_VIEW_ANCHORED + p))
			return false;
		if (tf_view_present (rec, TF_VIEW_DISTRUSTED + p) &&
		    !fn (ctx, rec, TF_VIEW_DISTRUSTED + p))
			return false;
	}
	/* Tombstones have no views; the hosts after them keep their slots. */
	slots = tf_view_host_slots (rec);
	for (h = 0; h < TF_VIEW_MAX_HOSTS && h < slots; h++) {
		if (!tf_view_host (rec, h, &host, &len))
			continue;
		for (p = 0; p < TF_PURPOSE_COUNT; p++) {
			if (tf_view_present (rec, TF_VIEW_PINNED + 4 * h + p) &&
			    !fn (ctx, rec, TF_VIEW_PINNED + 4 * h + p))
				return false;
		}
	}
	return true;
}

/* ---- attributes ------------------------------------------------------------- */

/* The attributes every object has. rec is NULL for the profile object. */
static bool
common_attr (const tf_token *tok, const tf_record *rec, tf_view view, CK_ATTRIBUTE_TYPE type,
	     tf_attr_val *v)
{
	switch (type) {
	case CKA_CLASS:
		val_ulong (v, tf_view_class (view));
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

/* trustfolder's own attributes of a decision, on every view of a record. */
static bool
decision_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
	const char *hosts;

	switch (type) {
	case TF_CKA_DECISION_EXPIRES:
		val_ulong (v, (CK_ULONG)(rec->expires > 0 ? rec->expires : 0));
		return true;
	case TF_CKA_DECISION_CREATED:
		val_ulong (v, (CK_ULONG)(rec->created > 0 ? rec->created : 0));
		return true;
	case TF_CKA_PINNED_HOSTS:
		/* The hosts, not their slots: a client never sees a tombstone. */
		hosts = tf_record_live_hosts (rec);
		val_bytes (v, hosts, hosts ? strlen (hosts) : 0);
		return true;
	case TF_CKA_DECISION_CREATOR:
		val_bytes (v, rec->creator, rec->creator ? strlen (rec->creator) : 0);
		return true;
	default:
		return false;
	}
}

/* Attributes that need the certificate parsed (the record holds good DER). */
static bool
parsed_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
	tf_cert_info info;

	if (!tf_x509_parse (rec->der.data, rec->der.len, &info)) {
		val_bytes (v, NULL, 0);
		return true;
	}
	switch (type) {
	case CKA_CERTIFICATE_CATEGORY:
		val_ulong (v, info.is_ca ? 2 : 3); /* authority : other entity */
		return true;
	case CKA_START_DATE:
		val_date (v, info.not_before);
		return true;
	case CKA_END_DATE:
		val_date (v, info.not_after);
		return true;
	case CKA_PUBLIC_KEY_INFO:
		val_bytes (v, info.spki.data, info.spki.len);
		return true;
	default:
		return false;
	}
}

static bool
cert_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
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
		/* Unavailable rather than the first bytes of a hash of zeros. */
		if (!tf_x509_available ())
			return false;
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
		if (rec->category != 0) {
			val_ulong (v, rec->category);
			return true;
		}
		return parsed_attr (rec, type, v);
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_PUBLIC_KEY_INFO:
		return parsed_attr (rec, type, v);
	default:
		return false;
	}
}

static bool
nss_trust_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
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
		if (type == tf_view_nss_purpose[i]) {
			val_ulong (v, tf_view_level_to_nss (tf_view_level (rec, i)));
			return true;
		}
	}
	return false;
}

/* PKCS#11 3.2 CKO_TRUST: the certificate is named by SHA-256 when known. */
static bool
pkcs_trust_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
	int i;

	switch (type) {
	case CKA_ISSUER:
		val_bytes (v, rec->issuer.data, rec->issuer.len);
		return true;
	case CKA_SERIAL_NUMBER:
		val_bytes (v, rec->serial.data, rec->serial.len);
		return true;
	case TF_CKA_HASH_OF_CERTIFICATE:
		if (rec->has_sha256)
			val_bytes (v, rec->sha256, sizeof (rec->sha256));
		else if (rec->has_hash)
			val_bytes (v, rec->sha1, sizeof (rec->sha1));
		else
			return false;
		return true;
	case TF_CKA_NAME_HASH_ALGORITHM:
		if (!tf_record_has_any_hash (rec))
			return false;
		val_ulong (v, rec->has_sha256 ? CKM_SHA256 : CKM_SHA_1);
		return true;
	case TF_CKA_PKCS_TRUST_IPSEC_IKE:
	case TF_CKA_PKCS_TRUST_TIME_STAMPING:
	case TF_CKA_PKCS_TRUST_OCSP_SIGNING:
		val_ulong (v, TF_CKT_TRUST_UNKNOWN);
		return true;
	default:
		break;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (type == tf_view_pkcs_purpose[i]) {
			val_ulong (v, tf_view_level_to_pkcs (tf_view_level (rec, i)));
			return true;
		}
	}
	return false;
}

static bool
extension_attr (const tf_record *rec, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
	unsigned purposes;
	bool critical;

	switch (type) {
	case CKA_PUBLIC_KEY_INFO:
		return parsed_attr (rec, type, v);
	case CKA_OBJECT_ID:
		val_bytes (v, eku_oid_der, sizeof (eku_oid_der));
		return true;
	case CKA_VALUE:
		if (rec->stapled_eku.len > 0)
			val_bytes (v, rec->stapled_eku.data, rec->stapled_eku.len);
		else
			val_bytes (v, v->u.bytes,
				   derived_extension (derived_purposes (rec), v->u.bytes));
		return true;
	case TF_CKA_X_CRITICAL:
		critical = false;
		if (rec->stapled_eku.len > 0)
			tf_x509_eku_extension (rec->stapled_eku.data, rec->stapled_eku.len,
					       &purposes, &critical);
		val_bool (v, critical);
		return true;
	default:
		return false;
	}
}

/*
 * A stapled value passed tf_x509_eku_extension when it was written (OpenSSL
 * takes some BER there, so only the tags are looked at, not the lengths'
 * form), and a derived one is built as one.
 */
bool
tf_view_may_be_extension (const void *value, size_t len)
{
	const unsigned char *p = value;
	size_t hdr;

	if (p == NULL || len < 4 || p[0] != 0x30)
		return false;
	hdr = p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
	return hdr < len && p[hdr] == 0x06;
}

/* p11-kit's trust assertions: anchored, distrusted, pinned to a peer. */
static bool
assertion_attr (const tf_record *rec, tf_view view, CK_ATTRIBUTE_TYPE type, tf_attr_val *v)
{
	const char *host = NULL, *oid;
	size_t host_len = 0;
	CK_ULONG kind;
	int purpose;

	if (view >= TF_VIEW_PINNED) {
		kind = TF_CKT_X_PINNED_CERTIFICATE;
		purpose = (view - TF_VIEW_PINNED) % 4;
		if (!tf_view_host (rec, (unsigned)(view - TF_VIEW_PINNED) / 4, &host, &host_len))
			return false;
	} else if (view >= TF_VIEW_DISTRUSTED) {
		kind = TF_CKT_X_DISTRUSTED_CERTIFICATE;
		purpose = view - TF_VIEW_DISTRUSTED;
	} else {
		kind = TF_CKT_X_ANCHORED_CERTIFICATE;
		purpose = view - TF_VIEW_ANCHORED;
	}
	switch (type) {
	case TF_CKA_X_ASSERTION_TYPE:
		val_ulong (v, kind);
		return true;
	case TF_CKA_X_PURPOSE:
		oid = tf_view_purpose_oid (purpose);
		val_bytes (v, oid, strlen (oid));
		return true;
	case TF_CKA_X_CERTIFICATE_VALUE:
		if (kind == TF_CKT_X_DISTRUSTED_CERTIFICATE && rec->der.len == 0)
			return false;
		val_bytes (v, rec->der.data, rec->der.len);
		return true;
	case CKA_ISSUER:
		val_bytes (v, rec->issuer.data, rec->issuer.len);
		return kind == TF_CKT_X_DISTRUSTED_CERTIFICATE;
	case CKA_SERIAL_NUMBER:
		val_bytes (v, rec->serial.data, rec->serial.len);
		return kind == TF_CKT_X_DISTRUSTED_CERTIFICATE;
	case TF_CKA_X_PEER:
		val_bytes (v, host, host_len);
		return kind == TF_CKT_X_PINNED_CERTIFICATE;
	default:
		return false;
	}
}

bool
tf_view_attr (const tf_token *tok, const tf_record *rec, tf_view view, CK_ATTRIBUTE_TYPE type,
	      tf_attr_val *v)
{
	memset (v, 0, sizeof (*v));
	if (common_attr (tok, rec, view, type, v))
		return true;
	if (rec == NULL) {
		if (view == TF_VIEW_PROFILE && type == TF_CKA_PROFILE_ID) {
			val_ulong (v, TF_CKP_PUBLIC_CERTIFICATES_TOKEN);
			return true;
		}
		return false;
	}
	if (decision_attr (rec, type, v))
		return true;
	switch (view) {
	case TF_VIEW_CERT:
		return cert_attr (rec, type, v);
	case TF_VIEW_NSS_TRUST:
		return nss_trust_attr (rec, type, v);
	case TF_VIEW_TRUST:
		return pkcs_trust_attr (rec, type, v);
	case TF_VIEW_EXTENSION:
	case TF_VIEW_DERIVED_EXTENSION:
		return extension_attr (rec, type, v);
	default:
		return view >= TF_VIEW_ANCHORED && assertion_attr (rec, view, type, v);
	}
}

bool
tf_view_shows_key (tf_view view, CK_ATTRIBUTE_TYPE type, tf_key key)
{
	/* As common_attr and cert_attr answer them: the record's own bytes. */
	switch (type) {
	case CKA_LABEL:
		return key == TF_KEY_LABEL && view != TF_VIEW_PROFILE;
	case CKA_SUBJECT:
		return key == TF_KEY_SUBJECT && view == TF_VIEW_CERT;
	case CKA_ID:
		return key == TF_KEY_ID && view == TF_VIEW_CERT;
	default:
		return false;
	}
}

bool
tf_view_matches (const tf_token *tok, const tf_record *rec, tf_view view,
		 const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	tf_attr_val v;
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		if (tmpl[i].type == CKA_SERIAL_NUMBER && rec != NULL &&
		    tf_view_attr (tok, rec, view, CKA_SERIAL_NUMBER, &v)) {
			if (!tf_view_match_serial (rec, &tmpl[i]))
				return false;
			continue;
		}
		if (!tf_view_attr (tok, rec, view, tmpl[i].type, &v))
			return false;
		if (v.len != tmpl[i].ulValueLen ||
		    (v.len > 0 && memcmp (v.p, tmpl[i].pValue, v.len) != 0))
			return false;
	}
	return true;
}
