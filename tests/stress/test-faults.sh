#!/bin/bash
# Faults. Each gives a CKR_ code and a line in the module's log, and never a
# crash; nothing acknowledged before the fault is lost:
#   - the disk full in the middle of a write: a file-size limit
#     (RLIMIT_FSIZE, SIGXFSZ ignored), and a really full file system (a small
#     tmpfs) when this machine lets us mount one; the token works again once
#     there is room;
#   - the store made read-only while loaded: whatever the process does next,
#     a new process gets a write-protected token that refuses writes;
#   - the store deleted, or replaced by another file, while loaded: every
#     command still gets an answer, and a new process gets a working store;
#   - the store's directory missing (created, 0700) or impossible to create,
#     and a directory the user cannot write (a write-protected token);
#   - HOME and the XDG variables unset;
#   - a store of a newer schema version: refused, its bytes left as they are.
# The permission cases run as an unprivileged user, since root ignores
# permissions. What the module does not do yet is in tests/stress/pending/.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup
faults=0

# check_user STORE LEDGER...: tf-stress check as the user (the module refuses
# a store another user owns, root's check included).
check_user() {
	local store=$1
	shift
	run as_nobody timeout -k 5 300 "$FAULT_STRESS" check "$FAULT_MODULE" "$FAULT_POOL" \
		--store "$store" "$@"
	[ "$status" -eq 0 ] || fail "an acknowledged decision is not in the store as acknowledged" \
		"$output"
}

# ---- the disk full: a file-size limit ---------------------------------------
export TRUSTFOLDER_STORE=$TF_SCRATCH/full/store.db
shell_start full
assert_eq "$reply" "init CKR_OK"
for i in 0 1 2 3; do
	ask_expect "add $i $(echo ca peer distrust block | cut -d' ' -f$((i + 1)))" ok
done
# Room for a few more transactions, in whichever file SQLite writes next.
size=$(stat -c %s "$TRUSTFOLDER_STORE" "$TRUSTFOLDER_STORE-wal" 2>/dev/null | sort -n | tail -1)
ask_expect "limit $((size + 40000))" ok
ask_expect "fill 10 ca" "filled [0-9]+ (CKR_DEVICE_MEMORY|CKR_DEVICE_ERROR)"
log_has "store $TRUSTFOLDER_STORE"
ask_expect "state 0" "state ca"
ask_expect "count" "count [0-9]+"
ask_expect "info" "info present=1 write-protected=0"
ask_expect "limit none" ok
ask_expect "add 399 peer" ok # room again: the token works again
shell_stop
check_ledgers "$FAULT_POOL" --store "$TRUSTFOLDER_STORE" "$sh_ledger"
integrity_ok "$TRUSTFOLDER_STORE"
full_refused=$(grep -c '^F ' "$sh_ledger")
faults=$((faults + 1))

# ---- the disk full: a full file system ---------------------------------------
mnt=$TF_SCRATCH/tmpfs/mnt
mkdir -p "$mnt"
# 2 MB with 1 MB of ballast: an empty store in 16 KB pages is some 230 KB,
# and creating it writes as much again to the WAL.
if mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" 2>/dev/null; then
	on_exit "umount '$mnt'"
	export TRUSTFOLDER_STORE=$mnt/store.db
	head -c 1048576 /dev/zero >"$mnt/ballast"
	shell_start tmpfs
	assert_eq "$reply" "init CKR_OK"
	ask_expect "add 0 ca" ok
	ask_expect "fill 1 peer" "filled [0-9]+ CKR_DEVICE_MEMORY"
	log_has "the disk is full"
	ask_expect "state 0" "state ca"
	rm "$mnt/ballast"
	ask_expect "add 399 distrust" ok # room again
	shell_stop
	check_ledgers "$FAULT_POOL" --store "$TRUSTFOLDER_STORE" "$sh_ledger"
	integrity_ok "$TRUSTFOLDER_STORE"
	umount "$mnt"
	faults=$((faults + 1))
else
	echo "NOTE: cannot mount a tmpfs here; the full file system case is skipped"
fi

# ---- the store made read-only while loaded (as the user) ----------------------
dir=$TF_SCRATCH/user/ro
export TRUSTFOLDER_STORE=$dir/store.db
shell_start ro as_nobody
assert_eq "$reply" "init CKR_OK"
ask_expect "add 0 ca" ok
ask_expect "add 1 peer" ok
chmod 0400 "$TRUSTFOLDER_STORE"
chmod 0500 "$dir"
# SQLite still holds the file open for writing: the write may go through
# (pending/test-fault-messages.sh wants it refused), but it must be answered.
ask_expect "add 2 distrust" "ok|fail CKR_[A-Z_]+"
ask_expect "state 0" "state ca"
shell_stop
shell_start ro2 as_nobody
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=1 write-protected=1"
ask_expect "add 3 ca" "fail CKR_TOKEN_WRITE_PROTECTED"
ask_expect "state 1" "state peer"
shell_stop
check_user "$TRUSTFOLDER_STORE" "$TF_SCRATCH/user/ro.ledger" "$TF_SCRATCH/user/ro2.ledger"
chmod 0700 "$dir"
faults=$((faults + 1))

# ---- the store's directory cannot be written (as the user) --------------------
dir=$TF_SCRATCH/user/rodir
export TRUSTFOLDER_STORE=$dir/store.db
shell_start rodir as_nobody
ask_expect "add 0 peer" ok
shell_stop
chmod 0500 "$dir"
sum=$(files_sum "$dir")
shell_start rodir2 as_nobody
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=1 write-protected=1"
ask_expect "add 1 ca" "fail CKR_TOKEN_WRITE_PROTECTED"
ask_expect "state 0" "state peer"
shell_stop
assert_eq "$(files_sum "$dir")" "$sum" "the store's files after a refused write"
chmod 0700 "$dir"
check_user "$TRUSTFOLDER_STORE" "$TF_SCRATCH/user/rodir.ledger" "$TF_SCRATCH/user/rodir2.ledger"
faults=$((faults + 1))

# ---- the store's directory missing ----------------------------------------------
# Created, each level 0700, and the file 0600.
export TRUSTFOLDER_STORE=$TF_SCRATCH/user/missing/a/b/store.db
shell_start missing as_nobody
assert_eq "$reply" "init CKR_OK"
ask_expect "add 0 ca" ok
shell_stop
assert_eq "$(stat -c %a "$TF_SCRATCH/user/missing" "$TF_SCRATCH/user/missing/a" \
	"$TF_SCRATCH/user/missing/a/b" "$TRUSTFOLDER_STORE" | tr '\n' ' ')" "700 700 700 600 " \
	"modes of the directories made and of the store"
check_user "$TRUSTFOLDER_STORE" "$TF_SCRATCH/user/missing.ledger"
# Impossible to create (a directory of root's): no token, said why.
mkdir -p "$TF_SCRATCH/roots"
chmod 0755 "$TF_SCRATCH/roots"
export TRUSTFOLDER_STORE=$TF_SCRATCH/roots/sub/store.db
shell_start nodir as_nobody
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=0 write-protected=0"
ask_expect "add 0 ca" "fail CKR_TOKEN_NOT_PRESENT"
shell_stop
log_has "cannot create directory $TF_SCRATCH/roots/sub: Permission denied"
[ ! -e "$TF_SCRATCH/roots/sub" ] || fail "a directory appeared where it could not be made"
faults=$((faults + 2))

# ---- HOME and the XDG variables unset --------------------------------------------
unset TRUSTFOLDER_STORE
# The user's home from the password database is /nonexistent: no token, said why.
shell_start nohome env -i PATH="$PATH" setpriv --reuid="$FAULT_USER" --regid="$FAULT_GROUP" \
	--clear-groups
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=0 write-protected=0"
ask_expect "add 0 ca" "fail CKR_TOKEN_NOT_PRESENT"
shell_stop
log_has "/nonexistent"
# A user with no home at all: the module says to set TRUSTFOLDER_STORE; the
# persistent token is absent, the module (and its session token) still loads.
mkdir -p "$TF_SCRATCH/homeless"
chown 54321:54321 "$TF_SCRATCH/homeless"
LEDGER_DIR=$TF_SCRATCH/homeless shell_start nohome2 env -i PATH="$PATH" \
	setpriv --reuid=54321 --regid=54321 --clear-groups
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=0 write-protected=0"
shell_stop
log_has "TRUSTFOLDER_STORE"
# With TRUSTFOLDER_STORE and nothing else, all is well.
shell_start storeonly env -i PATH="$PATH" TRUSTFOLDER_STORE="$TF_SCRATCH/user/envonly/store.db" \
	setpriv --reuid="$FAULT_USER" --regid="$FAULT_GROUP" --clear-groups
assert_eq "$reply" "init CKR_OK"
ask_expect "add 0 ca" ok
shell_stop
faults=$((faults + 1))

# ---- the store deleted while loaded ---------------------------------------------------
export TRUSTFOLDER_STORE=$TF_SCRATCH/deleted/store.db
shell_start deleted
ask_expect "add 0 ca" ok
rm -f "$TRUSTFOLDER_STORE" "$TRUSTFOLDER_STORE-wal" "$TRUSTFOLDER_STORE-shm"
# Answered, whatever the answer (pending/test-store-deleted.sh wants more).
ask_expect "add 1 peer" "ok|fail CKR_[A-Z_]+"
ask_expect "count" "count [0-9]+|error CKR_[A-Z_]+"
ask_expect "state 0" "state [a-z]+|error CKR_[A-Z_]+|bad .*"
shell_stop
# The next process has a store again.
shell_start deleted2
assert_eq "$reply" "init CKR_OK"
ask_expect "add 2 ca" ok
shell_stop
check_ledgers "$FAULT_POOL" --store "$TRUSTFOLDER_STORE" "$sh_ledger"
integrity_ok "$TRUSTFOLDER_STORE"
faults=$((faults + 1))

# ---- the store overwritten in place by another file while loaded ---------------------
export TRUSTFOLDER_STORE=$TF_SCRATCH/overwritten/store.db
shell_start overwritten
ask_expect "add 0 ca" ok
shell_stop
shell_start overwritten2
ask_expect "count" "count 1"
head -c 40000 /dev/urandom >"$TRUSTFOLDER_STORE" # same file, new bytes
ask_expect "count" "count [0-9]+|error CKR_[A-Z_]+"
ask_expect "add 1 ca" "ok|fail CKR_[A-Z_]+"
shell_stop
sum=$(sha256sum <"$TRUSTFOLDER_STORE")
# A new process refuses it, says so, and leaves it as it is.
shell_start overwritten3
ask_expect "info" "info present=0 write-protected=0"
shell_stop
log_has "$TRUSTFOLDER_STORE"
assert_eq "$(sha256sum <"$TRUSTFOLDER_STORE")" "$sum" "the overwritten store's bytes"
faults=$((faults + 1))

# ---- the store replaced by another store while loaded ---------------------------------
# (mv over it, as restoring a backup would.) Every command is answered; what
# becomes of the replacement is pending/test-store-replaced.sh.
export TRUSTFOLDER_STORE=$TF_SCRATCH/replaced/store.db
shell_start replaced
ask_expect "add 0 ca" ok
TRUSTFOLDER_STORE=$TF_SCRATCH/replaced/other.db "$TF_STRESS" write "$TF_MODULE" "$FAULT_POOL" \
	"$TF_SCRATCH/other.ledger" --first 200 --count 100 --decisions 50 --seed 1 >/dev/null
mv "$TF_SCRATCH/replaced/other.db" "$TRUSTFOLDER_STORE"
ask_expect "count" "count [0-9]+|error CKR_[A-Z_]+"
ask_expect "add 1 peer" "ok|fail CKR_[A-Z_]+"
ask_expect "state 0" "state [a-z]+|error CKR_[A-Z_]+|bad .*"
shell_stop
faults=$((faults + 1))

# ---- a store of a newer schema version ------------------------------------------------
export TRUSTFOLDER_STORE=$TF_SCRATCH/newer/store.db
shell_start newer
ask_expect "add 0 ca" ok
shell_stop
sqlite3 "$TRUSTFOLDER_STORE" 'PRAGMA user_version = 3;'
sum=$(files_sum "$TF_SCRATCH/newer")
shell_start newer2
assert_eq "$reply" "init CKR_OK"
ask_expect "info" "info present=0 write-protected=0"
ask_expect "add 1 ca" "fail CKR_TOKEN_NOT_PRESENT"
ask_expect "count" "error CKR_TOKEN_NOT_PRESENT"
shell_stop
log_has "schema version 3, newer than"
assert_eq "$(files_sum "$TF_SCRATCH/newer")" "$sum" "the newer store's files"
faults=$((faults + 1))

summary "faults: $faults kinds tried; none crashed, every command was answered (a CKR_" \
	"code), nothing acknowledged before a fault was lost; the file-size limit refused" \
	"$full_refused call(s) and the token worked again after it"
