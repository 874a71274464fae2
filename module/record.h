/*
 * The trust record: one per certificate per token (DESIGN.md, "One decision,
 * many views"). Every object a client sees (certificate, NSS trust, ...) is a
 * view computed from a record; nothing else holds trust state.
 */
#ifndef TF_RECORD_H
#define TF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A trust level, per purpose. The numbers are stored on disk: never renumber. */
typedef enum {
	TF_LEVEL_UNKNOWN = 0,	  /* no opinion recorded */
	TF_LEVEL_ANCHOR = 1,	  /* trusted delegator: trusted to issue */
	TF_LEVEL_PEER = 2,	  /* trusted leaf, on its own */
	TF_LEVEL_CA = 3,	  /* valid delegator: may issue, not an anchor */
	TF_LEVEL_MUST_VERIFY = 4, /* verify as usual */
	TF_LEVEL_DISTRUSTED = 5,  /* do not accept */
} tf_level;

#define TF_LEVEL_MAX TF_LEVEL_DISTRUSTED

enum {
	TF_PURPOSE_SERVER = 0,
	TF_PURPOSE_CLIENT = 1,
	TF_PURPOSE_CODE = 2,
	TF_PURPOSE_EMAIL = 3,
	TF_PURPOSE_COUNT = 4,
};

/* The number of keys the index chains records by (TF_KEY_COUNT in index.h). */
#define TF_RECORD_KEYS 6

/* An owned byte string; data is NULL exactly when len is 0. */
typedef struct {
	unsigned char *data;
	size_t len;
} tf_bytes;

typedef struct tf_record {
	/*
	 * What a trust lookup reads comes first, so that it shares cache lines
	 * with the certificate a compact record carries right behind it.
	 */
	uint64_t uid;		/* process-unique, never reused; 0 until indexed */
	unsigned long owner;	/* owning session for CKA_TOKEN=FALSE; 0 for token objects */
	bool has_trust;		/* a trust decision exists (the trust views are present) */
	uint8_t trust[TF_PURPOSE_COUNT]; /* tf_level per purpose */
	bool step_up;		/* CKA_TRUST_STEP_UP_APPROVED */

	/*
	 * Hashes of the certificate: all known when der is held; otherwise as
	 * a trust write gave them (NSS: SHA-1 and MD5; PKCS#11 3.2: SHA-256
	 * or SHA-1). A record with none applies to any certificate with its
	 * issuer and serial.
	 */
	bool has_hash;		/* sha1 is known */
	bool has_md5;

	/*
	 * The index's own (index.c): per key table, the next record with the
	 * same key. A table keeps one slot per distinct key, and the records
	 * that share it hang from that slot through these, so that thousands
	 * of certificates with one subject or label cost one slot, not a run
	 * of slots every other key's probe may have to cross. Meaningless
	 * outside an index; a copy starts with none. Near uid, owner and
	 * the decision, which a search reads in every record it visits: a
	 * walk along a chain then costs no cache line more than the search
	 * itself.
	 */
	struct tf_record *same_key[TF_RECORD_KEYS];

	int64_t expires;	/* unix time the decision ends; 0 = never */
	int64_t not_after;	/* unix time the certificate expires; 0 = not known (no der) */
	tf_bytes issuer;	/* DER Name */
	tf_bytes serial;	/* DER INTEGER, tag and length included */
	tf_bytes der;		/* the certificate; empty when the token holds only trust */
	unsigned char sha1[20];
	unsigned char md5[16];
	bool has_sha256;
	tf_bytes stapled_eku;	/* DER ExtKeyUsageSyntax stapled by a client; empty = none */
	tf_bytes subject;	/* DER Name; empty when der is */
	tf_bytes id;		/* CKA_ID */
	tf_bytes label;		/* CKA_LABEL, no NUL */
	tf_bytes email;		/* CKA_NSS_EMAIL as given */
	unsigned char sha256[32];
	tf_bytes spki_sha1;	/* SHA-1 of the certificate's SubjectPublicKeyInfo; empty without der */
	int64_t store_id;	/* row in the store; 0 when not stored */
	unsigned long category; /* CKA_CERTIFICATE_CATEGORY as set; 0 = derive */

	/*
	 * Pinned host names, comma-separated, one per slot. A pinned
	 * assertion's handle names its host's slot, so a host taken away
	 * leaves its slot empty, a tombstone ("a,,c" once b is gone), and the
	 * others keep theirs, in this process and in every other that loads
	 * the record: the store keeps the slots as they are. NULL is no slot;
	 * "" is one tombstone. Change it with tf_record_set_hosts only, which
	 * derives live_hosts.
	 */
	char *hosts;
	char *live_hosts;	/* hosts without tombstones; NULL when hosts has none */
	int64_t created;	/* unix time the record was first written */
	char *creator;		/* program that made the decision; may be NULL */

	/*
	 * The record itself when it is compact: one allocation holding the
	 * record and every byte field and string above (issuer, serial and
	 * subject inside the certificate when it holds them); none may be set
	 * or freed alone. Records in a token's index are compact when memory
	 * allowed; a write changes a tf_record_dup, which never is. NULL
	 * otherwise.
	 */
	void *block;
} tf_record;

/* A new, zeroed record. NULL when out of memory. */
tf_record *tf_record_new (void);

/* Frees rec and everything it owns. Accepts NULL. */
void tf_record_free (tf_record *rec);

/* A deep copy of rec (uid, owner and store_id included). NULL when out of memory. */
tf_record *tf_record_dup (const tf_record *rec);

/*
 * rec as one allocation: the record, then its certificate, then its other
 * bytes, issuer, serial and subject sharing the certificate's own bytes
 * where they are found in it. About a third less memory per record, and a
 * lookup by issuer and serial reads one buffer. Takes rec and returns the
 * compact record (rec itself, unchanged, when out of memory or compact).
 */
tf_record *tf_record_compact (tf_record *rec);

/* Replaces *dst with a copy of len bytes at data (len 0 empties it). false when out of memory. */
bool tf_bytes_set (tf_bytes *dst, const void *data, size_t len);

/* Frees the bytes and empties dst. */
void tf_bytes_clear (tf_bytes *dst);

/* true when a and b hold the same bytes. */
bool tf_bytes_equal (const tf_bytes *a, const void *data, size_t len);

/*
 * Replaces rec->hosts with hosts (taken; NULL for no slot), and derives the
 * list without tombstones. false when out of memory: hosts is freed and rec
 * is unchanged.
 */
bool tf_record_set_hosts (tf_record *rec, char *hosts);

/*
 * The pinned hosts with no tombstone between them, comma-separated: what the
 * decision is pinned to. NULL or "" when nothing is. Borrowed from rec.
 */
const char *tf_record_live_hosts (const tf_record *rec);

/* true when any purpose is anchor, peer or CA (positive trust, which needs a hash). */
bool tf_record_is_positive (const tf_record *rec);

/* true when the record names its certificate by some hash. */
bool tf_record_has_any_hash (const tf_record *rec);

#endif /* TF_RECORD_H */
