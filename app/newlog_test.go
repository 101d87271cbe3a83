package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scrdesk/cardreader"
	"scrdesk/cardreader/virtualcard"
	"scrdesk/internal/audit"
	"scrdesk/internal/secrets"
	"scrdesk/internal/session"
	"scrdesk/internal/staff"
	"scrdesk/internal/store"
	gscreens "scrdesk/screens/governance"
)

// TestSGPStartsANewLogFromTheWorkspace: with the log removed (the keyring knows entry 3), the
// SGP's Home shows the break and offers a new log; without a reason it is refused in words; a
// request that arrives after the lock changes nothing; with a reason the controller ends its run
// and reports who asked, and store.NewLog (what Run then calls) writes a first row naming the
// SGP, her role, the reason and the previous log's last known entry, and the new log verifies.
func TestSGPStartsANewLogFromTheWorkspace(t *testing.T) {
	ca, err := virtualcard.NewCA("Test RA")
	if err != nil {
		t.Fatal(err)
	}
	u := staff.DemoUsers()[2] // Grace Okafor: an SGP role and a pharmacist role
	card, err := virtualcard.New(virtualcard.Options{UserID: u.UserID, Name: u.Name, PIN: u.PIN, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	dr := cardreader.NewDemoReader()
	dr.Attach(demoReader)
	h := newHarness(t, dr, ca.Pool(), harnessOpts{prepare: removedLog})
	signInSGP := func(choose bool) {
		t.Helper()
		h.typePasscode(u.PIN)
		if choose { // an unlock keeps the role
			h.waitState(session.ChoosingRole)
			h.inspect(func(c *Controller) { c.chosen(u.Roles[0].URID) })
		}
		h.waitState(session.Ready)
		h.until("the governance workspace", func(c *Controller) bool { return c.gv != nil })
		h.pump()
	}
	dr.Insert(demoReader, card)
	signInSGP(true)
	// The rules' finish may reach the window after Home was drawn (it does under load): it must
	// leave the refusal and the offer as they are (it once redrew Home with the log's counts and
	// no offer).
	h.inspect(func(c *Controller) { c.rulesCaughtUp() })
	h.pump()
	gov := h.frame.gov
	if gov == nil || gov.Home.NewLog == "" {
		t.Fatalf("Home does not offer a new log: %+v", gov)
	}
	if !strings.Contains(gov.Home.Integrity, "removed or replaced (last known: entry 3") || gov.Home.IntegrityOK {
		t.Errorf("Home's integrity line: %q (ok %v)", gov.Home.Integrity, gov.Home.IntegrityOK)
	}
	if !strings.Contains(h.frame.status.Notice, "Governance workspace") {
		t.Errorf("status bar notice: %q", h.frame.status.Notice)
	}
	ended := func() bool {
		select {
		case <-h.ran:
			return true
		default:
			return false
		}
	}

	// No reason: refused in words, nothing asked.
	h.sh.gov.NewLogReason().SetText("   ")
	h.sh.gov.NewLogButton().OnTapped()
	h.until("the refusal", func(c *Controller) bool { return c.gv != nil && strings.Contains(c.gv.view.Message, "Type why") })
	if ended() {
		t.Fatal("the run ended without a reason")
	}

	// A request that arrives after the lock changes nothing.
	h.sh.gov.NewLogReason().SetText("PC rebuilt, ticket 4512")
	h.inspect(func(c *Controller) { c.handle(session.LockByHand{}) })
	h.waitState(session.Locked)
	h.inspect(func(c *Controller) { c.govNewLog("PC rebuilt, ticket 4512") })
	h.inspect(func(c *Controller) {})
	if _, asked := h.c.NewLogAsked(); asked || ended() {
		t.Fatalf("a new log was asked for while locked (ended %v)", ended())
	}
	h.inspect(func(c *Controller) { c.handle(session.StartSignIn{}) })
	signInSGP(false)
	if h.frame.gov == nil || h.frame.gov.Home.NewLog == "" {
		t.Fatalf("Home does not offer a new log after the unlock: %+v", h.frame.gov)
	}

	// In a demo reached through the settings (the workstation's own folder), a demo card may
	// not start the new log: refused in words, nothing asked; in the demo's own folder it may.
	h.inspect(func(c *Controller) { c.svc.Demo = true; c.govNewLog("PC rebuilt, ticket 4512") })
	h.inspect(func(c *Controller) {
		if !strings.Contains(c.gv.view.Message, "A demo card cannot start a new audit log") || c.gv.view.Home.NewLog != "" {
			t.Errorf("demo in the live folder: %q (offer %q)", c.gv.view.Message, c.gv.view.Home.NewLog)
		}
		c.govGo(gscreens.PageHome) // Home again: the offer stays away
		if c.gv.view.Home.NewLog != "" {
			t.Error("Home offers a new log to a demo card in the live folder")
		}
	})
	if _, asked := h.c.NewLogAsked(); asked || ended() {
		t.Fatal("a demo card in the live folder asked for a new log")
	}
	h.inspect(func(c *Controller) { c.svc.DemoFolder = true; c.govGo(gscreens.PageHome) })
	h.pump()

	// With a reason, typed and submitted with Enter: the run ends and says who asked.
	h.sh.gov.NewLogReason().SetText("PC rebuilt, ticket 4512")
	h.sh.gov.NewLogReason().OnSubmitted(h.sh.gov.NewLogReason().Text)
	select {
	case <-h.ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the controller's run did not end after the request")
	}
	by, asked := h.c.NewLogAsked()
	if !asked || by.UserID != u.UserID || by.UserName != u.Name || by.Reason != "PC rebuilt, ticket 4512" ||
		by.URID != u.Roles[0].URID || by.Workstation != "TEST-1" {
		t.Fatalf("NewLogAsked = %+v, %v", by, asked)
	}

	// What Run does next: the services are closed, the new log started.
	path := h.db.Path()
	h.db.Close()
	keys := secrets.File(filepath.Join(filepath.Dir(path), "secrets.json"))
	res, err := store.NewLog(context.Background(), path, keys, by, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	notice := newLogNotice(by, res, nil)
	for _, want := range []string{"A new audit log was started by Grace Okafor", "last known: entry 3", "Sign in again"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice %q lacks %q", notice, want)
		}
	}
	db, err := store.Open(context.Background(), path, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := db.Entry(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Action != audit.ActionAuditNewLog || first.UserID != u.UserID || first.Reason != "PC rebuilt, ticket 4512" ||
		first.URID != u.Roles[0].URID || first.Detail["previous_checkpoint_seq"] != "3" || first.Detail["found"] != "missing" {
		t.Fatalf("first row of the new log: %+v", first)
	}
	rep, err := db.Verify(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("the new log does not verify: %+v %v", rep, err)
	}
	found := false
	for _, f := range rep.Findings {
		found = found || f.Kind == audit.KindNewLog
	}
	if !found {
		t.Errorf("verify does not report the break: %+v", rep.Findings)
	}
	if p := db.Problem(); p != nil {
		t.Errorf("the new log refuses recording: %v", p)
	}
}

// TestNewLogNoticeWhenItFails: a failed start is said, with the way forward.
func TestNewLogNoticeWhenItFails(t *testing.T) {
	n := newLogNotice(audit.Event{UserName: "Grace Okafor"}, store.NewLogResult{}, os.ErrPermission)
	if !strings.HasPrefix(n, "No new audit log was started") || !strings.Contains(n, "scrdesk audit new-log") {
		t.Errorf("notice: %q", n)
	}
}

// TestLateAnswersAfterAFailedViewShowNothing: once a view of the log could not be recorded
// (a search, with the disk full), the workspace shows only what happened; the rules' finish or
// the opening's check arriving afterwards must not redraw Home with the log's counts and the last
// reviewer's name (an attacker's review). A page change tries the opening again.
func TestLateAnswersAfterAFailedViewShowNothing(t *testing.T) {
	h, _ := sgpHarness(t)
	h.inspect(func(c *Controller) {
		if c.gv.view.Home.Open == "" {
			t.Fatal("Home shows no counts to begin with: the test tests nothing")
		}
		c.govAuditFailed(errors.New("database or disk is full"))
		c.rulesCaughtUp()
		if v := c.gv.view; !v.Problem || v.Home.Open != "" || v.Home.LastReview != "" {
			t.Errorf("after a failed view and a late answer: problem %v, open %q, last review %q", v.Problem, v.Home.Open, v.Home.LastReview)
		}
		c.govGo(gscreens.PageHome)
		if v := c.gv.view; v.Problem || v.Home.Open == "" {
			t.Errorf("a page change did not try again: problem %v (%q), open %q", v.Problem, v.Message, v.Home.Open)
		}
	})
}
