#!/bin/bash
# p11-kit's dialect, seen by everyone: `trust anchor --store ca.pem` puts the
# CA into Trust Folder (the first writable trust-policy token); NSS then shows
# it as a trusted CA and accepts what it issued, `trust list` shows an anchor,
# `trust extract` exports it, GnuTLS and pkcs11-tool see it. `trust anchor
# --remove` takes it out of every one of those views.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
ca_label="trustfolder Test Root CA"

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit"
db=$TF_SCRATCH/nssdb
user_nssdb "$db"

# extracted_subjects FILE: the subjects of the test certificates (O =
# trustfolder ...) in a PEM bundle, one a line; the system's CAs are left out.
extracted_subjects() {
	grep -q -- '-----BEGIN CERTIFICATE-----' "$1" || return 0
	openssl crl2pkcs7 -nocrl -certfile "$1" | openssl pkcs7 -print_certs -noout |
		sed -n 's/^subject=\(.*O = trustfolder .*\)/\1/p'
}
ca_subject=$(openssl x509 -in "$ca" -noout -subject | sed 's/^subject=//')

# assert_user_token_empty: assert_token_empty, as the user.
assert_user_token_empty() {
	assert_ok as_user certutil -U -d "sql:$db"
	assert_match "$output" "^ *token: Trust Folder *\$"
	assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
	if [ -n "$(listed_certs "$output")" ]; then
		fail "expected no certificate in Trust Folder, got:" "$output"
	fi
}

assert_user_token_empty
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"

assert_trust_anchor --store "$ca"

# NSS: a trusted CA in Trust Folder, whose server certificate verifies.
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" "^Trust Folder:$ca_label +C[^,]*,"
assert_eq "$(listed_certs "$output" | wc -l)" 1 "certificates listed in Trust Folder"
assert_ok as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's cert9.db"

# p11-kit: an anchor, extracted for server authentication.
assert_ok as_user trust list --filter=ca-anchors
assert_contains "$output" "label: $ca_label"$'\n'"    trust: anchor"$'\n'"    category: authority"
bundle=$TF_SCRATCH/anchors.pem
assert_ok as_user trust extract --format=pem-bundle --filter=ca-anchors --purpose server-auth \
	--overwrite "$bundle"
assert_contains "$(extracted_subjects "$bundle")" "$ca_subject"

# GnuTLS and pkcs11-tool: a certificate with CKA_TRUSTED, category authority.
if gnutls_tools_run; then
	assert_ok as_user p11tool --list-all-trusted 'pkcs11:token=Trust%20Folder'
	assert_contains "$output" "Label: $ca_label"
	assert_match "$output" "Flags: CKA_CERTIFICATE_CATEGORY=CA; CKA_TRUSTED;"
fi
assert_ok as_user pkcs11-tool --module "$TF_MODULE" --token-label "Trust Folder" -O --type cert
assert_contains "$output" "label:      $ca_label"

# Storing it again changes nothing.
assert_trust_anchor --store "$ca"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_eq "$(listed_certs "$output" | wc -l)" 1 "certificates listed after a second --store"

# trust anchor --remove: gone from every view.
assert_trust_anchor --remove "$ca"
assert_user_token_empty
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_ok as_user trust list
assert_not_contains "$output" "$ca_label"
assert_ok as_user trust extract --format=pem-bundle --filter=ca-anchors --purpose server-auth \
	--overwrite "$bundle"
assert_not_contains "$(extracted_subjects "$bundle")" "$ca_subject"
if gnutls_tools_run; then
	run as_user p11tool --list-all-certs 'pkcs11:token=Trust%20Folder'
	assert_contains "$output" "No matching objects found" # and p11tool exits 2
fi
assert_ok as_user pkcs11-tool --module "$TF_MODULE" --token-label "Trust Folder" -O
assert_not_contains "$output" "$ca_label"
assert_not_contains "$output" "Certificate Object"
