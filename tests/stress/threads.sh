# shellcheck shell=bash disable=SC2154 # status and output are set by lib.sh's run
# The body of the threads tests (test-threads.sh, and
# pending/test-threads-with-writer.sh): eight threads in one process, each
# with its own session and its own certificates, mix decisions, searches over
# everything (while the others write) and checks that their own certificates
# show exactly what they made them. Every call must succeed, every check
# agree, and afterwards every acknowledged decision is in the store. Then the
# same with the module and the client built with ThreadSanitizer
# (TF_TSAN_BUILD): any report fails.
#
# threads_run WRITER: WRITER=1 also runs a writer process on other
# certificates of the same store meanwhile, so that the threads' searches
# bring in other processes' commits while other threads read.

threads_run() {
	local with_writer=$1 threads=8 ops tsan_ops seed pool t plain sanitized reports
	local ledgers=() tsan_ledgers=()
	ops=$(scale 300 3000)
	tsan_ops=$(scale 150 1000)
	seed=${TF_STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "seed $seed (TF_STRESS_SEED=$seed replays this run)"
	pool=$TF_SCRATCH/pool
	make_pool "$pool" 400
	[ -n "${TF_TSAN_BUILD:-}" ] ||
		fail "no ThreadSanitizer build (TF_TSAN_BUILD): run this through make check-stress-short"

	for ((t = 0; t < threads; t++)); do
		ledgers+=("$TF_SCRATCH/ledger.$t")
		tsan_ledgers+=("$TF_SCRATCH/tsan/ledger.$t")
	done
	_threads_writer_start "$with_writer" "$pool" "$TF_SCRATCH/writer.ledger"
	run timeout -k 5 600 "$TF_STRESS" threads "$TF_MODULE" "$pool" "$TF_SCRATCH/ledger" \
		--threads "$threads" --ops "$ops" --seed "$seed" --count 320
	[ "$status" -eq 0 ] || fail "a thread's call failed or saw what it did not make" "$output"
	plain=$output
	_threads_writer_stop "$with_writer" ledgers "$TF_SCRATCH/writer.ledger"
	check_ledgers "$pool" --store "$(store_path)" "${ledgers[@]}"
	integrity_ok "$(store_path)"

	mkdir -p "$TF_SCRATCH/tsan"
	export TRUSTFOLDER_STORE=$TF_SCRATCH/tsan/store/trustfolder.db
	_threads_writer_start "$with_writer" "$pool" "$TF_SCRATCH/tsan/writer.ledger"
	run timeout -k 5 900 env TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$TF_SCRATCH/tsan/report" \
		"$TF_TSAN_BUILD/stress/tf-stress" threads "$TF_TSAN_BUILD/trustfolder-pkcs11.so" "$pool" \
		"$TF_SCRATCH/tsan/ledger" --threads "$threads" --ops "$tsan_ops" --seed "$seed" --count 320
	reports=$(cat "$TF_SCRATCH/tsan"/report.* 2>/dev/null || true)
	[ -z "$reports" ] || fail "ThreadSanitizer reports (exit status $status):" "$reports"
	[ "$status" -eq 0 ] || fail "under ThreadSanitizer, a thread failed (exit status $status)" "$output"
	sanitized=$output
	_threads_writer_stop "$with_writer" tsan_ledgers "$TF_SCRATCH/tsan/writer.ledger"
	check_ledgers "$pool" --store "$TRUSTFOLDER_STORE" "${tsan_ledgers[@]}"
	unset TRUSTFOLDER_STORE

	if [ "$with_writer" = 1 ]; then
		sanitized="$sanitized (another process writing meanwhile)"
	fi
	summary "threads: $plain; under ThreadSanitizer: $sanitized, and no report"
}

# A writer process on certificates 320..399 while the threads run.
_threads_writer_start() {
	[ "$1" = 1 ] || return 0
	"$TF_STRESS" write "$TF_MODULE" "$2" "$3" --first 320 --count 80 \
		>"$3.out" 2>&1 &
	threads_writer=$!
	on_exit "kill $threads_writer"
}

# Stops the writer (it writes until killed: SIGTERM between two calls is a
# crash like any other) and adds its ledger to the array named $2.
_threads_writer_stop() {
	local -n list=$2
	[ "$1" = 1 ] || return 0
	kill -0 "$threads_writer" 2>/dev/null ||
		fail "the writer process ended before the threads did" "$(cat "$3.out")"
	kill -KILL "$threads_writer"
	wait "$threads_writer" 2>/dev/null || true
	list+=("$3")
}
