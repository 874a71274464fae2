#!/bin/bash
# trustfolder export: DER and PEM byte-identical to what openssl x509 writes,
# from a file or from the store; PKCS#7 (DER and PEM) that openssl pkcs7 reads
# back with the whole chain, built from the certificate's file and from the
# certificates the store holds (including one NSS put there without trust).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

# p7b_certs FILE [FORM]: the certificates openssl pkcs7 finds, as PEM, in order.
p7b_certs() {
	openssl pkcs7 -inform "${2:-DER}" -in "$1" -print_certs | grep -v -e '^subject=' -e '^issuer=' -e '^$'
}

# pems FILE...: each certificate as openssl x509 writes it.
pems() {
	local f
	for f in "$@"; do
		openssl x509 -in "$f"
	done
}

out=$TF_SCRATCH/out
server=$(fixture server.pem)
openssl x509 -in "$server" -outform DER -out "$TF_SCRATCH/server.openssl.der"
openssl x509 -in "$server" -outform PEM -out "$TF_SCRATCH/server.openssl.pem"

# From a file: PEM in, DER and PEM out; DER in, PEM out.
assert_ok tf export "$server" --format der -o "$out.der"
cmp "$out.der" "$TF_SCRATCH/server.openssl.der" || fail "DER export differs from openssl x509 -outform DER"
assert_ok tf export "$server" --format pem -o "$out.pem"
cmp "$out.pem" "$TF_SCRATCH/server.openssl.pem" || fail "PEM export differs from openssl x509 -outform PEM"
assert_ok tf export "$(fixture server.der)" --format pem --output "$out.2.pem"
cmp "$out.2.pem" "$TF_SCRATCH/server.openssl.pem" || fail "PEM export of the DER file differs"
# Standard output, when not a terminal.
tf export "$server" --format der >"$out.stdout.der"
cmp "$out.stdout.der" "$TF_SCRATCH/server.openssl.der" || fail "DER export to standard output differs"
tf export "$server" --format pem >"$out.stdout.pem"
cmp "$out.stdout.pem" "$TF_SCRATCH/server.openssl.pem" || fail "PEM export to standard output differs"

# From the store, by label and by URI: the bytes the store keeps.
assert_ok tf accept "$server" --label web
assert_ok tf export web --format der -o "$out.store.der"
cmp "$out.store.der" "$TF_SCRATCH/server.openssl.der" || fail "DER export from the store differs"
assert_ok tf export "pkcs11:token=Trust%20Folder;object=web" --format pem -o "$out.store.pem"
cmp "$out.store.pem" "$TF_SCRATCH/server.openssl.pem" || fail "PEM export from the store differs"

# PKCS#7 of a root: itself.
ca=$(fixture ca.pem)
inter=$(fixture inter.pem)
leaf=$(fixture server-inter.pem)
assert_ok tf export "$ca" --format p7b -o "$out.ca.p7b"
assert_eq "$(p7b_certs "$out.ca.p7b")" "$(pems "$ca")" "certificates in the root's p7b"

# The chain from the file (leaf, intermediate) and the store (the root).
assert_ok tf accept "$ca"
assert_ok tf export "$(fixture server-inter-chain.pem)" --format p7b -o "$out.chain.p7b"
assert_contains "$output" "PKCS#7 with 3 certificates"
assert_eq "$(p7b_certs "$out.chain.p7b")" "$(pems "$leaf" "$inter" "$ca")" \
	"certificates in the p7b of server-inter-chain.pem, in chain order"
openssl pkcs7 -inform DER -in "$out.chain.p7b" -print_certs >"$out.printed"
assert_eq "$(grep -c '^subject=' "$out.printed")" 3 "subjects openssl pkcs7 prints"
# It is the certificates-only PKCS#7 that openssl crl2pkcs7 makes of the same chain.
cat "$leaf" "$inter" "$ca" >"$TF_SCRATCH/chain3.pem"
openssl crl2pkcs7 -nocrl -certfile "$TF_SCRATCH/chain3.pem" -outform DER -out "$TF_SCRATCH/crl2pkcs7.p7b"
cmp "$out.chain.p7b" "$TF_SCRATCH/crl2pkcs7.p7b" || fail "the p7b differs from openssl crl2pkcs7's"

# The whole chain from the store alone: the intermediate added by NSS with no trust.
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n inter -t ",," -i "$inter"
assert_ok tf export "$leaf" --format p7b -o "$out.store.p7b"
assert_eq "$(p7b_certs "$out.store.p7b")" "$(pems "$leaf" "$inter" "$ca")" \
	"certificates in the p7b of server-inter.pem with the chain from the store"
# And Base-64.
assert_ok tf export "$leaf" --format p7b-pem -o "$out.store.p7b.pem"
assert_eq "$(head -1 "$out.store.p7b.pem")" "-----BEGIN PKCS7-----" "first line of p7b-pem"
assert_eq "$(p7b_certs "$out.store.p7b.pem" PEM)" "$(pems "$leaf" "$inter" "$ca")" \
	"certificates in the p7b-pem"

# Without the intermediate, the chain stops at the leaf: no wrong issuer is added.
assert_ok client certutil -D -d "sql:$db" -n "Trust Folder:inter"
assert_ok tf export "$leaf" --format p7b -o "$out.alone.p7b"
assert_eq "$(p7b_certs "$out.alone.p7b")" "$(pems "$leaf")" "certificates in the p7b of a leaf whose issuer is missing"

# Bad usage and failures.
assert_fails tf export "$server"
assert_eq "$status" 2 "exit status without --format"
assert_contains "$output" "--format is required"
assert_fails tf export "$server" --format xml
assert_eq "$status" 2 "exit status of an unknown format"
assert_contains "$output" "unknown format"
assert_fails tf export "$server" --format pem -o "$TF_SCRATCH/no/such/dir/out.pem"
assert_eq "$status" 1 "exit status of an unwritable output"
assert_contains "$output" "cannot write $TF_SCRATCH/no/such/dir/out.pem: No such file or directory"
