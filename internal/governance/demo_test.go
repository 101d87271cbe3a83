package governance

import (
	"testing"
	"time"

	"scrdesk/internal/audit"
)

func demoStaff() ([]DemoStaff, DemoStaff) {
	return []DemoStaff{
			{"555000000011", "Priya Shah", "555000001101", "S8000:G8000:R8003", "COUNTER-1"},
			{"555000000022", "Tom Evans", "555000002201", "S8000:G8000:R8004", "COUNTER-2"},
			{"555000000077", "Siân Ó Briain", "555000007701", "S8000:G8000:R8003", "COUNTER-1"},
		},
		DemoStaff{"555000000033", "Grace Okafor", "555000003302", "S8000:G8000:R8003", "COUNTER-1"}
}

// TestDemoLogFiresMostRules: the demo's 90 days raise hits for every rule but the self-lookup
// (the demo users have no record of their own), are valid events in time order, and are the
// same for the same seed.
func TestDemoLogFiresMostRules(t *testing.T) {
	staff, sgp := demoStaff()
	end := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	log := DemoLog(1, end, 90, staff, sgp, "FA123")
	if len(log) < 3000 {
		t.Fatalf("only %d entries in 90 days", len(log))
	}
	g := NewEngine(DefaultConfig())
	fired := map[RuleID]int{}
	for i, e := range log {
		e.Seq = int64(i + 1)
		if err := e.Validate(); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if i > 0 && e.Time.Before(log[i-1].Time) {
			t.Fatalf("entry %d goes back in time", i)
		}
		if e.Time.After(end) {
			t.Fatalf("entry %d after the end", i)
		}
		for _, h := range g.Check(e) {
			fired[h.Rule]++
		}
	}
	for _, r := range Rules() {
		if r.ID == RuleSelfLookup {
			continue
		}
		if r.ID == RuleSecuritySetting {
			// A seeded settings-changed row would be the log's latest record of the settings,
			// and the real settings document would then not match it (refused as tampered).
			continue
		}
		if fired[r.ID] == 0 {
			t.Errorf("the demo log has no hit for %s", r.ID)
		}
	}
	again := DemoLog(1, end, 90, staff, sgp, "FA123")
	if len(again) != len(log) || again[100].Time != log[100].Time || again[100].Action != log[100].Action {
		t.Error("the same seed gave another log")
	}
	_ = audit.ActionLogin
}
