package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"scrdesk/internal/audit"
	"scrdesk/internal/governance"
	"scrdesk/internal/logging"
	"scrdesk/internal/secrets"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// TestGovConfigForOpeningHours: the settings' opening hours become the rules' hours, day by
// day (time.Weekday order), in Europe/London; "" and hours that do not parse give the default.
func TestGovConfigForOpeningHours(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	type day struct{ open, close int }
	closed := day{}
	cases := []struct {
		hours string
		want  [7]day // Sunday first
	}{
		{"", [7]day{closed, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}}},
		{"not hours", [7]day{closed, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}, {540, 1080}}},
		{"Mon-Fri 10:00-12:00", [7]day{closed, {600, 720}, {600, 720}, {600, 720}, {600, 720}, {600, 720}, closed}},
		{"Sun 10:00-16:00, Sat 09:00-13:00", [7]day{{600, 960}, closed, closed, closed, closed, closed, {540, 780}}},
		{"Fri-Mon 00:00-24:00", [7]day{{0, 1440}, {0, 1440}, closed, closed, closed, {0, 1440}, {0, 1440}}},
	}
	for _, tc := range cases {
		cfg := govConfigFor(settings.Settings{OpeningHours: tc.hours})
		if cfg.Hours.Location == nil || cfg.Hours.Location.String() != london.String() {
			t.Errorf("%q: location %v, want Europe/London", tc.hours, cfg.Hours.Location)
		}
		for d := range 7 {
			if got := (day{cfg.Hours.Days[d].Open, cfg.Hours.Days[d].Close}); got != tc.want[d] {
				t.Errorf("%q: %s %v, want %v", tc.hours, time.Weekday(d), got, tc.want[d])
			}
		}
		if def := governance.DefaultConfig(); cfg.MinReasonChars != def.MinReasonChars || cfg.ReviewPeriod != def.ReviewPeriod {
			t.Errorf("%q: the other defaults changed", tc.hours)
		}
	}
}

// mondayAt is the next Monday at least a week after now, at hh:mm London time.
func mondayAt(hh, mm int) time.Time {
	loc, _ := time.LoadLocation("Europe/London")
	d := time.Now().In(loc).AddDate(0, 0, 7)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
}

func readAt(at time.Time, nhs string) audit.Entry {
	return audit.Entry{Time: at, Event: audit.Event{Action: audit.ActionPatientRead, Outcome: audit.OutcomeSuccess,
		UserID: "555000000011", UserName: "Priya Shah", RoleCode: "S8000:G8000:R8003", Workstation: "COUNTER-1",
		NHSNumber: nhs, Reason: "patient's permission"}}
}

func outOfHours(t *testing.T, db *store.DB, nhs string) int64 {
	t.Helper()
	n, err := db.CaseCount(context.Background(), store.CaseFilter{Rule: governance.RuleOutOfHours, NHSNumber: nhs})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpeningHoursSettingDrivesOutOfHours: with "Mon-Fri 10:00-12:00", the rules over a real
// SQLite log flag a Monday 13:00 access as out of hours and not an 11:00 one (both opening
// hours' defaults would call open).
func TestOpeningHoursSettingDrivesOutOfHours(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "scrdesk.db"), secrets.File(filepath.Join(dir, "secrets.json")), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.EnableRules(ctx, govConfigFor(settings.Settings{OpeningHours: "Mon-Fri 10:00-12:00"}), nil); err != nil {
		t.Fatal(err)
	}
	in, out := "9990005049", "9990005122"
	if err := db.AppendBatch(ctx, []audit.Entry{readAt(mondayAt(11, 0), in), readAt(mondayAt(13, 0), out)}); err != nil {
		t.Fatal(err)
	}
	if n := outOfHours(t, db, in); n != 0 {
		t.Errorf("11:00 Monday raised %d out-of-hours cases", n)
	}
	if n := outOfHours(t, db, out); n != 1 {
		t.Errorf("13:00 Monday raised %d out-of-hours cases, want 1", n)
	}
}

// TestOpeningHoursChangeReachesTheRunningRules: the controller's rules start with the kept
// settings (default hours: Monday 13:00 is open); once the settings screen's path changes the
// hours to "Mon-Fri 10:00-12:00", the next Monday 13:00 access is out of hours, and 11:00 not.
func TestOpeningHoursChangeReachesTheRunningRules(t *testing.T) {
	h, _ := sgpHarness(t)
	h.rulesBackfilled()
	ctx := context.Background()
	before, after, morning := "9990005049", "9990005122", "9990000107"
	if err := h.db.AppendBatch(ctx, []audit.Entry{readAt(mondayAt(13, 0), before)}); err != nil {
		t.Fatal(err)
	}
	if n := outOfHours(t, h.db, before); n != 0 {
		t.Fatalf("13:00 Monday under the default hours raised %d out-of-hours cases", n)
	}
	h.inspect(func(c *Controller) {
		st := c.svc.Settings
		st.OpeningHours = "Mon-Fri 10:00-12:00"
		if msg, err := c.applySettings(st, "test"); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if got := c.govConfig().Hours.Days[time.Monday]; got.Open != 600 || got.Close != 720 {
			t.Errorf("the workspace's config has Monday %v", got)
		}
	})
	next := mondayAt(0, 0).AddDate(0, 0, 7)
	at := func(hh int) time.Time { return next.Add(time.Duration(hh) * time.Hour) }
	if err := h.db.AppendBatch(ctx, []audit.Entry{readAt(at(11), morning), readAt(at(13), after)}); err != nil {
		t.Fatal(err)
	}
	if n := outOfHours(t, h.db, morning); n != 0 {
		t.Errorf("11:00 Monday raised %d out-of-hours cases", n)
	}
	if n := outOfHours(t, h.db, after); n != 1 {
		t.Errorf("13:00 Monday after the change raised %d out-of-hours cases, want 1", n)
	}
}

// TestGovernanceHomeOpensSettings: Home's Settings action (the screen's callback, through the
// controller) opens the settings screen for the signed-in SGP role, and nothing after a lock or
// under a counter role.
func TestGovernanceHomeOpensSettings(t *testing.T) {
	h, _ := sgpHarness(t)
	h.inspect(func(c *Controller) { c.svc.Demo = false }) // the SGP role, not the demo's leniency, opens it
	act(h, func(c *Controller) { c.govGo(gscreens.PageHome) })
	act(h, func(c *Controller) { c.govSettings() })
	h.inspect(func(c *Controller) {
		if c.set == nil {
			t.Fatal("Settings on the SGP's Home opened nothing")
		}
		c.closeSettings()
	})
	// The counter role (switch from the status bar): the workspace is gone, nothing opens.
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the counter role", func(c *Controller) bool { return c.gv == nil && c.m.Snapshot().State == session.Ready })
	act(h, func(c *Controller) { c.govSettings() })
	h.inspect(func(c *Controller) {
		if c.set != nil {
			t.Error("Settings opened under a counter role")
		}
	})
	act(h, func(c *Controller) { c.switchRole() })
	h.until("the SGP role again", func(c *Controller) bool { return c.gv != nil })
	act(h, func(c *Controller) { c.handle(session.LockByHand{}) })
	h.waitState(session.Locked)
	act(h, func(c *Controller) { c.govSettings() })
	h.inspect(func(c *Controller) {
		if c.set != nil {
			t.Error("Settings opened after the lock")
		}
	})
}
