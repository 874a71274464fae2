#!/bin/bash
# certutil -D removes a certificate and its trust from Trust Folder: nothing
# of it is left in the store, and NSS no longer trusts what it issued.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
selfsigned=$(fixture selfsigned.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n selfsigned -t "p,p,p" -i "$selfsigned"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA before certutil -D"

assert_ok client certutil -D -d "sql:$db" -n "Trust Folder:ca"

assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_no_match "$(listed_certs "$output")" '^Trust Folder:ca '
assert_match "$(listed_certs "$output")" '^Trust Folder:selfsigned +p,p,p *$'
assert_fails client certutil -L -d "sql:$db" -n "Trust Folder:ca"
assert_contains "$output" "Could not find cert: Trust Folder:ca"

assert_eq "$(store_count_cert "$ca")" 0 "store records for the CA after certutil -D"
assert_eq "$(store_sql "SELECT count(*) FROM records WHERE der = X'$(cert_hex "$ca" der)' OR subject = X'$(cert_hex "$ca" subject)';")" \
	0 "store records holding the CA's DER or subject"

# Trust went with the certificate: the issuer is unknown again.
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "ERROR -8179"

# A distrusted certificate is removed the same way.
assert_ok client certutil -D -d "sql:$db" -n "Trust Folder:selfsigned"
assert_eq "$(store_count_cert "$selfsigned")" 0 "store records for the self-signed certificate"
assert_eq "$(store_sql 'SELECT count(*) FROM records;')" 0 "records left in the store"

assert_token_empty "$db" "Trust Folder"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"
