#!/bin/bash
# "Accept forever": a decision written to Trust Folder by one process is there
# for every later process of the user, whichever NSS database it opens,
# because it lives in the user's store (created private: 0700 / 0600).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db1=$TF_SCRATCH/nssdb1
db2=$TF_SCRATCH/nssdb2
make_nssdb "$db1"

assert_ok client certutil -A -d "sql:$db1" -h "Trust Folder" -n ca -t "C,," -i "$ca"

# A new certutil process on the same database.
assert_ok client certutil -L -d "sql:$db1" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C,, *$'

# Another NSS database of the same user: the decision is not in NSS's
# database but in the module's store, so it is there too.
make_nssdb "$db2"
assert_ok client certutil -L -d "sql:$db2" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C,, *$'
assert_ok client vfychain -d "sql:$db2" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_ok client "$TF_HELPERS/nss-session-check" --no-import --token "Trust Folder" "$db2" - "$server"
assert_contains "$output" "token certificates: 1"
assert_contains "$output" "verify: ok"
assert_eq "$(nssdb_internal_count "$db1")" 0 "objects in the first NSS database"
assert_eq "$(nssdb_internal_count "$db2")" 0 "objects in the second NSS database"

# The store is where DESIGN.md says, private to the user.
store=$(store_path)
assert_eq "$(stat -c %a "$(dirname "$store")")" 700 "mode of the store directory"
assert_eq "$(stat -c %a "$store")" 600 "mode of the store file"
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA"

# A decision changed by one process is what the next one sees.
assert_ok client certutil -M -d "sql:$db2" -n "Trust Folder:ca" -t "p,p,p"
assert_ok client certutil -L -d "sql:$db1" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +p,p,p *$'
assert_fails client vfychain -d "sql:$db1" -u 1 -pp -a "$server"
assert_contains "$output" "ERROR -8171"
