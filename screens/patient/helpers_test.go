package patient

import (
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"scrdesk/internal/fhir/fhirtest"
	"scrdesk/internal/present"
	"scrdesk/screens/screentest"
)

// show puts obj in a fresh test window of the given size.
func show(t *testing.T, obj fyne.CanvasObject, w, h float32) fyne.Window {
	t.Helper()
	win := test.NewTempWindow(t, obj)
	win.Resize(fyne.NewSize(w, h))
	// A second layout, as the GL driver gives parents when a child's minimum size changes (a
	// wrapped label measured at the width it now has): the test canvas lays out only once, at
	// the window's first, narrow, size.
	win.Resize(fyne.NewSize(w-1, h))
	win.Resize(fyne.NewSize(w, h))
	return win
}

// golden checks the window against testdata/name (screentest.Golden; -update rewrites it).
var golden = screentest.Golden

// The NHS fixtures (fhirtest: internal/sandbox/data), decoded with the fhir package as the app does.
var (
	fixtures           = fhirtest.Fixtures
	recordFromBundle   = fhirtest.Record
	patientFromFixture = fhirtest.Patient
)

// sandboxRecord is the published GP Summary example as the record view shows it.
func sandboxRecord(t testing.TB) present.RecordView {
	r := recordFromBundle(t, filepath.Join(fixtures(t), "summary-care-record/specification-examples/GetScrBundle.json"))
	return present.Record(r, nil, time.UTC)
}

// longRecord is a GP Summary whose repeat medication table has n rows.
func longRecord(n int) present.RecordView {
	rows := make([][]string, n)
	drugs := []string{"Paracetamol 500mg tablets", "Amlodipine 5mg tablets", "Salbutamol 100micrograms/dose inhaler CFC free",
		"Metformin 500mg modified-release tablets", "Co-codamol 8mg/500mg effervescent tablets"}
	doses := []string{"Two To Be Taken Four Times A Day When Required", "One Daily", "Two Puffs When Required Up To Four Times A Day",
		"One To Be Taken Twice A Day With Meals", "One Or Two To Be Taken Every Four To Six Hours. No More Than 8 In 24 Hours"}
	for i := range rows {
		rows[i] = []string{"Repeat Medication", "Last Issued: 12-May-2020", drugs[i%len(drugs)], doses[i%len(doses)], "56 tablet"}
	}
	return present.RecordView{
		Format: "GP Summary", Created: "14-May-2020 14:31", Author: "SMITH, Sean (Mr)",
		Practice: "EMISWebCR1 50004, Fulford Grange, Rawdon, Leeds, West Yorkshire, LS19 7BY.",
		Sections: []present.SectionView{
			{Title: "Allergies and Adverse Reactions", Kind: present.KindAllergies, Tables: []present.TableView{{
				Headers: []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"},
				Rows:    [][]string{{"12-May-2020", "Penicillin allergy", "Certain", "Severe", "Anaphylaxis"}},
			}}},
			{Title: "Current Repeat Medications", Kind: present.KindRepeatMeds, Tables: []present.TableView{{
				Headers: []string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"},
				Rows:    rows,
			}}},
		},
	}
}

func fyneSize(w, h float32) fyne.Size { return fyne.NewSize(w, h) }
