/*
 * The decisions a certificate can be in, and the ledger: the log in which a
 * writer promises nothing it has not been told CKR_OK for. See stress.h.
 */
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- states -------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *certutil; /* certutil -L's trust column */
	CK_ULONG nss[4];      /* server, client, code signing, e-mail */
	int levels[4];        /* tf_level: 1 anchor, 2 peer, 3 CA, 4 must verify, 5 distrusted */
} states[ST_COUNT] = {
    [ST_ABSENT] = {"absent", NULL, {0}, {0}},
    [ST_CERT] = {"cert", ",,", {0}, {0}},
    /* certutil -t "C,," (CONTRACT.md) */
    [ST_CA] = {"ca",
               "C,,",
               {NSS_CKT_TRUSTED_DELEGATOR, NSS_CKT_VALID_DELEGATOR, NSS_CKT_MUST_VERIFY_TRUST,
                NSS_CKT_MUST_VERIFY_TRUST},
               {1, 3, 4, 4}},
    /* certutil -t "P,," */
    [ST_PEER] = {"peer",
                 "P,,",
                 {NSS_CKT_TRUSTED, NSS_CKT_MUST_VERIFY_TRUST, NSS_CKT_MUST_VERIFY_TRUST,
                  NSS_CKT_MUST_VERIFY_TRUST},
                 {2, 4, 4, 4}},
    /* certutil -t "p,p,p" */
    [ST_DISTRUST] = {"distrust",
                     "p,p,p",
                     {NSS_CKT_NOT_TRUSTED, NSS_CKT_NOT_TRUSTED, NSS_CKT_NOT_TRUSTED,
                      NSS_CKT_NOT_TRUSTED},
                     {5, 5, 5, 5}},
    [ST_BLOCK] = {"block",
                  NULL,
                  {NSS_CKT_NOT_TRUSTED, NSS_CKT_NOT_TRUSTED, NSS_CKT_NOT_TRUSTED,
                   NSS_CKT_NOT_TRUSTED},
                  {5, 5, 5, 5}},
};

const char *
state_name (state s)
{
	return s < ST_COUNT ? states[s].name : "bad";
}

state
state_parse (const char *s)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (strcmp (s, states[i].name) == 0)
			return (state)i;
	}
	return ST_BAD;
}

bool
state_has_cert (state s)
{
	return s == ST_CERT || s == ST_CA || s == ST_PEER || s == ST_DISTRUST;
}

bool
state_has_trust (state s)
{
	return s == ST_CA || s == ST_PEER || s == ST_DISTRUST || s == ST_BLOCK;
}

const char *
state_certutil_flags (state s)
{
	return s < ST_COUNT ? states[s].certutil : NULL;
}

const CK_ULONG *
state_nss_trust (state s)
{
	return state_has_trust (s) ? states[s].nss : NULL;
}

const int *
state_levels (state s)
{
	return state_has_trust (s) ? states[s].levels : NULL;
}

/* ---- odds and ends --------------------------------------------------------- */

void
die (const char *fmt, ...)
{
	va_list va;

	fputs ("tf-stress: ", stderr);
	va_start (va, fmt);
	vfprintf (stderr, fmt, va);
	va_end (va);
	fputc ('\n', stderr);
	exit (2);
}

uint64_t
rng_next (uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

size_t
rng_below (uint64_t *s, size_t n)
{
	return (size_t)(rng_next (s) % n);
}

/* ---- the ledger ------------------------------------------------------------ */

static void
put_line (ledger *l, const char *fmt, ...)
{
	char line[128];
	va_list va;
	int n;

	va_start (va, fmt);
	n = vsnprintf (line, sizeof (line), fmt, va);
	va_end (va);
	if (n <= 0 || (size_t)n >= sizeof (line))
		die ("a ledger line does not fit");
	/* One write(2): the line is in the log entirely, or (torn by a kill) cut off later. */
	if (write (l->fd, line, (size_t)n) != n)
		die ("writing the ledger: %s", strerror (errno));
}

/* Applies one line; false (and a message) when it contradicts what came before. */
static bool
apply (ledger *l, const char *path, unsigned long lineno, const char *line)
{
	unsigned long seq, idx, rv;
	char from[16], to[16];
	state f, t;

	if (line[0] == '#' || line[0] == '\0')
		return true;
	if (sscanf (line, "I %lu %lu %15s %15s", &seq, &idx, from, to) == 4) {
		f = state_parse (from);
		t = state_parse (to);
		if (l->pending || idx >= l->n || f == ST_BAD || t == ST_BAD || seq != l->seq + 1 ||
		    f != l->expect[idx])
			goto bad;
		l->pending = true;
		l->p_idx = idx;
		l->p_from = f;
		l->p_to = t;
		l->p_seq = seq;
		l->seq = seq;
		l->touched[idx] = true;
		return true;
	}
	if (sscanf (line, "A %lu", &seq) == 1) {
		if (!l->pending || seq != l->p_seq)
			goto bad;
		l->expect[l->p_idx] = l->p_to;
		l->ack_seq[l->p_idx] = seq;
		l->pending = false;
		l->acks++;
		return true;
	}
	if (sscanf (line, "F %lu %lx", &seq, &rv) == 2) {
		if (!l->pending || seq != l->p_seq)
			goto bad;
		l->pending = false;
		l->fails++;
		return true;
	}
	if (sscanf (line, "R %lu %15s", &idx, to) == 2) {
		t = state_parse (to);
		if (!l->pending || idx != l->p_idx || (t != l->p_from && t != l->p_to))
			goto bad;
		l->expect[idx] = t;
		l->pending = false;
		return true;
	}
bad:
	fprintf (stderr, "tf-stress: %s:%lu: \"%s\" does not follow from the lines before it\n",
	         path, lineno, line);
	return false;
}

void
ledger_open (ledger *l, const char *path, size_t n, bool append)
{
	char *text = NULL, *line, *next, *end;
	unsigned long lineno = 0;
	struct stat st;
	size_t len = 0;
	int fd;

	memset (l, 0, sizeof (*l));
	l->n = n;
	l->fd = -1;
	l->expect = calloc (n, sizeof (state));
	l->ack_seq = calloc (n, sizeof (unsigned long));
	l->touched = calloc (n, sizeof (bool));
	if (l->expect == NULL || l->ack_seq == NULL || l->touched == NULL)
		die ("out of memory");

	fd = open (path, (append ? O_RDWR | O_CREAT | O_APPEND : O_RDONLY) | O_CLOEXEC, 0644);
	if (fd < 0 && !(errno == ENOENT && !append))
		die ("%s: %s", path, strerror (errno));
	if (fd >= 0) {
		if (fstat (fd, &st) != 0)
			die ("%s: %s", path, strerror (errno));
		len = (size_t)st.st_size;
		text = malloc (len + 1);
		if (text == NULL || pread (fd, text, len, 0) != (ssize_t)len)
			die ("%s: cannot read it", path);
		text[len] = '\0';
		/* A line the kill tore in half was never acknowledged: cut it off. */
		end = len > 0 ? strrchr (text, '\n') : NULL;
		if (len > 0 && (end == NULL || end != text + len - 1)) {
			len = end != NULL ? (size_t)(end - text + 1) : 0;
			text[len] = '\0';
			if (append && ftruncate (fd, (off_t)len) != 0)
				die ("%s: cannot cut its torn last line: %s", path,
				     strerror (errno));
		}
		for (line = text; *line != '\0'; line = next) {
			next = strchr (line, '\n');
			*next++ = '\0';
			if (!apply (l, path, ++lineno, line))
				exit (1);
		}
		free (text);
	}
	if (append)
		l->fd = fd;
	else if (fd >= 0)
		close (fd);
}

void
ledger_close (ledger *l)
{
	if (l->fd >= 0)
		close (l->fd);
	free (l->expect);
	free (l->ack_seq);
	free (l->touched);
	memset (l, 0, sizeof (*l));
	l->fd = -1;
}

void
ledger_intent (ledger *l, size_t idx, state to)
{
	if (l->pending)
		die ("a new intent while seq %lu is unanswered", l->p_seq);
	l->seq++;
	put_line (l, "I %lu %zu %s %s\n", l->seq, idx, state_name (l->expect[idx]),
	          state_name (to));
	l->pending = true;
	l->p_idx = idx;
	l->p_from = l->expect[idx];
	l->p_to = to;
	l->p_seq = l->seq;
	l->touched[idx] = true;
}

void
ledger_answer (ledger *l, CK_RV rv)
{
	if (rv == CKR_OK) {
		put_line (l, "A %lu\n", l->p_seq);
		l->expect[l->p_idx] = l->p_to;
		l->ack_seq[l->p_idx] = l->p_seq;
		l->acks++;
	} else {
		put_line (l, "F %lu %lx\n", l->p_seq, (unsigned long)rv);
		l->fails++;
	}
	l->pending = false;
}

void
ledger_resolve (ledger *l, state s)
{
	put_line (l, "R %zu %s\n", l->p_idx, state_name (s));
	l->expect[l->p_idx] = s;
	l->pending = false;
}
