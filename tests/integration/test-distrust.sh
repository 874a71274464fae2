#!/bin/bash
# "Do not accept" for a CA: certutil -M -t "p,p,p" on a CA the module trusts
# turns the decision around in place (one record, now distrusted), and NSS
# rejects what the CA issued with SEC_ERROR_UNTRUSTED_ISSUER.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"

assert_ok client certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "p,p,p"

assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +p,p,p *$'
assert_eq "$(listed_certs "$output" | wc -l)" 1 "certificates listed in Trust Folder"

# The error NSS's classic verifier gives for a leaf whose issuer is distrusted.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n server -t ",," -i "$server"
assert_fails client certutil -V -d "sql:$db" -u V -n "Trust Folder:server"
assert_contains "$output" "certificate is invalid"
assert_contains "$output" "Peer's certificate issuer has been marked as not trusted by the user."
assert_fails client "$TF_HELPERS/nss-session-check" --no-import --token "Trust Folder" "$db" - "$server"
assert_contains "$output" "verify: fail SEC_ERROR_UNTRUSTED_ISSUER"

# The PKIX verifier names the CA itself as distrusted (SEC_ERROR_UNTRUSTED_CERT,
# -8171): distrust, not merely the absence of trust (which is -8172).
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_contains "$output" "ERROR -8171: Peer's certificate has been marked as not trusted by the user."

# certutil -M sent a second trust create; the module updated the record.
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA"
assert_eq "$(store_field_cert "$ca" "has_trust || ',' || trust_server || ',' || trust_client || ',' || trust_code || ',' || trust_email")" \
	"1,$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED" \
	"has_trust and trust levels of p,p,p"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"

# And back: trusting it again updates the same record, and NSS accepts again.
assert_ok client certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "C,,"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA after trusting it again"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "server trust after C,,"
