#!/bin/bash
# Firefox's own write path: "Edit trust" in Firefox's certificate manager
# (nsIX509CertDB.setCertTrustFromString, i.e. NSS's CERT_ChangeCertTrust)
# on a CA that "Trust Folder" holds must change the decision in the module's
# store, not copy the CA into Firefox's cert9.db. Firefox is driven through
# Marionette (its own remote protocol, length-prefixed JSON over TCP, spoken
# here from bash), which also reads the page content back.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
# Every connection a full handshake: a resumed TLS session is not verified
# again, so it would not show a change of trust in the running Firefox.
start_https_server "$(fixture server.pem)" "$(fixture server.key)" -no_cache -no_ticket
profile=$TF_SCRATCH/profile
new_profile "$profile"
# Port 0: Firefox picks one and writes it to MarionetteActivePort.
echo 'user_pref("marionette.port", 0);' >>"$profile/user.js"
assert_ok client "$TF_ROOT/scripts/register-firefox" --module "$TF_MODULE" "$profile"
assert_ok client certutil -A -d "sql:$profile" -h "Trust Folder" -n ca -t "C,," -i "$ca"

mn_id=0
# mn_start: Firefox on the profile with Marionette, and a session.
mn_start() {
	local i port
	rm -f "$profile/MarionetteActivePort"
	env MOZ_HEADLESS=1 MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 MOZ_CRASHREPORTER_DISABLE=1 \
		timeout -k 5 300 "$TF_FIREFOX" --headless --no-remote --marionette \
		--remote-allow-system-access --profile "$profile" </dev/null >"$TF_SCRATCH/firefox-mn.log" 2>&1 &
	mn_pid=$!
	on_exit "kill $mn_pid; wait $mn_pid"
	for ((i = 0; i < 300; i++)); do
		port=$(cat "$profile/MarionetteActivePort" 2>/dev/null) || true
		[ -z "$port" ] || break
		sleep 0.1
	done
	[ -n "$port" ] || fail "Firefox did not start Marionette" "$(cat "$TF_SCRATCH/firefox-mn.log")"
	exec {mn_fd}<>"/dev/tcp/127.0.0.1/$port"
	mn_read >/dev/null
	mn_cmd WebDriver:NewSession '{"capabilities":{"alwaysMatch":{"acceptInsecureCerts":false}}}'
}
# mn_read: one message, "LENGTH:JSON".
mn_read() {
	local LC_ALL=C len msg
	read -r -d ':' -u "$mn_fd" len
	read -r -N "$len" -u "$mn_fd" msg
	printf '%s\n' "$msg"
}
# mn_cmd NAME PARAMS: sends a command; its reply is in $mn_reply, and
# $mn_ok is 1 when it is not an error.
mn_cmd() {
	local LC_ALL=C msg
	mn_id=$((mn_id + 1))
	msg="[0,$mn_id,\"$1\",$2]"
	printf '%d:%s' "${#msg}" "$msg" >&"$mn_fd"
	mn_reply=$(mn_read)
	mn_ok=0
	case $mn_reply in "[1,$mn_id,null,"*) mn_ok=1 ;; esac
}
mn_stop() {
	mn_cmd Marionette:Quit '{}'
	exec {mn_fd}>&-
	wait "$mn_pid" || true
}
# mn_load: navigates to the page; sets loaded=1 when its content came back.
mn_load() {
	mn_cmd Marionette:SetContext '{"value":"content"}'
	mn_cmd WebDriver:Navigate "{\"url\":\"$PAGE_URL\"}"
	loaded=0
	if [ "$mn_ok" = 1 ]; then
		mn_cmd WebDriver:GetPageSource '{}'
		case $mn_reply in *'<p>trustfolder</p>'*) loaded=1 ;; esac
	fi
}
# mn_edit_trust TRUST: Firefox's Edit trust on the CA, in chrome context;
# prints the token that held the CA and the trust Firefox sees after.
mn_edit_trust() {
	mn_cmd Marionette:SetContext '{"value":"chrome"}'
	mn_cmd WebDriver:ExecuteScript "{\"script\":\"const db = Cc['@mozilla.org/security/x509certdb;1'].getService(Ci.nsIX509CertDB); for (const c of db.getCerts()) { if (c.subjectName.startsWith('CN=trustfolder Test Root CA')) { const token = c.tokenName; db.setCertTrustFromString(c, arguments[0]); return token + '|' + db.isCertTrusted(c, Ci.nsIX509Cert.CA_CERT, Ci.nsIX509CertDB.TRUSTED_SSL); } } return 'none';\",\"args\":[\"$1\"]}"
	[ "$mn_ok" = 1 ] || fail "Edit trust failed in Firefox" "$mn_reply"
}

mn_start
mn_load
assert_eq "$loaded" 1 "page loaded with the CA accepted"

# Rejected from Firefox itself.
mn_edit_trust "p,p,p"
assert_contains "$mn_reply" '"value":"Trust Folder|false"'
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_DISTRUSTED" "server trust of the CA in the store after Firefox's Edit trust"
assert_firefox_db_empty "$profile"
mn_load
assert_eq "$loaded" 0 "page loaded after Firefox's own rejection"
mn_stop

# Kept across a restart, since it lives in the store.
assert_page_refused "$profile"

# Accepted again from Firefox.
mn_start
mn_edit_trust "C,,"
assert_contains "$mn_reply" '"value":"Trust Folder|true"'
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "server trust of the CA in the store"
mn_load
assert_eq "$loaded" 1 "page loaded after Firefox's own acceptance"
mn_stop
assert_firefox_db_empty "$profile"
