#!/bin/bash
# trustfolder accept, reject, forget and import, seen through NSS: accept
# shows in certutil -L -h "Trust Folder" and vfychain honours it; reject makes
# NSS verification fail; forget removes the decision from certutil,
# pkcs11-tool and the store. Each decision is one record written as NSS
# writes one (a certificate and an NSS trust object), with the levels,
# hosts, end date and creator the options say.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

# levels FILE: has_trust and the four levels (server,client,code,email) in the store.
levels() {
	store_field_cert "$1" "has_trust || ':' || trust_server || ',' || trust_client || ',' || trust_code || ',' || trust_email"
}

# nss_list: the certificates certutil lists in Trust Folder.
nss_list() {
	assert_ok client certutil -L -d "sql:$db" -h "Trust Folder"
	listed_certs "$output"
}

ca=$(fixture ca.pem)
server=$(fixture server.pem)
inter=$(fixture inter.pem)
leaf=$(fixture server-inter.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

# Nothing trusted yet: NSS does not know the issuer.
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is bad!"

# accept a CA: forever, as a CA, for server authentication.
assert_ok tf accept "$ca"
assert_eq "$output" 'accepted forever: "trustfolder Test Root CA" (C=XX, O=trustfolder tests, CN=trustfolder Test Root CA) as a trusted CA for server authentication' "accept's report"
assert_match "$(nss_list)" '^Trust Folder:trustfolder Test Root CA +C,, *$'
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
assert_eq "$(store_count_cert "$ca")" 1 "store records for the CA"
assert_eq "$(levels "$ca")" "1:$TF_LEVEL_ANCHOR,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY" "levels after accept"
assert_match "$(store_field_cert "$ca" creator)" '^trustfolder accept \(.+\)$'
assert_eq "$(store_field_cert "$ca" "coalesce(expires, 0) || ':' || coalesce(hosts, '')")" "0:" "end and hosts of an accept without --until/--host"
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's own database"
# The decision is one record that the tool reads back.
assert_ok tf list --json
assert_eq "$(jq -r '.[0].trust.server + "," + .[0].trust.client + "," + .[0].scope' <<<"$output")" \
	"trusted-ca,must-verify,forever" "list --json of the accepted CA"

# Accepting again replaces the decision in place: one record, new purposes.
assert_ok tf accept "$ca" --purpose server,client,email
assert_eq "$(store_count_cert "$ca")" 1 "store records after a second accept"
assert_eq "$(levels "$ca")" "1:$TF_LEVEL_ANCHOR,$TF_LEVEL_ANCHOR,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_ANCHOR" "levels after accept --purpose server,client,email"
assert_match "$(nss_list)" '^Trust Folder:trustfolder Test Root CA +CT,C, *$'
assert_contains "$output" "for server authentication, client authentication and e-mail protection"

# assertions: how many p11-kit trust assertions (CKO_X_TRUST_ASSERTION,
# 0xD8444764) pkcs11-tool lists in Trust Folder: anchored, pinned, distrusted.
assertions() {
	assert_ok client pkcs11-tool --module "$TF_MODULE" -O
	grep -c '^Object [0-9]*, type 3628353380$' <<<"$output" || true
}

# A leaf: a trusted peer by default, with pinned hosts and an end date.
n=$(assertions)
assert_ok tf accept "$server" --host LocalHost --host 127.0.0.1 --until 2100-01-01 --label web
assert_contains "$output" 'accepted forever: "web"'
assert_contains "$output" "as a trusted peer for server authentication; pinned to localhost,127.0.0.1; until 2100-01-01 00:00:00 UTC"
assert_match "$(nss_list)" '^Trust Folder:web +P,, *$'
assert_eq "$(store_field_cert "$server" "hosts || ':' || expires")" "localhost,127.0.0.1:4102444800" "hosts and end in the store"
assert_eq "$(levels "$server")" "1:$TF_LEVEL_PEER,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY" "levels of a peer"
# The pinned view, gcr's: one pinned assertion per host (server purpose), no anchor.
assert_eq "$(assertions)" $((n + 2)) "trust assertions after accept with two --host"
# --as ca on a leaf, and --as peer on a CA, are what they say.
assert_ok tf accept "$(fixture other-ca.pem)" --as peer --purpose all
assert_eq "$(levels "$(fixture other-ca.pem)")" "1:$TF_LEVEL_PEER,$TF_LEVEL_PEER,$TF_LEVEL_PEER,$TF_LEVEL_PEER" "levels of --as peer --purpose all"
assert_match "$(nss_list)" '^Trust Folder:trustfolder Other Test CA +P,P,P *$'

# reject: distrusted for every purpose, and NSS refuses what the CA issued.
assert_ok tf reject "Trust Folder:trustfolder Test Root CA"
assert_eq "$output" 'rejected forever: "trustfolder Test Root CA" (C=XX, O=trustfolder tests, CN=trustfolder Test Root CA) distrusted for every purpose' "reject's report"
assert_match "$(nss_list)" '^Trust Folder:trustfolder Test Root CA +p,p,p *$'
assert_eq "$(levels "$ca")" "1:$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED,$TF_LEVEL_DISTRUSTED" "levels after reject"
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$leaf" "$inter"
assert_contains "$output" "Chain is bad!"
assert_contains "$output" "ERROR -8171: Peer's certificate has been marked as not trusted by the user."
assert_eq "$(store_count_cert "$ca")" 1 "store records after reject"
# A rejected certificate can be accepted again.
assert_ok tf accept "$ca"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$leaf" "$inter"
assert_contains "$output" "Chain is good!"

# forget: gone from NSS, from pkcs11-tool's listing and from the store.
assert_ok client pkcs11-tool --module "$TF_MODULE" -O
assert_contains "$output" "label:      trustfolder Test Root CA"
assert_ok tf forget "$ca"
assert_eq "$output" 'forgot forever: "trustfolder Test Root CA"' "forget's report"
assert_no_match "$(nss_list)" 'Test Root CA'
assert_ok client pkcs11-tool --module "$TF_MODULE" -O
assert_not_contains "$output" "trustfolder Test Root CA"
assert_contains "$output" "label:      web" # the listing itself works
assert_eq "$(store_count_cert "$ca")" 0 "store records after forget"
assert_fails client vfychain -d "sql:$db" -u 1 -pp -a "$leaf" "$inter"
assert_contains "$output" "Chain is bad!"
# Nothing left to forget.
assert_fails tf forget "$ca"
assert_eq "$status" 1 "exit status of forgetting what the store does not hold"
assert_contains "$output" "nothing to forget"

# forget --keep-cert: the decision goes, the certificate stays (certutil shows it without trust).
assert_ok tf forget web --keep-cert
assert_eq "$output" 'forgot forever: the decision about "web"; the certificate stays' "forget --keep-cert's report"
assert_match "$(nss_list)" '^Trust Folder:web +, *, *$'
assert_eq "$(store_field_cert "$server" has_trust)" 0 "has_trust after forget --keep-cert"
assert_ok tf forget web
assert_no_match "$(nss_list)" '^Trust Folder:web '
assert_eq "$(store_count_cert "$server")" 0 "store records after forgetting the kept certificate"

# A decision NSS made is the tool's to see and take back.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n nss-made -t "C,," -i "$ca"
assert_ok tf list
assert_match "$output" '^forever +nss-made +trusted-ca '
assert_ok tf forget "Trust Folder:nss-made"
assert_no_match "$(nss_list)" 'nss-made'

# import: every certificate of the files, each as accept would by default, in one go.
assert_ok tf import "$(fixture server-inter-chain.pem)" "$ca"
assert_eq "$(grep -c '^accepted forever: ' <<<"$output")" 3 "certificates imported"
assert_contains "$output" '"trustfolder Test Intermediate CA" (C=XX, O=trustfolder tests, CN=trustfolder Test Intermediate CA) as a trusted CA'
assert_contains "$output" '(C=XX, O=trustfolder tests, OU=under the intermediate, CN=localhost) as a trusted peer'
assert_eq "$(levels "$inter")" "1:$TF_LEVEL_ANCHOR,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY" "levels of the imported intermediate"
assert_eq "$(levels "$leaf")" "1:$TF_LEVEL_PEER,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY,$TF_LEVEL_MUST_VERIFY" "levels of the imported leaf"
assert_match "$(store_field_cert "$leaf" creator)" '^trustfolder import '
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$leaf"
assert_contains "$output" "Chain is good!"
# import --reject: distrusted, each of them.
assert_ok tf import --reject "$(fixture other-ca.der)" "$(fixture wildcard.pem)"
assert_eq "$(grep -c '^rejected forever: ' <<<"$output")" 2 "certificates rejected by import"
assert_match "$(nss_list)" '^Trust Folder:\*\.example\.test +p,p,p *$'
assert_match "$(nss_list)" '^Trust Folder:trustfolder Other Test CA +p,p,p *$'
assert_eq "$(nssdb_internal_count "$db")" 0 "objects in NSS's own database at the end"

# --store: another store file (a path with a space), the default one untouched.
other="$TF_SCRATCH/other place/alt.db"
mkdir -p "${other%/*}"
assert_ok tf --store "$other" accept "$(fixture selfsigned.pem)"
assert_eq "$(store_count_cert "$(fixture selfsigned.pem)" "$other")" 1 "records in the --store store"
assert_eq "$(store_count_cert "$(fixture selfsigned.pem)")" 0 "records in the default store"
assert_ok tf list --store "$other" --json
assert_eq "$(jq length <<<"$output")" 1 "decisions listed from the --store store"
