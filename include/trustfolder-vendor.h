/*
 * trustfolder's vendor interface, "Vendor trustfolder" (version 1.0), got
 * with C_GetInterface like the standard one. Include a PKCS#11 header first
 * (p11-kit's, NSS's or OpenSC's): this one only adds to it.
 *
 * A batch makes many writes one store transaction: a bulk import pays for one
 * fsync instead of one per certificate.
 *
 *   C_BeginBatch (session)   the session's token starts a batch (a R/W session)
 *   C_CommitBatch (session)  every write since is durable, or none is
 *   C_AbortBatch (session)   every write since is undone
 *
 * Writes to the token from any session of the process, while its batch is
 * open, belong to the batch: they show in searches at once, and are durable
 * only when C_CommitBatch returns CKR_OK. Closing the session that began it,
 * or C_Finalize, aborts the batch. Other processes see the batch only when it
 * is committed; until then their writes to that store wait (up to the busy
 * timeout), so keep batches short.
 */
#ifndef TRUSTFOLDER_VENDOR_H
#define TRUSTFOLDER_VENDOR_H

#define TF_VENDOR_INTERFACE_NAME "Vendor trustfolder"

typedef struct {
	CK_VERSION version; /* 1.0 */
	CK_RV (*C_BeginBatch) (CK_SESSION_HANDLE session);
	CK_RV (*C_CommitBatch) (CK_SESSION_HANDLE session);
	CK_RV (*C_AbortBatch) (CK_SESSION_HANDLE session);
} TF_VENDOR_FUNCTION_LIST;

#endif /* TRUSTFOLDER_VENDOR_H */
