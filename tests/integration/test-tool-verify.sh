#!/bin/bash
# trustfolder verify: the verdict and exit status for a good chain, an
# untrusted root, a distrusted intermediate, an expired and a not yet valid
# certificate, a host name mismatch and a wildcard match, a peer accepted on
# its own, a decision pinned to another host, and --connect to a local
# openssl s_server (the chain the server sends; a closed port).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

# trusted ARGS...: verify says trusted, with exit status 0.
trusted() {
	run tf verify "$@"
	[ "$status" -eq 0 ] || fail "expected exit status 0 (trusted) from verify $*, got $status" "$output"
	assert_contains "$output" "Verdict: trusted"
	assert_not_contains "$output" "Reason:"
}

# not_trusted REASON ARGS...: verify says not trusted, with REASON, exit status 1.
not_trusted() {
	local reason=$1
	shift
	run tf verify "$@"
	[ "$status" -eq 1 ] || fail "expected exit status 1 (not trusted) from verify $*, got $status" "$output"
	assert_contains "$output" "Verdict: not trusted"
	assert_contains "$output" "Reason: $reason"
}

# tls_server CERT KEY [S_SERVER ARGS...]: lib.sh's start_tls_server, but with
# its log created before the server starts. start_tls_server reads the log at
# once, and a server that has not opened it yet makes that read fail the test
# (a race in lib.sh, fixed there by creating the log first). Sets TLS_PORT
# and TLS_PID, and stops the server at exit.
tls_server() {
	local cert=$1 key=$2 log i
	shift 2
	log=$(mktemp "$TF_SCRATCH/s_server.XXXXXX")
	openssl s_server -cert "$cert" -key "$key" -accept 127.0.0.1:0 -www "$@" \
		</dev/null >"$log" 2>&1 &
	TLS_PID=$!
	on_exit "kill $TLS_PID; wait $TLS_PID"
	TLS_PORT=
	for ((i = 0; i < 100; i++)); do
		TLS_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$log")
		[ -z "$TLS_PORT" ] || break
		kill -0 "$TLS_PID" 2>/dev/null || fail "openssl s_server exited" "$(cat "$log")"
		sleep 0.1
	done
	[ -n "$TLS_PORT" ] || fail "openssl s_server did not listen within 10s" "$(cat "$log")"
}

ca=$(fixture ca.pem)
inter=$(fixture inter.pem)
server=$(fixture server.pem)
chain=$(fixture server-inter-chain.pem)
root_dn="C=XX, O=trustfolder tests, CN=trustfolder Test Root CA"
inter_dn="C=XX, O=trustfolder tests, CN=trustfolder Test Intermediate CA"

# An untrusted root: nothing is accepted yet.
not_trusted "no trusted root: the chain ends at C=XX, O=trustfolder tests, CN=localhost; its issuer, $root_dn, is neither in the store nor given" \
	"$server" --host localhost
assert_contains "$output" "Certificate: C=XX, O=trustfolder tests, CN=localhost"
not_trusted "no trusted root: the chain ends at C=XX, O=trustfolder self-signed, CN=localhost, which the store does not trust for server authentication" \
	"$(fixture selfsigned.pem)" --host localhost
# The root in the file, but not accepted.
cat "$server" "$ca" >"$TF_SCRATCH/server+root.pem"
not_trusted "no trusted root: the chain ends at $root_dn, which the store does not trust for server authentication" \
	"$TF_SCRATCH/server+root.pem" --host localhost
assert_contains "$output" "  1: $root_dn"

# A good chain: the root accepted, the intermediate from the file.
assert_ok tf accept "$ca" --label root
trusted "$server" --host localhost
assert_eq "$output" "Certificate: C=XX, O=trustfolder tests, CN=localhost
Purpose: server authentication
Chain:
  0: C=XX, O=trustfolder tests, CN=localhost
  1: $root_dn  [trusted CA in Trust Folder as \"root\"]
Host Name: localhost matches the certificate
Verdict: trusted" "verify's output for a good chain"
trusted "$chain" --host localhost
assert_contains "$output" "  1: $inter_dn"
assert_contains "$output" "  2: $root_dn  [trusted CA in Trust Folder as \"root\"]"
# Without its intermediate, the chain stops short of the root.
not_trusted "no trusted root: the chain ends at C=XX, O=trustfolder tests, OU=under the intermediate, CN=localhost; its issuer, $inter_dn, is neither" \
	"$(fixture server-inter.pem)" --host localhost
# An IP address in the subject alternative names.
trusted "$server" --host 127.0.0.1
# No host name given: not checked, and said so.
trusted "$server"
assert_contains "$output" "Host Name: not checked (give --host NAME)"

# Another purpose: the root is accepted for server authentication only.
not_trusted "no trusted root: the chain ends at $root_dn, which the store does not trust for e-mail protection" \
	"$server" --purpose email

# A distrusted intermediate: the root is still accepted; the chain is not.
assert_ok tf reject "$inter"
not_trusted "distrusted: $inter_dn is rejected in Trust Folder as \"trustfolder Test Intermediate CA\"" "$chain" --host localhost
assert_contains "$output" "  1: $inter_dn  [DISTRUSTED in Trust Folder"
assert_ok tf forget "$inter"
trusted "$chain" --host localhost

# Validity dates.
not_trusted "expired: C=XX, O=trustfolder tests, CN=trustfolder expired was valid until 2000-01-01 00:00:00 UTC" \
	"$(fixture expired.pem)"
not_trusted "not yet valid: " "$(fixture notyet.pem)"
assert_contains "$output" "is valid from 2050-01-01 00:00:00 UTC"

# Host names: a mismatch, and a wildcard that matches one label only.
not_trusted "host name mismatch: www.example.test is not one of the certificate's names (DNS:localhost, IP Address:127.0.0.1)" \
	"$server" --host www.example.test
assert_contains "$output" "Host Name: www.example.test does not match the certificate"
trusted "$(fixture wildcard.pem)" --host www.example.test
assert_contains "$output" "Host Name: www.example.test matches the certificate"
not_trusted "host name mismatch: a.b.example.test is not one of the certificate's names (DNS:*.example.test)" \
	"$(fixture wildcard.pem)" --host a.b.example.test
not_trusted "host name mismatch: example.test" "$(fixture wildcard.pem)" --host example.test

# A peer accepted on its own (self-signed): trusted for itself.
self=$(fixture selfsigned.pem)
assert_ok tf accept "$self" --label self
trusted "$self" --host localhost
assert_contains "$output" "  0: C=XX, O=trustfolder self-signed, CN=localhost  [trusted peer in Trust Folder as \"self\"]"
# Pinned to one name: trusted for it, not for another of its names.
assert_ok tf accept "$self" --label self --host 127.0.0.1
trusted "$self" --host 127.0.0.1
not_trusted "pinned elsewhere: the decision about C=XX, O=trustfolder self-signed, CN=localhost in Trust Folder as \"self\" is for 127.0.0.1 only" \
	"$self" --host localhost
# A peer is trusted for itself, never as an issuer: the accepted leaf issues nothing.
assert_ok tf accept "$(fixture inter.pem)" --as peer
not_trusted "no trusted root" "$(fixture server-inter.pem)" --host localhost --purpose client
assert_ok tf forget "$(fixture inter.pem)"

# --connect: the chain a local TLS server sends (leaf and intermediate).
tls_server "$(fixture server-inter.pem)" "$(fixture server-inter.key)" -cert_chain "$inter"
trusted --connect "127.0.0.1:$TLS_PORT" --host localhost
assert_match "$output" "^Server: 127\\.0\\.0\\.1:$TLS_PORT \\(127\\.0\\.0\\.1 port $TLS_PORT, TLSv1\\.[23]\\)$"
assert_contains "$output" "  0: C=XX, O=trustfolder tests, OU=under the intermediate, CN=localhost"
assert_contains "$output" "  1: $inter_dn"
assert_contains "$output" "  2: $root_dn  [trusted CA in Trust Folder as \"root\"]"
# The host of --connect is the name checked (and the SNI).
trusted --connect "localhost:$TLS_PORT"
assert_contains "$output" "Host Name: localhost matches the certificate"
not_trusted "host name mismatch: www.example.test" --connect "127.0.0.1:$TLS_PORT" --host www.example.test
# The server's intermediate distrusted: the live chain is refused.
assert_ok tf reject "$inter"
not_trusted "distrusted: $inter_dn" --connect "127.0.0.1:$TLS_PORT" --host localhost
assert_ok tf forget "$inter"
# The root taken back: no trusted root.
assert_ok tf forget root
not_trusted "no trusted root: the chain ends at $inter_dn; its issuer, $root_dn, is neither" \
	--connect "127.0.0.1:$TLS_PORT" --host localhost
port=$TLS_PORT
first_server=$TLS_PID

# An expired server certificate (a second server).
assert_ok tf accept "$ca"
tls_server "$(fixture expired.pem)" "$(fixture odd.key)"
not_trusted "expired: " --connect "127.0.0.1:$TLS_PORT"

# A port nobody listens on (the first server, stopped): the operation failed.
kill "$first_server"
wait "$first_server" 2>/dev/null || true
run tf verify --connect "127.0.0.1:$port"
assert_eq "$status" 1 "exit status of verify --connect to a closed port"
assert_contains "$output" "cannot connect to 127.0.0.1 port $port"
assert_not_contains "$output" "Verdict"

# Bad usage: exit status 2.
for args in "" "$server --connect 127.0.0.1:1" "--connect 127.0.0.1" "--connect :443" \
	"$server --host a --host b" "$server --purpose server,client" "$server --purpose nothing"; do
	# shellcheck disable=SC2086 # the words are the arguments
	run tf verify $args
	assert_eq "$status" 2 "exit status of verify $args"
done
