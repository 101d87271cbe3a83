package auditcli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"scrdesk/internal/audit"
)

// The FHIR export (--format fhir) writes one FHIR R4 Bundle (type batch, so a FHIR server
// takes it with POST /) of AuditEvent resources following IHE Basic Audit Log Patterns (BALP):
// the patient as an entity with the NHS number identifier, the user as the requesting agent
// with their SDS user id and role profile, the workstation as the source (its ODS code as the
// site), and the local row ("<log instance>:<seq>") as a meta tag. Resources are streamed: the
// memory used stays flat however many rows are exported.

// FHIR systems used by the export.
const (
	SystemNHSNumber  = "https://fhir.nhs.uk/Id/nhs-number"
	SystemSDSUser    = "https://fhir.nhs.uk/Id/sds-user-id"
	SystemSDSRole    = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	SystemSDSJobRole = "https://fhir.nhs.uk/CodeSystem/NHSDigital-SDS-JobRoleCode"
	SystemODS        = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemLocalRow   = "https://scrdesk.example/CodeSystem/audit-row"
	SystemEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	SystemObjectRole = "http://terminology.hl7.org/CodeSystem/object-role"
	SystemSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type"
	SystemPartType   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	balpProfile      = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
)

type fCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type fConcept struct {
	Coding []fCoding `json:"coding,omitempty"`
	Text   string    `json:"text,omitempty"`
}

type fIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type fRef struct {
	Identifier *fIdentifier `json:"identifier,omitempty"`
	Display    string       `json:"display,omitempty"`
}

type fAgent struct {
	Type      *fConcept  `json:"type,omitempty"`
	Who       *fRef      `json:"who,omitempty"`
	Role      []fConcept `json:"role,omitempty"`
	Requestor bool       `json:"requestor"`
}

type fSource struct {
	Site     string    `json:"site,omitempty"`
	Observer fRef      `json:"observer"`
	Type     []fCoding `json:"type,omitempty"`
}

type fDetail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

type fEntity struct {
	What   *fRef     `json:"what,omitempty"`
	Type   *fCoding  `json:"type,omitempty"`
	Role   *fCoding  `json:"role,omitempty"`
	Detail []fDetail `json:"detail,omitempty"`
}

type fMeta struct {
	Profile []string  `json:"profile,omitempty"`
	Tag     []fCoding `json:"tag"`
}

// FHIRAuditEvent is the AuditEvent written for one row.
type FHIRAuditEvent struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Meta         fMeta     `json:"meta"`
	Type         fCoding   `json:"type"`
	Subtype      []fCoding `json:"subtype,omitempty"`
	Action       string    `json:"action,omitempty"`
	Recorded     string    `json:"recorded"`
	Outcome      string    `json:"outcome"`
	OutcomeDesc  string    `json:"outcomeDesc,omitempty"`
	Agent        []fAgent  `json:"agent"`
	Source       fSource   `json:"source"`
	Entity       []fEntity `json:"entity,omitempty"`
}

// ToFHIR maps one entry of log instance inst to its BALP AuditEvent.
func ToFHIR(inst string, e audit.Entry) FHIRAuditEvent {
	info, _ := e.Action.Info()
	ev := FHIRAuditEvent{ResourceType: "AuditEvent", ID: e.ID,
		Meta: fMeta{Tag: []fCoding{{System: SystemLocalRow, Code: inst + ":" + strconv.FormatInt(e.Seq, 10),
			Display: "row " + strconv.FormatInt(e.Seq, 10) + " of the workstation's audit log"}}},
		Type:     fCoding{info.Type.System, info.Type.Code, info.Type.Display},
		Subtype:  []fCoding{{info.Subtype.System, info.Subtype.Code, info.Subtype.Display}},
		Action:   info.Code,
		Recorded: e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		Outcome:  e.Outcome.FHIRCode(),
		Source: fSource{Site: e.ODSCode, Observer: fRef{Display: e.Workstation},
			Type: []fCoding{{System: SystemSourceType, Code: "1", Display: "End-user Interface"}}},
	}
	if e.ODSCode != "" {
		ev.Source.Observer.Identifier = &fIdentifier{System: SystemODS, Value: e.ODSCode}
	}
	switch {
	case e.Action == audit.ActionLogin:
		ev.Meta.Profile = []string{balpProfile + "IHE.BasicAudit.Login"}
	case e.Action == audit.ActionLogout:
		ev.Meta.Profile = []string{balpProfile + "IHE.BasicAudit.Logout"}
	case info.Patient && info.Code == "R":
		ev.Meta.Profile = []string{balpProfile + "IHE.BasicAudit.PatientRead"}
	case e.Action == audit.ActionPatientSearch:
		ev.Meta.Profile = []string{balpProfile + "IHE.BasicAudit.PatientQuery"}
	}
	if e.Reason != "" {
		ev.OutcomeDesc = e.Reason
	}
	user := fAgent{Requestor: true,
		Type: &fConcept{Coding: []fCoding{{System: SystemPartType, Code: "IRCP", Display: "information recipient"}}}}
	if e.UserID != "" || e.UserName != "" {
		user.Who = &fRef{Display: e.UserName}
		if e.UserID != "" {
			user.Who.Identifier = &fIdentifier{System: SystemSDSUser, Value: e.UserID}
		}
	}
	if e.URID != "" || e.RoleCode != "" {
		r := fConcept{Text: e.RoleCode}
		if e.URID != "" {
			r.Coding = []fCoding{{System: SystemSDSRole, Code: e.URID}}
		}
		user.Role = []fConcept{r}
	}
	ev.Agent = []fAgent{user,
		{Requestor: false, Who: &fRef{Display: "SCR Desk on " + e.Workstation},
			Type: &fConcept{Coding: []fCoding{{System: "http://dicom.nema.org/resources/ontology/DCM", Code: "110153", Display: "Source Role ID"}}}}}
	if e.NHSNumber != "" {
		ev.Entity = append(ev.Entity, fEntity{
			What: &fRef{Identifier: &fIdentifier{System: SystemNHSNumber, Value: e.NHSNumber}},
			Type: &fCoding{System: SystemEntityType, Code: "1", Display: "Person"},
			Role: &fCoding{System: SystemObjectRole, Code: "1", Display: "Patient"}})
	}
	if len(e.RequestIDs) > 0 {
		d := fEntity{Type: &fCoding{System: SystemEntityType, Code: "2", Display: "System Object"}}
		for _, id := range e.RequestIDs {
			d.Detail = append(d.Detail, fDetail{Type: "X-Request-ID", ValueString: id})
		}
		ev.Entity = append(ev.Entity, d)
	}
	return ev
}

type fhirEntry struct {
	FullURL  string         `json:"fullUrl"`
	Resource FHIRAuditEvent `json:"resource"`
	Request  struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"request"`
}

// writeFHIR streams the Bundle.
func writeFHIR(ctx context.Context, w io.Writer, db Log, f audit.Filter) (int64, error) {
	inst := ""
	if i, ok := db.(interface{ InstanceID() string }); ok {
		inst = i.InstanceID()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	head, _ := json.Marshal(map[string]string{"resourceType": "Bundle", "type": "batch",
		"timestamp": time.Now().UTC().Format(time.RFC3339)})
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"entry":[`)
	var n int64
	err := db.Each(ctx, f, func(e audit.Entry) error {
		var en fhirEntry
		en.FullURL = "urn:uuid:" + e.ID
		en.Resource = ToFHIR(inst, e)
		en.Request.Method, en.Request.URL = "POST", "AuditEvent"
		b, err := json.Marshal(en)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(b)
		n++
		return nil
	})
	bw.WriteString("\n]}\n")
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}
