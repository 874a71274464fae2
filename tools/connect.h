/*
 * Fetching the certificate chain a TLS server sends, for verify --connect.
 * The handshake verifies nothing (verify.c does that against the store); it
 * only collects what the server presents.
 */
#ifndef TOOL_CONNECT_H
#define TOOL_CONNECT_H

#include "certs.h"

/*
 * Connects to HOST:PORT ([ADDRESS]:PORT for IPv6), trying each address the
 * name resolves to, and completes a TLS handshake with SNI = HOST (none for
 * an IP address). Appends the server's chain, its certificate first, to
 * chain; *host is the HOST part and *peer says where it connected ("ADDRESS
 * port PORT, TLSv1.3"); the caller frees both. TOOL_OK, TOOL_USAGE for a
 * malformed HOST:PORT, TOOL_FAILED when no connection or handshake worked.
 */
int connect_fetch_chain (const char *host_port, char **host, char **peer, cert_list *chain);

#endif /* TOOL_CONNECT_H */
