#!/bin/bash
# GnuTLS verifying against the module (`--x509cafile 'pkcs11:token=Trust%20Folder'`,
# `certtool --verify --load-ca-certificate` the same URL): gnutls-cli and
# certtool accept a local gnutls-serv whose CA is an anchor in Trust Folder,
# whatever dialect made the decision (p11-kit's trust anchor, GnuTLS's p11tool,
# NSS's certutil), and refuse it when the CA is not an anchor: never accepted,
# removed, or distrusted. gnutls-cli accepts a server certificate accepted
# forever (P,,) by itself.
#
# And what GnuTLS does not do: it asks for CKA_X_DISTRUSTED only from a
# library whose manufacturer ID starts with "PKCS#11 Kit" (GnuTLS 3.7.9,
# lib/pkcs11.c, find_cert_cb), and trustfolder's is "trustfolder". So a
# certificate the user distrusts below a CA the user trusts is refused by NSS
# and blocklisted by p11-kit, but GnuTLS accepts it. The README says so; this
# test shows it, so that a change on either side is noticed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

gnutls_tools_run || exit 0

ca=$(fixture ca.pem)
server=$(fixture server.pem)
selfsigned=$(fixture selfsigned.pem)
url='pkcs11:token=Trust%20Folder'

# listening_port PID: the TCP port that process PID listens on over IPv4,
# read from /proc (no extra tool needed).
listening_port() {
	local fd link inodes=" " hex
	for fd in /proc/"$1"/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		case $link in
		socket:\[*\]) link=${link#socket:[} && inodes+="${link%]} " ;;
		esac
	done
	hex=$(awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") {
		split($2, a, ":"); print a[2]; exit }' /proc/net/tcp)
	[ -z "$hex" ] || echo $((16#$hex))
}

# start_gnutls_server CERT KEY: gnutls-serv (an echo server) presenting CERT,
# on a port the kernel picks; sets GNUTLS_PORT and stops the server at exit.
# gnutls-serv 3.7 cannot listen on one address only, so it listens on all of
# them, for the seconds this test runs, with a test key; the client connects
# to 127.0.0.1.
start_gnutls_server() {
	local log pid i port=
	log=$TF_SCRATCH/gnutls-serv.$RANDOM.log
	gnutls-serv --echo -p 0 --x509certfile="$1" --x509keyfile="$2" </dev/null >"$log" 2>&1 &
	pid=$!
	on_exit "kill $pid; wait $pid"
	for ((i = 0; i < 100; i++)); do
		port=$(listening_port "$pid")
		[ -z "$port" ] || break
		kill -0 "$pid" 2>/dev/null || fail "gnutls-serv exited" "$(cat "$log")"
		sleep 0.1
	done
	[ -n "$port" ] || fail "gnutls-serv did not listen within 10s" "$(cat "$log")"
	GNUTLS_PORT=$port
}

# accepted PORT [CERT]: gnutls-cli completes a handshake with the server on
# PORT, and certtool verifies CERT (a chain to a CA), against Trust Folder.
accepted() {
	assert_ok as_user gnutls-cli --x509cafile "$url" -p "$1" 127.0.0.1 </dev/null
	assert_contains "$output" "- Status: The certificate is trusted."
	assert_contains "$output" "- Handshake was completed"
	[ $# -ge 2 ] || return 0
	assert_ok as_user certtool --verify --load-ca-certificate "$url" --infile "$2"
	assert_contains "$output" "Chain verification output: Verified."
}

# refused PORT [CERT]: both refuse.
refused() {
	assert_fails as_user gnutls-cli --x509cafile "$url" -p "$1" 127.0.0.1 </dev/null
	assert_contains "$output" "- Status: The certificate is NOT trusted."
	assert_not_contains "$output" "- Handshake was completed"
	[ $# -ge 2 ] || return 0
	assert_fails as_user certtool --verify --load-ca-certificate "$url" --infile "$2"
	assert_contains "$output" "Chain verification output: Not verified."
}

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit"
db=$TF_SCRATCH/nssdb
user_nssdb "$db"
start_gnutls_server "$server" "$(fixture server.key)"
port=$GNUTLS_PORT

refused "$port" "$server"

# p11-kit's dialect.
assert_trust_anchor --store "$ca"
accepted "$port" "$server"
assert_trust_anchor --remove "$ca"
refused "$port" "$server"

# GnuTLS's own.
assert_ok as_user p11tool --batch --write --mark-trusted --mark-ca --label ca \
	--load-certificate "$ca" "$url"
accepted "$port" "$server"

# NSS's: do not accept, then accept again.
assert_ok as_user certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "p,p,p"
refused "$port" "$server"
assert_ok as_user certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "C,,"
accepted "$port" "$server"

assert_ok as_user p11tool --batch --delete "$url;object=ca;type=cert"
refused "$port" "$server"

# A self-signed server certificate accepted forever, as a trusted peer: the
# handshake (certtool --verify wants a chain that ends in a CA, so it is not
# asked).
start_gnutls_server "$selfsigned" "$(fixture selfsigned.key)"
refused "$GNUTLS_PORT"
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n self -t "P,," -i "$selfsigned"
accepted "$GNUTLS_PORT"

# The limit: the CA accepted, the server certificate itself not accepted.
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n server -t "p,p,p" -i "$server"
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_ok as_user trust list --filter=blocklist
assert_contains "$output" "label: server"$'\n'"    trust: distrusted"
assert_ok as_user p11tool --list-all-certs "$url"
assert_contains "$output" "Label: server"$'\n'"	Flags: CKA_X_DISTRUSTED;"
# GnuTLS finds the anchor, never asks this module about distrust, and accepts.
accepted "$port" "$server"
