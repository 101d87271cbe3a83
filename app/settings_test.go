package app

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/present"
	"scrdesk/internal/session"
	"scrdesk/internal/settings"
	"scrdesk/internal/staff"
	"scrdesk/screens"
	gosync "scrdesk/sync"
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

// TestSettingsScreenSavesChecksAndCloses drives the settings screen's controller side with the
// real screen on the test driver: a bad field is refused beside it and nothing is kept; a good
// change is applied, kept and audited; "Test connection" passes against the built-in sandbox
// over real HTTP and fails, saying why, against a closed port; "Check a card" reads the card
// in the reader; locking closes the screen, and a check that answers after that changes
// nothing.
func TestSettingsScreenSavesChecksAndCloses(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.inspect(func(c *Controller) {
		c.svc.Demo = true // the demo may open settings (a pharmacist in the demo)
		c.svc.Reconnect = func(st settings.Settings) (*x509.CertPool, *gosync.Client, error) {
			cl, err := gosync.New(gosync.Config{BaseURL: st.EffectiveBaseURL()})
			return c.svc.Anchors, cl, err
		}
		c.openSettings()
	})
	settingsShown(t, h)
	var form present.SettingsForm
	h.inspect(func(c *Controller) { form = c.set.view.Form })

	bad := form
	bad.ODSCode = "F-1"
	h.inspect(func(c *Controller) { c.saveSettings(bad) })
	h.inspect(func(c *Controller) {
		if c.set.view.Problems["ods_code"] == "" || !c.set.view.SavedBad {
			t.Errorf("bad ODS code: %+v", c.set.view)
		}
	})
	if st, _ := h.db.LoadSettings(context.Background()); st.ODSCode == "F-1" {
		t.Fatal("a refused field was kept")
	}

	good := form
	good.ODSCode = "FQ999"
	h.inspect(func(c *Controller) { c.saveSettings(good) })
	h.inspect(func(c *Controller) {
		if c.set.view.SavedBad || !strings.HasPrefix(c.set.view.Saved, "Saved and applied (") || c.svc.Settings.ODSCode != "FQ999" {
			t.Errorf("good change: %q %+v", c.set.view.Saved, c.svc.Settings)
		}
	})
	if st, _ := h.db.LoadSettings(context.Background()); st.ODSCode != "FQ999" {
		t.Errorf("not kept: %q", st.ODSCode)
	}
	audited := false
	for _, e := range h.entries() {
		if e.Action == audit.ActionSettingsChanged && e.Detail["field"] == "ods_code" && e.Detail["new"] == "FQ999" && e.Reason == "settings screen" {
			audited = true
		}
	}
	if !audited {
		t.Error("the change was not audited")
	}

	// Test connection: the sandbox answers; a closed port does not, and the screen says why.
	reach := good
	reach.Environment, reach.BaseURL = "custom", h.baseURL
	h.inspect(func(c *Controller) { c.testConnection(reach) })
	h.until("connection passed", func(c *Controller) bool { return c.set.view.Connection.Done })
	h.inspect(func(c *Controller) {
		if v := c.set.view.Connection; !v.OK || !strings.Contains(strings.Join(v.Lines, " "), "The built-in sandbox answered in") {
			t.Errorf("connection to the sandbox: %+v", v)
		}
	})
	closed := good
	closed.Environment, closed.BaseURL = "custom", "http://127.0.0.1:1"
	h.inspect(func(c *Controller) { c.testConnection(closed) })
	h.until("connection failed", func(c *Controller) bool { return c.set.view.Connection.Done })
	h.inspect(func(c *Controller) {
		if v := c.set.view.Connection; v.OK || !strings.Contains(strings.Join(v.Lines, " "), "refused the connection") {
			t.Errorf("connection to a closed port: %+v", v)
		}
	})

	// Check a card: the signed-in card in the demo reader.
	h.inspect(func(c *Controller) { c.checkCard(good, "") })
	h.until("card checked", func(c *Controller) bool { return c.set.view.Card.Done })
	h.inspect(func(c *Controller) {
		if v := c.set.view.Card; !v.OK || !strings.Contains(strings.Join(v.Lines, " "), staff.DemoUsers()[0].UserID) {
			t.Errorf("card check: %+v", v)
		}
	})

	// A check still running when the screen closes (the lock) changes nothing when it answers.
	h.inspect(func(c *Controller) {
		c.testConnection(reach)
		c.handle(session.LockByHand{})
		if c.set != nil {
			t.Error("locking left the settings screen open")
		}
	})
	time.Sleep(300 * time.Millisecond)
	h.inspect(func(c *Controller) {
		if c.set != nil {
			t.Error("a late answer reopened the settings screen")
		}
		c.openSettings() // locked: refused
		if c.set != nil {
			t.Error("settings opened while locked")
		}
	})
}

// TestSettingsCardCheckPasscode: "Check a card" with no passcode says the passcode was not
// checked and spends no try; with the right one it verifies it, has the card sign a fresh
// challenge and leaves the card needing its passcode again (the security status reset, as at
// sign-in); a wrong one is reported with the tries left, and costs one try. The passcode is in
// no view and no log line.
func TestSettingsCardCheckPasscode(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	var logs lockedBuffer
	h.inspect(func(c *Controller) {
		c.svc.Demo = true
		c.svc.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.openSettings()
	})
	settingsShown(t, h)
	var form present.SettingsForm
	h.inspect(func(c *Controller) { form = c.set.view.Form })
	pin := staff.DemoUsers()[0].PIN
	wrong := "975310"
	if wrong == pin {
		t.Fatal("the wrong passcode is the demo user's")
	}

	check := func(what, passcode string) present.SettingsView {
		t.Helper()
		h.inspect(func(c *Controller) { c.checkCard(form, passcode) })
		h.until(what, func(c *Controller) bool { return c.set.view.Card.Done })
		var v present.SettingsView
		h.inspect(func(c *Controller) { v = c.set.view })
		return v
	}
	cases := []struct {
		name, passcode string
		ok             bool
		want           []string
		tries          int
	}{
		{"no passcode", "", true, []string{"3 passcode tries left.", "Passcode: not checked"}, 3},
		{"right passcode", pin, true, []string{"Passcode: ok;", "Challenge: ok"}, 3},
		{"wrong passcode", wrong, false, []string{"3 passcode tries left.", "Passcode: WRONG, 2 tries left."}, 2},
		{"wrong again", wrong, false, []string{"2 passcode tries left.", "Passcode: WRONG, 1 tries left."}, 1},
		{"right passcode after", pin, true, []string{"1 passcode tries left.", "Passcode: ok;", "Challenge: ok"}, 3},
	}
	for _, tc := range cases {
		v := check(tc.name, tc.passcode)
		text := strings.Join(v.Card.Lines, " ")
		if v.Card.OK != tc.ok {
			t.Errorf("%s: ok=%v, want %v: %q", tc.name, v.Card.OK, tc.ok, text)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q lacks %q", tc.name, text, w)
			}
		}
		if strings.Contains(text, "Challenge") != (tc.passcode == pin) {
			t.Errorf("%s: challenge line: %q", tc.name, text)
		}
		if got := card.TriesLeft(); got != tc.tries {
			t.Errorf("%s: card has %d tries left, want %d", tc.name, got, tc.tries)
		}
		if tc.passcode != "" && strings.Contains(fmt.Sprintf("%+v", v), tc.passcode) {
			t.Errorf("%s: the passcode is in the settings view", tc.name)
		}
		// The check leaves the card needing its passcode (WithPasscode reset it).
		if err := cardreader.SelectPIV(card); err != nil {
			t.Fatal(err)
		}
		if cardreader.Verified(card) {
			t.Errorf("%s: the card is left verified after the check", tc.name)
		}
	}
	if strings.Contains(logs.String(), pin) || strings.Contains(logs.String(), wrong) {
		t.Error("a passcode was logged")
	}
}

// settingsShown fails unless the settings screen is open and on screen. The screen is the UI
// goroutine's (here the test's, which runs the UI queue), so it is read here, not from the
// controller goroutine.
func settingsShown(t *testing.T, h *harness) {
	t.Helper()
	var st *settingsUI
	h.inspect(func(c *Controller) { st = c.set })
	h.pump()
	if st == nil || st.screen == nil {
		t.Fatal("the settings screen is not open")
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger on another goroutine.
type lockedBuffer struct {
	mu  stdsync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAnchorLinesShowSubjectAndExpiry: the settings screen lists each trust anchor's subject
// and expiry, marks an expired one, and says plainly when the file is missing, holds no
// certificate, or is not set (every card refused; the demo's own authority in the demo).
func TestAnchorLinesShowSubjectAndExpiry(t *testing.T) {
	ca, err := virtualcard.NewCA("Anchor Test RA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, empty := filepath.Join(dir, "anchors.pem"), filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(good, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notAfter := ca.Certificate().NotAfter
	cases := []struct {
		name, path string
		demo       bool
		now        time.Time
		want       string
	}{
		{"in date", good, false, notAfter.Add(-time.Hour), "Anchor Test RA"},
		{"in date expiry", good, false, notAfter.Add(-time.Hour), ": expires " + notAfter.Format("02-Jan-2006")},
		{"expired", good, false, notAfter.Add(time.Hour), ": EXPIRED " + notAfter.Format("02-Jan-2006")},
		{"missing file", filepath.Join(dir, "none.pem"), false, time.Now(), "This file cannot be read"},
		{"no certificate", empty, false, time.Now(), "holds no certificates"},
		{"not set", "", false, time.Now(), "every card is refused"},
		{"not set, demo", "", true, time.Now(), "demo smartcard authority only"},
	}
	for _, tc := range cases {
		got := strings.Join(anchorLines(tc.path, tc.demo, tc.now), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.name, got, tc.want)
		}
	}
}

// TestSettingsCardCheckRefusesUntrustedCard: the settings screen's card check refuses a card
// whose certificate does not chain to the trust anchors (another authority's card), or one
// out of date, before any passcode is tried: no try is spent.
func TestSettingsCardCheckRefusesUntrustedCard(t *testing.T) {
	trusted, err := virtualcard.NewCA("Trusted RA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := virtualcard.NewCA("Other RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[0]
	for _, tc := range []struct {
		name string
		opts virtualcard.Options
	}{
		{"another authority", virtualcard.Options{CA: other}},
		{"expired", virtualcard.Options{CA: trusted, Expired: true}},
	} {
		tc.opts.UserID, tc.opts.Name, tc.opts.PIN = u.UserID, u.Name, u.PIN
		card, err := virtualcard.New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		dr := cardreader.NewDemoReader()
		dr.Attach(demoReader)
		dr.Insert(demoReader, card)
		ok, lines := cardCheck(dr, demoReader, settings.Defaults(), trusted.Pool(), true, time.Now(), u.PIN)
		text := strings.Join(lines, " ")
		if ok || !strings.Contains(text, "NOT valid here") || strings.Contains(text, "Passcode:") {
			t.Errorf("%s: ok=%v %q", tc.name, ok, text)
		}
		if card.TriesLeft() != 3 {
			t.Errorf("%s: a passcode try was spent on a card that cannot pass", tc.name)
		}
	}
}

// TestCounterShowsTheEnvironment: outside the demo, every frame's status bar names the national
// environment the workstation talks to (HAZ-16): LIVE, INTEGRATION or CUSTOM ADDRESS.
func TestCounterShowsTheEnvironment(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	for env, want := range map[settings.Environment]string{
		settings.EnvProduction:  "LIVE",
		settings.EnvIntegration: "INTEGRATION",
		settings.EnvCustom:      "CUSTOM ADDRESS",
	} {
		h.inspect(func(c *Controller) {
			c.svc.Demo = false
			c.svc.Settings.Environment = env
			if got := c.frame().status.Env; got != want {
				t.Errorf("%s: the status bar's mark is %q, want %q", env, got, want)
			}
			c.svc.Demo = true
			if got := c.frame().status.Env; got != "" {
				t.Errorf("the demo shows the environment mark %q beside its DEMO mark", got)
			}
		})
	}
}

// TestSettingsFileSentToTheWindowIsNotTheSignedInUsers: a settings file handed to the running
// window by another launch (`scrdesk --config FILE`) while a pharmacist is signed in is applied
// and audited as the operating-system account's change, with the file named: the pharmacist
// whose card is in did not make it.
func TestSettingsFileSentToTheWindowIsNotTheSignedInUsers(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	var next settings.Settings
	h.inspect(func(c *Controller) { next = c.svc.Settings })
	next.IdleLockMinutes = 3
	data, err := json.Marshal(next)
	if err != nil {
		t.Fatal(err)
	}
	in := make(chan ConfigRequest)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.c.serveConfigs(ctx, in)
	reply := make(chan ConfigReply, 1)
	in <- ConfigRequest{Name: "/etc/scrdesk/pharmacy.json", Data: data, Reply: reply}
	var r ConfigReply
	select {
	case r = <-reply:
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to the settings file")
	}
	if r.Err != nil {
		t.Fatalf("refused: %v %s", r.Err, r.Message)
	}
	idle := false
	for _, e := range h.entries() {
		if e.Action != audit.ActionSettingsChanged {
			continue
		}
		idle = idle || e.Detail["field"] == "idle_lock_minutes"
		if e.UserID != "" || e.URID != "" || e.UserName != OSAccount() ||
			e.Reason != "settings file /etc/scrdesk/pharmacy.json, sent to the running window" {
			t.Errorf("audited as user %q (%q, role %q), reason %q", e.UserID, e.UserName, e.URID, e.Reason)
		}
	}
	if !idle {
		t.Error("no settings-changed row for the idle lock")
	}
}

// TestReachWords: a connection test's answer in words: success plainly; another status as what
// it is, never as a record answering; an address is not capitalised.
func TestReachWords(t *testing.T) {
	if got := reachWords("the built-in sandbox", 404, 3*time.Millisecond); !strings.HasPrefix(got, "The built-in sandbox answered in 3 ms, so the network") || !strings.Contains(got, "HTTP 404") {
		t.Errorf("404: %q", got)
	}
	if got := reachWords("https://sandbox.api.service.nhs.uk", 200, time.Second); got != "https://sandbox.api.service.nhs.uk answered in 1000 ms (HTTP 200)." {
		t.Errorf("200: %q", got)
	}
}

// TestSettingsWindowLocksFromItsMenu: the settings window has the Session menu, so Ctrl+L (its
// Lock item's shortcut: Fyne gives a focused entry every shortcut but the menu's) locks from it
// as from the main window, and the lock closes it (a keyboard walk pressed Ctrl+L in the
// settings window and nothing happened).
func TestSettingsWindowLocksFromItsMenu(t *testing.T) {
	h, dr, card := demoHarness(t)
	signIn(t, h, dr, card)
	h.inspect(func(c *Controller) {
		c.svc.Demo = true // the demo may open settings (a pharmacist in the demo)
		c.openSettings()
	})
	settingsShown(t, h)
	var st *settingsUI
	h.inspect(func(c *Controller) { st = c.set })
	h.pump()
	menu := st.win.MainMenu()
	if menu == nil || len(menu.Items) == 0 {
		t.Fatal("the settings window has no menu")
	}
	var lock *fyne.MenuItem
	for _, it := range menu.Items[0].Items {
		if it.Shortcut == screens.LockShortcut {
			lock = it
		}
	}
	if lock == nil {
		t.Fatalf("no Lock (%s) in the settings window's %q menu", screens.ShortcutText(screens.LockShortcut), menu.Items[0].Label)
	}
	lock.Action()
	h.waitState(session.Locked)
	h.inspect(func(c *Controller) {
		if c.set != nil {
			t.Error("locking from the settings window left it open")
		}
	})
}
