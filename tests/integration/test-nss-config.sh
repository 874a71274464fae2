#!/bin/bash
# The shipped nss-config/pkcs11.txt stanza, appended to a database's
# pkcs11.txt (with the library path pointed at the module under test), loads
# the module with trustOrder 50; policies.json names the same installed path.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

stanza=$TF_ROOT/nss-config/pkcs11.txt
policies=$TF_ROOT/nss-config/policies.json
installed=/usr/local/lib/x86_64-linux-gnu/pkcs11/trustfolder-pkcs11.so
db=$TF_SCRATCH/nssdb

assert_contains "$(cat "$stanza")" "library=$installed"
assert_contains "$(cat "$policies")" "\"trustfolder\": \"$installed\""
assert_contains "$(cat "$policies")" "\"SecurityDevices\""

mkdir -p "$db"
assert_ok client certutil -N -d "sql:$db" --empty-password
{
	echo
	sed "s|^library=.*|library=$TF_MODULE|" "$stanza"
} >>"$db/pkcs11.txt"

assert_ok client modutil -dbdir "sql:$db" -rawlist
assert_match "$output" "name=\"trustfolder\".*trustOrder=50"
assert_ok client modutil -dbdir "sql:$db" -list
assert_contains "$output" "token: Trust Folder"
assert_contains "$output" "token: Trust Folder Session"

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$(fixture ca.pem)"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$(fixture server.pem)"
assert_contains "$output" "Chain is good!"
