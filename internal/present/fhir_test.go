package present

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// The NHS fixtures (fhirtest: internal/sandbox/data), decoded with the fhir package as the app does.
var (
	fixtures           = fhirtest.Fixtures
	recordFromBundle   = fhirtest.Record
	patientFromFixture = fhirtest.Patient
)

func TestRecordFromSandboxBundles(t *testing.T) {
	for _, name := range []string{
		"summary-care-record/specification-examples/GetScrBundle.json",
		"summary-care-record/uat/get_scr/success/1-basic.response.json",
	} {
		t.Run(filepath.Base(filepath.Dir(name))+"/"+filepath.Base(name), func(t *testing.T) {
			r := recordFromBundle(t, filepath.Join(fixtures(t), name))
			v := Record(r, nil, time.UTC)
			if v.Created != "14-May-2020 14:31" {
				t.Errorf("Created = %q", v.Created)
			}
			if v.Author != "SMITH, Sean (Mr)" {
				t.Errorf("Author = %q", v.Author)
			}
			if !strings.HasPrefix(v.Practice, "EMISWebCR1 50004") {
				t.Errorf("Practice = %q", v.Practice)
			}
			// What the record says about itself comes first, as written: the disclaimer that
			// it may not include everything, and the recently-registered statement.
			if len(v.Statements) != 2 || !strings.HasPrefix(v.Statements[0], "Sourced from") || !strings.Contains(v.Statements[1], "recently registered") {
				t.Errorf("Statements = %q", v.Statements)
			}
			if len(v.Notes) != 0 {
				t.Errorf("Notes = %q", v.Notes)
			}
			var kinds []SectionKind
			for _, s := range v.Sections {
				kinds = append(kinds, s.Kind)
			}
			wantFirst := []SectionKind{KindAllergies, KindAcuteMeds, KindRepeatMeds, KindDiscRepeats, KindRisks}
			if len(kinds) != 14 || !reflect.DeepEqual(kinds[:5], wantFirst) {
				t.Fatalf("kinds = %v", kinds)
			}
			for _, k := range kinds[5:] {
				if k != KindAdditional {
					t.Errorf("additional section kind %v", k)
				}
			}
			a := v.Sections[0].Tables[0]
			if !reflect.DeepEqual(a.Headers, []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"}) ||
				len(a.Rows) != 1 || a.Rows[0][1] != "Toxic reaction to wasp sting" {
				t.Errorf("allergies table = %+v", a)
			}
		})
	}
}

func TestRecordKeepsUnknownAndInitialSummary(t *testing.T) {
	r := &fhir.Record{
		InitialSummary: true,
		Practice:       "The Surgery",
		Sections: []fhir.Section{
			{Title: "Medication", Text: []string{"Aspirin 75mg"}},
			{Title: "Adverse reactions", Tables: []fhir.Table{{Headers: []string{"Drug"}, Rows: [][]string{{"Penicillin"}}}}},
			{Code: "SomethingNewHeader", Title: "New thing", Text: []string{"Kept as text", "Some information has been withheld at the patient's request."}},
		},
	}
	v := Record(r, nil, nil)
	if v.Format != "Initial Summary" || v.Practice != "The Surgery" {
		t.Errorf("header = %+v", v)
	}
	if len(v.Sections) != 3 || v.Sections[0].Kind != KindAllergies {
		t.Fatalf("sections = %+v", v.Sections)
	}
	last := v.Sections[2]
	if last.Kind != KindOther || !reflect.DeepEqual(last.Text, []string{"Kept as text"}) ||
		!reflect.DeepEqual(last.Statements, []string{"Some information has been withheld at the patient's request."}) {
		t.Errorf("unknown section = %+v", last)
	}
}

func TestClassifySection(t *testing.T) {
	cases := []struct {
		code, title string
		want        SectionKind
	}{
		{"AllergiesHeader", "", KindAllergies},
		{"AcuteMedsHeader", "", KindAcuteMeds},
		{"RepeatMedsHeader", "", KindRepeatMeds},
		{"DiscRepeatMedsHeader", "", KindDiscRepeats},
		{"RisksToPatientHeader", "", KindRisks},
		{"DiagnosesHeader", "", KindAdditional},
		{"Title", "General Practice Summary", KindSummary},
		{"UnheardOfHeader", "Allergies", KindOther},
		{"", "Allergies and Sensitivities", KindAllergies},
		{"", "Discontinued Repeat Medications", KindDiscRepeats},
		{"", "Current Repeat Medications", KindRepeatMeds},
		{"", "Acute Medications", KindAcuteMeds},
		{"", "Notes", KindOther},
	}
	for _, c := range cases {
		if got := ClassifySection(c.code, c.title); got != c.want {
			t.Errorf("ClassifySection(%q, %q) = %v; want %v", c.code, c.title, got, c.want)
		}
	}
}

func TestBanner(t *testing.T) {
	now := day(2026, 11, 21)
	base := fhir.Patient{NHSNumber: "9000000009", FamilyName: "Smith", GivenNames: "Jane", Prefix: "Mrs",
		BirthDate: "2010-10-22", Gender: "female", Address: []string{"1 Trevelyan Square", "Leeds"}, Postcode: "LS1 6AE",
		GP: "Y12345"}
	cases := []struct {
		name  string
		edit  func(p *fhir.Patient)
		check func(t *testing.T, v BannerView)
	}{
		{"normal", func(*fhir.Patient) {}, func(t *testing.T, v BannerView) {
			want := BannerView{Name: "SMITH, Jane (Mrs)", NHS: "900 000 0009", BirthDate: "22-Oct-2010 (16y)", Gender: "Female",
				Address: "1 Trevelyan Square, Leeds, LS1 6AE", GP: "Y12345", Test: true}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("got %+v\nwant %+v", v, want)
			}
		}},
		{"restricted", func(p *fhir.Patient) {
			p.Restriction = fhir.Restricted
			p.Hidden = []string{"Address, telephone and GP are not shown: this is a restricted record."}
		}, func(t *testing.T, v BannerView) {
			if !v.Restricted || v.Address != "" || v.GP != "" || v.RestrictedTag != TagRestricted || v.RestrictedText != RestrictedHides {
				t.Errorf("got %+v", v)
			}
		}},
		{"very restricted without reasons", func(p *fhir.Patient) {
			p.Restriction, p.BirthDate = fhir.VeryRestricted, ""
		}, func(t *testing.T, v BannerView) {
			if !v.Restricted || v.BirthDate != "" || v.RestrictedTag != TagVeryRestricted || !strings.Contains(v.RestrictedText, "date of birth") {
				t.Errorf("got %+v", v)
			}
		}},
		{"deceased", func(p *fhir.Patient) {
			p.Deceased, p.DeceasedDate = true, "2024-01-12T10:00:00+00:00"
		}, func(t *testing.T, v BannerView) {
			// The age is the age at death, and the birth date carries no age of today.
			if !v.Deceased || v.DeceasedText != "Deceased 12-Jan-2024, aged 13y 2m" || v.BirthDate != "22-Oct-2010" {
				t.Errorf("got %+v", v)
			}
		}},
		{"deceased without a date", func(p *fhir.Patient) {
			p.Deceased, p.DeceasedDate = true, ""
		}, func(t *testing.T, v BannerView) {
			if v.DeceasedText != "Deceased (date not recorded)" || v.BirthDate != "22-Oct-2010" {
				t.Errorf("got %+v", v)
			}
		}},
		{"deceased date as written", func(p *fhir.Patient) {
			p.Deceased, p.DeceasedDate = true, "early 2024"
		}, func(t *testing.T, v BannerView) {
			if v.DeceasedText != "Deceased early 2024" {
				t.Errorf("got %+v", v)
			}
		}},
		{"no current name, address or phone", func(p *fhir.Patient) {
			p.NoCurrentName, p.NameEnded, p.NoCurrentAddress, p.NoCurrentPhone = true, "2025-12-31", true, true
			p.Address, p.Postcode, p.Phone = nil, "", ""
		}, func(t *testing.T, v BannerView) {
			if v.NameNote != "No current name recorded: this name ended 31-Dec-2025" || v.Address != NoCurrentAddress || v.Phone != NoCurrentPhone {
				t.Errorf("got %+v", v)
			}
		}},
		{"merged", func(p *fhir.Patient) {
			p.RequestedNHSNumber, p.NHSNumber = "9000000009", "9000000017"
		}, func(t *testing.T, v BannerView) {
			if !v.Merged || v.MergedText != "NHS number 900 000 0009 was replaced by 900 000 0017. Use the new number from now on." {
				t.Errorf("got %+v", v)
			}
		}},
		{"no family name", func(p *fhir.Patient) { p.FamilyName, p.Name = "", "Jane Smith" }, func(t *testing.T, v BannerView) {
			if v.Name != "Jane Smith" {
				t.Errorf("got %+v", v)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			c.edit(&p)
			c.check(t, Banner(&p, now))
			m := Match(&p, now)
			if m.Name == "" || m.NHS == "" {
				t.Errorf("match %+v", m)
			}
		})
	}
}

func TestConsentStageFor(t *testing.T) {
	cases := []struct {
		doc  *fhir.SCRDocument
		want ConsentStage
	}{
		{nil, ConsentNoRecord},
		{&fhir.SCRDocument{Consent: fhir.ConsentNo}, ConsentOptedOut},
		{&fhir.SCRDocument{Consent: fhir.ConsentAsk}, ConsentAsk},
		{&fhir.SCRDocument{Consent: fhir.ConsentYes}, ConsentAsk},
		{&fhir.SCRDocument{Consent: fhir.ConsentUnknown}, ConsentAsk},
	}
	for _, c := range cases {
		if got := ConsentStageFor(c.doc); got != c.want {
			t.Errorf("ConsentStageFor(%+v) = %v; want %v", c.doc, got, c.want)
		}
	}
}

func TestMessage(t *testing.T) {
	kinds := []fhir.ErrorKind{fhir.InvalidNHSNumber, fhir.NotFound, fhir.Merged, fhir.AccessDenied, fhir.TooManyMatches,
		fhir.SignedOut, fhir.Unavailable, fhir.Timeout, fhir.TooLarge, fhir.Malformed, fhir.RateLimited, fhir.BadRequest}
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			m := Message(&fhir.SpineError{Kind: k, IncidentID: "INC-1"})
			if m.Title == "" || m.Title == "Something went wrong" || m.What == "" || m.Incident != "INC-1" {
				t.Errorf("Message = %+v", m)
			}
			if strings.Contains(m.What, "INC-1") {
				t.Errorf("incident repeated in What: %q", m.What)
			}
		})
	}
	if m := Message(errors.New("boom")); m.Title == "" || strings.Contains(m.What, "boom") {
		t.Errorf("plain error = %+v", m)
	}
	if m := Message(nil); m.Title != "" {
		t.Errorf("nil error = %+v", m)
	}
}

func TestBannerFromSandboxPatients(t *testing.T) {
	now := day(2026, 11, 21)
	dir := filepath.Join(fixtures(t), "personal-demographics/sandbox-mocks")
	cases := []struct {
		file, requested string
		check           func(t *testing.T, v BannerView)
	}{
		{"Patient.json", "9000000009", func(t *testing.T, v BannerView) {
			// The published example's name, address and telephone all ended on 31-Dec-2025.
			if v.NHS != "900 000 0009" || v.Restricted || v.Address != NoCurrentAddress || v.Phone != NoCurrentPhone ||
				v.NameNote != "No current name recorded: this name ended 31-Dec-2025" || !strings.HasPrefix(v.BirthDate, "22-Oct-2010") {
				t.Errorf("%+v", v)
			}
		}},
		{"Sensitive_Patient.json", "9000000025", func(t *testing.T, v BannerView) {
			if !v.Restricted || v.Address != "" || v.GP != "" || v.Phone != "" || v.RestrictedText == "" {
				t.Errorf("%+v", v)
			}
		}},
		{"Minimal_Patient.json", "9000000033", func(t *testing.T, v BannerView) {
			if v.NHS != "900 000 0033" || v.Name == "" {
				t.Errorf("%+v", v)
			}
		}},
		{"Patient.json", "9000000017", func(t *testing.T, v BannerView) {
			if !v.Merged || !strings.Contains(v.MergedText, "900 000 0017 was replaced by 900 000 0009") {
				t.Errorf("%+v", v)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.requested, func(t *testing.T) {
			p := patientFromFixture(t, filepath.Join(dir, c.file), c.requested)
			v := Banner(p, now)
			t.Logf("%+v", v)
			c.check(t, v)
		})
	}
}
