/*
 * The return values PKCS#11 2.40 (chapter 5) allows each function, for the
 * fuzz targets and tests/unit/test-abuse.c: a code outside its function's
 * list is a bug of the module even when nothing crashes, because a client
 * only knows what to do with the codes it was promised.
 *
 * Each function's own list is the one its section gives; the lists of 5.1
 * are added by flags: the universal codes (5.1.1) to every function, the
 * session codes (5.1.2) to every function that takes a session handle, the
 * token codes (5.1.3) to every function that uses a token,
 * CKR_CRYPTOKI_NOT_INITIALIZED to every function but C_Initialize and the
 * list getters, and CKR_FUNCTION_NOT_SUPPORTED to the functions this module
 * has only as stubs (5.1.6: "this stub should simply return the value
 * CKR_FUNCTION_NOT_SUPPORTED").
 */
#ifndef TF_PKCS11_SPEC_H
#define TF_PKCS11_SPEC_H

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum {
	SPEC_SESSION = 1 << 0, /* takes a session handle: 5.1.2 codes */
	SPEC_TOKEN = 1 << 1,   /* uses a token: 5.1.3 codes */
	SPEC_STUB = 1 << 2,    /* a stub in this module: CKR_FUNCTION_NOT_SUPPORTED */
	SPEC_NO_OK = 1 << 3,   /* a legacy function that cannot return CKR_OK (5.20) */
	SPEC_EARLY = 1 << 4,   /* may be called before C_Initialize: no NOT_INITIALIZED */
};

/* PKCS#11 3.0's, which Debian 12's 2.40 headers do not have. */
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x202UL
#endif

#define SPEC_END ((CK_RV)-1)
#define SPEC_CODES(...)                      \
	(const CK_RV[])                      \
	{                                    \
		__VA_ARGS__, SPEC_END        \
	}

/* Functions that use a session also use its token. */
#define SPEC_ST (SPEC_SESSION | SPEC_TOKEN)

/* The codes every cryptographic operation of chapter 5 lists, for the stubs. */
#define SPEC_CRYPTO_CODES                                                                     \
	SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_DATA_INVALID,                \
		    CKR_DATA_LEN_RANGE, CKR_ENCRYPTED_DATA_INVALID,                           \
		    CKR_ENCRYPTED_DATA_LEN_RANGE, CKR_FUNCTION_CANCELED,                      \
		    CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_KEY_HANDLE_INVALID, CKR_KEY_SIZE_RANGE, \
		    CKR_KEY_TYPE_INCONSISTENT, CKR_MECHANISM_INVALID,                         \
		    CKR_MECHANISM_PARAM_INVALID, CKR_OPERATION_ACTIVE,                        \
		    CKR_OPERATION_NOT_INITIALIZED, CKR_PIN_EXPIRED, CKR_SIGNATURE_INVALID,    \
		    CKR_SIGNATURE_LEN_RANGE, CKR_USER_NOT_LOGGED_IN, CKR_KEY_NOT_WRAPPABLE,   \
		    CKR_KEY_UNEXTRACTABLE, CKR_TEMPLATE_INCOMPLETE, CKR_TEMPLATE_INCONSISTENT, \
		    CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_TYPE_INVALID,                      \
		    CKR_ATTRIBUTE_VALUE_INVALID, CKR_SESSION_READ_ONLY,                       \
		    CKR_TOKEN_WRITE_PROTECTED, CKR_KEY_INDIGESTIBLE)

/* The functions, for spec_allows; spec_functions[fn].name says which. */
typedef enum {
	SPEC_C_Initialize,
	SPEC_C_Finalize,
	SPEC_C_GetInfo,
	SPEC_C_GetFunctionList,
	SPEC_C_GetInterfaceList,
	SPEC_C_GetInterface,
	SPEC_C_GetSlotList,
	SPEC_C_GetSlotInfo,
	SPEC_C_GetTokenInfo,
	SPEC_C_WaitForSlotEvent,
	SPEC_C_GetMechanismList,
	SPEC_C_GetMechanismInfo,
	SPEC_C_InitToken,
	SPEC_C_InitPIN,
	SPEC_C_SetPIN,
	SPEC_C_OpenSession,
	SPEC_C_CloseSession,
	SPEC_C_CloseAllSessions,
	SPEC_C_GetSessionInfo,
	SPEC_C_GetOperationState,
	SPEC_C_SetOperationState,
	SPEC_C_Login,
	SPEC_C_LoginUser,
	SPEC_C_Logout,
	SPEC_C_SessionCancel,
	SPEC_C_CreateObject,
	SPEC_C_CopyObject,
	SPEC_C_DestroyObject,
	SPEC_C_GetObjectSize,
	SPEC_C_GetAttributeValue,
	SPEC_C_SetAttributeValue,
	SPEC_C_FindObjectsInit,
	SPEC_C_FindObjects,
	SPEC_C_FindObjectsFinal,
	SPEC_C_EncryptInit,
	SPEC_C_Encrypt,
	SPEC_C_EncryptUpdate,
	SPEC_C_EncryptFinal,
	SPEC_C_DecryptInit,
	SPEC_C_Decrypt,
	SPEC_C_DecryptUpdate,
	SPEC_C_DecryptFinal,
	SPEC_C_DigestInit,
	SPEC_C_Digest,
	SPEC_C_DigestUpdate,
	SPEC_C_DigestKey,
	SPEC_C_DigestFinal,
	SPEC_C_SignInit,
	SPEC_C_Sign,
	SPEC_C_SignUpdate,
	SPEC_C_SignFinal,
	SPEC_C_SignRecoverInit,
	SPEC_C_SignRecover,
	SPEC_C_VerifyInit,
	SPEC_C_Verify,
	SPEC_C_VerifyUpdate,
	SPEC_C_VerifyFinal,
	SPEC_C_VerifyRecoverInit,
	SPEC_C_VerifyRecover,
	SPEC_C_DigestEncryptUpdate,
	SPEC_C_DecryptDigestUpdate,
	SPEC_C_SignEncryptUpdate,
	SPEC_C_DecryptVerifyUpdate,
	SPEC_C_GenerateKey,
	SPEC_C_GenerateKeyPair,
	SPEC_C_WrapKey,
	SPEC_C_UnwrapKey,
	SPEC_C_DeriveKey,
	SPEC_C_SeedRandom,
	SPEC_C_GenerateRandom,
	SPEC_C_GetFunctionStatus,
	SPEC_C_CancelFunction,
	SPEC_C_Message,
	SPEC_COUNT,
} spec_fn;

typedef struct {
	const char *name;
	unsigned flags;
	const CK_RV *codes;
} spec_function;

static const spec_function spec_functions[SPEC_COUNT] = {
	/* 5.4 general purpose */
	[SPEC_C_Initialize] = { "C_Initialize", SPEC_EARLY,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_CANT_LOCK, CKR_CRYPTOKI_ALREADY_INITIALIZED,
		      CKR_NEED_TO_CREATE_THREADS) },
	[SPEC_C_Finalize] = { "C_Finalize", 0, SPEC_CODES (CKR_ARGUMENTS_BAD) },
	[SPEC_C_GetInfo] = { "C_GetInfo", 0, SPEC_CODES (CKR_ARGUMENTS_BAD) },
	[SPEC_C_GetFunctionList] = { "C_GetFunctionList", SPEC_EARLY, SPEC_CODES (CKR_ARGUMENTS_BAD) },
	/* 3.0 additions; both may be called before C_Initialize */
	[SPEC_C_GetInterfaceList] = { "C_GetInterfaceList", SPEC_EARLY, SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL) },
	[SPEC_C_GetInterface] = { "C_GetInterface", SPEC_EARLY, SPEC_CODES (CKR_ARGUMENTS_BAD) },
	/* 5.5 slots and tokens */
	[SPEC_C_GetSlotList] = { "C_GetSlotList", 0, SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL) },
	[SPEC_C_GetSlotInfo] = { "C_GetSlotInfo", 0,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_DEVICE_ERROR, CKR_SLOT_ID_INVALID) },
	[SPEC_C_GetTokenInfo] = { "C_GetTokenInfo", SPEC_TOKEN,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_RECOGNIZED) },
	[SPEC_C_WaitForSlotEvent] = { "C_WaitForSlotEvent", SPEC_STUB, SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_NO_EVENT) },
	[SPEC_C_GetMechanismList] = { "C_GetMechanismList", SPEC_TOKEN,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_SLOT_ID_INVALID,
		      CKR_TOKEN_NOT_RECOGNIZED) },
	[SPEC_C_GetMechanismInfo] = { "C_GetMechanismInfo", SPEC_TOKEN,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_MECHANISM_INVALID, CKR_SLOT_ID_INVALID,
		      CKR_TOKEN_NOT_RECOGNIZED) },
	[SPEC_C_InitToken] = { "C_InitToken", SPEC_TOKEN | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_PIN_INCORRECT, CKR_PIN_LOCKED,
		      CKR_SESSION_EXISTS, CKR_SLOT_ID_INVALID, CKR_TOKEN_NOT_RECOGNIZED,
		      CKR_TOKEN_WRITE_PROTECTED) },
	[SPEC_C_InitPIN] = { "C_InitPIN", SPEC_ST | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_PIN_INVALID,
		      CKR_PIN_LEN_RANGE, CKR_SESSION_READ_ONLY, CKR_TOKEN_WRITE_PROTECTED,
		      CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_SetPIN] = { "C_SetPIN", SPEC_ST | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_PIN_INCORRECT,
		      CKR_PIN_INVALID, CKR_PIN_LEN_RANGE, CKR_PIN_LOCKED, CKR_SESSION_READ_ONLY,
		      CKR_TOKEN_WRITE_PROTECTED) },
	/* 5.6 sessions */
	[SPEC_C_OpenSession] = { "C_OpenSession", SPEC_TOKEN,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_SESSION_COUNT, CKR_SESSION_PARALLEL_NOT_SUPPORTED,
		      CKR_SESSION_READ_WRITE_SO_EXISTS, CKR_SLOT_ID_INVALID,
		      CKR_TOKEN_NOT_RECOGNIZED, CKR_TOKEN_WRITE_PROTECTED) },
	[SPEC_C_CloseSession] = { "C_CloseSession", SPEC_ST, SPEC_CODES (CKR_OK) },
	[SPEC_C_CloseAllSessions] = { "C_CloseAllSessions", SPEC_TOKEN, SPEC_CODES (CKR_SLOT_ID_INVALID) },
	[SPEC_C_GetSessionInfo] = { "C_GetSessionInfo", SPEC_ST, SPEC_CODES (CKR_ARGUMENTS_BAD) },
	[SPEC_C_GetOperationState] = { "C_GetOperationState", SPEC_ST | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_BUFFER_TOO_SMALL, CKR_OPERATION_NOT_INITIALIZED,
		      CKR_STATE_UNSAVEABLE) },
	[SPEC_C_SetOperationState] = { "C_SetOperationState", SPEC_ST | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_KEY_CHANGED, CKR_KEY_NEEDED, CKR_KEY_NOT_NEEDED,
		      CKR_SAVED_STATE_INVALID) },
	[SPEC_C_Login] = { "C_Login", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_OPERATION_NOT_INITIALIZED,
		      CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_SESSION_READ_ONLY_EXISTS,
		      CKR_USER_ALREADY_LOGGED_IN, CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
		      CKR_USER_PIN_NOT_INITIALIZED, CKR_USER_TOO_MANY_TYPES,
		      CKR_USER_TYPE_INVALID) },
	[SPEC_C_LoginUser] = { "C_LoginUser", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_OPERATION_NOT_INITIALIZED,
		      CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_SESSION_READ_ONLY_EXISTS,
		      CKR_USER_ALREADY_LOGGED_IN, CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
		      CKR_USER_PIN_NOT_INITIALIZED, CKR_USER_TOO_MANY_TYPES,
		      CKR_USER_TYPE_INVALID) },
	[SPEC_C_Logout] = { "C_Logout", SPEC_ST, SPEC_CODES (CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_SessionCancel] = { "C_SessionCancel", SPEC_ST | SPEC_STUB,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_OPERATION_CANCEL_FAILED) },
	/* 5.7 objects */
	[SPEC_C_CreateObject] = { "C_CreateObject", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_TYPE_INVALID,
		      CKR_ATTRIBUTE_VALUE_INVALID, CKR_CURVE_NOT_SUPPORTED,
		      CKR_DOMAIN_PARAMS_INVALID, CKR_PIN_EXPIRED, CKR_SESSION_READ_ONLY,
		      CKR_TEMPLATE_INCOMPLETE, CKR_TEMPLATE_INCONSISTENT,
		      CKR_TOKEN_WRITE_PROTECTED, CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_CopyObject] = { "C_CopyObject", SPEC_ST,
	  SPEC_CODES (CKR_ACTION_PROHIBITED, CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_READ_ONLY,
		      CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID,
		      CKR_OBJECT_HANDLE_INVALID, CKR_PIN_EXPIRED, CKR_SESSION_READ_ONLY,
		      CKR_TEMPLATE_INCONSISTENT, CKR_TOKEN_WRITE_PROTECTED,
		      CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_DestroyObject] = { "C_DestroyObject", SPEC_ST,
	  SPEC_CODES (CKR_ACTION_PROHIBITED, CKR_OBJECT_HANDLE_INVALID, CKR_PIN_EXPIRED,
		      CKR_SESSION_READ_ONLY, CKR_TOKEN_WRITE_PROTECTED) },
	[SPEC_C_GetObjectSize] = { "C_GetObjectSize", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_INFORMATION_SENSITIVE, CKR_OBJECT_HANDLE_INVALID) },
	[SPEC_C_GetAttributeValue] = { "C_GetAttributeValue", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID,
		      CKR_BUFFER_TOO_SMALL, CKR_OBJECT_HANDLE_INVALID) },
	[SPEC_C_SetAttributeValue] = { "C_SetAttributeValue", SPEC_ST,
	  SPEC_CODES (CKR_ACTION_PROHIBITED, CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_READ_ONLY,
		      CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID,
		      CKR_OBJECT_HANDLE_INVALID, CKR_SESSION_READ_ONLY, CKR_TEMPLATE_INCONSISTENT,
		      CKR_TOKEN_WRITE_PROTECTED, CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_FindObjectsInit] = { "C_FindObjectsInit", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID,
		      CKR_OPERATION_ACTIVE, CKR_PIN_EXPIRED) },
	[SPEC_C_FindObjects] = { "C_FindObjects", SPEC_ST, SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_OPERATION_NOT_INITIALIZED) },
	[SPEC_C_FindObjectsFinal] = { "C_FindObjectsFinal", SPEC_ST, SPEC_CODES (CKR_OPERATION_NOT_INITIALIZED) },
	/* 5.8 to 5.18: cryptography, none of which this module does */
	[SPEC_C_EncryptInit] = { "C_EncryptInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_Encrypt] = { "C_Encrypt", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_EncryptUpdate] = { "C_EncryptUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_EncryptFinal] = { "C_EncryptFinal", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DecryptInit] = { "C_DecryptInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_Decrypt] = { "C_Decrypt", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DecryptUpdate] = { "C_DecryptUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DecryptFinal] = { "C_DecryptFinal", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DigestInit] = { "C_DigestInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_Digest] = { "C_Digest", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DigestUpdate] = { "C_DigestUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DigestKey] = { "C_DigestKey", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DigestFinal] = { "C_DigestFinal", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignInit] = { "C_SignInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_Sign] = { "C_Sign", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignUpdate] = { "C_SignUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignFinal] = { "C_SignFinal", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignRecoverInit] = { "C_SignRecoverInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignRecover] = { "C_SignRecover", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_VerifyInit] = { "C_VerifyInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_Verify] = { "C_Verify", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_VerifyUpdate] = { "C_VerifyUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_VerifyFinal] = { "C_VerifyFinal", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_VerifyRecoverInit] = { "C_VerifyRecoverInit", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_VerifyRecover] = { "C_VerifyRecover", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DigestEncryptUpdate] = { "C_DigestEncryptUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DecryptDigestUpdate] = { "C_DecryptDigestUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_SignEncryptUpdate] = { "C_SignEncryptUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DecryptVerifyUpdate] = { "C_DecryptVerifyUpdate", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_GenerateKey] = { "C_GenerateKey", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_GenerateKeyPair] = { "C_GenerateKeyPair", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_WrapKey] = { "C_WrapKey", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_UnwrapKey] = { "C_UnwrapKey", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	[SPEC_C_DeriveKey] = { "C_DeriveKey", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
	/* 5.19 random numbers */
	[SPEC_C_SeedRandom] = { "C_SeedRandom", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_OPERATION_ACTIVE,
		      CKR_RANDOM_SEED_NOT_SUPPORTED, CKR_RANDOM_NO_RNG, CKR_USER_NOT_LOGGED_IN) },
	[SPEC_C_GenerateRandom] = { "C_GenerateRandom", SPEC_ST,
	  SPEC_CODES (CKR_ARGUMENTS_BAD, CKR_FUNCTION_CANCELED, CKR_OPERATION_ACTIVE,
		      CKR_RANDOM_NO_RNG, CKR_USER_NOT_LOGGED_IN) },
	/* 5.20 legacy parallel functions */
	[SPEC_C_GetFunctionStatus] = { "C_GetFunctionStatus", SPEC_SESSION | SPEC_NO_OK, SPEC_CODES (CKR_FUNCTION_NOT_PARALLEL) },
	[SPEC_C_CancelFunction] = { "C_CancelFunction", SPEC_SESSION | SPEC_NO_OK, SPEC_CODES (CKR_FUNCTION_NOT_PARALLEL) },
	/* 3.0 message functions: stubs, one entry for all twenty */
	[SPEC_C_Message] = { "C_Message*", SPEC_ST | SPEC_STUB, SPEC_CRYPTO_CODES },
};

static inline bool
spec_in (const CK_RV *codes, CK_RV rv)
{
	for (; *codes != SPEC_END; codes++) {
		if (*codes == rv)
			return true;
	}
	return false;
}

/* true when PKCS#11 2.40 allows function fn to return rv. */
static inline bool
spec_allows (spec_fn which, CK_RV rv)
{
	const spec_function *fn = &spec_functions[which];

	if (rv == CKR_OK)
		return !(fn->flags & SPEC_NO_OK);
	/* 5.1.1, universal */
	if (rv == CKR_GENERAL_ERROR || rv == CKR_HOST_MEMORY || rv == CKR_FUNCTION_FAILED)
		return true;
	if (rv == CKR_CRYPTOKI_NOT_INITIALIZED)
		return !(fn->flags & SPEC_EARLY);
	/* 5.1.2, functions with a session handle */
	if ((fn->flags & SPEC_SESSION) &&
	    (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_REMOVED ||
	     rv == CKR_SESSION_CLOSED))
		return true;
	/* 5.1.3, functions that use a token */
	if ((fn->flags & SPEC_TOKEN) &&
	    (rv == CKR_DEVICE_MEMORY || rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_PRESENT ||
	     rv == CKR_DEVICE_REMOVED))
		return true;
	if ((fn->flags & SPEC_STUB) && rv == CKR_FUNCTION_NOT_SUPPORTED)
		return true;
	return spec_in (fn->codes, rv);
}

/* The CKR_ name of a code, for messages ("0x..." in buf when unknown). */
static inline const char *
spec_rv_name (CK_RV rv, char *buf, size_t len)
{
#define SPEC_NAME(x) { x, #x }
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
		SPEC_NAME (CKR_OK),
		SPEC_NAME (CKR_CANCEL),
		SPEC_NAME (CKR_HOST_MEMORY),
		SPEC_NAME (CKR_SLOT_ID_INVALID),
		SPEC_NAME (CKR_GENERAL_ERROR),
		SPEC_NAME (CKR_FUNCTION_FAILED),
		SPEC_NAME (CKR_ARGUMENTS_BAD),
		SPEC_NAME (CKR_NO_EVENT),
		SPEC_NAME (CKR_NEED_TO_CREATE_THREADS),
		SPEC_NAME (CKR_CANT_LOCK),
		SPEC_NAME (CKR_ATTRIBUTE_READ_ONLY),
		SPEC_NAME (CKR_ATTRIBUTE_SENSITIVE),
		SPEC_NAME (CKR_ATTRIBUTE_TYPE_INVALID),
		SPEC_NAME (CKR_ATTRIBUTE_VALUE_INVALID),
		SPEC_NAME (CKR_ACTION_PROHIBITED),
		SPEC_NAME (CKR_DATA_INVALID),
		SPEC_NAME (CKR_DATA_LEN_RANGE),
		SPEC_NAME (CKR_DEVICE_ERROR),
		SPEC_NAME (CKR_DEVICE_MEMORY),
		SPEC_NAME (CKR_DEVICE_REMOVED),
		SPEC_NAME (CKR_FUNCTION_CANCELED),
		SPEC_NAME (CKR_FUNCTION_NOT_PARALLEL),
		SPEC_NAME (CKR_FUNCTION_NOT_SUPPORTED),
		SPEC_NAME (CKR_KEY_HANDLE_INVALID),
		SPEC_NAME (CKR_MECHANISM_INVALID),
		SPEC_NAME (CKR_OBJECT_HANDLE_INVALID),
		SPEC_NAME (CKR_OPERATION_ACTIVE),
		SPEC_NAME (CKR_OPERATION_NOT_INITIALIZED),
		SPEC_NAME (CKR_PIN_INCORRECT),
		SPEC_NAME (CKR_SESSION_CLOSED),
		SPEC_NAME (CKR_SESSION_COUNT),
		SPEC_NAME (CKR_SESSION_HANDLE_INVALID),
		SPEC_NAME (CKR_SESSION_PARALLEL_NOT_SUPPORTED),
		SPEC_NAME (CKR_SESSION_READ_ONLY),
		SPEC_NAME (CKR_SESSION_EXISTS),
		SPEC_NAME (CKR_SESSION_READ_ONLY_EXISTS),
		SPEC_NAME (CKR_SESSION_READ_WRITE_SO_EXISTS),
		SPEC_NAME (CKR_TEMPLATE_INCOMPLETE),
		SPEC_NAME (CKR_TEMPLATE_INCONSISTENT),
		SPEC_NAME (CKR_TOKEN_NOT_PRESENT),
		SPEC_NAME (CKR_TOKEN_NOT_RECOGNIZED),
		SPEC_NAME (CKR_TOKEN_WRITE_PROTECTED),
		SPEC_NAME (CKR_USER_ALREADY_LOGGED_IN),
		SPEC_NAME (CKR_USER_NOT_LOGGED_IN),
		SPEC_NAME (CKR_USER_PIN_NOT_INITIALIZED),
		SPEC_NAME (CKR_USER_TYPE_INVALID),
		SPEC_NAME (CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
		SPEC_NAME (CKR_BUFFER_TOO_SMALL),
		SPEC_NAME (CKR_RANDOM_NO_RNG),
		SPEC_NAME (CKR_CRYPTOKI_NOT_INITIALIZED),
		SPEC_NAME (CKR_CRYPTOKI_ALREADY_INITIALIZED),
	};
#undef SPEC_NAME
	size_t i;

	for (i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
		if (names[i].rv == rv)
			return names[i].name;
	}
	snprintf (buf, len, "0x%lx", (unsigned long)rv);
	return buf;
}

#endif /* TF_PKCS11_SPEC_H */
