# shellcheck shell=bash
# Shared helpers for the integration tests: assertions that say where they
# failed and what the client printed, the client wrapper (sanitizer runtime),
# NSS databases with the module, a local TLS server, and a look into the store.
#
# A test is a bash script that sources this file, and is run by
# tests/integration/run, which provides:
#   TF_MODULE   the module under test (absolute path)
#   TF_HELPERS  the directory of the helper programs built from tests/helpers
#   TF_SCRATCH  a fresh directory for this test (also the working directory);
#               HOME, XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR
#               point inside it, so the module's default store is the test's
#   TF_SANITIZED=1 when TF_MODULE is an ASan + UBSan build

set -eEuo pipefail

: "${TF_MODULE:?run the integration tests through tests/integration/run}"
: "${TF_SCRATCH:?run the integration tests through tests/integration/run}"
: "${TF_HELPERS:=$(dirname "$TF_MODULE")/helpers}"

TF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TF_FIXTURES=${TF_FIXTURES:-$TF_ROOT/tests/fixtures}
# The tests read the fixtures through a copy in the scratch directory: clients
# run as an unprivileged user must be able to read them wherever the tree is
# (a clone in a private directory, as CI's is).
if [ "$TF_FIXTURES" != "$TF_SCRATCH/fixtures" ]; then
	cp -r "$TF_FIXTURES" "$TF_SCRATCH/fixtures"
	chmod -R a+rX "$TF_SCRATCH/fixtures"
	TF_FIXTURES=$TF_SCRATCH/fixtures
fi
# Seconds any one client may take before it counts as hung.
TF_CLIENT_TIMEOUT=${TF_CLIENT_TIMEOUT:-120}

# Never let a test write to the real user's store.
for _tf_dir in "$HOME" "${XDG_DATA_HOME:-$HOME}" "${XDG_CONFIG_HOME:-$HOME}"; do
	case $_tf_dir in
	"$TF_SCRATCH"/*) ;;
	*)
		echo "lib.sh: $_tf_dir (HOME or XDG_*) is not inside TF_SCRATCH ($TF_SCRATCH); refusing to run" >&2
		exit 2
		;;
	esac
done
unset _tf_dir
unset TRUSTFOLDER_STORE TRUSTFOLDER_CONFIG TRUSTFOLDER_SESSION

# The output and exit status of the last assert_ok / assert_fails / run.
output=
status=0

# ---------------------------------------------------------------------------
# Failure reporting

# The first caller outside this file, as file:line.
_tf_where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
	echo "?:?"
}

# fail MESSAGE [DETAIL]: reports where the test failed, and stops it.
fail() {
	local where
	where=$(_tf_where)
	echo "FAIL: $where: $1" >&2
	if [ $# -gt 1 ] && [ -n "$2" ]; then
		printf '%s\n' "$2" | sed 's/^/    | /' >&2
	fi
	exit 1
}

# A command that fails outside an assertion stops the test too, and says so.
_tf_on_err() {
	local rc=$1 cmd=$2
	echo "FAIL: ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}: unexpected exit status $rc of: $cmd" >&2
	exit 1
}
trap '_tf_on_err $? "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------
# Cleanup at exit: background servers, and the sanitizer verdict.

_tf_cleanups=()

# on_exit CMD...: runs CMD (as one eval'd string) when the test exits.
on_exit() {
	_tf_cleanups+=("$*")
}

_tf_on_exit() {
	local rc=$? i
	trap - ERR
	set +e
	for ((i = ${#_tf_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_tf_cleanups[$i]}" >/dev/null 2>&1
	done
	if [ -e "$TF_SCRATCH/sanitizer-failed" ]; then
		echo "FAIL: a sanitizer reported an error in a client process (see above)" >&2
		rc=1
	fi
	exit "$rc"
}
trap _tf_on_exit EXIT

# ---------------------------------------------------------------------------
# Running clients

TF_SANITIZER_LOGS=$TF_SCRATCH/sanitizer-logs
mkdir -p "$TF_SANITIZER_LOGS"

# client CMD...: runs a client of the module (certutil, modutil, vfychain,
# tstclnt, a helper) under a timeout. When TF_SANITIZED=1 the module is an
# ASan + UBSan build, so the sanitizer runtimes are preloaded into the
# uninstrumented client (they must come first), NSS's own leaks are ignored,
# and any sanitizer report is printed and fails the test even when the client
# otherwise looks as if it did what the test expected.
client() {
	local rc=0 log
	if [ "${TF_SANITIZED:-0}" = 1 ]; then
		if [ -z "${TF_SANITIZER_PRELOAD:-}" ]; then
			TF_SANITIZER_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
		fi
		timeout -k 5 "$TF_CLIENT_TIMEOUT" env \
			LD_PRELOAD="$TF_SANITIZER_PRELOAD" \
			ASAN_OPTIONS="detect_leaks=0:log_path=$TF_SANITIZER_LOGS/asan" \
			UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$TF_SANITIZER_LOGS/ubsan" \
			"$@" || rc=$?
		for log in "$TF_SANITIZER_LOGS"/*; do
			[ -e "$log" ] || continue
			echo "=== sanitizer report from: $* ($log)" >&2
			cat "$log" >&2
			mv "$log" "$log.reported"
			: >"$TF_SCRATCH/sanitizer-failed"
			[ "$rc" -ne 0 ] || rc=99
		done
	else
		timeout -k 5 "$TF_CLIENT_TIMEOUT" "$@" || rc=$?
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "client: timed out after ${TF_CLIENT_TIMEOUT}s: $*" >&2
	fi
	return "$rc"
}

# run CMD...: runs CMD, keeping its combined output in $output and its exit
# status in $status, whatever it is.
run() {
	status=0
	output=$("$@" 2>&1) || status=$?
}

# A status that says the process crashed or hung rather than refused: a
# signal (128+n), a timeout, or a sanitizer report.
_tf_crashed() {
	[ "$1" -eq 124 ] || [ "$1" -eq 99 ] || { [ "$1" -gt 128 ] && [ "$1" -lt 255 ] && [ "$1" -ne 254 ]; }
}

# ---------------------------------------------------------------------------
# Assertions. Each reports the caller's file:line and the command's output.

# assert_ok CMD...: CMD exits 0.
assert_ok() {
	run "$@"
	if [ "$status" -ne 0 ]; then
		fail "expected success, got exit status $status from: $*" "$output"
	fi
}

# assert_fails CMD...: CMD exits non-zero, and not because it crashed.
assert_fails() {
	run "$@"
	if [ "$status" -eq 0 ]; then
		fail "expected failure, got success from: $*" "$output"
	fi
	if _tf_crashed "$status" || [ -e "$TF_SCRATCH/sanitizer-failed" ]; then
		fail "expected a clean failure, got exit status $status (crash, hang or sanitizer report) from: $*" "$output"
	fi
}

# assert_contains HAYSTACK NEEDLE: NEEDLE (a fixed string) is in HAYSTACK.
assert_contains() {
	if ! grep -qF -- "$2" <<<"$1"; then
		fail "expected to find \"$2\" in:" "$1"
	fi
}

# assert_not_contains HAYSTACK NEEDLE
assert_not_contains() {
	if grep -qF -- "$2" <<<"$1"; then
		fail "did not expect \"$2\" in:" "$1"
	fi
}

# assert_match HAYSTACK REGEX: some line of HAYSTACK matches the extended REGEX.
assert_match() {
	if ! grep -qE -- "$2" <<<"$1"; then
		fail "expected a line matching /$2/ in:" "$1"
	fi
}

# assert_no_match HAYSTACK REGEX
assert_no_match() {
	if grep -qE -- "$2" <<<"$1"; then
		fail "did not expect a line matching /$2/ in:" "$1"
	fi
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	if [ "$1" != "$2" ]; then
		fail "${3:-value}: expected \"$2\", got \"$1\""
	fi
}

# ---------------------------------------------------------------------------
# Fixtures

# fixture NAME: the path of a file in tests/fixtures; fails the test when missing.
fixture() {
	local path=$TF_FIXTURES/$1
	[ -f "$path" ] || fail "missing fixture $path (make fixtures)"
	echo "$path"
}

# cert_der FILE OUT: writes the DER form of the certificate in FILE (PEM or DER).
cert_der() {
	if ! openssl x509 -in "$1" -outform DER -out "$2" 2>/dev/null &&
		! openssl x509 -inform DER -in "$1" -outform DER -out "$2" 2>/dev/null; then
		fail "cannot read certificate $1"
	fi
}

# cert_hex FILE FIELD: the DER of FIELD (der, serial, issuer, subject) of the
# certificate in FILE, as upper-case hex. serial is the whole DER INTEGER (tag
# and length included), issuer and subject the whole DER Name: what the store
# keeps (module/record.h).
cert_hex() {
	local file=$1 field=$2 der range
	der=$TF_SCRATCH/.cert-hex.der
	cert_der "$file" "$der"
	if [ "$field" = der ]; then
		od -An -v -tx1 "$der" | tr -d ' \n' | tr a-f A-F
		return
	fi
	# The elements of TBSCertificate are the depth-2 items of asn1parse:
	# [0] version (optional), serial, signature, issuer, validity, subject.
	range=$(openssl asn1parse -inform DER -in "$der" | awk -v want="$field" '
		match($0, /^ *[0-9]+:d=2 +hl= *[0-9]+ +l= *[0-9]+/) {
			split(substr($0, RSTART, RLENGTH), f, /[: =]+/)
			# f: offset, "d", depth, "hl", hl, "l", len (after leading blanks)
			n = 0
			for (i = 1; i in f; i++) if (f[i] != "") v[++n] = f[i]
			off = v[1]; hl = v[5]; len = v[7]
			if (first == "" && $0 ~ /cont \[ 0 \]/) { first = "v"; next }
			first = "x"
			idx++
			if ((want == "serial" && idx == 1) || (want == "issuer" && idx == 3) ||
			    (want == "subject" && idx == 5)) { print off, hl + len; exit }
		}')
	[ -n "$range" ] || fail "cannot find $field in $file"
	# shellcheck disable=SC2086
	set -- $range
	tail -c +"$(($1 + 1))" "$der" | head -c "$2" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F
}

# ---------------------------------------------------------------------------
# NSS databases

# make_nssdb DIR: a new NSS database (empty password) with the module added by
# modutil without -string, so that it uses its default store under the
# scratch HOME. Checks that both tokens are there.
make_nssdb() {
	local dir=$1
	mkdir -p "$dir"
	assert_ok client certutil -N -d "sql:$dir" --empty-password
	assert_ok client modutil -dbdir "sql:$dir" -add trustfolder -libfile "$TF_MODULE" -force
	assert_ok client modutil -dbdir "sql:$dir" -list trustfolder
	assert_ok client modutil -dbdir "sql:$dir" -list
	assert_contains "$output" "token: Trust Folder"
	assert_contains "$output" "token: Trust Folder Session"
}

# nssdb_internal_count DIR: how many objects NSS's own database (cert9.db)
# holds: certificates and trust that went to NSS instead of the module.
nssdb_internal_count() {
	sqlite3 -batch -noheader "$1/cert9.db" 'SELECT count(*) FROM nssPublic;'
}

# listed_certs OUTPUT: the nickname lines of a certutil -L listing.
listed_certs() {
	sed -e '1,/SSL,S\/MIME,JAR\/XPI/d' -e '/^[[:space:]]*$/d' <<<"$1"
}

# assert_token_empty DBDIR TOKEN: TOKEN holds no certificate. certutil -L -h
# prints an empty list and exits 0 even for a token that does not exist (a
# module that failed to load), so the token's presence is checked first.
assert_token_empty() {
	assert_ok client certutil -U -d "sql:$1"
	assert_match "$output" "^ *token: $2 *\$"
	assert_ok client certutil -L -d "sql:$1" -h "$2"
	if [ -n "$(listed_certs "$output")" ]; then
		fail "expected no certificate in $2, got:" "$output"
	fi
}

# ---------------------------------------------------------------------------
# The store

# store_path: the default store of the module in this test's HOME.
store_path() {
	echo "${XDG_DATA_HOME:-$HOME/.local/share}/trustfolder/trustfolder.db"
}

# store_sql SQL [STORE]: runs SQL on the store with the sqlite3 CLI and prints
# the result (no header, | between columns).
store_sql() {
	local db=${2:-$(store_path)}
	[ -f "$db" ] || fail "no store at $db"
	sqlite3 -batch -bail -noheader -cmd '.timeout 5000' "$db" "$1"
}

# store_count_cert FILE [STORE]: the number of records in the store for the
# certificate in FILE, by issuer and serial (a record may hold no DER).
store_count_cert() {
	store_sql "SELECT count(*) FROM records
		WHERE issuer = X'$(cert_hex "$1" issuer)' AND serial = X'$(cert_hex "$1" serial)';" "${2:-}"
}

# store_field_cert FILE COLUMN [STORE]: COLUMN of the records for FILE.
store_field_cert() {
	store_sql "SELECT $2 FROM records
		WHERE issuer = X'$(cert_hex "$1" issuer)' AND serial = X'$(cert_hex "$1" serial)';" "${3:-}"
}

# Trust levels as the store keeps them (module/record.h, tf_level).
TF_LEVEL_UNKNOWN=0
TF_LEVEL_ANCHOR=1
TF_LEVEL_PEER=2
TF_LEVEL_CA=3
TF_LEVEL_MUST_VERIFY=4
TF_LEVEL_DISTRUSTED=5
export TF_LEVEL_UNKNOWN TF_LEVEL_ANCHOR TF_LEVEL_PEER TF_LEVEL_CA TF_LEVEL_MUST_VERIFY TF_LEVEL_DISTRUSTED

# ---------------------------------------------------------------------------
# A local TLS server

# start_tls_server CERT KEY [S_SERVER ARGS...]: starts openssl s_server on
# 127.0.0.1 on a port the kernel picks, presenting CERT, in the background;
# waits until it listens, sets TLS_PORT and TLS_PID, and stops it at exit.
start_tls_server() {
	local cert=$1 key=$2 log i
	shift 2
	log=$TF_SCRATCH/s_server.$RANDOM.log
	# Made here: the background server's own redirection may come after the first look.
	: >"$log"
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

# tls_connect DBDIR [TSTCLNT ARGS...]: a TLS handshake with the local server as
# "localhost" (the name in the fixtures; -4 so that it is 127.0.0.1, where the
# server listens), verifying the server's certificate with DBDIR and its
# modules, and exiting after the handshake. Never -o: that would override
# verification. Sets $output and $status.
tls_connect() {
	local db=$1
	shift
	run client tstclnt -h localhost -4 -p "$TLS_PORT" -d "sql:$db" -Q "$@" </dev/null
}

# ---------------------------------------------------------------------------
# An unprivileged user, for the clients that find the module through p11-kit's
# configuration (trust, p11-kit, p11tool, certtool, gnutls-cli,
# p11-kit-proxy.so): p11-kit reads no user configuration for root.

TF_USER=nobody
TF_USER_GROUP=nogroup

# user_scratch: hands the scratch directory (HOME, the XDG directories, the
# sanitizer logs) to TF_USER, and copies the module, register-p11kit and
# trustfolder.module into $TF_SCRATCH/tree, laid out as in the source tree,
# so that the user can reach them wherever the tree is cloned. TF_MODULE then
# names that copy. Call it before any client creates the store.
user_scratch() {
	local tree=$TF_SCRATCH/tree
	mkdir -p "$tree/build" "$tree/scripts" "$tree/nss-config"
	cp "$TF_MODULE" "$tree/build/trustfolder-pkcs11.so"
	cp "$TF_ROOT/scripts/register-p11kit" "$tree/scripts/"
	cp "$TF_ROOT/nss-config/trustfolder.module" "$tree/nss-config/"
	TF_MODULE=$tree/build/trustfolder-pkcs11.so
	chown -R "$TF_USER:$TF_USER_GROUP" "$TF_SCRATCH"
}

# as_user CMD...: runs CMD through client as TF_USER, with this test's HOME
# and XDG directories.
as_user() {
	client setpriv --reuid="$TF_USER" --regid="$TF_USER_GROUP" --clear-groups "$@"
}

# user_nssdb DIR: make_nssdb, as TF_USER (so that the store the module
# creates is the user's).
user_nssdb() {
	local dir=$1
	mkdir -p "$dir"
	chown "$TF_USER:$TF_USER_GROUP" "$dir"
	assert_ok as_user certutil -N -d "sql:$dir" --empty-password
	assert_ok as_user modutil -dbdir "sql:$dir" -add trustfolder -libfile "$TF_MODULE" -force
	assert_ok as_user modutil -dbdir "sql:$dir" -list
	assert_contains "$output" "token: Trust Folder"
	assert_contains "$output" "token: Trust Folder Session"
}

# assert_trust_anchor ARGS...: `trust anchor ARGS` as TF_USER succeeds.
# Debian's p11-kit ends every change by running
# /usr/libexec/p11-kit/trust-extract-compat, which Debian does not ship, and
# then exits 2 although the change is made; that failure alone is accepted.
assert_trust_anchor() {
	run as_user trust anchor "$@"
	if [ "$status" -ne 0 ] && { [ "$status" -ne 2 ] ||
		grep -qv 'could not run .*/trust-extract-compat' <<<"$output"; }; then
		fail "expected success, got exit status $status from: trust anchor $*" "$output"
	fi
}

# gnutls_tools_run: whether GnuTLS's tools (p11tool, certtool, gnutls-cli)
# can run in this test; when not, says so and returns 1. They cannot under the
# sanitizer runtime: libp11-kit's constructor calls newlocale() before the
# preloaded ASan runtime has initialized itself, ASan's late initialization
# inside that call unbalances glibc's locale lock, and the tool then hangs at
# exit in libp11-kit's destructor (freelocale), with or without trustfolder
# loaded. The sanitized module is exercised through the other clients.
gnutls_tools_run() {
	if [ "${TF_SANITIZED:-0}" = 1 ]; then
		echo "note: $(_tf_where): GnuTLS's tools are not run under the sanitizer runtime (see gnutls_tools_run in lib.sh)" >&2
		return 1
	fi
}
