#!/bin/bash
# Debian's firefox-esr, headless, with trustfolder registered in a fresh
# profile by scripts/register-firefox, against a local HTTPS server whose
# certificate chains to a CA that only the module ever holds:
# - before any decision Firefox refuses the server (unknown CA);
# - with the CA accepted in "Trust Folder" the page loads;
# - with the CA rejected (p,p,p) Firefox refuses it, and the server sees the
#   browser's "unknown ca" alert;
# - every decision is made while Firefox is closed, in the profile's own
#   database or by another program on the same store, and the next start of
#   Firefox follows it;
# - without the module, Firefox refuses again although the store still
#   accepts the CA.
# Firefox's own certificate database stays empty throughout.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
start_https_server "$(fixture server.pem)" "$(fixture server.key)"
profile=$TF_SCRATCH/profile
new_profile "$profile"

# Registration, while Firefox is closed: the profile gets an NSS database
# with the module and its two tokens, and the administrator's alternative is
# printed. A second run changes nothing.
assert_ok client "$TF_ROOT/scripts/register-firefox" --module "$TF_MODULE" "$profile"
assert_contains "$output" "registered module \"trustfolder\""
assert_contains "$output" "/etc/firefox/policies/policies.json"
assert_contains "$output" "\"trustfolder\": \"$TF_MODULE\""
assert_ok client "$TF_ROOT/scripts/register-firefox" --module "$TF_MODULE" "$profile"
assert_contains "$output" "already registered"
assert_ok client modutil -dbdir "sql:$profile" -list
assert_contains "$output" "token: Trust Folder"
assert_contains "$output" "token: Trust Folder Session"
assert_eq "$(registered_library "$profile" trustfolder)" "$TF_MODULE|" "the profile's trustfolder stanza (library|parameters)"

# No decision: nothing Firefox knows vouches for the server.
assert_page_refused "$profile"
assert_firefox_db_empty "$profile"

# Accepted forever, in the profile's database, while Firefox is closed.
assert_ok client certutil -A -d "sql:$profile" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "server trust of the CA in the store"
assert_firefox_db_empty "$profile"
assert_page_loads "$profile"
assert_firefox_db_empty "$profile"

# Rejected, the same way: Firefox's next start refuses the server.
assert_ok client certutil -M -d "sql:$profile" -n "Trust Folder:ca" -t "p,p,p"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_DISTRUSTED" "server trust of the CA in the store"
assert_page_refused "$profile"
assert_firefox_db_empty "$profile"

# Accepted again by another program, in another NSS database that shares
# the store (the module's default one, as in the profile): Firefox follows.
other=$HOME/.pki/nssdb
assert_ok client "$TF_ROOT/scripts/register-nss" --module "$TF_MODULE" "$other"
assert_ok client certutil -M -d "sql:$other" -n "Trust Folder:ca" -t "C,,"
assert_page_loads "$profile"

# That program takes the decision back: the CA is gone from the store, and
# Firefox refuses again.
assert_ok client certutil -D -d "sql:$other" -n "Trust Folder:ca"
assert_eq "$(store_count_cert "$ca")" 0 "records for the CA in the store"
assert_page_refused "$profile"
assert_firefox_db_empty "$profile"

# With the CA accepted in the store but the module removed from the
# profile, Firefox has nothing that vouches for the server: the trust it
# followed came from the module alone.
assert_ok client certutil -A -d "sql:$other" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_page_loads "$profile"
assert_ok client "$TF_ROOT/scripts/register-firefox" --remove "$profile"
assert_contains "$output" "removed module \"trustfolder\""
assert_eq "$(registered_library "$profile" trustfolder)" "" "the profile's trustfolder stanza after --remove"
assert_page_refused "$profile"
assert_firefox_db_empty "$profile"
