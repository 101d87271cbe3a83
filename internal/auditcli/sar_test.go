package auditcli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/secrets"
	"scrdesk/internal/store"
)

func demoDB(t *testing.T) *store.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "scrdesk.db"), secrets.File(filepath.Join(dir, "k.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	staff := []governance.DemoStaff{
		{UserID: "555000000011", Name: "Priya Shah", URID: "555000001101", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"},
		{UserID: "555000000022", Name: "Tom Evans", URID: "555000002201", RoleCode: "S8000:G8000:R8004", Workstation: "COUNTER-2"},
		{UserID: "555000000077", Name: "Siân Ó Briain", URID: "555000007701", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"},
	}
	sgp := governance.DemoStaff{UserID: "555000000033", Name: "Grace Okafor", URID: "555000003302", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1"}
	if err := db.EnableRules(context.Background(), governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendBatch(context.Background(), governance.DemoLog(1, time.Now().Add(-time.Hour), 90, staff, sgp, "FA123")); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSARCommand: `scrdesk audit sar` writes a PDF whose text lists every access to the patient
// (checked against the log), is recorded with its hash, and appears in the next report.
func TestSARCommand(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext not installed (poppler-utils)")
		}
		t.Skip("pdftotext not installed")
	}
	ctx := context.Background()
	db := demoDB(t)
	nhs := governance.DemoNHSNumber(9) // opened in an emergency by Tom, among others
	who := audit.Event{UserName: "grace", Workstation: "OFFICE", ODSCode: "FA123"}
	dir := t.TempDir()
	out := filepath.Join(dir, "sar.pdf")
	var so, se bytes.Buffer
	if code := SARCommand(ctx, []string{"--nhs-number", nhs, "--out", out, "--reference", "SAR-1", "--names", "--identity", "Passport"}, &so, &se, db, who, "Demo Pharmacy, Leeds"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	txt, err := exec.Command("pdftotext", "-layout", out, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(txt)), " ")
	// every view of the record in the log is a line: count them against the log
	var views int
	db.Each(ctx, audit.Filter{NHSNumber: nhs, Action: audit.ActionSCRRead}, func(audit.Entry) error { views++; return nil })
	if views == 0 {
		t.Fatal("the demo patient has no record views")
	}
	if got := strings.Count(flat, "Summary Care Record"); got < views+1 { // +1: the title
		t.Errorf("the PDF names the record %d times; the log has %d views", got, views)
	}
	for _, want := range []string{"999 " + nhs[3:6] + " " + nhs[6:], "SAR-1", "Passport", "Emergency access",
		"The log was verified intact", "Demo Pharmacy, Leeds (ODS FA123)"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	es, _, _ := db.Query(ctx, audit.Filter{Action: audit.ActionSAR}, audit.Cursor{}, 10)
	if len(es) != 1 || es[0].NHSNumber != nhs || len(es[0].Detail["hash"]) != 64 || !strings.Contains(so.String(), es[0].Detail["hash"]) {
		t.Fatalf("the report's audit row: %+v (stdout %q)", es, so.String())
	}
	// The next report (CSV) lists the first.
	out2 := filepath.Join(dir, "sar.csv")
	if code := SARCommand(ctx, []string{"--nhs-number", nhs, "--out", out2}, &so, &se, db, who, "Demo Pharmacy, Leeds"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	csv, _ := os.ReadFile(out2)
	if !strings.Contains(string(csv), "A Subject Access Request report about this patient") {
		t.Error("the second report does not list the first")
	}
	if strings.Contains(string(csv), "Priya Shah") || strings.Contains(string(csv), "Tom Evans") {
		t.Error("a report without --names names people")
	}
	if st, _ := os.Stat(out2); st.Mode().Perm() != 0o600 {
		t.Errorf("report file mode %v", st.Mode().Perm())
	}
	// usage errors
	for _, args := range [][]string{{"--out", out}, {"--nhs-number", "123", "--out", out}, {"--nhs-number", nhs, "--out", "x.txt"}} {
		if code := SARCommand(ctx, args, &so, &se, db, who, ""); code != ExitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
