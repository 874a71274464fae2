#!/bin/bash
# scripts/register-p11kit and nss-config/trustfolder.module: registered for an
# unprivileged user, p11-kit list-modules shows the module and both tokens,
# ahead of p11-kit-trust; it stays out of p11-kit-proxy.so unless registered
# with --proxy; the registration is idempotent, refused for root without
# --system, written under DESTDIR with --system, and removed with --remove.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

shipped=$TF_ROOT/nss-config/trustfolder.module
installed=/usr/local/lib/x86_64-linux-gnu/pkcs11/trustfolder-pkcs11.so
proxy=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so

# The shipped file names where make install puts the module, and the settings.
assert_contains "$(cat "$shipped")" "module: $installed"
for line in "trust-policy: yes" "priority: 10" "x-trust-store: pkcs11:token=Trust%20Folder" \
	"x-trust-lookup: pkcs11:library-description=trustfolder%20trust%20store" \
	"disable-in: p11-kit-proxy"; do
	assert_match "$(cat "$shipped")" "^$line\$"
done

user_scratch
register=$TF_SCRATCH/tree/scripts/register-p11kit
file=$XDG_CONFIG_HOME/pkcs11/modules/trustfolder.module

# Root: p11-kit would never read a registration in root's home.
assert_fails client "$register"
assert_contains "$output" "use --system"
[ ! -e "$file" ] || fail "register-p11kit wrote $file for root"

# Without --module: the module of the tree the script is in.
assert_ok as_user "$register"
assert_contains "$output" "registered trustfolder with p11-kit for $TF_USER"
assert_eq "$(sed -n 's/^module: //p' "$file")" "$TF_MODULE" "module line of $file"
assert_eq "$(grep -v '^module:' "$file")" "$(grep -v '^module:' "$shipped")" "the rest of $file"
assert_ok as_user "$register"
assert_contains "$output" "already registered"

# p11-kit, as the user, loads it with both tokens, before p11-kit-trust.
assert_ok as_user p11-kit list-modules
listing=$output
assert_match "$listing" "^trustfolder: $TF_MODULE\$"
assert_match "$listing" "^ +library-manufacturer: trustfolder\$"
assert_match "$listing" "^ +token: Trust Folder\$"
assert_match "$listing" "^ +token: Trust Folder Session\$"
order=$(grep -E '^[a-z0-9-]+:' <<<"$listing" | cut -d: -f1 | tr '\n' ' ')
assert_match "$order" "^trustfolder .*p11-kit-trust "

# Kept out of p11-kit-proxy.so: NSS programs that load the proxy load the
# module directly, and would otherwise see each token twice. (pkcs11-tool -L
# exits 1 when the proxy has no slot at all.)
run as_user pkcs11-tool --module "$proxy" -L
! _tf_crashed "$status" || fail "pkcs11-tool crashed or hung (status $status)" "$output"
assert_contains "$output" "Available slots:"
assert_not_contains "$output" "Trust Folder"

# --proxy: the same registration without that exclusion.
assert_ok as_user "$register" --proxy
assert_contains "$output" "replaced the registration"
assert_no_match "$(cat "$file")" '^disable-in:'
assert_ok as_user pkcs11-tool --module "$proxy" -L
assert_match "$output" "token label +: Trust Folder\$"
assert_match "$output" "token label +: Trust Folder Session\$"
assert_contains "$output" "token manufacturer : trustfolder"

# --remove, twice.
assert_ok as_user "$register" --remove
assert_contains "$output" "removed $file"
[ ! -e "$file" ] || fail "$file is still there after --remove"
assert_ok as_user p11-kit list-modules
assert_not_contains "$output" "trustfolder"
assert_ok as_user "$register" --remove
assert_contains "$output" "nothing to remove"

# --system, for packaging: the same file under DESTDIR/etc/pkcs11/modules.
dest=$TF_SCRATCH/destdir
assert_ok client env DESTDIR="$dest" "$register" --system --module "$TF_MODULE"
assert_contains "$output" "for every user"
assert_eq "$(cat "$dest/etc/pkcs11/modules/trustfolder.module")" \
	"$(sed "s|^module:.*|module: $TF_MODULE|" "$shipped")" "the --system file"
assert_ok client env DESTDIR="$dest" "$register" --system --remove
[ ! -e "$dest/etc/pkcs11/modules/trustfolder.module" ] || fail "--system --remove left the file"

# A module that is not there is refused.
assert_fails as_user "$register" --module "$TF_SCRATCH/nothing.so"
assert_contains "$output" "no module at"
