package auditcli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
)

// TestSARIncludesAdjustmentsDeceasedAndSupersededNumber: over a real SQLite log, the report
// lists the reasonable adjustments seen, gives the deceased-patient reason as the basis, and a
// report on a superseded NHS number finds the rows stored under the current number it was
// answered with (and the same rows on the current number), but not another patient's rows
// from a wrong-patient answer.
func TestSARIncludesAdjustmentsDeceasedAndSupersededNumber(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "scrdesk.db"), secrets.File(filepath.Join(dir, "k.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const cur, old, other = "9000000009", "9000000017", "9000000025"
	priya := audit.Event{UserID: "555000000011", UserName: "Priya Shah", URID: "555000001101", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1", ODSCode: "FA123"}
	tom := audit.Event{UserID: "555000000022", UserName: "Tom Evans", URID: "555000002201", RoleCode: "S8000:G8000:R8004", Workstation: "COUNTER-2", ODSCode: "FA123"}
	ev := func(who audit.Event, a audit.Action, o audit.Outcome, nhs, reason string, d map[string]string) audit.Entry {
		e := who
		e.Action, e.Outcome, e.NHSNumber, e.Reason, e.Detail = a, o, nhs, reason, d
		return audit.Entry{Event: e}
	}
	ok := audit.OutcomeSuccess
	es := []audit.Entry{
		// Priya asks for the old number; the Spine answers with the current record.
		ev(priya, audit.ActionPatientRead, ok, cur, "", map[string]string{"asked_nhs_number": old}),
		ev(priya, audit.ActionPermission, ok, cur, "", nil),
		ev(priya, audit.ActionAdjustmentsRead, ok, cur, "", nil),
		ev(priya, audit.ActionSCRRead, ok, cur, "", nil),
		// Tom opens the current number: the patient had died.
		ev(tom, audit.ActionPatientRead, ok, cur, "", nil),
		ev(tom, audit.ActionDeceasedReason, ok, cur, "Reconciling medicines for the coroner", nil),
		ev(tom, audit.ActionSCRRead, ok, cur, "", nil),
		// A wrong-patient answer to the old number is another patient: not this report's.
		ev(tom, audit.ActionPatientRead, audit.OutcomeSeriousFailure, other, "", map[string]string{"failure": "wrong-patient", "asked_nhs_number": old, "answered_nhs_number": other}),
		ev(tom, audit.ActionPatientRead, ok, other, "", nil),
		ev(tom, audit.ActionSCRRead, ok, other, "", nil),
	}
	t0 := time.Now().Add(-time.Hour)
	for i := range es {
		es[i].Time = t0.Add(time.Duration(i) * time.Minute)
	}
	if err := db.AppendBatch(ctx, es); err != nil {
		t.Fatal(err)
	}
	for _, nhs := range []string{old, cur} {
		s, err := BuildSAR(ctx, db, SARRequest{NHSNumber: nhs, Pharmacy: "Test Pharmacy", ODS: "FA123", ProducedBy: "Grace", NamesGiven: true, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range s.Lines {
			lines = append(lines, l.Person+" | "+l.What+" | "+l.Basis)
		}
		all := strings.Join(lines, "\n")
		for _, want := range []string{
			"Priya Shah | Name, address and contact details",
			"Priya Shah | Reasonable adjustments (the patient's recorded needs) | Patient's permission",
			"Priya Shah | The Summary Care Record | Patient's permission",
			"Tom Evans | The Summary Care Record | The patient had died; reason given: Reconciling medicines for the coroner",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("report on %s lacks %q:\n%s", nhs, want, all)
			}
		}
		if n := strings.Count(all, "The Summary Care Record"); n != 2 {
			t.Errorf("report on %s lists %d record views, want 2 (not the other patient's):\n%s", nhs, n, all)
		}
	}
}
