/*
 * verify --connect: the server's chain over TLS. See connect.h.
 */
#include "connect.h"

#include "tool.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Seconds a connection or a handshake may take. */
#define CONNECT_TIMEOUT 15

/* Splits "host:port" or "[v6]:port" into its parts (caller frees). */
static bool
split_host_port (const char *text, char **host, char **port)
{
	const char *colon, *end;

	*host = *port = NULL;
	if (text[0] == '[') {
		end = strchr (text, ']');
		if (end == NULL || end[1] != ':' || end == text + 1)
			return false;
		*host = strndup (text + 1, (size_t)(end - text - 1));
		colon = end + 1;
	} else {
		colon = strrchr (text, ':');
		if (colon == NULL || colon == text || memchr (text, ':', (size_t)(colon - text)))
			return false;
		*host = strndup (text, (size_t)(colon - text));
	}
	if (colon[1] == '\0') {
		free (*host);
		*host = NULL;
		return false;
	}
	*port = strdup (colon + 1);
	return *host != NULL && *port != NULL;
}

static bool
is_ip_address (const char *host)
{
	unsigned char buf[16];

	return inet_pton (AF_INET, host, buf) == 1 || inet_pton (AF_INET6, host, buf) == 1;
}

/* A connected socket to one of the addresses, or -1 after a message. */
static int
dial (const char *host, const char *port, char *addr_text, size_t addr_len)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	struct timeval tv = { CONNECT_TIMEOUT, 0 };
	int fd = -1, r, err = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo (host, port, &hints, &res);
	if (r != 0) {
		tool_error ("--connect %s:%s: %s", host, port, gai_strerror (r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* On Linux, connect() honours the send timeout. */
		setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof (tv));
		setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
		if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			if (getnameinfo (ai->ai_addr, ai->ai_addrlen, addr_text,
					 (socklen_t)addr_len, NULL, 0, NI_NUMERICHOST) != 0)
				snprintf (addr_text, addr_len, "%s", host);
			break;
		}
		err = errno;
		close (fd);
		fd = -1;
	}
	freeaddrinfo (res);
	if (fd < 0)
		tool_error ("cannot connect to %s port %s: %s", host, port, strerror (err));
	return fd;
}

int
connect_fetch_chain (const char *host_port, char **host_out, char **peer_out, cert_list *chain)
{
	char *host = NULL, *port = NULL, addr[80] = "", *peer = NULL;
	unsigned char *der = NULL;
	STACK_OF (X509) *sent;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, i, n, rc = TOOL_FAILED;

	*host_out = *peer_out = NULL;
	if (!split_host_port (host_port, &host, &port)) {
		tool_error ("--connect %s: expected HOST:PORT, or [ADDRESS]:PORT for IPv6",
			    host_port);
		rc = TOOL_USAGE;
		goto out;
	}
	fd = dial (host, port, addr, sizeof (addr));
	if (fd < 0)
		goto out;
	ctx = SSL_CTX_new (TLS_client_method ());
	if (ctx == NULL)
		goto tls_error;
	/* Collect, do not judge: the store decides, in verify.c. */
	SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new (ctx);
	if (ssl == NULL || !SSL_set_fd (ssl, fd))
		goto tls_error;
	if (!is_ip_address (host) && !SSL_set_tlsext_host_name (ssl, host))
		goto tls_error;
	if (SSL_connect (ssl) != 1)
		goto tls_error;
	sent = SSL_get_peer_cert_chain (ssl);
	if (sent == NULL || sk_X509_num (sent) == 0) {
		tool_error ("%s:%s sent no certificate", host, port);
		goto out;
	}
	for (i = 0; i < sk_X509_num (sent); i++) {
		der = NULL;
		n = i2d_X509 (sk_X509_value (sent, i), &der);
		if (n <= 0 || !certs_add_der (chain, der, (size_t)n)) {
			OPENSSL_free (der);
			tool_error ("cannot read certificate %d the server sent", i);
			goto out;
		}
		OPENSSL_free (der);
	}
	if (asprintf (&peer, "%s port %s, %s", addr, port, SSL_get_version (ssl)) < 0)
		peer = NULL;
	SSL_shutdown (ssl);
	*host_out = host;
	*peer_out = peer;
	host = peer = NULL;
	rc = TOOL_OK;
	goto out;
tls_error:
	tool_error ("TLS handshake with %s port %s failed: %s", host, port,
		    ERR_peek_last_error () ? ERR_reason_error_string (ERR_peek_last_error ())
					   : "the connection was closed");
out:
	ERR_clear_error ();
	SSL_free (ssl);
	SSL_CTX_free (ctx);
	if (fd >= 0)
		close (fd);
	free (host);
	free (port);
	free (peer);
	return rc;
}
