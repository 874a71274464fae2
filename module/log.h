/*
 * Logging, to stderr with a "trustfolder: " prefix. Warnings and errors (a
 * refused template, a damaged store) are always written: they are the log
 * line that goes with a CKR_ code. Debug and info lines only when
 * TRUSTFOLDER_DEBUG or the debug=yes parameter is set. tf_log_last() keeps
 * the last warning or error for the command-line tool.
 */
#ifndef TF_LOG_H
#define TF_LOG_H

#include <stdbool.h>

typedef enum {
	TF_LOG_DEBUG,
	TF_LOG_INFO,
	TF_LOG_WARN,
	TF_LOG_ERROR,
} tf_log_level;

void tf_log_set_debug (bool on);
bool tf_log_debugging (void);
void tf_log (tf_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#define tf_debug(...) tf_log (TF_LOG_DEBUG, __VA_ARGS__)
#define tf_info(...)  tf_log (TF_LOG_INFO, __VA_ARGS__)
#define tf_warn(...)  tf_log (TF_LOG_WARN, __VA_ARGS__)
#define tf_error(...) tf_log (TF_LOG_ERROR, __VA_ARGS__)

/* The last warning or error logged in this process (empty when none). Borrowed. */
const char *tf_log_last (void);

#endif /* TF_LOG_H */
