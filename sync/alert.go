package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
)

// Alert types (SCR-AlertType) and reason subtypes (SCR-AlertReason), SCR FHIR API.
const (
	AlertSelfClaimedLR = 1 // self-claimed legitimate relationship
	AlertEmergency     = 2 // access (emergency) alert
)

var alertTypeDisplay = map[int]string{1: "Create LR (Self Claimed)", 2: "Access Alert"}

// Alert is a privacy alert for the organisation's SCR Governance Person.
type Alert struct {
	Type, Subtype int // 1-2 and 1-6; (1,5), (2,4), (2,6) are refused
	NHSNumber     string
	ODS           string // the pharmacy's ODS code
	UserID        string // 12-digit user id
	URID          string
	RoleCode      string
	Message       string
	When          time.Time
}

// Validate checks the alert as the SCR API will, so a bad one never leaves the desk.
func (a Alert) Validate() error {
	switch {
	case a.Type != AlertSelfClaimedLR && a.Type != AlertEmergency:
		return fmt.Errorf("alert: type %d is not 1 or 2", a.Type)
	case a.Subtype < 1 || a.Subtype > 6:
		return fmt.Errorf("alert: subtype %d is not 1-6", a.Subtype)
	case fhir.ForbiddenAlertPair(strconv.Itoa(a.Type), strconv.Itoa(a.Subtype)):
		return fmt.Errorf("alert: type %d with subtype %d is not allowed", a.Type, a.Subtype)
	case !nhsnumber.Valid(a.NHSNumber):
		return fmt.Errorf("alert: invalid NHS number")
	case a.ODS == "" || a.UserID == "":
		return fmt.Errorf("alert: ODS code and user id are required")
	case a.When.IsZero():
		return fmt.Errorf("alert: no time")
	}
	return nil
}

// auditEvent builds the AuditEvent body (SCR FHIR API, POST /AuditEvent).
func (a Alert) auditEvent() fhir.AuditEventResource {
	ident := func(sys, v string) *fhir.Reference {
		return &fhir.Reference{Identifier: &fhir.Identifier{System: sys, Value: v}}
	}
	ev := fhir.AuditEventResource{
		ResourceType: "AuditEvent",
		Extension:    []fhir.Extension{{URL: fhir.ExtNotification, ValueString: a.Message}},
		Type:         fhir.Coding{System: fhir.SystemAlertType, Code: strconv.Itoa(a.Type), Display: alertTypeDisplay[a.Type]},
		Subtype:      []fhir.Coding{{System: fhir.SystemAlertReason, Code: strconv.Itoa(a.Subtype)}},
		OutcomeDesc:  a.Message,
		Recorded:     a.When.UTC().Format(time.RFC3339),
		Agent: []fhir.AuditAgent{
			{Who: ident(fhir.SystemNHSNumber, a.NHSNumber)},
			{Who: ident(fhir.SystemODS, a.ODS)},
			{Who: ident(fhir.SystemSDSUserID, a.UserID), Role: []fhir.CodeableConcept{{Text: a.RoleCode}}},
		},
	}
	if a.URID != "" {
		ev.Agent = append(ev.Agent, fhir.AuditAgent{Who: ident(fhir.SystemSDSRoleID, a.URID)})
	}
	return ev
}

// SendAlert posts a privacy alert (POST /AuditEvent). requestID, when not empty, is sent as
// X-Request-ID so an outbox resending the same alert reuses its id; empty means a fresh one.
// A POST is never retried here: the outbox decides.
func (s *Session) SendAlert(ctx context.Context, a Alert, requestID string) (Trace, error) {
	var tr Trace
	if err := a.Validate(); err != nil {
		return tr, &fhir.SpineError{Kind: fhir.BadRequest, Code: "LOCAL_CHECK", Err: err}
	}
	body, err := json.Marshal(a.auditEvent())
	if err != nil {
		return tr, fmt.Errorf("alert: %w", err)
	}
	cl, err := s.fhirCall("POST", SCRPath, "/AuditEvent", "AuditEvent", nil)
	if err != nil {
		return tr, err
	}
	cl.body, cl.ctype, cl.requestID, cl.read = body, "application/fhir+json", requestID, false
	_, _, err = s.c.do(ctx, cl, &tr)
	return tr, s.check(err)
}
