package fhir

import "encoding/json"

// Wire types: the parts of FHIR R4 resources SCR Desk reads or the sandbox writes. Field names
// follow FHIR R4 JSON (https://hl7.org/fhir/R4/json.html). Unknown fields are ignored.

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Meta is a FHIR Meta.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Security    []Coding `json:"security,omitempty"`
}

// HumanName is a FHIR HumanName.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
	Period *Period  `json:"period,omitempty"`
}

// Period is a FHIR Period: start and end dates or dateTimes, either may be absent.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Address is a FHIR Address.
type Address struct {
	Use        string   `json:"use,omitempty"`
	Line       []string `json:"line,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Period     *Period  `json:"period,omitempty"`
}

// ContactPoint is a FHIR ContactPoint.
type ContactPoint struct {
	System string  `json:"system,omitempty"`
	Value  string  `json:"value,omitempty"`
	Use    string  `json:"use,omitempty"`
	Period *Period `json:"period,omitempty"`
}

// PatientResource is a FHIR R4 Patient as PDS returns it.
type PatientResource struct {
	ResourceType        string         `json:"resourceType"`
	ID                  string         `json:"id,omitempty"`
	Identifier          []Identifier   `json:"identifier,omitempty"`
	Meta                *Meta          `json:"meta,omitempty"`
	Name                []HumanName    `json:"name,omitempty"`
	Gender              string         `json:"gender,omitempty"`
	BirthDate           string         `json:"birthDate,omitempty"`
	DeceasedDateTime    string         `json:"deceasedDateTime,omitempty"`
	DeceasedBoolean     *bool          `json:"deceasedBoolean,omitempty"`
	Address             []Address      `json:"address,omitempty"`
	Telecom             []ContactPoint `json:"telecom,omitempty"`
	GeneralPractitioner []Reference    `json:"generalPractitioner,omitempty"`
}

// Bundle is a FHIR R4 Bundle; entries keep their resources raw until their type is known.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Type         string        `json:"type,omitempty"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry is one Bundle.entry.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Search   *EntrySearch    `json:"search,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
}

// EntrySearch is Bundle.entry.search.
type EntrySearch struct {
	Mode  string   `json:"mode,omitempty"`
	Score *float64 `json:"score,omitempty"`
}

// DocumentReferenceResource is a FHIR R4 DocumentReference as the SCR API returns it.
type DocumentReferenceResource struct {
	ResourceType     string            `json:"resourceType"`
	ID               string            `json:"id,omitempty"`
	MasterIdentifier *Identifier       `json:"masterIdentifier,omitempty"`
	Status           string            `json:"status,omitempty"`
	Type             *CodeableConcept  `json:"type,omitempty"`
	Subject          *Reference        `json:"subject,omitempty"`
	Date             string            `json:"date,omitempty"`
	Author           []Reference       `json:"author,omitempty"`
	SecurityLabel    []CodeableConcept `json:"securityLabel,omitempty"`
	Content          []DocContent      `json:"content,omitempty"`
}

// DocContent is DocumentReference.content.
type DocContent struct {
	Attachment struct {
		URL string `json:"url,omitempty"`
	} `json:"attachment"`
}

// CompositionResource is a FHIR R4 Composition (the SCR GP Summary).
type CompositionResource struct {
	ResourceType string               `json:"resourceType"`
	ID           string               `json:"id,omitempty"`
	Identifier   *Identifier          `json:"identifier,omitempty"`
	Status       string               `json:"status,omitempty"`
	Type         *CodeableConcept     `json:"type,omitempty"`
	Subject      *Reference           `json:"subject,omitempty"`
	Date         string               `json:"date,omitempty"`
	Author       []Reference          `json:"author,omitempty"`
	Title        string               `json:"title,omitempty"`
	Section      []CompositionSection `json:"section,omitempty"`
}

// CompositionSection is Composition.section.
type CompositionSection struct {
	Title string           `json:"title,omitempty"`
	Code  *CodeableConcept `json:"code,omitempty"`
	Text  *Narrative       `json:"text,omitempty"`
	Entry []Reference      `json:"entry,omitempty"`
}

// Narrative is a FHIR Narrative: Div is XHTML.
type Narrative struct {
	Status string `json:"status,omitempty"`
	Div    string `json:"div,omitempty"`
}

// OperationOutcome is a FHIR R4 OperationOutcome.
type OperationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []OutcomeIssue `json:"issue"`
}

// OutcomeIssue is OperationOutcome.issue. Diagnostics may hold patient data: never log it.
type OutcomeIssue struct {
	Severity    string           `json:"severity,omitempty"`
	Code        string           `json:"code,omitempty"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

// Code systems and identifier systems used by the NHS APIs.
const (
	SystemNHSNumber       = "https://fhir.nhs.uk/Id/nhs-number"
	SystemODS             = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemSCRUUID         = "https://fhir.nhs.uk/Id/nhsSCRUUID"
	SystemACSPermission   = "https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	SystemSpineError      = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"
)

type resourceHead struct {
	ResourceType string `json:"resourceType"`
}
