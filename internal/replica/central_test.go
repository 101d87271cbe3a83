package replica_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/replica"
)

func TestPharmacyWideQueriesAndConcurrentSessions(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	a, b := newWorkstation(t, "COUNTER-1"), newWorkstation(t, "COUNTER-2")
	other := newWorkstation(t, "ELSEWHERE-1") // another pharmacy on the same server
	rec := func(w *workstation, e audit.Event) {
		t.Helper()
		e.Workstation = w.name
		if e.ODSCode == "" {
			e.ODSCode = "FA123"
		}
		if e.Outcome == "" {
			e.Outcome = audit.OutcomeSuccess
		}
		if _, err := w.db.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Millisecond) // distinct times across workstations
	}
	const sam, alex = "555254239107", "555254240100"
	rec(a, audit.Event{Action: audit.ActionLogin, UserID: sam, UserName: "Sam"})
	rec(a, audit.Event{Action: audit.ActionPatientRead, UserID: sam, NHSNumber: "9990000107"})
	rec(b, audit.Event{Action: audit.ActionLogin, UserID: alex, UserName: "Alex"})
	rec(b, audit.Event{Action: audit.ActionPatientRead, UserID: alex, NHSNumber: "9990000107"})
	rec(b, audit.Event{Action: audit.ActionLogout, UserID: alex})
	// Sam signs in at the second counter while still signed in at the first: flagged.
	rec(b, audit.Event{Action: audit.ActionLogin, UserID: sam, UserName: "Sam"})
	rec(b, audit.Event{Action: audit.ActionPatientRead, UserID: sam, NHSNumber: "9990000115"})
	rec(b, audit.Event{Action: audit.ActionLogout, UserID: sam})
	// Alex, signed out at COUNTER-2, signs in at COUNTER-1: not flagged.
	rec(a, audit.Event{Action: audit.ActionLogin, UserID: alex, UserName: "Alex"})
	rec(other, audit.Event{Action: audit.ActionLogin, UserID: sam, ODSCode: "FB999"})
	for i := 0; i < 30; i++ {
		rec([]*workstation{a, b}[i%2], audit.Event{Action: audit.ActionPatientSearch, UserID: alex, Detail: map[string]string{"i": fmt.Sprint(i)}})
	}
	for i, w := range []*workstation{a, b, other} {
		wk := w.worker(t, srv, []string{"ws1", "ws2", "ws1"}[i], nil)
		stop := run(wk)
		caughtUp(t, w, wk, 30*time.Second)
		stop()
	}

	cl, err := replica.OpenCentral(ctx, srv.DSN("sgp", ""), "", "FA123")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Keyset pages of 7 over the whole pharmacy: newest first, every row once, none of the
	// other pharmacy's.
	var all []replica.CentralEntry
	cur := replica.CentralCursor{}
	for pages := 0; !cur.Done; pages++ {
		var page []replica.CentralEntry
		page, cur, err = cl.Page(ctx, audit.Filter{}, cur, 7)
		if err != nil {
			t.Fatal(err)
		}
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		all = append(all, page...)
	}
	if len(all) != 39 {
		t.Fatalf("%d rows over the pharmacy, want 39", len(all))
	}
	seen := map[string]bool{}
	for i, e := range all {
		k := e.Instance + fmt.Sprint(e.Seq)
		if seen[k] || e.ODSCode != "FA123" || (i > 0 && e.Time.After(all[i-1].Time)) {
			t.Fatalf("row %d: %s/%d %s %v (dup %v)", i, e.Workstation, e.Seq, e.ODSCode, e.Time, seen[k])
		}
		seen[k] = true
	}
	// A Subject Access Request across both counters.
	sar, _, err := cl.Page(ctx, audit.Filter{NHSNumber: "9990000107"}, replica.CentralCursor{}, 50)
	if err != nil || len(sar) != 2 || sar[0].Workstation != "COUNTER-2" || sar[1].Workstation != "COUNTER-1" {
		t.Fatalf("SAR: %+v %v", sar, err)
	}
	var old []string
	if err := cl.Each(ctx, audit.Filter{UserID: sam}, func(e replica.CentralEntry) error {
		old = append(old, e.Workstation+":"+string(e.Action))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(old, ",") != "COUNTER-1:login,COUNTER-1:patient-read,COUNTER-2:login,COUNTER-2:patient-read,COUNTER-2:logout" {
		t.Fatalf("Sam's history, oldest first: %v", old)
	}
	if n, err := cl.Count(ctx, audit.Filter{Action: audit.ActionPatientSearch}); err != nil || n != 30 {
		t.Fatalf("count %d %v", n, err)
	}

	hits, err := cl.ConcurrentSessions(ctx, governance.DefaultConfig(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].UserID != sam || hits[0].Workstation != "COUNTER-2" || !strings.Contains(hits[0].Evidence, "COUNTER-1") {
		t.Fatalf("concurrent sessions: %+v", hits)
	}
	cfg := governance.DefaultConfig()
	cfg.Disabled[governance.RuleConcurrent] = true
	if hits, _ := cl.ConcurrentSessions(ctx, cfg, time.Time{}, time.Time{}); len(hits) != 0 {
		t.Fatalf("switched off, still %d hits", len(hits))
	}
}

// TestCentralQueriesUseIndexes asks the planner, with sequential scans off, how it would run
// each of the SGP's central queries: each must be an index scan on its own index, and the
// keyset page must need no sort.
func TestCentralQueriesUseIndexes(t *testing.T) {
	srv := central(t)
	ctx := context.Background()
	c := srv.Conn()
	if _, err := c.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ sql, index string }{
		{`SELECT * FROM scrdesk.audit_event WHERE ods_code = 'FA123' AND (time_ms, instance_id, seq) < (1, '00000000-0000-0000-0000-000000000000'::uuid, 1) ORDER BY time_ms DESC, instance_id DESC, seq DESC LIMIT 50`, "audit_by_ods_time"},
		{`SELECT * FROM scrdesk.audit_event WHERE ods_code = 'FA123' AND nhs_number = '9990000107' ORDER BY time_ms DESC, instance_id DESC, seq DESC LIMIT 50`, "audit_by_ods_patient"},
		{`SELECT * FROM scrdesk.audit_event WHERE ods_code = 'FA123' AND user_id = '555254239107' ORDER BY time_ms DESC, instance_id DESC, seq DESC LIMIT 50`, "audit_by_ods_user"},
		{`SELECT * FROM scrdesk.audit_event WHERE ods_code = 'FA123' AND time_ms >= 0 AND time_ms < 9 AND action IN ('login', 'unlock', 'logout', 'lock-card-removed', 'lock-idle', 'lock-manual', 'lock-service-lost') ORDER BY time_ms, instance_id, seq`, "audit_sessions"},
	} {
		rows, err := c.Query(ctx, "EXPLAIN "+q.sql)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var l string
			rows.Scan(&l)
			plan = append(plan, l)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if !strings.Contains(p, q.index) || strings.Contains(p, "Sort") {
			t.Errorf("%s:\n%s", q.sql, p)
		}
	}
}
