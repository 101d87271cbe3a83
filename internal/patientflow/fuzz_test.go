package patientflow

import (
	"errors"
	"reflect"
	"testing"

	"scrdesk/internal/fhir"
)

// FuzzFlow drives the machine with random event orders, as a controller would: effects carried
// out in order, any audit row possibly failing (then nothing after it runs and AuditFailed is
// sent), answers delivered late, twice, or to requests long replaced. It holds the invariants:
// no record shown without its permission or emergency row committed; consent No never fetches;
// a stale answer changes nothing; one self-claim alert per patient per session.
func FuzzFlow(f *testing.F) {
	f.Add([]byte{0, 10, 20, 30, 40, 50, 60})
	f.Add([]byte{0, 10, 21, 30, 41, 52, 60, 3, 70})
	f.Add([]byte{1, 11, 12, 0, 10, 23, 30, 44, 30, 255})
	f.Fuzz(func(t *testing.T, ops []byte) {
		r := &fuzzRig{t: t, m: New(), alerts: map[string]int{}}
		for i := 0; i+1 < len(ops) && i < 400; i += 2 {
			r.op(ops[i], ops[i+1])
		}
	})
}

type issued struct {
	req  uint64
	kind string
}

type fuzzRig struct {
	t         *testing.T
	m         *Machine
	reqs      []issued
	failNext  bool
	committed map[string]bool // NHS -> a basis row committed since its consent was read
	consentNo map[string]bool // NHS -> the consent read last said No
	alerts    map[string]int  // NHS -> self-claim alerts queued this session
}

var fuzzPatients = []*fhir.Patient{
	{NHSNumber: "9000000009"}, {NHSNumber: "9000000017", Deceased: true}, {NHSNumber: "9000000025"},
}

func (r *fuzzRig) op(code, arg byte) {
	var e Event
	switch code % 16 {
	case 0:
		e = SearchNHS{NHS: fuzzPatients[int(arg)%len(fuzzPatients)].NHSNumber}
	case 1:
		e = SearchDemographics{Query: arg}
	case 2:
		e = Pick{Index: int(arg % 4)}
	case 3, 4, 5, 6, 7:
		r.answer(arg)
		return
	case 8:
		e = Permission{}
	case 9:
		e = EmergencyChosen{}
	case 10:
		e = Back{}
	case 11:
		reason := ""
		if arg%3 != 0 {
			reason = "reason"
		}
		e = EmergencyGiven{Reason: reason}
	case 12:
		e = DeceasedGiven{Reason: "reason"}
		if arg%2 == 1 {
			e = AccessCheck{}
		}
	case 13:
		e = Decline{}
	case 14:
		r.failNext = arg%2 == 0
		return
	case 15:
		switch arg % 4 {
		case 0:
			e = Close{}
		case 1:
			e = Drop{}
		case 2:
			e = Refused{Err: errors.New("no role")}
		default:
			e = NewSession{}
			clear(r.alerts)
		}
	}
	r.handle(e)
}

// answer delivers an answer to one of the requests issued so far (the latest most often).
func (r *fuzzRig) answer(arg byte) {
	if len(r.reqs) == 0 {
		return
	}
	i := len(r.reqs) - 1
	if arg&0x80 != 0 {
		i = int(arg&0x7F) % len(r.reqs)
	}
	q := r.reqs[i]
	var err error
	if arg&0x40 != 0 {
		err = errors.New("spine")
	}
	p := fuzzPatients[int(arg)%len(fuzzPatients)]
	var e Event
	switch q.kind {
	case "patient":
		e = PatientAnswer{Req: q.req, Patient: p, Err: err}
	case "search":
		e = SearchAnswer{Req: q.req, Patients: []fhir.Patient{*fuzzPatients[0], *fuzzPatients[2]}[:int(arg)%3%2+int(arg)%2], Err: err}
	case "consent":
		var doc *fhir.SCRDocument
		switch arg % 4 {
		case 0:
			doc = &fhir.SCRDocument{Consent: fhir.ConsentNo}
		case 1:
			doc = &fhir.SCRDocument{Consent: fhir.ConsentAsk}
		case 2:
			doc = &fhir.SCRDocument{Consent: fhir.ConsentYes}
		}
		e = ConsentAnswer{Req: q.req, Doc: doc, Err: err}
	case "record":
		var rec *fhir.Record
		if arg%5 != 0 {
			rec = &fhir.Record{ID: "r"}
		}
		e = RecordAnswer{Req: q.req, Record: rec, Err: err}
	case "adjust":
		e = AdjustmentsAnswer{Req: q.req, Adjustments: []fhir.Adjustment{{Text: "interpreter"}}, Err: err}
	}
	stale := q.req != r.m.Pending()
	if q.kind == "adjust" {
		stale = q.req != r.m.AdjustmentsPending()
	}
	before, state := r.m.View(), r.m.State()
	fx := r.handle(e)
	if stale {
		if len(fx) != 0 || r.m.State() != state || !reflect.DeepEqual(before, r.m.View()) {
			r.t.Fatalf("a stale %s answer changed the machine: %v -> %v, %s", q.kind, state, r.m.State(), fxString(fx))
		}
	}
}

// handle feeds e and carries out its effects as the controller does; returns the effects.
func (r *fuzzRig) handle(e Event) []Effect {
	if r.committed == nil {
		r.committed, r.consentNo = map[string]bool{}, map[string]bool{}
	}
	fx := r.m.Handle(e)
	claimRows := map[string]int{} // self-claim rows of this batch, by patient
	for i, f := range fx {
		switch f := f.(type) {
		case Audit:
			if r.failNext {
				r.failNext = false
				r.handle(AuditFailed{Err: errors.New("disk full")})
				return fx[:i+1]
			}
			if f.Action == ActSelfClaimLR {
				claimRows[f.NHS]++
			}
			switch f.Action {
			case ActConsentRead:
				r.committed[f.NHS] = false
				r.consentNo[f.NHS] = f.Consent == fhir.ConsentNo.String()
			case ActPermission, ActEmergency, ActDeceasedReason, ActAccessCheck:
				r.committed[f.NHS] = true
			}
		case FetchRecord:
			if !r.committed[f.NHS] {
				r.t.Fatalf("record fetched without its basis row committed: %s", fxString(fx))
			}
			if r.consentNo[f.NHS] {
				r.t.Fatalf("record fetched after consent No")
			}
			r.reqs = append(r.reqs, issued{f.Req, "record"})
		case FetchPatient:
			r.reqs = append(r.reqs, issued{f.Req, "patient"})
		case SearchPDS:
			r.reqs = append(r.reqs, issued{f.Req, "search"})
		case FetchConsent:
			r.reqs = append(r.reqs, issued{f.Req, "consent"})
		case FetchAdjustments:
			r.reqs = append(r.reqs, issued{f.Req, "adjust"})
		case QueueAlert:
			if f.Kind == AlertSelfClaim {
				if f.Reason == "" { // the permission's alert: once a patient a session
					r.alerts[f.NHS]++
					if r.alerts[f.NHS] > 1 {
						r.t.Fatalf("a second self-claim alert for one patient in one session")
					}
				}
				claimRows[f.NHS]--
				r.m.Handle(AlertStored{Kind: f.Kind, NHS: f.NHS}) // stored, as the controller says
			}
		}
	}
	for nhs, n := range claimRows {
		if n > 0 {
			r.t.Fatalf("a self-claim row for %s without its alert: %s", nhs, fxString(fx))
		}
	}
	v := r.m.View()
	if v.State == RecordShown && (v.Record == nil || !r.committed[v.Patient.NHSNumber] || r.consentNo[v.Patient.NHSNumber]) {
		r.t.Fatalf("record shown without its basis committed (or after consent No)")
	}
	if v.State == EmergencyReason || v.State == Opening || v.State == RecordShown {
		if v.Doc == nil || v.Doc.Consent == fhir.ConsentNo {
			r.t.Fatalf("%v with consent %v", v.State, v.Doc)
		}
	}
	return fx
}
