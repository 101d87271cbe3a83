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
# Issue 2: start-up time and resident memory, SCR Desk beside a minimal Fyne window.
run scripts/with-xvfb.sh go test -tags gui -run '^$' -bench 'Startup' -benchtime 8x ./internal/e2e/
# Issue 3: removal -> watcher event beside a bare GetStatusChange loop; a whole card sign-in.
run scripts/with-pcscd.sh go test -tags pcsc -run '^$' -bench . -benchtime 20x ./cardreader/
# Issue 4: durable append, queries at 10 thousand and 10 million rows, chain verification, file
# size (the 10-million-row log is built once, ~4 minutes and ~4.5 GB, and cached under
# ${SCRDESK_BENCH_DIR:-$TMPDIR/scrdesk-bench}).
run scripts/with-keyring.sh go test -tags keyring -run '^$' -bench . -timeout 90m ./internal/store/
# Issue 5: request to parsed record beside the raw HTTP round trip; parse rates.
run go test -run '^$' -bench . -benchtime 200x ./sync/
run go test -run '^$' -bench . ./internal/fhir/
# Issues 6 and 7: card removal -> lock screen with the 200-row record open; Enter -> record beside
# the raw HTTP round trips; 200-row beside 20-row record render.
run go test -run '^$' -bench 'CardOutToLockScreen|EnterToRecord' -benchtime 30x -timeout 20m ./app/
run go test -run '^$' -bench . -benchtime 30x ./screens/... ./internal/session/
echo; echo "bench: done"
