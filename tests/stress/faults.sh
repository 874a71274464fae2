# shellcheck shell=bash
# Helpers of the fault tests: one tf-stress shell (one module, loaded once)
# driven a command at a time through two FIFOs, so that a test can break the
# store between two commands; an unprivileged user, since root ignores
# permissions. Source after lib.sh.

trap '' PIPE # a shell that crashed must fail the test with a message, not kill it

FAULT_USER=nobody
FAULT_GROUP=nogroup
reply=    # the last answer of the shell
sh_err=   # the module's log (the shell's stderr)
sh_ledger= # the shell's ledger

# The module, tf-stress and the pool where the unprivileged user can reach
# them, wherever the tree is (as test-bad-input.sh does).
fault_setup() {
	chmod 0755 "$TF_SCRATCH" "$HOME"
	mkdir -p "$TF_SCRATCH/bin" "$TF_SCRATCH/user"
	cp "$TF_MODULE" "$TF_STRESS" "$TF_SCRATCH/bin/"
	chmod -R a+rX "$TF_SCRATCH/bin"
	FAULT_MODULE=$TF_SCRATCH/bin/${TF_MODULE##*/}
	FAULT_STRESS=$TF_SCRATCH/bin/tf-stress
	FAULT_POOL=$TF_SCRATCH/pool
	make_pool "$FAULT_POOL" 400
	chmod -R a+rX "$FAULT_POOL"
	# The user's own corner: its stores and its ledgers.
	chown "$FAULT_USER:$FAULT_GROUP" "$TF_SCRATCH/user"
	chmod 0700 "$TF_SCRATCH/user"
}

# as_nobody CMD...: CMD as the unprivileged user, keeping the environment.
as_nobody() {
	setpriv --reuid="$FAULT_USER" --regid="$FAULT_GROUP" --clear-groups "$@"
}

# shell_start NAME [PREFIX...]: starts tf-stress shell with ledger NAME.ledger
# in the user's corner (or in $LEDGER_DIR), through PREFIX (as_nobody,
# env ...), with the environment's TRUSTFOLDER_STORE. Reads its first answer
# (C_Initialize's) into $reply. Its stderr, the module's log, goes to $sh_err.
shell_start() {
	local name=$1
	shift
	sh_err=$TF_SCRATCH/$name.err
	sh_ledger=${LEDGER_DIR:-$TF_SCRATCH/user}/$name.ledger
	rm -f "$TF_SCRATCH/$name.in" "$TF_SCRATCH/$name.out"
	mkfifo "$TF_SCRATCH/$name.in" "$TF_SCRATCH/$name.out"
	: >"$sh_err"
	"$@" "$FAULT_STRESS" shell "$FAULT_MODULE" "$FAULT_POOL" "$sh_ledger" \
		<"$TF_SCRATCH/$name.in" >"$TF_SCRATCH/$name.out" 2>"$sh_err" &
	sh_pid=$!
	exec {sh_w}>"$TF_SCRATCH/$name.in" {sh_r}<"$TF_SCRATCH/$name.out"
	on_exit "kill $sh_pid"
	_shell_read "(start)"
}

_shell_read() {
	if ! IFS= read -r -t 60 reply <&"$sh_r"; then
		fail "tf-stress shell gave no answer to \"$1\": it crashed or hung" "$(cat "$sh_err")"
	fi
	echo "  $1 -> $reply"
}

# ask CMD: one command; its answer in $reply.
ask() {
	echo "$*" >&"$sh_w" || fail "tf-stress shell is gone before \"$*\": it crashed" \
		"$(cat "$sh_err")"
	_shell_read "$*"
}

# ask_expect CMD REGEX: the answer to CMD matches REGEX (whole line).
ask_expect() {
	ask "$1"
	[[ $reply =~ ^$2$ ]] || fail "\"$1\" answered \"$reply\", expected /$2/" "$(cat "$sh_err")"
}

# shell_stop: quits the shell, which must end by itself with status 0.
shell_stop() {
	local rc=0
	echo quit >&"$sh_w" || true
	exec {sh_w}>&- {sh_r}<&-
	wait "$sh_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "tf-stress shell ended with status $rc (a crash?)" "$(cat "$sh_err")"
}

# log_has TEXT: the module's log (of the last shell) has an error or warning
# line containing TEXT.
log_has() {
	if ! grep -E '^trustfolder: (error|warning): ' "$sh_err" | grep -qF -- "$1"; then
		fail "the module's log does not say \"$1\":" "$(cat "$sh_err")"
	fi
}

# files_sum DIR: the names and bytes of the files in DIR.
files_sum() {
	(cd "$1" && for f in *; do [ -f "$f" ] && echo "$f $(sha256sum <"$f")"; done)
}
