#!/bin/bash
# Bad input through a real client: each malformed create gets its CKR_ code
# and a log line, and nothing in the store changes. A store that is damaged,
# or that the user cannot write, gives a clear error (or a write-protected
# token) and no crash.
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
store=$(store_path)
before=$(store_sql 'SELECT id, seq, hex(der), has_trust, trust_server FROM records')
cert_der "$server" "$TF_SCRATCH/server.der"

# bad WHAT CODE MESSAGE: one malformed create, refused with CODE and logged.
bad() {
	assert_ok client "$TF_HELPERS/p11-client" "$TF_MODULE" create-bad "$1" "$TF_SCRATCH/server.der"
	assert_contains "$output" "$2"
	assert_contains "$output" "trustfolder: warning: $3"
	assert_eq "$(store_sql 'SELECT id, seq, hex(der), has_trust, trust_server FROM records')" "$before" \
		"store after bad input '$1'"
}
bad der 0x13 "certificate: CKA_VALUE is not a well-formed X.509 certificate"         # ATTRIBUTE_VALUE_INVALID
bad subject 0xd1 "certificate: attribute CKA_SUBJECT contradicts the object"           # TEMPLATE_INCONSISTENT
bad class 0x13 "create: objects of class 0x4 are not kept by this token"               # ATTRIBUTE_VALUE_INVALID
bad null-template 0x7 "template pointer is NULL"                                       # ARGUMENTS_BAD
# Positive trust for a certificate the token does not hold, with a hash that
# names nothing there: the hash is kept, so trust stays tied to that hash.
assert_ok client "$TF_HELPERS/p11-client" "$TF_MODULE" create-bad hash "$TF_SCRATCH/server.der"
assert_contains "$output" "0x0"
store_sql "DELETE FROM records WHERE der IS NULL" >/dev/null
# A wrong hash for a certificate the token does hold is refused.
cert_der "$ca" "$TF_SCRATCH/ca.der"
assert_ok client "$TF_HELPERS/p11-client" "$TF_MODULE" create-bad hash "$TF_SCRATCH/ca.der"
assert_contains "$output" "0x13"
assert_contains "$output" "CKA_CERT_SHA1_HASH: the hash is not the hash of the certificate held"

# A damaged store: NSS says the token is not there, the module says why, the
# file is left exactly as it was, and the session token still works.
cp "$store" "$TF_SCRATCH/good.db"
rm -f "$store-wal" "$store-shm"
printf 'not a database, and it must stay so\n' >"$store"
sum=$(sha256sum <"$store")
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_contains "$output" "could not be opened"
assert_contains "$output" "not a database"
assert_eq "$(listed_certs "$output")" "" "certificates listed from a damaged store"
# A decision cannot go to a token that is not there: certutil says so.
assert_fails client certutil -A -d "sql:$db" -h "Trust Folder" -n other -t "C,," -i "$server"
assert_contains "$output" "could not be opened"
assert_eq "$(sha256sum <"$store")" "$sum" "the damaged store's bytes"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects NSS put in its own database instead"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder Session" -n ca -t "C,," -i "$ca"

# A store newer than this module: refused, never rewritten.
cp "$TF_SCRATCH/good.db" "$store"
sqlite3 "$store" 'PRAGMA user_version = 99;'
sum=$(sha256sum <"$store")
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_contains "$output" "schema version 99"
assert_eq "$(sha256sum <"$store")" "$sum" "the newer store's bytes"

# A store the user cannot write: the token is write-protected, reading works,
# and a write is refused (certutil then says the token is read-only).
cp "$TF_SCRATCH/good.db" "$store"
user=nobody
chmod 0755 "$TF_SCRATCH" "$HOME" "$(dirname "$store")" "$(dirname "$(dirname "$store")")" \
	"$(dirname "$(dirname "$(dirname "$store")")")"
chmod 0644 "$store"
chmod -R a+rX "$db"
# The user must be able to reach the module and the helper wherever the tree is.
mkdir -p "$TF_SCRATCH/bin"
cp "$TF_MODULE" "$TF_HELPERS/p11-client" "$TF_SCRATCH/bin/"
chmod 0755 "$TF_SCRATCH/bin" "$TF_SCRATCH/bin"/*
module_copy=$TF_SCRATCH/bin/${TF_MODULE##*/}
client modutil -dbdir "sql:$db" -delete trustfolder -force >/dev/null
client modutil -dbdir "sql:$db" -add trustfolder -libfile "$module_copy" -force >/dev/null
chmod -R a+rX "$db"
as_user() {
	client setpriv --reuid="$user" --regid=nogroup --clear-groups env HOME="$HOME" \
		XDG_DATA_HOME="${XDG_DATA_HOME:-}" "$@"
}
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C,, *$'
assert_fails as_user "$TF_SCRATCH/bin/p11-client" "$module_copy" create-bad class "$TF_SCRATCH/server.der"
assert_contains "$output" "C_OpenSession failed: 0xe2" # CKR_TOKEN_WRITE_PROTECTED
assert_fails as_user certutil -A -d "sql:$db" -h "Trust Folder" -n other -t "C,," -i "$server"
assert_eq "$(store_sql 'SELECT count(*) FROM records')" 1 "records after a refused write"
