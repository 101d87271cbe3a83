package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
	"scrdesk/internal/sandbox"
	"scrdesk/internal/staff"
)

// TestLogsHoldNoPatientData runs a whole session, failures included, with debug logging into a
// buffer (client and sandbox both), then looks for NHS numbers, names, birth dates, the token
// and the passcode.
func TestLogsHoldNoPatientData(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	sess, err := e.c.SignIn(ctx, e.user.UserID, e.signer)
	if err != nil {
		t.Fatal(err)
	}
	token := string(sess.box.tok)
	if _, err := sess.UserInfo(ctx); err != nil {
		t.Fatal(err)
	}
	s := sess.WithRole(e.user.Roles[0].URID)

	var patients []*fhir.Patient
	numbers := []string{sandbox.NHSAsk, sandbox.NHSLongName, sandbox.NHSMergedOld, sandbox.NHSJaneSmith, sandbox.NHSRestricted}
	for _, n := range numbers {
		p, _, err := s.Patient(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		patients = append(patients, p)
		doc, _, err := s.SCRDocument(ctx, p.NHSNumber)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SCRRecord(ctx, doc, p.NHSNumber); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Search(ctx, PatientQuery{Family: "Asker", BirthDate: "1958-04-12", Postcode: "LS6 2AB"}); err != nil {
		t.Fatal(err)
	}
	// Failures log too: not found, refused, stale, malformed, too many.
	_, _, _ = s.Patient(ctx, "9990001855")
	_, _, _ = s.SCRDocument(ctx, sandbox.NHSAccessDenied)
	_, _, _ = s.SCRRecord(ctx, &fhir.SCRDocument{ID: "stale"}, sandbox.NHSStaleSCR)
	_, _, _ = s.Search(ctx, PatientQuery{Family: sandbox.TooManyFamily})
	e.sb.SetFault("Patient", sandbox.Fault{Kind: sandbox.FaultMalformed, Times: 1})
	_, _, _ = s.Patient(ctx, sandbox.NHSAsk)
	e.sb.SetFault("Bundle", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Times: 1})
	_, _, _ = s.SCRRecord(ctx, &fhir.SCRDocument{ID: "x"}, sandbox.NHSAsk)
	if _, err := s.SendAlert(ctx, Alert{Type: 1, Subtype: 1, NHSNumber: sandbox.NHSLongName, ODS: staff.DemoODS,
		UserID: e.user.UserID, URID: e.user.Roles[0].URID, Message: "Self-claimed relationship", When: time.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	sess.Close()

	logs := e.logs.String()
	if !strings.Contains(logs, "spine call") || !strings.Contains(logs, "incident") {
		t.Fatalf("the session logged nothing useful:\n%s", logs)
	}
	forbidden := map[string]string{"token": token, "passcode": e.user.PIN}
	for _, n := range append(numbers, sandbox.NHSMergedNew, "9990001855", sandbox.NHSAccessDenied, sandbox.NHSStaleSCR) {
		forbidden["NHS number "+n] = n
		forbidden["formatted NHS number "+n] = nhsnumber.Format(n)
	}
	for _, p := range patients {
		for what, v := range map[string]string{"name": p.Name, "family": p.FamilyName, "given": p.GivenNames, "birth date": p.BirthDate} {
			if len(v) >= 3 {
				forbidden[what+" "+v] = v
			}
		}
	}
	forbidden["search family"] = "Asker"
	forbidden["search postcode"] = "LS6 2AB"
	for what, v := range forbidden {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("log holds the %s", what)
		}
	}
}
