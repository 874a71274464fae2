/*
 * The views of a trust record: which exist, and every attribute of each,
 * computed from the record. Private to the object layer (object.c, write.c).
 */
#ifndef TF_VIEW_H
#define TF_VIEW_H

#include "object.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stddef.h>

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
} tf_attr_val;

/* Computes one attribute of a view (rec NULL: the profile). false: no such attribute. */
bool tf_view_attr (const tf_token *tok, const tf_record *rec, tf_view view,
		   CK_ATTRIBUTE_TYPE type, tf_attr_val *v);

/* true when the record has this view now. */
bool tf_view_present (const tf_record *rec, tf_view view);

/* The class of a view's objects. */
CK_OBJECT_CLASS tf_view_class (tf_view view);

/* true when the view's object matches every attribute of the template. */
bool tf_view_matches (const tf_token *tok, const tf_record *rec, tf_view view,
		      const CK_ATTRIBUTE *tmpl, CK_ULONG count);

/*
 * true when the view's value of type is exactly the record's key bytes for
 * key (index.h), so that a search the index answered by that key need not
 * compare it again: the label in every view, the subject and CKA_ID in the
 * certificate.
 */
bool tf_view_shows_key (tf_view view, CK_ATTRIBUTE_TYPE type, tf_key key);

/* Calls fn for each view the record has (of class klass, or all when klass is -1). */
typedef bool (*tf_view_fn) (void *ctx, tf_record *rec, tf_view view);
bool tf_view_each (tf_record *rec, CK_OBJECT_CLASS klass, tf_view_fn fn, void *ctx);

/*
 * The level of one purpose as every view shows it: a decision past its date
 * is unknown, and a stapled extended key usage narrows positive trust to the
 * purposes it names.
 */
uint8_t tf_view_level (const tf_record *rec, int purpose);

/* Level mappings; the _to_level ones return false for a value they do not know. */
CK_ULONG tf_view_level_to_nss (uint8_t level);
bool tf_view_nss_to_level (CK_ULONG nss, uint8_t *level);
CK_ULONG tf_view_level_to_pkcs (uint8_t level);
bool tf_view_pkcs_to_level (CK_ULONG pkcs, uint8_t *level);

/* The trust attributes of each purpose, in TF_PURPOSE_* order. */
extern const CK_ATTRIBUTE_TYPE tf_view_nss_purpose[TF_PURPOSE_COUNT];
extern const CK_ATTRIBUTE_TYPE tf_view_pkcs_purpose[TF_PURPOSE_COUNT];

/* A purpose as p11-kit names it (an OID string, no NUL), and back. */
const char *tf_view_purpose_oid (int purpose);
bool tf_view_oid_purpose (const void *oid, size_t len, int *purpose);

/*
 * The pinned host in slot n of a record: false past the last slot and for a
 * tombstone. start and len (in rec->hosts) are set for every slot there is,
 * a tombstone's len being 0.
 */
bool tf_view_host (const tf_record *rec, unsigned n, const char **start, size_t *len);

/* The number of host slots of a record, tombstones included. */
unsigned tf_view_host_slots (const tf_record *rec);

/* The DER INTEGER's tag and length octets (the serial is well formed). */
size_t tf_view_integer_header (const tf_bytes *serial);

/*
 * false when a CKA_VALUE of len bytes can be no stapled extension's: every
 * extension view's value is an X.509 Extension, a SEQUENCE that opens with
 * an OBJECT IDENTIFIER, and a certificate (which opens with a SEQUENCE) is
 * never one. Cheap: it looks at the first tags only.
 */
bool tf_view_may_be_extension (const void *value, size_t len);

/* NSS sends a serial as DER, then raw: true when attr is either form of rec's. */
bool tf_view_match_serial (const tf_record *rec, const CK_ATTRIBUTE *attr);

#endif /* TF_VIEW_H */
