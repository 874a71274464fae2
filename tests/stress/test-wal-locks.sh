#!/bin/bash
# A process that has searched the store keeps SQLite's locks on its -shm
# file: closing any descriptor of a file drops all of a process's POSIX locks
# on it, so the module must never close one of its own while SQLite holds
# them (1fca722 did, and processes sharing a store crashed with SIGBUS).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup
export TRUSTFOLDER_STORE=$TF_SCRATCH/locks/store.db
shell_start locks
ask_expect "add 0 ca" ok
ask_expect "count" "count 1"
shm=$(stat -c %i "$TRUSTFOLDER_STORE-shm")
db=$(stat -c %i "$TRUSTFOLDER_STORE")
held=$(awk -v pid="$sh_pid" '$5 == pid { print $6, $7, $8 }' /proc/locks)
shell_stop
if ! grep -q ":$shm " <<<"$held"; then
	fail "the process holds no lock on the store's -shm file (inode $shm); its locks (device:inode start end), the store being inode $db:" \
		"$held"
fi
