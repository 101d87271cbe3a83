package store

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
)

// BenchmarkGovernanceAtScale prints the SGP workspace's figures for the 10 thousand row log and
// the large one (SCRDESK_BENCH_ROWS, default 10 million; the same cached files as
// BenchmarkAuditAtScale) in one run: the rules' backfill rate (the whole log, from nothing),
// the workspace opening (open cases, coverage over four weeks, the first page of the queue,
// the last review), a filter change, and the heap after opening.
//
//	go test -run '^$' -bench GovernanceAtScale -benchtime 1x ./internal/store/
func BenchmarkGovernanceAtScale(b *testing.B) {
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
	}
	cfg := governance.DefaultConfig()
	fmt.Printf("\n%-44s %14s %14s\n", "governance", fmt.Sprint(sizes[0]), fmt.Sprint(sizes[1]))
	var rates [2]float64
	for i, db := range dbs {
		start := time.Now()
		if err := db.RebuildGovernance(ctx, cfg, nil); err != nil {
			b.Fatal(err)
		}
		rates[i] = float64(sizes[i]) / time.Since(start).Seconds()
	}
	fmt.Printf("%-44s %14.0f %14.0f\n", "rules backfill, rows/s (target >= 200,000)", rates[0], rates[1])
	b.ReportMetric(rates[1], "backfill-rows/s")

	open := func(db *DB) func() {
		return func() {
			now := time.Now()
			if _, err := db.CaseCount(ctx, CaseFilter{OpenOnly: true}); err != nil {
				b.Fatal(err)
			}
			last, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionEmergency}, audit.Cursor{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			from := now.Add(-4 * cfg.ReviewPeriod)
			if len(last) == 1 {
				from = last[0].Time.Add(-4 * cfg.ReviewPeriod) // the generated log ends in the past
			}
			var tl governance.Timeline
			tl.Set(0, time.Time{}, cfg)
			if _, err := db.Coverage(ctx, from, tl, 1, now); err != nil { // as Home measures it
				b.Fatal(err)
			}
			if _, _, err := db.Cases(ctx, CaseFilter{OpenOnly: true}, CaseCursor{}, 50); err != nil {
				b.Fatal(err)
			}
			for _, a := range []audit.Action{audit.ActionCaseNote, audit.ActionCaseReview, audit.ActionCaseAppropriate} {
				if _, _, err := db.Query(ctx, audit.Filter{Action: a}, audit.Cursor{}, 1); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	filter := func(db *DB) func() {
		return func() {
			f := CaseFilter{OpenOnly: true, UserID: userID(7), Rule: governance.RuleEmergency}
			if _, _, err := db.Cases(ctx, f, CaseCursor{}, 50); err != nil {
				b.Fatal(err)
			}
			if _, _, err := db.CaseCountUpTo(ctx, f, 1000); err != nil { // as the queue counts
				b.Fatal(err)
			}
		}
	}
	for _, q := range []struct {
		name   string
		fn     func(*DB) func()
		target time.Duration
	}{{"workspace opening (target < 100 ms)", open, 100 * time.Millisecond}, {"filter change (target < 50 ms)", filter, 50 * time.Millisecond}} {
		var t [2]time.Duration
		for i, db := range dbs {
			t[i] = median(21, q.fn(db))
		}
		fmt.Printf("%-44s %14v %14v\n", q.name, t[0].Round(time.Microsecond), t[1].Round(time.Microsecond))
		b.ReportMetric(float64(t[1].Microseconds()), "µs-large-"+metricName(q.name))
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("%-44s %28.1f\n", "heap in use after opening both, MiB", float64(ms.HeapInuse)/(1<<20))
}

// BenchmarkRuleCheckPerRow is the rules' cost on one appended row (the engine alone; the row's
// durable append is BenchmarkDurableAppend).
func BenchmarkRuleCheckPerRow(b *testing.B) {
	g := newGenerator(1_000_000)
	eng := governance.NewEngine(governance.DefaultConfig())
	var last int64 = g.t0
	rows := make([]audit.Entry, 100_000)
	for i := range rows {
		rows[i] = g.row(int64(i+1), &last)
	}
	i := 0
	for b.Loop() {
		eng.Check(rows[i%len(rows)])
		i++
	}
}

// BenchmarkRecordWithRules is one durable append with the rules on (target: the rules add
// under 1 ms).
func BenchmarkRecordWithRules(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, b.TempDir()+"/a.db", newMemKeys(), Options{})
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		b.Fatal(err)
	}
	g := newGenerator(100_000)
	var last int64 = g.t0
	for b.Loop() {
		e := g.row(1, &last)
		if _, err := db.Record(ctx, e.Event); err != nil {
			b.Fatal(err)
		}
	}
}
