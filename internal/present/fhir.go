package present

import (
	"errors"
	"strings"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/nhsnumber"
)

// PatientName shows a name in the NHS Common User Interface style: family name in capitals,
// then given names, then the title in brackets ("SMITH, Jane (Mrs)"). Without a family name it
// falls back to the display name.
func PatientName(p *fhir.Patient) string {
	if p == nil {
		return ""
	}
	if strings.TrimSpace(p.FamilyName) == "" {
		if n := strings.TrimSpace(p.Name); n != "" {
			return n
		}
		return "Name not known"
	}
	s := strings.ToUpper(strings.TrimSpace(p.FamilyName))
	if g := strings.TrimSpace(p.GivenNames); g != "" {
		s += ", " + g
	}
	if t := strings.TrimSpace(p.Prefix); t != "" {
		s += " (" + t + ")"
	}
	return s
}

// Gender shows a FHIR administrative gender: "Female", "Male", "Other", "Unknown"; empty stays
// "Not known".
func Gender(g string) string {
	switch strings.ToLower(strings.TrimSpace(g)) {
	case "female":
		return "Female"
	case "male":
		return "Male"
	case "other":
		return "Other"
	case "unknown":
		return "Unknown"
	case "":
		return "Not known"
	}
	return g
}

// Address joins address lines and postcode on one line.
func Address(lines []string, postcode string) string {
	var parts []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if pc := strings.TrimSpace(postcode); pc != "" {
		parts = append(parts, pc)
	}
	return strings.Join(parts, ", ")
}

// restrictedText says what a restricted record hides and why (docs/domain.md rule 7).
func restrictedText(p *fhir.Patient) string {
	if len(p.Hidden) > 0 {
		return strings.Join(p.Hidden, " ")
	}
	switch p.Restriction {
	case fhir.VeryRestricted:
		return "Very restricted record: the address, telephone, GP practice and date of birth are not shown to protect the patient."
	case fhir.Restricted:
		return "Restricted record: the address, telephone and GP practice are not shown to protect the patient."
	}
	return ""
}

// Banner builds the patient banner from a demographics record; now gives the age.
func Banner(p *fhir.Patient, now time.Time) BannerView {
	if p == nil {
		return BannerView{}
	}
	v := BannerView{
		Name:      PatientName(p),
		NHS:       FormatNHS(p.NHSNumber),
		BirthDate: BirthAndAge(p.BirthDate, now),
		Gender:    Gender(p.Gender),
		Address:   Address(p.Address, p.Postcode),
		GP:        strings.TrimSpace(p.GP),
		Phone:     strings.TrimSpace(p.Phone),
		Test:      nhsnumber.IsTest(p.NHSNumber),
	}
	if p.Restriction != fhir.None {
		v.Restricted = true
		v.RestrictedText = restrictedText(p)
		v.Address, v.GP, v.Phone = "", "", ""
		if p.Restriction == fhir.VeryRestricted && p.BirthDate == "" {
			v.BirthDate = ""
		}
	}
	if v.BirthDate == "" && !v.Restricted {
		v.BirthDate = "Not known"
	}
	if p.Deceased {
		v.Deceased = true
		v.DeceasedText = "Deceased"
		if d := FHIRDate(p.DeceasedDate, nil); d != "" {
			if t, prec, err := ParseFHIRDate(p.DeceasedDate); err == nil && prec == 4 {
				d = FormatDate(t)
			}
			v.DeceasedText += " " + d
		}
	}
	if p.Merged() {
		v.Merged = true
		v.MergedText = "NHS number " + FormatNHS(p.RequestedNHSNumber) + " was replaced by " +
			FormatNHS(p.NHSNumber) + ". Use the new number from now on."
	}
	return v
}

// Match builds one line of search results.
func Match(p *fhir.Patient, now time.Time) MatchView {
	b := Banner(p, now)
	m := MatchView{Name: b.Name, NHS: b.NHS, BirthDate: b.BirthDate, Gender: b.Gender, Address: b.Address}
	if b.Restricted {
		m.Address = "Address not shown (restricted record)"
		m.Flags = append(m.Flags, "Restricted")
	}
	if b.Deceased {
		m.Flags = append(m.Flags, b.DeceasedText)
	}
	if b.Merged {
		m.Flags = append(m.Flags, "Number replaced")
	}
	return m
}

// Matches builds the search results list, in the order given.
func Matches(ps []fhir.Patient, now time.Time) []MatchView {
	out := make([]MatchView, 0, len(ps))
	for i := range ps {
		out = append(out, Match(&ps[i], now))
	}
	return out
}

// ConsentStageFor gives the stage to show for the record's consent state (docs/domain.md rule 5):
// No means opted out, a nil document means no record, Ask and legacy Yes mean ask.
func ConsentStageFor(doc *fhir.SCRDocument) ConsentStage {
	if doc == nil {
		return ConsentNoRecord
	}
	if doc.Consent == fhir.ConsentNo {
		return ConsentOptedOut
	}
	return ConsentAsk
}

// The title section's paragraphs that carry the record's own facts (SCR GP Summary "Title"
// section: CreateTime, Author, Practice).
const (
	createdPrefix = "Summary Created:"
	authorPrefix  = "Created by:"
	sentPrefix    = "Summary Sent:"
)

// Record lays a Summary Care Record out for the screen: the title section's facts go to the
// header, every statement is kept as written, sections are classified and ordered with allergies
// first, and nothing is dropped: a section the viewer does not know keeps all its text. loc is
// the time zone the created time is shown in (nil: as received).
func Record(r *fhir.Record, loc *time.Location) RecordView {
	if r == nil {
		return RecordView{}
	}
	v := RecordView{Format: "GP Summary", Practice: strings.TrimSpace(r.Practice)}
	if r.InitialSummary {
		v.Format = "Initial Summary"
	}
	if !r.Created.IsZero() {
		t := r.Created
		if loc != nil {
			t = t.In(loc)
		}
		v.Created = t.Format(DateTimeLayout)
	}
	var secs []SectionView
	for _, s := range r.Sections {
		kind := ClassifySection(s.Code, s.Title)
		if kind == KindSummary {
			for _, p := range s.Text {
				switch {
				case strings.HasPrefix(p, createdPrefix):
					// The summary's own statement of when it was created wins over the
					// Composition's date, which is when the document was last assembled.
					if c := strings.TrimSpace(strings.TrimPrefix(p, createdPrefix)); c != "" {
						v.Created = c
					}
				case strings.HasPrefix(p, authorPrefix):
					v.Author = strings.TrimSpace(strings.TrimPrefix(p, authorPrefix))
				case p == v.Practice || strings.HasPrefix(p, sentPrefix):
				case v.Practice == "" && looksLikePractice(p):
					v.Practice = p
				case IsStatement(p, "", ""):
					v.Statements = append(v.Statements, p)
				default:
					v.Notes = append(v.Notes, p)
				}
			}
			for _, t := range s.Tables {
				secs = append(secs, SectionView{Title: s.Title, Kind: KindOther, Tables: []TableView{tableView(t)}})
			}
			continue
		}
		sv := SectionView{Title: strings.TrimSpace(s.Title), Kind: kind}
		if sv.Title == "" {
			sv.Title = kind.Heading()
		}
		for _, t := range s.Tables {
			sv.Tables = append(sv.Tables, tableView(t))
		}
		for _, p := range s.Text {
			if IsStatement(p, "", "") {
				sv.Statements = append(sv.Statements, p)
			} else {
				sv.Text = append(sv.Text, p)
			}
		}
		secs = append(secs, sv)
	}
	v.Sections = OrderSections(secs)
	return v
}

// looksLikePractice guesses nothing: a practice line is only taken from the title section when
// the record carries no Practice of its own and the line ends like an address (a postcode and a
// full stop), which is how the GP Summary writes it.
func looksLikePractice(p string) bool {
	return strings.HasSuffix(p, ".") && strings.Count(p, ",") >= 2 && !IsStatement(p, "", "")
}

func tableView(t fhir.Table) TableView {
	tv := TableView{Headers: append([]string(nil), t.Headers...)}
	for _, r := range t.Rows {
		tv.Rows = append(tv.Rows, append([]string(nil), r...))
	}
	return tv
}

// Message builds the in-screen failure panel for an error from the Spine link: a short title,
// what happened and what to do (fhir.UserMessage), and the incident id for IT support.
// Any error is accepted; the text never holds patient data.
func Message(err error) MessageView {
	if err == nil {
		return MessageView{}
	}
	var se *fhir.SpineError
	if !errors.As(err, &se) {
		return MessageView{Title: "Something went wrong", What: fhir.UserMessage(err)}
	}
	plain := *se
	plain.IncidentID = ""
	m := MessageView{What: fhir.UserMessage(&plain), Incident: se.IncidentID}
	switch se.Kind {
	case fhir.InvalidNHSNumber:
		m.Title = "NHS number not valid"
	case fhir.NotFound:
		m.Title = "Not found"
	case fhir.Merged:
		m.Title = "NHS number replaced"
	case fhir.AccessDenied:
		m.Title = "Access refused by the Spine"
	case fhir.TooManyMatches:
		m.Title = "Too many matches"
	case fhir.SignedOut:
		m.Title = "Signed out of the national services"
	case fhir.Unavailable:
		m.Title = "National service not available"
	case fhir.Timeout:
		m.Title = "No answer in time"
	case fhir.TooLarge:
		m.Title = "Answer too large"
	case fhir.Malformed:
		m.Title = "Answer not readable"
	case fhir.RateLimited:
		m.Title = "National service busy"
	case fhir.BadRequest:
		m.Title = "Request not accepted"
	default:
		m.Title = "Something went wrong"
	}
	return m
}
