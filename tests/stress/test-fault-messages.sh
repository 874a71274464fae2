#!/bin/bash
# Faults are refused with a log line that names the cause:
#   1. a write that fails on a file-size limit (RLIMIT_FSIZE) or a full disk;
#   2. a store made read-only (chmod) while loaded: the next write is refused,
#      and the token turns write-protected;
#   3. a write to a write-protected token.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup
gaps=()

# gap MESSAGE: one of the gaps above is still there; the test fails at the end.
gap() {
	gaps+=("$1")
	echo "GAP: $1"
}

# 1.
export TRUSTFOLDER_STORE=$TF_SCRATCH/full/store.db
shell_start full
ask_expect "add 0 ca" ok
size=$(stat -c %s "$TRUSTFOLDER_STORE" "$TRUSTFOLDER_STORE-wal" 2>/dev/null | sort -n | tail -1)
ask_expect "limit $((size + 40000))" ok
ask_expect "fill 1 ca" "filled [0-9]+ CKR_[A-Z_]+"
shell_stop
grep -qiE 'too large|file size|disk is full' "$sh_err" ||
	gap "1. a write past the file-size limit is logged as: $(cat "$sh_err")"

# 2.
dir=$TF_SCRATCH/user/ro
export TRUSTFOLDER_STORE=$dir/store.db
shell_start ro as_nobody
ask_expect "add 0 ca" ok
chmod 0400 "$TRUSTFOLDER_STORE"
ask "add 1 peer"
[ "$reply" = "fail CKR_TOKEN_WRITE_PROTECTED" ] ||
	gap "2. a decision made after the store was made read-only answered: $reply"
ask "info"
[ "$reply" = "info present=1 write-protected=1" ] ||
	gap "2. after the store was made read-only the token says: $reply"
shell_stop
grep -qF "$TRUSTFOLDER_STORE" "$sh_err" ||
	gap "2. nothing in the log about the store made read-only: \"$(cat "$sh_err")\""

# 3.
shell_start ro2 as_nobody
ask_expect "add 2 ca" "fail CKR_TOKEN_WRITE_PROTECTED"
shell_stop
grep -qE "^trustfolder: (warning|error): .*$TRUSTFOLDER_STORE" "$sh_err" ||
	gap "3. a write refused by a write-protected token, and the log says: \"$(cat "$sh_err")\""

[ ${#gaps[@]} -eq 0 ] || fail "${#gaps[@]} gap(s) left" "$(printf '%s\n' "${gaps[@]}")"
