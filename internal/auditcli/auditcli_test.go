package auditcli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/store"
)

type memKeys struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeys) Get(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return "", fs.ErrNotExist
	}
	return v, nil
}

func (k *memKeys) Set(key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = value
	return nil
}

var who = audit.Event{UserID: "555254239107", UserName: "Sam SGP", Workstation: "office", ODSCode: "FA123"}

// fixture opens a store with a few rows: two patients, two users, one formula-like reason.
func fixture(t *testing.T) (*store.DB, string, *memKeys) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	keys := &memKeys{m: map[string]string{}}
	db, err := store.Open(context.Background(), path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	events := []audit.Event{
		{Action: audit.ActionLogin, Outcome: audit.OutcomeSuccess, UserID: "555254239107", UserName: "Sam"},
		{Action: audit.ActionSCRRead, Outcome: audit.OutcomeSuccess, UserID: "555254239107", UserName: "Sam", NHSNumber: "9990000018", RequestIDs: []string{"r1", "r2"}},
		{Action: audit.ActionEmergency, Outcome: audit.OutcomeSuccess, UserID: "555254240100", UserName: "Alex", NHSNumber: "9990000018", Reason: "=HYPERLINK(\"x\")"},
		{Action: audit.ActionSCRRead, Outcome: audit.OutcomeSuccess, UserID: "555254240100", UserName: "Alex", NHSNumber: "9990000026", Detail: map[string]string{"sections": "5"}},
	}
	for _, e := range events {
		e.Workstation, e.ODSCode = "counter-1", "FA123"
		if _, err := db.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return db, path, keys
}

func run(t *testing.T, db Log, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb, db, who)
	return code, out.String(), errb.String()
}

func TestVerify(t *testing.T) {
	db, path, keys := fixture(t)
	code, out, _ := run(t, db, "verify")
	if code != ExitOK || !strings.Contains(out, "intact") {
		t.Fatalf("verify = %d %q", code, out)
	}
	// The check is itself recorded.
	if n, _ := db.Count(context.Background(), audit.Filter{Action: audit.ActionAuditVerified}); n != 1 {
		t.Fatalf("%d audit-verified rows", n)
	}
	db.Close()
	x, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`DROP TRIGGER audit_event_no_update`,
		`UPDATE audit_event SET body = json_set(body, '$.un', 'Someone') WHERE seq = 3`} {
		if _, err := x.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()
	db2, err := store.Open(context.Background(), path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	code, out, _ = run(t, db2, "verify")
	if code != ExitBad || !strings.Contains(out, "first bad row: 3 (edited)") {
		t.Fatalf("verify after tamper = %d %q", code, out)
	}
}

func TestExportCSV(t *testing.T) {
	db, _, _ := fixture(t)
	code, out, errs := run(t, db, "export", "--nhs-number", "999 000 0018", "--format", "csv")
	if code != ExitOK {
		t.Fatalf("export = %d %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Two accesses, then the export's own row: exporting a patient's accesses is itself an
	// access the patient may ask about, so it is recorded against their NHS number first.
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") || recs[3][3] != "audit-exported" {
		t.Fatalf("csv = %q", recs)
	}
	col := map[string]int{}
	for i, h := range CSVHeader {
		col[h] = i
	}
	for _, r := range recs[1:] {
		if r[col["nhs_number"]] != "9990000018" {
			t.Fatalf("row for another patient: %q", r)
		}
	}
	if got := recs[1][col["request_ids"]]; got != "r1;r2" {
		t.Fatalf("request ids %q", got)
	}
	if got := recs[2][col["reason"]]; !strings.HasPrefix(got, "'=") {
		t.Fatalf("formula not defused: %q", got)
	}
	// The export was recorded first, naming the patient.
	es, _, err := db.Query(context.Background(), audit.Filter{Action: audit.ActionAuditExported}, audit.Cursor{}, 10)
	if err != nil || len(es) != 1 || es[0].NHSNumber != "9990000018" || es[0].UserID != who.UserID || es[0].Detail["format"] != "csv" {
		t.Fatalf("export row = %+v, %v", es, err)
	}
}

func TestExportJSONLToFile(t *testing.T) {
	db, _, _ := fixture(t)
	out := filepath.Join(t.TempDir(), "export.jsonl")
	day := time.Now().UTC().Format(time.DateOnly)
	code, _, errs := run(t, db, "export", "--user", "555254240100", "--from", day, "--to", day, "--format", "jsonl", "--out", out)
	if code != ExitOK {
		t.Fatalf("export = %d %s", code, errs)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", st.Mode().Perm())
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var e jsonEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.UserID != "555254240100" || e.ActionLabel == "" || e.MAC == "" {
			t.Fatalf("line %q", sc.Text())
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d lines, want 2", n)
	}
}

func TestStats(t *testing.T) {
	db, _, _ := fixture(t)
	code, out, _ := run(t, db, "stats")
	if code != ExitOK || !strings.Contains(out, "rows:            4") || !strings.Contains(out, "Viewed the Summary Care Record") {
		t.Fatalf("stats = %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	db, _, _ := fixture(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"shred"}},
		{"bad format", []string{"export", "--format", "xml"}},
		{"bad nhs number", []string{"export", "--nhs-number", "1234567890"}},
		{"bad date", []string{"export", "--from", "yesterday"}},
		{"reversed dates", []string{"export", "--from", "2026-02-01", "--to", "2026-01-01"}},
		{"bad action", []string{"export", "--action", "peek"}},
		{"bad outcome", []string{"export", "--outcome", "meh"}},
		{"stray argument", []string{"verify", "now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errs := run(t, db, tt.args...); code != ExitUsage || errs == "" {
				t.Fatalf("code %d, stderr %q", code, errs)
			}
		})
	}
	if n, _ := db.Count(context.Background(), audit.Filter{Action: audit.ActionAuditExported}); n != 0 {
		t.Fatal("a refused export was recorded")
	}
}

var timeSeeds = []string{"2026-01-31", "2026-01-31T10:00:00Z", "2026-01-31T10:00:00.123+01:00", "31/01/2026", "", "2026-13-01"}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in        string
		endOfDay  bool
		want      string
		wantError bool
	}{
		{"2026-01-31", false, "2026-01-31T00:00:00Z", false},
		{"2026-01-31", true, "2026-02-01T00:00:00Z", false},
		{"2026-01-31T10:00:00+01:00", true, "2026-01-31T09:00:00Z", false},
		{"31/01/2026", false, "", true},
		{"2026-13-01", false, "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in, tt.endOfDay), func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.endOfDay)
			if (err != nil) != tt.wantError {
				t.Fatalf("err = %v", err)
			}
			if err == nil && got.Format(time.RFC3339) != tt.want {
				t.Fatalf("= %s, want %s", got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range timeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseTime(s, false)
		if err != nil {
			return
		}
		b, err := ParseTime(s, true)
		if err != nil || b.Before(a) || a.Location() != time.UTC {
			t.Fatalf("%q: %v %v %v", s, a, b, err)
		}
	})
}

// TestProgressBar: the bar shows the share of entries checked, and clears its line at the end.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b}
	p.show(10, 1000) // a small log: no bar
	if b.Len() != 0 {
		t.Fatalf("bar for a small log: %q", b.String())
	}
	p.show(450_000, 1_000_000)
	if got := b.String(); !strings.Contains(got, "Checking the audit log [#############.................]  45% (450,000 of 1,000,000 entries)") {
		t.Fatalf("bar = %q", got)
	}
	p.done()
	if !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Fatalf("bar not cleared: %q", b.String())
	}
	if newProgressBar(&b) != nil {
		t.Fatal("a buffer is not a terminal")
	}
}
