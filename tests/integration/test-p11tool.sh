#!/bin/bash
# GnuTLS's p11tool writes decisions in its dialect and NSS and p11-kit follow:
# --write --mark-trusted --mark-ca makes an anchor (certutil shows a trusted
# CA, vfychain accepts what it issued, trust list an anchor);
# --write --mark-distrusted a distrusted certificate (p,p,p, a blocklist
# entry); --list-all-certs, --list-all-trusted and --export show them;
# --delete takes each away from every view.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

gnutls_tools_run || exit 0

ca=$(fixture ca.pem)
server=$(fixture server.pem)
wildcard=$(fixture wildcard.pem)
cert_der "$ca" "$TF_SCRATCH/ca.der"
url='pkcs11:token=Trust%20Folder'

user_scratch
assert_ok as_user "$TF_SCRATCH/tree/scripts/register-p11kit"
db=$TF_SCRATCH/nssdb
user_nssdb "$db"

# p11tool_ok ARGS...: p11tool as the user, in batch mode, succeeds.
p11tool_ok() {
	assert_ok as_user p11tool --batch "$@"
}

# Accept the CA forever, in GnuTLS's words.
p11tool_ok --write --mark-trusted --mark-ca --label ca --load-certificate "$ca" "$url"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:ca +C[^,]*,'
assert_ok as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_ok as_user trust list --filter=ca-anchors
assert_contains "$output" "label: ca"$'\n'"    trust: anchor"$'\n'"    category: authority"

# Do not accept the wildcard server certificate (which the CA issued).
p11tool_ok --write --mark-distrusted --label wild --load-certificate "$wildcard" "$url"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:wild +p,p,p *$'
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$wildcard"
assert_contains "$output" "Chain is bad!"
assert_ok as_user trust list --filter=blocklist
assert_contains "$output" "label: wild"$'\n'"    trust: distrusted"

p11tool_ok --list-all-certs "$url"
assert_contains "$output" "Label: ca"$'\n'"	Flags: CKA_CERTIFICATE_CATEGORY=CA; CKA_TRUSTED;"
assert_match "$output" "^	Label: wild\$"
assert_match "$output" "^	Flags: .*CKA_X_DISTRUSTED;"
p11tool_ok --list-all-trusted "$url"
assert_contains "$output" "Label: ca"
assert_not_contains "$output" "Label: wild"

p11tool_ok --export "$url;object=ca;type=cert"
openssl x509 -outform DER -out "$TF_SCRATCH/exported.der" <<<"$output" ||
	fail "p11tool --export gave no certificate" "$output"
cmp "$TF_SCRATCH/exported.der" "$TF_SCRATCH/ca.der" || fail "p11tool --export changed the certificate"

# --delete: each decision goes from every view.
p11tool_ok --delete "$url;object=wild;type=cert"
assert_contains "$output" "1 objects deleted"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_no_match "$(listed_certs "$output")" '^Trust Folder:wild '
assert_ok as_user trust list --filter=blocklist
assert_not_contains "$output" "label: wild"

p11tool_ok --delete "$url;object=ca;type=cert"
assert_contains "$output" "1 objects deleted"
assert_ok as_user certutil -L -d "sql:$db" -h "Trust Folder"
assert_eq "$(listed_certs "$output")" "" "certificates in Trust Folder after --delete"
assert_fails as_user vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_ok as_user trust list --filter=ca-anchors
assert_no_match "$output" '^ +label: ca$'
