/*
 * Writes through the views. See write.h.
 *
 * Every write is a read-modify-write of one trust record inside a token
 * transaction: take the store's write lock (which refreshes from other
 * processes), find the record by issuer + serial, change a copy, put it,
 * commit. A create whose record exists updates it: certutil -M re-creates the
 * trust object, p11-kit and gcr create assertions for a certificate NSS
 * already trusts, and all of them describe the same decision.
 */
#include "write.h"

#include "attrs.h"
#include "log.h"
#include "trustfolder.h"
#include "view.h"
#include "x509.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- schemas ------------------------------------------------------------- */

enum {
	A_CREATE = 1 << 0, /* may be given at create */
	A_SET = 1 << 1,	   /* may be changed later */
	A_FIXED = 1 << 2,  /* may be given, but only with the value the view has */
};

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	unsigned flags;
} attr_rule;

typedef struct {
	const char *name;
	const attr_rule *rules;
	size_t count;
} schema;

/* Every class: storage attributes, and trustfolder's own decision attributes. */
#define COMMON_RULES                                                                       \
	{ CKA_CLASS, A_CREATE | A_FIXED }, { CKA_TOKEN, A_CREATE | A_FIXED },                \
		{ CKA_PRIVATE, A_CREATE | A_FIXED }, { CKA_MODIFIABLE, A_CREATE | A_FIXED }, \
		{ CKA_COPYABLE, A_CREATE | A_FIXED },                                        \
		{ CKA_DESTROYABLE, A_CREATE | A_FIXED }, { CKA_LABEL, A_CREATE | A_SET },    \
		{ TF_CKA_DECISION_EXPIRES, A_CREATE | A_SET },                               \
		{ TF_CKA_PINNED_HOSTS, A_CREATE | A_SET },                                   \
		{ TF_CKA_DECISION_CREATOR, A_CREATE | A_SET }, { TF_CKA_DECISION_CREATED, 0 }

static const attr_rule cert_rules[] = {
	COMMON_RULES,
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
};

static const attr_rule nss_trust_rules[] = {
	COMMON_RULES,
	{ CKA_ISSUER, A_CREATE | A_FIXED },
	{ CKA_SERIAL_NUMBER, A_CREATE | A_FIXED },
	{ TF_CKA_CERT_SHA1_HASH, A_CREATE | A_SET },
	{ TF_CKA_CERT_MD5_HASH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_SERVER_AUTH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_CLIENT_AUTH, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_CODE_SIGNING, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_EMAIL, A_CREATE | A_SET },
	{ TF_CKA_NSS_TRUST_STEP_UP, A_CREATE | A_SET },
};

static const attr_rule pkcs_trust_rules[] = {
	COMMON_RULES,
	{ CKA_ISSUER, A_CREATE | A_FIXED },
	{ CKA_SERIAL_NUMBER, A_CREATE | A_FIXED },
	{ TF_CKA_HASH_OF_CERTIFICATE, A_CREATE | A_SET },
	{ TF_CKA_NAME_HASH_ALGORITHM, A_CREATE | A_SET },
	{ TF_CKA_PKCS_TRUST_SERVER_AUTH, A_CREATE | A_SET },
	{ TF_CKA_PKCS_TRUST_CLIENT_AUTH, A_CREATE | A_SET },
	{ TF_CKA_PKCS_TRUST_CODE_SIGNING, A_CREATE | A_SET },
	{ TF_CKA_PKCS_TRUST_EMAIL, A_CREATE | A_SET },
	/* IPsec IKE, time stamping, OCSP signing: no decision is kept; unknown only. */
	{ 0x630UL, A_CREATE | A_FIXED },
	{ 0x631UL, A_CREATE | A_FIXED },
	{ 0x632UL, A_CREATE | A_FIXED },
};

static const attr_rule assertion_rules[] = {
	COMMON_RULES,
	{ TF_CKA_X_ASSERTION_TYPE, A_CREATE | A_FIXED },
	{ TF_CKA_X_PURPOSE, A_CREATE | A_FIXED },
	{ TF_CKA_X_CERTIFICATE_VALUE, A_CREATE | A_FIXED },
	{ TF_CKA_X_PEER, A_CREATE | A_FIXED },
	{ CKA_ISSUER, A_CREATE | A_FIXED },
	{ CKA_SERIAL_NUMBER, A_CREATE | A_FIXED },
};

static const attr_rule extension_rules[] = {
	COMMON_RULES,
	{ CKA_PUBLIC_KEY_INFO, A_CREATE | A_FIXED },
	{ CKA_OBJECT_ID, A_CREATE | A_FIXED },
	{ CKA_VALUE, A_CREATE | A_FIXED },
	{ TF_CKA_X_CRITICAL, A_CREATE | A_FIXED },
};

#define SCHEMA(n, r) { n, r, sizeof (r) / sizeof ((r)[0]) }

static const schema cert_schema = SCHEMA ("certificate", cert_rules);
static const schema nss_trust_schema = SCHEMA ("NSS trust", nss_trust_rules);
static const schema pkcs_trust_schema = SCHEMA ("trust", pkcs_trust_rules);
static const schema assertion_schema = SCHEMA ("trust assertion", assertion_rules);
static const schema extension_schema = SCHEMA ("stapled extension", extension_rules);

static const schema *
view_schema (tf_view view)
{
	switch (view) {
	case TF_VIEW_CERT:
		return &cert_schema;
	case TF_VIEW_NSS_TRUST:
		return &nss_trust_schema;
	case TF_VIEW_TRUST:
		return &pkcs_trust_schema;
	case TF_VIEW_EXTENSION:
	case TF_VIEW_DERIVED_EXTENSION:
		return &extension_schema;
	default:
		return view >= TF_VIEW_ANCHORED ? &assertion_schema : NULL;
	}
}

static const attr_rule *
find_rule (const schema *s, CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		if (s->rules[i].type == type)
			return s->rules + i;
	}
	return NULL;
}

/*
 * Checks every attribute of a template against a class's schema, at create
 * or at set: one the class does not have is CKR_ATTRIBUTE_TYPE_INVALID; one it
 * has that cannot be written is CKR_ATTRIBUTE_READ_ONLY.
 */
static CK_RV
check_rules (const schema *s, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating)
{
	const attr_rule *rule;
	char name[32];
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		rule = find_rule (s, tmpl[i].type);
		if (rule == NULL) {
			tf_warn ("%s: attribute %s is not one of this class", s->name,
				 tf_attr_name (tmpl[i].type, name, sizeof (name)));
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (!(rule->flags & (creating ? A_CREATE : (A_SET | A_FIXED)))) {
			tf_warn ("%s: attribute %s cannot be written", s->name,
				 tf_attr_name (tmpl[i].type, name, sizeof (name)));
			return CKR_ATTRIBUTE_READ_ONLY;
		}
	}
	return CKR_OK;
}

/*
 * Every A_FIXED attribute given must equal what the view computes from the
 * new record: a subject that contradicts the DER, CKA_PRIVATE=TRUE, ...
 */
static CK_RV
check_fixed (const tf_token *tok, const tf_record *rec, tf_view view, const schema *s,
	     const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating)
{
	const attr_rule *rule;
	tf_attr_val v;
	char name[32];
	CK_ULONG i;

	for (i = 0; i < count; i++) {
		rule = find_rule (s, tmpl[i].type);
		if (rule == NULL || !(rule->flags & A_FIXED))
			continue;
		if (tmpl[i].type == CKA_SERIAL_NUMBER && tf_view_match_serial (rec, &tmpl[i]))
			continue;
		if (tf_view_attr (tok, rec, view, tmpl[i].type, &v) &&
		    v.len == tmpl[i].ulValueLen &&
		    (v.len == 0 || memcmp (v.p, tmpl[i].pValue, v.len) == 0))
			continue;
		tf_warn ("%s: attribute %s contradicts the object", s->name,
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

/* ---- record edits ---------------------------------------------------------- */

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

/* After a decision shrank: no level left and no step-up is no decision. */
static void
settle_trust (tf_record *rec)
{
	if (!any_level (rec) && !rec->step_up)
		rec->has_trust = false;
}

static CK_RV
apply_bytes (tf_bytes *field, const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type)
{
	const CK_ATTRIBUTE *attr = tf_attrs_find (tmpl, count, type);

	if (attr == NULL)
		return CKR_OK;
	return tf_bytes_set (field, attr->pValue, attr->ulValueLen) ? CKR_OK : CKR_HOST_MEMORY;
}

/* CKA_X_DISTRUSTED, then CKA_TRUSTED, as p11-kit's "trust anchor" and p11tool write them. */
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
	for (i = 0; has_distrusted && i < TF_PURPOSE_COUNT; i++) {
		if (distrusted)
			rec->trust[i] = TF_LEVEL_DISTRUSTED;
		else if (rec->trust[i] == TF_LEVEL_DISTRUSTED)
			rec->trust[i] = TF_LEVEL_UNKNOWN;
	}
	for (i = 0; has_trusted && i < TF_PURPOSE_COUNT; i++) {
		if (trusted)
			rec->trust[i] = TF_LEVEL_ANCHOR;
		else if (rec->trust[i] == TF_LEVEL_ANCHOR || rec->trust[i] == TF_LEVEL_PEER)
			rec->trust[i] = TF_LEVEL_UNKNOWN;
	}
	if ((has_trusted && trusted) || (has_distrusted && distrusted))
		rec->has_trust = true;
	settle_trust (rec);
	return CKR_OK;
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

/* A UTF-8 string attribute with no NUL, as a C string; NULL when empty. */
static CK_RV
string_attr (const CK_ATTRIBUTE *attr, const char *what, char **out)
{
	*out = NULL;
	if (attr->ulValueLen > 0 && memchr (attr->pValue, '\0', attr->ulValueLen) != NULL) {
		tf_warn ("%s must not contain a NUL byte", what);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (attr->ulValueLen == 0)
		return CKR_OK;
	*out = strndup (attr->pValue, attr->ulValueLen);
	return *out != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

/* Pinned host names: DNS names or addresses, comma-separated, stored lower-case. */
static CK_RV
normalize_hosts (char *hosts)
{
	size_t n = strlen (hosts);
	char *p;

	for (p = hosts; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			   *p == '.' || *p == ':' || *p == '*' || *p == ',' || *p == '[' ||
			   *p == ']')) {
			tf_warn ("pinned host names hold letters, digits and - . : * [ ], "
				 "separated by commas; not '%c'",
				 *p);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
	}
	if (hosts[0] == ',' || hosts[n - 1] == ',' || strstr (hosts, ",,") != NULL) {
		tf_warn ("pinned host names: an empty name in \"%s\"", hosts);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* ---- pinned hosts, by slot --------------------------------------------------- */

/*
 * A pinned assertion's handle names its host's slot (record.h), so hosts
 * never move: one taken away leaves a tombstone. A new host takes a new slot
 * at the end, so that the handle of a removed host's assertion stays invalid
 * rather than come to name another host (a host pinned again gets a new
 * slot too). Only once the slots a handle can name (TF_VIEW_MAX_HOSTS) are
 * used up does a new host take the first tombstone among them: refusing
 * every later pin of the certificate would be worse than an old, destroyed
 * handle naming a pin again.
 */

/*
 * Walks a comma-separated list: the name at *p (len 0 for an empty one, a
 * tombstone), and moves *p past it. false once the list is done; start with
 * *p at the list (NULL: no names). Every walk here is one pass: a client may
 * name many hosts.
 */
static bool
next_name (const char **p, const char **name, size_t *len)
{
	const char *end;

	if (*p == NULL)
		return false;
	end = strchr (*p, ',');
	*name = *p;
	*len = end != NULL ? (size_t)(end - *p) : strlen (*p);
	*p = end != NULL ? end + 1 : NULL;
	return true;
}

/* true when a comma-separated list holds this name (len bytes, not 0). */
static bool
list_has (const char *list, const char *name, size_t len)
{
	const char *p = list, *one;
	size_t l;

	while (next_name (&p, &one, &l)) {
		if (l == len && memcmp (one, name, len) == 0)
			return true;
	}
	return false;
}

/* The slot holding this host (len bytes, not 0), or -1. */
static long
find_host (const tf_record *rec, const char *host, size_t len)
{
	const char *p = rec->hosts, *name;
	size_t l;
	long n;

	for (n = 0; next_name (&p, &name, &l); n++) {
		if (l == len && memcmp (name, host, len) == 0)
			return n;
	}
	return -1;
}

/*
 * rec->hosts with slot n holding the len bytes at name (len 0: a tombstone),
 * or with them appended as a new slot when n is the number of slots. NULL
 * when out of memory.
 */
static char *
hosts_with (const tf_record *rec, unsigned n, const char *name, size_t len)
{
	const char *start;
	size_t total, before, old;
	char *out;

	if (rec->hosts == NULL)
		return strndup (name, len);
	total = strlen (rec->hosts);
	if (n == tf_view_host_slots (rec)) {
		out = malloc (total + len + 2);
		if (out == NULL)
			return NULL;
		memcpy (out, rec->hosts, total);
		out[total] = ',';
		memcpy (out + total + 1, name, len);
		out[total + 1 + len] = '\0';
		return out;
	}
	tf_view_host (rec, n, &start, &old);
	before = (size_t)(start - rec->hosts);
	out = malloc (total - old + len + 1);
	if (out == NULL)
		return NULL;
	memcpy (out, rec->hosts, before);
	memcpy (out + before, name, len);
	memcpy (out + before + len, start + old, total - before - old + 1);
	return out;
}

/* Puts slots into rec: false when out of memory (slots may be NULL, from hosts_with). */
static bool
take_hosts (tf_record *rec, char *slots)
{
	return slots != NULL && tf_record_set_hosts (rec, slots);
}

/*
 * Pins a host not pinned yet, as the comment above says, and gives its slot;
 * CKR_DEVICE_MEMORY when no slot a handle can name is left.
 */
static CK_RV
place_host (tf_record *rec, const char *host, size_t len, unsigned *slot)
{
	unsigned n, slots = tf_view_host_slots (rec);
	const char *start;
	size_t l;

	n = slots;
	if (slots >= TF_VIEW_MAX_HOSTS) {
		for (n = 0; n < TF_VIEW_MAX_HOSTS && tf_view_host (rec, n, &start, &l); n++)
			;
	}
	if (n >= TF_VIEW_MAX_HOSTS) {
		tf_warn ("trust assertion: a decision is pinned to at most %d peers",
			 TF_VIEW_MAX_HOSTS);
		return CKR_DEVICE_MEMORY;
	}
	if (!take_hosts (rec, hosts_with (rec, n, host, len)))
		return CKR_HOST_MEMORY;
	*slot = n;
	return CKR_OK;
}

typedef struct {
	const char *name;
	size_t len; /* 0: a tombstone */
} host_slot;

static long
slot_of (const host_slot *slot, unsigned n, const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (slot[i].len == len && memcmp (slot[i].name, name, len) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * TF_CKA_PINNED_HOSTS names the whole list (wanted, normalized: no empty
 * name; NULL for none). Of the slots a handle can name, those it keeps keep
 * their hosts and the others become tombstones; new hosts take slots as a
 * pin would, and past TF_VIEW_MAX_HOSTS (hosts with no assertion, which no
 * handle names) the list is simply what was asked.
 */
static CK_RV
replace_hosts (tf_record *rec, const char *wanted)
{
	host_slot slot[TF_VIEW_MAX_HOSTS];
	const char *p = rec->hosts, *name;
	size_t len, size;
	unsigned n = 0, i;
	char *out, *o;

	while (n < TF_VIEW_MAX_HOSTS && next_name (&p, &name, &len)) {
		if (len > 0 && (wanted == NULL || !list_has (wanted, name, len)))
			len = 0;
		slot[n].name = name;
		slot[n++].len = len;
	}
	p = wanted;
	while (next_name (&p, &name, &len)) {
		if (slot_of (slot, n, name, len) >= 0)
			continue;
		if (n < TF_VIEW_MAX_HOSTS) {
			i = n++;
		} else {
			for (i = 0; i < n && slot[i].len > 0; i++)
				;
			if (i == n)
				break;
		}
		slot[i].name = name;
		slot[i].len = len;
	}

	size = (rec->hosts ? strlen (rec->hosts) : 0) + 2 * (wanted ? strlen (wanted) : 0) + n + 2;
	out = o = malloc (size);
	if (out == NULL)
		return CKR_HOST_MEMORY;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ',';
		memcpy (o, slot[i].name, slot[i].len);
		o += slot[i].len;
	}
	/* What found no slot goes after them. */
	p = wanted;
	while (next_name (&p, &name, &len)) {
		if (slot_of (slot, n, name, len) >= 0)
			continue;
		*o++ = ',';
		memcpy (o, name, len);
		o += len;
	}
	*o = '\0';
	if (n == 0) {
		free (out);
		out = NULL;
	}
	return tf_record_set_hosts (rec, out) ? CKR_OK : CKR_HOST_MEMORY;
}

/* Every host leaves a tombstone: the decision is pinned nowhere, and no handle moves. */
static bool
tombstone_hosts (tf_record *rec)
{
	unsigned slots = tf_view_host_slots (rec);
	char *empty;

	if (slots == 0)
		return true;
	empty = malloc (slots);
	if (empty == NULL)
		return false;
	memset (empty, ',', slots - 1);
	empty[slots - 1] = '\0';
	return tf_record_set_hosts (rec, empty);
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
		rv = string_attr (attr, "pinned host names", &s);
		if (rv == CKR_OK && s != NULL)
			rv = normalize_hosts (s);
		if (rv == CKR_OK)
			rv = replace_hosts (rec, s);
		free (s);
		if (rv != CKR_OK)
			return rv;
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

/*
 * A hash a trust write names its certificate by. When the record holds the
 * certificate, the hash must be its hash; otherwise it is kept, and replaces
 * hashes of another certificate.
 */
static CK_RV
apply_hash (tf_record *rec, const char *what, const void *hash, size_t len)
{
	unsigned char computed[32];
	unsigned char *slot;
	bool *known;

	switch (len) {
	case 20:
		slot = rec->sha1;
		known = &rec->has_hash;
		break;
	case 32:
		slot = rec->sha256;
		known = &rec->has_sha256;
		break;
	case 16:
		slot = rec->md5;
		known = &rec->has_md5;
		break;
	default:
		tf_warn ("%s: a hash of %zu bytes is neither MD5, SHA-1 nor SHA-256", what, len);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rec->der.len > 0) {
		/* A record that holds its certificate knows its hashes (record.h). */
		if (*known)
			memcpy (computed, slot, len);
		else if (len == 20)
			tf_x509_sha1 (rec->der.data, rec->der.len, computed);
		else if (len == 32)
			tf_x509_sha256 (rec->der.data, rec->der.len, computed);
		else
			tf_x509_md5 (rec->der.data, rec->der.len, computed);
		if (memcmp (computed, hash, len) != 0) {
			tf_warn ("%s: the hash is not the hash of the certificate held for this "
				 "issuer and serial",
				 what);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		return CKR_OK;
	}
	if (*known && memcmp (slot, hash, len) != 0) {
		/* Now about another certificate: the other hashes no longer name it. */
		rec->has_hash = rec->has_md5 = rec->has_sha256 = false;
	}
	memcpy (slot, hash, len);
	*known = true;
	return CKR_OK;
}

/* The NSS trust attributes: purposes, step-up, and hashes. */
static CK_RV
apply_nss_trust (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating)
{
	const CK_ATTRIBUTE *sha1, *md5;
	CK_ULONG value;
	CK_BBOOL step_up;
	uint8_t level;
	bool found;
	CK_RV rv;
	int i;

	sha1 = tf_attrs_find (tmpl, count, TF_CKA_CERT_SHA1_HASH);
	md5 = tf_attrs_find (tmpl, count, TF_CKA_CERT_MD5_HASH);
	if ((sha1 != NULL && sha1->ulValueLen != 20) || (md5 != NULL && md5->ulValueLen != 16)) {
		tf_warn ("NSS trust: CKA_CERT_SHA1_HASH must be 20 bytes and CKA_CERT_MD5_HASH 16");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (md5 != NULL && sha1 == NULL && rec->der.len == 0) {
		tf_warn ("NSS trust: CKA_CERT_MD5_HASH without CKA_CERT_SHA1_HASH does not name "
			 "a certificate well enough");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	rv = CKR_OK;
	if (sha1 != NULL)
		rv = apply_hash (rec, "NSS trust: CKA_CERT_SHA1_HASH", sha1->pValue, 20);
	if (rv == CKR_OK && md5 != NULL)
		rv = apply_hash (rec, "NSS trust: CKA_CERT_MD5_HASH", md5->pValue, 16);
	if (rv != CKR_OK)
		return rv;

	/* A create replaces the whole decision: purposes not named become unknown. */
	if (creating) {
		memset (rec->trust, TF_LEVEL_UNKNOWN, sizeof (rec->trust));
		rec->step_up = false;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		rv = tf_attrs_get_ulong (tmpl, count, tf_view_nss_purpose[i], &value, &found);
		if (rv != CKR_OK)
			return rv;
		if (!found)
			continue;
		if (!tf_view_nss_to_level (value, &level)) {
			tf_warn ("NSS trust: 0x%lx is not an NSS trust value", (unsigned long)value);
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

/* The PKCS#11 3.2 trust attributes: purposes, and the hash with its algorithm. */
static CK_RV
apply_pkcs_trust (tf_record *rec, const CK_ATTRIBUTE *tmpl, CK_ULONG count, bool creating)
{
	const CK_ATTRIBUTE *hash;
	CK_MECHANISM_TYPE alg;
	CK_ULONG value;
	uint8_t level;
	bool found;
	CK_RV rv;
	int i;

	hash = tf_attrs_find (tmpl, count, TF_CKA_HASH_OF_CERTIFICATE);
	rv = tf_attrs_get_ulong (tmpl, count, TF_CKA_NAME_HASH_ALGORITHM, &alg, &found);
	if (rv != CKR_OK)
		return rv;
	if (hash != NULL) {
		/* The algorithm defaults to SHA-1; a 32-byte hash can only be SHA-256. */
		if (!found)
			alg = hash->ulValueLen == 32 ? CKM_SHA256 : CKM_SHA_1;
		if ((alg == CKM_SHA_1 && hash->ulValueLen != 20) ||
		    (alg == CKM_SHA256 && hash->ulValueLen != 32) ||
		    (alg != CKM_SHA_1 && alg != CKM_SHA256)) {
			tf_warn ("trust: CKA_HASH_OF_CERTIFICATE must be a SHA-1 or SHA-256 hash "
				 "matching CKA_NAME_HASH_ALGORITHM");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		rv = apply_hash (rec, "trust: CKA_HASH_OF_CERTIFICATE", hash->pValue,
				 hash->ulValueLen);
		if (rv != CKR_OK)
			return rv;
	}
	if (creating) {
		memset (rec->trust, TF_LEVEL_UNKNOWN, sizeof (rec->trust));
		rec->step_up = false;
	}
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		rv = tf_attrs_get_ulong (tmpl, count, tf_view_pkcs_purpose[i], &value, &found);
		if (rv != CKR_OK)
			return rv;
		if (!found)
			continue;
		if (!tf_view_pkcs_to_level (value, &level)) {
			tf_warn ("trust: %lu is not a CKT_ trust value", (unsigned long)value);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		/* 3.2 has no "valid CA": keep NSS's finer value when it says the same. */
		if (!(level == TF_LEVEL_MUST_VERIFY && rec->trust[i] == TF_LEVEL_CA))
			rec->trust[i] = level;
	}
	rec->has_trust = true;
	return CKR_OK;
}

/*
 * The hash rule (CONTRACT.md): positive trust must name its certificate by
 * hash, or NSS drops all trust for it.
 */
static CK_RV
check_hash_rule (const tf_record *rec)
{
	if (tf_record_is_positive (rec) && !tf_record_has_any_hash (rec)) {
		tf_warn ("positive trust for a certificate this token does not hold needs its "
			 "hash (CKA_CERT_SHA1_HASH or CKA_HASH_OF_CERTIFICATE)");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	return CKR_OK;
}

/* ---- the record a write goes to ------------------------------------------- */

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

	CK_RV rv;

	rv = tf_token_load_key (tok, TF_STORE_BY_SUBJECT, rec->subject.data, rec->subject.len,
				NULL, 0);
	if (rv != CKR_OK)
		return rv;
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

/*
 * Puts a certificate into a record. A record that holds another certificate
 * with this issuer and serial, or that names another one by hash, refuses it.
 */
static CK_RV
attach_certificate (tf_record *rec, const unsigned char *der, size_t len, const tf_cert_info *info)
{
	unsigned char sha1[20], sha256[32], key_id[20];

	if (rec->der.len > 0) {
		if (!tf_bytes_equal (&rec->der, der, len)) {
			tf_warn ("certificate: this token already holds another certificate with "
				 "the same issuer and serial number");
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		return CKR_OK;
	}
	tf_x509_sha1 (der, len, sha1);
	tf_x509_sha256 (der, len, sha256);
	if ((rec->has_hash && memcmp (sha1, rec->sha1, 20) != 0) ||
	    (rec->has_sha256 && memcmp (sha256, rec->sha256, 32) != 0)) {
		tf_warn ("certificate: a trust record for this issuer and serial names another "
			 "certificate by its hash");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (!tf_bytes_set (&rec->der, der, len) ||
	    !tf_bytes_set (&rec->issuer, info->issuer.data, info->issuer.len) ||
	    !tf_bytes_set (&rec->subject, info->subject.data, info->subject.len) ||
	    !tf_bytes_set (&rec->serial, info->serial.data, info->serial.len))
		return CKR_HOST_MEMORY;
	tf_x509_sha1 (info->spki.data, info->spki.len, key_id);
	if (!tf_bytes_set (&rec->spki_sha1, key_id, sizeof (key_id)))
		return CKR_HOST_MEMORY;
	rec->not_after = info->not_after;
	memcpy (rec->sha1, sha1, 20);
	memcpy (rec->sha256, sha256, 32);
	tf_x509_md5 (der, len, rec->md5);
	rec->has_hash = rec->has_md5 = rec->has_sha256 = true;
	/* The label is edit_cert's to default, after the template's has been applied. */
	if (rec->id.len == 0) {
		/* NSS's own choice for a certificate's id: the SHA-1 of its public key. */
		tf_x509_sha1 (info->public_key.data, info->public_key.len, key_id);
		if (!tf_bytes_set (&rec->id, key_id, sizeof (key_id)))
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

/* One write to one record: what to change, and which view the handle names. */
typedef struct write_op write_op;
struct write_op {
	CK_RV (*edit) (tf_token *tok, tf_record *rec, write_op *op);
	const CK_ATTRIBUTE *tmpl;
	CK_ULONG count;
	const tf_cert_info *cert; /* the certificate of the write, if any */
	const unsigned char *der;
	size_t der_len;
	tf_view view; /* set by edit: the view the handle names */
};

/*
 * The read-modify-write: lock, find the record for issuer + serial (or start
 * one), let the op change a copy, check the hash rule, store, commit.
 */
static CK_RV
upsert (tf_token *tok, CK_SESSION_HANDLE owner, const void *issuer, size_t issuer_len,
	const void *serial, size_t serial_len, write_op *op, CK_OBJECT_HANDLE *handle)
{
	tf_record *rec = NULL, *existing;
	uint64_t uid;
	CK_RV rv;

	rv = tf_token_begin (tok, owner == 0);
	if (rv != CKR_OK)
		return rv;
	rv = tf_token_load_key (tok, TF_STORE_BY_ISSUER_SERIAL, issuer, issuer_len, serial,
				serial_len);
	if (rv != CKR_OK)
		goto fail;
	existing = lookup_issuer_serial (tok, owner, issuer, issuer_len, serial, serial_len);
	rec = existing != NULL ? tf_record_dup (existing) : tf_record_new ();
	if (rec == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	if (existing == NULL &&
	    (!tf_bytes_set (&rec->issuer, issuer, issuer_len) ||
	     !tf_bytes_set (&rec->serial, serial, serial_len))) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	rec->owner = owner;
	uid = existing != NULL ? existing->uid : tf_index_next_uid ();
	rec->uid = uid;
	if (op->der != NULL)
		rv = attach_certificate (rec, op->der, op->der_len, op->cert);
	if (rv == CKR_OK)
		rv = op->edit (tok, rec, op);
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
	rv = tf_token_commit (tok);
	if (rv == CKR_OK)
		*handle = TF_HANDLE (uid, op->view);
	return rv;
fail:
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}

/* ---- create, per class ------------------------------------------------------ */

static CK_RV
edit_cert (tf_token *tok, tf_record *rec, write_op *op)
{
	CK_RV rv;

	op->view = TF_VIEW_CERT;
	rv = check_fixed (tok, rec, TF_VIEW_CERT, &cert_schema, op->tmpl, op->count, true);
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->label, op->tmpl, op->count, CKA_LABEL);
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->id, op->tmpl, op->count, CKA_ID);
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->email, op->tmpl, op->count, TF_CKA_NSS_EMAIL);
	if (rv == CKR_OK)
		rv = apply_category (rec, op->tmpl, op->count);
	if (rv == CKR_OK)
		rv = apply_p11kit_trust (rec, op->tmpl, op->count);
	if (rv == CKR_OK)
		rv = apply_decision (rec, op->tmpl, op->count);
	/* An explicit empty label still gets a name NSS can show. */
	if (rv == CKR_OK && rec->label.len == 0)
		rv = default_label (tok, rec);
	return rv;
}

/* A certificate's DER from a template attribute, parsed; logged when bad. */
static CK_RV
parse_value (const CK_ATTRIBUTE *value, const char *what, tf_cert_info *info)
{
	if (value == NULL) {
		tf_warn ("%s is missing", what);
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_x509_parse (value->pValue, value->ulValueLen, info)) {
		/* Not the certificate's fault: x509.c has said what is missing. */
		if (!tf_x509_available ())
			return CKR_DEVICE_ERROR;
		tf_warn ("%s is not a well-formed X.509 certificate", what);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

static CK_RV
create_cert (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
	     CK_OBJECT_HANDLE *handle)
{
	write_op op = { .edit = edit_cert, .tmpl = tmpl, .count = count };
	const CK_ATTRIBUTE *value;
	tf_cert_info info;
	CK_ULONG type;
	bool found;
	CK_RV rv;

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
	rv = parse_value (value, "certificate: CKA_VALUE", &info);
	if (rv != CKR_OK)
		return rv;
	op.cert = &info;
	op.der = value->pValue;
	op.der_len = value->ulValueLen;
	return upsert (tok, owner, info.issuer.data, info.issuer.len, info.serial.data,
		       info.serial.len, &op, handle);
}

static CK_RV
edit_nss_trust (tf_token *tok, tf_record *rec, write_op *op)
{
	CK_RV rv;

	op->view = TF_VIEW_NSS_TRUST;
	rv = apply_nss_trust (rec, op->tmpl, op->count, true);
	if (rv == CKR_OK)
		rv = apply_decision (rec, op->tmpl, op->count);
	if (rv == CKR_OK && tf_attrs_find (op->tmpl, op->count, CKA_LABEL) != NULL &&
	    rec->der.len == 0)
		rv = apply_bytes (&rec->label, op->tmpl, op->count, CKA_LABEL);
	if (rv == CKR_OK)
		rv = check_fixed (tok, rec, TF_VIEW_NSS_TRUST, &nss_trust_schema, op->tmpl,
				  op->count, true);
	return rv;
}

static CK_RV
edit_pkcs_trust (tf_token *tok, tf_record *rec, write_op *op)
{
	CK_RV rv;

	op->view = TF_VIEW_TRUST;
	rv = apply_pkcs_trust (rec, op->tmpl, op->count, true);
	if (rv == CKR_OK)
		rv = apply_decision (rec, op->tmpl, op->count);
	if (rv == CKR_OK && tf_attrs_find (op->tmpl, op->count, CKA_LABEL) != NULL &&
	    rec->der.len == 0)
		rv = apply_bytes (&rec->label, op->tmpl, op->count, CKA_LABEL);
	if (rv == CKR_OK)
		rv = check_fixed (tok, rec, TF_VIEW_TRUST, &pkcs_trust_schema, op->tmpl, op->count,
				  true);
	return rv;
}

/* A trust object (NSS's or 3.2's), which names its certificate by issuer and serial. */
static CK_RV
create_trust (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl, CK_ULONG count,
	      write_op *op, CK_OBJECT_HANDLE *handle)
{
	const CK_ATTRIBUTE *issuer, *serial;
	unsigned char *serial_der;
	size_t serial_len;
	CK_RV rv;

	issuer = tf_attrs_find (tmpl, count, CKA_ISSUER);
	serial = tf_attrs_find (tmpl, count, CKA_SERIAL_NUMBER);
	if (issuer == NULL || serial == NULL) {
		tf_warn ("trust: CKA_ISSUER and CKA_SERIAL_NUMBER are required");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_x509_name_valid (issuer->pValue, issuer->ulValueLen)) {
		tf_warn ("trust: CKA_ISSUER is not a DER-encoded name");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	serial_der = malloc (serial->ulValueLen + 8);
	if (serial_der == NULL)
		return CKR_HOST_MEMORY;
	serial_len = tf_x509_serial_to_der (serial->pValue, serial->ulValueLen, serial_der);
	if (serial_len == 0) {
		tf_warn ("trust: CKA_SERIAL_NUMBER is empty or malformed");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	} else {
		rv = upsert (tok, owner, issuer->pValue, issuer->ulValueLen, serial_der, serial_len,
			     op, handle);
	}
	free (serial_der);
	return rv;
}

typedef struct {
	write_op op;
	CK_ULONG kind;
	int purpose;
	const CK_ATTRIBUTE *peer;
} assertion_op;

/* gcr's pin: the peer's slot, placed when it is new. */
static CK_RV
add_host (tf_record *rec, const CK_ATTRIBUTE *peer, unsigned *index)
{
	char *host = NULL;
	long slot;
	CK_RV rv;

	rv = string_attr (peer, "CKA_X_PEER", &host);
	if (rv == CKR_OK && host == NULL) {
		tf_warn ("trust assertion: CKA_X_PEER is empty");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rv == CKR_OK && strchr (host, ',') != NULL) {
		tf_warn ("trust assertion: CKA_X_PEER names one peer, without commas");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rv == CKR_OK)
		rv = normalize_hosts (host);
	if (rv != CKR_OK) {
		free (host);
		return rv;
	}
	slot = find_host (rec, host, strlen (host));
	if (slot >= TF_VIEW_MAX_HOSTS) {
		/* Named past the slots with views (by TF_CKA_PINNED_HOSTS): no handle for it. */
		tf_warn ("trust assertion: a decision is pinned to at most %d peers",
			 TF_VIEW_MAX_HOSTS);
		rv = CKR_DEVICE_MEMORY;
	} else if (slot >= 0) {
		*index = (unsigned)slot;
	} else {
		rv = place_host (rec, host, strlen (host), index);
	}
	free (host);
	return rv;
}

static CK_RV
edit_assertion (tf_token *tok, tf_record *rec, write_op *op)
{
	assertion_op *a = (assertion_op *)op;
	unsigned host = 0;
	CK_RV rv = CKR_OK;

	rec->has_trust = true;
	switch (a->kind) {
	case TF_CKT_X_ANCHORED_CERTIFICATE:
		rec->trust[a->purpose] = TF_LEVEL_ANCHOR;
		op->view = TF_VIEW_ANCHORED + a->purpose;
		break;
	case TF_CKT_X_DISTRUSTED_CERTIFICATE:
		rec->trust[a->purpose] = TF_LEVEL_DISTRUSTED;
		op->view = TF_VIEW_DISTRUSTED + a->purpose;
		break;
	default:
		rv = add_host (rec, a->peer, &host);
		if (rv == CKR_OK && rec->trust[a->purpose] != TF_LEVEL_ANCHOR)
			rec->trust[a->purpose] = TF_LEVEL_PEER;
		op->view = TF_VIEW_PINNED + 4 * host + a->purpose;
		break;
	}
	if (rv == CKR_OK)
		rv = apply_decision (rec, op->tmpl, op->count);
	if (rv == CKR_OK)
		rv = check_fixed (tok, rec, op->view, &assertion_schema, op->tmpl, op->count, true);
	return rv;
}

/*
 * p11-kit's and gcr's trust assertions: anchored and pinned ones carry the
 * certificate; distrusted ones name it by issuer and serial.
 */
static CK_RV
create_assertion (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		  CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	assertion_op a = { .op = { .edit = edit_assertion, .tmpl = tmpl, .count = count } };
	const CK_ATTRIBUTE *purpose, *value;
	tf_cert_info info;
	bool found;
	CK_RV rv;

	rv = tf_attrs_get_ulong (tmpl, count, TF_CKA_X_ASSERTION_TYPE, &a.kind, &found);
	if (rv != CKR_OK)
		return rv;
	purpose = tf_attrs_find (tmpl, count, TF_CKA_X_PURPOSE);
	if (!found || purpose == NULL) {
		tf_warn ("trust assertion: CKA_X_ASSERTION_TYPE and CKA_X_PURPOSE are required");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_view_oid_purpose (purpose->pValue, purpose->ulValueLen, &a.purpose)) {
		tf_warn ("trust assertion: the purpose must be server or client authentication, "
			 "code signing or e-mail protection");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	a.peer = tf_attrs_find (tmpl, count, TF_CKA_X_PEER);
	value = tf_attrs_find (tmpl, count, TF_CKA_X_CERTIFICATE_VALUE);
	switch (a.kind) {
	case TF_CKT_X_DISTRUSTED_CERTIFICATE:
		if (value == NULL) {
			a.op.view = TF_VIEW_DISTRUSTED + a.purpose;
			return create_trust (tok, owner, tmpl, count, &a.op, handle);
		}
		break;
	case TF_CKT_X_PINNED_CERTIFICATE:
		if (a.peer == NULL) {
			tf_warn ("trust assertion: a pinned certificate needs CKA_X_PEER");
			return CKR_TEMPLATE_INCOMPLETE;
		}
		break;
	case TF_CKT_X_ANCHORED_CERTIFICATE:
		break;
	default:
		tf_warn ("trust assertion: type %lu is not anchored, pinned or distrusted",
			 (unsigned long)a.kind);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rv = parse_value (value, "trust assertion: CKA_X_CERTIFICATE_VALUE", &info);
	if (rv != CKR_OK)
		return rv;
	a.op.cert = &info;
	a.op.der = value->pValue;
	a.op.der_len = value->ulValueLen;
	return upsert (tok, owner, info.issuer.data, info.issuer.len, info.serial.data,
		       info.serial.len, &a.op, handle);
}

typedef struct {
	const tf_bytes *spki;
	const tf_token *tok;
	CK_SESSION_HANDLE owner;
	uint64_t *uids;
	size_t n, cap;
	bool oom;
} by_key;

static bool
collect_by_key (void *ctx, tf_record *rec)
{
	by_key *k = ctx;
	tf_cert_info info;
	uint64_t *grown;

	if (rec->owner != k->owner || rec->der.len == 0 ||
	    !tf_x509_parse (rec->der.data, rec->der.len, &info) ||
	    !tf_bytes_equal (k->spki, info.spki.data, info.spki.len))
		return true;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 4;
		grown = realloc (k->uids, k->cap * sizeof (uint64_t));
		if (grown == NULL) {
			k->oom = true;
			return false;
		}
		k->uids = grown;
	}
	k->uids[k->n++] = rec->uid;
	return true;
}

/*
 * A stapled extension (p11-kit: CKO_X_CERTIFICATE_EXTENSION) attaches to every
 * certificate with that public key, found by the hash of the key.
 */
static CK_RV
create_extension (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		  CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	const CK_ATTRIBUTE *spki, *value;
	tf_bytes key = { 0 };
	tf_record *rec;
	by_key k = { .owner = owner };
	unsigned char spki_hash[20];
	unsigned purposes;
	bool critical;
	size_t i;
	CK_RV rv;

	spki = tf_attrs_find (tmpl, count, CKA_PUBLIC_KEY_INFO);
	value = tf_attrs_find (tmpl, count, CKA_VALUE);
	if (spki == NULL || value == NULL) {
		tf_warn ("stapled extension: CKA_PUBLIC_KEY_INFO and CKA_VALUE are required");
		return CKR_TEMPLATE_INCOMPLETE;
	}
	if (!tf_x509_eku_extension (value->pValue, value->ulValueLen, &purposes, &critical))
		return CKR_ATTRIBUTE_VALUE_INVALID;

	rv = tf_token_begin (tok, owner == 0);
	if (rv != CKR_OK)
		return rv;
	key.data = spki->pValue;
	key.len = spki->ulValueLen;
	k.spki = &key;
	k.tok = tok;
	tf_x509_sha1 (spki->pValue, spki->ulValueLen, spki_hash);
	rv = tf_token_load_key (tok, TF_STORE_BY_SPKI, spki_hash, sizeof (spki_hash), NULL, 0);
	if (rv != CKR_OK)
		goto fail;
	tf_index_each_key (tok->index, TF_KEY_SPKI, spki_hash, sizeof (spki_hash), NULL, 0,
			   collect_by_key, &k);
	if (k.oom) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	if (k.n == 0) {
		tf_warn ("stapled extension: this token holds no certificate with that public key");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto fail;
	}
	for (i = 0; i < k.n; i++) {
		rec = tf_record_dup (tf_index_lookup (tok->index, k.uids[i]));
		if (rec == NULL) {
			rv = CKR_HOST_MEMORY;
			goto fail;
		}
		if (!tf_bytes_set (&rec->stapled_eku, value->pValue, value->ulValueLen)) {
			tf_record_free (rec);
			rv = CKR_HOST_MEMORY;
			goto fail;
		}
		rv = check_fixed (tok, rec, TF_VIEW_EXTENSION, &extension_schema, tmpl, count,
				  true);
		if (rv == CKR_OK)
			rv = tf_token_put (tok, rec, k.uids[i]);
		else
			tf_record_free (rec);
		if (rv != CKR_OK)
			goto fail;
	}
	rv = tf_token_commit (tok);
	if (rv == CKR_OK)
		*handle = TF_HANDLE (k.uids[0], TF_VIEW_EXTENSION);
	free (k.uids);
	return rv;
fail:
	free (k.uids);
	tf_token_abort (tok);
	return rv;
}

CK_RV
tf_write_create (tf_token *tok, CK_SESSION_HANDLE owner, const CK_ATTRIBUTE *tmpl,
		 CK_ULONG count, CK_OBJECT_HANDLE *handle)
{
	write_op nss = { .edit = edit_nss_trust, .tmpl = tmpl, .count = count };
	write_op pkcs = { .edit = edit_pkcs_trust, .tmpl = tmpl, .count = count };
	CK_OBJECT_CLASS klass;
	const schema *s;
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
		s = &cert_schema;
		break;
	case TF_CKO_NSS_TRUST:
		s = &nss_trust_schema;
		break;
	case TF_CKO_TRUST:
		s = &pkcs_trust_schema;
		break;
	case TF_CKO_X_TRUST_ASSERTION:
		s = &assertion_schema;
		break;
	case TF_CKO_X_CERTIFICATE_EXTENSION:
		s = &extension_schema;
		break;
	default:
		tf_warn ("create: objects of class 0x%lx are not kept by this token "
			 "(certificates and trust only)",
			 (unsigned long)klass);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rv = check_rules (s, tmpl, count, true);
	if (rv != CKR_OK)
		return rv;
	switch (klass) {
	case CKO_CERTIFICATE:
		return create_cert (tok, owner, tmpl, count, handle);
	case TF_CKO_NSS_TRUST:
		return create_trust (tok, owner, tmpl, count, &nss, handle);
	case TF_CKO_TRUST:
		return create_trust (tok, owner, tmpl, count, &pkcs, handle);
	case TF_CKO_X_TRUST_ASSERTION:
		return create_assertion (tok, owner, tmpl, count, handle);
	default:
		return create_extension (tok, owner, tmpl, count, handle);
	}
}

/* ---- set and destroy --------------------------------------------------------- */

/* Takes the write lock and re-finds the object, which a refresh may have replaced. */
static CK_RV
begin_on_object (tf_token *tok, CK_OBJECT_HANDLE handle, tf_record **rec, tf_view *view)
{
	uint64_t uid = TF_HANDLE_UID (handle);
	CK_RV rv;

	*view = TF_HANDLE_VIEW (handle);
	*rec = tf_index_lookup (tok->index, uid);
	if (*rec == NULL || !tf_view_present (*rec, *view))
		return CKR_OBJECT_HANDLE_INVALID;
	rv = tf_token_begin (tok, (*rec)->owner == 0);
	if (rv != CKR_OK)
		return rv;
	*rec = tf_index_lookup (tok->index, uid);
	if (*rec == NULL || !tf_view_present (*rec, *view)) {
		tf_token_abort (tok);
		return CKR_OBJECT_HANDLE_INVALID;
	}
	return CKR_OK;
}

static CK_RV
set_on_view (tf_token *tok, tf_record *rec, tf_view view, const CK_ATTRIBUTE *tmpl,
	     CK_ULONG count)
{
	const schema *s = view_schema (view);
	CK_RV rv;

	rv = check_rules (s, tmpl, count, false);
	if (rv == CKR_OK)
		rv = check_fixed (tok, rec, view, s, tmpl, count, false);
	if (rv == CKR_OK)
		rv = apply_bytes (&rec->label, tmpl, count, CKA_LABEL);
	if (rv == CKR_OK)
		rv = apply_decision (rec, tmpl, count);
	if (rv != CKR_OK)
		return rv;
	switch (view) {
	case TF_VIEW_CERT:
		rv = apply_bytes (&rec->id, tmpl, count, CKA_ID);
		if (rv == CKR_OK)
			rv = apply_bytes (&rec->email, tmpl, count, TF_CKA_NSS_EMAIL);
		if (rv == CKR_OK)
			rv = apply_category (rec, tmpl, count);
		if (rv == CKR_OK)
			rv = apply_p11kit_trust (rec, tmpl, count);
		return rv;
	case TF_VIEW_NSS_TRUST:
		return apply_nss_trust (rec, tmpl, count, false);
	case TF_VIEW_TRUST:
		return apply_pkcs_trust (rec, tmpl, count, false);
	default:
		return CKR_OK;
	}
}

CK_RV
tf_write_set (tf_token *tok, CK_OBJECT_HANDLE handle, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	tf_record *rec = NULL, *current;
	tf_view view;
	CK_RV rv;

	rv = begin_on_object (tok, handle, &current, &view);
	if (rv != CKR_OK)
		return rv;
	rec = tf_record_dup (current);
	rv = rec != NULL ? set_on_view (tok, rec, view, tmpl, count) : CKR_HOST_MEMORY;
	/*
	 * C_SetAttributeValue has no "incomplete" (5.7): what a create would
	 * call missing (positive trust without a hash, a hash the record cannot
	 * check) contradicts the object here.
	 */
	if (rv == CKR_TEMPLATE_INCOMPLETE ||
	    (rv == CKR_OK && check_hash_rule (rec) != CKR_OK))
		rv = CKR_TEMPLATE_INCONSISTENT;
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

/* Removes the host in slot n (a tombstone stays); with none left, pinned peer trust ends too. */
static bool
remove_host (tf_record *rec, unsigned n)
{
	const char *start, *live;
	size_t len;
	int i;

	if (!tf_view_host (rec, n, &start, &len))
		return true;
	if (!take_hosts (rec, hosts_with (rec, n, "", 0)))
		return false;
	live = tf_record_live_hosts (rec);
	if (live != NULL && live[0] != '\0')
		return true;
	for (i = 0; i < TF_PURPOSE_COUNT; i++) {
		if (rec->trust[i] == TF_LEVEL_PEER)
			rec->trust[i] = TF_LEVEL_UNKNOWN;
	}
	return true;
}

/* What destroying a view does to its record; *keep false: the record goes. */
static CK_RV
destroy_view (tf_record *rec, tf_view view, bool *keep)
{
	int purpose;

	*keep = false;
	switch (view) {
	case TF_VIEW_CERT:
		/* The certificate takes its record, and every view, with it. */
		return CKR_OK;
	case TF_VIEW_NSS_TRUST:
	case TF_VIEW_TRUST:
		/* A trust object: the decision is reset; the certificate stays. */
		rec->has_trust = false;
		memset (rec->trust, TF_LEVEL_UNKNOWN, sizeof (rec->trust));
		rec->step_up = false;
		rec->expires = 0;
		if (!tombstone_hosts (rec))
			return CKR_HOST_MEMORY;
		break;
	case TF_VIEW_EXTENSION:
		/* Only a stapled one; one derived from the decision goes with the decision. */
		tf_bytes_clear (&rec->stapled_eku);
		break;
	default:
		if (view >= TF_VIEW_PINNED) {
			if (!remove_host (rec, (unsigned)(view - TF_VIEW_PINNED) / 4))
				return CKR_HOST_MEMORY;
		} else {
			purpose = view >= TF_VIEW_DISTRUSTED ? view - TF_VIEW_DISTRUSTED
							     : view - TF_VIEW_ANCHORED;
			rec->trust[purpose] = TF_LEVEL_UNKNOWN;
		}
		settle_trust (rec);
		break;
	}
	/* A record that holds neither a certificate nor a decision is nothing. */
	*keep = rec->der.len > 0 || rec->has_trust;
	return CKR_OK;
}

CK_RV
tf_write_destroy (tf_token *tok, CK_OBJECT_HANDLE handle)
{
	tf_record *rec = NULL, *current;
	tf_view view;
	bool keep;
	CK_RV rv;

	rv = begin_on_object (tok, handle, &current, &view);
	if (rv != CKR_OK)
		return rv;
	if (view == TF_VIEW_DERIVED_EXTENSION) {
		tf_warn ("this extended key usage follows from the decision's purposes; change "
			 "the decision instead");
		rv = CKR_ACTION_PROHIBITED;
		goto fail;
	}
	rec = tf_record_dup (current);
	if (rec == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	rv = destroy_view (rec, view, &keep);
	if (rv != CKR_OK)
		goto fail;
	if (keep) {
		rv = tf_token_put (tok, rec, current->uid);
		rec = NULL;
	} else {
		rv = tf_token_remove (tok, current->uid);
	}
	if (rv != CKR_OK)
		goto fail;
	tf_record_free (rec);
	return tf_token_commit (tok);
fail:
	tf_record_free (rec);
	tf_token_abort (tok);
	return rv;
}
