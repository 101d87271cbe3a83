#!/usr/bin/env bash
# make test (what CI runs): installs what the tests need, checks formatting, go.mod and vet,
# cross-builds for Windows and installs and runs the MSI under Wine (scripts/wine-test.sh),
# fuzzes for a bounded time, then runs every test of every package with
# the race detector (the real-window suite drives the race-built binary from a driver built
# without it: see driver_pkgs below), against the real parts:
#   - a private pcscd with the vsmartcard virtual readers (scripts/with-pcscd.sh, as root),
#   - a private D-Bus session with an unlocked gnome-keyring (scripts/with-keyring.sh),
#   - a private X server (scripts/with-xvfb.sh),
#   - and whatever else a test asks for through SCRDESK_REQUIRE_* (root, PostgreSQL, tools).
# Integration tests fail instead of skipping here (SCRDESK_REQUIRE_*=1). It ends with each
# stage's time and then go test's own summary lines.
#
# Built once: vet, the test binaries and build/scrdesk (which the real-window tests start) all
# use the same flags (-race, the same tags), so the cgo Fyne graph is compiled once, in race
# mode, and shared through Go's build cache. The Windows cross-build (its own graph) runs in the
# background at low priority. Fuzzing instruments a build of its own, so only packages that link
# neither Fyne nor SQLite are fuzzed, for a bounded total time; every fuzz target's corpus also
# runs as an ordinary test.
#
# Cached where that is honest. A package whose tests need only their own inputs (code, testdata,
# files in t.TempDir(), the in-process sandbox on loopback) keeps go test's cached result while
# nothing it reads changes. A package whose tests talk to a real service outside the test process
# (build tag pcsc, keyring or gui, or a test or test helper that reads SCRDESK_REQUIRE_*) cannot
# show go test what it used, so make test tells it: the installed versions of the service
# programs (pcscd, the virtual readers, OpenSC, Xvfb, gnome-keyring, D-Bus, PostgreSQL, poppler:
# `scripts/deps.sh fingerprint`) are linked into those test binaries (-ldflags -X), and the tests
# that run build/scrdesk read or stat it; each service is started afresh by the run. So a cached
# pass of such a package means: the same test code, against the same binary and the same service
# programs, passed. The Windows build's Wine run is kept the same way, by the hash of the exe, the
# installer's source and the Wine scripts, and the chroot (under ~/.cache/scrdesk-test). New
# packages are sorted automatically. Under CI=true, or with FRESH=1, nothing that talks to a real
# service is taken from a cache (-count=1, and the Wine run again). Those runs mostly wait, so
# they run side by side (each PC/SC package with a private pcscd of its own, the rest in one
# environment with every service) while the fuzzing uses the CPU.
#
#   FUZZ_BUDGET=60   total seconds of fuzzing, shared by the fuzz targets (0: none)
#   FRESH=1          run every test against the real services again (as CI=true does)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/stages.sh

tags="pcsc keyring gui"
flags=(-race -tags "$tags")

stage deps scripts/deps.sh test || finish

gofmt_check() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go') 2>/dev/null || true)
	[ -z "$bad" ] || { echo "gofmt would change:"; echo "$bad"; return 1; }
}
stage gofmt gofmt_check || finish

tidy_check() {
	go mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy and commit the result"; return 1; }
}
stage "go mod tidy" tidy_check || finish

stage "go vet (race build)" go vet "${flags[@]}" ./... || finish

stage "build (race)" build_binary build/scrdesk "${flags[@]}" || finish

# Sort the packages: which need a real service (see the top of this file).
list=$(go list -tags "$tags" -f '{{.ImportPath}}|{{.Dir}}|{{join .GoFiles " "}}|{{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}' ./...) || finish
helpers=" "
while IFS='|' read -r ip dir gofiles _ _; do
	for f in $gofiles; do
		if grep -q 'Getenv("SCRDESK_REQUIRE_' "$dir/$f"; then helpers+="$ip "; break; fi
	done
done <<<"$list"
# The real-window suite is a driver: the code it tests runs in build/scrdesk, the race build,
# which it starts; its own test binary only takes screenshots, compares pixels and runs xdotool.
# Built with the race detector that driver was the busiest process on the machine (TestCounter
# 373 s, 107 s without), starving the window it waited on, so it is built without it.
driver_pkgs=" scrdesk/internal/e2e "
pcsc_pkgs=() live_pkgs=() unit_pkgs=() window_pkgs=()
while IFS='|' read -r ip dir _ tfiles timports; do
	case "$driver_pkgs" in *" $ip "*)
		window_pkgs+=("$ip")
		continue
		;;
	esac
	paths=()
	for f in $tfiles; do paths+=("$dir/$f"); done
	kind=unit
	if [ ${#paths[@]} -gt 0 ]; then
		if grep -qE '^//go:build.*\bpcsc\b' "${paths[@]}"; then
			kind=pcsc
		elif grep -qE '^//go:build.*\b(keyring|gui)\b|Getenv\("SCRDESK_REQUIRE_' "${paths[@]}"; then
			kind=live
		elif case "$helpers" in *" $ip "*) true ;; *) false ;; esac; then
			kind=live # a helper that starts a real service, testing itself
		else
			for imp in $timports; do
				case "$helpers" in *" $imp "*) kind=live ;; esac
			done
		fi
	fi
	case $kind in
	pcsc) pcsc_pkgs+=("$ip") ;;
	live) live_pkgs+=("$ip") ;;
	*) unit_pkgs+=("$ip") ;;
	esac
done <<<"$list"
echo "packages: ${#unit_pkgs[@]} self-contained (cached), ${#pcsc_pkgs[@]} with a private pcscd each, ${#live_pkgs[@]} against the other real services, ${#window_pkgs[@]} driving the real window"

export SCRDESK_REQUIRE_POSTGRES=1 SCRDESK_REQUIRE_PCSC=1 SCRDESK_REQUIRE_KEYRING=1 SCRDESK_REQUIRE_GUI=1 SCRDESK_REQUIRE_ROOT=1 SCRDESK_REQUIRE_TOOLS=1
export SCRDESK_BINARY="$root/build/scrdesk"

# What go test cannot see of the services (see the top of this file): linked into the live
# packages' test binaries. Outside CI and FRESH=1 their results may come from go test's cache.
services=$(scripts/deps.sh fingerprint)
# (-X of a name no package defines: the linker ignores it, but it is part of each test binary's identity)
live=("${flags[@]}" -ldflags "-X main.testServices=$services")
window=(-tags "$tags" -ldflags "-X main.testServices=$services") # the driver: no -race (above)
fresh=0
if [ "${CI:-}" = true ] || [ "${FRESH:-}" = 1 ]; then
	fresh=1
	live+=(-count=1)
	window+=(-count=1)
	echo "tests against real services: run afresh (CI=true or FRESH=1)"
else
	echo "tests against real services: cached results kept while the code, build/scrdesk and the service programs ($services) are the same; FRESH=1 runs them again"
fi
export SCRDESK_WINE_FRESH=$fresh

gotest "tests: self-contained" go test "${flags[@]}" "${unit_pkgs[@]}"

# The Windows build (scrdesk.exe and the MSI) compiles its own (mingw) graph: at low priority,
# beside the waiting tests. Then the MSI is installed under Wine 10 in a fresh prefix and the
# installed exe run (scripts/wine-test.sh; the Debian 13 chroot is made once and cached outside
# the clone), in namespaces of its own. It starts only now: scripts/windows.sh puts the icon's
# rsrc_windows_amd64.syso in the main package's folder for its build, and the root package's
# tests above (their vet) failed when it vanished under them.
background "windows build and Wine run" bash -c 'nice -n 10 scripts/windows.sh && SCRDESK_REQUIRE_WINE=1 scripts/wine-test.sh --cached'

# The tests that talk to real services mostly wait (on pcscd's 400 ms poll, on the X server), so
# they run side by side, each in its own namespaces, while the fuzzing below uses the CPU.
# The PC/SC tests stop and restart pcscd: each such package gets a private pcscd of its own.
for pkg in "${pcsc_pkgs[@]}"; do
	background_gotest "tests: pcscd ${pkg#scrdesk/}" scripts/with-pcscd.sh go test "${live[@]}" -timeout 30m "$pkg"
done
# Every other package that needs a real service, in one environment with all of them running;
# the real-window suite in another of its own, beside them.
if [ ${#live_pkgs[@]} -gt 0 ]; then
	background_gotest "tests: real services" scripts/with-pcscd.sh scripts/with-keyring.sh scripts/with-xvfb.sh \
		go test "${live[@]}" -timeout 30m "${live_pkgs[@]}"
fi
if [ ${#window_pkgs[@]} -gt 0 ]; then
	background_gotest "tests: real window" env SCRDESK_KEYRING_NAME=window \
		scripts/with-pcscd.sh scripts/with-keyring.sh scripts/with-xvfb.sh \
		go test "${window[@]}" -timeout 30m "${window_pkgs[@]}"
fi

# Fuzzing: a bounded total budget, shared by every target in a package that links neither the
# cgo Fyne graph nor SQLite (instrumenting either is a whole extra build of it; those packages'
# corpora ran as tests above). One fuzz worker, so the tests beside it keep a core.
fuzz() {
	local budget=${FUZZ_BUDGET:-60} targets=() pkg dir f fs each log try t
	[ "$budget" -gt 0 ] || { echo "fuzz: FUZZ_BUDGET=0, not fuzzing"; return 0; }
	while IFS='|' read -r pkg dir _; do
		fs=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u)
		[ -n "$fs" ] || continue
		if go list -tags "$tags" -test -deps "$pkg" | grep -qxE 'fyne.io/fyne/v2|modernc.org/sqlite'; then
			echo "fuzz: not fuzzing $pkg (it links Fyne or SQLite); its corpus ran as tests"
			continue
		fi
		for f in $fs; do targets+=("$pkg $f"); done
	done <<<"$list"
	[ ${#targets[@]} -gt 0 ] || return 0
	each=$((budget / ${#targets[@]}))
	[ "$each" -ge 1 ] || each=1
	echo "fuzz: ${#targets[@]} targets, ${each}s each (FUZZ_BUDGET=${budget}s)"
	log=$(mktemp -t scrdesk-fuzz.XXXXXX)
	for t in "${targets[@]}"; do
		set -- $t
		echo "fuzz $1 $2"
		# Go 1.26's fuzz coordinator can end a duration-bound run with a bare "context deadline
		# exceeded" and no failing input (golang/go#75804, fixed in Go 1.27): that is retried once
		# and then reported as a toolchain flake. A real finding always writes its failing input.
		for try in 1 2; do
			if go test -tags "$tags" -run '^$' -fuzz "^$2\$" -fuzztime "${each}s" -parallel 1 "$1" >"$log" 2>&1; then break; fi
			if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
				cat "$log"; echo "fuzz $2 in $1 failed"; rm -f "$log"; return 1
			fi
			[ "$try" = 2 ] && echo "fuzz $2: Go's fuzz-coordinator deadline flake twice, no failing input (golang/go#75804)"
		done
	done
	rm -f "$log"
}
stage "fuzz (bounded)" fuzz

for pkg in "${pcsc_pkgs[@]}"; do await "tests: pcscd ${pkg#scrdesk/}"; done
[ ${#live_pkgs[@]} -eq 0 ] || await "tests: real services"
[ ${#window_pkgs[@]} -eq 0 ] || await "tests: real window"
await "windows build and Wine run"
finish
