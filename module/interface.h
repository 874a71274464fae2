/*
 * PKCS#11 3.0 and 3.2 additions that Debian 12's PKCS#11 headers (p11-kit
 * 0.24, version 2.40) lack: interfaces and the longer function lists. The
 * lists extend the 2.40 one, member for member, in the specification's order.
 */
#ifndef TF_INTERFACE_H
#define TF_INTERFACE_H

#include <p11-kit/pkcs11.h>

typedef struct {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} tf_interface;

#define TF_CKF_INTERFACE_FORK_SAFE 0x00000001UL

typedef CK_RV (*tf_fn_session) (CK_SESSION_HANDLE);
typedef CK_RV (*tf_fn_any) (void);

/* The functions 3.0 added, after C_WaitForSlotEvent. */
typedef struct {
	CK_RV (*C_GetInterfaceList) (tf_interface *, CK_ULONG *);
	CK_RV (*C_GetInterface) (CK_UTF8CHAR *, CK_VERSION *, tf_interface **, CK_FLAGS);
	CK_RV (*C_LoginUser) (CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR *, CK_ULONG,
			      CK_UTF8CHAR *, CK_ULONG);
	CK_RV (*C_SessionCancel) (CK_SESSION_HANDLE, CK_FLAGS);
	/* C_MessageEncryptInit ... C_MessageVerifyFinal: 20 message functions. */
	tf_fn_any message[20];
} tf_functions_3_0;

/* The functions 3.2 added after those: C_EncapsulateKey ... C_UnwrapKeyAuthenticated. */
typedef struct {
	tf_fn_any added[12];
} tf_functions_3_2;

typedef struct {
	CK_FUNCTION_LIST base;
	tf_functions_3_0 v30;
} tf_function_list_3_0;

typedef struct {
	CK_FUNCTION_LIST base;
	tf_functions_3_0 v30;
	tf_functions_3_2 v32;
} tf_function_list_3_2;

/* Exported beside C_GetFunctionList; both may be called before C_Initialize. */
CK_RV C_GetInterfaceList (tf_interface *list, CK_ULONG *count);
CK_RV C_GetInterface (CK_UTF8CHAR *name, CK_VERSION *version, tf_interface **out,
		      CK_FLAGS flags);

#endif /* TF_INTERFACE_H */
