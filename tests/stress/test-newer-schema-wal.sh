#!/bin/bash
# A store of a newer schema version is refused and never rewritten, even
# when the newer release left committed pages in its -wal file (WAL mode,
# not checkpointed yet): the module inspects the header through a read-only
# connection, which never checkpoints. The -shm file is SQLite's scratch
# index of the WAL, rebuilt by any reader after a crash; the store is the
# database and its WAL, and those must keep every byte.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=faults.sh
. "${BASH_SOURCE[0]%/*}/faults.sh"

fault_setup
export TRUSTFOLDER_STORE=$TF_SCRATCH/newer/store.db
shell_start newer
ask_expect "add 0 ca" ok
shell_stop
# A newer release's last transaction, still in the WAL: a process that
# commits with checkpoints off and exits without closing.
python3 - "$TRUSTFOLDER_STORE" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA wal_autocheckpoint = 0")
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE meta SET value = value + 1 WHERE key = 'seq'")
db.execute("PRAGMA user_version = 3")
db.execute("COMMIT")
os._exit(0)
PY
[ -s "$TRUSTFOLDER_STORE-wal" ] || fail "the newer release's transaction is not in a WAL"
sum=$(files_sum "$TF_SCRATCH/newer")
shell_start newer2
ask_expect "info" "info present=0 write-protected=0"
shell_stop
log_has "schema version 3, newer than"
if [ "$(files_sum "$TF_SCRATCH/newer" | grep -v -- '-shm ')" != "$(grep -v -- '-shm ' <<<"$sum")" ]; then
	fail "the refused store's files changed:" \
		"$(diff <(echo "$sum") <(files_sum "$TF_SCRATCH/newer") || true)"
fi
