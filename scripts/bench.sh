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
# Issue 12 (same run, BenchmarkVerifyBesideBareHMAC): the whole verify of the 10-million-row log
# beside a bare HMAC-SHA256 loop over the same bodies (asked: within 1.5x), and the open-time
# schema check at that size (asked: under 20 ms).
run scripts/with-keyring.sh go test -tags keyring -run '^$' -bench . -timeout 90m ./internal/store/
# Issue 13 (same store run): BenchmarkGovernanceAtScale prints, at 10 thousand and 10 million
# rows, the rules' backfill rate (asked: >= 200,000 rows/s), the workspace opening (< 100 ms), a
# filter change (< 50 ms) and the heap; BenchmarkRuleCheckPerRow and BenchmarkRecordWithRules the
# rules' cost on one appended row (< 1 ms). The Subject Access Request PDF for 1,000 accesses
# (< 1 s):
run go test -run '^$' -bench SARPDF1000 -benchtime 5x ./internal/report/
# Issue 5: request to parsed record beside the raw HTTP round trip; parse rates.
run go test -run '^$' -bench . -benchtime 200x ./sync/
run go test -run '^$' -bench . ./internal/fhir/
# Issues 6 and 7: card removal -> lock screen with the 200-row record open; Enter -> record beside
# the raw HTTP round trips; 200-row beside 20-row record render.
run go test -run '^$' -bench 'CardOutToLockScreen|EnterToRecord' -benchtime 30x -timeout 20m ./app/ | tee build/bench-app.txt
# Issue 14: the same two in the real window (the demo on a private Xvfb at 1280x800; it needs no
# pcscd or keyring): card out -> the frame showing the lock screen, and Enter -> the frame showing
# the record, from the key sent by XTEST to that frame's X Damage event (asked: p99 < 100 ms),
# beside the in-process figures just above (read back from build/bench-app.txt).
run env SCRDESK_BENCH_INPROCESS="$root/build/bench-app.txt" scripts/with-xvfb.sh go test -tags gui -run '^$' -bench 'RealWindow' -benchtime 30x -timeout 60m ./internal/e2e/
run go test -run '^$' -bench . -benchtime 30x ./screens/... ./internal/session/
# Issue 17: the central audit log, against a private PostgreSQL 15: a one-million-row backlog
# replicated beside a bare COPY of the same rows (within 2x); replication lag p99 with two
# workstations at 20 rows/s each (under 2 s); verify --central over ten million rows (at least
# 500,000 rows/s; the rows are written first, several minutes and ~8 GB in the temp folder).
run env SCRDESK_REQUIRE_POSTGRES=1 go test -run '^$' -bench 'ReplicateBacklog|ReplicationLag|VerifyCentral' -benchtime 1x -timeout 120m ./internal/replica/
echo; echo "bench: done"
