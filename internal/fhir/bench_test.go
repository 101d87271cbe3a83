package fhir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scrdesk/internal/fhir"
	"scrdesk/internal/fhir/fhirtest"
)

// BenchmarkParseFixtures decodes every SCR, PDS and error fixture with the decoder its
// expectation names and reports the parse rate in MB/s and documents/s.
// Run: go test -run XXX -bench ParseFixtures ./internal/fhir
func BenchmarkParseFixtures(b *testing.B) {
	root, files := fhirtest.All(b)
	type doc struct {
		decoder string
		status  int
		body    []byte
	}
	var docs []doc
	var total int64
	for _, f := range files {
		w := fixtureWants[f]
		if w.decoder == "other" || w.decoder == "" {
			continue
		}
		body, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc{w.decoder, w.status, body})
		total += int64(len(body))
	}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			switch d.decoder {
			case "patient":
				_, _ = fhir.DecodePatient(d.body, "")
			case "search":
				_, _ = fhir.DecodePatientSearch(d.body)
			case "docref":
				_, _ = fhir.DecodeDocumentReference(d.body)
			case "record":
				_, _ = fhir.DecodeRecord(d.body)
			case "outcome":
				_ = fhir.OutcomeError(d.status, d.body)
			case "audit":
				_, _ = fhir.DecodeAuditEvent(d.body)
			}
		}
	}
	b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkParseRecord decodes the largest published record (GetScrBundle.json) and reports
// records/s.
func BenchmarkParseRecord(b *testing.B) {
	root := fhirtest.Fixtures(b)
	body, err := os.ReadFile(filepath.Join(root, "summary-care-record", "specification-examples", "GetScrBundle.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := fhir.DecodeRecord(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSectionXHTML parses a 300-row medication table.
func BenchmarkSectionXHTML(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<div><table><thead><tr><th>Type</th><th>Date</th><th>Item</th><th>Dose</th><th>Qty</th></tr></thead><tbody>`)
	for i := 0; i < 300; i++ {
		sb.WriteString(`<tr class="oddRow"><td>Repeat Medication</td><td>Last Issued: 12-May-2020</td><td>Paracetamol 500mg tablets</td><td>Two four times a day</td><td>100 tablet</td></tr>`)
	}
	sb.WriteString(`</tbody></table></div>`)
	div := sb.String()
	b.SetBytes(int64(len(div)))
	for i := 0; i < b.N; i++ {
		fhir.ParseSectionXHTML(div)
	}
}
