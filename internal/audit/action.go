package audit

// Action is what happened. Its value is stored in the log and never changes once released;
// Label gives the plain-English words shown on the SGP's screens and FHIR the AuditEvent codes.
type Action string

// The actions SCR Desk records. Names follow the FHIR R4 AuditEvent / IHE BALP vocabulary where
// one fits (DICOM DCM codes for security events, FHIR RESTful interactions for record access).
const (
	// Session and card (DICOM 110114 User Authentication, 110122 Login, 110123 Logout).
	ActionLogin           Action = "login" // sign-in; a failure carries why in Reason
	ActionWrongPasscode   Action = "login-wrong-passcode"
	ActionCardBlocked     Action = "login-card-blocked"
	ActionRoleSelected    Action = "role-selected"
	ActionLockCardRemoved Action = "lock-card-removed"
	ActionLockIdle        Action = "lock-idle"
	ActionLockManual      Action = "lock-manual"
	ActionLockServiceLost Action = "lock-service-lost"
	ActionUnlock          Action = "unlock"
	ActionLogout          Action = "logout"
	ActionCardSwapped     Action = "card-swapped"
	// ActionAnswerDiscarded: an answer (a sign-in, a card read, a patient lookup) came back after
	// what asked for it was over (the card left, another user signed in, the patient was closed);
	// it was dropped and whatever it carried (a Spine sign-in, a card connection) closed unused.
	ActionAnswerDiscarded Action = "answer-discarded"

	// Patient record access (BALP Basic Audit: FHIR RESTful "search-type" and "read").
	ActionPatientSearch Action = "patient-search" // PDS search
	// ActionPatientListed: a demographic search listed this patient among its matches (their
	// name, birth date and address were on screen). One row per patient listed, holding their
	// NHS number in the row's own column, so a Subject Access Request for them finds it; the
	// detail "search" is the search row's sequence number.
	ActionPatientListed Action = "patient-listed"
	ActionPatientRead   Action = "patient-read"        // demographics viewed
	ActionConsentRead   Action = "scr-consent-read"    // SCR consent state (security label) seen
	ActionPermission    Action = "permission-given"    // patient gave permission to view
	ActionPermissionNo  Action = "permission-declined" // patient declined; record not opened
	ActionEmergency     Action = "emergency-access"    // DICOM 110127 Emergency Override Started; Reason required
	ActionSelfClaimLR   Action = "legitimate-relationship-self-claimed"
	ActionSCRRead       Action = "scr-read" // Summary Care Record viewed
	// ActionDeceasedReason: the patient has died, so could not be asked; Reason holds the
	// user's written reason for needing the record.
	ActionDeceasedReason  Action = "deceased-record-reason"
	ActionAdjustmentsRead Action = "reasonable-adjustments-read" // RA flags seen (or the read failed)
	// ActionAccessCheck: IT support opened a test patient's record with `scrdesk check-access`
	// to check the workstation, card and role can (the basis of that scr-read; no patient was
	// asked and no privacy alert is sent for a test patient).
	ActionAccessCheck Action = "test-patient-access-check"

	// Privacy alerts to the SGP (SCR API POST /AuditEvent), DICOM 110113 Security Alert.
	ActionAlertQueued Action = "alert-queued"
	ActionAlertSent   Action = "alert-sent"
	ActionAlertFailed Action = "alert-failed"

	// Administration (DICOM 110100 Application Activity, 110101 Audit Log Used, 110106 Export).
	ActionSettingsChanged Action = "settings-changed"
	ActionAuditVerified   Action = "audit-verified"
	ActionAuditExported   Action = "audit-exported"
	ActionAuditQueried    Action = "audit-queried"
	// ActionAuditNewLog is the first row of a log started after the previous one was found
	// removed or replaced; its detail names the previous log's instance id and checkpoint.
	ActionAuditNewLog Action = "audit-log-started"
	// ActionAuditUnprotected records rows that were written while the keyring refused the
	// checkpoint (detail: from, to, since_ms), before the checkpoint covers them.
	ActionAuditUnprotected Action = "audit-unprotected-entries"
	ActionAppStart         Action = "application-start"
	ActionAppStop          Action = "application-stop"
)

// Coding is a FHIR Coding: a code from a code system.
type Coding struct {
	System, Code, Display string
}

// Code systems used by FHIR mapping.
const (
	SystemDICOM      = "http://dicom.nema.org/resources/ontology/DCM"
	SystemEventType  = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	SystemRestful    = "http://hl7.org/fhir/restful-interaction"
	SystemSCRDesk    = "https://scrdesk.example/CodeSystem/audit-action"
	actionCodeCreate = "C"
	actionCodeRead   = "R"
	actionCodeUpdate = "U"
	actionCodeExec   = "E"
)

// ActionInfo describes an action: its label and its FHIR AuditEvent codes.
type ActionInfo struct {
	Label string
	// Type and Subtype are AuditEvent.type and AuditEvent.subtype[0].
	Type, Subtype Coding
	// Code is AuditEvent.action: C, R, U, D or E.
	Code string
	// Patient says whether the action concerns one patient (AuditEvent.entity of type Patient).
	Patient bool
}

var (
	dcmAuth  = Coding{SystemDICOM, "110114", "User Authentication"}
	dcmLogin = Coding{SystemDICOM, "110122", "Login"}
	dcmOut   = Coding{SystemDICOM, "110123", "Logout"}
	dcmAlert = Coding{SystemDICOM, "110113", "Security Alert"}
	dcmApp   = Coding{SystemDICOM, "110100", "Application Activity"}
	dcmLog   = Coding{SystemDICOM, "110101", "Audit Log Used"}
	dcmExp   = Coding{SystemDICOM, "110106", "Export"}
	dcmEmerg = Coding{SystemDICOM, "110127", "Emergency Override Started"}
	rest     = Coding{SystemEventType, "rest", "Restful Operation"}
	restRead = Coding{SystemRestful, "read", "read"}
	restFind = Coding{SystemRestful, "search-type", "search type"}
	restMake = Coding{SystemRestful, "create", "create"}
)

func local(a Action, display string) Coding { return Coding{SystemSCRDesk, string(a), display} }

var actions = map[Action]ActionInfo{
	ActionLogin:            {"Signed in", dcmAuth, dcmLogin, actionCodeExec, false},
	ActionWrongPasscode:    {"Wrong passcode entered", dcmAuth, local(ActionWrongPasscode, "Wrong passcode"), actionCodeExec, false},
	ActionCardBlocked:      {"Smartcard blocked", dcmAuth, local(ActionCardBlocked, "Card blocked"), actionCodeExec, false},
	ActionRoleSelected:     {"Role chosen", dcmAuth, local(ActionRoleSelected, "Role selected"), actionCodeExec, false},
	ActionLockCardRemoved:  {"Locked: card removed", dcmAuth, local(ActionLockCardRemoved, "Lock, card removed"), actionCodeExec, false},
	ActionLockIdle:         {"Locked: left idle", dcmAuth, local(ActionLockIdle, "Lock, idle"), actionCodeExec, false},
	ActionLockManual:       {"Locked by the user", dcmAuth, local(ActionLockManual, "Lock, by hand"), actionCodeExec, false},
	ActionLockServiceLost:  {"Locked: card reader service lost", dcmAuth, local(ActionLockServiceLost, "Lock, service lost"), actionCodeExec, false},
	ActionUnlock:           {"Unlocked", dcmAuth, local(ActionUnlock, "Unlock"), actionCodeExec, false},
	ActionLogout:           {"Signed out", dcmAuth, dcmOut, actionCodeExec, false},
	ActionCardSwapped:      {"Different smartcard inserted", dcmAuth, local(ActionCardSwapped, "Card swapped"), actionCodeExec, false},
	ActionAnswerDiscarded:  {"Late answer discarded unused", dcmApp, local(ActionAnswerDiscarded, "Answer discarded"), actionCodeExec, false},
	ActionPatientSearch:    {"Searched for a patient", rest, restFind, actionCodeExec, false},
	ActionPatientListed:    {"Saw the patient listed in a search's matches", rest, restFind, actionCodeRead, true},
	ActionPatientRead:      {"Viewed patient details", rest, restRead, actionCodeRead, true},
	ActionConsentRead:      {"Saw the record's sharing (consent) state", rest, restFind, actionCodeRead, true},
	ActionPermission:       {"Patient gave permission to view", dcmApp, local(ActionPermission, "Permission to view given"), actionCodeExec, true},
	ActionPermissionNo:     {"Patient declined permission to view", dcmApp, local(ActionPermissionNo, "Permission to view declined"), actionCodeExec, true},
	ActionEmergency:        {"Emergency access without permission", dcmEmerg, local(ActionEmergency, "Emergency access"), actionCodeExec, true},
	ActionSelfClaimLR:      {"Claimed a care relationship with the patient", dcmApp, local(ActionSelfClaimLR, "Legitimate relationship self-claimed"), actionCodeExec, true},
	ActionSCRRead:          {"Viewed the Summary Care Record", rest, restRead, actionCodeRead, true},
	ActionDeceasedReason:   {"Gave a reason to view a deceased patient's record", dcmApp, local(ActionDeceasedReason, "Deceased patient's record, reason given"), actionCodeExec, true},
	ActionAdjustmentsRead:  {"Saw the patient's reasonable adjustments", rest, restFind, actionCodeRead, true},
	ActionAccessCheck:      {"Opened a test patient's record to check this workstation's access", dcmApp, local(ActionAccessCheck, "Test patient access check"), actionCodeExec, true},
	ActionAlertQueued:      {"Privacy alert queued for the governance lead", dcmAlert, local(ActionAlertQueued, "Alert queued"), actionCodeCreate, true},
	ActionAlertSent:        {"Privacy alert sent", dcmAlert, restMake, actionCodeCreate, true},
	ActionAlertFailed:      {"Privacy alert could not be sent", dcmAlert, local(ActionAlertFailed, "Alert failed"), actionCodeCreate, true},
	ActionSettingsChanged:  {"Changed a setting", dcmApp, local(ActionSettingsChanged, "Settings changed"), actionCodeUpdate, false},
	ActionAuditVerified:    {"Checked the audit log", dcmLog, local(ActionAuditVerified, "Audit verified"), actionCodeExec, false},
	ActionAuditExported:    {"Exported the audit log", dcmExp, local(ActionAuditExported, "Audit exported"), actionCodeRead, false},
	ActionAuditQueried:     {"Searched the audit log", dcmLog, local(ActionAuditQueried, "Audit queried"), actionCodeRead, false},
	ActionAuditNewLog:      {"Started a new audit log after the previous one was removed or replaced", dcmLog, local(ActionAuditNewLog, "Audit log started"), actionCodeCreate, false},
	ActionAuditUnprotected: {"Entries were written while the audit log's checkpoint could not be saved", dcmLog, local(ActionAuditUnprotected, "Audit entries unprotected"), actionCodeExec, false},
	ActionAppStart:         {"SCR Desk started", dcmApp, Coding{SystemDICOM, "110120", "Application Start"}, actionCodeExec, false},
	ActionAppStop:          {"SCR Desk stopped", dcmApp, Coding{SystemDICOM, "110121", "Application Stop"}, actionCodeExec, false},
}

// Actions lists every known action in a fixed order (the order of the constants).
func Actions() []Action {
	return []Action{
		ActionLogin, ActionWrongPasscode, ActionCardBlocked, ActionRoleSelected,
		ActionLockCardRemoved, ActionLockIdle, ActionLockManual, ActionLockServiceLost,
		ActionUnlock, ActionLogout, ActionCardSwapped, ActionAnswerDiscarded,
		ActionPatientSearch, ActionPatientRead, ActionConsentRead, ActionPermission,
		ActionPermissionNo, ActionEmergency, ActionSelfClaimLR, ActionSCRRead,
		ActionDeceasedReason, ActionAdjustmentsRead,
		ActionAlertQueued, ActionAlertSent, ActionAlertFailed,
		ActionSettingsChanged, ActionAuditVerified, ActionAuditExported, ActionAuditQueried,
		ActionAppStart, ActionAppStop, ActionAuditNewLog, ActionAuditUnprotected, ActionPatientListed,
		ActionAccessCheck,
		// the SGP's review (review.go)
		ActionCaseNote, ActionCaseReview, ActionCaseAppropriate, ActionCaseInappropriate, ActionCaseEscalated,
		ActionSampleSeed, ActionSAR, ActionGovReport, ActionRulesSet,
	}
}

// Known reports whether a is one of the actions above.
func (a Action) Known() bool { _, ok := actions[a]; return ok }

// Label is the plain-English label for the SGP's screens. An unknown action shows its code.
func (a Action) Label() string {
	if i, ok := actions[a]; ok {
		return i.Label
	}
	return string(a)
}

// Info returns the action's label and FHIR AuditEvent codes; ok is false for unknown actions.
func (a Action) Info() (ActionInfo, bool) { i, ok := actions[a]; return i, ok }

// Outcome is how an action ended, after FHIR R4 AuditEvent.outcome.
type Outcome string

// Outcomes; FHIRCode gives the AuditEvent.outcome code (http://hl7.org/fhir/audit-event-outcome).
const (
	OutcomeSuccess        Outcome = "success"         // 0
	OutcomeMinorFailure   Outcome = "minor-failure"   // 4: e.g. wrong passcode, patient not found
	OutcomeSeriousFailure Outcome = "serious-failure" // 8: e.g. the Spine refused, disk full
	OutcomeMajorFailure   Outcome = "major-failure"   // 12: e.g. the card was blocked
)

// Outcomes lists every outcome, from success to major failure.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSuccess, OutcomeMinorFailure, OutcomeSeriousFailure, OutcomeMajorFailure}
}

// FHIRCode is the AuditEvent.outcome code: "0", "4", "8" or "12"; "" for an unknown outcome.
func (o Outcome) FHIRCode() string {
	switch o {
	case OutcomeSuccess:
		return "0"
	case OutcomeMinorFailure:
		return "4"
	case OutcomeSeriousFailure:
		return "8"
	case OutcomeMajorFailure:
		return "12"
	}
	return ""
}

// OutcomeFromFHIR maps an AuditEvent.outcome code back to an Outcome.
func OutcomeFromFHIR(code string) (Outcome, bool) {
	for _, o := range Outcomes() {
		if o.FHIRCode() == code {
			return o, true
		}
	}
	return "", false
}

// Label is the plain-English label of the outcome.
func (o Outcome) Label() string {
	switch o {
	case OutcomeSuccess:
		return "Succeeded"
	case OutcomeMinorFailure:
		return "Failed"
	case OutcomeSeriousFailure:
		return "Failed (serious)"
	case OutcomeMajorFailure:
		return "Failed (major)"
	}
	return string(o)
}

// Known reports whether o is one of the four outcomes.
func (o Outcome) Known() bool { return o.FHIRCode() != "" }
