# shellcheck shell=bash
# Helpers of the stress tests, on top of the integration tests' lib.sh (its
# assertions, client wrapper, NSS databases and store look-ups). A test is a
# bash script run by tests/stress/run, which also provides:
#   TF_STRESS       the tf-stress program (tests/stress/*.c)
#   TF_STRESS_LONG  1 for the long versions (make stress)
#   TF_TSAN_BUILD   a ThreadSanitizer build of the module and tf-stress

# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../integration/lib.sh"

: "${TF_STRESS:?run the stress tests through tests/stress/run}"
[ -x "$TF_STRESS" ] || fail "no $TF_STRESS (make $TF_STRESS)"

# scale SHORT LONG: SHORT in make check, LONG in make stress.
scale() {
	if [ "${TF_STRESS_LONG:-0}" = 1 ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# summary TEXT: a line the runner shows for a test that passed too.
summary() {
	echo "SUMMARY: $*"
}

# make_pool DIR N: N certificates, each with a leaf, for the writers.
make_pool() {
	assert_ok "$TF_STRESS" gen "$1" "$2"
}

# check_ledgers ARGS...: tf-stress check (ARGS: the pool, options, ledgers)
# must find every acknowledged decision in the token and the store; its
# output stays in $output.
check_ledgers() {
	run timeout -k 5 300 "$TF_STRESS" check "$TF_MODULE" "$@"
	if [ "$status" -ne 0 ]; then
		fail "an acknowledged decision is not in the store as acknowledged (tf-stress check $*)" \
			"$output"
	fi
}

# integrity_ok STORE: SQLite's own integrity check, by the sqlite3 program.
integrity_ok() {
	run sqlite3 -readonly -batch -cmd '.timeout 10000' "$1" 'PRAGMA integrity_check;'
	if [ "$status" -ne 0 ] || [ "$output" != ok ]; then
		fail "PRAGMA integrity_check of $1 says:" "$output"
	fi
}

# nss_lists_states DB STATES: certutil -L -h "Trust Folder" lists exactly the
# certificates STATES (tf-stress check --states) holds, each with the trust
# it was given: no decision half made, none missing, none extra.
nss_lists_states() {
	local want got
	assert_ok client certutil -L -d "sql:$1" -h "Trust Folder"
	assert_not_contains "$output" "trustfolder: error"
	got=$(listed_certs "$output" | sed -E 's/^Trust Folder:([^ ]+) +([^ ]*) *$/\1 \2/' | sort)
	want=$(awk '$4 != "-" { print $3, $4 }' "$2" | sort)
	if [ "$got" != "$want" ]; then
		fail "certutil -L does not list the decisions acknowledged" \
			"$(diff <(echo "$want") <(echo "$got") | head -20)"
	fi
}

# vfychain_agrees DB POOL STATES IDX: vfychain judges leaf IDX as the decision
# about its CA (certificate IDX of the pool) says it must.
vfychain_agrees() {
	local db=$1 pool=$2 states=$3 idx=$4 st want
	st=$(awk -v i="$idx" '$1 == i { print $2 }' "$states")
	case ${st:-absent} in
	ca) want="Chain is good!" ;;
	peer | cert) want="ERROR -8172" ;; # SEC_ERROR_UNTRUSTED_ISSUER
	distrust) want="ERROR -8171" ;;    # SEC_ERROR_UNTRUSTED_CERT
	block | absent) want="ERROR -8179" ;; # SEC_ERROR_UNKNOWN_ISSUER
	esac
	run client vfychain -d "sql:$db" -u 1 -pp "$(printf '%s/leaf-%05d.der' "$pool" "$idx")"
	if ! grep -qF -- "$want" <<<"$output"; then
		fail "vfychain on leaf $idx, whose CA is ${st:-absent}: expected \"$want\"" "$output"
	fi
}

# vfychain_sample DB POOL STATES N: vfychain_agrees on one leaf of each state
# STATES holds, and on one certificate never decided or taken back (of N).
vfychain_sample() {
	local db=$1 pool=$2 states=$3 n=$4 st idx
	for st in ca peer distrust cert block; do
		idx=$(awk -v s="$st" '$2 == s { print $1 }' "$states" | shuf -n 1)
		[ -z "$idx" ] || vfychain_agrees "$db" "$pool" "$states" "$idx"
	done
	for _ in 1 2 3 4 5; do
		idx=$((RANDOM % n))
		if ! awk -v i="$idx" '$1 == i { found = 1 } END { exit !found }' "$states"; then
			vfychain_agrees "$db" "$pool" "$states" "$idx"
			break
		fi
	done
}
