#!/bin/bash
# accept --until: the decision carries its end (TF_CKA_DECISION_EXPIRES), and
# once that is past no view trusts the certificate: NSS lists it without
# trust and refuses what it issued, GnuTLS's p11tool (CKA_TRUSTED, the view
# p11-kit reads) does not list it as trusted, trustfolder verify says the
# decision ended, list marks it. A future end trusts until then; the date forms parse.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

# gnutls_trusted: the certificates p11tool lists as trusted in Trust Folder
# (in $output; it exits 1 with "No matching objects found" for none).
gnutls_trusted() {
	run client p11tool --provider "$TF_MODULE" --list-all-trusted "pkcs11:token=Trust%20Folder"
	if [ "$status" -ne 0 ] && ! grep -q "No matching objects found" <<<"$output"; then
		fail "p11tool --list-all-trusted failed with exit status $status" "$output"
	fi
}

ca=$(fixture ca.pem)
server=$(fixture server.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

# An end in the past: accepted (with a warning), and no trust anywhere.
assert_ok tf accept "$ca" --label root --until 2001-01-01
assert_contains "$output" "until 2001-01-01 00:00:00 UTC"
assert_contains "$output" "warning: --until 2001-01-01 00:00:00 UTC is in the past: this decision grants no trust"
assert_eq "$(store_field_cert "$ca" expires)" 978307200 "the end in the store"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "the decision as recorded"
# NSS: the certificate is there, with no trust, and does not anchor a chain.
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:root +, *, *$'
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"
assert_fails client certutil -V -d "sql:$db" -u V -n "Trust Folder:root"
# GnuTLS / p11-kit: not among the trusted certificates (CKA_TRUSTED is false).
gnutls_trusted
assert_not_contains "$output" "Label: root"
# trustfolder list reads the trust object NSS reads.
assert_ok tf list --json
assert_eq "$(jq -r '.[0].trust.server + " " + (.[0].ended | tostring) + " " + (.[0].until | tostring)' <<<"$output")" \
	"unknown true 978307200" "list --json of an ended decision"
assert_ok tf list
assert_match "$output" '^forever +root +- +- +- +- +ended 2001-01-01 00:00 '
# trustfolder verify: not trusted, and why.
run tf verify "$server" --host localhost
assert_eq "$status" 1 "verify's exit status with an ended decision"
assert_contains "$output" "Reason: decision ended: the decision about C=XX, O=trustfolder tests, CN=trustfolder Test Root CA in Trust Folder as \"root\" ended on 2001-01-01 00:00:00 UTC"
assert_contains "$output" "Reason: no trusted root"

# An end in the future: trusted until then, in every view.
assert_ok tf accept "$ca" --label root --until +1d
assert_not_contains "$output" "warning"
now=$(date +%s)
end=$(store_field_cert "$ca" expires)
if [ "$end" -lt $((now + 86400 - 60)) ] || [ "$end" -gt $((now + 86400 + 60)) ]; then
	fail "expected an end about a day from now ($now + 86400), got $end"
fi
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:root +C,, *$'
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_ok tf verify "$server" --host localhost
assert_contains "$output" "Verdict: trusted"
gnutls_trusted
assert_contains "$output" "Label: root"

# The end moves back into the past on the same record: trust goes again.
assert_ok tf accept "$ca" --label root --until @1000
assert_eq "$(store_count_cert "$ca")" 1 "records after three accepts"
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
gnutls_trusted
assert_not_contains "$output" "Label: root"
# And an accept without --until ends nothing.
assert_ok tf accept "$ca" --label root
assert_eq "$(store_field_cert "$ca" "coalesce(expires, 0)")" 0 "the end after an accept without --until"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"

# A distrust with an end stays a distrust after it (only positive trust ends).
assert_ok tf reject "$ca" --label root
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "ERROR -8171"

# Every date form, and the bad ones (exit status 2, nothing written).
for form in "2030-06-01:1906502400" "2030-06-01T12:30:15Z:1906547415" "2030-06-01 12:30:1906547400" \
	"2030-06-01T12:30:15:1906547415" "@1906502400:1906502400"; do
	assert_ok tf accept "$(fixture wildcard.pem)" --until "${form%:*}"
	assert_eq "$(store_field_cert "$(fixture wildcard.pem)" expires)" "${form##*:}" "the end of --until ${form%:*}"
done
before=$(store_sql 'SELECT id, seq, expires FROM records')
for bad in 2030-02-30 2030-13-01 tomorrow +5y 2030-06-01T25:00 @-5 "2030-06-01 12" ""; do
	assert_fails tf accept "$(fixture wildcard.pem)" --until "$bad"
	assert_eq "$status" 2 "exit status of --until '$bad'"
	assert_contains "$output" "not a date"
done
assert_eq "$(store_sql 'SELECT id, seq, expires FROM records')" "$before" "the store after bad --until values"

# Issue 4: "a decision past its date, or on a certificate past its validity,
# is no longer trust in any view". An accepted CA that has expired is kept,
# but no view trusts it: certutil shows no trust, GnuTLS lists no anchor.
expired=$(fixture expired.pem)
assert_ok tf accept "$expired" --as ca --label old
assert_contains "$output" "warning: the certificate expired on 2000-01-01 00:00:00 UTC"
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
assert_match "$(listed_certs "$output")" '^Trust Folder:old +,, *$'
gnutls_trusted
assert_not_contains "$output" "Label: old"
assert_ok tf list
assert_match "$output" '^forever +old +- +- +- +- +never +- +EXPIRED 2000-01-01$'
run tf verify "$expired"
assert_eq "$status" 1 "verify's exit status for an accepted but expired CA"
assert_contains "$output" "Reason: expired: "
