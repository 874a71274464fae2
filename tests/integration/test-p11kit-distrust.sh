#!/bin/bash
# NSS's "do not accept" seen by p11-kit: `certutil -A -t "p,p,p"` into Trust
# Folder makes `trust list` show the certificate as distrusted and `trust
# extract --filter=blocklist` export it, and it is no anchor any more even
# though another trust-policy module (p11-kit-trust, here given a directory of
# its own) anchors it. certutil -D gives the other module's anchor back.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

other=$(fixture other-ca.pem)
other_subject=$(openssl x509 -in "$other" -noout -subject | sed 's/^subject=//')

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit"
db=$TF_SCRATCH/nssdb
user_nssdb "$db"

# p11-kit-trust, for this user only, reads a directory of its own instead of
# the system's bundle (x-init-reserved reaches it: `trust` lets p11-kit
# initialize the modules); what is in its anchors/ subdirectory is anchored.
anchors=$TF_SCRATCH/system-anchors
mkdir -p "$anchors/anchors"
cp "$other" "$anchors/anchors/"
printf 'x-init-reserved: paths=%s\n' "$anchors" >"$XDG_CONFIG_HOME/pkcs11/modules/p11-kit-trust.module"
chown -R "$TF_USER:$TF_USER_GROUP" "$anchors" "$XDG_CONFIG_HOME"

# extract FILTER: the subjects of the test certificates that `trust extract
# --filter=FILTER` exports.
extract() {
	local bundle=$TF_SCRATCH/extract-$1.pem
	assert_ok as_user trust extract --format=pem-bundle --filter="$1" --purpose server-auth \
		--overwrite "$bundle"
	grep -q -- '-----BEGIN CERTIFICATE-----' "$bundle" || return 0
	openssl crl2pkcs7 -nocrl -certfile "$bundle" | openssl pkcs7 -print_certs -noout |
		sed -n 's/^subject=\(.*O = trustfolder .*\)/\1/p'
}

assert_ok as_user p11-kit list-modules
assert_match "$output" "^ +token: ${anchors##*/}\$"
assert_contains "$(extract ca-anchors)" "$other_subject"
assert_not_contains "$(extract blocklist)" "$other_subject"

# Do not accept it, in NSS's dialect.
assert_ok as_user certutil -A -d "sql:$db" -h "Trust Folder" -n other -t "p,p,p" -i "$other"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:other +p,p,p *$'

assert_ok as_user trust list --filter=blocklist
assert_contains "$output" "label: other"$'\n'"    trust: distrusted"
assert_ok as_user trust list --filter=ca-anchors
assert_not_contains "$output" "label: other"
assert_contains "$(extract blocklist)" "$other_subject"
assert_not_contains "$(extract ca-anchors)" "$other_subject"

# GnuTLS sees the flag on the certificate (whether it acts on it: see
# test-gnutls-distrust).
if gnutls_tools_run; then
	assert_ok as_user p11tool --list-all-certs 'pkcs11:token=Trust%20Folder'
	assert_contains "$output" "Label: other"
	assert_contains "$output" "CKA_X_DISTRUSTED;"
fi

# Taking the decision back: p11-kit-trust's anchor counts again.
assert_ok as_user certutil -D -d "sql:$db" -n "Trust Folder:other"
assert_ok as_user trust list --filter=blocklist
assert_not_contains "$output" "label: other"
assert_not_contains "$(extract blocklist)" "$other_subject"
assert_contains "$(extract ca-anchors)" "$other_subject"
