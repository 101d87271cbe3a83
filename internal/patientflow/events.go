package patientflow

import "scrdesk/internal/fhir"

// Event is something that happened: the person's intent, or an answer from the Spine. Answers
// carry the Req of the effect that asked; any other Req is stale and changes nothing.
type Event interface{ isEvent() }

// SearchNHS: Enter on an NHS number.
type SearchNHS struct{ NHS string }

// SearchDemographics: a demographic search. Query is the controller's (opaque to the machine).
type SearchDemographics struct{ Query any }

// Pick: match Index of the list was opened.
type Pick struct{ Index int }

// PatientAnswer answers FetchPatient: the patient (nil with Err on a failure).
type PatientAnswer struct {
	Req        uint64
	Patient    *fhir.Patient
	Err        error
	RequestIDs []string
}

// SearchAnswer answers SearchPDS: the patients the search showed (none: no match).
type SearchAnswer struct {
	Req        uint64
	Patients   []fhir.Patient
	Err        error
	RequestIDs []string
}

// ConsentAnswer answers FetchConsent: the latest SCR's document (nil: no record).
type ConsentAnswer struct {
	Req        uint64
	Doc        *fhir.SCRDocument
	Err        error
	RequestIDs []string
}

// RecordAnswer answers FetchRecord: the record (nil without Err: the record went away).
type RecordAnswer struct {
	Req        uint64
	Record     *fhir.Record
	Err        error
	RequestIDs []string
}

// AdjustmentsAnswer answers FetchAdjustments: the flags (none: nothing recorded), or Err.
type AdjustmentsAnswer struct {
	Req         uint64
	Adjustments []fhir.Adjustment
	Err         error
	RequestIDs  []string
}

// Refused: the controller refused to search (no link to the Spine, a role that may not open
// records, an audit log that was replaced): Err says why, for the screen. From the search
// screen only; whatever was listed goes.
type Refused struct{ Err error }

// Permission: the patient gave permission (with the self-claimed legitimate relationship).
type Permission struct{}

// EmergencyChosen: "the patient cannot be asked" was chosen; the reason is asked next.
type EmergencyChosen struct{}

// Back: from the emergency reason back to the question.
type Back struct{}

// EmergencyGiven: the emergency reason was submitted.
type EmergencyGiven struct{ Reason string }

// DeceasedGiven: the written reason for opening a deceased patient's record was submitted.
type DeceasedGiven struct{ Reason string }

// AlertStored: the controller stored the alert a QueueAlert asked for (with its row).
type AlertStored struct {
	Kind AlertKind
	NHS  string
}

// AccessCheck: IT support's check-access opens a test patient's record (its basis row instead
// of the question). Refused for any NHS number outside the test ranges.
type AccessCheck struct{}

// Decline: the patient declined.
type Decline struct{}

// AuditFailed: an Audit effect's row did not commit. The controller stops carrying out the
// batch at that effect and sends this; nothing more is shown.
type AuditFailed struct{ Err error }

// Close: Escape or "Close patient".
type Close struct{}

// Drop: the session locked or ended: everything about the patient goes.
type Drop struct{}

// NewSession: a new sign-in or another role (not an unlock): the once-a-session claims start
// afresh.
type NewSession struct{}

func (SearchNHS) isEvent()          {}
func (SearchDemographics) isEvent() {}
func (Pick) isEvent()               {}
func (PatientAnswer) isEvent()      {}
func (SearchAnswer) isEvent()       {}
func (ConsentAnswer) isEvent()      {}
func (RecordAnswer) isEvent()       {}
func (AdjustmentsAnswer) isEvent()  {}
func (Refused) isEvent()            {}
func (AccessCheck) isEvent()        {}
func (AlertStored) isEvent()        {}
func (Permission) isEvent()         {}
func (EmergencyChosen) isEvent()    {}
func (Back) isEvent()               {}
func (EmergencyGiven) isEvent()     {}
func (DeceasedGiven) isEvent()      {}
func (Decline) isEvent()            {}
func (AuditFailed) isEvent()        {}
func (Close) isEvent()              {}
func (Drop) isEvent()               {}
func (NewSession) isEvent()         {}
