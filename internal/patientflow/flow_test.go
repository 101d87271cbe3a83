package patientflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
)

var (
	errSpine = errors.New("the Spine did not answer")
	alive    = &fhir.Patient{NHSNumber: "9000000009"}
	dead     = &fhir.Patient{NHSNumber: "9000000017", Deceased: true}
	real     = &fhir.Patient{NHSNumber: "9434765919"} // a real patient's number (outside the test ranges)
	docAsk   = &fhir.SCRDocument{Consent: fhir.ConsentAsk}
	docNo    = &fhir.SCRDocument{Consent: fhir.ConsentNo}
	rec      = &fhir.Record{ID: "rec-1"}
	matches  = []fhir.Patient{{NHSNumber: "9000000009"}, {NHSNumber: "9000000025"}}
	adjusts  = []fhir.Adjustment{{Text: "Needs an interpreter"}}
)

// events are the named events of the state × event table; answers carry the pending Req, the
// stale ones another.
var events = map[string]func(m *Machine) Event{
	"searchNHS":  func(*Machine) Event { return SearchNHS{NHS: "9000000009"} },
	"searchDemo": func(*Machine) Event { return SearchDemographics{Query: "SMITH"} },
	"pick":       func(*Machine) Event { return Pick{Index: 1} },
	"pickBad":    func(*Machine) Event { return Pick{Index: 5} },
	"patient": func(m *Machine) Event {
		r := m.Pending()
		return PatientAnswer{Req: r, Patient: alive, RequestIDs: []string{"p"}}
	},
	"patientDead":   func(m *Machine) Event { r := m.Pending(); return PatientAnswer{Req: r, Patient: dead} },
	"patientReal":   func(m *Machine) Event { r := m.Pending(); return PatientAnswer{Req: r, Patient: real} },
	"accessCheck":   func(*Machine) Event { return AccessCheck{} },
	"patientErr":    func(m *Machine) Event { r := m.Pending(); return PatientAnswer{Req: r, Err: errSpine} },
	"patientStale":  func(m *Machine) Event { r := m.Pending(); return PatientAnswer{Req: r + 100, Patient: alive} },
	"found":         func(m *Machine) Event { r := m.Pending(); return SearchAnswer{Req: r, Patients: matches} },
	"foundNone":     func(m *Machine) Event { r := m.Pending(); return SearchAnswer{Req: r} },
	"foundErr":      func(m *Machine) Event { r := m.Pending(); return SearchAnswer{Req: r, Err: errSpine} },
	"foundStale":    func(m *Machine) Event { r := m.Pending(); return SearchAnswer{Req: r + 100, Patients: matches} },
	"consentAsk":    func(m *Machine) Event { r := m.Pending(); return ConsentAnswer{Req: r, Doc: docAsk} },
	"consentNo":     func(m *Machine) Event { r := m.Pending(); return ConsentAnswer{Req: r, Doc: docNo} },
	"consentNone":   func(m *Machine) Event { r := m.Pending(); return ConsentAnswer{Req: r} },
	"consentErr":    func(m *Machine) Event { r := m.Pending(); return ConsentAnswer{Req: r, Err: errSpine} },
	"consentStale":  func(m *Machine) Event { r := m.Pending(); return ConsentAnswer{Req: r + 100, Doc: docAsk} },
	"permission":    func(*Machine) Event { return Permission{} },
	"emergency":     func(*Machine) Event { return EmergencyChosen{} },
	"back":          func(*Machine) Event { return Back{} },
	"reason":        func(*Machine) Event { return EmergencyGiven{Reason: "unconscious"} },
	"reasonEmpty":   func(*Machine) Event { return EmergencyGiven{Reason: "  "} },
	"deceased":      func(*Machine) Event { return DeceasedGiven{Reason: "coroner's request"} },
	"deceasedEmpty": func(*Machine) Event { return DeceasedGiven{} },
	"decline":       func(*Machine) Event { return Decline{} },
	"record":        func(m *Machine) Event { r := m.Pending(); return RecordAnswer{Req: r, Record: rec} },
	"recordNone":    func(m *Machine) Event { r := m.Pending(); return RecordAnswer{Req: r} },
	"recordErr":     func(m *Machine) Event { r := m.Pending(); return RecordAnswer{Req: r, Err: errSpine} },
	"recordStale":   func(m *Machine) Event { r := m.Pending(); return RecordAnswer{Req: r + 100, Record: rec} },
	"adjust":        func(m *Machine) Event { return AdjustmentsAnswer{Req: m.adjReq, Adjustments: adjusts} },
	"adjustErr":     func(m *Machine) Event { return AdjustmentsAnswer{Req: m.adjReq, Err: errSpine} },
	"adjustStale":   func(m *Machine) Event { return AdjustmentsAnswer{Req: m.adjReq + 100, Adjustments: adjusts} },
	"refused":       func(*Machine) Event { return Refused{Err: errors.New("no role may open records")} },
	"auditFailed":   func(*Machine) Event { return AuditFailed{Err: errors.New("disk full")} },
	"close":         func(*Machine) Event { return Close{} },
	"drop":          func(*Machine) Event { return Drop{} },
	"newSession":    func(*Machine) Event { return NewSession{} },
}

// situations reach every state by the events the counter sends.
var situations = []struct {
	name string
	want State
	path []string
}{
	{"NoPatient", NoPatient, nil},
	{"Searching", Searching, []string{"searchNHS"}},
	{"SearchingDemo", Searching, []string{"searchDemo"}},
	{"Matches", Matches, []string{"searchDemo", "found"}},
	{"NoMatch", Matches, []string{"searchDemo", "foundNone"}},
	{"Demographics", Demographics, []string{"searchNHS", "patient"}},
	{"OptedOut", ConsentRead, []string{"searchNHS", "patient", "adjust", "consentNo"}},
	{"Asking", Asking, []string{"searchNHS", "patient", "adjust", "consentAsk"}},
	{"AskingReal", Asking, []string{"searchNHS", "patientReal", "adjust", "consentAsk"}}, // no access check for a real patient
	{"AskingAdjusting", Asking, []string{"searchNHS", "patient", "consentAsk"}},          // the adjustments still being read
	{"EmergencyReason", EmergencyReason, []string{"searchNHS", "patient", "adjustErr", "consentAsk", "emergency"}},
	{"DeceasedReason", DeceasedReason, []string{"searchNHS", "patientDead", "adjust", "consentAsk"}},
	{"Declined", Declined, []string{"searchNHS", "patient", "adjust", "consentAsk", "decline"}},
	{"Opening", Opening, []string{"searchNHS", "patient", "adjust", "consentAsk", "permission"}},
	{"OpeningDeceased", Opening, []string{"searchNHS", "patientDead", "adjust", "consentAsk", "deceased"}},
	{"RecordShown", RecordShown, []string{"searchNHS", "patient", "adjust", "consentAsk", "permission", "record"}},
	{"Failed", Failed, []string{"searchNHS", "patientErr"}},
	{"ConsentFailed", Failed, []string{"searchNHS", "patient", "consentErr"}}, // the patient still shown, adjustments pending
	{"Refused", Failed, []string{"refused"}},
}

func fxString(fx []Effect) string {
	var s []string
	for _, e := range fx {
		switch e := e.(type) {
		case Audit:
			a := "A:" + string(e.Action)
			if e.Failed {
				a += "/failed"
			}
			s = append(s, a)
		case FetchPatient:
			s = append(s, "FetchPatient")
		case SearchPDS:
			s = append(s, "SearchPDS")
		case FetchConsent:
			s = append(s, "FetchConsent")
		case FetchAdjustments:
			s = append(s, "FetchAdjustments")
		case FetchRecord:
			s = append(s, "FetchRecord:"+string(e.Basis))
		case QueueAlert:
			s = append(s, fmt.Sprintf("Alert:%d", e.Kind))
		case CancelRequests:
			s = append(s, "Cancel")
		default:
			s = append(s, fmt.Sprintf("%T", e))
		}
	}
	return strings.Join(s, " ")
}

func reach(t *testing.T, path []string) *Machine {
	t.Helper()
	m := New()
	for _, ev := range path {
		m.Handle(events[ev](m))
	}
	return m
}

// TestEveryStateEveryEvent applies every event to every state against the transitions table
// (transitions_test.go); unlisted pairs must change nothing and return no effects.
func TestEveryStateEveryEvent(t *testing.T) {
	want := parseTransitions(t)
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	slices.Sort(names)
	covered := map[State]bool{}
	used := map[string]bool{}
	for _, sit := range situations {
		m := reach(t, sit.path)
		if m.State() != sit.want {
			t.Fatalf("situation %s reached %v, want %v", sit.name, m.State(), sit.want)
		}
		covered[sit.want] = true
		for _, ev := range names {
			t.Run(sit.name+"/"+ev, func(t *testing.T) {
				m := reach(t, sit.path)
				before := m.View()
				beforePending, beforeAdj := m.Pending(), m.AdjustmentsPending()
				fx := m.Handle(events[ev](m))
				checkInvariants(t, before.State, m, fx)
				key := sit.name + " " + ev
				exp, listed := want[key]
				used[key] = true
				if !listed {
					if len(fx) != 0 || m.State() != before.State || m.Pending() != beforePending || m.AdjustmentsPending() != beforeAdj || !sameView(before, m.View()) {
						t.Errorf("%s: unlisted, but changed %v -> %v with %q", key, before.State, m.State(), fxString(fx))
					}
					return
				}
				if got := strings.TrimSpace(m.State().String() + ": " + fxString(fx)); got != exp {
					t.Errorf("%s -> %s, want %s", key, got, exp)
				}
			})
		}
	}
	for _, s := range States {
		if !covered[s] {
			t.Errorf("state %v has no situation", s)
		}
	}
	for k := range want {
		if !used[k] {
			t.Errorf("table row %q names no situation/event", k)
		}
	}
}

func sameView(a, b View) bool {
	return a.State == b.State && a.Busy == b.Busy && a.Asked == b.Asked && a.Patient == b.Patient && a.Doc == b.Doc &&
		a.Record == b.Record && a.Basis == b.Basis && a.Failure == b.Failure && a.Err == b.Err && len(a.Matches) == len(b.Matches) &&
		a.ByDetails == b.ByDetails && a.AdjustmentsRead == b.AdjustmentsRead && a.AdjustmentsErr == b.AdjustmentsErr &&
		len(a.Adjustments) == len(b.Adjustments)
}

func parseTransitions(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(transitions, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, " -> ")
		if !ok {
			t.Fatalf("bad row %q", line)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("row %q twice", k)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// checkInvariants holds after any event.
func checkInvariants(t *testing.T, from State, m *Machine, fx []Effect) {
	t.Helper()
	v := m.View()
	basis := false
	for _, e := range fx {
		switch e := e.(type) {
		case Audit:
			if e.Action == ActPermission || e.Action == ActEmergency || e.Action == ActDeceasedReason || e.Action == ActAccessCheck {
				basis = true
			}
			if e.Action == ActEmergency && strings.TrimSpace(e.Reason) == "" {
				t.Errorf("emergency row without a reason")
			}
		case FetchRecord:
			if !basis {
				t.Errorf("FetchRecord before its basis row: %s", fxString(fx))
			}
			if v.Doc == nil || v.Doc.Consent == fhir.ConsentNo {
				t.Errorf("FetchRecord with consent %v", v.Doc)
			}
		}
	}
	if v.Record != nil && (v.State != RecordShown || v.Basis == "") {
		t.Errorf("a record held in %v with basis %q", v.State, v.Basis)
	}
	if v.State == RecordShown && v.Record == nil {
		t.Errorf("RecordShown without a record")
	}
	if v.Busy != (v.State == Searching || v.State == Demographics || v.State == Opening) {
		t.Errorf("busy %v in %v (every answer stops the spinner; every request starts it)", v.Busy, v.State)
	}
	if v.State == NoPatient && m.HoldsPatientData() {
		t.Errorf("NoPatient still holds patient data")
	}
	if v.State == EmergencyReason && from != Asking && from != EmergencyReason {
		t.Errorf("emergency reason reached from %v", from)
	}
}

// TestSelfClaimRetriedAfterAFailedRow: the claim's row (or its alert) did not commit, so the
// claim does not count: the next permission for the patient claims, and alerts, again. Once its
// alert is stored, a later permission in the session records only the permission; a new
// session claims afresh.
func TestSelfClaimRetriedAfterAFailedRow(t *testing.T) {
	m := reach(t, []string{"searchNHS", "patient", "adjust", "consentAsk"})
	fx := m.Handle(Permission{})
	if got := fxString(fx); got != "A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission" {
		t.Fatalf("first permission: %s", got)
	}
	m.Handle(AuditFailed{Err: errSpine}) // the claim's row failed: nothing after it ran
	again := func(what, want string) {
		t.Helper()
		for _, ev := range []string{"searchNHS", "patient", "adjust", "consentAsk"} {
			m.Handle(events[ev](m))
		}
		fx := m.Handle(Permission{})
		if got := fxString(fx); got != want {
			t.Fatalf("%s: %s, want %s", what, got, want)
		}
		for _, f := range fx {
			if q, ok := f.(QueueAlert); ok {
				m.Handle(AlertStored{Kind: q.Kind, NHS: q.NHS})
			}
		}
		m.Handle(events["record"](m))
		m.Handle(Close{})
	}
	again("after the failed row", "A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission")
	again("after the claim was stored", "A:permission-given FetchRecord:permission")
	m.Handle(NewSession{})
	again("in a new session", "A:legitimate-relationship-self-claimed A:permission-given Alert:1 FetchRecord:permission")
}
