#!/bin/bash
# Crash safety. A writer makes decisions through PKCS#11 as certutil does
# (certificate then trust; trust re-created to change it; trust then
# certificate destroyed; distrust by issuer + serial) and acknowledges each
# call in its ledger only after CKR_OK. It is killed with SIGKILL at a random
# moment, over and over: one kill in ten while it is still loading the module
# and opening the store, the others while it writes. After every kill:
#   - the store opens (the token is there) and SQLite's integrity check passes;
#   - every acknowledged decision is there exactly as acknowledged, through
#     PKCS#11 and in the store's rows, and nothing else is; the one call the
#     kill interrupted happened entirely or not at all;
# and every few kills NSS is asked too: certutil -L lists exactly the
# decisions, each with its trust, and vfychain judges a sample of leaves as
# their CAs' decisions say.
#
# TF_STRESS_SEED=N replays a run (each writer's seed is N + its kill number).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${BASH_SOURCE[0]%/*}/lib.sh"

kills=$(scale 200 1000)
pool_size=$(scale 400 1000)
nss_every=5
seed=${TF_STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed $seed (TF_STRESS_SEED=$seed replays this run)"

pool=$TF_SCRATCH/pool
ledger=$TF_SCRATCH/ledger
states=$TF_SCRATCH/states
db=$TF_SCRATCH/nssdb
make_pool "$pool" "$pool_size"
make_nssdb "$db"
store=$(store_path)

made=0
not_made=0
nss_checks=0
for ((k = 1; k <= kills; k++)); do
	"$TF_STRESS" write "$TF_MODULE" "$pool" "$ledger" --seed $((seed + k)) \
		>"$TF_SCRATCH/writer.out" 2>&1 &
	pid=$!
	if ((RANDOM % 10 == 0)); then
		ms=$((RANDOM % 40))
	else
		ms=$((40 + RANDOM % 160))
	fi
	sleep "$(printf '0.%03d' "$ms")"
	kill -KILL "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$? # (no "Killed" line from bash)
	if [ "$rc" -ne 137 ]; then
		fail "kill $k: the writer ended by itself (status $rc) before it was killed" \
			"$(cat "$TF_SCRATCH/writer.out")"
	fi

	# The checker is the first to open the store after the crash.
	run timeout -k 5 300 "$TF_STRESS" check "$TF_MODULE" "$pool" --store "$store" \
		--states "$states" "$ledger"
	if [ "$status" -ne 0 ]; then
		fail "after kill $k (writer seed $((seed + k)), killed after ${ms} ms)" "$output"
	fi
	case $output in
	*"): made"*) made=$((made + 1)) ;;
	*"): not made"*) not_made=$((not_made + 1)) ;;
	esac
	integrity_ok "$store"

	if ((k % nss_every == 0)); then
		nss_lists_states "$db" "$states"
		vfychain_sample "$db" "$pool" "$states" "$pool_size"
		nss_checks=$((nss_checks + 1))
	fi
done

acks=$(grep -c '^A ' "$ledger")
present=$(wc -l <"$states")
summary "crash: $kills SIGKILLs survived; $acks PKCS#11 calls acknowledged, every one" \
	"re-checked after each later kill ($((kills * pool_size)) certificate states compared" \
	"through PKCS#11 and the store's rows); $((made + not_made)) kills interrupted a call" \
	"($made completed, $not_made not made, none half made); certutil -L and vfychain" \
	"agreed $nss_checks times; $present decisions stand at the end"
