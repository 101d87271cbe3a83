// Package patientflow is the counter's patient flow as a pure state machine, beside
// internal/session: from a search to the record on screen, with the permission question, the
// emergency reason, the deceased-patient reason and every audit row in between.
//
// The machine is pure: it calls no service, writes no audit row and opens no window. The
// controller (package app) feeds it Events (what the person did, and answers from the Spine
// tagged with the Req of the effect that asked) and carries out the Effects Handle returns, in
// order:
//
//	event -> Handle -> []Effect (audit, fetch, queue alert, cancel) -> the screens render View()
//
// What it promises (TestEveryStateEveryEvent and FuzzFlow hold it to this):
//
//   - No record without its basis. FetchRecord is returned only after the Audit effect of the
//     permission (with the self-claimed relationship), of the emergency access or of the
//     deceased patient's written reason, in the same
//     batch; the controller stops at the first audit row that fails to commit and reports
//     AuditFailed, so a fetch never runs without its row.
//   - Consent No never fetches: FetchRecord only from the question or the emergency reason, and
//     only when the consent state read just before was not No (opted out).
//   - Emergency access only from the question: the reason stage is reached from Asking only,
//     and the emergency row is written only with a non-empty reason.
//   - A stale answer changes nothing: an answer whose Req is not the pending request's is
//     ignored, whatever the state.
//   - One self-claimed relationship, with its alert, per patient per session, however often a
//     step is retried: the claim counts once its alert is stored (AlertStored), so a claim whose
//     row or alert failed to commit is made again.
//   - A failed search clears the old results; every answer stops the spinner (Busy).
//
// Threading: a Machine is not safe for concurrent use. One goroutine (the controller's) owns it.
package patientflow

import (
	"fmt"
	"strings"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
)

// State is where the patient flow is.
type State int

// The states.
const (
	NoPatient       State = iota // an empty search
	Searching                    // a PDS request is pending
	Matches                      // a demographic search's matches are listed
	Demographics                 // the patient is shown; the consent state is being read
	ConsentRead                  // the consent state says there is nothing to open (opted out, no record)
	Asking                       // the permission question
	EmergencyReason              // the written reason for emergency access is being typed
	DeceasedReason               // the patient has died, so cannot be asked: a written reason instead of the question
	Declined                     // the patient declined; nothing was opened
	Opening                      // the record is being fetched (its basis committed)
	RecordShown                  // the record is on screen
	Failed                       // a request failed or an audit row could not be written: Message says so
)

// States lists every state in order.
var States = []State{NoPatient, Searching, Matches, Demographics, ConsentRead, Asking, EmergencyReason,
	DeceasedReason, Declined, Opening, RecordShown, Failed}

func (s State) String() string {
	names := [...]string{"NoPatient", "Searching", "Matches", "Demographics", "ConsentRead", "Asking",
		"EmergencyReason", "DeceasedReason", "Declined", "Opening", "RecordShown", "Failed"}
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Basis is why a record was opened.
type Basis string

// The bases.
const (
	BasisPermission Basis = "permission"
	BasisEmergency  Basis = "emergency"
	BasisDeceased   Basis = "deceased"
	// BasisAccessCheck: IT support's check of the workstation with a test patient (check-access).
	BasisAccessCheck Basis = "access-check"
)

// Failure says which step failed, for the screen's message.
type Failure int

// The failures.
const (
	NoFailure       Failure = iota
	SearchFailed            // the PDS search or read failed (Err says why)
	ConsentFailed           // the consent state could not be read
	RecordFailed            // the record could not be fetched
	AuditNotWritten         // an audit row did not commit: nothing more is shown
	SearchRefused           // the controller refused the search (Err says why)
)

// Machine is the patient flow. Create it with New.
type Machine struct {
	state   State
	pending uint64 // Req of the request whose answer is awaited (0: none)
	kind    string // which request that is: "patient", "search", "consent", "record"
	req     uint64

	asked   string         // the NHS number asked for
	matches []fhir.Patient // Matches
	patient *fhir.Patient
	doc     *fhir.SCRDocument
	record  *fhir.Record
	basis   Basis
	failure Failure
	err     error
	picked  bool // the patient was opened from a demographic search's matches

	// The reasonable adjustments read runs beside the consent read and the record: its own
	// request, which never makes the screen busy and never blocks the record.
	adjReq  uint64
	adjust  []fhir.Adjustment
	adjErr  error
	adjRead bool

	// claimed: the NHS numbers whose legitimate relationship was self-claimed this session, its
	// alert stored (AlertStored). Until then a retry claims, and alerts, again.
	claimed map[string]bool
}

// New returns a machine with no patient.
func New() *Machine { return &Machine{claimed: map[string]bool{}} }

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Pending returns the Req of the request whose answer the machine waits for (0: none).
func (m *Machine) Pending() uint64 { return m.pending }

// View is what the screens show: a copy.
type View struct {
	State    State
	Busy     bool // a request is pending: the spinner runs
	Asked    string
	Matches  []fhir.Patient
	Patient  *fhir.Patient
	Doc      *fhir.SCRDocument
	Record   *fhir.Record
	Basis    Basis
	Failure  Failure
	Err      error
	Deceased bool // the patient is deceased (the reason step applies)
	// ByDetails: the patient was opened from a demographic search's matches.
	ByDetails bool
	// The reasonable adjustments: AdjustmentsRead once their answer came (Adjustments, or
	// AdjustmentsErr when the read failed).
	Adjustments     []fhir.Adjustment
	AdjustmentsErr  error
	AdjustmentsRead bool
}

// View returns the current view. Patient data is shared read-only with the caller.
func (m *Machine) View() View {
	v := View{State: m.state, Busy: m.pending != 0, Asked: m.asked, Patient: m.patient, Doc: m.doc,
		Record: m.record, Basis: m.basis, Failure: m.failure, Err: m.err}
	if m.state == Matches {
		v.Matches = append([]fhir.Patient(nil), m.matches...)
	}
	v.Deceased = m.patient != nil && isDeceased(m.patient)
	v.ByDetails = m.picked
	v.Adjustments, v.AdjustmentsErr, v.AdjustmentsRead = m.adjust, m.adjErr, m.adjRead
	return v
}

// HoldsPatientData reports whether the machine holds anything about a patient.
func (m *Machine) HoldsPatientData() bool {
	return m.patient != nil || len(m.matches) > 0 || m.doc != nil || m.record != nil || m.asked != "" ||
		m.adjust != nil || m.adjRead
}

// AdjustmentsPending returns the Req of the reasonable adjustments read awaited (0: none).
func (m *Machine) AdjustmentsPending() uint64 { return m.adjReq }

func isDeceased(p *fhir.Patient) bool { return p.Deceased }

// Handle applies one event and returns the effects to carry out, in order. Events that do not
// apply to the current state, and stale answers, change nothing and return no effects.
func (m *Machine) Handle(e Event) []Effect {
	switch e := e.(type) {
	case SearchNHS:
		if !m.canSearch() {
			return nil
		}
		return m.startSearch(e.NHS, FetchPatient{NHS: e.NHS})
	case SearchDemographics:
		if !m.canSearch() {
			return nil
		}
		return m.startSearch("", SearchPDS{Query: e.Query})
	case Pick:
		if m.state != Matches || e.Index < 0 || e.Index >= len(m.matches) {
			return nil
		}
		nhs := m.matches[e.Index].NHSNumber
		fx := m.startSearch(nhs, FetchPatient{NHS: nhs})
		m.picked = true // found by details: the patient-read and scr-read rows say so
		return fx
	case Refused:
		if !m.canSearch() {
			return nil
		}
		fx := m.cancel()
		m.forget()
		m.state, m.failure, m.err = Failed, SearchRefused, e.Err
		return fx
	case AdjustmentsAnswer:
		if e.Req == 0 || e.Req != m.adjReq || m.patient == nil {
			return nil
		}
		return m.adjustmentsAnswer(e)
	case PatientAnswer:
		if !m.answers(e.Req, Searching, "patient") {
			return nil
		}
		return m.patientAnswer(e)
	case SearchAnswer:
		if !m.answers(e.Req, Searching, "search") {
			return nil
		}
		return m.searchAnswer(e)
	case ConsentAnswer:
		if !m.answers(e.Req, Demographics, "consent") {
			return nil
		}
		return m.consentAnswer(e)
	case Permission:
		if m.state != Asking || m.pending != 0 {
			return nil
		}
		// The relationship is self-claimed once a session (every self-claim raises an alert for
		// the SGP); the permission is asked, and recorded, every time.
		nhs := m.patient.NHSNumber
		var fx []Effect
		if !m.claimed[nhs] {
			fx = append(fx, Audit{Action: ActSelfClaimLR, NHS: nhs})
		}
		fx = append(fx, Audit{Action: ActPermission, NHS: nhs})
		if !m.claimed[nhs] {
			fx = append(fx, QueueAlert{Kind: AlertSelfClaim, NHS: nhs})
		}
		return append(fx, m.open(BasisPermission)...)
	case EmergencyChosen:
		if m.state != Asking || m.pending != 0 {
			return nil
		}
		m.state = EmergencyReason
		return nil
	case Back:
		if m.state != EmergencyReason {
			return nil
		}
		m.state = Asking
		return nil
	case EmergencyGiven:
		reason := strings.TrimSpace(e.Reason)
		if m.state != EmergencyReason || reason == "" {
			return nil
		}
		nhs := m.patient.NHSNumber
		fx := []Effect{Audit{Action: ActEmergency, NHS: nhs, Reason: reason},
			QueueAlert{Kind: AlertEmergency, NHS: nhs, Reason: reason}}
		return append(fx, m.open(BasisEmergency)...)
	case DeceasedGiven:
		reason := strings.TrimSpace(e.Reason)
		if m.state != DeceasedReason || reason == "" {
			return nil
		}
		// The patient has died, so cannot be asked: the written reason is the basis, with the
		// self-claimed relationship (once a session), then the record. Each reason goes to the
		// SGP in its own alert, as an emergency reason does.
		nhs := m.patient.NHSNumber
		var fx []Effect
		if !m.claimed[nhs] {
			fx = append(fx, Audit{Action: ActSelfClaimLR, NHS: nhs})
		}
		fx = append(fx, Audit{Action: ActDeceasedReason, NHS: nhs, Reason: reason},
			QueueAlert{Kind: AlertSelfClaim, NHS: nhs, Reason: reason})
		return append(fx, m.open(BasisDeceased)...)
	case AlertStored:
		if e.Kind == AlertSelfClaim && e.NHS != "" {
			m.claimed[e.NHS] = true // the claim and its alert are stored: not claimed again this session
		}
		return nil
	case AccessCheck:
		if (m.state != Asking && m.state != DeceasedReason) || m.pending != 0 || !nhsnumber.IsTest(m.patient.NHSNumber) {
			return nil
		}
		return append([]Effect{Audit{Action: ActAccessCheck, NHS: m.patient.NHSNumber}}, m.open(BasisAccessCheck)...)
	case Decline:
		if m.state != Asking || m.pending != 0 {
			return nil
		}
		m.state = Declined
		return []Effect{Audit{Action: ActPermissionNo, NHS: m.patient.NHSNumber}}
	case RecordAnswer:
		if !m.answers(e.Req, Opening, "record") {
			return nil
		}
		return m.recordAnswer(e)
	case AuditFailed:
		if m.state == NoPatient && !m.HoldsPatientData() {
			return nil
		}
		fx := m.cancel()
		m.forget()
		m.state, m.failure, m.err = Failed, AuditNotWritten, e.Err
		return fx
	case Close:
		if m.state == NoPatient && !m.HoldsPatientData() && m.pending == 0 {
			return nil
		}
		fx := m.cancel()
		m.forget()
		m.state = NoPatient
		return fx
	case Drop:
		fx := m.cancel()
		m.forget()
		m.state = NoPatient
		return fx
	case NewSession:
		fx := m.cancel()
		m.forget()
		m.state = NoPatient
		clear(m.claimed)
		return fx
	}
	return nil
}

// canSearch: a search starts from the search screen only (no patient open).
func (m *Machine) canSearch() bool {
	switch m.state {
	case NoPatient, Searching, Matches, Failed:
		return true
	}
	return false
}

// answers reports whether an answer of kind with req is the one awaited in state.
func (m *Machine) answers(req uint64, st State, kind string) bool {
	return req != 0 && req == m.pending && m.state == st && m.kind == kind
}

// next allocates the Req of a new request of kind and waits for its answer only.
func (m *Machine) next(kind string) uint64 {
	m.req++
	m.pending, m.kind = m.req, kind
	return m.req
}

// startSearch forgets whatever was shown (a failed or new search clears the old results) and
// asks.
func (m *Machine) startSearch(nhs string, ask Effect) []Effect {
	fx := m.cancel()
	m.forget()
	m.state = Searching
	m.asked = nhs
	switch a := ask.(type) {
	case FetchPatient:
		a.Req = m.next("patient")
		ask = a
	case SearchPDS:
		a.Req = m.next("search")
		ask = a
	}
	return append(fx, ask)
}

func (m *Machine) patientAnswer(e PatientAnswer) []Effect {
	m.pending, m.kind = 0, ""
	fx := []Effect{Audit{Action: ActPatientSearch, Failed: e.Err != nil || e.Patient == nil, Err: e.Err, NHS: m.asked,
		RequestIDs: e.RequestIDs, By: "nhs-number"}}
	if e.Err != nil || e.Patient == nil {
		m.state, m.failure, m.err = Failed, SearchFailed, e.Err
		m.asked, m.picked = "", false
		return fx
	}
	m.patient = e.Patient
	fx = append(fx, Audit{Action: ActPatientRead, NHS: e.Patient.NHSNumber, RequestIDs: e.RequestIDs, Asked: m.asked, ByDetails: m.picked})
	m.state = Demographics
	fx = append(fx, FetchConsent{Req: m.next("consent"), NHS: e.Patient.NHSNumber})
	m.req++
	m.adjReq = m.req
	return append(fx, FetchAdjustments{Req: m.adjReq, NHS: e.Patient.NHSNumber})
}

func (m *Machine) searchAnswer(e SearchAnswer) []Effect {
	m.pending, m.kind = 0, ""
	shown := make([]string, 0, len(e.Patients))
	for _, p := range e.Patients {
		shown = append(shown, p.NHSNumber)
	}
	fx := []Effect{Audit{Action: ActPatientSearch, Failed: e.Err != nil, Err: e.Err, RequestIDs: e.RequestIDs, By: "demographics", Shown: shown}}
	if e.Err == nil {
		// Each patient listed was seen: a row of their own, so a Subject Access Request for any
		// of them finds it. Nothing is listed unless every row committed.
		for _, nhs := range shown {
			fx = append(fx, Audit{Action: ActPatientListed, NHS: nhs, RequestIDs: e.RequestIDs})
		}
	}
	switch {
	case e.Err != nil:
		m.state, m.failure, m.err = Failed, SearchFailed, e.Err
	case len(e.Patients) == 0:
		m.state = Matches // an empty list: "no match"
	default:
		m.matches = append([]fhir.Patient(nil), e.Patients...)
		m.state = Matches
	}
	return fx
}

func (m *Machine) consentAnswer(e ConsentAnswer) []Effect {
	m.pending, m.kind = 0, ""
	nhs := m.patient.NHSNumber
	consent := "no record"
	if e.Doc != nil {
		consent = e.Doc.Consent.String()
	}
	fx := []Effect{Audit{Action: ActConsentRead, Failed: e.Err != nil, Err: e.Err, NHS: nhs, RequestIDs: e.RequestIDs, Consent: consent}}
	switch {
	case e.Err != nil:
		m.state, m.failure, m.err = Failed, ConsentFailed, e.Err
	case e.Doc == nil || e.Doc.Consent == fhir.ConsentNo:
		m.doc = e.Doc
		m.state = ConsentRead
	default:
		m.doc = e.Doc
		m.state = Asking
		if isDeceased(m.patient) {
			m.state = DeceasedReason // the patient cannot be asked: a written reason instead
		}
	}
	return fx
}

// open fetches the record after its basis (the caller put the basis rows first). Consent No
// never gets here: Asking and EmergencyReason are reached only from a consent state that is not
// No.
func (m *Machine) open(b Basis) []Effect {
	if m.doc == nil || m.doc.Consent == fhir.ConsentNo {
		return nil // unreachable by construction; the fuzz target holds it
	}
	m.basis = b
	m.state = Opening
	m.failure, m.err = NoFailure, nil
	return []Effect{FetchRecord{Req: m.next("record"), NHS: m.patient.NHSNumber, Basis: b}}
}

func (m *Machine) recordAnswer(e RecordAnswer) []Effect {
	m.pending, m.kind = 0, ""
	nhs := m.patient.NHSNumber
	a := Audit{Action: ActSCRRead, Failed: e.Err != nil || e.Record == nil, Err: e.Err, NHS: nhs, RequestIDs: e.RequestIDs,
		Basis: m.basis, ByDetails: m.picked}
	if e.Record != nil {
		a.RecordID, a.Sections = e.Record.ID, len(e.Record.Sections)
	}
	switch {
	case e.Err != nil:
		m.state, m.failure, m.err = Asking, RecordFailed, e.Err // the question again, with the message
		if isDeceased(m.patient) {
			m.state = DeceasedReason // a deceased patient is never asked: their reason step again
		}
	case e.Record == nil:
		m.doc = nil
		m.state = ConsentRead // the record went away: nothing to open
	default:
		m.record = e.Record
		m.state = RecordShown
		m.failure, m.err = NoFailure, nil
	}
	return []Effect{a}
}

func (m *Machine) adjustmentsAnswer(e AdjustmentsAnswer) []Effect {
	m.adjReq = 0
	m.adjRead = true
	m.adjust, m.adjErr = nil, e.Err
	if e.Err == nil {
		m.adjust = append([]fhir.Adjustment(nil), e.Adjustments...)
	}
	return []Effect{Audit{Action: ActAdjustmentsRead, Failed: e.Err != nil, Err: e.Err, NHS: m.patient.NHSNumber,
		RequestIDs: e.RequestIDs, Count: len(m.adjust)}}
}

// cancel cancels the requests in flight (the record's and the adjustments').
func (m *Machine) cancel() []Effect {
	if m.pending == 0 && m.adjReq == 0 {
		return nil
	}
	m.pending, m.kind, m.adjReq = 0, "", 0
	return []Effect{CancelRequests{}}
}

// forget drops every reference to patient data.
func (m *Machine) forget() {
	m.asked, m.matches, m.patient, m.doc, m.record = "", nil, nil, nil, nil
	m.basis, m.failure, m.err, m.picked = "", NoFailure, nil, false
	m.adjust, m.adjErr, m.adjRead = nil, nil, false
}
