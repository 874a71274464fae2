# shellcheck shell=bash
# The body of the concurrency tests (pending/test-concurrency.sh and
# pending/test-concurrency-removals.sh): four processes write distinct
# decisions at once while two more read, certutil -L in a loop and a PKCS#11
# reader that checks every object it sees is whole. Every writer call must
# succeed (the store waits out another writer's lock for up to 10 s; a
# "locked by another process" failure is a module bug), every listing must
# succeed and show only whole decisions, and at the end every decision is
# there as acknowledged.
#
# concurrency_run KEEP: KEEP=1 gives the writers --keep (no record is ever
# removed, so nothing a reader found can vanish before it reads it).

concurrency_run() {
	local keep=$1 writers=4 per_writer decisions pool_size seed pool db store stop
	local w rc pids=() ledgers=() keep_arg=() listings
	per_writer=$(scale 100 250)
	decisions=$(scale 150 1500)
	pool_size=$((writers * per_writer))
	seed=${TF_STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "seed $seed (TF_STRESS_SEED=$seed replays this run)"
	[ "$keep" != 1 ] || keep_arg=(--keep)

	pool=$TF_SCRATCH/pool
	db=$TF_SCRATCH/nssdb
	stop=$TF_SCRATCH/stop
	make_pool "$pool" "$pool_size"
	make_nssdb "$db"
	store=$(store_path)
	on_exit "touch '$stop'"

	"$TF_STRESS" read "$TF_MODULE" "$pool" "$stop" >"$TF_SCRATCH/reader.out" 2>&1 &
	local reader=$!
	on_exit "kill $reader"
	_concurrency_lister "$db" "$stop" &
	local lister=$!
	on_exit "kill $lister"

	for ((w = 0; w < writers; w++)); do
		ledgers+=("$TF_SCRATCH/ledger.$w")
		"$TF_STRESS" write "$TF_MODULE" "$pool" "${ledgers[$w]}" --first $((w * per_writer)) \
			--count "$per_writer" --decisions "$decisions" --seed $((seed + w)) \
			"${keep_arg[@]}" >"$TF_SCRATCH/writer.$w.out" 2>&1 &
		pids+=($!)
		on_exit "kill ${pids[$w]}"
	done
	for ((w = 0; w < writers; w++)); do
		rc=0
		wait "${pids[$w]}" || rc=$?
		if [ "$rc" -ne 0 ]; then
			fail "writer $w: a call failed while three other processes wrote (status $rc)" \
				"$(cat "$TF_SCRATCH/writer.$w.out")"
		fi
		assert_not_contains "$(cat "$TF_SCRATCH/writer.$w.out")" "trustfolder:"
	done
	touch "$stop"
	rc=0
	wait "$reader" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "the PKCS#11 reader saw an object that was not whole, or a call failed" \
			"$(cat "$TF_SCRATCH/reader.out")"
	fi
	wait "$lister" || true
	if [ -e "$TF_SCRATCH/certutil.fail" ]; then
		fail "certutil -L failed, or listed something that is not a whole decision," \
			"while the writers wrote: $(head -c 3000 "$TF_SCRATCH/certutil.fail")"
	fi
	listings=$(cat "$TF_SCRATCH/certutil.count")

	check_ledgers "$pool" --store "$store" --states "$TF_SCRATCH/states" "${ledgers[@]}"
	integrity_ok "$store"
	nss_lists_states "$db" "$TF_SCRATCH/states"
	summary "concurrency: $writers writers made $((writers * decisions)) decisions" \
		"($(grep -h -c '^A ' "${ledgers[@]}" | paste -sd+ | bc) calls, none failed) while" \
		"certutil -L listed $listings times and the PKCS#11 reader made" \
		"$(sed -n 's/^read \([0-9]*\) passes: \([0-9]*\) objects.*/\1 passes over \2 objects/p' \
			"$TF_SCRATCH/reader.out"), all whole; every decision present at the end"
}

# certutil -L in a loop until STOP exists: each listing must succeed and show
# only whole decisions. Failures go to certutil.fail, the count to certutil.count.
_concurrency_lister() {
	local db=$1 stop=$2 n=0 out bad rc
	while [ ! -e "$stop" ]; do
		rc=0
		out=$(timeout -k 5 120 certutil -L -d "sql:$db" -h "Trust Folder" 2>&1) || rc=$?
		if [ "$rc" -ne 0 ]; then
			printf 'listing %d failed (exit status %d):\n%s\n' "$n" "$rc" "$out" \
				>>"$TF_SCRATCH/certutil.fail"
		elif bad=$(listed_certs "$out" |
			grep -vE '^Trust Folder:stress-[0-9]{5} +(,,|C,,|P,,|p,p,p) *$'); then
			printf 'listing %d shows:\n%s\n' "$n" "$bad" >>"$TF_SCRATCH/certutil.fail"
		fi
		n=$((n + 1))
	done
	echo "$n" >"$TF_SCRATCH/certutil.count"
}
