package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// TestRuleSettingsReachTheRunningRules: the SGP lowers the repeat re-opening count to 2 and
// switches the same-surname rule off on the settings screen (the screen's Save, through the
// controller); the save is audited field by field with the old and new values and names the
// SGP, the answer says the new settings apply from now on, and the store's running rules
// judge the next rows by them (two openings raise a case, a same-surname access none) while
// the two openings before the save raise none; Home names the rule switched off and Verify
// raises no false alarm over the change.
func TestRuleSettingsReachTheRunningRules(t *testing.T) {
	h, _ := sgpHarness(t)
	ctx := context.Background()
	before, after, surname := "9990005049", "9990005122", "9990000107"
	day := mondayAt(11, 0)
	if err := h.db.AppendBatch(ctx, []audit.Entry{readAt(day, before), readAt(day.Add(30*60e9), before)}); err != nil {
		t.Fatal(err)
	}
	cases := func(r governance.RuleID, nhs string) int64 {
		t.Helper()
		n, err := h.db.CaseCount(ctx, store.CaseFilter{Rule: r, NHSNumber: nhs})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := cases(governance.RuleRepeat, before); n != 0 {
		t.Fatalf("two openings under the default count of 3 raised %d cases", n)
	}
	act(h, func(c *Controller) { c.govSettings() })
	var saved string
	act(h, func(c *Controller) {
		if c.set == nil {
			t.Fatal("the settings screen did not open for the SGP")
		}
		f := present.FormOf(c.svc.Settings)
		for i := range f.Rules {
			switch f.Rules[i].Key {
			case "repeat_reopening":
				f.Rules[i].Values["count"] = "2"
			case "same_surname":
				f.Rules[i].On = false
			}
		}
		c.saveSettings(f)
		saved = c.set.view.Saved
		if c.set.view.SavedBad {
			t.Fatalf("refused: %s %v", saved, c.set.view.Problems)
		}
	})
	if !strings.Contains(saved, "The new rule settings apply to accesses recorded from now on; cases already raised stay as they are.") ||
		!strings.Contains(saved, "Repeat re-opening: number of openings") {
		t.Errorf("the save said %q", saved)
	}
	sgp := staff.DemoUsers()[2]
	got := map[string][2]string{}
	var rulesSet int
	for _, e := range h.entries() {
		switch e.Action {
		case audit.ActionSettingsChanged:
			if e.UserID != sgp.UserID {
				t.Errorf("settings change recorded as %q", e.UserID)
			}
			if strings.HasPrefix(e.Detail["field"], "rules.") { // (the harness's names are saved for the first time too)
				got[e.Detail["field"]] = [2]string{e.Detail["old"], e.Detail["new"]}
			}
		case audit.ActionRulesSet:
			rulesSet++
		}
	}
	if got["rules.repeat_reopening.count"] != [2]string{"3", "2"} || got["rules.same_surname.off"] != [2]string{"false", "true"} || len(got) != 2 {
		t.Errorf("audit rows %v", got)
	}
	if rulesSet != 1 {
		t.Errorf("%d governance-rules-set rows, want 1", rulesSet)
	}

	next := day.AddDate(0, 0, 7)
	if err := h.db.AppendBatch(ctx, []audit.Entry{readAt(next, after), readAt(next.Add(30*60e9), after),
		withFlag(readAt(next.Add(40*60e9), surname), audit.FlagSameSurname)}); err != nil {
		t.Fatal(err)
	}
	// The rules may still be catching up on a worker (the app enables them behind the window):
	// wait for the case, at most 20 s, rather than read the count at once.
	deadline := time.Now().Add(20 * time.Second)
	n := cases(governance.RuleRepeat, after)
	for n == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = cases(governance.RuleRepeat, after)
	}
	if n != 1 {
		t.Errorf("two openings after the count went to 2 raised %d repeat cases, want 1", n)
	}
	if n := cases(governance.RuleRepeat, before); n != 0 {
		t.Errorf("the openings before the save were judged again: %d repeat cases", n)
	}
	if n := cases(governance.RuleSameSurname, surname); n != 0 {
		t.Errorf("the same-surname rule, switched off, raised %d cases", n)
	}
	act(h, func(c *Controller) { c.closeSettings(); c.govGo(gscreens.PageHome) })
	h.inspect(func(c *Controller) {
		if off := c.gv.view.Home.RulesOff; !strings.Contains(off, "Same surname") {
			t.Errorf("Home says %q about the rules switched off", off)
		}
		if ch := c.gv.view.Home.RulesChanged; !strings.Contains(ch, "Repeat re-opening: openings 2 (default 3)") {
			t.Errorf("Home says %q about the thresholds changed", ch)
		}
	})
	if rep, err := h.db.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("Verify after the change: %v %+v", err, rep.Findings)
	}
}

func withFlag(e audit.Entry, f audit.Flag) audit.Entry {
	e.Detail = audit.WithFlags(e.Detail, f)
	return e
}

// TestCancelledSignInsRaiseNoFailedSignInCase: the rows the session machine really writes for a
// sign-in cancelled at the passcode and one stopped by the card coming out are not counted by
// the failed sign-ins rule (SGP.md: wrong passcodes or refused cards; four such sign-ins on one
// workstation raised a case though no passcode was wrong); three wrong passcodes still do.
func TestCancelledSignInsRaiseNoFailedSignInCase(t *testing.T) {
	h, dr, card := demoHarness(t)
	h.rulesBackfilled()
	failedCases := func() int {
		cs, _, err := h.db.Cases(context.Background(), store.CaseFilter{Rule: governance.RuleFailedSignIns}, store.CaseCursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	for range 3 {
		dr.Insert(demoReader, card)
		h.waitState(session.Passcode)
		h.inspect(func(c *Controller) { c.handle(session.Cancel{}) })
		dr.Remove(demoReader)
		h.waitState(session.WaitingForCard)
	}
	dr.Insert(demoReader, card)
	h.waitState(session.Passcode)
	dr.Remove(demoReader)
	h.waitState(session.WaitingForCard)
	var reasons []string
	for _, e := range h.entries() {
		if e.Action == audit.ActionLogin && e.Outcome != audit.OutcomeSuccess {
			reasons = append(reasons, e.Reason)
		}
	}
	if len(reasons) != 4 {
		t.Fatalf("sign-in rows %q, want 4 (3 cancelled, 1 stopped)", reasons)
	}
	if n := failedCases(); n != 0 {
		t.Fatalf("%d failed sign-ins cases after sign-ins cancelled or stopped (%q)", n, reasons)
	}
	dr.Insert(demoReader, card)
	for range 3 {
		h.typePasscode("000000")
		h.until("the passcode checked", func(c *Controller) bool { return c.m.State() != session.Verifying })
	}
	if n := failedCases(); n != 1 {
		t.Errorf("%d failed sign-ins cases after three wrong passcodes, want 1", n)
	}
}
