#!/bin/bash
# The policies.json route: nss-config/policies.json (its library path pointed
# at the module under test) in the distribution/ folder of a Firefox
# installation makes Firefox add the module to a fresh profile at start, with
# no parameters, so the module uses its default store; a CA accepted there
# by another program makes the page load, in that very first start.
#
# Firefox reads distribution/policies.json next to its binary (and, first,
# /etc/firefox/policies/policies.json). To leave the system alone the test
# builds its own installation in the scratch directory: Debian's files
# linked, the small launcher binary copied (Firefox finds its installation
# from /proc/self/exe, which a symbolic link would lead back to
# /usr/lib/firefox-esr), and a distribution/ folder of its own.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

policies=$TF_ROOT/nss-config/policies.json
installed=/usr/local/lib/x86_64-linux-gnu/pkcs11/trustfolder-pkcs11.so
system_policies=/etc/firefox/policies/policies.json
ca=$(fixture ca.pem)

if [ -e "$system_policies" ]; then
	fail "$system_policies exists: Firefox reads it instead of any distribution/policies.json, so this test cannot show that file at work; move it away to run this test"
fi

# The installation: everything of Debian's firefox-esr, by link.
firefox_bin=$(readlink -f "$(command -v "$TF_FIREFOX")")
firefox_dir=$(dirname "$firefox_bin")
app=$TF_SCRATCH/firefox
mkdir -p "$app/distribution"
for f in "$firefox_dir"/*; do
	case ${f##*/} in
	"${firefox_bin##*/}" | distribution) ;;
	*) ln -s "$f" "$app/${f##*/}" ;;
	esac
done
cp "$firefox_bin" "$app/"
app_firefox=$app/${firefox_bin##*/}

# The shipped file, with the installed path swapped for the module under test.
assert_contains "$(cat "$policies")" "\"trustfolder\": \"$installed\""
sed "s|$installed|$TF_MODULE|" "$policies" >"$app/distribution/policies.json"
assert_contains "$(cat "$app/distribution/policies.json")" "\"trustfolder\": \"$TF_MODULE\""

# The decision, made by another program in the default store.
db=$TF_SCRATCH/nssdb
assert_ok client "$TF_ROOT/scripts/register-nss" --module "$TF_MODULE" "$db"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "server trust of the CA in the default store"

start_https_server "$(fixture server.pem)" "$(fixture server.key)"

# Debian's own installation, with the same fresh kind of profile, does not
# know the CA: what follows is the policy's doing.
plain=$TF_SCRATCH/plain-profile
new_profile "$plain"
assert_page_refused "$plain"

profile=$TF_SCRATCH/profile
new_profile "$profile"
assert_page_loads "$profile" "$app_firefox"
assert_eq "$(registered_library "$profile" trustfolder)" "$TF_MODULE|" \
	"the trustfolder stanza Firefox wrote into the profile (library|parameters)"
assert_firefox_db_empty "$profile"

# The module is in the profile now: a rejection in the store is followed at
# the next start, still through the policy's registration.
assert_ok client certutil -M -d "sql:$db" -n "Trust Folder:ca" -t "p,p,p"
assert_page_refused "$profile" "$app_firefox"
assert_firefox_db_empty "$profile"
