#!/usr/bin/env bash
# make check: the fast loop. gofmt, go.mod tidiness, go vet and every test that needs no pcscd,
# keyring or display, with the race detector and go test's cache: a warm run (nothing changed)
# takes seconds, a change re-runs only the packages it can affect. It uses exactly the flags of
# make test, so the two share one build cache and one compiled Fyne graph.
#
# Tests that need a real service are left out (their build tags pcsc, keyring and gui are not
# set) or skip and say why (SCRDESK_REQUIRE_* is not set here); make test runs them all.
# Installs nothing, needs no root.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh

flags=(-race -tags "pcsc keyring gui")

gofmt_check() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go') 2>/dev/null || true)
	[ -z "$bad" ] || { echo "gofmt would change:"; echo "$bad"; return 1; }
}
stage gofmt gofmt_check
stage "go mod tidy" sh -c 'go mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }'
stage "go vet" go vet "${flags[@]}" ./...
# Tests that run the scrdesk binary (the audit subcommands' black-box tests) use this one, built
# with the same flags, instead of building another in a mode nothing else shares.
stage "build (race)" build_binary build/scrdesk "${flags[@]}" || finish
export SCRDESK_BINARY="$PWD/build/scrdesk"
# The same flags minus the tags: the tagged tests (real pcscd, keyring, window) are not built.
unset SCRDESK_REQUIRE_PCSC SCRDESK_REQUIRE_KEYRING SCRDESK_REQUIRE_GUI SCRDESK_REQUIRE_ROOT \
	SCRDESK_REQUIRE_TOOLS SCRDESK_REQUIRE_POSTGRES
gotest "tests (cached)" go test -race ./...
finish
