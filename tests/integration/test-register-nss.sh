#!/bin/bash
# scripts/register-nss against the real module: it creates the database,
# adds the module so that certutil can use its tokens, is idempotent, points
# the module at another store with --store, and removes it with --remove.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

register=$TF_ROOT/scripts/register-nss
ca=$(fixture ca.pem)
db=$TF_SCRATCH/newdb

assert_ok client "$register" --module "$TF_MODULE" "$db"
assert_contains "$output" "created NSS database"
assert_contains "$output" "registered module \"trustfolder\""
[ -f "$db/cert9.db" ] || fail "no cert9.db in $db"
assert_ok client modutil -dbdir "sql:$db" -list
assert_contains "$output" "token: Trust Folder Session"

assert_ok client "$register" --module "$TF_MODULE" "$db"
assert_contains "$output" "already registered"
assert_ok client modutil -dbdir "sql:$db" -rawlist
assert_eq "$(grep -c 'name="trustfolder"' <<<"$output")" 1 "registrations of trustfolder"

# Without --store the module uses the default store in HOME.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "C,," -i "$ca"
assert_eq "$(store_count_cert "$ca")" 1 "records for the CA in the default store"

# --store: a registration with a parameter replaces the one without.
alt=$TF_SCRATCH/elsewhere/alt.db
assert_ok client "$register" --module "$TF_MODULE" --store "$alt" "$db"
assert_contains "$output" "replacing"
assert_ok client modutil -dbdir "sql:$db" -rawlist
assert_contains "$output" "parameters=\"store=$alt\""
assert_token_empty "$db" "Trust Folder"
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n ca -t "p,p,p" -i "$ca"
assert_eq "$(store_field_cert "$ca" trust_server "$alt")" "$TF_LEVEL_DISTRUSTED" "server trust in the --store store"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "server trust in the default store (untouched)"

assert_ok client "$register" --remove "$db"
assert_contains "$output" "removed module \"trustfolder\""
assert_fails client modutil -dbdir "sql:$db" -list trustfolder
assert_ok client "$register" --remove "$db"
assert_contains "$output" "not registered"
