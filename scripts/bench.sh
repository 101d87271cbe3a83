#!/usr/bin/env bash
# make bench: prints SCR Desk's speed and memory figures. Each benchmark prints its own
# figures beside the baseline it is judged against. Needs the same packages as make test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh test
mkdir -p build
go build -o build/scrdesk .
export SCRDESK_BINARY="$root/build/scrdesk"
export SCRDESK_REQUIRE_PCSC=1 SCRDESK_REQUIRE_KEYRING=1 SCRDESK_REQUIRE_GUI=1
run() { echo; echo "== $*"; "$@"; }
run scripts/with-xvfb.sh go test -tags gui -run '^$' -bench 'Startup' -benchtime 8x ./internal/e2e/
echo; echo "bench: done"
