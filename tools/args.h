/*
 * Command lines: the options every command may accept, parsed with
 * getopt_long into a tool_opts, and the values checked (purposes, dates,
 * host names, formats) before any command runs, so that bad usage never
 * reaches the store.
 */
#ifndef TOOL_ARGS_H
#define TOOL_ARGS_H

#include "tool.h"

/* The options, as bits of the set a command accepts. */
enum {
	OPT_MODULE = 1u << 0,
	OPT_STORE = 1u << 1,
	OPT_FOREVER = 1u << 2,
	OPT_SESSION = 1u << 3,
	OPT_ALL = 1u << 4,
	OPT_JSON = 1u << 5,
	OPT_KEEP_CERT = 1u << 6,
	OPT_REJECT = 1u << 7,
	OPT_AS = 1u << 8,
	OPT_PURPOSE = 1u << 9,
	OPT_HOST = 1u << 10,
	OPT_UNTIL = 1u << 11,
	OPT_LABEL = 1u << 12,
	OPT_FORMAT = 1u << 13,
	OPT_OUTPUT = 1u << 14,
	OPT_FIELDS = 1u << 15,
	OPT_CONNECT = 1u << 16,
	OPT_HELP = 1u << 17,
};

/* Accepted by every command. */
#define OPT_COMMON (OPT_MODULE | OPT_STORE | OPT_HELP)

typedef enum {
	ARGS_OK,
	ARGS_HELP, /* --help: print the command's help, exit 0 */
	ARGS_BAD,  /* bad usage, already reported */
} args_result;

/*
 * Parses argv (argv[0] is the program; the command's name already taken
 * out) with the options in allowed into opts. Operands are left in
 * opts->args. Reports bad usage itself.
 */
args_result args_parse (int argc, char **argv, unsigned allowed, tool_opts *opts);

/*
 * A date for --until: YYYY-MM-DD (00:00:00 UTC that day),
 * YYYY-MM-DD[T ]HH:MM[:SS][Z] (UTC), @UNIXTIME, or +N with a unit s, m, h,
 * d or w (from now). now is the present, for the relative form.
 */
bool args_parse_date (const char *text, int64_t now, int64_t *out);

#endif /* TOOL_ARGS_H */
