package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"scrdesk/internal/audit"
)

// filterCases are the SGP's queries and combinations of them.
func filterCases(t0 time.Time) []struct {
	name string
	f    audit.Filter
} {
	return []struct {
		name string
		f    audit.Filter
	}{
		{"everything", audit.Filter{}},
		{"time range", audit.Filter{From: t0.Add(50 * time.Millisecond), To: t0.Add(200 * time.Millisecond)}},
		{"from only", audit.Filter{From: t0.Add(250 * time.Millisecond)}},
		{"to only", audit.Filter{To: t0.Add(20 * time.Millisecond)}},
		{"empty range", audit.Filter{From: t0.Add(time.Hour)}},
		{"patient (SAR)", audit.Filter{NHSNumber: "9990000003"}},
		{"patient and time", audit.Filter{NHSNumber: "9990000003", From: t0.Add(100 * time.Millisecond)}},
		{"user", audit.Filter{UserID: users[1]}},
		{"user and dates", audit.Filter{UserID: users[1], From: t0.Add(30 * time.Millisecond), To: t0.Add(150 * time.Millisecond)}},
		{"user and patient", audit.Filter{UserID: users[0], NHSNumber: "9990000000"}},
		{"action", audit.Filter{Action: audit.ActionEmergency}},
		{"action and outcome", audit.Filter{Action: audit.ActionLogin, Outcome: audit.OutcomeMinorFailure}},
		{"outcome", audit.Filter{Outcome: audit.OutcomeMinorFailure}},
		{"outcome and dates", audit.Filter{Outcome: audit.OutcomeMinorFailure, To: t0.Add(100 * time.Millisecond)}},
		{"user and action", audit.Filter{UserID: users[2], Action: audit.ActionSCRRead}},
		{"no such user", audit.Filter{UserID: "000000000000"}},
	}
}

func matches(f audit.Filter, e audit.Entry) bool {
	return (f.From.IsZero() || !e.Time.Before(f.From)) && (f.To.IsZero() || e.Time.Before(f.To)) &&
		(f.UserID == "" || e.UserID == f.UserID) && (f.NHSNumber == "" || e.NHSNumber == f.NHSNumber) &&
		(f.Action == "" || e.Action == f.Action) && (f.Outcome == "" || e.Outcome == f.Outcome)
}

func TestQueryPagesMatchBruteForce(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := &fakeClock{t: t0}
	db := openTest(t, filepath.Join(t.TempDir(), "q.db"), newMemKeys(), Options{Now: clk.Now, CheckpointEvery: 50})
	var all []audit.Entry
	for i := range 300 {
		e, err := db.Record(ctx, testEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	for _, tc := range filterCases(t0) {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			for _, e := range slices.Backward(all) {
				if matches(tc.f, e) {
					want = append(want, e.Seq)
				}
			}
			var got []int64
			cur := audit.Cursor{}
			for pages := 0; !cur.Done; pages++ {
				if pages > 100 {
					t.Fatal("paging does not end")
				}
				es, next, err := db.Query(ctx, tc.f, cur, 7)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					if !matches(tc.f, e) {
						t.Fatalf("row %d does not match the filter", e.Seq)
					}
					got = append(got, e.Seq)
				}
				cur = next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Query pages = %v\nwant %v", got, want)
			}
			n, err := db.Count(ctx, tc.f)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
			}
			var asc []int64
			if err := db.Each(ctx, tc.f, func(e audit.Entry) error { asc = append(asc, e.Seq); return nil }); err != nil {
				t.Fatal(err)
			}
			slices.Reverse(asc)
			if !slices.Equal(asc, want) {
				t.Fatalf("Each = %v\nwant %v", asc, want)
			}
		})
	}
}

// TestQueryPlansUseIndexes checks with EXPLAIN QUERY PLAN that every query is served by an
// index and never scans the table or sorts a whole result.
func TestQueryPlansUseIndexes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "plan.db"), newMemKeys(), Options{})
	t0 := time.Now()
	wantIndex := map[string]string{
		"everything": "INTEGER PRIMARY KEY", "time range": "INTEGER PRIMARY KEY", "from only": "INTEGER PRIMARY KEY",
		"to only": "INTEGER PRIMARY KEY", "empty range": "INTEGER PRIMARY KEY",
		"patient (SAR)": "audit_by_patient", "patient and time": "audit_by_patient",
		"user": "audit_by_user", "user and dates": "audit_by_user", "user and patient": "audit_by_patient",
		"action": "audit_by_action", "action and outcome": "audit_by_action", "outcome": "audit_by_action",
		"outcome and dates": "audit_by_action", "user and action": "audit_by_user", "no such user": "audit_by_user",
	}
	explain := func(q string, args ...any) string {
		rows, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	for _, tc := range filterCases(t0) {
		t.Run(tc.name, func(t *testing.T) {
			for _, desc := range []bool{true, false} {
				p := planFor(tc.f, true)
				q, args := p.pageSQL(desc, 1, 1000, 50)
				plan := explain(q, args...)
				if !strings.Contains(plan, wantIndex[tc.name]) {
					t.Fatalf("plan does not use %s:\n%s", wantIndex[tc.name], plan)
				}
				// A log whose times do not follow its sequence: the rows' own times are
				// checked too, still never by a full scan.
				slow, sargs := planFor(tc.f, false).pageSQL(desc, 1, 1000, 50)
				for _, line := range strings.Split(explain(slow, sargs...), "\n") {
					if strings.HasPrefix(line, "SCAN audit_event") && !strings.Contains(line, "USING") {
						t.Fatalf("full table scan when times are out of sequence:\n%s", explain(slow, sargs...))
					}
				}
				for _, line := range strings.Split(plan, "\n") {
					if strings.HasPrefix(line, "SCAN audit_event") && !strings.Contains(line, "USING") {
						t.Fatalf("full table scan:\n%s", plan)
					}
				}
				if len(p.branches) == 1 && strings.Contains(plan, "TEMP B-TREE") {
					t.Fatalf("sorts instead of reading the index in order:\n%s", plan)
				}
				if strings.Contains(q, "OFFSET") {
					t.Fatal("OFFSET used")
				}
			}
		})
	}
	for _, q := range []string{
		`SELECT seq FROM audit_event INDEXED BY audit_by_time WHERE time_ms >= ? ORDER BY time_ms, seq LIMIT 1`,
		`SELECT seq FROM audit_event INDEXED BY audit_by_time WHERE time_ms < ? ORDER BY time_ms DESC, seq DESC LIMIT 1`,
	} {
		if plan := explain(q, 0); strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "audit_by_time") {
			t.Fatalf("time bound query:\n%s", plan)
		}
	}
}

// TestMigrationsUpgradeFromEveryVersion builds a database at every earlier schema version,
// with rows written the way that version wrote them, then opens it with this build.
func TestMigrationsUpgradeFromEveryVersion(t *testing.T) {
	if SchemaVersion() < 2 {
		t.Fatal("expected at least two schema versions")
	}
	for from := 0; from < SchemaVersion(); from++ {
		t.Run(fmt.Sprintf("from v%d", from), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			keys := newMemKeys()
			old, err := openSQL(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := migrate(ctx, old, from); err != nil {
				t.Fatal(err)
			}
			rows := 0
			if from >= 1 {
				// What version 1 wrote: meta, a key in the key store, a chain of rows.
				inst := uuid.NewString()
				key := make([]byte, audit.KeySize)
				rand.Read(key)
				keys.Set("audit-key:"+inst, base64.StdEncoding.EncodeToString(key))
				for k, v := range map[string]string{"instance_id": inst, "key_id": audit.KeyID(key)} {
					if _, err := old.Exec(`INSERT INTO meta (key, value) VALUES (?, ?)`, k, v); err != nil {
						t.Fatal(err)
					}
				}
				chain, _ := audit.NewChain(key)
				var prev []byte
				for i := range 5 {
					e := audit.Entry{Seq: int64(i + 1), ID: uuid.NewString(),
						Time: time.UnixMilli(1_700_000_000_000 + int64(i)).UTC(), Event: testEvent(i)}
					body := audit.Encode(e)
					mac := append([]byte(nil), chain.MAC(prev, e.Seq, body)...)
					if _, err := old.Exec(`INSERT INTO audit_event (seq, body, mac) VALUES (?, ?, ?)`, e.Seq, string(body), mac); err != nil {
						t.Fatal(err)
					}
					prev = mac
					rows++
				}
			}
			old.Close()

			db := openTest(t, path, keys, Options{})
			if v, _ := schemaVersion(ctx, db.sql); v != SchemaVersion() {
				t.Fatalf("schema version %d, want %d", v, SchemaVersion())
			}
			rep, err := db.Verify(ctx)
			if err != nil || !rep.OK || rep.Rows != int64(rows) {
				t.Fatalf("Verify after upgrade = %+v, %v", rep, err)
			}
			if _, err := db.Record(ctx, testEvent(9)); err != nil {
				t.Fatal(err)
			}
			if n, err := db.Count(ctx, audit.Filter{UserID: users[0]}); err != nil || n == 0 {
				t.Fatalf("user query after upgrade: %d, %v", n, err)
			}
			if _, err := db.LoadSettings(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Enqueue(ctx, []byte(`{}`), testEvent(3)); err != nil {
				t.Fatal(err)
			}
			if rep, _ := db.Verify(ctx); !rep.OK {
				t.Fatalf("Verify = %+v", rep)
			}
		})
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	x, err := openSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	x.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1))
	x.Close()
	if _, err := Open(context.Background(), path, newMemKeys(), nil); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open = %v, want ErrTooNew", err)
	}
}
