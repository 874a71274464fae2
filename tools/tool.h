/*
 * trustfolder, the command: what every part of it shares.
 *
 * The command is a PKCS#11 client of trustfolder-pkcs11.so (client.c loads
 * it with dlopen and speaks PKCS#11 to it, as NSS does), plus OpenSSL for
 * what a certificate viewer shows, for export and for verification. Each
 * command lives in a file of its own; this header holds the options every
 * command is parsed into, the exit statuses and the message helpers.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOOL_VERSION "0.1"

/* Exit statuses, documented in trustfolder.1 ("EXIT STATUS"). */
enum {
	TOOL_OK = 0,	 /* done; for verify: trusted */
	TOOL_FAILED = 1, /* verify: not trusted; or the operation failed */
	TOOL_USAGE = 2,	 /* bad usage or bad input: nothing was changed */
};

/* Purposes, as bits; the order is NSS's trust attributes' (client.c). */
enum {
	PURPOSE_SERVER = 1 << 0,
	PURPOSE_CLIENT = 1 << 1,
	PURPOSE_CODE = 1 << 2,
	PURPOSE_EMAIL = 1 << 3,
	PURPOSE_ALL = 0xf,
};

/* What accept records a certificate as. */
typedef enum {
	AS_DEFAULT = 0, /* a CA when basicConstraints says CA:TRUE, else a peer */
	AS_CA,		/* a trust anchor: trusted to issue */
	AS_PEER,	/* trusted on its own, for itself only */
} tool_as;

/* show --fields, as bits. */
enum {
	FIELDS_V1 = 1 << 0,
	FIELDS_EXTENSIONS = 1 << 1,
	FIELDS_CRITICAL = 1 << 2,
	FIELDS_PROPERTIES = 1 << 3,
	FIELDS_ALL = FIELDS_V1 | FIELDS_EXTENSIONS | FIELDS_PROPERTIES,
};

/* Export formats. */
typedef enum {
	FORMAT_NONE = 0,
	FORMAT_DER,
	FORMAT_PEM,
	FORMAT_P7B,	/* PKCS#7 certificates-only SignedData, DER */
	FORMAT_P7B_PEM, /* the same, Base-64 with "-----BEGIN PKCS7-----" */
} tool_format;

/* Everything a command line can say; args.c fills it, a command reads it. */
typedef struct {
	const char *command; /* the command's name, for messages */
	const char *module;  /* --module PATH; NULL: the default module */
	const char *store;   /* --store PATH; NULL: the module's own choice */

	bool forever;	/* --forever */
	bool session;	/* --session */
	bool all;	/* --all */
	bool json;	/* --json */
	bool keep_cert; /* --keep-cert */
	bool reject;	/* import --reject */

	tool_as as;	       /* --as */
	unsigned purposes;     /* --purpose bits; 0: the command's default */
	char *hosts;	       /* --host, comma-joined, lower-case; NULL: none */
	size_t n_hosts;	       /* how many --host names hosts holds */
	bool has_until;	       /* --until given */
	int64_t until;	       /* --until, unix time */
	const char *label;     /* --label */
	tool_format format;    /* --format */
	const char *output;    /* -o, --output */
	unsigned fields;       /* --fields bits; 0: all */
	const char *connect;   /* verify --connect HOST:PORT */

	char **args; /* operands (CERT, FILE...) */
	int n_args;
} tool_opts;

/* Frees what args_parse allocated in opts. */
void tool_opts_clear (tool_opts *opts);

/* The commands (one file each, except the decisions in decide.c). */
int cmd_list (tool_opts *opts);
int cmd_show (tool_opts *opts);
int cmd_accept (tool_opts *opts);
int cmd_reject (tool_opts *opts);
int cmd_forget (tool_opts *opts);
int cmd_import (tool_opts *opts);
int cmd_export (tool_opts *opts);
int cmd_verify (tool_opts *opts);

/*
 * Messages on standard error, each "trustfolder COMMAND: ...": tool_error
 * for what stops the command, tool_warn for what the user should know,
 * tool_note for information. The command name is set once by main.
 */
void tool_set_command (const char *command);
void tool_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void tool_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void tool_note (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

struct client;

/*
 * The module, loaded at first use with --module and --store, and kept for
 * the rest of the command (main closes it). NULL after a message.
 */
struct client *tool_client (const tool_opts *opts);

/* A purpose bit's name ("server", ...) and its long name ("server authentication"). */
const char *tool_purpose_name (unsigned bit);
const char *tool_purpose_long (unsigned bit);

#endif /* TOOL_H */
