#!/bin/bash
# PENDING (module bug): a store replaced while a process has it loaded comes
# back damaged, and the decisions in the replacement are lost.
#
# A process has the store open and has written to it, so its -wal file holds
# pages of that store. The user puts another store in its place (mv, as
# restoring a backup does). SQLite keeps using the open, unlinked file, and
# the -wal file, which still has the store's name: the next decision is
# acknowledged and appended to it, and at exit SQLite does not checkpoint a
# database that has moved, so the -wal file stays. The next process to open
# the store applies those pages, which belong to the old store, to the
# replacement: the replacement's decisions are replaced by the old store's,
# or (when the pages do not cover it all) PRAGMA integrity_check fails
# ("Rowid out of order", "row missing from index") and the module refuses
# the store, so the token disappears. Either way every decision in the
# replacement is lost.
#
# The module should notice that the file at its path is no longer the one it
# opened (SQLITE_FCNTL_HAS_MOVED, or stat against the open file) before it
# reads or writes, and refuse with a CKR_ code and a log line, or reopen the
# path. Checkpointing the WAL after each write transaction (wal_checkpoint
# TRUNCATE) would also keep an idle process from leaving pages behind.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${BASH_SOURCE[0]%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../faults.sh
. "${BASH_SOURCE[0]%/*}/../faults.sh"

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
