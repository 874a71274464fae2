/*
 * Slots and tokens: their info and flags, their records (through the index),
 * the store behind a persistent token, and write transactions that keep the
 * store and the index in step.
 */
#ifndef TF_TOKEN_H
#define TF_TOKEN_H

#include "index.h"
#include "record.h"
#include "store.h"

#include <p11-kit/pkcs11.h>
#include <stdbool.h>

typedef struct tf_pending tf_pending;

/*
 * Who is logged in to a token (PKCS#11 2.40, 5.6): a login holds for every
 * session of the token in this process, until C_Logout or its last session
 * closes. The token has no PIN; the state is kept so that the session states
 * and the codes C_Login returns are the ones the specification gives.
 */
typedef enum {
	TF_LOGIN_PUBLIC = 0,
	TF_LOGIN_USER,
	TF_LOGIN_SO,
} tf_login;

#define TF_TOKEN_GONE_KEPT 256

typedef struct tf_token {
	CK_SLOT_ID slot;
	const char *label;
	const char *path; /* the store file; NULL for a token kept in memory */
	tf_store *store;  /* NULL for memory, or when the store could not be opened */
	CK_RV store_rv;	  /* why the store could not be opened; CKR_OK otherwise */
	bool write_protected;
	tf_index *index;
	uint64_t profile_uid; /* the CKO_PROFILE object of this token */
	tf_login login;

	/* The open write transaction, if any. */
	bool in_txn;
	bool txn_stored; /* the transaction holds the store's write lock */
	bool txn_wrote;	 /* it has written to the store */
	tf_pending *pending;

	/*
	 * Records are loaded from the store on demand: the keys whose records
	 * are all in the index, or every record once loaded_all is set.
	 */
	struct tf_keyset *loaded;
	bool loaded_all;

	/*
	 * Records another process removed, kept a little while: a client that
	 * listed them may still read their attributes (certutil -L reads each
	 * certificate it listed). Never found by a search.
	 */
	tf_record *gone[TF_TOKEN_GONE_KEPT];
	unsigned gone_next;

	/* A batch: many writes in one store transaction (the vendor interface). */
	bool batch;
	bool batch_failed; /* a write in it failed after writing: the batch cannot commit */
	unsigned long batch_owner;
	/*
	 * The uids of records new in the batch: they reach the store at its
	 * commit, once each, however often the batch changed them (certutil
	 * adds a certificate, then its trust).
	 */
	uint64_t *deferred;
	size_t n_deferred, cap_deferred;
} tf_token;

/*
 * Sets up a token. path NULL keeps it in memory. A store that cannot be
 * opened leaves the token "not present" (store_rv says why, logged); that is
 * not an error of this call, so the other token still works.
 */
CK_RV tf_token_init (tf_token *tok, CK_SLOT_ID slot, const char *label, const char *path,
		     bool read_only);

/* Releases everything the token holds. */
void tf_token_fini (tf_token *tok);

/* Forgets everything without closing the store (in a forked child). */
void tf_token_abandon (tf_token *tok);

/* false when the token is not present (its store could not be opened). */
bool tf_token_present (const tf_token *tok);

void tf_token_slot_info (const tf_token *tok, CK_SLOT_INFO *info);
void tf_token_info (const tf_token *tok, CK_TOKEN_INFO *info);

/* Applies other processes' committed changes (cheap when there are none). */
CK_RV tf_token_refresh (tf_token *tok);

/*
 * Makes sure the index holds every record of the token with this key (kind as
 * in store.h; for TF_STORE_BY_ISSUER_SERIAL, b is the serial), loading them
 * from the store the first time a key is asked for. A token kept in memory
 * holds everything already. tf_token_load_all loads every record (for an
 * enumeration).
 */
CK_RV tf_token_load_key (tf_token *tok, tf_store_key kind, const void *a, size_t alen,
			 const void *b, size_t blen);
CK_RV tf_token_load_all (tf_token *tok);

/*
 * Read-only questions, safe under a shared lock: whether another process may
 * have committed since the last refresh, and whether a key (or everything,
 * kind TF_STORE_ALL) is loaded already. An issuer and serial whose record
 * is in the index is loaded (the store has one record at most for them), but
 * tf_token_loaded leaves that to the caller, who has searched the index for
 * it before asking; it answers for the keys the store has nothing for.
 */
bool tf_token_changed (tf_token *tok);
bool tf_token_loaded (tf_token *tok, tf_store_key kind, const void *a, size_t alen,
		      const void *b, size_t blen);

/*
 * A write. begin takes the store's write lock when persist is set (a token
 * object of a stored token) and refreshes, so what the caller then looks up
 * is current. put stages a record (taking it; replaces names the uid of the
 * record it replaces, or 0), remove stages a removal by uid. commit makes it
 * durable, then applies it to the index; abort drops it. After a failed put
 * or remove the caller aborts.
 */
CK_RV tf_token_begin (tf_token *tok, bool persist);
CK_RV tf_token_put (tf_token *tok, tf_record *rec, uint64_t replaces);
CK_RV tf_token_remove (tf_token *tok, uint64_t uid);
CK_RV tf_token_commit (tf_token *tok);
void tf_token_abort (tf_token *tok);

/*
 * A batch (trustfolder's vendor interface): until batch_commit, the token
 * objects this token writes go into one store transaction, so a bulk import
 * is one fsync, not one per certificate. Each write still updates the index
 * at once; a record new in the batch is written to the store at
 * batch_commit, as it is then. batch_commit makes them all durable, or none
 * (then the index is reloaded from the store). A batch on a token kept in
 * memory is accepted and means nothing.
 */
CK_RV tf_token_batch_begin (tf_token *tok, unsigned long owner);
CK_RV tf_token_batch_commit (tf_token *tok);
void tf_token_batch_abort (tf_token *tok);

/* A record another process removed lately, by uid, or NULL. Borrowed; read only. */
tf_record *tf_token_lookup_gone (tf_token *tok, uint64_t uid);

/* Removes every session object owned by this session (no store involved). */
void tf_token_drop_session_objects (tf_token *tok, CK_SESSION_HANDLE owner);

#endif /* TF_TOKEN_H */
