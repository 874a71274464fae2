#!/bin/bash
# A decision made after the store was deleted while a process had it open is
# refused with a CKR_ code and a log line, never acknowledged and lost: the
# module notices that the file at its path is no longer the one it has open
# (SQLITE_FCNTL_HAS_MOVED) before any write.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup

# deleted_case NAME FILES...: deletes FILES (relative to the store) while the
# store is loaded, then makes a decision; CKR_OK must mean it is kept.
deleted_case() {
	local name=$1 f
	shift
	export TRUSTFOLDER_STORE=$TF_SCRATCH/$name/store.db
	shell_start "$name"
	ask_expect "add 0 ca" ok
	for f in "$@"; do
		rm -f "$TRUSTFOLDER_STORE$f"
	done
	ask "add 1 peer"
	local answer=$reply
	shell_stop
	if [ "$answer" = ok ]; then
		shell_start "$name.after"
		ask "state 1"
		shell_stop
		[ "$reply" = "state peer" ] ||
			fail "$name: a decision made after the store was deleted was acknowledged (CKR_OK), and the next process finds it: $reply"
	else
		[[ $answer =~ ^fail\ CKR_ ]] || fail "$name: the write answered $answer"
		log_has "$TRUSTFOLDER_STORE"
	fi
}

deleted_case all "" -wal -shm
deleted_case main-file ""
