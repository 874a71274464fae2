#!/bin/bash
# A self-signed server certificate accepted as a peer ("P,,") in Trust Folder:
# tstclnt completes a TLS handshake with a local openssl s_server presenting
# it; distrusted ("p,p,p"), the handshake fails.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

cert=$(fixture selfsigned.pem)
key=$(fixture selfsigned.key)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
start_tls_server "$cert" "$key"

# Control: an unknown self-signed certificate (CA:FALSE, so NSS says
# SEC_ERROR_CA_CERT_INVALID rather than an unknown issuer), no handshake.
tls_connect "$db"
assert_eq "$status" 254 "tstclnt exit status with an unknown certificate"
assert_contains "$output" "authentication of server cert failed"

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n selfsigned -t "P,," -i "$cert"
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:selfsigned +P,, *$'
assert_eq "$(store_field_cert "$cert" trust_server)" "$TF_LEVEL_PEER" "server trust of P,,"

tls_connect "$db"
assert_eq "$status" 0 "tstclnt exit status with the accepted certificate"
assert_not_contains "$output" "failed"
assert_contains "$output" "subject DN: CN=localhost,O=trustfolder self-signed,C=XX"

assert_ok client certutil -M -d "sql:$db" -n "Trust Folder:selfsigned" -t "p,p,p"
tls_connect "$db"
assert_eq "$status" 254 "tstclnt exit status with the rejected certificate"
assert_contains "$output" "authentication of server cert failed: SEC_ERROR_UNTRUSTED_CERT"
assert_eq "$(store_count_cert "$cert")" 1 "store records for the certificate"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"
