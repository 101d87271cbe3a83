package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/governance"
)

func sampleSAR(n int) SAR {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	s := SAR{Pharmacy: "Demo Pharmacy, Leeds", ODS: "FA123", Reference: "SAR-2026-007",
		Received: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), IdentityCheck: "Passport seen at the counter",
		NHSNumber: "9990000107", From: t0.AddDate(0, 0, -30), To: t0.AddDate(0, 0, 30), NamesGiven: true,
		Integrity:  "Verified: the audit log is intact, 12,345 of 12,345 entries, from 2 March 2026 to 20 March 2026, checked at 09:14.",
		ProducedBy: "Grace Okafor, SCR Governance Person", ProducedAt: time.Date(2026, 3, 21, 10, 0, 0, 0, time.UTC)}
	names := []string{"Siân Ó Briain", "Priya Shah", "Zoë Łukasz-Nguyễn"}
	for i := 0; i < n; i++ {
		s.Lines = append(s.Lines, governance.SARLine{Seq: int64(100 + i), Time: t0.Add(time.Duration(i) * time.Hour),
			What: "The Summary Care Record", Role: "Pharmacist", Person: names[i%3], Where: "COUNTER-1",
			Basis: "Emergency access without permission: patient collapsed at the counter, allergy check", Review: "Closed: appropriate"})
	}
	return s
}

func need(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("SCRDESK_REQUIRE_POPPLER") == "1" || os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (poppler-utils: scripts/deps.sh test)", tool)
		}
		t.Skipf("%s not installed (poppler-utils)", tool)
	}
}

// PDFText returns pdftotext's reading of the PDF (layout kept).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	need(t, "pdftotext")
	dir := t.TempDir()
	p := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestSARPDFReadsBack: pdftotext finds every part SGP.md lists, the names with their accents,
// the hash; pdftoppm renders the first page to a PNG that is not blank.
func TestSARPDFReadsBack(t *testing.T) {
	s := sampleSAR(60)
	var b bytes.Buffer
	if err := s.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Who has looked at your Summary Care Record", "999 000 0107", "Demo Pharmacy, Leeds (ODS FA123)",
		"SAR-2026-007", "20 March 2026", "20 April 2026", "Passport seen at the counter", "Siân Ó Briain", "Zoë", "Łukasz-Nguyễn",
		"60 accesses in this period", "The national Spine keeps its own record", "Verified: the audit log is intact, 12,345 of 12,345",
		"Grace Okafor, SCR Governance Person", "Closed:", "appropriate", s.Hash()[:32], "page 1 of"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	if strings.Count(flat, "Siân Ó Briain") != 20 {
		t.Errorf("%d lines name Siân Ó Briain, want 20", strings.Count(flat, "Siân Ó Briain"))
	}
	// deterministic: the same report gives the same bytes
	var b2 bytes.Buffer
	s.WritePDF(&b2)
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("the same report gave different PDF bytes")
	}
	png := renderFirstPage(t, b.Bytes())
	if len(png) < 5000 {
		t.Errorf("first page PNG is only %d bytes", len(png))
	}
	if d := os.Getenv("SCRDESK_SCREENSHOTS"); d != "" {
		os.WriteFile(filepath.Join(d, "sar-report.png"), png, 0o644)
	}
}

func renderFirstPage(t *testing.T, pdf []byte) []byte {
	t.Helper()
	need(t, "pdftoppm")
	dir := t.TempDir()
	p := filepath.Join(dir, "r.pdf")
	os.WriteFile(p, pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", p, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(m) != 1 {
		t.Fatalf("pdftoppm made %v", m)
	}
	png, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return png
}

func TestSAREmptyAndRolesOnly(t *testing.T) {
	s := sampleSAR(0)
	var b bytes.Buffer
	if err := s.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if flat := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " "); !strings.Contains(flat, "No one opened your record") {
		t.Error("an empty report does not say no one opened the record")
	}
	s = sampleSAR(3)
	s.NamesGiven = false
	for i := range s.Lines {
		s.Lines[i].Person = ""
	}
	b.Reset()
	s.WritePDF(&b)
	flat := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
	if strings.Contains(flat, "Priya Shah") || !strings.Contains(flat, "By (role)") {
		t.Error("a roles-only report names people")
	}
}

func TestSARCSV(t *testing.T) {
	s := sampleSAR(5)
	var b bytes.Buffer
	if err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err == nil {
		t.Fatal("want ragged records to need FieldsPerRecord = -1")
	}
	r := csv.NewReader(bytes.NewReader(b.Bytes()))
	r.FieldsPerRecord = -1
	recs, err = r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last[0] != "Report hash (SHA-256)" || last[1] != s.Hash() {
		t.Errorf("last line %v", last)
	}
	var lines int
	for _, rec := range recs {
		if len(rec) == 8 && rec[0] != "entry" {
			lines++
			if rec[4] == "" || rec[2] != "The Summary Care Record" {
				t.Errorf("line %v", rec)
			}
		}
	}
	if lines != 5 {
		t.Errorf("%d access lines, want 5", lines)
	}
	// the hash changes with the content
	s2 := sampleSAR(5)
	s2.Lines[2].Review = "Closed: inappropriate"
	if s2.Hash() == s.Hash() {
		t.Error("hash does not cover the lines")
	}
}

func BenchmarkSARPDF1000(b *testing.B) {
	s := sampleSAR(1000)
	for b.Loop() {
		var buf bytes.Buffer
		if err := s.WritePDF(&buf); err != nil {
			b.Fatal(err)
		}
	}
	_ = fmt.Sprint()
}
