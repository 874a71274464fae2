#!/bin/bash
# Four processes open a store that does not exist yet at the same moment,
# forty times over: each gets its token (the header is read in one
# transaction, and switching to WAL waits out the other openers).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

pool=$TF_SCRATCH/pool
make_pool "$pool" 10
bad=0
for ((r = 0; r < 40; r++)); do
	dir=$TF_SCRATCH/round.$r
	mkdir -m 0700 "$dir"
	for k in 1 2 3 4; do
		echo info | TRUSTFOLDER_STORE=$dir/store.db "$TF_STRESS" shell "$TF_MODULE" "$pool" \
			"$dir/ledger.$k" >"$dir/out.$k" 2>"$dir/err.$k" &
	done
	wait
	if grep -q "present=0" "$dir"/out.*; then
		bad=$((bad + 1))
		errors=$(cat "$dir"/err.*)
	fi
done
[ "$bad" -eq 0 ] || fail "in $bad of 40 rounds a process found no token; the last said:" "$errors"
