#!/bin/bash
# Bad input to the trustfolder command: an unreadable file, a malformed or
# truncated certificate, trailing bytes, a file with no certificate, an
# unknown label, fingerprint or URI, an ambiguous label, bad option values, a
# certificate the module refuses, a store the user cannot write, a damaged
# store, a module that cannot be loaded. Each gets its message and exit
# status (2 for bad input, 1 for a failed operation), never a crash, and the
# store is unchanged.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok tf accept "$ca" --label root
store=$(store_path)

snapshot() {
	store_sql 'SELECT id, seq, hex(der), label, has_trust, trust_server, trust_client, hosts, expires FROM records'
}
before=$(snapshot)

# bad STATUS MESSAGE ARGS...: the command fails with STATUS and MESSAGE, and the store is unchanged.
bad() {
	local want=$1 message=$2
	shift 2
	assert_fails tf "$@"
	[ "$status" -eq "$want" ] || fail "expected exit status $want from: trustfolder $*, got $status" "$output"
	assert_contains "$output" "$message"
	assert_eq "$(snapshot)" "$before" "the store after: trustfolder $*"
}

# Files that are not certificates.
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n' >"$TF_SCRATCH/garbage.pem"
printf -- '-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n' >"$TF_SCRATCH/zeros.pem"
printf 'hello\n' >"$TF_SCRATCH/text.txt"
: >"$TF_SCRATCH/empty.pem"
head -c 300 "$server" >"$TF_SCRATCH/cut.pem" # a PEM cut in the middle of its block
for cmd in accept reject show export verify; do
	extra=()
	[ "$cmd" = export ] && extra=(--format pem)
	bad 2 "is not a well-formed certificate (DER)" "$cmd" "$(fixture malformed.der)" "${extra[@]}"
	bad 2 "1 byte(s) after its end" "$cmd" "$(fixture trailing.der)" "${extra[@]}"
	bad 2 "cannot read $TF_SCRATCH/nothing.pem: No such file or directory" "$cmd" "$TF_SCRATCH/nothing.pem" "${extra[@]}"
done
bad 2 "holds no certificate" accept "$(fixture ca.key)"
bad 2 "holds no certificate" accept "$TF_SCRATCH/text.txt"
bad 2 "is empty: no certificate in it" accept "$TF_SCRATCH/empty.pem"
bad 2 "garbage.pem: malformed PEM (block 1): bad base64 decode" accept "$TF_SCRATCH/garbage.pem"
bad 2 "zeros.pem: PEM block 1 (CERTIFICATE) is a malformed certificate" accept "$TF_SCRATCH/zeros.pem"
bad 2 "cut.pem: malformed PEM (block 1)" accept "$TF_SCRATCH/cut.pem"
bad 2 "cannot read $TF_SCRATCH: Is a directory" show "$TF_SCRATCH"

# Names the store does not know.
bad 2 '"no such label" is neither a file nor the label of a certificate in the store' accept "no such label"
bad 2 "is neither a file nor the label" forget nolabel
bad 2 "is neither a file nor the label" export "Trust Folder:nolabel" --format der
bad 2 "no certificate with the fingerprint" show "$(printf '%064d' 0)"
bad 2 "no certificate in the store matches pkcs11:object=nothing" show "pkcs11:object=nothing"
bad 2 "not a PKCS#11 URI" show "pkcs11:token=%zz"
bad 2 "names objects that are not certificates" show "pkcs11:object=root;type=private"
# A label two different certificates share (both CN=localhost).
assert_ok tf accept "$server"
assert_ok tf accept "$(fixture selfsigned.pem)"
before=$(snapshot)
bad 2 '"localhost" names 2 different certificates; name one by its fingerprint' show localhost
assert_contains "$output" "$(openssl x509 -in "$server" -noout -fingerprint -sha256 | cut -d= -f2)"
bad 2 "names 2 different certificates" forget localhost

# Bad option values and usage: nothing reaches the store.
bad 2 "--purpose: unknown purpose \"web\"" accept "$server" --purpose web
bad 2 "--as boss: expected ca or peer" accept "$server" --as boss
bad 2 "--host my_host: a host name holds only letters" accept "$server" --host my_host
bad 2 "--host: an empty host name" accept "$server" --host "a,,b"
bad 2 "--label: the label is empty" accept "$server" --label ""
bad 2 "not a date" accept "$server" --until soon
bad 2 "unknown option --reject" accept "$server" --reject
bad 2 "option --label needs a value" accept "$server" --label
bad 2 "unexpected operand" accept "$server" "$ca"
bad 2 "--session and --all exclude each other" list --session --all

# import reads every file first: one bad file, and nothing is imported.
bad 2 "nothing was imported" import "$(fixture other-ca.pem)" "$(fixture malformed.der)"
assert_eq "$(store_count_cert "$(fixture other-ca.pem)")" 0 "records for the first file of a refused import"

# A certificate the module refuses: another certificate with the root's issuer
# and serial number. The refusal is reported with the module's reason.
openssl req -x509 -new -key "$(fixture odd.key)" -subj "/C=XX/O=trustfolder tests/CN=trustfolder Test Root CA" \
	-set_serial 0x1000 -days 30 -out "$TF_SCRATCH/clash.pem" 2>/dev/null
[ "$(cert_hex "$TF_SCRATCH/clash.pem" issuer)" = "$(cert_hex "$ca" issuer)" ] || fail "the clash certificate's issuer differs"
bad 1 "refused the certificate: C_CreateObject failed: CKR_ATTRIBUTE_VALUE_INVALID" accept "$TF_SCRATCH/clash.pem"
assert_contains "$output" "already holds another certificate with the same issuer and serial number"
# In an import, the refusal takes back the whole import (one transaction).
bad 1 "nothing was imported" import "$(fixture other-ca.pem)" "$TF_SCRATCH/clash.pem"
assert_contains "$output" "refused the certificate"
assert_eq "$(store_count_cert "$(fixture other-ca.pem)")" 0 "records for the import's first certificate"

# A module that cannot be loaded.
assert_fails client "$TOOL" --module "$TF_SCRATCH/none.so" list
assert_eq "$status" 1 "exit status with a missing module"
assert_contains "$output" "cannot load the module $TF_SCRATCH/none.so"
assert_fails client "$TOOL" --module "$(fixture ca.der)" list
assert_eq "$status" 1 "exit status with a module that is no library"
# A module that will not start (a bad setting).
assert_fails env TRUSTFOLDER_SESSION=sometimes "$TOOL" --module "$TF_MODULE" list
assert_eq "$status" 1 "exit status when C_Initialize fails"
assert_contains "$output" "C_Initialize failed: CKR_ARGUMENTS_BAD"
assert_contains "$output" "session=sometimes"

# Another user: a file they cannot read, a store they cannot write.
user=nobody
chmod 0755 "$TF_SCRATCH" "$HOME" "$(dirname "$store")" "$(dirname "$(dirname "$store")")" \
	"$(dirname "$(dirname "$(dirname "$store")")")"
chmod 0644 "$store"
mkdir -p "$TF_SCRATCH/bin"
cp "$TF_MODULE" "$TOOL" "$TF_SCRATCH/bin/"
chmod 0755 "$TF_SCRATCH/bin" "$TF_SCRATCH/bin"/*
module_copy=$TF_SCRATCH/bin/${TF_MODULE##*/}
as_user() {
	client setpriv --reuid="$user" --regid=nogroup --clear-groups env HOME="$HOME" \
		XDG_DATA_HOME="${XDG_DATA_HOME:-}" XDG_RUNTIME_DIR= "$TF_SCRATCH/bin/trustfolder" \
		--module "$module_copy" "$@"
}
install -m 0000 "$server" "$TF_SCRATCH/secret.pem"
assert_fails as_user show "$TF_SCRATCH/secret.pem"
assert_eq "$status" 2 "exit status of an unreadable file"
assert_contains "$output" "cannot read $TF_SCRATCH/secret.pem: Permission denied"
# The store: readable, not writable. Reading works; a decision is refused, not lost.
assert_ok as_user list
assert_match "$output" '^forever +root +trusted-ca '
assert_fails as_user accept "$(fixture wildcard.pem)"
assert_eq "$status" 1 "exit status of accept into a store the user cannot write"
assert_contains "$output" 'the token "Trust Folder" is write-protected'
assert_contains "$output" "nothing was changed"
assert_fails as_user forget root
assert_eq "$status" 1 "exit status of forget in a store the user cannot write"
assert_contains "$output" "write-protected"
assert_fails as_user import "$(fixture wildcard.pem)"
assert_eq "$status" 1 "exit status of import into a store the user cannot write"
assert_eq "$(snapshot)" "$before" "the store after the other user's attempts"

# A damaged store: the token is not there; the tool says so and changes nothing.
rm -f "$store-wal" "$store-shm"
printf 'not a database, and it must stay so\n' >"$store"
sum=$(sha256sum <"$store")
assert_fails tf accept "$(fixture wildcard.pem)"
assert_eq "$status" 1 "exit status of accept into a damaged store"
assert_contains "$output" 'the token "Trust Folder" is not available'
assert_fails tf list
assert_eq "$status" 1 "exit status of list of a damaged store"
assert_contains "$output" "could not be opened"
assert_eq "$(sha256sum <"$store")" "$sum" "the damaged store's bytes"
