#!/bin/bash
# A process that keeps the module loaded (one session, never reopened) sees a
# decision that another process (certutil) committed, at its next search,
# without a restart.
. "${BASH_SOURCE[0]%/*}/lib.sh"

ca=$(fixture ca.pem)
db=$TF_SCRATCH/nssdb
make_nssdb "$db"

fifo_in=$TF_SCRATCH/watch.in
out=$TF_SCRATCH/watch.out
mkfifo "$fifo_in"
client "$TF_HELPERS/p11-client" "$TF_MODULE" watch "cross" <"$fifo_in" >"$out" 2>&1 &
watcher=$!
on_exit "kill $watcher"
exec 7>"$fifo_in"

# wait_count N: asks the watcher to search once, and waits for its answer.
asked=0
wait_count() {
	local i
	asked=$((asked + 1))
	echo search >&7
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^count' "$out")" -ge "$asked" ] && break
		sleep 0.1
	done
	assert_eq "$(grep '^count' "$out" | sed -n "${asked}p")" "count $1" "search $asked of the long-lived process"
}

wait_count 0
assert_ok client certutil -A -d "sql:$db" -h "Trust Folder" -n cross -t "C,," -i "$ca"
wait_count 1
assert_ok client certutil -D -d "sql:$db" -n "Trust Folder:cross"
wait_count 0

exec 7>&-
wait "$watcher"
