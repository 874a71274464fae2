#!/bin/bash
# scripts/register-firefox: which profile it picks when none is named (from
# the profiles.ini Firefox itself wrote, from [Install...] sections, from
# Default=1, in ~/.mozilla/firefox or under XDG_CONFIG_HOME), profiles named
# by name, and its refusal while Firefox runs on the profile (but not for the
# lock symlink a Firefox that is gone left behind).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

register=$TF_ROOT/scripts/register-firefox
xdg_home=$XDG_CONFIG_HOME/mozilla/firefox
legacy_home=$HOME/.mozilla/firefox

# assert_registered DIR: DIR's NSS database has the module under test.
assert_registered() {
	assert_eq "$(registered_library "$1" trustfolder)" "$TF_MODULE|" "trustfolder in $1/pkcs11.txt"
}

# No profiles.ini yet: nothing to guess.
assert_fails client "$register" --module "$TF_MODULE"
assert_contains "$output" "no Firefox profiles.ini at $xdg_home/profiles.ini"

# The profiles.ini firefox-esr writes on its first start (here under
# XDG_CONFIG_HOME, as ~/.mozilla/firefox does not exist) names two
# profiles: "default", marked Default=1, and "default-esr", which its
# [Install...] section names and which it really starts.
assert_ok env MOZ_HEADLESS=1 MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 MOZ_CRASHREPORTER_DISABLE=1 \
	timeout -k 5 "$TF_FIREFOX_TIMEOUT" "$TF_FIREFOX" --headless --no-remote \
	--screenshot "$TF_SCRATCH/first-start.png" about:blank
[ -f "$xdg_home/profiles.ini" ] || fail "firefox-esr wrote no $xdg_home/profiles.ini"
esr_profile=$(find "$xdg_home" -maxdepth 1 -name '*.default-esr' -type d)
[ -n "$esr_profile" ] || fail "no *.default-esr profile in $xdg_home" "$(cat "$xdg_home/profiles.ini")"
assert_ok client "$register" --module "$TF_MODULE"
assert_contains "$output" "default Firefox profile: $esr_profile"
assert_registered "$esr_profile"
assert_firefox_db_empty "$esr_profile"
assert_ok client "$register" --module "$TF_MODULE"
assert_contains "$output" "already registered"

# By name.
assert_ok client "$register" --module "$TF_MODULE" default
assert_registered "$(find "$xdg_home" -maxdepth 1 -name '*.default' -type d)"
assert_fails client "$register" --module "$TF_MODULE" no-such-profile
assert_contains "$output" "neither a directory nor a profile named in $xdg_home/profiles.ini"

# ~/.mozilla/firefox, once it exists, is where Firefox looks instead. With
# no [Install...] section, the Default=1 profile; an absolute path too.
mkdir -p "$legacy_home/a.one" "$TF_SCRATCH/elsewhere/b.two"
cat >"$legacy_home/profiles.ini" <<EOF
[Profile0]
Name=one
IsRelative=1
Path=a.one

[Profile1]
Name=two
IsRelative=0
Path=$TF_SCRATCH/elsewhere/b.two
Default=1

[General]
StartWithLastProfile=1
Version=2
EOF
assert_ok client "$register" --module "$TF_MODULE"
assert_contains "$output" "default Firefox profile: $TF_SCRATCH/elsewhere/b.two"
assert_registered "$TF_SCRATCH/elsewhere/b.two"

# An [Install...] section wins over Default=1.
cat >>"$legacy_home/profiles.ini" <<EOF

[Install3B6073811A6ABF12]
Default=a.one
Locked=1
EOF
assert_ok client "$register" --module "$TF_MODULE"
assert_contains "$output" "default Firefox profile: $legacy_home/a.one"
assert_registered "$legacy_home/a.one"

# Two installations with different defaults: the script will not guess.
cat >>"$legacy_home/profiles.ini" <<EOF

[Install0123456789ABCDEF]
Default=$TF_SCRATCH/elsewhere/b.two
Locked=1
EOF
assert_fails client "$register" --module "$TF_MODULE"
assert_contains "$output" "a different default profile for each Firefox installation"
assert_contains "$output" "$legacy_home/a.one"
assert_contains "$output" "$TF_SCRATCH/elsewhere/b.two"
rm -rf "$legacy_home"

# Firefox running on the profile: both registering and removing are refused,
# and the profile's module list is left as it was.
profile=$TF_SCRATCH/running
new_profile "$profile"
env MOZ_HEADLESS=1 MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 MOZ_CRASHREPORTER_DISABLE=1 \
	timeout -k 5 "$TF_FIREFOX_TIMEOUT" "$TF_FIREFOX" --headless --no-remote --profile "$profile" \
	</dev/null >"$TF_SCRATCH/running.log" 2>&1 &
running=$!
on_exit "kill $running; wait $running"
# Started: it holds the lock and has opened its NSS database.
for ((i = 0; i < 300; i++)); do
	[ ! -L "$profile/lock" ] || [ ! -f "$profile/pkcs11.txt" ] || break
	sleep 0.1
done
if [ ! -L "$profile/lock" ] || [ ! -f "$profile/pkcs11.txt" ]; then
	fail "Firefox did not start on $profile within 30s" "$(cat "$TF_SCRATCH/running.log")"
fi
before=$(cat "$profile/pkcs11.txt")
assert_fails client "$register" --module "$TF_MODULE" "$profile"
assert_contains "$output" "Firefox is using the profile $profile"
assert_contains "$output" ".parentlock is locked by process"
assert_contains "$output" "quit Firefox and run this again"
assert_eq "$(cat "$profile/pkcs11.txt")" "$before" "pkcs11.txt while Firefox runs"
assert_fails client "$register" --remove "$profile"
assert_contains "$output" "Firefox is using the profile $profile"

# Once it has quit, registering works, and so does removing.
kill "$running"
wait "$running" || true
assert_ok client "$register" --module "$TF_MODULE" "$profile"
assert_registered "$profile"
assert_ok client "$register" --remove "$profile"
assert_eq "$(registered_library "$profile" trustfolder)" "" "trustfolder in pkcs11.txt after --remove"

# A lock symlink left by a Firefox that is gone (headless screenshot runs
# leave theirs) does not count: the kernel lock on .parentlock is gone too.
rm -f "$profile/lock"
ln -s "127.0.0.1:+$running" "$profile/lock"
assert_ok client "$register" --module "$TF_MODULE" "$profile"
assert_registered "$profile"
