#!/bin/bash
# OpenSC's pkcs11-tool, loading the module itself: -L, -O, --read-object
# (byte for byte the DER that certutil stored), --write-object (a certificate
# NSS then lists), --delete-object (gone for NSS too) and --test, with no
# error or warning. pkcs11-tool takes the module's PKCS#11 3.0 interface.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
cert_der "$ca" "$TF_SCRATCH/ca.der"
cert_der "$server" "$TF_SCRATCH/server.der"
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"

# tool ARGS...: pkcs11-tool on the module, which must not complain.
tool() {
	assert_ok client pkcs11-tool --module "$TF_MODULE" "$@"
	assert_no_match "$output" '[Ee]rror|[Ww]arning|CKR_'
}

# pkcs11-tool asks for C_GetInterface("PKCS 11") first, and the module
# answers it (OpenSC's spy says "[compat]" when it has to make one up).
spy_log=$TF_SCRATCH/spy.log
assert_ok client env PKCS11SPY="$TF_MODULE" PKCS11SPY_OUTPUT="$spy_log" \
	pkcs11-tool --module /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so -I
assert_contains "$output" "Manufacturer     trustfolder"
assert_match "$(cat "$spy_log")" '^0: C_GetInterface$'
assert_not_contains "$(sed -n '/^0: C_GetInterface/,/^Returned/p' "$spy_log")" "[compat]"
assert_contains "$(sed -n '/^0: C_GetInterface/,/^Returned/p' "$spy_log")" "Returned:  0 CKR_OK"

tool -L
assert_match "$output" "token label +: Trust Folder\$"
assert_match "$output" "token label +: Trust Folder Session\$"
assert_contains "$output" "token flags        : token initialized, PIN initialized"

tool --token-label "Trust Folder" -O
assert_contains "$output" "Certificate Object; type = X.509 cert"
assert_contains "$output" "label:      ca"
assert_contains "$output" "subject:    DN: C=XX, O=trustfolder tests, CN=trustfolder Test Root CA"
assert_contains "$output" "serial:     1000"

tool --token-label "Trust Folder" --read-object --type cert --label ca -o "$TF_SCRATCH/read.der"
cmp "$TF_SCRATCH/read.der" "$TF_SCRATCH/ca.der" ||
	fail "--read-object did not give back the DER certutil stored"

# --write-object: a token certificate, which NSS sees in Trust Folder (with no
# trust: pkcs11-tool makes no decision).
tool --token-label "Trust Folder" --write-object "$TF_SCRATCH/server.der" --type cert \
	--label srv --id 0102
assert_contains "$output" "Created certificate:"
assert_contains "$output" "label:      srv"
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:srv +, *, *$'
tool --token-label "Trust Folder" --read-object --type cert --id 0102 -o "$TF_SCRATCH/srv.der"
cmp "$TF_SCRATCH/srv.der" "$TF_SCRATCH/server.der" ||
	fail "--read-object did not give back the DER --write-object stored"
assert_eq "$(store_count_cert "$server")" 1 "store records for the written certificate"

tool --token-label "Trust Folder" --delete-object --type cert --label srv
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_no_match "$(listed_certs "$output")" '^Trust Folder:srv '
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C'
assert_eq "$(store_count_cert "$server")" 0 "store records after --delete-object"

# --test on both tokens: no mechanisms and no RNG, reported as such.
for token in "Trust Folder" "Trust Folder Session"; do
	assert_ok client pkcs11-tool --module "$TF_MODULE" --token-label "$token" --test
	assert_contains "$output" "No errors"
	assert_contains "$output" "RNG not available"
done
