#!/bin/bash
# A decision for some purposes only, made in NSS's dialect, narrows the anchor
# in p11-kit's and GnuTLS's too: the module staples an extended key usage
# extension (CKO_X_CERTIFICATE_EXTENSION) to the certificate's public key.
# certutil -t ",C," (a CA for e-mail only) is no server-auth anchor for
# `trust extract --purpose server-auth` nor for GnuTLS verifying a TLS server
# certificate; certutil -t "C,," (for TLS servers only) is no e-mail anchor.
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/.. source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
server=$(fixture server.pem)
ca_subject=$(openssl x509 -in "$ca" -noout -subject | sed 's/^subject=//')
url='pkcs11:token=Trust%20Folder'

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit"
db=$TF_SCRATCH/nssdb
user_nssdb "$db"

# anchored_for PURPOSE: the subjects `trust extract` exports as anchors for
# PURPOSE (server-auth, email, ...), of the test certificates only.
anchored_for() {
	local bundle=$TF_SCRATCH/anchors-$1.pem
	assert_ok as_user trust extract --format=pem-bundle --filter=ca-anchors --purpose "$1" \
		--overwrite "$bundle"
	grep -q -- '-----BEGIN CERTIFICATE-----' "$bundle" || return 0
	openssl crl2pkcs7 -nocrl -certfile "$bundle" | openssl pkcs7 -print_certs -noout |
		sed -n 's/^subject=\(.*O = trustfolder .*\)/\1/p'
}

# A CA for e-mail only.
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t ",C," -i "$ca"
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$(anchored_for email)" "$ca_subject"
assert_not_contains "$(anchored_for server-auth)" "$ca_subject"
if gnutls_tools_run; then
	assert_fails as_user certtool --verify --verify-purpose 1.3.6.1.5.5.7.3.1 \
		--load-ca-certificate "$url" --infile "$server"
	assert_contains "$output" "Chain verification output: Not verified."
fi

# The same CA for TLS servers only.
assert_ok as_user certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "C,,"
assert_ok as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$(anchored_for server-auth)" "$ca_subject"
assert_not_contains "$(anchored_for email)" "$ca_subject"
if gnutls_tools_run; then
	assert_ok as_user certtool --verify --verify-purpose 1.3.6.1.5.5.7.3.1 \
		--load-ca-certificate "$url" --infile "$server"
	assert_contains "$output" "Chain verification output: Verified."
fi

# trust anchor --store: an anchor for every purpose, stapled with nothing.
assert_trust_anchor --store "$ca"
assert_contains "$(anchored_for server-auth)" "$ca_subject"
assert_contains "$(anchored_for email)" "$ca_subject"
