/*
 * tf-stress: the PKCS#11 client of the crash, concurrency and fault tests
 * (tests/stress/). It loads the module with dlopen, as every client does, and
 * never includes the module's headers: the values it writes and expects are
 * the ones NSS uses (CONTRACT.md), named here.
 *
 * The pieces:
 *   pool.c    a pool of certificates made with OpenSSL, one CA and one leaf
 *             per index, and the values a client derives from each
 *   p11.c     the module, its tokens, and the decisions as NSS makes them:
 *             certificate and trust objects created, re-created, destroyed
 *   ledger.c  the log of decisions: an intent before each call and an
 *             acknowledgement only after the call returned CKR_OK
 *   rows.c    the store's rows read with SQLite, beside what PKCS#11 shows
 *   check.c   after a crash: everything acknowledged is there, exactly
 *   modes.c   the writer, the readers, the threads and the fault shell
 */
#ifndef TF_STRESS_H
#define TF_STRESS_H

#include <p11-kit/pkcs11.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NSS's vendor values (CONTRACT.md, "Constants"). */
#define NSS_CKO_TRUST                  0xCE534353UL
#define NSS_CKA_TRUST_SERVER_AUTH      0xCE536358UL
#define NSS_CKA_TRUST_CLIENT_AUTH      0xCE536359UL
#define NSS_CKA_TRUST_CODE_SIGNING     0xCE53635AUL
#define NSS_CKA_TRUST_EMAIL            0xCE53635BUL
#define NSS_CKA_TRUST_STEP_UP_APPROVED 0xCE536360UL
#define NSS_CKA_CERT_SHA1_HASH         0xCE5363B4UL
#define NSS_CKA_CERT_MD5_HASH          0xCE5363B5UL
#define NSS_CKT_TRUSTED                0xCE534351UL
#define NSS_CKT_TRUSTED_DELEGATOR      0xCE534352UL
#define NSS_CKT_MUST_VERIFY_TRUST      0xCE534353UL
#define NSS_CKT_TRUST_UNKNOWN          0xCE534355UL
#define NSS_CKT_NOT_TRUSTED            0xCE53435AUL
#define NSS_CKT_VALID_DELEGATOR        0xCE53435BUL

#define TOKEN_PERSISTENT "Trust Folder"

/* ---- the certificate pool (pool.c) --------------------------------------- */

typedef struct {
	unsigned char *data;
	size_t len;
} blob;

typedef struct {
	blob der;                 /* the CA certificate */
	blob issuer;              /* DER Name */
	blob subject;             /* DER Name */
	blob serial;              /* DER INTEGER, tag and length included (what NSS sends) */
	unsigned char id[20];     /* CKA_ID as certutil sets it: SHA-1 of the public key */
	unsigned char sha1[20];   /* of der */
	unsigned char md5[16];    /* of der */
	unsigned char sha256[32]; /* of der */
	char label[32];           /* CKA_LABEL, the NSS nickname: stress-NNNNN */
} pool_cert;

typedef struct {
	pool_cert *certs;
	size_t n;
} pool;

/*
 * Makes n self-signed CA certificates, with what a client derives from each,
 * in dir/pool.bin, and for each a leaf it issued in dir/leaf-NNNNN.der (for
 * vfychain). Each CA and leaf has its own P-256 key. false (and a message) on
 * failure.
 */
bool pool_generate (const char *dir, size_t n);

/* Loads dir/pool.bin. Exits with a message when it cannot. */
void pool_load (const char *dir, pool *p);

/* The index of the certificate with this issuer and serial, or -1. */
long pool_find (const pool *p, const void *issuer, size_t issuer_len, const void *serial,
                size_t serial_len);

void blob_free (blob *b);
bool blob_equal (const blob *b, const void *data, size_t len);

/* ---- decisions ----------------------------------------------------------- */

/*
 * What the token holds for one certificate of the pool. The writer moves a
 * certificate between these states one PKCS#11 call at a time.
 */
typedef enum {
	ST_ABSENT = 0, /* nothing */
	ST_CERT,       /* the certificate, no trust: certutil -A -t ",," or half of -A */
	ST_CA,         /* certificate + trust "C,,": an accepted CA */
	ST_PEER,       /* certificate + trust "P,,": an accepted server */
	ST_DISTRUST,   /* certificate + trust "p,p,p": do not accept */
	ST_BLOCK,      /* trust only, no certificate and no hash: distrust by issuer + serial */
	ST_COUNT,
	ST_BAD = ST_COUNT, /* what a reader found is none of the above */
} state;

const char *state_name (state s);
/* The state named s, or ST_BAD. */
state state_parse (const char *s);
bool state_has_cert (state s);
bool state_has_trust (state s);
/* certutil -L's trust column for a state with a certificate. */
const char *state_certutil_flags (state s);

/* The NSS trust values (server, client, code signing, e-mail) a state's trust object carries. */
const CK_ULONG *state_nss_trust (state s);
/* The trust levels the store keeps for them (module/record.h, tf_level, on disk). */
const int *state_levels (state s);

/* ---- the module (p11.c) --------------------------------------------------- */

extern CK_FUNCTION_LIST_PTR p11;

/* dlopens module, C_Initialize with OS locking and params as pReserved. Exits on failure. */
void p11_load (const char *module, const char *params);
/* The same, but C_Initialize's answer is returned (a dlopen failure still exits). */
CK_RV p11_try_load (const char *module, const char *params);
void p11_unload (void);

/* The slot whose description is label; false when there is none. */
bool p11_slot (const char *label, CK_SLOT_ID *slot);

/* The name of a CKR_ code, for messages ("CKR_DEVICE_ERROR"), or its number. */
const char *p11_rv_name (CK_RV rv);

/* Every object matching tmpl; *out is malloc'd (free it). */
CK_RV p11_find_all (CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **out,
                    CK_ULONG *count);

/* One byte-string attribute, malloc'd. A missing one gives CKR_OK and an empty blob. */
CK_RV p11_get_blob (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, blob *out);

/*
 * The calls a decision is made of, each one PKCS#11 call (finds aside), as
 * certutil and p11-client make them:
 *   create_cert: C_CreateObject of the certificate (certutil -A, step 2)
 *   create_trust: C_CreateObject of the NSS trust object for a state with
 *	trust; re-creating it is how certutil -M changes trust; ST_BLOCK
 *	writes it with no hash
 *   destroy_trust / destroy_cert: find by issuer + serial, C_DestroyObject
 *	(certutil -D, trust first)
 */
CK_RV p11_create_cert (CK_SESSION_HANDLE s, const pool_cert *c);
CK_RV p11_create_trust (CK_SESSION_HANDLE s, const pool_cert *c, state kind);
CK_RV p11_destroy_trust (CK_SESSION_HANDLE s, const pool_cert *c);
CK_RV p11_destroy_cert (CK_SESSION_HANDLE s, const pool_cert *c);

/*
 * What the token shows for certificate c: its state, or ST_BAD with the
 * reason in why (a duplicate, a wrong value, a wrong or missing hash, trust
 * values that are no decision). A PKCS#11 error gives ST_BAD too, with *rv set.
 */
state p11_state (CK_SESSION_HANDLE s, const pool *p, size_t idx, char *why, size_t why_len,
                 CK_RV *rv);

/* ---- the ledger (ledger.c) ---------------------------------------------- */

/*
 * A log of decisions, one line each, appended with one write(2) per line:
 *   I SEQ IDX FROM TO	 about to make a call taking IDX from FROM to TO
 *   A SEQ		 the call returned CKR_OK
 *   F SEQ RV		 the call failed with RV: IDX must still be FROM
 *   R IDX STATE	 after a crash, the checker found the unacknowledged
 *			 intent's certificate in STATE (FROM or TO)
 * A SIGKILL cannot lose a line that write(2) returned from (the page cache
 * outlives the process), so the log needs no fsync; a torn last line is cut
 * off by the checker.
 */
typedef struct {
	size_t n;               /* pool size */
	state *expect;          /* per index */
	unsigned long *ack_seq; /* the seq that acknowledged it; 0 = never touched */
	bool *touched;          /* this ledger's indexes */
	bool pending;           /* an intent without its answer */
	size_t p_idx;
	state p_from, p_to;
	unsigned long p_seq;
	unsigned long seq;   /* the last seq written */
	unsigned long acks;  /* acknowledged calls */
	unsigned long fails; /* calls that failed (F) */
	int fd;              /* open for appending, or -1 */
} ledger;

/* Reads path (missing is empty) into l for a pool of n; cuts a torn last line. Exits on a bad log.
 */
void ledger_open (ledger *l, const char *path, size_t n, bool append);
void ledger_close (ledger *l);
/* Records the intent (one line) before a call. */
void ledger_intent (ledger *l, size_t idx, state to);
/* The call's answer: A when rv is CKR_OK, else F. */
void ledger_answer (ledger *l, CK_RV rv);
/* Resolves a pending intent: the certificate was found in s. */
void ledger_resolve (ledger *l, state s);

/* ---- the store's rows (rows.c) ------------------------------------------- */

/*
 * Reads every record row of the store at path, read-only, and puts the state
 * each row describes into found[idx] (ST_BAD when the row is no decision, the
 * reason printed). Rows for certificates outside the pool fail. Returns the
 * number of problems, or -1 when the store cannot be read.
 */
int rows_read (const char *path, const pool *p, state *found);

/* ---- the modes ------------------------------------------------------------ */

int mode_check (int argc, char **argv);
int mode_write (int argc, char **argv);
int mode_read (int argc, char **argv);
int mode_threads (int argc, char **argv);
int mode_shell (int argc, char **argv);

/* A small PRNG (xorshift64*), one per writer, seeded for reproducible runs. */
uint64_t rng_next (uint64_t *s);
/* A number below n. */
size_t rng_below (uint64_t *s, size_t n);

/* Prints "tf-stress: ..." on stderr and exits 2. */
void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

#endif /* TF_STRESS_H */
