/*
 * Where the module's settings come from: the C_Initialize parameter string
 * (key=value words), the environment, the config file, then defaults
 * (DESIGN.md, "Store"). For each setting the first source that names it wins.
 */
#ifndef TF_CONFIG_H
#define TF_CONFIG_H

#include <p11-kit/pkcs11.h>
#include <stdbool.h>

typedef enum {
	TF_SESSION_MEMORY,  /* "this session" lives in the process */
	TF_SESSION_RUNTIME, /* kept under $XDG_RUNTIME_DIR, shared by the user's processes */
} tf_session_mode;

typedef struct {
	char *store_path;   /* persistent store file; "" when none can be found (no home) */
	char *session_path; /* runtime session store; NULL unless session=runtime */
	bool read_only;
	bool debug;
	tf_session_mode session_mode;
} tf_config;

/*
 * Fills cfg from params (may be NULL), the environment and the config file.
 * An unknown key or a malformed value is CKR_ARGUMENTS_BAD with a log line,
 * except in the config file, where it is a warning. session=runtime with no
 * $XDG_RUNTIME_DIR is CKR_ARGUMENTS_BAD. On failure cfg holds nothing.
 */
CK_RV tf_config_load (const char *params, tf_config *cfg);

/* Frees what cfg holds. */
void tf_config_clear (tf_config *cfg);

#endif /* TF_CONFIG_H */
