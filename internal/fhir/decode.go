package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Hidden-field statements (Patient.Hidden), plain English.
const (
	HiddenAddress   = "Address withheld: the patient's record is restricted."
	HiddenPhone     = "Telephone withheld: the patient's record is restricted."
	HiddenGP        = "GP practice withheld: the patient's record is restricted."
	HiddenBirthDate = "Date of birth withheld: the patient's record is very restricted."
)

func malformed(err error) *SpineError {
	return &SpineError{Kind: Malformed, Err: errors.New("decode: " + jsonErrSafe(err))}
}

// jsonErrSafe keeps the shape of a JSON error but not the content it quotes.
func jsonErrSafe(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "unexpected type at " + te.Field
	}
	if err.Error() == "unexpected end of JSON input" {
		return "truncated JSON"
	}
	return "unreadable"
}

// outcomeIn returns the error an OperationOutcome body stands for, if body is one.
func outcomeIn(body []byte, head string) *SpineError {
	if head != "OperationOutcome" {
		return nil
	}
	if e := OutcomeError(200, body); e != nil {
		e.HTTPStatus = 0
		return e
	}
	return &SpineError{Kind: Malformed, Err: errors.New("decode: unexpected OperationOutcome")}
}

// bundleOf decodes body once as a Bundle, or returns the error an OperationOutcome stands for.
func bundleOf(body []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, malformed(err)
	}
	if e := outcomeIn(body, b.ResourceType); e != nil {
		return nil, e
	}
	if b.ResourceType != "Bundle" {
		return nil, &SpineError{Kind: Malformed, Err: errors.New("decode: not a Bundle")}
	}
	return &b, nil
}

func head(body []byte) (string, error) {
	var h resourceHead
	if err := json.Unmarshal(body, &h); err != nil {
		return "", err
	}
	return h.ResourceType, nil
}

// DecodePatient decodes a PDS GET /Patient/{id} answer. requested is the NHS number asked for:
// when the answer's number differs, the record was merged (Patient.Merged reports it). Names,
// addresses and telephones whose period has ended by now are not taken as current.
func DecodePatient(body []byte, requested string) (*Patient, error) {
	return DecodePatientAt(body, requested, time.Now())
}

// DecodePatientAt is DecodePatient with the time that decides which names, addresses and
// telephones are current.
func DecodePatientAt(body []byte, requested string, now time.Time) (*Patient, error) {
	h, err := head(body)
	if err != nil {
		return nil, malformed(err)
	}
	if e := outcomeIn(body, h); e != nil {
		return nil, e
	}
	if h != "Patient" {
		return nil, &SpineError{Kind: Malformed, Err: errors.New("decode: not a Patient")}
	}
	var r PatientResource
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	p := PatientFromResourceAt(&r, now)
	if !tenDigits(p.NHSNumber) {
		return nil, &SpineError{Kind: Malformed, Err: errors.New("decode: Patient without a ten-digit NHS number")}
	}
	p.RequestedNHSNumber = requested
	if requested == "" {
		p.RequestedNHSNumber = p.NHSNumber
	}
	return p, nil
}

// DecodePatientSearch decodes a PDS GET /Patient?... answer: a searchset Bundle of Patients, or
// an OperationOutcome (TOO_MANY_MATCHES comes back as 200 with one). An empty result is an empty
// slice, not an error.
func DecodePatientSearch(body []byte) ([]Patient, error) {
	b, err := bundleOf(body)
	if err != nil {
		return nil, err
	}
	out := []Patient{}
	for _, e := range b.Entry {
		var r PatientResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			if rh, herr := head(e.Resource); herr != nil || rh == "Patient" {
				return nil, malformed(err)
			}
			continue
		}
		if r.ResourceType != "Patient" {
			continue
		}
		p := PatientFromResource(&r)
		p.RequestedNHSNumber = p.NHSNumber
		out = append(out, *p)
	}
	return out, nil
}

// PatientFromResource converts a wire Patient, applying its restriction: fields a restriction
// hides are cleared even if present, and named in Hidden. Only names, addresses and telephones
// current at the time of the call are shown (PatientFromResourceAt).
func PatientFromResource(r *PatientResource) *Patient {
	return PatientFromResourceAt(r, time.Now())
}

// current reports whether a period includes the day of now: no start or a start on or before
// it, and no end or an end on or after it. A period that cannot be read counts as current, so
// nothing is hidden on a guess.
func current(pd *Period, now time.Time) bool {
	if pd == nil {
		return true
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if t, _, ok := ParseDateTime(pd.Start); ok && time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).After(day) {
		return false
	}
	if t, _, ok := ParseDateTime(pd.End); ok && time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Before(day) {
		return false
	}
	return true
}

// PatientFromResourceAt is PatientFromResource with the time that decides what is current.
func PatientFromResourceAt(r *PatientResource, now time.Time) *Patient {
	p := &Patient{}
	for _, id := range r.Identifier {
		if id.System == SystemNHSNumber && id.Value != "" {
			p.NHSNumber = id.Value
			break
		}
	}
	if p.NHSNumber == "" && len(r.ID) == 10 {
		p.NHSNumber = r.ID
	}
	if n := pickName(r.Name, now); n != nil {
		p.FamilyName = n.Family
		p.GivenNames = strings.Join(n.Given, " ")
		p.Prefix = strings.Join(n.Prefix, " ")
		p.Name = collapse(strings.Join([]string{p.Prefix, p.GivenNames, p.FamilyName}, " "))
		if p.Name == "" {
			p.Name = collapse(n.Text)
		}
	}
	p.Gender = r.Gender
	p.BirthDate = r.BirthDate
	if r.DeceasedDateTime != "" {
		p.Deceased = true
		p.DeceasedDate = r.DeceasedDateTime
		if len(p.DeceasedDate) > 10 {
			p.DeceasedDate = p.DeceasedDate[:10]
		}
	} else if r.DeceasedBoolean != nil && *r.DeceasedBoolean {
		p.Deceased = true
	}
	if a := pickAddress(r.Address, now); a != nil {
		p.Address = append([]string(nil), a.Line...)
		p.Postcode = a.PostalCode
	} else if len(r.Address) > 0 {
		p.NoCurrentAddress = true
	}
	if len(r.Name) > 0 && pickName(r.Name, now) == nil {
		// No current name: the latest one is kept to tell the patient apart, marked as ended.
		p.NoCurrentName = true
		n := latestName(r.Name)
		p.FamilyName = n.Family
		p.GivenNames = strings.Join(n.Given, " ")
		p.Prefix = strings.Join(n.Prefix, " ")
		p.Name = collapse(strings.Join([]string{p.Prefix, p.GivenNames, p.FamilyName}, " "))
		if p.Name == "" {
			p.Name = collapse(n.Text)
		}
		if n.Period != nil {
			p.NameEnded = n.Period.End
		}
	}
	phones := 0
	for _, t := range r.Telecom {
		if t.System == "phone" && t.Value != "" {
			phones++
			if current(t.Period, now) {
				p.Phone = t.Value
				break
			}
		}
	}
	p.NoCurrentPhone = phones > 0 && p.Phone == ""
	for _, gp := range r.GeneralPractitioner {
		var parts []string
		if gp.Display != "" {
			parts = append(parts, gp.Display)
		}
		if gp.Identifier != nil && gp.Identifier.Value != "" {
			parts = append(parts, gp.Identifier.Value)
		}
		if len(parts) > 0 {
			p.GP = strings.Join(parts, ", ")
			break
		}
	}
	if r.Meta != nil {
		for _, s := range r.Meta.Security {
			switch s.Code {
			case "R":
				if p.Restriction < Restricted {
					p.Restriction = Restricted
				}
			case "V":
				p.Restriction = VeryRestricted
			}
		}
	}
	if p.Restriction >= Restricted {
		p.Address, p.Postcode, p.Phone, p.GP = nil, "", "", ""
		p.Hidden = append(p.Hidden, HiddenAddress, HiddenPhone, HiddenGP)
	}
	if p.Restriction == VeryRestricted {
		p.BirthDate = ""
		p.Hidden = append(p.Hidden, HiddenBirthDate)
	}
	return p
}

// pickName chooses the current name to show: usual, then official, then any other current
// name except an old or maiden one; nil when none is current.
func pickName(ns []HumanName, now time.Time) *HumanName {
	for _, use := range []string{"usual", "official", ""} {
		for i := range ns {
			if !current(ns[i].Period, now) || ns[i].Use == "old" || ns[i].Use == "maiden" {
				continue
			}
			if use == "" || ns[i].Use == use {
				return &ns[i]
			}
		}
	}
	return nil
}

// latestName is the name whose period ended last (the first, when none says).
func latestName(ns []HumanName) *HumanName {
	best := &ns[0]
	var bestEnd time.Time
	for i := range ns {
		if ns[i].Period == nil {
			continue
		}
		if t, _, ok := ParseDateTime(ns[i].Period.End); ok && t.After(bestEnd) {
			best, bestEnd = &ns[i], t
		}
	}
	return best
}

// pickAddress chooses the current address to show: home first, never an old one; nil when
// none is current.
func pickAddress(as []Address, now time.Time) *Address {
	for _, home := range []bool{true, false} {
		for i := range as {
			if !current(as[i].Period, now) || as[i].Use == "old" {
				continue
			}
			if !home || as[i].Use == "home" {
				return &as[i]
			}
		}
	}
	return nil
}

// DecodeDocumentReference decodes an SCR GET /DocumentReference answer (a searchset Bundle).
// It returns nil, nil when the patient has no SCR (an empty Bundle), and a *SpineError for an
// OperationOutcome (e.g. 420 / PSIS-30418, access refused).
func DecodeDocumentReference(body []byte) (*SCRDocument, error) {
	b, err := bundleOf(body)
	if err != nil {
		return nil, err
	}
	idx, _ := indexPatients(b.Entry)
	var best *SCRDocument
	for _, e := range b.Entry {
		if rh, err := head(e.Resource); err != nil || rh != "DocumentReference" {
			continue
		}
		var r DocumentReferenceResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			return nil, malformed(err)
		}
		if r.MasterIdentifier == nil || r.MasterIdentifier.Value == "" {
			return nil, &SpineError{Kind: Malformed, Err: errors.New("decode: DocumentReference without masterIdentifier")}
		}
		d := &SCRDocument{ID: r.MasterIdentifier.Value, Created: parseTime(r.Date), Subject: subjectNHS(r.Subject, idx)}
		for _, l := range r.SecurityLabel {
			for _, c := range l.Coding {
				if c.System != SystemACSPermission {
					continue
				}
				// Contradictory labels fail closed: any No wins, then Ask over the legacy Yes,
				// whatever order the codings come in.
				var got Consent
				switch c.Code {
				case "Ask":
					got = ConsentAsk
				case "Yes":
					got = ConsentYes
				case "No":
					got = ConsentNo
				default:
					continue
				}
				if consentRank(got) > consentRank(d.Consent) {
					d.Consent = got
				}
			}
		}
		for _, a := range r.Author {
			if a.Display != "" {
				d.Author = a.Display
				break
			}
		}
		if best == nil || d.Created.After(best.Created) {
			best = d
		}
	}
	return best, nil
}

// consentRank orders consent labels by how much they restrict viewing: No (opted out) over
// Ask over the legacy Yes over none.
func consentRank(c Consent) int {
	switch c {
	case ConsentNo:
		return 3
	case ConsentAsk:
		return 2
	case ConsentYes:
		return 1
	}
	return 0
}

// DecodeRecord decodes an SCR GET /Bundle answer into a Record. An empty Bundle (a stale
// composition id) is a *SpineError of kind NotFound with code NO_RECORD_FOUND.
func DecodeRecord(body []byte) (*Record, error) {
	b, err := bundleOf(body)
	if err != nil {
		return nil, err
	}
	for _, e := range b.Entry {
		if !bytes.Contains(e.Resource, []byte(`"Composition"`)) {
			continue // cheap skip of the other resources
		}
		var c CompositionResource
		if err := json.Unmarshal(e.Resource, &c); err != nil {
			if rh, herr := head(e.Resource); herr != nil || rh == "Composition" {
				return nil, malformed(err)
			}
			continue
		}
		if c.ResourceType != "Composition" {
			continue
		}
		rec := RecordFromComposition(&c)
		idx, numbers := indexPatients(b.Entry)
		rec.Subject, rec.Patients = subjectNHS(c.Subject, idx), numbers
		return rec, nil
	}
	return nil, &SpineError{Kind: NotFound, Code: "NO_RECORD_FOUND"}
}

// RecordFromComposition converts a wire Composition, parsing each section's XHTML.
func RecordFromComposition(c *CompositionResource) *Record {
	rec := &Record{ID: c.ID, Created: parseTime(c.Date), CreatedText: c.Date}
	if c.Identifier != nil && c.Identifier.Value != "" {
		rec.ID = c.Identifier.Value
	}
	coded := 0
	for _, s := range c.Section {
		sec := Section{Title: collapse(s.Title)}
		if s.Code != nil && len(s.Code.Coding) > 0 {
			sec.Code = s.Code.Coding[0].Code
			coded++
		}
		if s.Text != nil {
			p := sectionParser{}
			p.run(s.Text.Div)
			sec.Tables, sec.Text = p.tables, p.text
			for _, para := range p.paras {
				if para.id == "Practice" && rec.Practice == "" {
					rec.Practice = para.text
				}
			}
		}
		rec.Sections = append(rec.Sections, sec)
	}
	if c.Type != nil {
		for _, t := range c.Type.Coding {
			if strings.Contains(strings.ToLower(t.Display), "initial summary") {
				rec.InitialSummary = true
			}
		}
	}
	if len(c.Section) > 0 && coded == 0 {
		rec.InitialSummary = true
	}
	return rec
}

func tenDigits(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
