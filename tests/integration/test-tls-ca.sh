#!/bin/bash
# TLS through a CA decision: with the CA trusted ("C,,") in Trust Folder,
# tstclnt accepts a server whose certificate the CA issued; with the CA
# distrusted ("p,p,p"), it rejects it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
start_tls_server "$(fixture server.pem)" "$(fixture server.key)"

tls_connect "$db"
assert_eq "$status" 254 "tstclnt exit status before any decision"
assert_contains "$output" "authentication of server cert failed: SEC_ERROR_UNKNOWN_ISSUER"

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
tls_connect "$db"
assert_eq "$status" 0 "tstclnt exit status with the CA trusted"
assert_not_contains "$output" "failed"
assert_contains "$output" "issuer  DN: CN=trustfolder Test Root CA,O=trustfolder tests,C=XX"

assert_ok client certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "p,p,p"
tls_connect "$db"
assert_eq "$status" 254 "tstclnt exit status with the CA distrusted"
assert_contains "$output" "authentication of server cert failed: SEC_ERROR_UNTRUSTED_ISSUER"
