package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/governance"
)

// TestEachCaseBetweenPagesByTime: the cases in a time range, read a few at a time across page
// boundaries, are exactly the cases CasesSince finds in that range, oldest first, each once,
// with the decided time of the closed ones; the page query reads the time index in order (no
// sort, no scan of the table).
func TestEachCaseBetweenPagesByTime(t *testing.T) {
	ctx := context.Background()
	db := demoCasesDB(t)
	all, err := db.CasesSince(ctx, time.Time{})
	if err != nil || len(all) < 20 {
		t.Fatalf("%d cases: %v", len(all), err)
	}
	// close one, to see its decided time
	who := sgpWho
	var closed int64
	for _, c := range all { // CasesSince carries no subject: the case itself says whose access
		if k, err := db.Case(ctx, c.Seq); err == nil && k.Subject.UserID != who.UserID {
			closed = c.Seq
			break
		}
	}
	if _, _, err := db.RecordStep(ctx, closed, governance.Step{Kind: governance.KindStart}, who); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.RecordStep(ctx, closed, governance.Step{Kind: governance.KindClose, Note: "checked"}, who); err != nil {
		t.Fatal(err)
	}
	old := casePage
	casePage = 7
	defer func() { casePage = old }()
	from, to := all[3].Time, all[len(all)-4].Time
	var want []int64
	for _, c := range all {
		if !c.Time.Before(from) && c.Time.Before(to) {
			want = append(want, c.Seq)
		}
	}
	var got []int64
	var last time.Time
	err = db.EachCaseBetween(ctx, from, to, func(c CaseSummary) error {
		if c.Time.Before(last) {
			t.Errorf("case %d out of time order", c.Seq)
		}
		last = c.Time
		if (c.Seq == closed) != !c.Decided.IsZero() || c.Seq == closed && c.State != governance.StateClosedAppropriate {
			t.Errorf("case %d: state %s, decided %v", c.Seq, c.State, c.Decided)
		}
		if len(c.Hits) == 0 {
			t.Errorf("case %d has no rules", c.Seq)
		}
		got = append(got, c.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, s := range got {
		if seen[s] {
			t.Errorf("case %d twice", s)
		}
		seen[s] = true
	}
	if len(got) != len(want) || len(got) <= casePage {
		t.Fatalf("%d cases, want %d (more than a page)", len(got), len(want))
	}
	for _, s := range want {
		if !seen[s] {
			t.Errorf("case %d missing", s)
		}
	}
	rows, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+casesBetweenSQL, 1, 0, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		rows.Scan(&id, &parent, &notused, &detail)
		plan = append(plan, detail)
	}
	p := strings.Join(plan, "\n")
	if !strings.Contains(p, "gov_case_time") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("plan:\n%s", p)
	}
}
