#!/bin/bash
# A store replaced (mv, as restoring a backup does) while a process has it
# loaded: that process writes nothing more to it, and when it exits it takes
# its own WAL away from the path, so the next process reads the replacement as
# it is: every decision in the replacement is there, and it passes
# PRAGMA integrity_check.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup

# replaced_case NAME WRITE_AFTER: the loaded store is replaced by another one
# with 300 decisions of its own; WRITE_AFTER=1 makes one more decision after.
replaced_case() {
	local name=$1 write_after=$2 other=$TF_SCRATCH/$1.other i
	export TRUSTFOLDER_STORE=$TF_SCRATCH/$name/store.db
	TRUSTFOLDER_STORE=$other.db "$TF_STRESS" write "$TF_MODULE" "$FAULT_POOL" "$other.ledger" \
		--first 200 --count 200 --decisions 300 --seed 7 >/dev/null
	shell_start "$name"
	for ((i = 0; i < 30; i++)); do
		ask_expect "add $i ca" ok
	done
	mv "$other.db" "$TRUSTFOLDER_STORE"
	if [ "$write_after" = 1 ]; then
		ask "go 0 peer"
	fi
	shell_stop
	integrity_ok "$TRUSTFOLDER_STORE"
	# The replacement's decisions are all there.
	check_ledgers "$FAULT_POOL" --store "$TRUSTFOLDER_STORE" "$other.ledger"
}

replaced_case written-after 1
replaced_case idle-after 0
