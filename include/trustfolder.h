/*
 * trustfolder: public constants.
 *
 * The vendor values that NSS and p11-kit use, spelled out with their numbers
 * so that no header's configuration (NSS_USE_STANDARD_TRUST, for one) can
 * change what they mean, plus the PKCS#11 3.x values that the 2.40 headers
 * shipped by Debian 12 do not have, and the module's parameter names.
 */
#ifndef TRUSTFOLDER_H
#define TRUSTFOLDER_H

/* Token labels, padded to 32 bytes in CK_TOKEN_INFO. */
#define TF_TOKEN_LABEL_PERSISTENT "Trust Folder"
#define TF_TOKEN_LABEL_SESSION	  "Trust Folder Session"
#define TF_MANUFACTURER		  "trustfolder"
#define TF_LIBRARY_DESCRIPTION	  "trustfolder trust store"
#define TF_MODULE_FILE		  "trustfolder-pkcs11.so"

#define TF_SLOT_PERSISTENT 1UL
#define TF_SLOT_SESSION	   2UL

/* Environment variables and module parameters (key=value words). */
#define TF_ENV_STORE  "TRUSTFOLDER_STORE"
#define TF_ENV_CONFIG "TRUSTFOLDER_CONFIG"
#define TF_ENV_DEBUG  "TRUSTFOLDER_DEBUG"
#define TF_ENV_SESSION "TRUSTFOLDER_SESSION"
#define TF_PARAM_STORE	   "store"
#define TF_PARAM_READ_ONLY "read-only"
#define TF_PARAM_SESSION   "session"
#define TF_PARAM_DEBUG	   "debug"

/* NSS vendor values (pkcs11n.h, without NSS_USE_STANDARD_TRUST). */
#define TF_CKO_NSS_TRUST	      0xCE534353UL
#define TF_CKO_NSS_BUILTIN_ROOT_LIST  0xCE534354UL
#define TF_CKO_NSS_CRL		      0xCE534351UL
#define TF_CKA_NSS_EMAIL	      0xCE534352UL
#define TF_CKA_NSS_MOZILLA_CA_POLICY  0xCE534372UL
#define TF_CKA_CERT_SHA1_HASH	      0xCE5363B4UL
#define TF_CKA_CERT_MD5_HASH	      0xCE5363B5UL
#define TF_CKA_NSS_TRUST_SERVER_AUTH  0xCE536358UL
#define TF_CKA_NSS_TRUST_CLIENT_AUTH  0xCE536359UL
#define TF_CKA_NSS_TRUST_CODE_SIGNING 0xCE53635AUL
#define TF_CKA_NSS_TRUST_EMAIL	      0xCE53635BUL
#define TF_CKA_NSS_TRUST_STEP_UP      0xCE536360UL
#define TF_CKT_NSS_TRUSTED	      0xCE534351UL
#define TF_CKT_NSS_TRUSTED_DELEGATOR  0xCE534352UL
#define TF_CKT_NSS_MUST_VERIFY_TRUST  0xCE534353UL
#define TF_CKT_NSS_VALID	      0xCE534354UL /* deprecated "valid peer" */
#define TF_CKT_NSS_TRUST_UNKNOWN      0xCE534355UL
#define TF_CKT_NSS_NOT_TRUSTED	      0xCE53435AUL
#define TF_CKT_NSS_VALID_DELEGATOR    0xCE53435BUL

/* PKCS#11 3.0 / 3.2 values. */
#define TF_CKO_PROFILE			0x09UL
#define TF_CKA_PROFILE_ID		0x601UL
#define TF_CKP_PUBLIC_CERTIFICATES_TOKEN 4UL
#define TF_CKA_UNIQUE_ID		0x04UL
#define TF_CKO_TRUST			0x0BUL
#define TF_CKA_PKCS_TRUST_SERVER_AUTH	0x62CUL
#define TF_CKA_PKCS_TRUST_CLIENT_AUTH	0x62DUL
#define TF_CKA_PKCS_TRUST_CODE_SIGNING	0x62EUL
#define TF_CKA_PKCS_TRUST_EMAIL		0x62FUL
#define TF_CKA_HASH_OF_CERTIFICATE	0x635UL
#define TF_CKA_NAME_HASH_ALGORITHM	0x8CUL
#define TF_CKT_TRUST_UNKNOWN		0UL
#define TF_CKT_TRUSTED			1UL
#define TF_CKT_TRUST_ANCHOR		2UL
#define TF_CKT_NOT_TRUSTED		3UL
#define TF_CKT_TRUST_MUST_VERIFY_TRUST	4UL

/* p11-kit vendor values (pkcs11x.h). */
#define TF_CKA_X_DISTRUSTED		0xD8444764UL
#define TF_CKO_X_TRUST_ASSERTION	0xD8444764UL
#define TF_CKA_X_ASSERTION_TYPE		0xD8444701UL
#define TF_CKA_X_CERTIFICATE_VALUE	0xD8444702UL
#define TF_CKA_X_PURPOSE		0xD8444703UL
#define TF_CKA_X_PEER			0xD8444704UL
#define TF_CKT_X_DISTRUSTED_CERTIFICATE 1UL
#define TF_CKT_X_PINNED_CERTIFICATE	2UL
#define TF_CKT_X_ANCHORED_CERTIFICATE	3UL
#define TF_CKO_X_CERTIFICATE_EXTENSION	0xD84447C8UL
#define TF_CKA_X_CRITICAL		0xD8444765UL

/*
 * trustfolder's own attributes, on the certificate and trust objects of a
 * decision (vendor range 0xD446xxxx, "TF"). The command-line tool writes them;
 * other clients may read them.
 *   TF_CKA_DECISION_EXPIRES   CK_ULONG, unix time the decision ends (0: never);
 *                             after it, no view shows positive trust
 *   TF_CKA_PINNED_HOSTS       UTF-8, host names the decision is bound to,
 *                             comma-separated, no NUL (empty: none)
 *   TF_CKA_DECISION_CREATED   CK_ULONG, unix time of the first write (read-only)
 *   TF_CKA_DECISION_CREATOR   UTF-8, the program that made the decision
 */
#define TF_CKA_VENDOR		 0xD4460000UL
#define TF_CKA_DECISION_EXPIRES	 (TF_CKA_VENDOR + 1)
#define TF_CKA_PINNED_HOSTS	 (TF_CKA_VENDOR + 2)
#define TF_CKA_DECISION_CREATED	 (TF_CKA_VENDOR + 3)
#define TF_CKA_DECISION_CREATOR	 (TF_CKA_VENDOR + 4)

#endif /* TRUSTFOLDER_H */
