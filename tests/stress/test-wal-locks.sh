#!/bin/bash
# PENDING (module bug, since 1fca722): a process that has searched the
# store holds no lock on its -shm file, so other processes may rebuild or
# delete the WAL index under it: SIGBUS, and a damaged store.
#
# shm_map() (module/store-sqlite.c) opens "<store>-shm" with open(), maps
# its header and close()s the descriptor. POSIX drops all of a process's
# fcntl locks on a file when any descriptor of that file is closed, so the
# process loses the locks SQLite holds on the -shm file: the shared lock on
# the "DMS" byte that tells other connections it is alive, and any WAL read
# or write lock it held at that moment. The next process to open the store
# then believes it is the only one: it runs WAL recovery and truncates the
# -shm file, which the first process has mapped (SIGBUS on its next access,
# its WAL index rebuilt under it), and two processes can write the WAL at
# once. SQLite's own unix VFS never closes a descriptor of a locked file for
# this reason. Mapping through the descriptor SQLite already has (or not
# closing ours until the store is closed) would keep the locks.
#
# The check: after one decision and one search, the process holds a lock on
# the -shm file, as it does with the module of 1fca722^ (byte 128, the DMS
# lock; /proc/locks).
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
