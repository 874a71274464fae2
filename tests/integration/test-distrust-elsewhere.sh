#!/bin/bash
# "Do not accept" beats NSS's own database: a CA trusted C,, in NSS's
# cert9.db, and distrusted in the module by a trust record that holds no
# certificate (issuer + serial, no hash, written through PKCS#11), fails
# verification. Removing the module's record brings NSS's own trust back.
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

# Trusted in NSS's own database only.
assert_ok client certutil -A -d "sql:$db" -n ca -t "C,," -i "$ca"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"

cert_der "$ca" "$TF_SCRATCH/ca.der"
assert_ok client "$TF_HELPERS/p11-client" "$TF_MODULE" distrust "$TF_SCRATCH/ca.der"
assert_contains "$output" "distrusted"
# The module holds the decision but not the certificate.
assert_eq "$(store_sql 'SELECT count(*) FROM records WHERE der IS NULL AND sha1 IS NULL AND has_trust = 1')" 1 \
	"trust-only records without a hash"
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_eq "$(listed_certs "$output")" "" "certificates listed in Trust Folder"

assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_match "$output" "ERROR -817[12]:"
assert_fails client certutil -V -d "sql:$db" -u V -n ca
assert_contains "$output" "certificate is invalid"

# Forget the module's decision (certutil -D on the module's token would not find
# a certificate there, so the test removes the row as another process would).
store_sql 'DELETE FROM records' >/dev/null
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
