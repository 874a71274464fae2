/*
 * trustfolder export: a certificate as DER, as PEM, or as PKCS#7 (.p7b)
 * with the chain the store holds. DER is the certificate's own bytes, never
 * a re-encoding; PKCS#7 is the certificates-only SignedData that `openssl
 * crl2pkcs7 -nocrl` writes (no signers, content detached).
 */
#include "certs.h"
#include "client.h"
#include "target.h"
#include "tool.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Does candidate issue c? Names and key identifiers, then the signature. */
static bool
issues (const tool_cert *candidate, const tool_cert *c)
{
	EVP_PKEY *key;
	bool ok;

	if (X509_check_issued (candidate->x509, c->x509) != X509_V_OK)
		return false;
	key = X509_get0_pubkey (candidate->x509);
	ok = key != NULL && X509_verify (c->x509, key) == 1;
	ERR_clear_error ();
	return ok;
}

/*
 * The chain of the target's certificate: each issuer found among the
 * target's file and the store's certificates, up to a self-issued one.
 */
static int
build_chain (const tool_opts *opts, const target *t, cert_list *chain)
{
	cert_list pool = { 0 };
	client_entries all = { 0 };
	struct client *c;
	const tool_cert *cur;
	size_t i, depth;
	bool found;
	int rc = TOOL_FAILED;

	for (i = 1; i < t->certs.n; i++) {
		if (!certs_add (&pool, &t->certs.v[i]))
			goto oom;
	}
	c = tool_client (opts);
	if (c == NULL || !client_load (c, SCOPES_ALL, &all))
		goto out;
	for (i = 0; i < all.n; i++) {
		/* A certificate the module holds is well formed; skip one that is not. */
		if (all.v[i].der != NULL)
			certs_add_der (&pool, all.v[i].der, all.v[i].der_len);
	}
	if (!certs_add (chain, &t->certs.v[0]))
		goto oom;
	for (depth = 0; depth < 16; depth++) {
		cur = &chain->v[chain->n - 1];
		if (X509_NAME_cmp (X509_get_subject_name (cur->x509),
				   X509_get_issuer_name (cur->x509)) == 0)
			break; /* self-issued: the root */
		found = false;
		for (i = 0; i < pool.n && !found; i++) {
			if (certs_find (chain, &pool.v[i]) >= 0 || !issues (&pool.v[i], cur))
				continue;
			if (!certs_add (chain, &pool.v[i]))
				goto oom;
			found = true;
		}
		if (!found)
			break;
	}
	ERR_clear_error ();
	rc = TOOL_OK;
	goto out;
oom:
	tool_error ("out of memory");
out:
	certs_clear (&pool);
	client_entries_clear (&all);
	return rc;
}

/* The chain as a certificates-only PKCS#7 SignedData, into bio. */
static bool
write_p7b (BIO *bio, const cert_list *chain, bool pem)
{
	PKCS7 *p7;
	size_t i;
	bool ok = false;

	p7 = PKCS7_new ();
	if (p7 == NULL || !PKCS7_set_type (p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new (p7, NID_pkcs7_data))
		goto out;
	/* No content at all, as crl2pkcs7 writes it. */
	PKCS7_set_detached (p7, 1);
	for (i = 0; i < chain->n; i++) {
		if (!PKCS7_add_certificate (p7, chain->v[i].x509))
			goto out;
	}
	ok = pem ? PEM_write_bio_PKCS7 (bio, p7) == 1 : i2d_PKCS7_bio (bio, p7) == 1;
out:
	PKCS7_free (p7);
	return ok;
}

/* Writes the bytes to -o FILE or standard output. */
static int
write_out (const tool_opts *opts, const char *data, size_t len, bool binary)
{
	const char *where = opts->output ? opts->output : "standard output";
	size_t done = 0;
	ssize_t n;
	int fd = 1;

	if (opts->output == NULL && binary && isatty (1)) {
		tool_error ("the %s output is binary; write it with -o FILE or a redirection",
			    opts->format == FORMAT_DER ? "DER" : "PKCS#7");
		return TOOL_USAGE;
	}
	if (opts->output != NULL) {
		fd = open (opts->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			tool_error ("cannot write %s: %s", where, strerror (errno));
			return TOOL_FAILED;
		}
	}
	fflush (stdout);
	while (done < len) {
		n = write (fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tool_error ("cannot write %s: %s", where, strerror (errno));
			if (fd != 1)
				close (fd);
			return TOOL_FAILED;
		}
		done += (size_t)n;
	}
	if (fd != 1 && close (fd) != 0) {
		tool_error ("cannot write %s: %s", where, strerror (errno));
		return TOOL_FAILED;
	}
	return TOOL_OK;
}

int
cmd_export (tool_opts *opts)
{
	cert_list chain = { 0 };
	const tool_cert *c;
	char *data = NULL;
	long len;
	BIO *bio = NULL;
	target t;
	bool ok;
	int rc;

	if (opts->format == FORMAT_NONE) {
		tool_error ("--format is required: der, pem, p7b or p7b-pem");
		return TOOL_USAGE;
	}
	rc = target_resolve (opts, opts->args[0], SCOPES_ALL, 0, &t);
	if (rc != TOOL_OK)
		return rc;
	c = &t.certs.v[0];
	rc = TOOL_FAILED;
	bio = BIO_new (BIO_s_mem ());
	if (bio == NULL)
		goto oom;
	switch (opts->format) {
	case FORMAT_DER:
		ok = BIO_write (bio, c->der, (int)c->der_len) == (int)c->der_len;
		break;
	case FORMAT_PEM:
		ok = PEM_write_bio (bio, PEM_STRING_X509, "", c->der, (long)c->der_len) > 0;
		break;
	default:
		rc = build_chain (opts, &t, &chain);
		if (rc != TOOL_OK)
			goto out;
		rc = TOOL_FAILED;
		ok = write_p7b (bio, &chain, opts->format == FORMAT_P7B_PEM);
		break;
	}
	if (!ok)
		goto oom;
	len = BIO_get_mem_data (bio, &data);
	rc = write_out (opts, data, (size_t)len,
			opts->format == FORMAT_DER || opts->format == FORMAT_P7B);
	if (rc == TOOL_OK && (opts->format == FORMAT_P7B || opts->format == FORMAT_P7B_PEM))
		tool_note ("PKCS#7 with %zu certificate%s", chain.n, chain.n == 1 ? "" : "s");
	goto out;
oom:
	tool_error ("cannot encode the certificate: %s",
		    ERR_peek_last_error () ? ERR_reason_error_string (ERR_peek_last_error ())
					   : "out of memory");
out:
	ERR_clear_error ();
	BIO_free (bio);
	certs_clear (&chain);
	target_clear (&t);
	return rc;
}
