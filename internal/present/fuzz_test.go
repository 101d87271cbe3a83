package present

import (
	"strings"
	"testing"

	"scrdesk/internal/fhir"
)

func FuzzFHIRDate(f *testing.F) {
	for _, s := range []string{"2010-10-22", "2010-10", "2010", "2020-11-17T01:00:00+00:00", "2020-11-17T01:00:00", "", "garbage", "2010-13-40"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FHIRDate(s, nil)
		if _, _, err := ParseFHIRDate(s); err != nil && got != s {
			t.Fatalf("unreadable %q shown as %q; want it unchanged", s, got)
		}
		if strings.TrimSpace(s) != "" && got == "" {
			t.Fatalf("%q shown as nothing", s)
		}
	})
}

// FuzzRecordFromXHTML feeds any section narrative through the fhir converter and the record
// layout: nothing may panic, the allergies section stays first, and every cell's text reaches
// the text rendering.
func FuzzRecordFromXHTML(f *testing.F) {
	f.Add(`<div><table><thead><tr><th>Date</th><th>Description</th></tr></thead><tbody><tr><td>1</td><td>Penicillin</td></tr></tbody></table></div>`)
	f.Add(`<div><p class="HighlightedStatement">Withheld</p><script>alert(1)</script></div>`)
	f.Add(`<div><table><tr><td colspan="5">No relevant information available for this category.</td></tr></table>`)
	f.Add(`<<<>>>&amp;&lt;`)
	f.Fuzz(func(t *testing.T, div string) {
		tables, text := fhir.ParseSectionXHTML(div)
		r := &fhir.Record{Sections: []fhir.Section{
			{Code: "ProblemsHeader", Title: "Problems", Tables: tables, Text: text},
			{Code: "UnknownHeader", Title: "Unknown", Text: text},
			{Code: fhir.CodeAllergies, Title: "Allergies", Tables: tables, Text: text},
		}}
		v := Record(r, nil, nil)
		if len(v.Sections) != 3 || v.Sections[0].Kind != KindAllergies {
			t.Fatalf("sections %+v", v.Sections)
		}
		out := RecordText(v)
		for _, tb := range tables {
			for _, row := range tb.Rows {
				for _, c := range row {
					if !strings.Contains(out, c) {
						t.Fatalf("cell %q lost", c)
					}
				}
			}
		}
	})
}
