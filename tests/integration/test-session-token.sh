#!/bin/bash
# "Accept for this session": a decision in Trust Folder Session is honoured by
# the process that made it and gone for the next process; it never reaches
# the store. The same program writing to Trust Folder leaves a decision that
# the next process finds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
check=$TF_HELPERS/nss-session-check
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

# One process: import the CA into the session token with C,, and verify.
assert_ok client "$check" --token "Trust Folder Session" "$db" "$ca" "$server"
assert_contains "$output" "token: Trust Folder Session"
assert_contains "$output" "import: ok"
assert_contains "$output" "token certificates: 1"
assert_contains "$output" "verify: ok"

# The next process: nothing in the session token, nothing to verify against.
assert_token_empty "$db" "Trust Folder Session"
run client "$check" --no-import --token "Trust Folder Session" "$db" - "$server"
assert_eq "$status" 1 "nss-session-check exit status in a new process"
assert_contains "$output" "token certificates: 0"
assert_contains "$output" "verify: fail SEC_ERROR_UNKNOWN_ISSUER"
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "ERROR -8179"

# The same with certutil: its session decision ends with it.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder Session" -n ca -t "C,," -i "$ca"
assert_token_empty "$db" "Trust Folder Session"

# Nothing of it went to disk: neither the store nor NSS's database.
if [ -f "$(store_path)" ]; then
	assert_eq "$(store_sql 'SELECT count(*) FROM records;')" 0 "records in the store"
fi
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"
assert_fails grep -rlaF "trustfolder Test Root CA" "$TF_SCRATCH/home" "$db"

# Contrast: the same program, the persistent token. The next process sees it.
assert_ok client "$check" --token "Trust Folder" "$db" "$ca" "$server"
assert_contains "$output" "import: ok"
assert_contains "$output" "verify: ok"
assert_ok client "$check" --no-import --token "Trust Folder" "$db" - "$server"
assert_contains "$output" "token certificates: 1"
assert_contains "$output" "verify: ok"
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA"
