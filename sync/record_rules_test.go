package sync

import (
	"context"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/sandbox"
)

// TestAnotherPatientsAnswersRefused: over the built-in sandbox (real HTTP), a DocumentReference
// or a Bundle about another patient is refused whole, as a WrongPatient error naming the
// other number for the audit row but never in Error().
func TestAnotherPatientsAnswersRefused(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()

	doc, _, err := s.SCRDocument(ctx, sandbox.NHSWrongDocRef)
	wantKind(t, err, fhir.WrongPatient)
	if doc != nil {
		t.Fatal("a document was returned with the error")
	}
	se := err.(*fhir.SpineError)
	if se.Code != fhir.SubjectDocumentReference || se.OtherNHS != sandbox.NHSAsk || se.IncidentID == "" {
		t.Fatalf("%#v", se)
	}
	if strings.Contains(err.Error(), sandbox.NHSAsk) || strings.Contains(err.Error(), sandbox.NHSWrongDocRef) {
		t.Fatal("Error() holds an NHS number")
	}

	_, rec, _, err := s.LatestRecord(ctx, sandbox.NHSWrongBundle)
	wantKind(t, err, fhir.WrongPatient)
	if rec != nil {
		t.Fatal("a record was returned with the error")
	}
	if se := err.(*fhir.SpineError); se.Code != fhir.SubjectComposition || se.OtherNHS != sandbox.NHSAsk {
		t.Fatalf("%#v", se)
	}
	if !strings.Contains(fhir.UserMessage(err), "The Spine sent a record for a different patient, so nothing is shown. Tell IT support (reference INC-") {
		t.Fatalf("message %q", fhir.UserMessage(err))
	}
}

// TestLatestRecordRetriesStaleIDOnce: a stale SCR id is looked up again through
// DocumentReference once, then explained.
func TestLatestRecordRetriesStaleIDOnce(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	before := len(e.sb.Requests())
	doc, rec, tr, err := s.LatestRecord(context.Background(), sandbox.NHSStaleSCR)
	if doc == nil || rec != nil {
		t.Fatalf("doc %v rec %v", doc, rec)
	}
	wantKind(t, err, fhir.NotFound)
	if err.(*fhir.SpineError).Code != StaleSCR || !strings.Contains(fhir.UserMessage(err), "even after a second look") {
		t.Fatalf("err %v: %q", err, fhir.UserMessage(err))
	}
	var seen []string
	for _, r := range e.sb.Requests()[before:] {
		if r.Status != 429 { // a rate-limited try is resent
			seen = append(seen, r.Resource)
		}
	}
	if strings.Join(seen, ",") != "DocumentReference,Bundle,DocumentReference,Bundle" || len(tr.RequestIDs) < 4 {
		t.Fatalf("requests %v, ids %d", seen, len(tr.RequestIDs))
	}
	// A good record needs one of each.
	before = len(e.sb.Requests())
	if _, rec, _, err := s.LatestRecord(context.Background(), sandbox.NHSSpanning); err != nil || rec == nil {
		t.Fatalf("spanning record: %v", err)
	}
	n := 0
	for _, r := range e.sb.Requests()[before:] {
		if r.Status != 429 {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d requests for a good record", n)
	}
}

// TestAdjustments reads reasonable adjustments over real HTTP with the SCR calls' headers.
func TestAdjustments(t *testing.T) {
	e := newEnv(t, nil)
	s := e.session(t)
	ctx := context.Background()
	cases := []struct {
		nhs  string
		want string
	}{
		{sandbox.NHSSpanning, "Requires information verbally|Requires visual alert"},
		{sandbox.NHSNoKnownAlls, "Requires visual alert"},
		{sandbox.NHSJaneSmith, "Requires visual alert"},
		{sandbox.NHSAsk, ""},
	}
	for _, c := range cases {
		a, tr, err := s.Adjustments(ctx, c.nhs)
		if err != nil {
			t.Fatalf("%s: %v", c.nhs, err)
		}
		var texts []string
		for _, x := range a {
			texts = append(texts, x.Text)
		}
		if strings.Join(texts, "|") != c.want || len(tr.RequestIDs) != 1 {
			t.Fatalf("%s: %q", c.nhs, texts)
		}
	}
	if ok, _, err := s.AdjustmentConsent(ctx, sandbox.NHSSpanning); err != nil || !ok {
		t.Fatalf("consent %v %v", ok, err)
	}
	if c, _, err := s.AdjustmentConditions(ctx, sandbox.NHSSpanning); err != nil || len(c) == 0 {
		t.Fatalf("conditions %v %v", c, err)
	}
	reqs := e.sb.Requests()
	last := reqs[len(reqs)-1]
	if last.Resource != "List" || last.URID == "" || last.RequestID == "" || last.Status != 200 {
		t.Fatalf("last request %+v", last)
	}
	e.sb.SetFault("Flag", sandbox.Fault{Kind: sandbox.FaultHTML5xx, Status: 503})
	_, _, err := s.Adjustments(ctx, sandbox.NHSSpanning)
	wantKind(t, err, fhir.Unavailable)
}
