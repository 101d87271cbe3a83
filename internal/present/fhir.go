package present

import (
	"errors"
	"strconv"
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

// Restriction tags and what each hides (docs/domain.md rule 7). The record header's practice is
// withheld with the same reason as the banner's GP field.
const (
	TagRestricted         = "Restricted"
	TagVeryRestricted     = "Very restricted"
	RestrictedHides       = "Restricted record: the address, telephone and GP practice are not shown anywhere, to protect the patient."
	VeryRestrictedHides   = "Very restricted record: the address, telephone, GP practice and date of birth are not shown anywhere, to protect the patient."
	PracticeWithheldWhy   = "GP practice withheld: the patient's record is restricted."
	EmergencyMarking      = "EMERGENCY ACCESS: this record was opened without the patient's permission. The reason is recorded and your privacy officer is alerted."
	NoCurrentAddress      = "No current address recorded"
	NoCurrentPhone        = "No current telephone recorded"
	noCurrentNamePrefix   = "No current name recorded"
	deceasedDateNotStated = "Deceased (date not recorded)"
)

// restriction gives the tag and the sentence for a restricted record.
func restriction(r fhir.Restriction) (tag, text string) {
	switch r {
	case fhir.VeryRestricted:
		return TagVeryRestricted, VeryRestrictedHides
	case fhir.Restricted:
		return TagRestricted, RestrictedHides
	}
	return "", ""
}

// Banner builds the patient banner from a demographics record; now gives the age. Only current
// names, addresses and telephones are shown as current; a deceased patient's age is their age
// at death.
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
	if p.NoCurrentName {
		v.NameNote = noCurrentNamePrefix
		if end := FHIRDate(p.NameEnded, nil); end != "" {
			v.NameNote += ": this name ended " + end
		}
	}
	if p.NoCurrentAddress && v.Address == "" {
		v.Address = NoCurrentAddress
	}
	if p.NoCurrentPhone && v.Phone == "" {
		v.Phone = NoCurrentPhone
	}
	if p.Restriction != fhir.None {
		v.Restricted = true
		v.RestrictedTag, v.RestrictedText = restriction(p.Restriction)
		v.Address, v.GP, v.Phone = "", "", ""
		if p.Restriction == fhir.VeryRestricted {
			v.BirthDate = ""
		}
	}
	if v.BirthDate == "" && !v.Restricted {
		v.BirthDate = "Not known"
	}
	if p.Deceased {
		v.Deceased = true
		v.DeceasedText = deceasedDateNotStated
		died, _, derr := ParseFHIRDate(p.DeceasedDate)
		if derr == nil {
			v.DeceasedText = "Deceased " + FormatDate(died)
		} else if strings.TrimSpace(p.DeceasedDate) != "" {
			v.DeceasedText = "Deceased " + strings.TrimSpace(p.DeceasedDate) // as written
		}
		// The age shown is the age at death, never today's.
		if birth, _, berr := ParseFHIRDate(p.BirthDate); berr == nil && v.BirthDate != "" {
			v.BirthDate = FormatDate(birth)
			if derr == nil {
				if a := Age(birth, died); a != "" {
					v.DeceasedText += ", aged " + a
				}
			}
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
		m.Flags = append(m.Flags, b.RestrictedTag)
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

// NotStated fills a record header field the record does not give.
const NotStated = "not stated in the record"

// Record lays a Summary Care Record out for the screen: the title section's facts go to the
// header, every statement is kept as written, sections are classified and ordered with allergies
// first, and nothing is dropped: a section the viewer does not know keeps all its text. The
// header always says when the summary was created and by whom (NotStated when the record does
// not), and every statement the record makes about itself is listed first. pat is the patient
// the record is about: for a restricted patient the practice's name and address are withheld
// with the banner's reason. loc is the time zone the created time is shown in (nil: as
// received).
func Record(r *fhir.Record, pat *fhir.Patient, loc *time.Location) RecordView {
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
	} else if c := strings.TrimSpace(r.CreatedText); c != "" {
		v.Created = c // a date that cannot be read is shown as written
	}
	var secs []SectionView
	for _, s := range r.Sections {
		kind := ClassifySection(s.Code, s.Title)
		if kind == KindOther && r.InitialSummary && len(s.Tables) == 0 && strings.Contains(strings.ToLower(s.Title), "summary") {
			kind = KindSummary // the Initial Summary's title section: its text is about the record
		}
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
				case IsStatement(p, "", "") || r.InitialSummary:
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
	// Every statement the record makes about itself comes first, once, as written; sections
	// keep theirs in place too.
	seen := map[string]bool{}
	for _, st := range v.Statements {
		seen[st] = true
	}
	for _, sec := range v.Sections {
		found := append([]string(nil), sec.Statements...)
		for _, t := range sec.Tables {
			for _, row := range t.Rows {
				if len(row) == 1 && len(t.Headers) > 1 && IsStatement(row[0], "", "") {
					found = append(found, row[0]) // a full-width note that is a statement
				}
			}
		}
		for _, st := range found {
			if !seen[st] {
				seen[st] = true
				v.Statements = append(v.Statements, st)
			}
		}
	}
	if v.Author == "" {
		v.Author = v.Practice
	}
	if pat != nil && pat.Restriction != fhir.None {
		withholdPractice(&v)
	}
	if v.Created == "" {
		v.Created = NotStated
	}
	if v.Author == "" {
		v.Author = NotStated
	}
	return v
}

// withholdPractice removes the practice's name and address from the record header of a
// restricted patient, wherever the header carries it, and says why.
func withholdPractice(v *RecordView) {
	practice := v.Practice
	v.Practice = ""
	v.PracticeWithheld = PracticeWithheldWhy
	if practice == "" {
		return
	}
	if v.Author == practice {
		v.Author = "the patient's GP practice (withheld)"
	}
	drop := func(in []string) []string {
		var out []string
		for _, s := range in {
			if !strings.Contains(s, practice) {
				out = append(out, s)
			}
		}
		return out
	}
	v.Notes, v.Statements = drop(v.Notes), drop(v.Statements)
}

// AllergyLine summarises the record's allergies for the banner, where it never scrolls away:
// the entries' names and severity ("Allergies: Penicillin allergy (Severe); Latex allergy"),
// "No known allergies" only when the record says so, and "Allergies: see record" when the
// section is missing or cannot be summarised (no table with a description column, or no
// entries). A nil record gives "".
func AllergyLine(r *fhir.Record) string {
	if r == nil {
		return ""
	}
	const seeRecord = "Allergies: see record"
	var entries []string
	nka, found := false, false
	for _, s := range r.Sections {
		if ClassifySection(s.Code, s.Title) != KindAllergies {
			continue
		}
		found = true
		for _, p := range s.Text {
			if saysNoKnownAllergies(p) {
				nka = true
			}
		}
		for _, t := range s.Tables {
			desc, sev := column(t.Headers, "description", "allerg", "reaction", "drug", "substance", "agent"), column(t.Headers, "severity")
			for _, row := range t.Rows {
				if len(row) == 1 && len(t.Headers) > 1 { // a full-width note
					if saysNoKnownAllergies(row[0]) {
						nka = true
					}
					continue
				}
				if desc < 0 || desc >= len(row) || strings.TrimSpace(row[desc]) == "" {
					return seeRecord
				}
				if saysNoKnownAllergies(row[desc]) {
					nka = true
					continue
				}
				e := strings.TrimSpace(row[desc])
				if sev >= 0 && sev < len(row) && strings.TrimSpace(row[sev]) != "" {
					e += " (" + strings.TrimSpace(row[sev]) + ")"
				}
				entries = append(entries, e)
			}
		}
	}
	switch {
	case !found:
		return seeRecord
	case len(entries) > 0:
		const most = 4
		if len(entries) > most {
			return "Allergies: " + strings.Join(entries[:most], "; ") + "; and " + strconv.Itoa(len(entries)-most) + " more: see record"
		}
		return "Allergies: " + strings.Join(entries, "; ")
	case nka:
		return "No known allergies"
	}
	return seeRecord
}

func saysNoKnownAllergies(s string) bool {
	t := strings.ToLower(s)
	return strings.Contains(t, "no known allerg") || strings.Contains(t, "no known drug allerg")
}

// column finds the first heading containing one of the words (case-insensitive), or -1.
func column(headers []string, words ...string) int {
	for _, w := range words {
		for i, h := range headers {
			if strings.Contains(strings.ToLower(h), w) {
				return i
			}
		}
	}
	return -1
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
		if se.Code == "STALE_SCR_ID" {
			m.Title = "Summary Care Record not available"
		}
	case fhir.WrongPatient:
		m.Title = "Record not shown: it was for a different patient"
		m.What, m.Incident = fhir.UserMessage(se), "" // "Tell IT support (reference …)."
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

// Adjustments gives the banner's reasonable-adjustment lines: each flag in its own plain words
// ("Requires visual alert"), or, when the read failed, a note saying so (the record is shown
// regardless). No flags and no error give nothing.
func Adjustments(flags []fhir.Adjustment, err error) (lines []string, note string) {
	if err != nil {
		return nil, "Reasonable adjustments could not be read just now: ask the patient if they need any."
	}
	for _, f := range flags {
		if t := strings.TrimSpace(f.Text); t != "" {
			lines = append(lines, t)
		}
	}
	return lines, ""
}
