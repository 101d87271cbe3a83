package store

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/settings"
)

// stepClock is a clock the test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func countAction(t *testing.T, db *DB, a audit.Action) int64 {
	t.Helper()
	n, err := db.Count(context.Background(), audit.Filter{Action: a})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRuleSettingsJudgeOnlyLaterRows: a settings save that lowers the repeat re-opening count
// and switches the same-surname rule off records the rules' new configuration in the log
// (a governance-rules-set row after its settings rows, and a security-setting case naming the
// change); the rows after it are judged by it (two openings now raise a case, a same-surname
// access none), the rows before it keep their verdicts; Verify finds the cases the log's
// and raises no false alarm; a rebuild from the log and a restart (the warm-up re-read) leave
// every hit as it was; and rules started with a configuration the log does not hold record it.
func TestRuleSettingsJudgeOnlyLaterRows(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} // a Monday, open
	path := filepath.Join(t.TempDir(), "a.db")
	keys := newMemKeys()
	db := openTest(t, path, keys, Options{Now: clock.now})
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if n := countAction(t, db, audit.ActionRulesSet); n != 0 {
		t.Fatalf("the default rules recorded %d governance-rules-set rows", n)
	}
	read := func(nhs string, flags ...audit.Flag) audit.Entry {
		return audit.Entry{Time: clock.add(10 * time.Minute), Event: audit.Event{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess,
			UserID: "555000000011", UserName: "Priya Shah", Workstation: "COUNTER-1", NHSNumber: nhs,
			Detail: audit.WithFlags(nil, flags...)}}
	}
	before, after, surname := governance.DemoNHSNumber(1), governance.DemoNHSNumber(2), governance.DemoNHSNumber(3)
	if err := db.AppendBatch(ctx, []audit.Entry{read(before), read(before), read(surname, audit.FlagSameSurname)}); err != nil {
		t.Fatal(err)
	}
	cases := func(r governance.RuleID, nhs string) int64 {
		t.Helper()
		n, err := db.CaseCount(ctx, CaseFilter{Rule: r, NHSNumber: nhs})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if cases(governance.RuleRepeat, before) != 0 || cases(governance.RuleSameSurname, surname) != 1 {
		t.Fatalf("under the defaults: repeat %d, same surname %d", cases(governance.RuleRepeat, before), cases(governance.RuleSameSurname, surname))
	}

	st := settings.Defaults()
	st.Rules.Repeat.Count = 2
	st.Rules.SameSurname.Off = true
	clock.add(time.Minute)
	if err := db.SaveSettings(ctx, st, sgpWho); err != nil {
		t.Fatal(err)
	}
	set, _, err := db.Query(ctx, audit.Filter{Action: audit.ActionRulesSet}, audit.Cursor{}, 10)
	if err != nil || len(set) != 1 {
		t.Fatalf("governance-rules-set rows after the save: %d, %v", len(set), err)
	}
	if set[0].UserID != sgpWho.UserID {
		t.Errorf("the rules' change is recorded as %q", set[0].UserName)
	}
	if got, err := db.RulesConfig(ctx); err != nil || !got.Equal(st.GovernanceConfig()) {
		t.Errorf("the log's rules = %s (%v), want the settings' %s", got.Encode(), err, st.GovernanceConfig().Encode())
	}
	changes, _, _ := db.Query(ctx, audit.Filter{Action: audit.ActionSettingsChanged}, audit.Cursor{}, 10)
	for _, c := range changes {
		if c.Seq > set[0].Seq {
			t.Errorf("settings row %d (%s) after the rules' row %d", c.Seq, c.Detail["field"], set[0].Seq)
		}
	}
	sec, _, _ := db.Cases(ctx, CaseFilter{Rule: governance.RuleSecuritySetting}, CaseCursor{}, 10)
	if len(sec) != 1 {
		t.Fatalf("%d security-setting cases for the save, want 1", len(sec))
	}
	if k, _ := db.Case(ctx, sec[0].Seq); len(k.Hits) == 0 || !strings.Contains(k.Hits[0].Evidence, "Repeat re-opening rule's count setting was changed from \"3\" to \"2\"") {
		t.Errorf("security-setting evidence %+v", k.Hits)
	}

	if err := db.AppendBatch(ctx, []audit.Entry{read(after), read(after), read(surname, audit.FlagSameSurname)}); err != nil {
		t.Fatal(err)
	}
	if n := cases(governance.RuleRepeat, after); n != 1 {
		t.Errorf("two openings after the count went to 2 raised %d repeat cases, want 1", n)
	}
	if n := cases(governance.RuleRepeat, before); n != 0 {
		t.Errorf("the two openings before the change were judged again: %d repeat cases", n)
	}
	if n := cases(governance.RuleSameSurname, surname); n != 1 {
		t.Errorf("same-surname cases %d, want only the one from before the rule was switched off", n)
	}

	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("Verify after a threshold change: %v %+v", err, rep.Findings)
	}
	hits := allHits(t, db)
	cfg, err := db.RulesConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RebuildGovernance(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if got := allHits(t, db); !reflect.DeepEqual(got, hits) {
		t.Errorf("rebuild from the log: %d hits, before %d", len(got), len(hits))
	}
	// A restart: the rules start with the settings' configuration (the log's already) and
	// re-read the warm-up, leaving every verdict as it was.
	db.Close()
	db = openTest(t, path, keys, Options{Now: clock.now})
	if err := db.EnableRules(ctx, st.GovernanceConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if n := countAction(t, db, audit.ActionRulesSet); n != 1 {
		t.Errorf("a restart with the same settings recorded the rules again (%d rows)", n)
	}
	if got := allHits(t, db); !reflect.DeepEqual(got, hits) {
		t.Errorf("restart: %d hits, before %d", len(got), len(hits))
	}
	// Rules started with a configuration the log lacks (settings kept before the log recorded
	// rules) record it first, and judge the rows after it by it.
	db.DisableRules()
	st.Rules.SameSurname.Off = false
	if err := db.EnableRules(ctx, st.GovernanceConfig(), nil); err != nil {
		t.Fatal(err)
	}
	if n := countAction(t, db, audit.ActionRulesSet); n != 2 {
		t.Errorf("%d governance-rules-set rows, want 2", n)
	}
	if err := db.AppendBatch(ctx, []audit.Entry{read(surname, audit.FlagSameSurname)}); err != nil {
		t.Fatal(err)
	}
	if n := cases(governance.RuleSameSurname, surname); n != 2 {
		t.Errorf("same-surname cases %d after the rule was on again, want 2", n)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("Verify: %v %+v", err, rep.Findings)
	}
}

// TestOneSaveNamesEverySecurityChange: a save that changes several settings raises one
// "security setting changed" case, and its evidence names every security setting the save
// changed (the rows carry the save's field list); a list too long for a row is cut with "…".
func TestOneSaveNamesEverySecurityChange(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "s.db"), newMemKeys(), Options{})
	if err := db.EnableRules(ctx, governance.DefaultConfig(), nil); err != nil {
		t.Fatal(err)
	}
	st := settings.Defaults()
	st.PharmacyName, st.IdleLockMinutes, st.TrustAnchorsFile = "High Street Pharmacy", 30, "/etc/scrdesk/anchors.pem"
	st.Rules.Repeat.Count = 5
	if err := db.SaveSettings(ctx, st, sgpWho); err != nil {
		t.Fatal(err)
	}
	cs, _, err := db.Cases(ctx, CaseFilter{Rule: governance.RuleSecuritySetting}, CaseCursor{}, 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("%d security cases (%v), want 1 for one save", len(cs), err)
	}
	var ev string
	for _, h := range allHits(t, db) {
		if h.Rule == string(governance.RuleSecuritySetting) {
			ev = h.Ev
		}
	}
	for _, want := range []string{"idle lock", "trust anchors", "Repeat re-opening rule's count"} {
		if !strings.Contains(ev, want) {
			t.Errorf("the case's evidence does not name the %s: %q", want, ev)
		}
	}
	if strings.Contains(ev, "pharmacy") {
		t.Errorf("the evidence names the pharmacy's name, not a security setting: %q", ev)
	}
	// Old and new values full of characters JSON escapes, with many fields: the save still fits.
	st2 := st
	st2.TrustAnchorsFile, st2.ClientCertFile = "/a"+strings.Repeat("&<>", 100), "/b"+strings.Repeat("&", 200)
	st2.IdleLockMinutes, st2.PharmacyName, st2.ODSCode = 10, "Another & Co", "FQ999"
	st2.Rules.Repeat.Count, st2.Rules.SameSurname.Off = 6, true
	if err := db.SaveSettings(ctx, st2, sgpWho); err != nil {
		t.Fatalf("a save with long escaped values: %v", err)
	}
	long := make([]settings.Change, 400)
	for i := range long {
		long[i] = settings.Change{Field: "rules.repeat_reopening.count"}
	}
	if got := saveFields(long, 1000); len(got) > 1000 || !strings.HasSuffix(got, ",…") {
		t.Errorf("a long list: %d bytes, ends %q", len(got), got[max(0, len(got)-10):])
	}
}
