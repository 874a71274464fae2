# shellcheck shell=bash
# Helpers for the end-to-end tests: the integration tests' lib.sh (assertions,
# the client wrapper, fixtures, the store), plus a local HTTPS server that
# serves one page, fresh Firefox profiles, and headless Firefox runs that
# assert whether the page loaded or the TLS handshake was refused.
#
# A test sources this file and is run by tests/e2e/run.

# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

TF_E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Failures name the test's line, not this file's: the first caller outside
# both lib.sh files (the integration lib.sh's own version skips only itself).
_tf_where() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		case ${BASH_SOURCE[$i]} in
		*/lib.sh) ;;
		*)
			echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
			return
			;;
		esac
	done
	echo "?:?"
}
# The Firefox to drive, and how long one run may take before it counts as
# hung. A run that loads the page takes about two seconds.
TF_FIREFOX=${TF_FIREFOX:-firefox-esr}
TF_FIREFOX_TIMEOUT=${TF_FIREFOX_TIMEOUT:-60}

for _tf_tool in "$TF_FIREFOX" convert sqlite3 openssl certutil modutil; do
	command -v "$_tf_tool" >/dev/null 2>&1 ||
		fail "$_tf_tool is not installed (scripts/install-deps installs firefox-esr, imagemagick, sqlite3, openssl, libnss3-tools)"
done
unset _tf_tool

# The page the server serves: one colour over the whole window, which no
# Firefox error page or blank page shows, so the screenshot tells whether the
# page itself was rendered.
TF_PAGE_COLOUR='#ff00ff'

# ---------------------------------------------------------------------------
# The HTTPS server

# start_https_server CERT KEY [S_SERVER ARGS...]: openssl s_server on
# 127.0.0.1 (a port the kernel picks) presenting CERT and serving page.html
# from a directory of its own (-WWW). Its log, which names each file served
# and each TLS alert the browser sent, is $HTTPS_LOG. Sets HTTPS_PORT and
# PAGE_URL; the server is stopped at exit.
start_https_server() {
	local cert=$1 key=$2 www=$TF_SCRATCH/www i pid
	shift 2
	mkdir -p "$www"
	printf '<!DOCTYPE html>\n<html><head><title>trustfolder e2e</title></head>\n<body style="margin:0;background:%s"><p>trustfolder</p></body></html>\n' \
		"$TF_PAGE_COLOUR" >"$www/page.html"
	HTTPS_LOG=$TF_SCRATCH/s_server.log
	# There before the server starts: the loop below reads it at once.
	: >"$HTTPS_LOG"
	(cd "$www" && exec openssl s_server -cert "$cert" -key "$key" -accept 127.0.0.1:0 -WWW "$@" \
		</dev/null >"$HTTPS_LOG" 2>&1) &
	pid=$!
	on_exit "kill $pid; wait $pid"
	HTTPS_PORT=
	for ((i = 0; i < 100; i++)); do
		HTTPS_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$HTTPS_LOG")
		[ -z "$HTTPS_PORT" ] || break
		kill -0 "$pid" 2>/dev/null || fail "openssl s_server exited" "$(cat "$HTTPS_LOG")"
		sleep 0.1
	done
	[ -n "$HTTPS_PORT" ] || fail "openssl s_server did not listen within 10s" "$(cat "$HTTPS_LOG")"
	# By address: the fixtures' server certificate names IP:127.0.0.1
	# too, and "localhost" might be tried as ::1 first.
	PAGE_URL=https://127.0.0.1:$HTTPS_PORT/page.html
}

# How often the server has served the page, and how many TLS alerts saying
# the browser does not trust the certificate it has logged.
_tf_pages_served() {
	grep -c '^FILE:page.html' "$HTTPS_LOG" || true
}
_tf_alerts() {
	grep -c -E 'alert (unknown ca|bad certificate)' "$HTTPS_LOG" || true
}

# ---------------------------------------------------------------------------
# Firefox

# new_profile DIR: an empty Firefox profile directory holding only user.js,
# which keeps Firefox off the network and away from first-run pages.
new_profile() {
	mkdir -p "$1"
	cp "$TF_E2E/user.js" "$1/user.js"
}

# firefox_start PROFILE SHOT URL [FIREFOX]: starts Firefox headless in the
# background on PROFILE, to take a screenshot of URL into SHOT, under a
# timeout; sets FIREFOX_PID (the timeout process, which passes a TERM on to
# Firefox and its children) and FIREFOX_LOG.
#
# MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 makes Firefox refuse any connection
# that is not to this machine, whatever user.js misses, and lets the remote
# settings server preference in user.js take effect.
firefox_start() {
	local profile=$1 shot=$2 url=$3 firefox=${4:-$TF_FIREFOX}
	FIREFOX_LOG=$TF_SCRATCH/firefox.$RANDOM.log
	rm -f "$shot"
	env MOZ_HEADLESS=1 MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 MOZ_CRASHREPORTER_DISABLE=1 \
		timeout -k 5 "$TF_FIREFOX_TIMEOUT" \
		"$firefox" --headless --no-remote --profile "$profile" --screenshot "$shot" "$url" \
		</dev/null >"$FIREFOX_LOG" 2>&1 &
	FIREFOX_PID=$!
	on_exit "kill $FIREFOX_PID; wait $FIREFOX_PID"
}

# colour_fraction PNG COLOUR: the fraction (0..1) of the image's pixels that
# are exactly COLOUR.
colour_fraction() {
	convert "$1" -alpha off -fill black +opaque "$2" -fill white -opaque "$2" \
		-format '%[fx:mean]' info:
}

# firefox_watch: waits until the Firefox started last exits or the server
# logs a certificate alert beyond the $1 it had logged before; then stops
# Firefox if it still runs. Sets FIREFOX_STATUS (its exit status; 124 when
# it timed out) and FIREFOX_REFUSED (1 when the server saw a new alert).
firefox_watch() {
	local alerts=$1 i
	FIREFOX_REFUSED=0
	for ((i = 0; i < TF_FIREFOX_TIMEOUT * 10 + 50; i++)); do
		if [ "$(_tf_alerts)" -gt "$alerts" ]; then
			FIREFOX_REFUSED=1
			break
		fi
		kill -0 "$FIREFOX_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$FIREFOX_REFUSED" -eq 0 ] || kill "$FIREFOX_PID" 2>/dev/null || true
	FIREFOX_STATUS=0
	wait "$FIREFOX_PID" || FIREFOX_STATUS=$?
	# An alert may come in just as Firefox gives up.
	[ "$(_tf_alerts)" -eq "$alerts" ] || FIREFOX_REFUSED=1
}

# Firefox's output and the end of the server's log, for a failure report.
_tf_firefox_report() {
	cat "$FIREFOX_LOG"
	echo "--- server log:"
	tail -n 5 "$HTTPS_LOG"
}

# assert_page_loads PROFILE [FIREFOX]: Firefox, started on PROFILE, loads
# PAGE_URL: the TLS handshake succeeds, the server serves the page, and the
# screenshot Firefox takes once the page has loaded shows it.
assert_page_loads() {
	local profile=$1 firefox=${2:-$TF_FIREFOX} shot served fraction
	shot=$TF_SCRATCH/shot.$RANDOM.png
	served=$(_tf_pages_served)
	firefox_start "$profile" "$shot" "$PAGE_URL" "$firefox"
	firefox_watch "$(_tf_alerts)"
	if [ "$FIREFOX_REFUSED" -eq 1 ]; then
		fail "Firefox refused the server's certificate (the server logged its alert)" "$(_tf_firefox_report)"
	fi
	if [ "$FIREFOX_STATUS" -ne 0 ]; then
		fail "Firefox exited with status $FIREFOX_STATUS on $PAGE_URL$([ "$FIREFOX_STATUS" -ne 124 ] ||
			echo " (timed out after ${TF_FIREFOX_TIMEOUT}s: the page did not load)")" "$(_tf_firefox_report)"
	fi
	[ -s "$shot" ] || fail "Firefox took no screenshot of $PAGE_URL" "$(_tf_firefox_report)"
	[ "$(_tf_pages_served)" -gt "$served" ] ||
		fail "the server did not serve the page" "$(_tf_firefox_report)"
	fraction=$(colour_fraction "$shot" "$TF_PAGE_COLOUR")
	awk -v f="$fraction" 'BEGIN { exit !(f >= 0.9) }' ||
		fail "the screenshot $shot is not the page: only $fraction of it is $TF_PAGE_COLOUR"
}

# assert_page_refused PROFILE [FIREFOX]: Firefox, started on PROFILE, refuses
# the server's certificate: the server logs a new "unknown ca" (or "bad
# certificate") alert from the browser and serves nothing, and Firefox, which
# stays on its error page, takes no screenshot. Firefox is stopped as soon
# as the alert is seen.
assert_page_refused() {
	local profile=$1 firefox=${2:-$TF_FIREFOX} shot served
	shot=$TF_SCRATCH/shot.$RANDOM.png
	served=$(_tf_pages_served)
	firefox_start "$profile" "$shot" "$PAGE_URL" "$firefox"
	firefox_watch "$(_tf_alerts)"
	if [ "$FIREFOX_REFUSED" -eq 0 ]; then
		fail "the server saw no certificate alert from Firefox (Firefox exit status $FIREFOX_STATUS)" \
			"$(_tf_firefox_report)"
	fi
	[ "$(_tf_pages_served)" -eq "$served" ] ||
		fail "the server served the page although Firefox sent an alert" "$(_tf_firefox_report)"
	[ ! -e "$shot" ] || fail "Firefox took a screenshot, so something loaded: $shot"
}

# assert_firefox_db_empty PROFILE: Firefox's own certificate database holds
# nothing (every decision went to the module), and Firefox recorded no
# certificate exception of its own.
assert_firefox_db_empty() {
	local count
	[ -f "$1/cert9.db" ] || fail "no cert9.db in $1"
	count=$(sqlite3 -batch -noheader -cmd '.timeout 5000' "$1/cert9.db" 'SELECT count(*) FROM nssPublic;')
	assert_eq "$count" 0 "objects in Firefox's own certificate database ($1/cert9.db)"
	[ ! -s "$1/cert_override.txt" ] || fail "Firefox recorded certificate exceptions" "$(cat "$1/cert_override.txt")"
}

# registered_library PROFILE NAME: the library of module NAME in PROFILE's
# pkcs11.txt, and its parameters if any, as "LIBRARY|PARAMETERS".
registered_library() {
	awk -v want="$2" '
		/^library=/ { lib = substr($0, 9) }
		/^name=/ { name = substr($0, 6) }
		/^parameters=/ { params = substr($0, 12) }
		/^$/ { if (name == want) print lib "|" params; lib = name = params = "" }
		END { if (name == want) print lib "|" params }' "$1/pkcs11.txt"
}
