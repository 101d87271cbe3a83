package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
)

// The benchmarks print the figures:
//
//	go test -bench . -run '^$' ./internal/store/
//
// BenchmarkAuditAtScale builds (once, then caches) a 10 million row and a 10 thousand row log
// with a real HMAC chain, and times the Subject Access Request query, a user-and-date query
// and the newest filtered page on both in the same run; it also times chain verification and
// reports the file size per million rows. The cache lives in $SCRDESK_BENCH_DIR, else
// $TMPDIR/scrdesk-bench (about 3 GB); delete it to rebuild. SCRDESK_BENCH_ROWS overrides the
// large size (e.g. 1000000 for a quicker run).

const benchGenVersion = 2 // bump when the generator changes, to rebuild cached files

func benchDir() string {
	if d := os.Getenv("SCRDESK_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "scrdesk-bench")
}

// genWeights is the action mix of a pharmacy day: lookups, views, locks, a few emergencies.
var genWeights = []struct {
	a audit.Action
	w int
}{
	{audit.ActionPatientSearch, 150}, {audit.ActionPatientRead, 150}, {audit.ActionConsentRead, 140},
	{audit.ActionPermission, 130}, {audit.ActionSCRRead, 130}, {audit.ActionLogin, 50},
	{audit.ActionLockIdle, 50}, {audit.ActionUnlock, 50}, {audit.ActionLockCardRemoved, 50},
	{audit.ActionLogout, 30}, {audit.ActionSelfClaimLR, 30}, {audit.ActionEmergency, 10},
	{audit.ActionPermissionNo, 10}, {audit.ActionAlertQueued, 10}, {audit.ActionAlertSent, 10},
	{audit.ActionWrongPasscode, 5}, {audit.ActionRoleSelected, 5},
}

type generator struct {
	r        *rand.Rand
	table    []audit.Action
	users    int
	patients int
	t0       int64 // first row's time, Unix ms
}

func newGenerator(n int) *generator {
	g := &generator{r: rand.New(rand.NewPCG(1, 2)), users: 50, patients: max(n/8, 100),
		t0: time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).UnixMilli()}
	for _, w := range genWeights {
		for range w.w {
			g.table = append(g.table, w.a)
		}
	}
	return g
}

// nhsNumber returns the k-th test NHS number (999 range, valid Modulus 11).
func nhsNumber(k int) string {
	for d := k * 11; ; d++ {
		s := fmt.Sprintf("999%06d", d%1_000_000)
		sum := 0
		for i := range 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return s + strconv.Itoa(c)
		}
	}
}

func userID(u int) string { return fmt.Sprintf("5552542%05d", u) }

// row makes row seq; times advance about 6 s a row (10M rows ≈ 2 years).
func (g *generator) row(seq int64, lastMS *int64) audit.Entry {
	a := g.table[g.r.IntN(len(g.table))]
	info, _ := a.Info()
	u := g.r.IntN(g.users)
	var id [16]byte
	binary.LittleEndian.PutUint64(id[:8], g.r.Uint64())
	binary.LittleEndian.PutUint64(id[8:], g.r.Uint64())
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	*lastMS += int64(g.r.IntN(12000))
	e := audit.Entry{Seq: seq, ID: audit.FormatUUID(id), Time: time.UnixMilli(*lastMS).UTC(),
		Event: audit.Event{Action: a, Outcome: audit.OutcomeSuccess,
			Workstation: "counter-" + strconv.Itoa(1+u%2), ODSCode: "FA123",
			UserID: userID(u), UserName: "Pharmacist " + strconv.Itoa(u),
			URID: fmt.Sprintf("5552542401%02d", u), RoleCode: "S8000:G8000:R8003"}}
	if info.Patient || a == audit.ActionPatientSearch {
		if a != audit.ActionPatientSearch {
			e.NHSNumber = nhsNumber(g.r.IntN(g.patients))
		}
		e.RequestIDs = []string{e.ID}
	}
	switch a {
	case audit.ActionEmergency:
		e.Reason = "Patient unconscious; allergy check before treatment"
	case audit.ActionLogin:
		if g.r.IntN(10) == 0 {
			e.Outcome, e.Reason = audit.OutcomeMinorFailure, "card certificate expired"
		}
	case audit.ActionSCRRead:
		e.Detail = map[string]string{"sections": "5"}
	}
	return e
}

// buildBenchDB returns a cached log of n rows with a real chain, building it if needed.
func buildBenchDB(b *testing.B, n int) (path string, keys secrets.Store) {
	b.Helper()
	dir := benchDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path = filepath.Join(dir, fmt.Sprintf("audit-%d-s%d-g%d.db", n, SchemaVersion(), benchGenVersion))
	keys = secrets.File(path + ".keys.json")
	done := path + ".complete"
	if _, err := os.Stat(done); err == nil {
		return path, keys
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".keys.json"} {
		os.Remove(path + suffix)
	}
	start := time.Now()
	buildLog(b, path, keys, n)
	if err := os.WriteFile(done, []byte(time.Since(start).String()), 0o600); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("  built %s with %d rows in %v\n", path, n, time.Since(start).Round(time.Second))
	return path, keys
}

// buildLog writes a log of n generated rows with a real chain to a new database at path, fast:
// one transaction per 250k rows, a prepared statement, indexes built once at the end, and the
// checkpoint set as the store would have left it.
func buildLog(tb testing.TB, path string, keys KeySource, n int) {
	tb.Helper()
	start := time.Now()
	ctx := context.Background()
	db, err := Open(ctx, path, keys, nil)
	if err != nil {
		tb.Fatal(err)
	}
	chain, inst := db.chain, db.instance
	db.Close()

	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(OFF)&_pragma=cache_size(-400000)")
	if err != nil {
		tb.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	defer raw.Close()
	mustExec := func(q string) {
		if _, err := raw.Exec(q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`PRAGMA journal_mode = OFF`)
	for _, ix := range []string{"audit_by_time", "audit_by_patient", "audit_by_user", "audit_by_action"} {
		mustExec("DROP INDEX " + ix)
	}
	g := newGenerator(n)
	lastMS := g.t0
	var prev []byte
	const batch = 250_000
	for lo := 1; lo <= n; lo += batch {
		tx, err := raw.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		stmt, err := tx.Prepare(insertSQL)
		if err != nil {
			tb.Fatal(err)
		}
		for seq := lo; seq < lo+batch && seq <= n; seq++ {
			e := g.row(int64(seq), &lastMS)
			body := audit.Encode(e)
			mac := append([]byte(nil), chain.MAC(prev, e.Seq, body)...)
			if _, err := stmt.Exec(e.Seq, string(body), mac); err != nil {
				tb.Fatal(err)
			}
			prev = mac
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
		if n >= 1_000_000 {
			fmt.Printf("  built %d of %d rows (%v)\n", min(lo+batch-1, n), n, time.Since(start).Round(time.Second))
		}
	}
	// Rebuild the indexes the migrations made, from sorted input: much faster than growing
	// them row by row.
	mustExec(`CREATE INDEX audit_by_time    ON audit_event (time_ms)`)
	mustExec(`CREATE INDEX audit_by_patient ON audit_event (nhs_number, seq) WHERE nhs_number <> ''`)
	mustExec(`CREATE INDEX audit_by_user    ON audit_event (user_id, seq)`)
	mustExec(`CREATE INDEX audit_by_action  ON audit_event (action, outcome, seq)`)
	mustExec(`PRAGMA journal_mode = WAL`)
	raw.Close()
	if err := keys.Set("audit-checkpoint:"+inst, strconv.Itoa(n)+":"+fmt.Sprintf("%x", prev)); err != nil {
		tb.Fatal(err)
	}
}

// median times fn over runs calls and returns the median.
func median(runs int, fn func()) time.Duration {
	d := make([]time.Duration, runs)
	for i := range d {
		t := time.Now()
		fn()
		d[i] = time.Since(t)
	}
	slices.Sort(d)
	return d[len(d)/2]
}

type scaleQuery struct {
	name string
	f    func(db *DB, g *generator, n int) audit.Filter
}

var scaleQueries = []scaleQuery{
	{"subject access request (one NHS number)", func(db *DB, g *generator, n int) audit.Filter {
		// The patient of a row in the middle of the log.
		e, _, _ := db.Query(context.Background(), audit.Filter{Action: audit.ActionSCRRead, To: time.UnixMilli(g.t0 + int64(n)*3000)}, audit.Cursor{}, 1)
		return audit.Filter{NHSNumber: e[0].NHSNumber}
	}},
	{"user and date range (one day)", func(db *DB, g *generator, n int) audit.Filter {
		mid := g.t0 + int64(n)*3000
		return audit.Filter{UserID: userID(7), From: time.UnixMilli(mid - 86_400_000), To: time.UnixMilli(mid)}
	}},
	{"newest page, emergency access", func(*DB, *generator, int) audit.Filter {
		return audit.Filter{Action: audit.ActionEmergency}
	}},
	{"newest page, failed sign-ins", func(*DB, *generator, int) audit.Filter {
		return audit.Filter{Outcome: audit.OutcomeMinorFailure}
	}},
}

func benchRows() int {
	if s := os.Getenv("SCRDESK_BENCH_ROWS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 10_000_000
}

// BenchmarkAuditAtScale prints, for the small and the large log in one run: each query's
// median time and the large/small ratio (the issue asks for at most 3x), chain verification
// speed, and file size per million rows.
func BenchmarkAuditAtScale(b *testing.B) {
	ctx := context.Background()
	sizes := []int{10_000, benchRows()}
	dbs := make([]*DB, len(sizes))
	for i, n := range sizes {
		path, keys := buildBenchDB(b, n)
		db, err := Open(ctx, path, keys, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	for b.Loop() {
		// The figures below are the benchmark's output; one pass is enough.
	}
	fmt.Printf("\n%-42s %14s %14s %7s\n", "query (page of 50, median of 201)", fmt.Sprint(sizes[0]), fmt.Sprint(sizes[1]), "ratio")
	for _, q := range scaleQueries {
		var t [2]time.Duration
		var got [2]int
		for i, n := range sizes {
			f := q.f(dbs[i], newGenerator(n), n)
			es, _, err := dbs[i].Query(ctx, f, audit.Cursor{}, 50)
			if err != nil {
				b.Fatal(err)
			}
			got[i] = len(es)
			t[i] = median(201, func() {
				if _, _, err := dbs[i].Query(ctx, f, audit.Cursor{}, 50); err != nil {
					b.Fatal(err)
				}
			})
		}
		ratio := float64(t[1]) / float64(t[0])
		fmt.Printf("%-42s %11v/%2d %11v/%2d %6.2fx\n", q.name, t[0].Round(time.Microsecond), got[0], t[1].Round(time.Microsecond), got[1], ratio)
		b.ReportMetric(float64(t[1].Microseconds()), "µs-large-"+metricName(q.name))
		b.ReportMetric(ratio, "ratio-"+metricName(q.name))
	}
	// Chain verification over the large log.
	start := time.Now()
	rep, err := dbs[1].Verify(ctx)
	if err != nil || !rep.OK {
		b.Fatalf("Verify = %+v, %v", rep, err)
	}
	el := time.Since(start)
	rate := float64(rep.Rows) / el.Seconds()
	fmt.Printf("chain verification: %d rows in %v = %.0f rows/s\n", rep.Rows, el.Round(time.Millisecond), rate)
	b.ReportMetric(rate, "verify-rows/s")
	st, _ := os.Stat(dbs[1].Path())
	perM := float64(st.Size()) / (float64(sizes[1]) / 1e6) / (1 << 20)
	fmt.Printf("file size: %.1f MiB for %d rows = %.1f MiB per million rows\n", float64(st.Size())/(1<<20), sizes[1], perM)
	b.ReportMetric(perM, "MiB/Mrows")
}

func metricName(s string) string {
	out := []byte{}
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' {
			out = append(out, c)
		} else if len(out) > 0 && out[len(out)-1] != '-' {
			out = append(out, '-')
		}
		if len(out) >= 24 {
			break
		}
	}
	return string(out)
}

// BenchmarkDurableAppend times Record (committed and fsynced, checkpoint to the key file
// included) and prints the median and 99th percentile.
func BenchmarkDurableAppend(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "append.db"), secrets.File(filepath.Join(dir, "keys.json")), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var d []time.Duration
	i := 0
	for b.Loop() {
		t := time.Now()
		if _, err := db.Record(ctx, testEvent(i)); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
		i++
	}
	slices.Sort(d)
	p50, p99 := d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
	b.ReportMetric(float64(p50.Microseconds()), "µs-p50")
	b.ReportMetric(float64(p99.Microseconds()), "µs-p99")
	fmt.Printf("durable append (%d rows): median %v, p99 %v\n", len(d), p50.Round(time.Microsecond), p99.Round(time.Microsecond))
}

// BenchmarkVerify measures chain verification speed on a cached 1M-row log.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	path, keys := buildBenchDB(b, 1_000_000)
	db, err := Open(ctx, path, keys, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var rows int64
	for b.Loop() {
		rep, err := db.Verify(ctx)
		if err != nil || !rep.OK {
			b.Fatalf("Verify = %+v, %v", rep, err)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkVerifyBesideBareHMAC prints, on the cached large log (10 million rows unless
// SCRDESK_BENCH_ROWS says otherwise), the whole Verify (chain, checkpoint, schema, settings,
// outbox) beside a bare loop of HMAC-SHA256 over the same bodies in the same run: the bodies
// are read from the database in batches and only the hashing is timed, on as many goroutines as
// Verify's walk uses (and on one, for reference). The issue asks for Verify within 1.5x of the
// bare loop. It also prints the open-time schema check at that size (asked: under 20 ms).
func BenchmarkVerifyBesideBareHMAC(b *testing.B) {
	ctx := context.Background()
	n := benchRows()
	path, keys := buildBenchDB(b, n)
	db, err := Open(ctx, path, keys, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		// The figures below are the benchmark's output; one pass is enough.
	}
	// Open-time schema check, at this size.
	first := time.Now()
	if _, err := checkSchema(ctx, db.sql); err != nil {
		b.Fatal(err)
	}
	firstD := time.Since(first)
	schemaD := median(51, func() {
		if d, err := checkSchema(ctx, db.sql); err != nil || len(d) > 0 {
			b.Fatalf("schema check: %v %v", d, err)
		}
	})
	openD := median(5, func() {
		d2, err := Open(ctx, path, keys, nil)
		if err != nil {
			b.Fatal(err)
		}
		d2.Close()
	})
	fmt.Printf("\nschema check at %d rows: median %v (first in the process %v); whole Open %v\n",
		n, schemaD.Round(time.Microsecond), firstD.Round(time.Microsecond), openD.Round(time.Microsecond))
	b.ReportMetric(float64(schemaD.Microseconds())/1000, "ms-schema-check")

	// Verify, whole: the first in the process (the file perhaps not yet in the page cache), then
	// again, as the bare loop's bodies are read before it is timed.
	start := time.Now()
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK {
		b.Fatalf("Verify = %+v, %v", rep, err)
	}
	firstVerifyD := time.Since(start)
	start = time.Now()
	if rep, err = db.Verify(ctx); err != nil || !rep.OK {
		b.Fatalf("Verify = %+v, %v", rep, err)
	}
	verifyD := time.Since(start)

	// Its two big parts, each timed on its own: the chain walk (of which the bare loop below is
	// the floor) and the review cases' check (issue 13: every case against its entry and review
	// rows, and the rules run again over the whole log for any entry they flag without a case).
	walkStart := time.Now()
	wchain, _ := audit.NewChain(db.key)
	if bad, _, _, _, err := walkAll(ctx, db.sql, wchain, db.key, rep.LastSeq, nil); err != nil || bad.seq != 0 {
		b.Fatalf("walk: bad row %d, %v", bad.seq, err)
	}
	walkD := time.Since(walkStart)
	govStart := time.Now()
	if fs, _, err := db.govFindings(ctx, rep.LastSeq); err != nil || len(fs) > 0 {
		b.Fatalf("review cases' check: %v %v", fs, err)
	}
	govD := time.Since(govStart)

	// The bare loop over the same bodies.
	parts := max(2, min(runtime.GOMAXPROCS(0), 4))
	key := db.key
	bare := func(bodies [][]byte, workers int) time.Duration {
		t := time.Now()
		var wg gosync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				h := hmac.New(sha256.New, key)
				var prev [32]byte
				var buf [40]byte
				for i := w; i < len(bodies); i += workers {
					h.Reset()
					copy(buf[:32], prev[:])
					binary.BigEndian.PutUint64(buf[32:], uint64(i))
					h.Write(buf[:])
					h.Write(bodies[i])
					h.Sum(prev[:0])
				}
			})
		}
		wg.Wait()
		return time.Since(t)
	}
	var bareN, bare1 time.Duration
	const batch = 250_000
	for lo := int64(1); lo <= int64(n); lo += batch {
		rows, err := db.sql.QueryContext(ctx, `SELECT body FROM audit_event WHERE seq >= ? AND seq < ?`, lo, lo+batch)
		if err != nil {
			b.Fatal(err)
		}
		bodies := make([][]byte, 0, batch)
		for rows.Next() {
			var body []byte
			if err := rows.Scan(&body); err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, body)
		}
		rows.Close()
		bareN += bare(bodies, parts)
		bare1 += bare(bodies, 1)
	}
	// The floor under any walk through SQLite: its own scan of the same rows, in the same
	// parallel ranges, reading nothing (count(*)). A walk must scan and hash, so on this
	// machine's cores it cannot take less than the two together.
	scan := func() time.Duration {
		t := time.Now()
		var wg gosync.WaitGroup
		for i := range int64(parts) {
			after, until := int64(n)*i/int64(parts), int64(n)*(i+1)/int64(parts)
			wg.Go(func() {
				var c int64
				if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM audit_event WHERE seq > ? AND seq <= ?`, after, until).Scan(&c); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		return time.Since(t)
	}
	scan()
	scanD := scan()
	ratio := float64(verifyD) / float64(bareN)
	fmt.Printf("verify %d rows: %v (%.0f rows/s; the first in the process %v)\n", rep.Rows, verifyD.Round(time.Millisecond),
		float64(rep.Rows)/verifyD.Seconds(), firstVerifyD.Round(time.Millisecond))
	fmt.Printf("bare HMAC-SHA256 over the same bodies: %v on %d goroutines (%.0f rows/s), %v on one\n",
		bareN.Round(time.Millisecond), parts, float64(n)/bareN.Seconds(), bare1.Round(time.Millisecond))
	fmt.Printf("verify / bare loop: %.2fx (asked: at most 1.5x)\n", ratio)
	fmt.Printf("  of which the chain walk alone: %v, %.2fx the bare loop; the review cases' check (the rules run again over the log): %v\n",
		walkD.Round(time.Millisecond), float64(walkD)/float64(bareN), govD.Round(time.Millisecond))
	fmt.Printf("  SQLite's own scan of the rows, reading nothing (count(*), %d ranges): %v; scan + bare loop = %.2fx the bare loop, the least any walk through SQLite can reach here\n",
		parts, scanD.Round(time.Millisecond), float64(scanD+bareN)/float64(bareN))
	b.ReportMetric(ratio, "verify/bare")
	b.ReportMetric(float64(scanD+bareN)/float64(bareN), "floor/bare")
	b.ReportMetric(float64(walkD)/float64(bareN), "walk/bare")
	b.ReportMetric(float64(rep.Rows)/verifyD.Seconds(), "verify-rows/s")
}
