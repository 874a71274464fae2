#!/bin/bash
# Session decisions from the command line. With session=memory (the default)
# accept --session refuses and says why: the decision would die with the
# command. With session=runtime (TRUSTFOLDER_SESSION, or the config file) a
# session decision made by one command is seen by the next command and by
# certutil and vfychain, lives in $XDG_RUNTIME_DIR, and never reaches the
# persistent store file.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

TOOL=$(dirname "$TF_MODULE")/trustfolder
[ -x "$TOOL" ] || fail "no $TOOL (make all)"
# tf ARGS...: the command against the module under test.
tf() {
	client "$TOOL" --module "$TF_MODULE" "$@"
}

ca=$(fixture ca.pem)
server=$(fixture server.pem)
session_db=$XDG_RUNTIME_DIR/trustfolder/session.db

# session=memory: refused with the reason and the way out; nothing written.
assert_fails tf accept "$ca" --session
assert_eq "$status" 2 "exit status of accept --session with session=memory"
assert_contains "$output" "session=memory"
assert_contains "$output" "would end when it exits"
assert_contains "$output" "TRUSTFOLDER_SESSION=runtime"
assert_fails tf reject "$ca" --session
assert_eq "$status" 2 "exit status of reject --session with session=memory"
assert_fails tf import "$ca" --session
assert_eq "$status" 2 "exit status of import --session with session=memory"
[ ! -e "$session_db" ] || fail "a session store appeared with session=memory"
assert_eq "$(store_sql 'SELECT count(*) FROM records')" 0 "records in the persistent store"
assert_ok tf list --session
assert_contains "$output" "No decisions in Trust Folder Session."
assert_contains "$output" "this command's own is always empty"
assert_fails tf accept "$ca" --session --forever
assert_eq "$status" 2 "exit status of --session --forever"
assert_contains "$output" "--forever and --session exclude each other"

# session=runtime, from the environment, for every client from here on.
export TRUSTFOLDER_SESSION=runtime
assert_ok tf accept "$ca" --session --label root
assert_eq "$output" 'accepted session: "root" (C=XX, O=trustfolder tests, CN=trustfolder Test Root CA) as a trusted CA for server authentication' \
	"accept --session's report"
[ -f "$session_db" ] || fail "no session store at $session_db"
assert_eq "$(store_count_cert "$ca" "$session_db")" 1 "records for the CA in the session store"
# The next command sees it; the persistent token does not hold it.
assert_ok tf list --session
assert_match "$output" '^session +root +trusted-ca +- +- +- +never '
assert_ok tf list
assert_contains "$output" "No decisions in Trust Folder."
assert_ok tf list --all --json
assert_eq "$(jq -r '.[] | .scope + ":" + .token + ":" + .label' <<<"$output")" "session:Trust Folder Session:root" \
	"list --all --json"
assert_ok tf verify "$server" --host localhost
assert_contains "$output" "[trusted CA in Trust Folder Session as \"root\"]"
assert_contains "$output" "Verdict: trusted"
# NSS sees it too: certutil lists it in the session token, vfychain honours it.
db=$TF_SCRATCH/nssdb
make_nssdb "$db"
assert_ok client certutil -L -d "sql:$db" -h "Trust Folder Session"
assert_match "$(listed_certs "$output")" '^Trust Folder Session:root +C,, *$'
assert_token_empty "$db" "Trust Folder"
assert_ok client vfychain -d "sql:$db" -u 1 -pp -a "$server"
assert_contains "$output" "Chain is good!"
# And what NSS puts in the session token, the tool sees.
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder Session" -n nss-peer -t "P,," -i "$(fixture selfsigned.pem)"
assert_ok tf list --session
assert_match "$output" '^session +nss-peer +trusted-peer '

# Never on persistent storage: not in the store file, nor anywhere under the data home.
assert_eq "$(store_sql 'SELECT count(*) FROM records')" 0 "records in the persistent store"
if grep -rqF "trustfolder Test Root CA" "$XDG_DATA_HOME" "$HOME/.config" 2>/dev/null; then
	fail "the session decision's certificate is under the persistent data or config home"
fi

# reject --session and forget --session act on the session token only.
assert_ok tf accept "$ca" --label root
assert_eq "$(store_count_cert "$ca")" 1 "records for the CA in the persistent store"
assert_ok tf reject root --session
assert_contains "$output" "rejected session:"
assert_eq "$(store_field_cert "$ca" trust_server "$session_db")" "$TF_LEVEL_DISTRUSTED" "session decision after reject --session"
assert_eq "$(store_field_cert "$ca" trust_server)" "$TF_LEVEL_ANCHOR" "persistent decision after reject --session"
assert_ok tf forget root --session
assert_eq "$output" 'forgot session: "root"' "forget --session's report"
assert_eq "$(store_count_cert "$ca" "$session_db")" 0 "records in the session store after forget --session"
assert_eq "$(store_count_cert "$ca")" 1 "records in the persistent store after forget --session"
# forget without a scope takes the decision back everywhere.
assert_ok tf accept "$ca" --session --label root
assert_ok tf forget "$ca"
assert_contains "$output" 'forgot forever: "root"'
assert_contains "$output" 'forgot session: "root"'
assert_eq "$(store_count_cert "$ca" "$session_db")" 0 "records in the session store after forget"
assert_eq "$(store_count_cert "$ca")" 0 "records in the persistent store after forget"

# The config file's "session = runtime" works the same.
unset TRUSTFOLDER_SESSION
mkdir -p "$XDG_CONFIG_HOME/trustfolder"
printf 'session = runtime\n' >"$XDG_CONFIG_HOME/trustfolder/trustfolder.conf"
assert_ok tf import "$(fixture server-inter-chain.pem)" --session
assert_eq "$(grep -c '^accepted session: ' <<<"$output")" 2 "certificates imported into the session token"
assert_ok tf list --session --json
assert_eq "$(jq length <<<"$output")" 3 "session decisions (nss-peer and the two imported)"
assert_eq "$(store_sql 'SELECT count(*) FROM records')" 0 "records in the persistent store at the end"
