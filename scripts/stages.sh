# stages.sh: sourced by scripts/test.sh and scripts/check.sh. Runs named stages, times each,
# keeps going after a failed test stage so one run reports every failure, and ends with the
# stage timings and then go test's own summary lines (the last lines printed).
#
#   stage NAME CMD [ARGS...]   run CMD as stage NAME (its output shown as it comes)
#   gotest NAME CMD [ARGS...]  the same, for a command that runs go test: its ok/FAIL lines are
#                              repeated in the final summary
#   background NAME CMD...     start CMD now, output kept for later; await NAME waits for it,
#                              then shows the output
#   background_gotest NAME CMD  the same, for a command that runs go test
#   build_binary OUT ARGS...   go build ARGS -o OUT, replacing OUT only when the result differs
#                              (go build rewrites an up-to-date file, and a test that runs OUT
#                              keeps go test's cached result only while OUT's mtime stands)
#   finish                     print the timings and the summary; exit 1 if any stage failed
#
# Stage failures are recorded, not fatal: a caller that must stop (formatting, vet) says
# `stage ... || finish`.

# The race detector's runtime sleeps a second before every race-built process exits (GORACE
# atexit_sleep_ms, default 1000, time for a last report from other threads). Tests start the
# race-built scrdesk hundreds of times (`audit export` to read the log while the window writes,
# the audit commands' black-box tests, crash children) and each paid that second: 0 here. A race
# is still reported, and fails the process, when it happens.
export GORACE="${GORACE:+$GORACE }atexit_sleep_ms=0"

stage_names=()
stage_secs=()
stage_rcs=()
stage_logs=()
stage_t0=$(date +%s)
stage_dir=$(mktemp -d -t scrdesk-stages.XXXXXX)

_stage_record() { # name secs rc log
	stage_names+=("$1")
	stage_secs+=("$2")
	stage_rcs+=("$3")
	stage_logs+=("$4")
}

stage() {
	local name=$1 t0 rc
	shift
	echo "== $name"
	t0=$(date +%s)
	"$@"
	rc=$?
	_stage_record "$name" $(($(date +%s) - t0)) "$rc" ""
	[ "$rc" = 0 ] || echo "== $name FAILED (exit $rc)"
	return "$rc"
}

gotest() {
	local name=$1 t0 rc log
	shift
	echo "== $name"
	log="$stage_dir/${#stage_names[@]}.log"
	t0=$(date +%s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	_stage_record "$name" $(($(date +%s) - t0)) "$rc" "$log"
	[ "$rc" = 0 ] || echo "== $name FAILED (exit $rc)"
	return "$rc"
}

declare -A bg_pid bg_t0 bg_log bg_gotest
background_gotest() {
	bg_gotest[$1]=1
	background "$@"
}

background() {
	local name=$1
	shift
	bg_log[$name]="$stage_dir/bg-$name.log"
	bg_t0[$name]=$(date +%s)
	echo "== $name (started in the background; its output follows when it ends)"
	# Its own process group (setsid), so finish can stop all of it; it notes when it ended, so its
	# time is its own and not how long it waited to be awaited.
	setsid bash -c '"$@"; rc=$?; date +%s >"$0.end"; exit $rc' "${bg_log[$name]}" "$@" >"${bg_log[$name]}" 2>&1 &
	bg_pid[$name]=$!
}

await() {
	local name=$1 rc
	wait "${bg_pid[$name]}"
	rc=$?
	echo "== $name (background)"
	cat "${bg_log[$name]}"
	local keep=""
	[ -z "${bg_gotest[$name]:-}" ] || keep="${bg_log[$name]}"
	unset "bg_pid[$name]"
	local end
	end=$(cat "${bg_log[$name]}.end" 2>/dev/null || date +%s)
	_stage_record "$name" $((end - ${bg_t0[$name]})) "$rc" "$keep"
	[ "$rc" = 0 ] || echo "== $name FAILED (exit $rc)"
	return "$rc"
}

build_binary() {
	local out=$1 tmp
	shift
	mkdir -p "$(dirname "$out")"
	tmp="$out.new.$$"
	go build "$@" -o "$tmp" . || { rm -f "$tmp"; return 1; }
	if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv -f "$tmp" "$out"; fi
}

finish() {
	local i failed=0 total=$(($(date +%s) - stage_t0))
	for name in "${!bg_pid[@]}"; do # a stage left running when a fatal one stopped the run
		kill -- -"${bg_pid[$name]}" 2>/dev/null && wait "${bg_pid[$name]}" 2>/dev/null
	done
	echo
	echo "== stage timings"
	for i in "${!stage_names[@]}"; do
		local mark="ok"
		[ "${stage_rcs[$i]}" = 0 ] || { mark="FAILED"; failed=1; }
		printf '  %-28s %4ds  %s\n' "${stage_names[$i]}" "${stage_secs[$i]}" "$mark"
	done
	printf '  %-28s %4ds  (%dm%02ds wall; background stages overlap the others)\n' total "$total" $((total / 60)) $((total % 60))
	echo
	echo "== go test summary"
	for i in "${!stage_names[@]}"; do
		[ -n "${stage_logs[$i]}" ] || continue
		grep -E '^(ok|FAIL|--- FAIL|panic:)' "${stage_logs[$i]}" | grep -v '^ok .*\[no test files\]'
	done
	rm -rf "$stage_dir"
	exit "$failed"
}
