/*
 * LD_PRELOAD shim for the integration tests: a process with it loaded cannot
 * dlopen libcrypto, as on a system where OpenSSL's library is missing. The
 * module loads libcrypto with dlopen on first use; this answers that call
 * with the loader's own failure for a name that does not exist, so the
 * module sees a real dlerror() message. Every other dlopen goes through.
 */
#include <dlfcn.h>
#include <string.h>

void *
dlopen (const char *file, int mode)
{
	static void *(*next_dlopen) (const char *, int);

	if (next_dlopen == NULL)
		*(void **)&next_dlopen = dlsym (RTLD_NEXT, "dlopen");
	if (file != NULL && strncmp (file, "libcrypto.so", 12) == 0)
		return next_dlopen ("libcrypto-hidden-by-trustfolder-test.so", mode);
	return next_dlopen (file, mode);
}
