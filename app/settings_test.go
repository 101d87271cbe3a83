package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
)

// TestApplySettingsAppliesPersistsAndAudits: a change made while signed in is applied at once
// (the session's idle lock and the status bar's names), kept in the store, and audited field by
// field with the old and new value and the signed-in user; a bad change is refused and changes
// nothing.
func TestApplySettingsAppliesPersistsAndAudits(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	before, err := h.db.LoadSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var next settings.Settings
	h.inspect(func(c *Controller) { next = c.svc.Settings })
	next.ODSCode, next.PharmacyName, next.IdleLockMinutes = "FQ999", "Station Road Pharmacy", 2

	var msg string
	h.inspect(func(c *Controller) { msg, err = c.applySettings(next, "settings screen") })
	if err != nil {
		t.Fatalf("applySettings: %v (%s)", err, msg)
	}
	if msg != "Saved and applied (pharmacy name, ods code, workstation name, idle lock minutes)." {
		t.Errorf("answer %q", msg)
	}
	h.inspect(func(c *Controller) {
		if c.svc.Settings.ODSCode != "FQ999" || !strings.Contains(c.frame().lock.Pharmacy, "Station Road Pharmacy") {
			t.Errorf("not applied: %+v", c.svc.Settings)
		}
	})
	stored, err := h.db.LoadSettings(context.Background())
	if err != nil || stored.ODSCode != "FQ999" || stored.IdleLockMinutes != 2 {
		t.Errorf("not kept: %+v %v", stored, err)
	}
	got := map[string][2]string{}
	for _, e := range h.entries() {
		if e.Action == audit.ActionSettingsChanged {
			if e.UserID != staff.DemoUsers()[0].UserID || e.Reason != "settings screen" {
				t.Errorf("audited as %q (%q)", e.UserID, e.Reason)
			}
			got[e.Detail["field"]] = [2]string{e.Detail["old"], e.Detail["new"]}
		}
	}
	if got["ods_code"] != [2]string{before.ODSCode, "FQ999"} || got["idle_lock_minutes"] != [2]string{"5", "2"} {
		t.Errorf("audit rows %v", got)
	}
	// The new idle lock is the session's now: two idle minutes lock.
	h.clock.Advance(2*time.Minute + 2*time.Second)
	h.waitState(session.Locked)

	// A bad change is refused, with the reason, and nothing changes.
	bad := next
	bad.IdleLockMinutes = 0
	h.inspect(func(c *Controller) { msg, err = c.applySettings(bad, "settings screen") })
	if err == nil || msg != "Please correct the settings: The idle lock must be between 1 and 60 minutes." {
		t.Errorf("bad change: %q, %v", msg, err)
	}
	stored, _ = h.db.LoadSettings(context.Background())
	if stored.IdleLockMinutes != 2 {
		t.Errorf("bad change kept: %d", stored.IdleLockMinutes)
	}
}
