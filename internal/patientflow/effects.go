package patientflow

// Effect is something the controller must do, in the order Handle returns them. When an Audit
// effect's row does not commit, the controller carries out nothing after it and sends
// AuditFailed.
type Effect interface{ isEffect() }

// Action names an audit row: internal/audit's Action values (a test checks they match).
type Action string

// The audited actions.
const (
	ActPatientSearch Action = "patient-search"
	ActPatientRead   Action = "patient-read"
	ActConsentRead   Action = "scr-consent-read"
	ActPermission    Action = "permission-given"
	ActPermissionNo  Action = "permission-declined"
	ActEmergency     Action = "emergency-access"
	ActSelfClaimLR   Action = "legitimate-relationship-self-claimed"
	ActSCRRead       Action = "scr-read"
	// ActDeceasedReason: the written reason for opening a deceased patient's record.
	ActDeceasedReason Action = "deceased-record-reason"
	// ActPatientListed: one row per patient a demographic search listed (each was seen), after
	// the search's own row.
	ActPatientListed Action = "patient-listed"
	// ActAdjustmentsRead: the patient's reasonable adjustments were read (or the read failed).
	ActAdjustmentsRead Action = "reasonable-adjustments-read"
	// ActAccessCheck: the basis of a test patient's record opened by check-access (IT support).
	ActAccessCheck Action = "test-patient-access-check"
)

// Audit: write an audit row, and go on only if it committed.
type Audit struct {
	Action     Action
	Failed     bool  // the step failed (minor failure); else success
	Err        error // why it failed: the controller names an answer about another patient as a serious failure
	NHS        string
	Reason     string
	RequestIDs []string
	By         string   // patient-search: "nhs-number" or "demographics"
	Shown      []string // patient-search by demographics: the NHS numbers listed (each was seen)
	Asked      string   // patient-read: the NHS number asked for (a superseded one may answer)
	Consent    string   // scr-consent-read: the consent state read
	Basis      Basis    // scr-read: permission or emergency
	RecordID   string   // scr-read
	Sections   int      // scr-read
	ByDetails  bool     // patient-read, scr-read: the patient was opened from a demographic search's matches
	Count      int      // reasonable-adjustments-read: how many flags
}

// FetchPatient: PDS GET /Patient/{NHS}; answer PatientAnswer with Req.
type FetchPatient struct {
	Req uint64
	NHS string
}

// SearchPDS: a PDS search with Query; answer SearchAnswer with Req.
type SearchPDS struct {
	Req   uint64
	Query any
}

// FetchConsent: the latest SCR's consent state (GET /DocumentReference); answer ConsentAnswer.
type FetchConsent struct {
	Req uint64
	NHS string
}

// FetchAdjustments: the patient's reasonable adjustments (Reasonable Adjustment Flag API),
// beside the consent read and the record: answer AdjustmentsAnswer. Its failure never blocks the
// record.
type FetchAdjustments struct {
	Req uint64
	NHS string
}

// FetchRecord: the record (GET /DocumentReference again, then /Bundle); answer RecordAnswer.
// Returned only after the Audit effect of its Basis (permission, emergency access or the
// deceased patient's reason).
type FetchRecord struct {
	Req   uint64
	NHS   string
	Basis Basis
}

// AlertKind is the privacy alert's kind.
type AlertKind int

// The alert kinds.
const (
	AlertSelfClaim AlertKind = iota + 1 // a self-claimed legitimate relationship
	AlertEmergency                      // emergency access
)

// QueueAlert: store a privacy alert in the outbox (with its alert-queued row).
type QueueAlert struct {
	Kind   AlertKind
	NHS    string
	Reason string
}

// CancelRequests: cancel the requests in flight; their answers will be stale.
type CancelRequests struct{}

func (Audit) isEffect()            {}
func (FetchPatient) isEffect()     {}
func (SearchPDS) isEffect()        {}
func (FetchConsent) isEffect()     {}
func (FetchRecord) isEffect()      {}
func (FetchAdjustments) isEffect() {}
func (QueueAlert) isEffect()       {}
func (CancelRequests) isEffect()   {}
