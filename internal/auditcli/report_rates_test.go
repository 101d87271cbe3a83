package auditcli

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/settings"
)

// TestReportUsesTheLogsReviewRates: `scrdesk audit report` measures each rule's cases against
// the review share in force in the report's month, as the log recorded it when the pharmacy's
// settings were saved (SGP.md's where none was saved); its summary names the rules switched off
// at the month's end. Settings saved this month leave last month's report as it was.
func TestReportUsesTheLogsReviewRates(t *testing.T) {
	ctx := context.Background()
	db := demoDB(t)
	who := audit.Event{UserName: "grace", Workstation: "OFFICE", ODSCode: "FA123"}
	var summary string
	thisMonth := time.Now().In(london(t)).Format("2006-01")
	targets := func(st settings.Settings, args ...string) map[string]string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.csv")
		var so, se bytes.Buffer
		if code := ReportCommand(ctx, append([]string{"--out", out}, args...), &so, &se, db, who, st, nil); code != ExitOK {
			t.Fatalf("exit %d: %s", code, se.String())
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got, col := map[string]string{}, -1
		for _, row := range rows {
			for i, c := range row {
				if c == "SOP target" {
					col = i
				}
			}
			if len(row) > 1 && row[0] == "Summary" {
				summary = row[1]
			}
			if col > 0 && len(row) > col && row[0] != "rule" {
				got[row[0]] = row[col]
			}
		}
		return got
	}
	def := targets(settings.Defaults())
	if def["Self-claimed relationship"] != "50%" || def["Emergency access"] != "100%" {
		t.Fatalf("SGP.md's targets: %v", def)
	}
	st := settings.Defaults()
	st.PharmacyName = "High Street Pharmacy"
	st.Rules.SelfClaim.ReviewPercent = 25
	st.Rules.ByDetails.ReviewPercent = 10
	st.Rules.OutOfHours.Off = true
	if err := db.SaveSettings(ctx, st, who); err != nil {
		t.Fatal(err)
	}
	kept, err := db.LoadSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := targets(kept, "--month", thisMonth)
	if got["Self-claimed relationship"] != "25%" || (got["Emergency access"] != "" && got["Emergency access"] != "100%") {
		t.Errorf("targets with the pharmacy's settings: %v", got)
	}
	if !strings.Contains(summary, "Switched off in the settings at the end of the month, so raising no cases: Out of hours.") {
		t.Errorf("the summary does not name the rule switched off: %q", summary)
	}
	if _, ok := got["Found by details, not NHS number"]; ok && got["Found by details, not NHS number"] != "10%" {
		t.Errorf("found-by-details target %q", got["Found by details, not NHS number"])
	}
	// Last month's report (the default) was made under SGP.md's shares: today's save changes
	// nothing in it.
	if last := targets(kept); last["Self-claimed relationship"] != def["Self-claimed relationship"] || strings.Contains(summary, "Switched off") {
		t.Errorf("last month's report after this month's save: %v, %q", last, summary)
	}
}

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
