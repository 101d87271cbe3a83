package fhir_test

import (
	"path"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// TestPublishedColspanFixtures: both published SCR payloads that use colspan give a
// full-width note row under the discontinued repeats, not a note under "Type".
func TestPublishedColspanFixtures(t *testing.T) {
	for _, f := range []string{"summary-care-record/specification-examples/GetScrBundle.json", "summary-care-record/uat/get_scr/success/1-basic.response.json"} {
		t.Run(path.Base(f), func(t *testing.T) {
			raw := fhirtest.Read(t, f)
			if !strings.Contains(string(raw), "colspan") {
				t.Fatal("fixture no longer uses colspan")
			}
			rec, err := fhir.DecodeRecord(raw)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range rec.Sections {
				for _, tb := range s.Tables {
					for _, r := range tb.Rows {
						if len(r) != 1 && len(r) < len(tb.Headers) {
							t.Errorf("%s: row %q shorter than headings %q", s.Title, r, tb.Headers)
						}
						if s.Code == fhir.CodeDiscRepeatMeds && len(r) == 1 && strings.HasPrefix(r[0], "No relevant information") {
							found = true
						}
					}
				}
			}
			if !found {
				t.Fatal("the discontinued repeats' colspan row is not a full-width note")
			}
		})
	}
}
