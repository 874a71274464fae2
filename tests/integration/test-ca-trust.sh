#!/bin/bash
# "Accept forever" for a CA: certutil -A -h "Trust Folder" -t "C,," stores the
# certificate and its trust in the module (nothing in NSS's own database), and
# NSS then accepts a server certificate the CA issued.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

# Control: before the decision NSS does not know the issuer, so a later
# success can only come from the module.
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_contains "$output" "ERROR -8179"   # SEC_ERROR_UNKNOWN_ISSUER

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"

assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C,, *$'
assert_eq "$(listed_certs "$output" | wc -l)" 1 "certificates listed in Trust Folder"

# SSL server use (-u 1), with the PKIX verifier (-pp) and the classic one (-p).
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_ok client vfychain -d "sql:$db" -u 1 -p -a "$server"
assert_contains "$output" "Chain is good!"

# certutil -V needs the leaf in a database: put it, without trust (",,"), in
# the module too, so that NSS's own database stays empty.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n server -t ",," -i "$server"
assert_ok client certutil -V -d "sql:$db" -u V -n "Trust Folder:server"
assert_contains "$output" "certificate is valid"

# The module holds the decision; NSS's own database holds nothing.
assert_ok client certutil -L -d "sql:$db"
assert_eq "$(listed_certs "$output")" "" "certificates in NSS's own database (certutil -L)"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"

assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA"
assert_eq "$(store_field_cert "$ca" "hex(der)")" "$(cert_hex "$ca" der)" "DER of the stored CA"
assert_eq "$(store_field_cert "$ca" "has_trust || ',' || trust_server || ',' || trust_client || ',' || trust_code || ',' || trust_email")" \
	"1,$TF_LEVEL_ANCHOR,$TF_LEVEL_CA,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY" \
	"has_trust and trust levels (server, client, code, email) of C,,"
assert_eq "$(store_field_cert "$server" "has_trust")" 0 "has_trust of the leaf imported with ,,"
