package present

import (
	"strings"
	"testing"
	"time"

	"scrdesk/internal/fhir"
)

func allergySection(headers []string, rows [][]string, text ...string) fhir.Section {
	return fhir.Section{Code: fhir.CodeAllergies, Title: "Allergies and Adverse Reactions", Tables: []fhir.Table{{Headers: headers, Rows: rows}}, Text: text}
}

func TestAllergyLine(t *testing.T) {
	hd := []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"}
	cases := []struct {
		name string
		rec  *fhir.Record
		want string
	}{
		{"no record yet", nil, ""},
		{"entries with severity", &fhir.Record{Sections: []fhir.Section{allergySection(hd, [][]string{
			{"02-Feb-2019", "Penicillin allergy", "Certain", "Severe", "Anaphylaxis"},
			{"03-Mar-2020", "Latex allergy", "Likely", "", ""}})}},
			"Allergies: Penicillin allergy (Severe); Latex allergy"},
		{"no known allergies entry", &fhir.Record{Sections: []fhir.Section{allergySection(hd, [][]string{{"02-Feb-2019", "No known allergies", "", "", ""}})}},
			"No known allergies"},
		{"no known allergies as a note", &fhir.Record{Sections: []fhir.Section{allergySection(hd, [][]string{{"No known drug allergies."}})}},
			"No known allergies"},
		{"no information is not no allergies", &fhir.Record{Sections: []fhir.Section{allergySection(hd, [][]string{{"No relevant information available for this category."}})}},
			"Allergies: see record"},
		{"no allergies section", &fhir.Record{Sections: []fhir.Section{{Code: fhir.CodeAcuteMeds}}}, "Allergies: see record"},
		{"no description column", &fhir.Record{Sections: []fhir.Section{allergySection([]string{"When", "What"}, [][]string{{"2019", "Penicillin"}})}},
			"Allergies: see record"},
		{"Initial Summary by title", &fhir.Record{InitialSummary: true, Sections: []fhir.Section{{Title: "Allergies and Adverse Reactions", Tables: []fhir.Table{{Headers: []string{"Date", "Description"}, Rows: [][]string{{"12-Dec-2003", "Aspirin allergy"}}}}}}},
			"Allergies: Aspirin allergy"},
		{"many entries", &fhir.Record{Sections: []fhir.Section{allergySection(hd, [][]string{
			{"", "A", "", "", ""}, {"", "B", "", "", ""}, {"", "C", "", "", ""}, {"", "D", "", "", ""}, {"", "E", "", "", ""}, {"", "F", "", "", ""}})}},
			"Allergies: A; B; C; D; and 2 more: see record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := AllergyLine(c.rec); got != c.want {
				t.Fatalf("AllergyLine = %q; want %q", got, c.want)
			}
		})
	}
}

func titled(text ...string) fhir.Section {
	return fhir.Section{Code: "Title", Title: "General Practice Summary", Text: text}
}

func TestRecordHeaderRules(t *testing.T) {
	practice := "Sandbox Medical Centre, 1 Park Square, Leeds, LS1 2NE."
	base := func() *fhir.Record {
		return &fhir.Record{Practice: practice, Sections: []fhir.Section{
			titled("Summary Created: 14-Mar-2025 10:30", "Created by: OKONJO, Ngozi (Dr)", practice),
			{Code: fhir.CodeAllergies, Title: "Allergies", Text: []string{"Some information has been deliberately withheld from this summary."}},
		}}
	}
	t.Run("restricted patient: practice withheld", func(t *testing.T) {
		for _, r := range []fhir.Restriction{fhir.Restricted, fhir.VeryRestricted} {
			v := Record(base(), &fhir.Patient{Restriction: r}, nil)
			if v.Practice != "" || v.PracticeWithheld != PracticeWithheldWhy {
				t.Fatalf("%v: practice %q, withheld %q", r, v.Practice, v.PracticeWithheld)
			}
			if strings.Contains(RecordText(v), "Park Square") {
				t.Fatalf("%v: the practice's address is in the record text", r)
			}
		}
		if v := Record(base(), &fhir.Patient{}, nil); v.Practice != practice || v.PracticeWithheld != "" {
			t.Fatalf("unrestricted: %q", v.Practice)
		}
	})
	t.Run("section statements first", func(t *testing.T) {
		v := Record(base(), nil, nil)
		if len(v.Statements) != 1 || v.Statements[0] != "Some information has been deliberately withheld from this summary." {
			t.Fatalf("Statements %q", v.Statements)
		}
	})
	t.Run("created and by whom always said", func(t *testing.T) {
		v := Record(&fhir.Record{Sections: []fhir.Section{{Code: fhir.CodeAllergies}}}, nil, nil)
		if v.Created != NotStated || v.Author != NotStated {
			t.Fatalf("created %q by %q", v.Created, v.Author)
		}
		v = Record(&fhir.Record{Practice: practice, CreatedText: "sometime in March", Sections: []fhir.Section{{Code: fhir.CodeAllergies}}}, nil, nil)
		if v.Created != "sometime in March" || v.Author != practice {
			t.Fatalf("created %q by %q", v.Created, v.Author)
		}
		v = Record(&fhir.Record{Created: time.Date(2007, 3, 14, 1, 0, 0, 0, time.UTC)}, nil, time.UTC)
		if v.Created != "14-Mar-2007 01:00" {
			t.Fatalf("created %q", v.Created)
		}
	})
	t.Run("Initial Summary title text is a statement", func(t *testing.T) {
		r := &fhir.Record{InitialSummary: true, Sections: []fhir.Section{
			{Title: "Initial Summary", Text: []string{"Summary Created: 01-Apr-2009 09:00", "This Initial Summary has not been verified by the practice."}},
			{Title: "Allergies and Adverse Reactions"},
		}}
		v := Record(r, nil, nil)
		if len(v.Statements) != 1 || v.Statements[0] != "This Initial Summary has not been verified by the practice." || v.Created != "01-Apr-2009 09:00" {
			t.Fatalf("%+v", v)
		}
		for _, s := range v.Sections {
			if s.Title == "Initial Summary" {
				t.Fatal("the title section is also shown as a section")
			}
		}
	})
}
