/*
 * Logging to stderr. See log.h for what is written when.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool debugging;
static bool env_read;
static __thread char last_line[512];

void
tf_log_set_debug (bool on)
{
	debugging = on;
	env_read = true;
}

bool
tf_log_debugging (void)
{
	const char *env;

	if (!env_read) {
		env = getenv ("TRUSTFOLDER_DEBUG");
		debugging = env != NULL && env[0] != '\0' && strcmp (env, "0") != 0 &&
			    strcmp (env, "no") != 0 && strcmp (env, "false") != 0 &&
			    strcmp (env, "off") != 0;
		env_read = true;
	}
	return debugging;
}

void
tf_log (tf_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	char line[sizeof (last_line)];
	va_list va;

	if (level < TF_LOG_WARN && !tf_log_debugging ())
		return;

	va_start (va, fmt);
	vsnprintf (line, sizeof (line), fmt, va);
	va_end (va);

	if (level >= TF_LOG_WARN)
		memcpy (last_line, line, sizeof (last_line));
	fprintf (stderr, "trustfolder: %s: %s\n", names[level], line);
}

const char *
tf_log_last (void)
{
	return last_line;
}
