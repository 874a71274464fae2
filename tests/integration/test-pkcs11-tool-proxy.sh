#!/bin/bash
# pkcs11-tool through p11-kit-proxy.so, for a user who registered the module
# with --proxy: the proxy offers both tokens, and -O, --read-object,
# --write-object, --delete-object and --test behave as they do on the module
# itself. (With the default registration the proxy leaves the module out:
# test-p11kit-register.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

proxy=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
ca=$(fixture ca.pem)
server=$(fixture server.pem)
cert_der "$ca" "$TF_SCRATCH/ca.der"
cert_der "$server" "$TF_SCRATCH/server.der"

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit" --proxy
db=$TF_SCRATCH/nssdb
user_nssdb "$db"
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"

# tool ARGS...: pkcs11-tool through the proxy, which must not complain.
tool() {
	assert_ok as_user pkcs11-tool --module "$proxy" "$@"
	assert_no_match "$output" '[Ee]rror|[Ww]arning|CKR_'
}

tool -L
assert_match "$output" "token label +: Trust Folder\$"
assert_match "$output" "token label +: Trust Folder Session\$"

tool --token-label "Trust Folder" -O --type cert
assert_contains "$output" "label:      ca"
tool --token-label "Trust Folder" --read-object --type cert --label ca -o "$TF_SCRATCH/read.der"
cmp "$TF_SCRATCH/read.der" "$TF_SCRATCH/ca.der" ||
	fail "--read-object through the proxy did not give back the DER certutil stored"

tool --token-label "Trust Folder" --write-object "$TF_SCRATCH/server.der" --type cert --label srv
assert_contains "$output" "Created certificate:"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:srv +, *, *$'
tool --token-label "Trust Folder" --delete-object --type cert --label srv
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_no_match "$(listed_certs "$output")" '^Trust Folder:srv '

assert_ok as_user pkcs11-tool --module "$proxy" --token-label "Trust Folder" --test
assert_contains "$output" "No errors"
