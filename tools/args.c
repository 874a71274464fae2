/*
 * Command lines. See args.h.
 */
#include "args.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Option ids for getopt_long beyond the characters of the short options. */
enum {
	ID_MODULE = 256,
	ID_STORE,
	ID_FOREVER,
	ID_SESSION,
	ID_ALL,
	ID_JSON,
	ID_KEEP_CERT,
	ID_REJECT,
	ID_AS,
	ID_PURPOSE,
	ID_HOST,
	ID_UNTIL,
	ID_LABEL,
	ID_FORMAT,
	ID_FIELDS,
	ID_CONNECT,
	ID_OUTPUT = 'o',
	ID_HELP = 'h',
};

static const struct {
	unsigned bit;
	struct option opt;
} table[] = {
	{ OPT_MODULE, { "module", required_argument, NULL, ID_MODULE } },
	{ OPT_STORE, { "store", required_argument, NULL, ID_STORE } },
	{ OPT_FOREVER, { "forever", no_argument, NULL, ID_FOREVER } },
	{ OPT_SESSION, { "session", no_argument, NULL, ID_SESSION } },
	{ OPT_ALL, { "all", no_argument, NULL, ID_ALL } },
	{ OPT_JSON, { "json", no_argument, NULL, ID_JSON } },
	{ OPT_KEEP_CERT, { "keep-cert", no_argument, NULL, ID_KEEP_CERT } },
	{ OPT_REJECT, { "reject", no_argument, NULL, ID_REJECT } },
	{ OPT_AS, { "as", required_argument, NULL, ID_AS } },
	{ OPT_PURPOSE, { "purpose", required_argument, NULL, ID_PURPOSE } },
	{ OPT_HOST, { "host", required_argument, NULL, ID_HOST } },
	{ OPT_UNTIL, { "until", required_argument, NULL, ID_UNTIL } },
	{ OPT_LABEL, { "label", required_argument, NULL, ID_LABEL } },
	{ OPT_FORMAT, { "format", required_argument, NULL, ID_FORMAT } },
	{ OPT_OUTPUT, { "output", required_argument, NULL, ID_OUTPUT } },
	{ OPT_FIELDS, { "fields", required_argument, NULL, ID_FIELDS } },
	{ OPT_CONNECT, { "connect", required_argument, NULL, ID_CONNECT } },
	{ OPT_HELP, { "help", no_argument, NULL, ID_HELP } },
};

#define N_TABLE (sizeof (table) / sizeof (table[0]))

static const char *const purpose_names[] = { "server", "client", "code", "email" };
static const char *const purpose_long[] = {
	"server authentication",
	"client authentication",
	"code signing",
	"e-mail protection",
};

static int
purpose_index (unsigned bit)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (bit == 1u << i)
			return i;
	}
	return 0;
}

const char *
tool_purpose_name (unsigned bit)
{
	return purpose_names[purpose_index (bit)];
}

const char *
tool_purpose_long (unsigned bit)
{
	return purpose_long[purpose_index (bit)];
}

void
tool_opts_clear (tool_opts *opts)
{
	free (opts->hosts);
	free (opts->args);
	opts->hosts = NULL;
	opts->n_hosts = 0;
	opts->args = NULL;
	opts->n_args = 0;
}

/* Calls fn on each comma-separated word of list; false as soon as fn says so. */
static bool
each_word (const char *list, bool (*fn) (const char *word, size_t len, void *ctx), void *ctx)
{
	const char *p = list, *comma;
	size_t len;

	for (;;) {
		comma = strchr (p, ',');
		len = comma ? (size_t)(comma - p) : strlen (p);
		if (!fn (p, len, ctx))
			return false;
		if (comma == NULL)
			return true;
		p = comma + 1;
	}
}

static bool
word_is (const char *word, size_t len, const char *name)
{
	return len == strlen (name) && strncmp (word, name, len) == 0;
}

static bool
one_purpose (const char *word, size_t len, void *ctx)
{
	unsigned *bits = ctx;
	int i;

	if (word_is (word, len, "all")) {
		*bits |= PURPOSE_ALL;
		return true;
	}
	for (i = 0; i < 4; i++) {
		if (word_is (word, len, purpose_names[i])) {
			*bits |= 1u << i;
			return true;
		}
	}
	tool_error ("--purpose: unknown purpose \"%.*s\" (server, client, email, code or all)",
		    (int)len, word);
	return false;
}

static bool
one_field (const char *word, size_t len, void *ctx)
{
	static const struct {
		const char *name;
		unsigned bits;
	} fields[] = {
		{ "all", FIELDS_ALL },
		{ "v1", FIELDS_V1 },
		{ "extensions", FIELDS_EXTENSIONS },
		{ "critical", FIELDS_CRITICAL },
		{ "properties", FIELDS_PROPERTIES },
	};
	unsigned *bits = ctx;
	size_t i;

	for (i = 0; i < sizeof (fields) / sizeof (fields[0]); i++) {
		if (word_is (word, len, fields[i].name)) {
			*bits |= fields[i].bits;
			return true;
		}
	}
	tool_error ("--fields: unknown group \"%.*s\" (all, v1, extensions, critical, "
		    "properties)",
		    (int)len, word);
	return false;
}

/*
 * Host names to pin: DNS names or addresses, what the module accepts
 * (letters, digits, - . : * [ ]), kept lower-case and comma-joined.
 */
static bool
one_host (const char *word, size_t len, void *ctx)
{
	tool_opts *opts = ctx;
	size_t old, i;
	char *grown;

	if (len == 0) {
		tool_error ("--host: an empty host name");
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)word[i];
		if (!isalnum (ch) && ch != '-' && ch != '.' && ch != ':' && ch != '*' &&
		    ch != '[' && ch != ']') {
			tool_error ("--host %.*s: a host name holds only letters, digits and "
				    "- . : * [ ]",
				    (int)len, word);
			return false;
		}
	}
	old = opts->hosts ? strlen (opts->hosts) : 0;
	grown = realloc (opts->hosts, old + len + 2);
	if (grown == NULL) {
		tool_error ("out of memory");
		return false;
	}
	opts->hosts = grown;
	if (old > 0)
		opts->hosts[old++] = ',';
	for (i = 0; i < len; i++)
		opts->hosts[old + i] = (char)tolower ((unsigned char)word[i]);
	opts->hosts[old + len] = '\0';
	opts->n_hosts++;
	return true;
}

static bool
parse_format (const char *text, tool_format *out)
{
	static const struct {
		const char *name;
		tool_format format;
	} formats[] = {
		{ "der", FORMAT_DER },
		{ "pem", FORMAT_PEM },
		{ "p7b", FORMAT_P7B },
		{ "p7b-pem", FORMAT_P7B_PEM },
	};
	size_t i;

	for (i = 0; i < sizeof (formats) / sizeof (formats[0]); i++) {
		if (strcmp (text, formats[i].name) == 0) {
			*out = formats[i].format;
			return true;
		}
	}
	tool_error ("--format %s: unknown format (der, pem, p7b or p7b-pem)", text);
	return false;
}

/* Every character of s was consumed by sscanf (n is its %n). */
static bool
consumed (const char *s, int n)
{
	return n > 0 && s[n] == '\0';
}

bool
args_parse_date (const char *text, int64_t now, int64_t *out)
{
	int year, mon, day, hour = 0, min = 0, sec = 0, n = 0;
	long long value;
	char unit, sep, zone;
	struct tm tm, check;
	time_t t;

	if (sscanf (text, "@%lld%n", &value, &n) == 1 && consumed (text, n) && value >= 0) {
		*out = (int64_t)value;
		return true;
	}
	n = 0;
	if (sscanf (text, "+%lld%c%n", &value, &unit, &n) == 2 && consumed (text, n) &&
	    value >= 0) {
		long long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600
			       : unit == 'd' ? 86400 : unit == 'w' ? 604800 : 0;
		if (mult == 0 || value > (LLONG_MAX - now) / mult)
			return false;
		*out = now + (int64_t)(value * mult);
		return true;
	}
	n = 0;
	if (sscanf (text, "%4d-%2d-%2d%n", &year, &mon, &day, &n) != 3 || n != 10)
		return false;
	if (text[10] != '\0') {
		int m = 0;
		const char *rest = text + 10;

		/* [T ]HH:MM, then :SS, then Z, each optional after HH:MM. */
		if (sscanf (rest, "%c%2d:%2d%n", &sep, &hour, &min, &m) != 3 || m != 6 ||
		    (sep != 'T' && sep != ' '))
			return false;
		rest += m;
		if (rest[0] == ':') {
			if (sscanf (rest, ":%2d%n", &sec, &m) != 1 || m != 3)
				return false;
			rest += m;
		}
		if (rest[0] != '\0') {
			if (sscanf (rest, "%c%n", &zone, &m) != 1 || zone != 'Z' || rest[1] != '\0')
				return false;
		}
	}
	memset (&tm, 0, sizeof (tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm (&tm);
	/* timegm normalizes 2025-02-30; a real date comes back unchanged. */
	if (t == (time_t)-1 || t < 0 || gmtime_r (&t, &check) == NULL ||
	    check.tm_year != year - 1900 || check.tm_mon != mon - 1 || check.tm_mday != day ||
	    check.tm_hour != hour || check.tm_min != min || check.tm_sec != sec)
		return false;
	*out = (int64_t)t;
	return true;
}

args_result
args_parse (int argc, char **argv, unsigned allowed, tool_opts *opts)
{
	struct option longopts[N_TABLE + 1];
	char shortopts[8];
	size_t i, n = 0;
	int c;

	memset (longopts, 0, sizeof (longopts));
	for (i = 0; i < N_TABLE; i++) {
		if (allowed & table[i].bit)
			longopts[n++] = table[i].opt;
	}
	/*
	 * Options and operands may be mixed ('-': operands come back as 1, in
	 * order); "--" ends the options; ':' reports a missing value as ':'.
	 */
	shortopts[0] = '-';
	shortopts[1] = ':';
	n = 2;
	if (allowed & OPT_HELP)
		shortopts[n++] = 'h';
	if (allowed & OPT_OUTPUT) {
		shortopts[n++] = 'o';
		shortopts[n++] = ':';
	}
	shortopts[n] = '\0';

	opts->args = calloc ((size_t)argc + 1, sizeof (char *));
	if (opts->args == NULL) {
		tool_error ("out of memory");
		return ARGS_BAD;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			opts->args[opts->n_args++] = optarg;
			break;
		case ID_HELP:
			return ARGS_HELP;
		case ID_MODULE:
			opts->module = optarg;
			break;
		case ID_STORE:
			opts->store = optarg;
			break;
		case ID_FOREVER:
			opts->forever = true;
			break;
		case ID_SESSION:
			opts->session = true;
			break;
		case ID_ALL:
			opts->all = true;
			break;
		case ID_JSON:
			opts->json = true;
			break;
		case ID_KEEP_CERT:
			opts->keep_cert = true;
			break;
		case ID_REJECT:
			opts->reject = true;
			break;
		case ID_AS:
			if (strcmp (optarg, "ca") == 0) {
				opts->as = AS_CA;
			} else if (strcmp (optarg, "peer") == 0) {
				opts->as = AS_PEER;
			} else {
				tool_error ("--as %s: expected ca or peer", optarg);
				return ARGS_BAD;
			}
			break;
		case ID_PURPOSE:
			if (!each_word (optarg, one_purpose, &opts->purposes))
				return ARGS_BAD;
			break;
		case ID_HOST:
			if (!each_word (optarg, one_host, opts))
				return ARGS_BAD;
			break;
		case ID_UNTIL:
			if (!args_parse_date (optarg, (int64_t)time (NULL), &opts->until)) {
				tool_error ("--until %s: not a date (YYYY-MM-DD, "
					    "YYYY-MM-DDTHH:MM[:SS][Z] in UTC, @UNIXTIME, or +N "
					    "with s, m, h, d or w)",
					    optarg);
				return ARGS_BAD;
			}
			opts->has_until = true;
			break;
		case ID_LABEL:
			if (optarg[0] == '\0') {
				tool_error ("--label: the label is empty");
				return ARGS_BAD;
			}
			opts->label = optarg;
			break;
		case ID_FORMAT:
			if (!parse_format (optarg, &opts->format))
				return ARGS_BAD;
			break;
		case ID_OUTPUT:
			opts->output = optarg;
			break;
		case ID_FIELDS:
			if (!each_word (optarg, one_field, &opts->fields))
				return ARGS_BAD;
			break;
		case ID_CONNECT:
			opts->connect = optarg;
			break;
		case ':':
			tool_error ("option %s needs a value", argv[optind - 1]);
			return ARGS_BAD;
		default:
			if (optopt != 0 && optopt < 256)
				tool_error ("unknown option -%c", optopt);
			else
				tool_error ("unknown option %s", argv[optind - 1]);
			return ARGS_BAD;
		}
	}
	for (; optind < argc; optind++)
		opts->args[opts->n_args++] = argv[optind];
	return ARGS_OK;
}
