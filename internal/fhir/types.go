package fhir

import "time"

// Restriction is a demographics record's confidentiality flag (PDS meta.security,
// http://terminology.hl7.org/CodeSystem/v3-Confidentiality).
type Restriction int

// Restriction values.
const (
	None           Restriction = iota // U: unrestricted
	Restricted                        // R: address, telephone and GP are withheld
	VeryRestricted                    // V: as R, and date of birth too
)

// String returns the PDS code: "U", "R" or "V".
func (r Restriction) String() string {
	switch r {
	case Restricted:
		return "R"
	case VeryRestricted:
		return "V"
	}
	return "U"
}

// Patient is a PDS demographics record (FHIR R4 Patient, PDS FHIR API) reduced to what SCR Desk
// shows. Fields hidden by a restriction are empty and listed in Hidden.
type Patient struct {
	// NHSNumber is the patient's current NHS number (ten digits).
	NHSNumber string
	// RequestedNHSNumber is the number that was asked for. It differs from NHSNumber when the
	// asked-for number was merged into (superseded by) NHSNumber: see Merged.
	RequestedNHSNumber string
	// Name is the display name: prefix, given names and family name.
	Name, GivenNames, FamilyName, Prefix string
	// BirthDate is YYYY-MM-DD.
	BirthDate string
	// Gender is the FHIR administrative gender: male, female, other, unknown.
	Gender string
	// Address holds the home address lines, without the postcode.
	Address  []string
	Postcode string
	Phone    string
	// GP is the registered practice: name and/or ODS code.
	GP          string
	Restriction Restriction
	// Hidden says what is withheld and why, in plain English, one statement each.
	Hidden       []string
	Deceased     bool
	DeceasedDate string
	// NoCurrentName, NoCurrentAddress and NoCurrentPhone are true when PDS listed names,
	// addresses or telephones but every one of them had ended: none is shown as current.
	// With NoCurrentName, Name holds the latest ended name, to tell the patient apart, and
	// NameEnded when it ended as sent.
	NoCurrentName, NoCurrentAddress, NoCurrentPhone bool
	NameEnded                                       string
}

// Merged reports whether the number asked for was superseded by another NHS number.
func (p *Patient) Merged() bool {
	return p.RequestedNHSNumber != "" && p.NHSNumber != "" && p.RequestedNHSNumber != p.NHSNumber
}

// MergedError returns a *SpineError of kind Merged naming the current number when the number
// asked for was merged, or nil. Callers that must stop on a merge use it; the record itself is
// still the right patient's.
func (p *Patient) MergedError() error {
	if !p.Merged() {
		return nil
	}
	return &SpineError{Kind: Merged, Code: "MERGED", MergedInto: p.NHSNumber}
}

// Consent is the SCR's access-control state (DocumentReference.securityLabel, system
// https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission).
type Consent int

// Consent values.
const (
	ConsentUnknown Consent = iota
	ConsentAsk             // ask the patient's permission to view
	ConsentYes             // legacy "Yes": treat as Ask
	ConsentNo              // the patient opted out: there is no SCR to view
)

// String returns the Spine code ("Ask", "Yes", "No") or "Unknown".
func (c Consent) String() string {
	switch c {
	case ConsentAsk:
		return "Ask"
	case ConsentYes:
		return "Yes"
	case ConsentNo:
		return "No"
	}
	return "Unknown"
}

// SCRDocument is the pointer to a patient's latest SCR, from GET /DocumentReference.
// A nil *SCRDocument means the patient has no SCR.
type SCRDocument struct {
	// ID is masterIdentifier.value: the composition id to ask /Bundle for.
	ID      string
	Consent Consent
	Created time.Time
	Author  string
	// Subject is the NHS number of the patient the DocumentReference is about ("" when it
	// names none that can be resolved). CheckDocumentSubject compares it with the one asked for.
	Subject string
}

// Record is an SCR: the Composition of GET /Bundle, its sections converted to native tables.
type Record struct {
	ID      string
	Created time.Time
	// CreatedText is Composition.date exactly as sent: shown when it cannot be read.
	CreatedText string
	// Subject is the NHS number of the Composition's subject ("" when unresolvable); Patients
	// holds the NHS number of every Patient in the Bundle ("" for one without). See
	// CheckRecordSubject.
	Subject  string
	Patients []string
	// Practice is the GP practice that created the summary, as the record states it.
	Practice string
	// InitialSummary is true for the older "Initial Summary" format (sections without codes).
	InitialSummary bool
	Sections       []Section
}

// Section is one Composition.section.
type Section struct {
	// Code is the section code (AllergiesHeader, AcuteMedsHeader, ...) or "" when uncoded.
	Code  string
	Title string
	// Tables are the section's tables in document order.
	Tables []Table
	// Text holds the paragraphs and statements outside tables (e.g. "withheld" statements),
	// exactly as given, whitespace collapsed.
	Text []string
}

// Table is a native table built from an XHTML <table>.
type Table struct {
	Caption string
	Headers []string
	Rows    [][]string
}

// Section codes of the GP Summary (SCR FHIR API).
const (
	CodeAllergies      = "AllergiesHeader"
	CodeAcuteMeds      = "AcuteMedsHeader"
	CodeRepeatMeds     = "RepeatMedsHeader"
	CodeDiscRepeatMeds = "DiscRepeatMedsHeader"
	CodeRisks          = "RisksToPatientHeader"
)
