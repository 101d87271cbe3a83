package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Systems used by the SCR privacy alert (POST /AuditEvent, SCR FHIR API).
const (
	SystemAlertType   = "https://fhir.nhs.uk/CodeSystem/SCR-AlertType"
	SystemAlertReason = "https://fhir.nhs.uk/CodeSystem/SCR-AlertReason"
	SystemSDSUserID   = "https://fhir.nhs.uk/Id/sds-user-id"
	SystemSDSRoleID   = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	ExtNotification   = "https://fhir.nhs.uk/StructureDefinition/Extension-SCR-NotificationMessage"
)

// AuditEventResource is the FHIR R4 AuditEvent the SCR API takes as a privacy alert.
type AuditEventResource struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Extension    []Extension   `json:"extension,omitempty"`
	Type         Coding        `json:"type"`
	Subtype      []Coding      `json:"subtype,omitempty"`
	OutcomeDesc  string        `json:"outcomeDesc,omitempty"`
	Recorded     string        `json:"recorded,omitempty"`
	Agent        []AuditAgent  `json:"agent"`
	Source       *AuditSource  `json:"source,omitempty"`
	Entity       []AuditEntity `json:"entity,omitempty"`
}

// Extension is a FHIR Extension with a string value.
type Extension struct {
	URL         string `json:"url"`
	ValueString string `json:"valueString,omitempty"`
}

// AuditAgent is AuditEvent.agent.
type AuditAgent struct {
	Who       *Reference        `json:"who,omitempty"`
	Role      []CodeableConcept `json:"role,omitempty"`
	Requestor bool              `json:"requestor"`
}

// AuditSource is AuditEvent.source.
type AuditSource struct {
	Observer Reference `json:"observer"`
}

// AuditEntity is AuditEvent.entity.
type AuditEntity struct {
	What *Reference `json:"what,omitempty"`
}

// ForbiddenAlertPair reports whether an alert type and reason subtype may not be sent together:
// (1,5), (2,4) and (2,6) are refused by the SCR API.
func ForbiddenAlertPair(typ, subtype string) bool {
	switch typ + "," + subtype {
	case "1,5", "2,4", "2,6":
		return true
	}
	return false
}

// DecodeAuditEvent decodes and checks a privacy alert as the SCR API does: type 1 or 2, one
// subtype 1-6 not in a forbidden pair, exactly one NHS number agent with a value, exactly one
// ODS organisation agent, and a user agent. A failure is a *SpineError of kind BadRequest.
func DecodeAuditEvent(body []byte) (*AuditEventResource, error) {
	var a AuditEventResource
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, malformed(err)
	}
	bad := func(code, why string) error {
		return &SpineError{Kind: BadRequest, Code: code, Err: errors.New("audit event: " + why)}
	}
	if a.ResourceType != "AuditEvent" {
		return nil, bad("INVALID_RESOURCE", "not an AuditEvent")
	}
	if a.Type.Code != "1" && a.Type.Code != "2" {
		return nil, bad("INVALID_VALUE", "alert type must be 1 or 2")
	}
	if len(a.Subtype) != 1 || len(a.Subtype[0].Code) != 1 || a.Subtype[0].Code < "1" || a.Subtype[0].Code > "6" {
		return nil, bad("INVALID_VALUE", "one alert subtype 1-6 is required")
	}
	if ForbiddenAlertPair(a.Type.Code, a.Subtype[0].Code) {
		return nil, bad("INVALID_VALUE", fmt.Sprintf("type %s with subtype %s is not allowed", a.Type.Code, a.Subtype[0].Code))
	}
	count := map[string]int{}
	for _, ag := range a.Agent {
		if ag.Who == nil || ag.Who.Identifier == nil {
			continue
		}
		if ag.Who.Identifier.Value == "" {
			continue
		}
		count[ag.Who.Identifier.System]++
	}
	if count[SystemNHSNumber] != 1 {
		return nil, bad("MISSING_VALUE", "missing 'agent' entry with nhs-number and non-empty value")
	}
	if count[SystemODS] != 1 {
		return nil, bad("INVALID_VALUE", "exactly one ods-organization-code agent is required")
	}
	if count[SystemSDSUserID] == 0 {
		return nil, bad("MISSING_VALUE", "missing sds-user-id agent")
	}
	return &a, nil
}

// AlertNHSNumber returns the NHS number an alert names.
func (a *AuditEventResource) AlertNHSNumber() string {
	for _, ag := range a.Agent {
		if ag.Who != nil && ag.Who.Identifier != nil && ag.Who.Identifier.System == SystemNHSNumber {
			return ag.Who.Identifier.Value
		}
	}
	return ""
}
